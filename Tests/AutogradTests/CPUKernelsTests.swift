import Foundation
import Testing

@testable import Autograd

/// The run-time-dispatched C kernels (`CPUKernels`, Sources/CAutogradKernels): at every
/// level this build has, the same bits as each other and as the Swift formula they
/// replace (they do the same arithmetic, contraction off), over the edge cases of the
/// fast `exp` (clamps, NaN, infinities, subnormal results) and random inputs longer than
/// a vector, with odd tails. `make test` also runs the whole engine suite a second time
/// with AUTOGRAD_CPU=baseline. Each also in place: the output one of the inputs.
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
            // Every length up to two AVX2 vectors, around AVX-512 loop bodies and a long one, so each tail is exercised.
            for n in Array(0...17) + [31, 33, 63, 65, 127, 129, x.count] {
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

    /// Runs `kernel(level, n, y)` for every level and length, and compares the first `n`
    /// elements of `y` with `expected` to the bit; `y` starts as `initial`.
    func checkEveryLevel<T: Scalar>(
        _ name: String, initial: [T], expected: [T],
        _ kernel: (Int, Int, UnsafeMutablePointer<T>) -> Void
    ) {
        for level in 0...CPUKernels.maximumLevel {
            for n in Array(0...17) + [31, 33, 63, 65, 127, 129, expected.count] {
                var y = Array(initial[..<n]) + [7]
                y.withUnsafeMutableBufferPointer { kernel(level, n, $0.baseAddress!) }
                let same = (0..<n).allSatisfy { Self.sameBits(y[$0], expected[$0]) }
                #expect(same, "\(name) at level \(level), n = \(n): differs from the Swift formula")
                #expect(y[n] == 7, "\(name) at level \(level), n = \(n): wrote past the end")
            }
        }
    }

    func checkBinary<T: Scalar>(_: T.Type) {
        let a = Self.inputs(T.self)
        let b = Array(a.reversed())
        let ops: [(String, Int32, (T, T) -> T)] = [
            ("add", CPUKernels.add, { $0 + $1 }), ("sub", CPUKernels.subtract, { $0 - $1 }),
            ("mul", CPUKernels.multiply, { $0 * $1 }), ("div", CPUKernels.divide, { $0 / $1 }),
            ("sigmoid gradient", CPUKernels.sigmoidGradient, { g, y in g * (1 - y) * y }),
            ("gelu gradient", CPUKernels.geluGradient, { CPUKernels.geluGradient($0, $1) }),
            ("erf gradient", CPUKernels.erfGradient, { CPUKernels.erfGradient($0, $1) }),
            ("relu gradient", CPUKernels.reluGradient, { g, y in y <= 0 ? 0 : g }),
        ]
        for (name, op, f) in ops {
            let expected = zip(a, b).map(f)
            checkEveryLevel("\(name) \(T.self)", initial: a, expected: expected) { level, n, y in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        CPUKernels.binary(op, pa.baseAddress!, pb.baseAddress!, y, n, level: level) { _, _ in .nan }
                    }
                }
            }
            // In place, the output either operand.
            checkEveryLevel("\(name) \(T.self) into a", initial: a, expected: expected) { level, n, y in
                b.withUnsafeBufferPointer { CPUKernels.binary(op, UnsafePointer(y), $0.baseAddress!, y, n, level: level) { _, _ in .nan } }
            }
            checkEveryLevel("\(name) \(T.self) into b", initial: b, expected: expected) { level, n, y in
                a.withUnsafeBufferPointer { CPUKernels.binary(op, $0.baseAddress!, UnsafePointer(y), y, n, level: level) { _, _ in .nan } }
            }
        }
        checkEveryLevel("accumulate \(T.self)", initial: a, expected: zip(a, b).map { $0 + $1 }) { level, n, y in
            b.withUnsafeBufferPointer { CPUKernels.accumulate($0.baseAddress!, into: y, n, level: level) }
        }
    }

    /// erf and GELU (cak_special.h): the loops at every level against the scalar forms the
    /// Swift code inlines.
    func checkUnary<T: Scalar>(_: T.Type) {
        let x = Self.inputs(T.self) + [0.875, -0.875, 0.8125, -0.8125, 4, -4, 6, -6, 0.5, 3.9, 5.9]
        let ops: [(String, Int32, (T) -> T)] = [
            ("erf", CPUKernels.erf, { CPUKernels.erf($0) }), ("gelu", CPUKernels.gelu, { CPUKernels.gelu($0) }),
            // Against the Swift formula (FastMath.swift), over every input (its domain is x <= 0;
            // the clamps at -87 and -746 and the NaN and infinities included).
            ("expNonPositive", CPUKernels.expNonPositive, { T.expNonPositive($0) }),
            ("relu", CPUKernels.relu, { $0 < 0 ? 0 : $0 }),
        ]
        for (name, op, f) in ops {
            checkEveryLevel("\(name) \(T.self)", initial: x, expected: x.map(f)) { level, n, y in
                x.withUnsafeBufferPointer { CPUKernels.unary(op, $0.baseAddress!, y, n, level: level) { _ in .nan } }
            }
            // In place (the output is the input), as the log-softmax's exponentials run.
            checkEveryLevel("\(name) \(T.self) in place", initial: x, expected: x.map(f)) { level, n, y in
                CPUKernels.unary(op, UnsafePointer(y), y, n, level: level) { _ in .nan }
            }
        }
    }

    @Test func erfGELUAndExpAreBitIdenticalAtEveryLevel() {
        checkUnary(Float.self)
        checkUnary(Double.self)
    }

    @Test func binaryKernelsAreBitIdenticalAtEveryLevel() {
        checkBinary(Float.self)
        checkBinary(Double.self)
    }

    /// `sum8` (BlockSum's eight running sums) at every level against the eight scalar
    /// chains written out, and `BlockSum` fed in tiles against one pass with its tail.
    func checkSum8<T: Scalar>(_: T.Type) {
        let x = Self.inputs(T.self).filter { $0.isFinite && $0.magnitude < 1e6 }
        for level in 0...CPUKernels.maximumLevel {
            for n in [0, 8, 16, 24, 64, 128, 1_024, x.count & ~7] {
                var lanes: [T] = [0.25, -1, 3, 0, -0.0, 7.5, 1e-3, 2]
                var expected = lanes
                for i in 0..<n { expected[i % 8] += x[i] }
                x.withUnsafeBufferPointer { src in
                    lanes.withUnsafeMutableBufferPointer { CPUKernels.sum8(src.baseAddress!, into: $0.baseAddress!, n, level: level) }
                }
                #expect(zip(lanes, expected).allSatisfy { Self.sameBits($0, $1) }, "sum8 \(T.self) level \(level), n = \(n)")
            }
        }
        // BlockSum over tiles of 40 and a 13-element last tile, against the order it documents.
        let n = 40 * 9 + 13
        var lanes = [T](repeating: 0, count: 8), tail: T = 0
        for i in 0..<(n & ~7) { lanes[i % 8] += x[i] }
        for i in (n & ~7)..<n { tail += x[i] }
        let expected = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])) + tail
        var sum = BlockSum<T>()
        x.withUnsafeBufferPointer { src in
            var start = 0
            while start < n {
                let end = Swift.min(n, start + 40)
                sum.add(UnsafeBufferPointer(rebasing: src[start..<end]))
                start = end
            }
        }
        #expect(Self.sameBits(sum.total, expected), "BlockSum \(T.self): \(sum.total) against \(expected)")
    }

    @Test func eightLaneSumsAreBitIdenticalAtEveryLevel() {
        checkSum8(Float.self)
        checkSum8(Double.self)
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
