import Foundation
import Testing

@testable import Autograd

/// The run-time-dispatched C kernels (`CPUKernels`, Sources/CAutogradKernels): at every
/// level this build has, the same bits as each other and as the Swift formula they
/// replace (they do the same arithmetic, contraction off), over the edge cases of the
/// fast `exp` (clamps, NaN, infinities, subnormal results) and random inputs longer than
/// a vector, with odd tails. `make test` also runs the whole engine suite a second time
/// with AUTOGRAD_CPU=baseline.
@Suite struct CPUKernelsTests {
    static func inputs<T: Scalar>(_: T.Type) -> [T] {
        var values: [T] = [0, -0.0, 1, -1, 0.5, -0.5, 20, -20, 86.9, -86.9, 87, -87, 87.5, -87.5, 88, -88,
                           700, -700, 745.5, -745.5, 746, -746, 750, -750, 1e-30, -1e-30,
                           .nan, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                           .leastNonzeroMagnitude, -.leastNormalMagnitude]
        var rng = SplitMix64(seed: 11)
        for _ in 0..<1_037 { values.append(T(Double(rng.next() % 2_000_001) / 1000 - 1000) / 10) }
        for _ in 0..<101 { values.append(T(Double(rng.next() % 2_000_001) / 1000 - 1000)) }
        return values
    }

    /// Equal to the bit, any NaN matching any NaN.
    static func sameBits<T: Scalar>(_ a: T, _ b: T) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return a.sign == b.sign && a.exponentBitPattern == b.exponentBitPattern
            && a.significandBitPattern == b.significandBitPattern
    }

    func checkLogistic<T: Scalar>(_: T.Type) {
        let x = Self.inputs(T.self)
        let swift = x.map { T.logistic($0) }
        for level in 0...CPUKernels.maximumLevel {
            // Every length up to two AVX2 vectors and a long one, so each tail is exercised.
            for n in Array(0...17) + [x.count] {
                var y = [T](repeating: 7, count: n + 1)
                x.withUnsafeBufferPointer { src in
                    y.withUnsafeMutableBufferPointer { dst in
                        CPUKernels.logistic(src.baseAddress!, dst.baseAddress!, n, level: level)
                    }
                }
                let same = (0..<n).allSatisfy { i in
                    Self.sameBits(y[i], swift[i])
                }
                #expect(same, "level \(level), n = \(n): differs from Scalar.logistic")
                #expect(y[n] == 7, "level \(level), n = \(n): wrote past the end")
            }
        }
    }

    @Test func logisticIsBitIdenticalAtEveryLevel() {
        checkLogistic(Float.self)
        checkLogistic(Double.self)
    }

    @Test func theLevelIsOneThisBuildHasAndTheEnvironmentCanForceBaseline() {
        #expect((0...CPUKernels.maximumLevel).contains(CPUKernels.level))
        if ProcessInfo.processInfo.environment["AUTOGRAD_CPU"] == "baseline" {
            #expect(CPUKernels.level == 0)
        }
    }
}
