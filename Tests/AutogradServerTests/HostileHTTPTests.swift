import AutogradGraph
import Foundation
import Testing

/// The hostile-input table over real HTTP against the real binary: malformed bodies,
/// numbers and shapes, fields of every wrong JSON type, and every attribute of every op
/// (read from the server's own GET /ops) with values of the wrong type. Every answer is
/// the specified 4xx with a problem body, never a 500, and the server still answers
/// /healthz afterwards. Also: identical concurrent requests get identical bytes.
@Suite("hostile input over HTTP", .timeLimit(.minutes(3)))
struct HostileHTTPTests {
    struct Case {
        let label: String
        var path = "/backward"
        let body: [UInt8]
        let status: Int
        var pointers: [String]?
    }

    static func graph(tensors: String = #""x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#,
                      ops: String = #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#,
                      extra: String = #", "loss": "loss""#) -> String {
        #"{"tensors": {\#(tensors)}, "ops": [\#(ops)]\#(extra)}"#
    }

    static func c(_ label: String, _ body: String, _ status: Int, _ pointers: [String]?, path: String = "/backward") -> Case {
        Case(label: label, path: path, body: Array(body.utf8), status: status, pointers: pointers)
    }

    static var fixed: [Case] {
        let valid = Array(graph().utf8)
        let longName = String(repeating: "n", count: 1_000_000)
        var chain = [#"{"id": "o0", "op": "neg", "inputs": ["x"]}"#]
        for i in 1..<100_000 { chain.append(#"{"id": "o\#(i)", "op": "neg", "inputs": ["o\#(i - 1)"]}"#) }
        var cases: [Case] = [
            Case(label: "deep nesting (10^5 brackets)", body: Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8), status: 400),
            Case(label: "invalid UTF-8", body: Array(#"{"tensors": {""#.utf8) + [0xFF, 0xFE] + Array(#"": {"data": 1}}, "ops": []}"#.utf8), status: 400),
            Case(label: "NUL byte", body: valid + [0], status: 400),
            c("duplicate keys", #"{"tensors": {}, "ops": [], "ops": []}"#, 400, ["/ops"]),
            c("1e400 in data", graph(tensors: #""x": {"data": [[1, 1e400], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/data/0/1"]),
            c("negative dimension", graph(tensors: #""x": {"shape": [-2, 2], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x/shape/0"]),
            c("zero dimensions compute", graph(tensors: #""x": {"shape": [0, 2], "data": []}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#), 200, nil),
            c("2^62-element shape", graph(tensors: #""x": {"shape": [4611686018427387904], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x"]),
            c("empty tensor with 2^62 dimensions", graph(tensors: #""x": {"shape": [0, 4611686018427387904, 4611686018427387904], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/x"]),
            c("NaN as a dimension", graph(tensors: #""x": {"shape": ["NaN", 2], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/shape/0"]),
            c("Infinity as a dimension", graph(tensors: #""x": {"shape": [2, "Infinity"], "data": []}, "W": {"data": [[1, 2], [3, 4]]}"#), 400, ["/tensors/x/shape/1"]),
            c("matmul output over the limit", graph(tensors: #""x": {"shape": [16384, 1], "init": {"name": "ones"}}, "W": {"shape": [1, 16384], "init": {"name": "ones"}}"#, ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "W"]}"#, extra: ""), 422, ["/ops/0"]),
            c("init tensors over the limit together", graph(tensors: #""a": {"shape": [8192, 8190], "init": {"name": "zeros"}}, "b": {"shape": [8192, 8192], "init": {"name": "zeros"}}, "x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]]}"#), 422, ["/tensors/b"]),
            c("10^5 tiny ops", graph(tensors: #""x": {"data": 1.5, "requires_grad": true}"#, ops: chain.joined(separator: ","), extra: #", "loss": "o99999""#), 200, nil),
            c("a name of 10^6 characters", graph(tensors: #""\#(longName)": {"data": [1, 2], "requires_grad": true}"#, ops: #"{"id": "loss", "op": "sum", "inputs": ["\#(longName)"]}"#), 200, nil),
            c("an undefined name of 10^6 characters", graph(ops: #"{"id": "y", "op": "matmul", "inputs": ["x", "\#(longName)"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}"#), 422, ["/ops/0/inputs/1"]),
            c("class index 1e300", #"{"dtype": "float64", "tensors": {"z": {"data": [[1, 2]]}, "t": {"data": [1e300]}}, "ops": [{"id": "loss", "op": "cross_entropy", "inputs": ["z", "t"]}], "loss": "loss"}"#, 422, ["/ops/0/inputs/1"]),
            c("steps over the limit", graph(extra: #", "loss": "loss", "optimizer": {"name": "sgd"}, "steps": 10000000000"#), 422, ["/steps"], path: "/train"),
        ]
        for n in stride(from: 0, to: valid.count, by: 13) {
            cases.append(Case(label: "truncated at \(n)", body: Array(valid[..<n]), status: 400))
        }
        let kinds = [("null", "null"), ("boolean", "true"), ("number", "1"), ("string", #""s""#), ("array", "[]"), ("object", "{}")]
        for (field, accepts) in [("dtype", ["string"]), ("tensors", ["object"]), ("ops", ["array"]), ("loss", ["string", "null"]), ("seed", ["object"]), ("outputs", ["array", "null"]), ("gradients", ["array", "null"])] {
            for (kind, json) in kinds where !accepts.contains(kind) {
                var body = #"{"tensors": {"x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}}, "ops": [{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss"}"#
                body = String(body.dropLast()) + (field == "tensors" || field == "ops" || field == "loss"
                    ? "" : #", "\#(field)": \#(json)"#) + "}"
                if field == "tensors" { body = body.replacingOccurrences(of: #"{"x": {"data": [[1, 2], [3, 4]]}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}}"#, with: json) }
                if field == "ops" { body = body.replacingOccurrences(of: #"[{"id": "y", "op": "matmul", "inputs": ["x", "W"]}, {"id": "loss", "op": "sum", "inputs": ["y"]}]"#, with: json) }
                if field == "loss" { body = body.replacingOccurrences(of: #""loss": "loss"}"#, with: #""loss": \#(json)}"#) }
                cases.append(Case(label: "\(field) as \(kind)", body: Array(body.utf8), status: 400, pointers: nil))
            }
        }
        for (field, accepts, rest) in [("data", ["number", "array"], ""), ("shape", ["array"], #", "data": [1, 2, 3, 4]"#), ("requires_grad", ["boolean"], #", "data": [[1, 2], [3, 4]]"#), ("init", ["object"], #", "shape": [2, 2]"#)] {
            for (kind, json) in kinds where !accepts.contains(kind) {
                cases.append(c("tensor \(field) as \(kind)", graph(tensors: #""x": {"\#(field)": \#(json)\#(rest)}, "W": {"data": [[1, 2], [3, 4]], "requires_grad": true}"#), 400, ["/tensors/x/" + field]))
            }
        }
        for (field, accepts) in [("id", ["string"]), ("op", ["string"]), ("inputs", ["array"]), ("attrs", ["object", "null"])] {
            for (kind, json) in kinds where !accepts.contains(kind) {
                var members = ["id": #""y""#, "op": #""matmul""#, "inputs": #"["x", "W"]"#]
                members[field] = json
                let op = "{" + members.sorted { $0.key < $1.key }.map { #""\#($0.key)": \#($0.value)"# }.joined(separator: ", ") + "}"
                cases.append(c("op \(field) as \(kind)", graph(ops: op + #", {"id": "loss", "op": "sum", "inputs": ["x"]}"#), 400, ["/ops/0/" + field]))
            }
        }
        return cases
    }

    /// Every attribute of every op the server lists, given an object (never an attribute
    /// value) and a nested array: 422 at `/ops/0/attrs/NAME`.
    static func attributeCases(catalog: JSONValue) -> [Case] {
        var cases: [Case] = []
        for op in catalog["ops"]?.arrayValue ?? [] {
            guard let name = op["name"]?.stringValue, let arity = op["arity"]?["min"]?.numberValue?.exactInt else { continue }
            let inputs = (0..<arity).map { #""a\#($0)""# }.joined(separator: ", ")
            let tensors = (0..<arity).map { #""a\#($0)": {"data": [[1, 2], [3, 4]]}"# }.joined(separator: ", ")
            for attribute in op["attributes"]?.arrayValue ?? [] {
                guard let a = attribute["name"]?.stringValue else { continue }
                for (label, json) in [("object", #"{"a": 1}"#), ("nested array", "[[1]]"), ("array of strings", #"["a"]"#)] {
                    let body = graph(tensors: tensors, ops: #"{"id": "y", "op": "\#(name)", "inputs": [\#(inputs)], "attrs": {"\#(a)": \#(json)}}"#, extra: "")
                    cases.append(Case(label: "\(name) \(a) as \(label)", path: "/forward", body: Array(body.utf8), status: 422, pointers: ["/ops/0/attrs/\(a)"]))
                }
            }
        }
        return cases
    }

    /// A POST with a generous timeout: the largest cases (10^5 ops, 10^6-character names)
    /// and 200 queued requests take seconds in a debug build.
    static func post(port: Int, path: String, body: [UInt8]) throws -> HTTPResponse {
        let connection = try RawHTTPConnection(port: port, timeoutSeconds: 60)
        connection.send(Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
        return try connection.readResponse()
    }

    @Test func everyHostileRequestGetsItsProblemAndTheServerStaysUp() throws {
        // The 10^5-op chain takes seconds in a debug build on a busy machine: no timeout
        // may turn its 200 into a 503 here (the timeout has its own test below).
        let server = try ServerProcess(arguments: ["--request-timeout", "600"])
        let catalog = try JSONParser.parse(try HTTP.request(port: server.port, method: "GET", path: "/ops").body)
        let attributeCases = Self.attributeCases(catalog: catalog)
        #expect(attributeCases.count >= 60)
        let cases = Self.fixed + attributeCases
        #expect(cases.count > 150)
        for c in cases {
            let r = try Self.post(port: server.port, path: c.path, body: c.body)
            let text = String(decoding: r.body.prefix(400), as: UTF8.self)
            #expect(r.status == c.status, "\(c.label): \(text)")
            #expect(r.status < 500, "\(c.label)")
            if c.status == 200 {
                #expect(r.header("Content-Type") == "application/json", "\(c.label)")
                continue
            }
            #expect(r.header("Content-Type") == "application/problem+json", "\(c.label)")
            let problem = try JSONParser.parse(r.body)
            #expect(problem["status"]?.numberValue?.exactInt == r.status, "\(c.label)")
            #expect(problem["detail"]?.stringValue?.isEmpty == false, "\(c.label)")
            if let expected = c.pointers {
                let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
                #expect(pointers == expected, "\(c.label): \(text)")
            }
        }
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/healthz").status == 200)
        #expect(server.process.isRunning)
    }

    @Test func aRequestOverTheTimeoutStopsAndAnswers503() throws {
        let server = try ServerProcess(arguments: ["--request-timeout", "0.1"])
        // 200 products of 512×512 matrices (54 GFLOP): far beyond what 2 cores do in 0.1 s
        // (0.5 s was within reach of a quiet machine with fast BLAS), stopped after 0.1 s.
        var ops = [#"{"id": "h0", "op": "matmul", "inputs": ["x", "W"]}"#]
        for i in 1..<200 { ops.append(#"{"id": "h\#(i)", "op": "matmul", "inputs": ["h\#(i - 1)", "W"]}"#) }
        let body = Array((#"{"tensors": {"x": {"shape": [512, 512], "init": {"name": "zeros"}}, "W": {"shape": [512, 512], "init": {"name": "zeros"}}}, "ops": ["#
            + ops.joined(separator: ", ") + "]}").utf8)
        let start = Date()
        let r = try Self.post(port: server.port, path: "/forward", body: body)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(r.status == 503)
        #expect(r.header("Content-Type") == "application/problem+json")
        let detail = try JSONParser.parse(r.body)["detail"]?.stringValue ?? ""
        #expect(detail.contains("request timeout of 0.1 s"), "\(detail)")
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/healthz").status == 200)
        // A small request still computes in time.
        #expect(try HTTP.postJSON(port: server.port, path: "/backward", body: Array(Self.graph().utf8)).status == 200)
    }

    @Test func twoHundredConcurrentCopiesOfAFloat32RequestGetIdenticalBytes() throws {
        // All 200 must be computed, none refused: a queue that holds them all, where the
        // server has the flag (it bounds the queue, 64 by default).
        let help = ReliabilityHelp.text()
        let server = try ServerProcess(arguments: help.contains("--max-queue") ? ["--max-queue", "256"] : [])
        // Enough work per request (a 64-wide MLP with a softmax cross-entropy) for the
        // computations to overlap on every core.
        let body = Array(#"{"dtype": "float32", "tensors": {"x": {"shape": [64, 64], "init": {"name": "normal", "seed": 7}}, "W1": {"shape": [64, 64], "init": {"name": "kaiming_uniform", "seed": 8}, "requires_grad": true}, "W2": {"shape": [64, 10], "init": {"name": "kaiming_uniform", "seed": 9}, "requires_grad": true}, "t": {"shape": [64, 10], "init": {"name": "uniform", "seed": 10}}}, "ops": [{"id": "h", "op": "matmul", "inputs": ["x", "W1"]}, {"id": "a", "op": "tanh", "inputs": ["h"]}, {"id": "z", "op": "matmul", "inputs": ["a", "W2"]}, {"id": "p", "op": "softmax", "inputs": ["t"]}, {"id": "loss", "op": "cross_entropy", "inputs": ["z", "p"]}], "loss": "loss"}"#.utf8)
        let port = server.port
        let responses = try inParallel(200, timeout: 120) { _ in
            try Self.post(port: port, path: "/backward", body: body)
        }
        let first = try #require(responses.first)
        #expect(first.status == 200, "\(first.bodyText.prefix(300))")
        #expect(first.body.count > 1000)
        let distinct = Set(responses.map { $0.body })
        #expect(distinct.count == 1, "\(distinct.count) different answers")
        #expect(responses.allSatisfy { $0.status == 200 })
    }
}

/// The binary's `--help`, to pass only flags it has.
enum ReliabilityHelp {
    static func text() -> String {
        guard let url = try? ServerProcess.binaryURL() else { return "" }
        let p = Process()
        p.executableURL = url
        p.arguments = ["--help"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        guard (try? p.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
