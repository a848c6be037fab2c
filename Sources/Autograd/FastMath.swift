// Branch-free elementary functions, so that elementwise loops vectorise (libm's exp is a
// call per element: a third of W3's time in issue 4). Accurate to about 1 ulp (Float) and
// 2 ulp (Double); the PyTorch fixtures allow 1e-5 and 1e-10 relative.

extension Float {
    /// e^x for x <= 0 (NaN stays NaN; below -87 the result is 0 rather than subnormal).
    /// Cephes' expf: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7 polynomial, and
    /// 2^n written into the exponent bits.
    @inline(__always)
    public static func expNonPositive(_ x: Float) -> Float {
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

}

extension Double {
    /// e^x for x <= 0 (NaN stays NaN), subnormal results included: x = n ln2 + r with
    /// |r| <= ln2/2 (ln2 split in two, as fdlibm), e^r by its Taylor polynomial to r^13
    /// (truncation below 1e-17 relative), and 2^n applied as two normal powers of two.
    @inline(__always)
    public static func expNonPositive(_ x: Double) -> Double {
        let xc: Double = x < -746 ? -746 : x
        // 1.5 * 2^52: adding it rounds to an integer kept in the low mantissa bits.
        let shifter: Double = 6_755_399_441_055_744
        let t = xc * 1.442_695_040_888_963_4 + shifter
        let n = t - shifter
        let r = (xc - n * 6.931_471_803_691_238_164_90e-01) - n * 1.908_214_929_270_587_700_02e-10
        var p: Double = 1.0 / 6_227_020_800
        p = p * r + 1.0 / 479_001_600
        p = p * r + 1.0 / 39_916_800
        p = p * r + 1.0 / 3_628_800
        p = p * r + 1.0 / 362_880
        p = p * r + 1.0 / 40_320
        p = p * r + 1.0 / 5_040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        let er = p * r * r + r + 1
        // n in [-1076, 0]: 2^n = 2^(n/2) * 2^(n - n/2), each factor normal.
        let k = Int64(bitPattern: t.bitPattern &- shifter.bitPattern)
        let k1 = k >> 1, k2 = k &- k1
        let s1 = Double(bitPattern: UInt64(bitPattern: (k1 &+ 1023) << 52))
        let s2 = Double(bitPattern: UInt64(bitPattern: (k2 &+ 1023) << 52))
        return x < -746 ? 0 : er * s1 * s2
    }

}

extension Scalar {
    /// The logistic function as `Scalar.sigmoid` defines it (e^-|x| only), branch-free.
    @inline(__always)
    public static func logistic(_ x: Self) -> Self {
        let e = expNonPositive(-x.magnitude)
        let d = 1 + e
        return x >= 0 ? 1 / d : e / d
    }
}
