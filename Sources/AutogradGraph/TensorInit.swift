import Autograd
#if canImport(Glibc)
import Glibc
#endif

/// A tensor's values made by the server from a named initialiser and a seed, so a client
/// need not send weights: `{"shape": [4, 8], "init": {"name": "kaiming_uniform", "seed": 1}}`.
///
/// The values come from SplitMix64 through fixed formulas (below), in float64, then are
/// cast to the request's dtype: the same seed gives the same tensor on every machine.
enum TensorInit {
    case zeros
    case ones
    case uniform(low: Double, high: Double, seed: UInt64)
    case normal(mean: Double, std: Double, seed: UInt64)
    /// PyTorch's `nn.Linear` weight default, `kaiming_uniform_(a=√5)`: uniform in
    /// ±1/√fanIn. With W of shape [in, out], fan-in is the first dimension.
    case kaimingUniform(fanIn: Int, seed: UInt64)

    static let names = ["zeros", "ones", "uniform", "normal", "kaiming_uniform"]

    /// `count` values.
    func values(count: Int) -> [Double] {
        switch self {
        case .zeros: return [Double](repeating: 0, count: count)
        case .ones: return [Double](repeating: 1, count: count)
        case .uniform(let low, let high, let seed):
            var g = SplitMix64(seed: seed)
            return (0..<count).map { _ in low + (high - low) * Self.unit(&g) }
        case .normal(let mean, let std, let seed):
            // Box–Muller: two uniforms give one normal value (the second is not used, so
            // element i depends only on the seed and i).
            var g = SplitMix64(seed: seed)
            return (0..<count).map { _ in
                let u1 = 1 - Self.unit(&g)  // (0, 1]: log is finite
                let u2 = Self.unit(&g)
                return mean + std * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
            }
        case .kaimingUniform(let fanIn, let seed):
            let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
            return TensorInit.uniform(low: -bound, high: bound, seed: seed).values(count: count)
        }
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    private static func unit(_ g: inout SplitMix64) -> Double { g.nextUnit() }
}

extension RequestDecoder {
    /// Decodes `init` for a tensor of `shape`.
    mutating func decodeInit(_ v: JSONValue, shape: [Int], at pointer: String) -> TensorInit? {
        guard case .object(let obj) = v else {
            problems.wrongType(pointer, "must be an object such as {\"name\": \"uniform\", \"seed\": 1}; got \(v.kindName)")
            return nil
        }
        guard case .string(let name)? = obj["name"] else {
            problems.wrongType(pointer + "/name", "required: one of " + TensorInit.names.joined(separator: ", "))
            return nil
        }
        let allowed: [String]
        switch name {
        case "zeros", "ones": allowed = ["name"]
        case "uniform": allowed = ["name", "seed", "low", "high"]
        case "normal": allowed = ["name", "seed", "mean", "std"]
        case "kaiming_uniform": allowed = ["name", "seed", "fan_in"]
        default:
            problems.invalid(pointer + "/name", "unknown initialiser \"\(name.prefix(64))\"; expected one of " + TensorInit.names.joined(separator: ", "))
            return nil
        }
        let before = problems.count
        for key in obj.keys where !allowed.contains(key) {
            problems.invalid(Pointer.join(pointer, key), "\(name) takes " + allowed.joined(separator: ", "))
        }
        func number(_ key: String, _ fallback: Double) -> Double {
            guard let v = obj[key] else { return fallback }
            guard case .number(let n) = v, n.value.isFinite else {
                problems.wrongType(pointer + "/" + key, "must be a finite number; got \(v.kindName)")
                return fallback
            }
            return n.value
        }
        var seed: UInt64 = 0
        if allowed.contains("seed") {
            if case .number(let n)? = obj["seed"], let s = n.exactInt, s >= 0 { seed = UInt64(s) } else {
                problems.invalid(pointer + "/seed", "required: a non-negative integer (at most 2^53)")
            }
        }
        let result: TensorInit
        switch name {
        case "zeros": result = .zeros
        case "ones": result = .ones
        case "uniform":
            let low = number("low", 0), high = number("high", 1)
            if !(low <= high) { problems.invalid(pointer + "/high", "must not be below low (\(low))") }
            result = .uniform(low: low, high: high, seed: seed)
        case "normal":
            let std = number("std", 1)
            if std < 0 { problems.invalid(pointer + "/std", "must not be negative") }
            result = .normal(mean: number("mean", 0), std: std, seed: seed)
        default:
            var fanIn = shape.first ?? 1
            if let v = obj["fan_in"] {
                if case .number(let n) = v, let f = n.exactInt, f > 0 { fanIn = f } else {
                    problems.invalid(pointer + "/fan_in", "must be a positive integer")
                }
            } else if shape.isEmpty {
                problems.invalid(pointer, "kaiming_uniform needs a tensor of rank >= 1 or an explicit fan_in")
            }
            result = .kaimingUniform(fanIn: fanIn, seed: seed)
        }
        return problems.count == before ? result : nil
    }
}
