import AutogradGraph
import AutogradONNX
import Foundation
import SwiftProtobuf
import Testing

/// The gradients of the CNN and transformer operators' mappings where ONNX and the engine
/// differ (asymmetric pads as an explicit pad or a crop, AveragePool's count_include_pad =
/// 0 by a ratio of pools, 1-D over a height of 1, Slice's negative steps as a take, Split,
/// Expand, a broadcast LayerNormalization scale, BatchNormalization's training mode): each
/// one-node DOUBLE model's `/backward` gradients against central differences of its
/// `/forward` loss, for the input and every initializer. The loss is sum(y * r) with a
/// fixed random r, so that every element of the gradient is checked.
@Suite("ONNX mapping gradients")
struct ONNXGradientTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let x: [Int]
        let op: String
        var inputs: [String] = ["x"]
        var weights: [(name: String, shape: [Int])] = []
        var ints: [String: [Int64]] = [:]
        var strings: [String: String] = [:]
        var constants: [(name: String, values: [Int64])] = []
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "Conv, pads begin != end, stride 2", x: [1, 2, 5, 6], op: "Conv", inputs: ["x", "w", "b"],
             weights: [("w", [3, 2, 3, 2]), ("b", [3])], ints: ["pads": [0, 1, 1, 0], "strides": [2, 2]]),
        Case(label: "Conv 1-D, SAME_LOWER, dilation 2", x: [2, 2, 7], op: "Conv", inputs: ["x", "w"],
             weights: [("w", [2, 2, 2])], ints: ["dilations": [2]], strings: ["auto_pad": "SAME_LOWER"]),
        Case(label: "ConvTranspose, asymmetric pads and output_padding, bias", x: [1, 2, 3, 3], op: "ConvTranspose", inputs: ["x", "w", "b"],
             weights: [("w", [2, 3, 3, 3]), ("b", [3])], ints: ["pads": [1, 0, 0, 2], "strides": [2, 2], "output_padding": [1, 1]]),
        Case(label: "ConvTranspose 1-D, output_shape, groups 2", x: [1, 4, 3], op: "ConvTranspose", inputs: ["x", "w"],
             weights: [("w", [4, 1, 3])], ints: ["strides": [2], "output_shape": [8], "group": [2]]),
        Case(label: "MaxPool, pads begin != end, ceil_mode", x: [1, 2, 5, 5], op: "MaxPool",
             ints: ["kernel_shape": [3, 2], "strides": [2, 2], "pads": [2, 0, 0, 1], "ceil_mode": [1]]),
        Case(label: "AveragePool, count_include_pad 0, asymmetric pads", x: [1, 2, 5, 4], op: "AveragePool",
             ints: ["kernel_shape": [3, 3], "strides": [2, 1], "pads": [1, 0, 2, 1]]),
        Case(label: "AveragePool 1-D, SAME_UPPER, count_include_pad 1", x: [2, 3, 6], op: "AveragePool",
             ints: ["kernel_shape": [4], "strides": [2], "count_include_pad": [1]], strings: ["auto_pad": "SAME_UPPER"]),
        Case(label: "Slice, negative and positive steps", x: [3, 4, 5], op: "Slice", inputs: ["x", "starts", "ends", "axes", "steps"],
             constants: [("starts", [-1, 1]), ("ends", [-100, 5]), ("axes", [0, 2]), ("steps", [-2, 3])]),
        Case(label: "Expand both ways", x: [3, 1], op: "Expand", inputs: ["x", "shape"], constants: [("shape", [2, 1, 4])]),
        Case(label: "LayerNormalization, axis 1, broadcast scale and bias", x: [2, 3, 4], op: "LayerNormalization", inputs: ["x", "s", "b"],
             weights: [("s", [4]), ("b", [1, 4])], ints: ["axis": [1]]),
        Case(label: "BatchNormalization, training_mode", x: [3, 2, 2], op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"],
             weights: [("s", [2]), ("b", [2])], ints: ["training_mode": [1]]),
        Case(label: "AveragePool dilated, count_include_pad 0, pads", x: [1, 2, 6, 5], op: "AveragePool",
             ints: ["kernel_shape": [2, 3], "dilations": [2, 1], "pads": [1, 1, 0, 2]]),
        Case(label: "AveragePool 1-D dilated, count_include_pad 1, stride 2", x: [2, 2, 9], op: "AveragePool",
             ints: ["kernel_shape": [3], "dilations": [3], "strides": [2], "pads": [2, 1], "count_include_pad": [1]]),
        Case(label: "AveragePool dilated, ceil_mode, count_include_pad 1", x: [1, 1, 7, 6], op: "AveragePool",
             ints: ["kernel_shape": [2, 2], "dilations": [2, 2], "strides": [2, 3], "pads": [1, 0, 0, 0], "ceil_mode": [1], "count_include_pad": [1]]),
        Case(label: "Pad reflect", x: [3, 4], op: "Pad", inputs: ["x", "pads"], strings: ["mode": "reflect"], constants: [("pads", [2, 1, 1, 3])]),
        Case(label: "Pad edge", x: [2, 3], op: "Pad", inputs: ["x", "pads"], strings: ["mode": "edge"], constants: [("pads", [0, 2, 1, 1])]),
        Case(label: "Pad wrap, wider than the axis", x: [3, 2], op: "Pad", inputs: ["x", "pads"], strings: ["mode": "wrap"], constants: [("pads", [4, 1, 0, 3])]),
    ] + einsumCases

    static let einsumCases: [Case] = [
        Case(label: "Einsum bij,bjk->bik", x: [2, 3, 4], op: "Einsum", inputs: ["x", "w"], weights: [("w", [2, 4, 5])], strings: ["equation": "bij, bjk -> bik"]),
        Case(label: "Einsum bhid,bhjd->bhij", x: [1, 2, 3, 4], op: "Einsum", inputs: ["x", "w"], weights: [("w", [1, 2, 5, 4])], strings: ["equation": "bhid,bhjd->bhij"]),
        Case(label: "Einsum ijk,jl->li (k summed alone)", x: [2, 3, 4], op: "Einsum", inputs: ["x", "w"], weights: [("w", [3, 5])], strings: ["equation": "ijk,jl->li"]),
        Case(label: "Einsum i,i (implicit: inner product)", x: [5], op: "Einsum", inputs: ["x", "w"], weights: [("w", [5])], strings: ["equation": "i,i"]),
        Case(label: "Einsum ij->ji", x: [3, 4], op: "Einsum", strings: ["equation": "ij->ji"]),
        Case(label: "Einsum ab,bc,cd->ad", x: [2, 3], op: "Einsum", inputs: ["x", "w", "v"], weights: [("w", [3, 4]), ("v", [4, 2])], strings: ["equation": "ab,bc,cd->ad"]),
        Case(label: "Einsum ii->i (diagonal)", x: [3, 3], op: "Einsum", strings: ["equation": "ii->i"]),
        Case(label: "Einsum ii (implicit: trace)", x: [4, 4], op: "Einsum", strings: ["equation": "ii"]),
        Case(label: "Einsum iji,jk->ik (diagonal, then a product)", x: [3, 2, 3], op: "Einsum", inputs: ["x", "w"], weights: [("w", [2, 4])], strings: ["equation": "iji,jk->ik"]),
        Case(label: "Einsum ...ii->...i (batched diagonal)", x: [2, 3, 3], op: "Einsum", strings: ["equation": "...ii->...i"]),
        Case(label: "Einsum ...ij,...jk->...ik", x: [2, 3, 4], op: "Einsum", inputs: ["x", "w"], weights: [("w", [2, 4, 5])], strings: ["equation": "...ij,...jk->...ik"]),
        Case(label: "Einsum b...,...c (implicit, ellipsis of rank 0 and 1)", x: [3, 2], op: "Einsum", inputs: ["x", "w"], weights: [("w", [2, 4])], strings: ["equation": "b...,...c"]),
    ]

    /// Einsum by its definition: every assignment of the letters, the product of the
    /// operands' elements added into the output's.
    static func naiveEinsum(_ equation: String, _ operands: [(shape: [Int], data: [Double])]) -> [Double] {
        var text = equation.filter { !$0.isWhitespace }
        // An ellipsis: upper-case letters, aligned from the right (the cases use lower-case ones).
        if text.contains("...") {
            let written = text.components(separatedBy: "->")[0].split(separator: ",", omittingEmptySubsequences: false)
            let ranks = zip(written, operands).map { t, o in t.contains("...") ? o.shape.count - (t.count - 3) : 0 }
            let fresh = Array("ABCDEFGH".prefix(ranks.max() ?? 0))
            var parts = zip(written, ranks).map { t, e in t.replacingOccurrences(of: "...", with: String(fresh.suffix(e))) }.joined(separator: ",")
            let sides = text.components(separatedBy: "->")
            if sides.count == 2 {
                parts += "->" + sides[1].replacingOccurrences(of: "...", with: String(fresh))
            } else {
                let all = parts.filter(\.isLetter)
                parts += "->" + String(fresh) + String(all.filter { c in c.isLowercase && all.filter { $0 == c }.count == 1 }.sorted())
            }
            text = parts
        }
        let sides = text.components(separatedBy: "->")
        let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        var size: [Character: Int] = [:]
        for (t, o) in zip(terms, operands) { for (c, d) in zip(t, o.shape) { size[c] = d } }
        let output = sides.count == 2 ? Array(sides[1]) : terms.joined().filter { c in terms.joined().filter { $0 == c }.count == 1 }.sorted()
        let letters = size.keys.sorted()
        var result = [Double](repeating: 0, count: output.reduce(1) { $0 * size[$1]! })
        var index = [Character: Int]()
        func flat(_ t: [Character], _ shape: [Int]) -> Int { zip(t, shape).reduce(0) { $0 * $1.1 + index[$1.0]! } }
        func visit(_ k: Int) {
            if k == letters.count {
                var p = 1.0
                for (t, o) in zip(terms, operands) { p *= o.data[flat(t, o.shape)] }
                result[flat(output, output.map { size[$0]! })] += p
                return
            }
            for i in 0..<size[letters[k]]! {
                index[letters[k]] = i
                visit(k + 1)
            }
        }
        visit(0)
        return result
    }

    @Test(arguments: einsumCases)
    func einsumForwardIsTheDefinition(_ c: Case) throws {
        let model = try Self.model(c)
        let x = Self.values(c.x.reduce(1, *), seed: 7)
        let (status, doc) = try ONNXImportTests.respond(Self.body(model, x: x, shape: c.x, r: nil, rShape: []), .forward)
        try #require(status == 200, "\(doc)")
        var operands = [(shape: c.x, data: x)]
        for (i, w) in c.weights.enumerated() { operands.append((w.shape, Self.values(w.shape.reduce(1, *), seed: UInt64(100 + i)))) }
        let expected = Self.naiveEinsum(c.strings["equation"] ?? "", operands)
        let got = ONNXFixture.numbers(doc["outputs"]?["y"]?["data"])
        try #require(got.count == expected.count, "\(got) vs \(expected)")
        for i in got.indices { #expect(abs(got[i] - expected[i]) <= 1e-12 + 1e-12 * abs(expected[i]), "\(c.label)[\(i)]") }
    }

    /// Deterministic values in [-1, 1) (a linear congruential generator).
    static func values(_ n: Int, seed: UInt64) -> [Double] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Double(s >> 11) / Double(1 << 53) * 2 - 1
        }
    }

    static func model(_ c: Case) throws -> String {
        var g = Onnx_GraphProto()
        g.input = [ONNXImportTests.valueInfo("x", c.x.map { Int64($0) }, type: 11)]
        var node = ONNXImportTests.node(c.op, c.inputs, ["y"])
        for (k, v) in c.ints.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto()
            a.name = k
            if ["kernel_shape", "strides", "pads", "dilations", "output_padding", "output_shape"].contains(k) {
                a.type = .ints
                a.ints = v
            } else {
                a.type = .int
                a.i = v[0]
            }
            node.attribute.append(a)
        }
        for (k, v) in c.strings {
            var a = Onnx_AttributeProto()
            a.name = k
            a.type = .string
            a.s = Data(v.utf8)
            node.attribute.append(a)
        }
        g.node = [node]
        for (i, w) in c.weights.enumerated() {
            var t = Onnx_TensorProto()
            t.name = w.name
            t.dims = w.shape.map { Int64($0) }
            t.dataType = 11
            t.doubleData = values(w.shape.reduce(1, *), seed: UInt64(100 + i))
            g.initializer.append(t)
        }
        if c.op == "BatchNormalization" {
            for (name, fill) in [("m", 0.0), ("v", 1.0)] {
                var t = Onnx_TensorProto()
                t.name = name
                t.dims = [2]
                t.dataType = 11
                t.doubleData = [fill, fill]
                g.initializer.append(t)
            }
        }
        for (name, v) in c.constants { g.initializer.append(ONNXImportTests.intTensor(name, [Int64(v.count)], v)) }
        return try ONNXImportTests.b64(g, opset: 18)
    }

    static func body(_ model: String, x: [Double], shape: [Int], r: [Double]?, rShape: [Int], overrides: [String: ([Int], [Double])] = [:]) -> [UInt8] {
        var tensors = #""x": {"shape": \#(shape), "data": \#(x), "requires_grad": true}"#
        for (k, v) in overrides.sorted(by: { $0.key < $1.key }) { tensors += #", "\#(k)": {"shape": \#(v.0), "data": \#(v.1)}"# }
        var ops = "[]", tail = #", "outputs": ["y"]"#
        if let r {
            tensors += #", "r": {"shape": \#(rShape), "data": \#(r)}"#
            ops = #"[{"id": "p", "op": "mul", "inputs": ["y", "r"]}, {"id": "loss", "op": "sum", "inputs": ["p"]}]"#
            tail = #", "loss": "loss", "outputs": ["loss"]"#
        }
        return Array(#"{"dtype": "float64", "onnx": {"b64": "\#(model)"}, "tensors": {\#(tensors)}, "ops": \#(ops)\#(tail)}"#.utf8)
    }

    @Test(arguments: cases)
    func gradientsMatchCentralDifferences(_ c: Case) throws {
        let model = try Self.model(c)
        let x = Self.values(c.x.reduce(1, *), seed: 7)
        // y's shape, for r.
        let probe = try ONNXImportTests.respond(Self.body(model, x: x, shape: c.x, r: nil, rShape: []), .forward)
        try #require(probe.status == 200, "\(probe.doc)")
        let yShape = ONNXFixture.numbers(probe.doc["outputs"]?["y"]?["shape"]).map { Int($0) }
        let r = Self.values(yShape.reduce(1, *), seed: 11)
        let (status, doc) = try ONNXImportTests.respond(Self.body(model, x: x, shape: c.x, r: r, rShape: yShape))
        try #require(status == 200, "\(doc)")

        var weights: [String: [Double]] = [:]
        for (i, w) in c.weights.enumerated() { weights[w.name] = Self.values(w.shape.reduce(1, *), seed: UInt64(100 + i)) }
        func loss(x: [Double], overrides: [String: ([Int], [Double])]) throws -> Double {
            let body = Self.body(model, x: x, shape: c.x, r: r, rShape: yShape, overrides: overrides)
            let (s, d) = try ONNXImportTests.respond(body, .forward)
            guard s == 200, let v = ONNXFixture.numbers(d["outputs"]?["loss"]?["data"]).first else { throw ONNXTestFailure("\(d)") }
            return v
        }
        let h = 1e-6
        var checked = 0
        for name in ["x"] + c.weights.map(\.name) {
            let base = name == "x" ? x : weights[name] ?? []
            let analytic = ONNXFixture.numbers(doc["gradients"]?[name]?["data"])
            try #require(analytic.count == base.count, "\(name): \(doc["gradients"]?.objectValue?.keys ?? [])")
            for i in base.indices {
                var plus = base, minus = base
                plus[i] += h
                minus[i] -= h
                let numeric: Double
                if name == "x" {
                    numeric = (try loss(x: plus, overrides: [:]) - loss(x: minus, overrides: [:])) / (2 * h)
                } else {
                    let shape = c.weights.first { $0.name == name }?.shape ?? []
                    numeric = (try loss(x: x, overrides: [name: (shape, plus)]) - loss(x: x, overrides: [name: (shape, minus)])) / (2 * h)
                }
                #expect(abs(analytic[i] - numeric) <= 1e-6 + 1e-5 * abs(numeric), "\(c.label): d\(name)[\(i)] \(analytic[i]) vs \(numeric)")
                checked += 1
            }
            // A zero gradient everywhere would pass nothing above; it must carry the signal.
            #expect(analytic.contains { abs($0) > 1e-3 }, "\(c.label): d\(name) is all zero")
        }
        #expect(checked >= c.x.reduce(1, *))
    }

    /// ConstantOfShape, Range and Size are values at import: their outputs, and a Range
    /// whose limit is a float graph input given without requires_grad.
    @Test func constantOfShapeRangeAndSizeAreComputedAtImport() throws {
        var g = Onnx_GraphProto()
        g.input = [ONNXImportTests.valueInfo("x", [2, 3], type: 11), ONNXImportTests.valueInfo("limit", [], type: 11)]
        var fill = Onnx_AttributeProto()
        fill.name = "value"
        fill.type = .tensor
        var t = Onnx_TensorProto()
        t.dims = [1]
        t.dataType = 11
        t.doubleData = [2.5]
        fill.t = t
        var cos = ONNXImportTests.node("ConstantOfShape", ["shape"], ["c"])
        cos.attribute = [fill]
        g.initializer = [ONNXImportTests.intTensor("shape", [2], [2, 3])]
        var start = Onnx_TensorProto(), delta = Onnx_TensorProto()
        start.name = "start"; start.dataType = 11; start.doubleData = [1]
        delta.name = "delta"; delta.dataType = 11; delta.doubleData = [0.75]
        g.initializer += [start, delta]
        g.node = [
            cos,
            ONNXImportTests.node("Mul", ["x", "c"], ["y"]),
            ONNXImportTests.node("Range", ["start", "limit", "delta"], ["range"]),
            ONNXImportTests.node("Size", ["x"], ["size"]),
        ]
        let body = #"{"dtype": "float64", "onnx": {"b64": "\#(try ONNXImportTests.b64(g, opset: 18))"}, "tensors": {"x": {"data": [[1, 2, 3], [4, 5, 6]], "requires_grad": true}, "limit": {"data": 3.5}}, "ops": [{"id": "loss", "op": "sum", "inputs": ["y"]}], "loss": "loss", "outputs": ["y", "range", "size"]}"#
        let (status, doc) = try ONNXImportTests.respond(Array(body.utf8))
        try #require(status == 200, "\(doc)")
        #expect(ONNXFixture.numbers(doc["outputs"]?["y"]?["data"]) == [2.5, 5, 7.5, 10, 12.5, 15])
        #expect(ONNXFixture.numbers(doc["outputs"]?["range"]?["data"]) == [1, 1.75, 2.5, 3.25])
        #expect(ONNXFixture.numbers(doc["outputs"]?["size"]?["data"]) == [6])
        #expect(ONNXFixture.numbers(doc["gradients"]?["x"]?["data"]) == Array(repeating: 2.5, count: 6))
        // The limit with requires_grad is computed at run time: Range cannot read it.
        let graded = body.replacingOccurrences(of: #""limit": {"data": 3.5}"#, with: #""limit": {"data": 3.5, "requires_grad": true}"#)
        let refused = try ONNXImportTests.respond(Array(graded.utf8))
        #expect(refused.status == 422)
        #expect(refused.doc["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/onnx")
        #expect(refused.doc["errors"]?.arrayValue?.first?["detail"]?.stringValue?.contains("node 2 \"\" (Range): input 1 (\"limit\") must be known when the model is imported") == true, "\(refused.doc)")
    }

    /// What the engine cannot compute is a 422 at /onnx naming the node and the reason.
    @Test(arguments: [
        ("MaxPool", [1, 1, 2, 2, 2], "only 1 or 2 spatial axes"),
        ("MaxPool-indices", [1, 1, 4, 4], "output 1 (Indices) is not supported"),
        ("Pad-reflect", [2, 2], "mode reflect: pads must not be negative"),
    ])
    func whatTheEngineCannotDoIsA422(_ op: String, _ shape: [Int], _ detail: String) throws {
        var g = Onnx_GraphProto()
        g.input = [ONNXImportTests.valueInfo("x", shape.map { Int64($0) })]
        let type = String(op.prefix { $0 != "-" })
        var node = ONNXImportTests.node(type, ["x"], op == "MaxPool-indices" ? ["y", "i"] : ["y"], name: "n")
        var kernel = Onnx_AttributeProto()
        kernel.name = "kernel_shape"
        kernel.type = .ints
        kernel.ints = Array(repeating: 2, count: shape.count - 2)
        if type != "Pad" { node.attribute.append(kernel) }
        if op == "AveragePool-dilated" {
            var d = kernel
            d.name = "dilations"
            node.attribute.append(d)
        }
        if type == "Pad" {
            node.input = ["x", "pads"]
            g.initializer = [ONNXImportTests.intTensor("pads", [4], [-1, 1, 1, 1])]
            var mode = Onnx_AttributeProto()
            mode.name = "mode"
            mode.type = .string
            mode.s = Data("reflect".utf8)
            node.attribute.append(mode)
        }
        g.node = [node]
        let data = Array(repeating: "0.5", count: shape.reduce(1, *)).joined(separator: ", ")
        let body = #"{"onnx": {"b64": "\#(try ONNXImportTests.b64(g, opset: 18))"}, "tensors": {"x": {"shape": \#(shape), "data": [\#(data)]}}, "ops": []}"#
        let (status, doc) = try ONNXImportTests.respond(Array(body.utf8), .forward)
        #expect(status == 422)
        #expect(doc["errors"]?.arrayValue?.first?["pointer"]?.stringValue == "/onnx")
        let text = doc["errors"]?.arrayValue?.first?["detail"]?.stringValue ?? ""
        #expect(text.contains("node 0 \"n\" (\(type))") && text.contains(detail), "\(doc)")
    }
}

extension ONNXGradientTests {
    /// Window attributes past 2^24 (where stride times a length could overflow) and a
    /// Split whose sizes would overflow their sum are 422s, not traps.
    @Test func hugeWindowsAndSplitsAreRefused() throws {
        for (op, name, values) in [("Conv", "strides", [Int64(1) << 40, 1]), ("MaxPool", "pads", [0, 0, Int64(1) << 50, 0]), ("Split", "", [])] {
            var g = Onnx_GraphProto()
            g.input = [ONNXImportTests.valueInfo("x", [1, 1, 4, 4])]
            var node = ONNXImportTests.node(op, op == "Conv" ? ["x", "w"] : op == "Split" ? ["x", "s"] : ["x"], op == "Split" ? ["a", "b"] : ["y"], name: "n")
            var kernel = Onnx_AttributeProto()
            kernel.name = "kernel_shape"
            kernel.type = .ints
            kernel.ints = [2, 2]
            if op == "MaxPool" { node.attribute.append(kernel) }
            if !name.isEmpty {
                var a = Onnx_AttributeProto()
                a.name = name
                a.type = .ints
                a.ints = values
                node.attribute.append(a)
            }
            g.initializer = [ONNXImportTests.floatTensor("w", [1, 1, 2, 2], [1, 2, 3, 4]), ONNXImportTests.intTensor("s", [2], [Int64(1) << 52, -(Int64(1) << 52) + 1])]
            g.node = [node]
            let data = Array(repeating: "0.5", count: 16).joined(separator: ", ")
            let body = #"{"onnx": {"b64": "\#(try ONNXImportTests.b64(g, opset: 18))"}, "tensors": {"x": {"shape": [1, 1, 4, 4], "data": [\#(data)]}}, "ops": []}"#
            let (status, doc) = try ONNXImportTests.respond(Array(body.utf8), .forward)
            #expect(status == 422, "\(op): \(doc)")
            let text = doc["errors"]?.arrayValue?.first?["detail"]?.stringValue ?? ""
            #expect(text.contains("node 0 \"n\" (\(op))") && (text.contains("out of range") || text.contains("does not add up")), "\(op): \(doc)")
        }
    }
}

struct ONNXTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
