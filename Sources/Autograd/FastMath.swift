// Branch-free elementary functions, so that elementwise loops vectorise (libm's exp is a
// call per element: a third of W3's time in issue 4). Accurate to about 1 ulp; the PyTorch
// fixtures allow 1e-5 (float32) and 1e-10 (float64) relative.

import CAutogradMath

extension Float {
    /// √x, correctly rounded as `squareRoot()` is, as one instruction (CAutogradMath.h).
    @inline(__always)
    public static func vectorisableSquareRoot(_ x: Float) -> Float { cautogradmath_sqrtf(x) }

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
    /// √x, correctly rounded as `squareRoot()` is, as one instruction (CAutogradMath.h).
    @inline(__always)
    public static func vectorisableSquareRoot(_ x: Double) -> Double { cautogradmath_sqrt(x) }

    /// e^x for x <= 0 (NaN stays NaN), subnormal results included: fdlibm's exp. x = k ln2
    /// + r with |r| <= ln2/2 (ln2 split in two), e^r from a degree-5 rational kernel in
    /// r² (one division, a third of the operations of a Taylor polynomial to that
    /// accuracy), and 2^k applied as two normal powers of two.
    @inline(__always)
    public static func expNonPositive(_ x: Double) -> Double {
        let xc: Double = x < -746 ? -746 : x
        // 1.5 * 2^52: adding it rounds to an integer kept in the low mantissa bits.
        let shifter: Double = 6_755_399_441_055_744
        let t = xc * 1.442_695_040_888_963_4 + shifter
        let k = t - shifter
        let hi = xc - k * 6.931_471_803_691_238_164_90e-01
        let lo = k * 1.908_214_929_270_587_700_02e-10
        let r = hi - lo
        let rr = r * r
        var p: Double = 4.138_136_797_057_238_460_39e-08
        p = p * rr - 1.653_390_220_546_525_153_90e-06
        p = p * rr + 6.613_756_321_437_934_361_17e-05
        p = p * rr - 2.777_777_777_701_559_338_42e-03
        p = p * rr + 1.666_666_666_666_660_190_37e-01
        let c = r - rr * p
        let er = 1 - ((lo - (r * c) / (2 - c)) - hi)
        // k in [-1076, 0]: 2^k = 2^(k/2) * 2^(k - k/2), each factor normal.
        let n = Int64(bitPattern: t.bitPattern &- shifter.bitPattern)
        let n1 = n >> 1, n2 = n &- n1
        let s1 = Double(bitPattern: UInt64(bitPattern: (n1 &+ 1023) << 52))
        let s2 = Double(bitPattern: UInt64(bitPattern: (n2 &+ 1023) << 52))
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
