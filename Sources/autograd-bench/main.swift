// autograd-bench: the workloads of issue 4, run in-process through the public API.
//
//   swift run -c release autograd-bench            a table
//   swift run -c release autograd-bench --json     one JSON line per result
//   --only W1,W2   --quick   --reps N   --write-request PATH [--b64]   --help
//
// Every result is the median (and min, max) over `n` timed repetitions after warm-up.
// bench/pytorch_bench.py runs the same workloads in PyTorch; bench/compare.py sets the two
// side by side.

import Autograd
import AutogradGraph
import AutogradONNX
import CBenchAlloc
import COpenBLAS
import Foundation

// MARK: options

struct Options {
    var json = false
    var only: Set<String>? = nil
    var quick = false
    var reps: Int? = nil
    var writeRequest: String? = nil
    var b64 = false
    /// With --write-request: a POST /train body with this W9 optimizer and step count.
    var train: W9Optimizer? = nil
    var steps = 1
    /// --count-steps: run this many W9 steps (of --train's optimizer) and exit.
    var countSteps: Int? = nil
    var overTrain = false
    /// --count-hvp: run this many W8 Hessian-vector products in process and exit.
    var countHVP: Int? = nil
    /// --count-onnx-decode: decode the W2 ONNX request body this many times and exit
    /// (with --b64, W2's own b64 body instead: the pair the onnx_import row subtracts).
    var countONNXDecode: Int? = nil
}

// As autograd-server: OpenBLAS's kernels for this CPU, not for an old one it took it for,
// and its idle threads asleep after 2^20 cycles rather than spinning through 2^28.
let openBLASSettings = BLAS.startupEnvironment()
if !openBLASSettings.isEmpty {
    for (name, value) in openBLASSettings { setenv(name, value, 1) }
    execv("/proc/self/exe", CommandLine.unsafeArgv)
}

let usage = """
    usage: autograd-bench [--json] [--only W1,W2,...] [--quick] [--reps N]
           autograd-bench --write-request PATH [--b64] [--train sgd|adam|adamw --steps N]
      --json           one JSON line per result (default: a table)
      --only LIST      workloads to run: W1 W2 W3 W4 W5 W6 W7 W8 W9 J1 (comma-separated, repeatable)
      --quick          fewer repetitions (a smoke run; medians are then over fewer than 20)
      --reps N         repetitions for every workload (overrides the defaults)
      --write-request  write the W2 request body (POST /backward) to PATH and exit;
                       with --b64 its tensors are {"shape", "b64"} instead of numbers;
                       with --train, a POST /train body (W9) with that optimizer, --steps N steps
      --count-steps N  run N W9 steps with --train's optimizer (default adam) in process, or
                       with --over-train as one POST /train through GraphService, and exit:
                       for instruction counts (perf stat, callgrind) of 1 against 21 steps
      --count-hvp N    run N W8 Hessian-vector products in process and exit (callgrind)
      --count-onnx-decode N  decode the W2 ONNX request body N times in process and exit;
                       with --b64, W2's own b64 body (the pair behind the onnx_import row)
    """

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    func value(_ flag: String) -> String {
        guard let v = args.popFirst() else {
            FileHandle.standardError.write("\(flag) needs a value\n\(usage)\n".data(using: .utf8)!)
            exit(2)
        }
        return v
    }
    while let a = args.popFirst() {
        switch a {
        case "--json": o.json = true
        case "--quick": o.quick = true
        case "--b64": o.b64 = true
        case "--only":
            let names = value(a).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            o.only = (o.only ?? []).union(names)
        case "--reps":
            guard let n = Int(value(a)), n > 0 else { print(usage); exit(2) }
            o.reps = n
        case "--write-request": o.writeRequest = value(a)
        case "--train":
            guard let t = W9Optimizer(rawValue: value(a)) else { print(usage); exit(2) }
            o.train = t
        case "--count-steps":
            guard let n = Int(value(a)), n >= 0 else { print(usage); exit(2) }
            o.countSteps = n
        case "--over-train": o.overTrain = true
        case "--count-hvp":
            guard let n = Int(value(a)), n >= 0 else { print(usage); exit(2) }
            o.countHVP = n
        case "--count-onnx-decode":
            guard let n = Int(value(a)), n >= 0 else { print(usage); exit(2) }
            o.countONNXDecode = n
        case "--steps":
            guard let n = Int(value(a)), n >= 0 else { print(usage); exit(2) }
            o.steps = n
        case "-h", "--help": print(usage); exit(0)
        default:
            FileHandle.standardError.write("unknown argument \(a)\n\(usage)\n".data(using: .utf8)!)
            exit(2)
        }
    }
    return o
}

let options = parseOptions()
// As the server does (and the PyTorch side gets the same settings through glibc's
// environment variables, bench/run_compare.py).
MemoryPolicy.keepFreedBuffers()

// MARK: timing and output

@inline(never)
func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Seconds per call of `body`, `reps` times after `warmup` untimed calls.
func measure(reps: Int, warmup: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    var out: [Double] = []
    out.reserveCapacity(reps)
    for _ in 0..<reps {
        let t0 = now()
        body()
        out.append(Double(now() - t0) / 1e9)
    }
    return out
}

/// As `measure`, for two bodies timed alternately (A, B, A, B, ...), so that a change of
/// machine load during the run falls on both.
func measurePair(reps: Int, warmup: Int, _ a: () -> Void, _ b: () -> Void) -> ([Double], [Double]) {
    for _ in 0..<warmup { a(); b() }
    var ta: [Double] = [], tb: [Double] = []
    for _ in 0..<reps {
        var t0 = now()
        a()
        ta.append(Double(now() - t0) / 1e9)
        t0 = now()
        b()
        tb.append(Double(now() - t0) / 1e9)
    }
    return (ta, tb)
}

