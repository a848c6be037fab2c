// A libFuzzer target over the whole request path: JSON parser, decoder, validator, plan
// and executor, with small limits so each input runs in microseconds. Every input goes to
// every endpoint the service has (/backward, /forward, /train, /jvp, /hvp, and any added later); the
// answer must be 200 or a 4xx/503 problem, and a JSON answer must parse. Anything else,
// and any trap or sanitizer report, is a finding.
//
// `make fuzz` builds it with `-sanitize=fuzzer,address -DFUZZING` (libFuzzer supplies
// `main`); a plain `swift build` makes a replayer instead: `autograd-fuzz FILE...` runs
// each file through the same checks (a crash found by the fuzzer replays under a debugger).
//
// With AUTOGRAD_FUZZ_INPUT=gzip every input is a body sent with `Content-Encoding: gzip`
// (`make fuzz` runs this mode second, on Fuzz/gzip-corpus): see `checkGzip`. With
// AUTOGRAD_FUZZ_INPUT=onnx every input is the bytes of an ONNX ModelProto (third, on
// Fuzz/onnx-corpus): see `checkONNX` in ONNXFuzz.swift. With AUTOGRAD_FUZZ_INPUT=framing
// every input is a connection's byte stream (fourth, on Fuzz/framing-corpus): see
// `checkFraming` in FramingFuzz.swift.
import AutogradGraph
import AutogradONNX
import GzipCoding
import SwiftProtobuf

#if canImport(Glibc)
import Glibc
#endif

/// A service with the fuzzing limits, as the server runs it: requests may carry an ONNX model.
func makeService() -> GraphService {
    var limits = GraphLimits()
    limits.maxElements = 1 << 12
    limits.maxOps = 256
    limits.maxTrainSteps = 16
    limits.requestTimeoutSeconds = 2
    return GraphService(limits: limits, importer: ONNXImporter())
}

let service = makeService()

/// Runs one input through every endpoint and checks the answers' invariants.
func check(_ body: [UInt8], on service: GraphService = service) {
    for endpoint in Endpoint.allCases { _ = verify(endpoint, body, on: service) }
}

/// `body`'s answer from `endpoint`, after checking its invariants: 200 or a 4xx/503
/// problem, with the content type it says, and JSON that parses (returned, else nil).
@discardableResult
func verify(_ endpoint: Endpoint, _ body: [UInt8], on service: GraphService = service) -> (status: Int, json: JSONValue?) {
    let r = service.respond(to: endpoint, body: body)
    switch r.status {
    case 200:
        // The graph endpoints answer JSON; others (POST /graph: Graphviz DOT) their own type.
        let json = endpoint != .graph
        guard !json || r.contentType == "application/json" else { fail(endpoint, r, "200 without application/json") }
        guard !r.body.isEmpty else { fail(endpoint, r, "an empty 200") }
    case 400, 413, 422, 503:
        guard r.contentType == "application/problem+json" else { fail(endpoint, r, "a problem without application/problem+json") }
    default:
        fail(endpoint, r, "unexpected status")
    }
    guard r.contentType.hasSuffix("json") else { return (r.status, nil) }
    do {
        return (r.status, try JSONParser.parse(r.body, maxDepth: 64))
    } catch {
        fail(endpoint, r, "the answer is not valid JSON: \(error.message)")
    }
}

/// The server's inflater on one gzip body, as the server runs it: the body whole and in
/// pieces (sizes taken from the input) must end the same way; the output never passes the
/// limit; what inflates compresses back (the answer encoder) and inflates to itself; and
/// the inflated body goes through every endpoint like any other (`check`).
func checkGzip(_ body: [UInt8]) {
    let limit = 1 << 16
    let whole = inflate(body, limit: limit, piece: max(1, body.count))
    let pieces = inflate(body, limit: limit, piece: 1 + Int(body.last ?? 0) % 97)
    // (What a failing body yielded before it failed depends on where the pieces end.)
    guard whole.kind == pieces.kind, whole.kind != "ok" || whole.bytes == pieces.bytes else {
        fatalError("gzip: whole \(whole.kind) but in pieces \(pieces.kind)")
    }
    guard whole.bytes.count <= limit, pieces.bytes.count <= limit else {
        fatalError("gzip: \(max(whole.bytes.count, pieces.bytes.count)) bytes inflated past the limit \(limit)")
    }
    guard whole.kind == "ok" else { return }
    guard let again = Gzip.compress(whole.bytes, level: 1) else { fatalError("gzip: the encoder failed") }
    let round = inflate(again, limit: limit, piece: again.count)
    guard round.kind == "ok", round.bytes == whole.bytes else { fatalError("gzip: the answer encoder does not round-trip") }
    check(whole.bytes)
}

/// How `body` inflates fed `piece` bytes at a time: "ok", or the failure's case, and the output.
func inflate(_ body: [UInt8], limit: Int, piece: Int) -> (kind: String, bytes: [UInt8]) {
    let inflater = GzipInflater(limit: limit)
    var out: [UInt8] = []
    do {
        var start = 0
        while start < body.count {
            let end = min(body.count, start + piece)
            try body.withUnsafeBytes { raw in
                try inflater.append(UnsafeRawBufferPointer(rebasing: raw[start..<end]), to: &out)
            }
            start = end
        }
        try inflater.finish()
        return ("ok", out)
    } catch GzipInflater.Failure.tooLarge {
        return ("tooLarge", out)
    } catch GzipInflater.Failure.corrupt {
        return ("corrupt", out)
    } catch {
        return ("truncated", out)
    }
}

let fuzzInput = getenv("AUTOGRAD_FUZZ_INPUT").map { String(cString: $0) } ?? "json"

/// One input in the mode AUTOGRAD_FUZZ_INPUT names: a JSON body, a gzip body, an ONNX model,
/// a connection's byte stream (FramingFuzz.swift).
func checkInput(_ bytes: [UInt8]) {
    switch fuzzInput {
    case "gzip": checkGzip(bytes)
    case "onnx": checkONNX(bytes)
    case "framing": checkFraming(bytes)
    default: check(bytes)
    }
}

func fail(_ endpoint: Endpoint, _ r: Response, _ why: String) -> Never {
    fatalError("/\(endpoint.rawValue): \(why): status \(r.status): \(String(decoding: r.body.prefix(500), as: UTF8.self))")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    checkInput(bytes)
    return 0
}

#if !FUZZING
@main
struct Replay {
    static func main() {
        let paths = Array(CommandLine.arguments.dropFirst())
        guard !paths.isEmpty else {
            print("usage: autograd-fuzz FILE...  (replays inputs; `make fuzz` builds the libFuzzer target)")
            exit(2)
        }
        for path in paths {
            guard let f = fopen(path, "rb") else {
                print("cannot open \(path)")
                exit(1)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&chunk, 1, chunk.count, f)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            fclose(f)
            checkInput(bytes)
        }
        print("replayed \(paths.count) inputs: no finding")
    }
}
#endif
