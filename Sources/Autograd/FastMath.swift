// Branch-free elementary functions for Float, so that elementwise loops vectorise (libm's
// expf is a call per element: a third of W3's time in issue 4). Accurate to about 1 ulp;
// the PyTorch fixtures allow 1e-5 relative in float32. Double keeps libm.

extension Float {
    /// e^x for x <= 0 (NaN stays NaN; below -87 the result is 0 rather than subnormal).
    /// Cephes' expf: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial, and
    /// 2^n written into the exponent bits.
    @inline(__always)
    static func expNonPositive(_ x: Float) -> Float {
        let xc: Float = x < -87 ? -87 : x
        // Adding 1.5 * 2^23 rounds to an integer and leaves it in the low mantissa bits,
        // so n is read back without a (trapping) Float -> Int conversion.
        let shifter: Float = 12_582_912
        let t = xc * 1.442_695_04 + shifter
        let n = t - shifter
        var r = xc - n * 0.693_359_375
        r -= n * -2.121_944_40e-4
        var p: Float = 1.987_569_150_0e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let er = p * r * r + r + 1
        let scale = Float(bitPattern: (t.bitPattern &- shifter.bitPattern &+ 127) << 23)
        return x < -87 ? 0 : er * scale
    }

    /// The logistic function as `Scalar.sigmoid` defines it (e^-|x| only), branch-free.
    @inline(__always)
    public static func logistic(_ x: Float) -> Float {
        let e = expNonPositive(-abs(x))
        let d = 1 + e
        return x >= 0 ? 1 / d : e / d
    }
}