/// Repetitions: the workload's default, `--reps`, or a fifth (at least 3) with `--quick`.
func reps(_ normal: Int) -> Int {
    if let r = options.reps { return r }
    return options.quick ? max(3, normal / 5) : normal
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

struct Result {
    let workload: String
    let dtype: String
    let metric: String
    let values: [Double]
    let unit: String
    var size: Int? = nil
    /// J1: the body's length in bytes.
    var bytes: Int? = nil
    /// W9: the optimizer.
    var optimizer: String? = nil
}

func fmt(_ x: Double) -> String {
    if x == 0 { return "0" }
    let a = abs(x)
    if a >= 1000 { return String(format: "%.1f", x) }
    if a >= 1 { return String(format: "%.4g", x) }
    return String(format: "%.4g", x)
}

func jsonNumber(_ x: Double) -> String {
    x.isFinite ? String(format: "%.6g", x) : "null"
}

func report(_ r: Result) {
    if options.json {
        var line = "{\"workload\": \"\(r.workload)\", \"impl\": \"swift\", \"dtype\": \"\(r.dtype)\", \"metric\": \"\(r.metric)\""
        if let size = r.size { line += ", \"size\": \(size)" }
        if let bytes = r.bytes { line += ", \"bytes\": \(bytes)" }
        if let optimizer = r.optimizer { line += ", \"optimizer\": \"\(optimizer)\"" }
        line += ", \"median\": \(jsonNumber(median(r.values))), \"min\": \(jsonNumber(r.values.min() ?? .nan))"
        line += ", \"max\": \(jsonNumber(r.values.max() ?? .nan)), \"n\": \(r.values.count), \"unit\": \"\(r.unit)\"}"
        print(line)
    } else {
        let name = r.workload + (r.size.map { " \($0)" } ?? "") + (r.optimizer.map { " \($0)" } ?? "")
        print(
            name.padding(toLength: 10, withPad: " ", startingAt: 0)
                + r.dtype.padding(toLength: 9, withPad: " ", startingAt: 0)
                + r.metric.padding(toLength: 24, withPad: " ", startingAt: 0)
                + fmt(median(r.values)).leftPad(10) + fmt(r.values.min() ?? .nan).leftPad(10)
                + fmt(r.values.max() ?? .nan).leftPad(10) + String(r.values.count).leftPad(6) + "  " + r.unit)
    }
    fflush(nil)
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

func shouldRun(_ w: String) -> Bool { options.only.map { $0.contains(w) } ?? true }

// MARK: data

/// Deterministic uniform values in [lo, hi).
func uniform<T: Scalar>(_ n: Int, _ lo: Double, _ hi: Double, seed: UInt64, as _: T.Type = T.self) -> [T] {
    var g = SplitMix64(seed: seed)
    return (0..<n).map { _ in T(lo + (hi - lo) * Double(g.next() >> 11) / Double(1 << 53)) }
}

/// W2's tensors: x [128, 784], labels [128], and three layers initialised as nn.Linear.
struct MLPData<T: Scalar> {
    static var batch: Int { 128 }
    static var sizes: [Int] { [784, 512, 512, 10] }
    let x: [T]
    let labels: [T]
    let weights: [[T]]
    let biases: [[T]]

    init() {
        let sizes = Self.sizes
        x = uniform(Self.batch * sizes[0], -1, 1, seed: 1)
        var g = SplitMix64(seed: 2)
        labels = (0..<Self.batch).map { _ in T(Int(g.next() % UInt64(sizes.last!))) }
        var ws: [[T]] = []
        var bs: [[T]] = []
        for l in 0..<(sizes.count - 1) {
            let bound = 1 / Double(sizes[l]).squareRoot()
            ws.append(uniform(sizes[l] * sizes[l + 1], -bound, bound, seed: UInt64(10 + l)))
            bs.append(uniform(sizes[l + 1], -bound, bound, seed: UInt64(20 + l)))
        }
        weights = ws
        biases = bs
    }
}

// MARK: W2 request body (J1, H2)

/// The W2 request (POST /backward), or with `training` the same graph as a POST /train
/// body (W9).
func w2RequestBody(b64: Bool, training: (optimizer: W9Optimizer, steps: Int)? = nil) -> [UInt8] {
    let d = MLPData<Float>()
    let sizes = MLPData<Float>.sizes
    // With b64, the answer is asked for in base64 too ("encoding": "b64").
    var s = "{\"dtype\": \"float32\", " + (b64 ? "\"encoding\": \"b64\", " : "") + "\"tensors\": {"
    func tensor(_ name: String, _ shape: [Int], _ data: [Float], grad: Bool) {
        s += "\"\(name)\": {\"shape\": [\(shape.map(String.init).joined(separator: ", "))], "
        if b64 {
            let bytes = data.withUnsafeBytes { Data($0) }  // little-endian on x86-64 and arm64
            s += "\"b64\": \"\(bytes.base64EncodedString())\""
        } else {
            s += "\"data\": ["
            var first = true
            for v in data {
                if !first { s += "," }
                first = false
                // Shortest round-trip form; integral values print without ".0".
                if v == v.rounded(), abs(v) < 1e7 { s += String(Int(v)) } else { s += v.description }
            }
            s += "]"
        }
        if grad { s += ", \"requires_grad\": true" }
        s += "}, "
    }
    tensor("x", [MLPData<Float>.batch, sizes[0]], d.x, grad: false)
    tensor("labels", [MLPData<Float>.batch], d.labels, grad: false)
    for l in 0..<3 {
        tensor("W\(l + 1)", [sizes[l], sizes[l + 1]], d.weights[l], grad: true)
        tensor("b\(l + 1)", [sizes[l + 1]], d.biases[l], grad: true)
    }
    s.removeLast(2)
    s += "}, \"ops\": ["
    s += "{\"id\": \"h1\", \"op\": \"linear\", \"inputs\": [\"x\", \"W1\", \"b1\"]}, "
    s += "{\"id\": \"a1\", \"op\": \"relu\", \"inputs\": [\"h1\"]}, "
    s += "{\"id\": \"h2\", \"op\": \"linear\", \"inputs\": [\"a1\", \"W2\", \"b2\"]}, "
    s += "{\"id\": \"a2\", \"op\": \"relu\", \"inputs\": [\"h2\"]}, "
    s += "{\"id\": \"logits\", \"op\": \"linear\", \"inputs\": [\"a2\", \"W3\", \"b3\"]}, "
    s += "{\"id\": \"loss\", \"op\": \"cross_entropy\", \"inputs\": [\"logits\", \"labels\"]}"
    s += "], \"loss\": \"loss\""
    if let (optimizer, steps) = training { s += ", \"optimizer\": \(optimizer.wire), \"steps\": \(steps)" }
    s += "}\n"
    return Array(s.utf8)
}

if let path = options.writeRequest {
    let body = w2RequestBody(b64: options.b64, training: options.train.map { ($0, options.steps) })
    guard FileManager.default.createFile(atPath: path, contents: Data(body)) else {
        FileHandle.standardError.write("cannot write \(path)\n".data(using: .utf8)!)
        exit(1)
    }
    FileHandle.standardError.write("wrote \(body.count) bytes to \(path)\n".data(using: .utf8)!)
    exit(0)
}

if let n = options.countHVP {
    let model = W8Model()
    for _ in 0..<n {
        do { blackHole(try model.hvpOnce()) } catch { fatalError("--count-hvp: \(error)") }
    }
    exit(0)
}

if let n = options.countONNXDecode {
    let service = GraphService(importer: ONNXImporter())
    guard let body = options.b64 ? w2RequestBody(b64: true) : w2ONNXRequestBody() else {
        fatalError("--count-onnx-decode: bench/w2_mlp.onnx not found (run from the package root)")
    }
    for _ in 0..<n {
        do { blackHole(try service.decodeOnly(body: body)) } catch { fatalError("--count-onnx-decode: \(error)") }
    }
    exit(0)
}

if let n = options.countSteps {
    let kind = options.train ?? .adam
    if options.overTrain {
        var limits = GraphLimits()
        limits.requestTimeoutSeconds = 0  // under valgrind a request takes minutes
        let response = GraphService(limits: limits).respond(to: .train, body: w2RequestBody(b64: true, training: (kind, n)))
        guard response.status == 200 else { fatalError("--count-steps --over-train: HTTP \(response.status)") }
    } else {
        let model = W9Model(kind)
        for _ in 0..<n { model.step() }
    }
    exit(0)
}

// MARK: header

func firstLine(_ path: String, prefix: String) -> String? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
    return nil
}

let loadavg = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?")
    .split(separator: " ").prefix(3).joined(separator: " ")
let cpu = firstLine("/proc/cpuinfo", prefix: "model name") ?? "unknown"
let cores = ProcessInfo.processInfo.activeProcessorCount
let blasThreads = Int(openblas_get_num_threads())
// The float32 products' library (the GEMM seam: oneDNN when libdnnl.so.2 loads, else
// OpenBLAS); float64 products are OpenBLAS's.
let gemmFloat32 = GEMM.float32Description
if options.json {
    print("{\"meta\": true, \"impl\": \"swift\", \"cpu\": \"\(cpu)\", \"cores\": \(cores), \"blas_threads\": \(blasThreads), \"gemm_float32\": \"\(gemmFloat32)\", \"openblas_core\": \"\(BLAS.coreName)\", \"loadavg\": \"\(loadavg)\"}")
} else {
    print("autograd-bench: \(cpu), \(cores) cores, OpenBLAS \(BLAS.coreName) threads \(blasThreads), float32 GEMM \(gemmFloat32), load average \(loadavg)")
    print("workload  dtype    metric                      median       min       max     n  unit")
}
fflush(nil)

// MARK: W1 — the README example, forward + backward, graph construction included

if shouldRun("W1") {
    let t = measure(reps: reps(2000), warmup: 200) {
        let x = Tensor<Float>([[1, 2], [3, 4]])
        let layer = Linear(W: Tensor<Float>([[0.1, 0.2], [0.3, 0.4]]), b: Tensor<Float>([0.5, 0.6]))
        let loss = mseLoss(layer(x), Tensor(NDArray(repeating: 1, shape: [2, 2])))
        try! loss.backward()
        blackHole(layer.W.grad)
    }
    report(Result(workload: "W1", dtype: "float32", metric: "time_per_call", values: t.map { $0 * 1e6 }, unit: "us"))
}

// MARK: W1 through the graph format — the README request body, GraphService.respond in-process
// (parse, decode, plan, run, encode): what the server does per H1 request besides HTTP.

if shouldRun("W1") {
    let body = Array(#"{"dtype": "float32", "tensors": {"x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[0.1, 0.2], [0.3, 0.4]], "requires_grad": true}, "b": {"data": [0.5, 0.6], "requires_grad": true}, "y_true": {"data": [[1, 1], [1, 1]]}}, "ops": [{"id": "y", "op": "linear", "inputs": ["x", "W", "b"]}, {"id": "loss", "op": "mse_loss", "inputs": ["y", "y_true"]}], "loss": "loss"}"#.utf8)
    let service = GraphService()
    precondition(service.respond(to: .backward, body: body).status == 200)
    let t = measure(reps: reps(2000), warmup: 200) { blackHole(service.respond(to: .backward, body: body)) }
    report(Result(workload: "W1", dtype: "float32", metric: "graph_respond", values: t.map { $0 * 1e6 }, unit: "us"))
}

// MARK: W2 — MLP training step, 128 x 784 -> 512 -> 512 -> 10

if shouldRun("W2") {
    let d = MLPData<Float>()
    let sizes = MLPData<Float>.sizes
    let B = MLPData<Float>.batch
    let x = Tensor(shape: [B, sizes[0]], scalars: d.x)
    let labels = Tensor(shape: [B], scalars: d.labels)
    let layers = (0..<3).map { l in
        Linear(
            W: Tensor(shape: [sizes[l], sizes[l + 1]], scalars: d.weights[l]),
            b: Tensor(shape: [sizes[l + 1]], scalars: d.biases[l]))
    }
    let params = layers.flatMap(\.parameters)

    // The sgemm floor: the step's matrix products alone, called directly on the library
    // the GEMM seam chose for them (`Float.gemm`: oneDNN or OpenBLAS, the meta line says)
    // (forward x W for 3 layers, dW = a^T g for 3, dA = g W^T for the 2 hidden inputs),
    // timed alternately with the step.
    var gemms: [(tA: Bool, tB: Bool, m: Int, n: Int, k: Int)] = []
    for l in 0..<3 { gemms.append((false, false, B, sizes[l + 1], sizes[l])) }
    for l in 0..<3 { gemms.append((true, false, sizes[l], sizes[l + 1], B)) }
    for l in 1..<3 { gemms.append((false, true, B, sizes[l], sizes[l + 1])) }
    let maxElems = gemms.map { max($0.m * $0.k, $0.k * $0.n, $0.m * $0.n) }.max()!
    let A = uniform(maxElems, -1, 1, seed: 3, as: Float.self)
    let Bm = uniform(maxElems, -1, 1, seed: 4, as: Float.self)
    var C = [Float](repeating: 0, count: maxElems)
    let (t, floor) = measurePair(reps: reps(50), warmup: 5) {
        for p in params { p.zeroGrad() }
        let h1 = relu(layers[0](x))
        let h2 = relu(layers[1](h1))
        let loss = crossEntropy(layers[2](h2), labels)
        try! loss.backward()
        blackHole(loss.value)
    } _: {
        A.withUnsafeBufferPointer { a in
            Bm.withUnsafeBufferPointer { b in
                C.withUnsafeMutableBufferPointer { c in
                    for g in gemms {
                        Float.gemm(
                            transA: g.tA, transB: g.tB, m: g.m, n: g.n, k: g.k, alpha: 1,
                            a: a.baseAddress!, lda: g.tA ? g.m : g.k, b: b.baseAddress!, ldb: g.tB ? g.k : g.n,
                            beta: 0, c: c.baseAddress!, ldc: g.n)
                    }
                }
            }
        }
    }
    report(Result(workload: "W2", dtype: "float32", metric: "time_per_step", values: t.map { $0 * 1e3 }, unit: "ms"))
    report(Result(workload: "W2", dtype: "float32", metric: "sgemm_floor", values: floor.map { $0 * 1e3 }, unit: "ms"))
}

// MARK: W2 through the graph format — its request body through GraphService.respond in-process,
// with JSON numbers and with base64 tensors: H2 without HTTP.

if shouldRun("W2") {
    let service = GraphService()
    for b64 in [false, true] {
        let body = w2RequestBody(b64: b64)
        let first = service.respond(to: .backward, body: body)
        guard first.status == 200 else {
            FileHandle.standardError.write("W2 graph_respond (\(b64 ? "b64" : "json")): HTTP \(first.status); skipped\n".data(using: .utf8)!)
            continue
        }
        let t = measure(reps: reps(20), warmup: 1) { blackHole(service.respond(to: .backward, body: body)) }
        report(Result(workload: "W2", dtype: "float32", metric: b64 ? "graph_respond_b64" : "graph_respond_json", values: t.map { $0 * 1e3 }, unit: "ms"))
    }
}

// MARK: W2 exported to ONNX (issue 11) — the same MLP as bench/w2_mlp.onnx (torch.onnx.export,
// bench/make_w2_onnx.py) with W2's weights as its initializers, sent as "onnx": {"b64"} with x,
// labels and a cross_entropy loss: import + one POST /backward through GraphService.respond in
// process, the server's path (ONNXImporter), timed alternately with W2's own body (b64 tensors).

/// The W2 ONNX request body (POST /backward), or nil when bench/w2_mlp.onnx is missing.
func w2ONNXRequestBody() -> [UInt8]? {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let candidates = [here.appendingPathComponent("../../bench/w2_mlp.onnx").path, "bench/w2_mlp.onnx"]
    guard let skeleton = candidates.lazy.compactMap({ FileManager.default.contents(atPath: $0) }).first else { return nil }
    // The committed export holds the weights as graph inputs; a second ModelProto.graph field
    // (7) holding the initializers (GraphProto field 5: TensorProto dims 1, data_type 2 = FLOAT,
    // name 8, raw_data 9) is merged into the first by any protobuf parser.
    func varint(_ v: Int, _ out: inout [UInt8]) {
        var v = UInt64(v)
        while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }
    func field(_ number: Int, _ bytes: [UInt8], _ out: inout [UInt8]) {
        varint(number << 3 | 2, &out)
        varint(bytes.count, &out)
        out += bytes
    }
    let d = MLPData<Float>()
    let sizes = MLPData<Float>.sizes
    var graph: [UInt8] = []
    for l in 0..<3 {
        let (fanIn, fanOut) = (sizes[l], sizes[l + 1])
        // nn.Linear's weight is [out, in]: W2's [in, out] transposed.
        var w = [Float](repeating: 0, count: fanIn * fanOut)
        for i in 0..<fanIn { for o in 0..<fanOut { w[o * fanIn + i] = d.weights[l][i * fanOut + o] } }
        for (name, dims, values) in [("fc\(l + 1).weight", [fanOut, fanIn], w), ("fc\(l + 1).bias", [fanOut], d.biases[l])] {
            var t: [UInt8] = [], packed: [UInt8] = []
            for n in dims { varint(n, &packed) }
            field(1, packed, &t)
            t += [0x10, 1]
            field(8, Array(name.utf8), &t)
            field(9, values.withUnsafeBytes { Array($0) }, &t)  // little-endian on x86-64 and arm64
            field(5, t, &graph)
        }
    }
    var model = [UInt8](skeleton)
    field(7, graph, &model)
    func b64(_ data: [Float]) -> String { data.withUnsafeBytes { Data($0) }.base64EncodedString() }
    var s = "{\"dtype\": \"float32\", \"encoding\": \"b64\", \"onnx\": {\"b64\": \"\(Data(model).base64EncodedString())\"}, \"tensors\": {"
    s += "\"x\": {\"shape\": [\(MLPData<Float>.batch), \(sizes[0])], \"b64\": \"\(b64(d.x))\"}, "
    s += "\"labels\": {\"shape\": [\(MLPData<Float>.batch)], \"b64\": \"\(b64(d.labels))\"}}, "
    s += "\"ops\": [{\"id\": \"loss\", \"op\": \"cross_entropy\", \"inputs\": [\"logits\", \"labels\"]}], \"loss\": \"loss\"}\n"
    return Array(s.utf8)
}

if shouldRun("W2") {
    let service = GraphService(importer: ONNXImporter())
    let plain = w2RequestBody(b64: true)
    func loss(_ r: Response) -> Double? {
        guard r.status == 200, let doc = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else { return nil }
        // {"outputs": {"loss": {"shape": [], "b64": 4 little-endian bytes}}} ("encoding": "b64").
        guard let l = (doc["outputs"] as? [String: Any])?["loss"] as? [String: Any], let text = l["b64"] as? String,
              let bytes = Data(base64Encoded: text), bytes.count == 4 else { return nil }
        return Double(Float(bitPattern: bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
    }
    if let body = w2ONNXRequestBody() {
        let first = service.respond(to: .backward, body: body)
        let reference = service.respond(to: .backward, body: plain)
        // The same model and values: the same loss (up to the transposed weights' summation order).
        if let a = loss(first), let b = loss(reference), abs(a - b) <= 1e-5 * abs(b) {
            let (decode, decodePlain) = measurePair(reps: reps(20), warmup: 2) {
                blackHole(try! service.decodeOnly(body: body))
            } _: {
                blackHole(try! service.decodeOnly(body: plain))
            }
            let (t, tPlain) = measurePair(reps: reps(20), warmup: 2) {
                blackHole(service.respond(to: .backward, body: body))
            } _: {
                blackHole(service.respond(to: .backward, body: plain))
            }
            report(Result(workload: "W2", dtype: "float32", metric: "onnx_respond_b64", values: t.map { $0 * 1e3 }, unit: "ms"))
            report(Result(workload: "W2", dtype: "float32", metric: "graph_respond_b64_paired", values: tPlain.map { $0 * 1e3 }, unit: "ms"))
            // The import alone: decoding the ONNX body (base64, ModelProto, expansion, plan,
            // tensors) less decoding W2's own body, per pair. The importer has seen the model
            // from the second decode on (ModelCache), as a client sending it again sees it.
            report(Result(workload: "W2", dtype: "float32", metric: "onnx_import", values: zip(decode, decodePlain).map { ($0 - $1) * 1e3 }, unit: "ms"))
            // The same, each ONNX decode on an importer that has not seen the model (its
            // structure decoded by swift-protobuf, not taken from the importer's cache).
            let n = reps(20)
            var fresh = (0..<(n + 2)).map { _ in GraphService(importer: ONNXImporter()) }
            let (first, firstPlain) = measurePair(reps: n, warmup: 2) {
                blackHole(try! fresh.removeLast().decodeOnly(body: body))
            } _: {
                blackHole(try! service.decodeOnly(body: plain))
            }
            report(Result(workload: "W2", dtype: "float32", metric: "onnx_import_first", values: zip(first, firstPlain).map { ($0 - $1) * 1e3 }, unit: "ms"))
            report(Result(workload: "W2", dtype: "float32", metric: "onnx_decode", values: decode.map { $0 * 1e3 }, unit: "ms"))
            report(Result(workload: "W2", dtype: "float32", metric: "graph_decode_b64_paired", values: decodePlain.map { $0 * 1e3 }, unit: "ms"))
        } else {
            let detail = String(decoding: first.body.prefix(300), as: UTF8.self)
            let losses = "\(loss(first).map { "\($0)" } ?? "-") against \(loss(reference).map { "\($0)" } ?? "-")"
            FileHandle.standardError.write("W2 ONNX: HTTP \(first.status) (\(detail)), loss \(losses); skipped\n".data(using: .utf8)!)
        }
    } else {
        FileHandle.standardError.write("W2 ONNX: bench/w2_mlp.onnx not found (run from the package root); skipped\n".data(using: .utf8)!)
    }
}

// MARK: W3 — elementwise: sum(sigmoid(a*b + a)), gradients of a and b, n = 1,000,000

func w3<T: Scalar>(_: T.Type) {
    let n = 1_000_000
    let a = Tensor(shape: [n], scalars: uniform(n, -2, 2, seed: 5, as: T.self), requiresGrad: true)
    let b = Tensor(shape: [n], scalars: uniform(n, -2, 2, seed: 6, as: T.self), requiresGrad: true)
    // The whole graph is known before it runs (jax.jit's case): one fused op, traced once.
    // It is the loss, so its forward pass computes the gradients too.
    let fused = try! FusedElementwise.trace(inputs: 2, asLoss: true) { x in (x[0] * x[1] + x[0]).sigmoid().sum() }
    let t = measure(reps: reps(30), warmup: 3) {
        a.zeroGrad()
        b.zeroGrad()
        let loss = try! Tensor.apply(fused, [a, b])
        try! loss.backward()
        blackHole(loss.value)
    }
    report(Result(workload: "W3", dtype: T.dtype.rawValue, metric: "time", values: t.map { $0 * 1e3 }, unit: "ms"))
    // Eager, op by op, as PyTorch eager runs it.
    let e = measure(reps: reps(30), warmup: 3) {
        a.zeroGrad()
        b.zeroGrad()
        let loss = sigmoid(a * b + a).sum()
        try! loss.backward()
        blackHole(loss.value)
    }
    report(Result(workload: "W3", dtype: T.dtype.rawValue, metric: "time_eager", values: e.map { $0 * 1e3 }, unit: "ms"))
}

if shouldRun("W3") {
    w3(Float.self)
    w3(Double.self)
}

// MARK: W4 — a deep scalar chain, x = x * 1.0001 + 0.0001, 10,000 times (20,000 nodes)

if shouldRun("W4") {
    let steps = 10_000
    let t = measure(reps: reps(30), warmup: 3) {
        let x0 = Tensor<Float>(1, requiresGrad: true)
        do {
            var x = x0
            for _ in 0..<steps { x = x * 1.0001 + 0.0001 }
            try! x.backward()
        }  // the graph is released inside the timing, as PyTorch's is
        blackHole(x0.grad)
    }
    report(Result(workload: "W4", dtype: "float32", metric: "time_per_node", values: t.map { $0 * 1e6 / Double(2 * steps) }, unit: "us"))
}

// MARK: W5 — matmul alone, engine vs its GEMM library called directly: float32 through
// `Float.gemm` (the seam's library, oneDNN or OpenBLAS as the meta line says, without the
// engine's tensors and graph), float64 through cblas_dgemm.

func w5<T: Scalar>(_: T.Type, n: Int, direct: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) {
    let flops = 2 * Double(n) * Double(n) * Double(n)
    let count = reps(n >= 2048 ? 20 : 30)
    let aData = uniform(n * n, -1, 1, seed: 7, as: T.self)
    let bData = uniform(n * n, -1, 1, seed: 8, as: T.self)
    let a = Tensor(shape: [n, n], scalars: aData)
    let b = Tensor(shape: [n, n], scalars: bData)
    var c = [T](repeating: 0, count: n * n)
    // Engine and direct calls alternate, so that both see the same machine load.
    let (engine, blas) = measurePair(reps: count, warmup: 2) {
        blackHole(a.matmul(b).value.data[0])
    } _: {
        aData.withUnsafeBufferPointer { ap in
            bData.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in direct(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!) }
            }
        }
    }
    let name = T.dtype.rawValue
    report(Result(workload: "W5", dtype: name, metric: "gflops", values: engine.map { flops / $0 / 1e9 }, unit: "GFLOP/s", size: n))
    report(Result(workload: "W5", dtype: name, metric: "gflops_direct_blas", values: blas.map { flops / $0 / 1e9 }, unit: "GFLOP/s", size: n))
}

if shouldRun("W5") {
    for n in [1024, 2048] {
        let m = blasint(n)
        w5(Float.self, n: n) { a, b, c in
            Float.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
        }
        w5(Double.self, n: n) { a, b, c in
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1, a, m, b, m, 0, c, m)
        }
    }
}

// MARK: W6 — a CNN step, float32, x [32, 3, 32, 32]: conv 3->32 k3 p1, relu, max_pool 2,
// conv 32->64 k3 p1, relu, max_pool 2, reshape [32, 4096], linear 4096->10, cross_entropy;
// the loss and every parameter's gradient (bench/pytorch_bench.py runs the same step).

func w6() {
    let batch = 32
    func parameter(_ shape: [Int], fanIn: Int, seed: UInt64) -> Tensor<Float> {
        let bound = 1 / Double(fanIn).squareRoot()
        return Tensor(shape: shape, scalars: uniform(shape.reduce(1, *), -bound, bound, seed: seed), requiresGrad: true)
    }
    let x = Tensor(shape: [batch, 3, 32, 32], scalars: uniform(batch * 3 * 32 * 32, -1, 1, seed: 60, as: Float.self))
    var g = SplitMix64(seed: 61)
    let labels = Tensor(shape: [batch], scalars: (0..<batch).map { _ in Float(Int(g.next() % 10)) })
    let w1 = parameter([32, 3, 3, 3], fanIn: 27, seed: 62), b1 = parameter([32], fanIn: 27, seed: 63)
    let w2 = parameter([64, 32, 3, 3], fanIn: 288, seed: 64), b2 = parameter([64], fanIn: 288, seed: 65)
    // The engine's linear keeps W as [in, out].
    let w3 = parameter([4096, 10], fanIn: 4096, seed: 66), b3 = parameter([10], fanIn: 4096, seed: 67)
    let params = [w1, b1, w2, b2, w3, b3]
    let t = measure(reps: reps(30), warmup: 3) {
        for p in params { p.zeroGrad() }
        var h = maxPool2d(relu(conv2d(x, w1, bias: b1, padding: .explicit([1]))), kernelSize: [2])
        h = maxPool2d(relu(conv2d(h, w2, bias: b2, padding: .explicit([1]))), kernelSize: [2])
        let loss = crossEntropy(linear(h.reshaped([batch, 4096]), w3, b3), labels)
        try! loss.backward()
        blackHole(loss.value)
    }
    report(Result(workload: "W6", dtype: "float32", metric: "time_per_step", values: t.map { $0 * 1e3 }, unit: "ms"))
}

if shouldRun("W6") { w6() }
// MARK: W8 — Hessian-vector product of the W2 MLP loss with respect to all six parameters
// (issue 12): forward, the create-graph backward pass and the second backward, answering
// what torch.autograd.functional.hvp answers (the loss and H·v); timed alternately with a
// W2 step of the same model. Also the gradient and H·v together (what /hvp answers by
// default), and /hvp in process with and without the gradients.

/// W8's model: W2's MLP and data as three `Linear` layers, and a direction for the HVP
/// (one deterministic vector per parameter, of its shape).
final class W8Model {
    let x: Tensor<Float>, labels: Tensor<Float>
    let layers: [Linear<Float>]
    let params: [Tensor<Float>]
    let vectors: [Tensor<Float>]

    init() {
        let d = MLPData<Float>()
        let sizes = MLPData<Float>.sizes
        x = Tensor(shape: [MLPData<Float>.batch, sizes[0]], scalars: d.x)
        labels = Tensor(shape: [MLPData<Float>.batch], scalars: d.labels)
        layers = (0..<3).map { l in
            Linear(
                W: Tensor(shape: [sizes[l], sizes[l + 1]], scalars: d.weights[l]),
                b: Tensor(shape: [sizes[l + 1]], scalars: d.biases[l]))
        }
        params = layers.flatMap(\.parameters)
        vectors = params.enumerated().map { i, p in
            Tensor(shape: p.shape, scalars: uniform(p.shape.reduce(1, *), -1, 1, seed: UInt64(80 + i), as: Float.self))
        }
    }

    func loss() -> Tensor<Float> { loss(params) }

    /// The loss as a function of the six parameters (W1, b1, W2, b2, W3, b3).
    func loss(_ p: [Tensor<Float>]) -> Tensor<Float> {
        let h1 = relu(linear(x, p[0], p[1]))
        let h2 = relu(linear(h1, p[2], p[3]))
        return crossEntropy(linear(h2, p[4], p[5]), labels)
    }

    /// H·v, one block per parameter, as `torch.autograd.functional.hvp(loss, params, v)`
    /// answers it (the loss's value and H·v; the forward pass included).
    func hvpOnce() throws -> [NDArray<Float>] {
        try hvp({ self.loss($0) }, at: params.map(\.value), vectors: vectors.map(\.value)).hvp
    }

    /// The gradient and H·v together (`hvp(of:wrt:vectors:)`, what `/hvp` answers).
    func hvpWithGradientOnce() throws -> (gradient: [Tensor<Float>], hvp: [Tensor<Float>]) {
        try hvp(of: loss(), wrt: params, vectors: vectors)
    }

    /// A W2 step of the same model: zero the gradients, forward, backward.
    func step() {
        for p in params { p.zeroGrad() }
        let l = loss()
        try! l.backward()
        blackHole(l.value)
    }
}

if shouldRun("W8") {
    let model = W8Model()
    do {
        let hv = try model.hvpOnce()
        precondition(hv.count == 6 && zip(hv, model.params).allSatisfy { $0.shape == $1.shape })
        // H·v as torch's hvp answers it, then with the gradient as well (what /hvp answers
        // by default), each alternately with a step.
        let calls: [(metric: String, step: String, body: () -> Void)] = [
            ("hvp_time", "w2_step_paired", { blackHole(try! model.hvpOnce()) }),
            ("hvp_with_gradient_time", "w2_step_paired_with_gradient", { blackHole(try! model.hvpWithGradientOnce()) }),
        ]
        for call in calls {
            let (t, step) = measurePair(reps: reps(30), warmup: 3, call.body) { model.step() }
            report(Result(workload: "W8", dtype: "float32", metric: call.metric, values: t.map { $0 * 1e3 }, unit: "ms"))
            report(Result(workload: "W8", dtype: "float32", metric: call.step, values: step.map { $0 * 1e3 }, unit: "ms"))
        }
    } catch {
        FileHandle.standardError.write("W8: hvp threw \(error); skipped\n".data(using: .utf8)!)
    }
    // The same through the graph format: W2's request body (base64 tensors) with the six
    // vectors, POST /hvp through GraphService.respond in-process (H·v and the gradients).
    var body = w2RequestBody(b64: true)
    while body.last == UInt8(ascii: "\n") || body.last == UInt8(ascii: "}") { body.removeLast() }
    var vectors = ", \"vectors\": {"
    for (i, (name, v)) in zip(["W1", "b1", "W2", "b2", "W3", "b3"], model.vectors).enumerated() {
        let bytes = v.value.data.withUnsafeBytes { Data($0) }
        vectors += (i == 0 ? "" : ", ") + "\"\(name)\": {\"shape\": \(v.shape), \"b64\": \"\(bytes.base64EncodedString())\"}"
    }
    let hvpOnly = body + Array((vectors + "}, \"gradients\": []}\n").utf8)
    body += Array((vectors + "}}\n").utf8)
    let service = GraphService()
    // With the gradients (the default) and without ("gradients": [], H·v alone, as a
    // Newton-CG client asks in its inner loop).
    for (request, metric) in [(body, "hvp_respond_b64"), (hvpOnly, "hvp_only_respond_b64")] {
        let first = service.respond(to: .hvp, body: request)
        guard first.status == 200 else {
            FileHandle.standardError.write("W8 /hvp in process (\(metric)): HTTP \(first.status); skipped\n".data(using: .utf8)!)
            continue
        }
        let t = measure(reps: reps(20), warmup: 1) { blackHole(service.respond(to: .hvp, body: request)) }
        report(Result(workload: "W8", dtype: "float32", metric: metric, values: t.map { $0 * 1e3 }, unit: "ms"))
    }
}

// MARK: W9 — a whole training step of the W2 MLP: zero the gradients, forward, backward and
// the optimizer's update, in process and through POST /train (issue 21)

/// W9's optimizers: torch.optim's at their defaults, SGD with lr 0.01 and momentum 0.9.
enum W9Optimizer: String, CaseIterable {
    case sgd, adam, adamw

    func make(_ parameters: [Tensor<Float>]) -> any Optimizer<Float> {
        switch self {
        case .sgd: SGD(parameters, lr: 0.01, momentum: 0.9)
        case .adam: Adam(parameters)
        case .adamw: AdamW(parameters)
        }
    }

    /// The same optimizer as /train's `optimizer` object.
    var wire: String {
        switch self {
        case .sgd: #"{"name": "sgd", "lr": 0.01, "momentum": 0.9}"#
        case .adam: #"{"name": "adam"}"#
        case .adamw: #"{"name": "adamw"}"#
        }
    }

    /// Parameter-sized arrays one update must move at least: SGD reads p, g and the momentum
    /// buffer and writes p and the buffer; Adam reads p, g, m, v and writes p, m, v.
    var arraysMoved: Int { self == .sgd ? 5 : 7 }
}

/// W9's model: W2's MLP and data as three `Linear` layers, with an optimizer of `kind`.
final class W9Model {
    let x: Tensor<Float>, labels: Tensor<Float>
    let layers: [Linear<Float>]
    let optimizer: any Optimizer<Float>

    init(_ kind: W9Optimizer) {
        let d = MLPData<Float>()
        let sizes = MLPData<Float>.sizes
        x = Tensor(shape: [MLPData<Float>.batch, sizes[0]], scalars: d.x)
        labels = Tensor(shape: [MLPData<Float>.batch], scalars: d.labels)
        layers = (0..<3).map { l in
            Linear(
                W: Tensor(shape: [sizes[l], sizes[l + 1]], scalars: d.weights[l]),
                b: Tensor(shape: [sizes[l + 1]], scalars: d.biases[l]))
        }
        optimizer = kind.make(layers.flatMap(\.parameters))
    }

    /// Zeroes the gradients, runs forward and backward; returns the loss.
    func forwardBackward() -> Tensor<Float> {
        optimizer.zeroGrad()
        let h1 = relu(layers[0](x))
        let h2 = relu(layers[1](h1))
        let loss = crossEntropy(layers[2](h2), labels)
        try! loss.backward()
        return loss
    }

    /// One whole training step.
    func step() {
        blackHole(forwardBackward().value)
        optimizer.step()
    }
}

/// Bytes per second of a 64 MiB memcpy (bytes read plus bytes written), the machine's
/// memory bandwidth as one thread sees it.
func memoryBandwidth() -> [Double] {
    let n = 64 << 20
    let src = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
    let dst = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
    defer { src.deallocate(); dst.deallocate() }
    memset(src, 1, n)
    memset(dst, 0, n)
    return measure(reps: reps(10), warmup: 2) { memcpy(dst, src, n) }.map { 2 * Double(n) / $0 }
}

if shouldRun("W9") {
    let d = MLPData<Float>()
    let bandwidth = memoryBandwidth()
    report(Result(workload: "W9", dtype: "float32", metric: "memory_bandwidth", values: bandwidth.map { $0 / 1e9 }, unit: "GB/s"))
    let parameterBytes = Double(d.weights.reduce(0) { $0 + $1.count } + d.biases.reduce(0) { $0 + $1.count }) * 4
    for kind in W9Optimizer.allCases {
        let model = W9Model(kind)
        // One step, timed in two parts: everything up to the update, and the update.
        func step() -> (time: Double, update: Double, allocations: UInt64, updateAllocations: UInt64) {
            let a0 = cbenchalloc_count(), t0 = now()
            let loss = model.forwardBackward()
            let a1 = cbenchalloc_count(), t1 = now()
            model.optimizer.step()
            let t2 = now(), a2 = cbenchalloc_count()
            blackHole(loss.value)
            return (Double(t2 - t0) / 1e9, Double(t2 - t1) / 1e9, a2 - a0, a2 - a1)
        }
        for _ in 0..<5 { _ = step() }
        let runs = (0..<reps(50)).map { _ in step() }
        let name = kind.rawValue
        func row(_ metric: String, _ values: [Double], _ unit: String) {
            var r = Result(workload: "W9", dtype: "float32", metric: metric, values: values, unit: unit)
            r.optimizer = name
            report(r)
        }
        row("time_per_step", runs.map { $0.time * 1e3 }, "ms")
        row("update", runs.map { $0.update * 1e3 }, "ms")
        row("update_bandwidth_bound", bandwidth.map { Double(kind.arraysMoved) * parameterBytes / $0 * 1e3 }, "ms")
        if cbenchalloc_active() != 0 {
            row("allocations_per_step", runs.map { Double($0.allocations) }, "mallocs")
            row("allocations_per_update", runs.map { Double($0.updateAllocations) }, "mallocs")
        }

        // POST /train in process (GraphService.respond): per step from the slope between a
        // 1-step and a 21-step request, timed alternately; base64 tensors.
        let service = GraphService()
        let one = w2RequestBody(b64: true, training: (kind, 1)), many = w2RequestBody(b64: true, training: (kind, 21))
        guard service.respond(to: .train, body: one).status == 200 else {
            FileHandle.standardError.write("W9 /train (\(name)): not 200; skipped\n".data(using: .utf8)!)
            continue
        }
        let (t1, t21) = measurePair(reps: reps(10), warmup: 1) {
            blackHole(service.respond(to: .train, body: one))
        } _: {
            blackHole(service.respond(to: .train, body: many))
        }
        row("train_respond_per_step", zip(t1, t21).map { ($1 - $0) / 20 * 1e3 }, "ms")
    }
}

// MARK: W7 — a pre-LN transformer block step, float32: tokens [8, 128], vocab 1000, d 256,
// 4 heads, FFN 1024: embedding, layer_norm, causal attention (q/k/v/out projections),
// residual, layer_norm, GELU MLP, residual, linear to the vocabulary, next-token
// cross_entropy; the loss and every parameter's gradient.

func w7() {
    let (batch, seq, vocab, d, heads, ffn) = (8, 128, 1000, 256, 4, 1024)
    var g = SplitMix64(seed: 7)
    // Sequences of seq + 1 tokens: the first seq are the input, the last seq the targets.
    var inputs: [Float] = [], next: [Float] = []
    for _ in 0..<batch {
        let row: [Float] = (0...seq).map { _ in Float(Int(g.next() % UInt64(vocab))) }
        inputs += row.dropLast()
        next += row.dropFirst()
    }
    let tokens = Tensor<Float>(shape: [batch, seq], scalars: inputs)
    let targets = Tensor<Float>(shape: [batch * seq], scalars: next)
    var seed: UInt64 = 70
    func param(_ shape: [Int], _ bound: Double) -> Tensor<Float> {
        seed += 1
        return Tensor(shape: shape, scalars: uniform(shape.reduce(1, *), -bound, bound, seed: seed), requiresGrad: true)
    }
    func ones(_ n: Int) -> Tensor<Float> { Tensor(shape: [n], scalars: [Float](repeating: 1, count: n), requiresGrad: true) }
    func zeros(_ n: Int) -> Tensor<Float> { Tensor(shape: [n], scalars: [Float](repeating: 0, count: n), requiresGrad: true) }
    let bd = 1 / Double(d).squareRoot(), bf = 1 / Double(ffn).squareRoot()
    let emb = param([vocab, d], 1)
    let ln1w = ones(d), ln1b = zeros(d), ln2w = ones(d), ln2b = zeros(d)
    let wq = param([d, d], bd), bq = param([d], bd), wk = param([d, d], bd), bk = param([d], bd)
    let wv = param([d, d], bd), bv = param([d], bd), wo = param([d, d], bd), bo = param([d], bd)
    let w1 = param([d, ffn], bd), b1 = param([ffn], bd), w2 = param([ffn, d], bf), b2 = param([d], bf)
    let wout = param([d, vocab], bd), bout = param([vocab], bd)
    let params = [emb, ln1w, ln1b, ln2w, ln2b, wq, bq, wk, bk, wv, bv, wo, bo, w1, b1, w2, b2, wout, bout]
    func splitHeads(_ x: Tensor<Float>) -> Tensor<Float> {
        x.reshaped([batch, seq, heads, d / heads]).transposed([0, 2, 1, 3])
    }
    let t = measure(reps: reps(20), warmup: 2) {
        for p in params { p.zeroGrad() }
        let h = embedding(emb, tokens)
        let a = layerNorm(h, normalizedShape: [d], weight: ln1w, bias: ln1b)
        let o = scaledDotProductAttention(
            splitHeads(linear(a, wq, bq)), splitHeads(linear(a, wk, bk)), splitHeads(linear(a, wv, bv)), isCausal: true)
        let h2 = h + linear(o.transposed([0, 2, 1, 3]).reshaped([batch, seq, d]), wo, bo)
        let m = layerNorm(h2, normalizedShape: [d], weight: ln2w, bias: ln2b)
        let h3 = h2 + linear(gelu(linear(m, w1, b1)), w2, b2)
        let logits = linear(h3, wout, bout).reshaped([batch * seq, vocab])
        let loss = crossEntropy(logits, targets)
        try! loss.backward()
        blackHole(loss.value)
    }
    report(Result(workload: "W7", dtype: "float32", metric: "time_per_step", values: t.map { $0 * 1e3 }, unit: "ms"))
}

if shouldRun("W7") { w7() }

// MARK: J1 — decoding the W2 request body (parse, decode, plan, tensors), MB/s

if shouldRun("J1") {
    let body = w2RequestBody(b64: false)
    let service = GraphService()
    var elements = 0
    let t = measure(reps: reps(20), warmup: 2) {
        do {
            elements = try service.decodeOnly(body: body).elements
        } catch {
            fatalError("J1: the W2 request does not decode: \(error)")
        }
    }
    precondition(elements == 128 * 784 + 128 + 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10)
    let mb = Double(body.count) / 1e6
    var r = Result(workload: "J1", dtype: "float32", metric: "decode_throughput", values: t.map { mb / $0 }, unit: "MB/s")
    r.bytes = body.count
    report(r)
}
