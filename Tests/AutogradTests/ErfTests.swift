import Foundation
import Testing

@testable import Autograd

/// The branch-free erf of cak_special.h (behind the `erf` and exact `gelu` ops) against
/// libm: a dense sweep of bit patterns over every binade and the tails, in ulps of the
/// correctly rounded result, and the special values. tools/erf_ulp.c measures the whole
/// float range against erfl: 1.29 ulp (float), 1.24 ulp (double, 2e7 samples); the bounds
/// here are against libm's erf, itself within an ulp.
@Suite struct ErfTests {
    /// The largest error in ulps of libm's result over `xs`, and where.
    static func worst<T: Scalar>(_ xs: [T], _ reference: (T) -> T) -> (ulps: Double, at: T) {
        var worst = (ulps: 0.0, at: T.zero)
        for x in xs {
            let r = reference(x), y = CPUKernels.erf(x)
            guard r != 0 else { continue }
            let e = Double((y - r).magnitude / r.magnitude.ulp)
            if e > worst.ulps { worst = (e, x) }
        }
        return worst
    }

    @Test func floatIsWithinOnePointThreeUlpsOfLibm() {
        // Every 397th float from the smallest subnormal to infinity (5.4 million), both signs.
        var xs: [Float] = []
        var bits: UInt32 = 1
        while bits < 0x7f80_0000 {
            let x = Float(bitPattern: bits)
            xs.append(x)
            xs.append(-x)
            bits += 397
        }
        let w = Self.worst(xs) { Float(Foundation.erf(Double($0))) }
        #expect(w.ulps <= 1.3, "max \(w.ulps) ulp at \(w.at)")
    }

    @Test func doubleIsWithinOnePointFiveUlpsOfLibm() {
        // Two million points uniform on (-7, 7) and every 2^40th bit pattern below 8.
        var xs: [Double] = (0..<2_000_000).map { -7 + 14 * (Double($0) + 0.5) / 2_000_000 }
        var bits: UInt64 = 1
        while Double(bitPattern: bits) < 8 {
            xs.append(Double(bitPattern: bits))
            bits += 1 << 40
        }
        let w = Self.worst(xs) { Foundation.erf($0) }
        #expect(w.ulps <= 1.5, "max \(w.ulps) ulp at \(w.at)")
    }

    func checkSpecialValues<T: Scalar>(_: T.Type) {
        #expect(CPUKernels.erf(T(0)) == 0 && CPUKernels.erf(T(0)).sign == .plus)
        #expect(CPUKernels.erf(-T(0)) == 0 && CPUKernels.erf(-T(0)).sign == .minus)
        #expect(CPUKernels.erf(T.infinity) == 1)
        #expect(CPUKernels.erf(-T.infinity) == -1)
        #expect(CPUKernels.erf(T.nan).isNaN)
        #expect(CPUKernels.erf(T.greatestFiniteMagnitude) == 1)
        #expect(CPUKernels.erf(-T.greatestFiniteMagnitude) == -1)
        // Subnormal and tiny inputs: erf(x) = 2x/√π within an ulp.
        for x in [T.leastNonzeroMagnitude, T.leastNormalMagnitude, T(1e-20)] {
            let r = T(2 / Double.pi.squareRoot() * Double(x))
            #expect((CPUKernels.erf(x) - r).magnitude <= r.ulp, "erf(\(x)) = \(CPUKernels.erf(x)), 2x/√π = \(r)")
            #expect(CPUKernels.erf(-x) == -CPUKernels.erf(x))
        }
        // Odd to the bit on both sides of the branch point and in the tail.
        for x: T in [0.5, 0.8125, 0.875, 1, 2.5, 3.99, 4, 5.99, 6, 30] {
            #expect(CPUKernels.erf(-x) == -CPUKernels.erf(x))
        }
        // The GELU built on it: 0 at 0 (signed as torch: -0 * ... = -0), x at +inf, NaN at NaN,
        // and its gradient's limits (1 at +large, 0 at -large).
        #expect(CPUKernels.gelu(T(0)) == 0)
        #expect(CPUKernels.gelu(T(40)) == 40)
        #expect(CPUKernels.gelu(T(-40)) == 0)
        #expect(CPUKernels.gelu(T.nan).isNaN)
        #expect(CPUKernels.geluGradient(T(1), T(40)) == 1)
        #expect(CPUKernels.geluGradient(T(1), T(-40)) == 0)
        #expect(CPUKernels.geluGradient(T(1), T(0)) == 0.5)
        #expect(CPUKernels.erfGradient(T(1), T(0)) == T(2 / Double.pi.squareRoot()))
    }

    @Test func specialValuesFollowLibm() {
        checkSpecialValues(Float.self)
        checkSpecialValues(Double.self)
    }
}
