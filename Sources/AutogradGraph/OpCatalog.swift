import Autograd

extension GraphService {
    /// `GET /ops`: every registered op with its inputs, arity and attributes, written from
    /// the op definitions themselves (`GraphOps.all`), never from a second list.
    public func operations() -> Response {
        guard let importer else { return Response(status: 200, contentType: "application/json", body: Self.catalog) }
        // The importer's member after "ops": {"ops": [...], "onnx": {...}}.
        var body = Self.catalog.dropLast() + Array(",".utf8) + JSONWriter.encode(.string(importer.field)) + Array(":".utf8)
        body += JSONWriter.encode(importer.catalog) + Array("}".utf8)
        return Response(status: 200, contentType: "application/json", body: Array(body))
    }

    private static let catalog: [UInt8] = {
        var w = JSONWriter(capacity: 16 * 1024)
        w.raw("{\"ops\":[")
        for (i, type) in GraphOps.all.enumerated() {
            let s = type.signature
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":"); w.string(s.name)
            w.raw(",\"summary\":"); w.string(s.summary)
            w.raw(",\"inputs\":[")
            for (j, input) in s.inputs.enumerated() {
                if j > 0 { w.raw(",") }
                w.string(input)
            }
            w.raw("],\"arity\":{\"min\":")
            switch s.arity {
            case .exactly(let n): w.int(n); w.raw(",\"max\":"); w.int(n)
            case .range(let lo, let hi): w.int(lo); w.raw(",\"max\":"); w.int(hi)
            case .atLeast(let lo): w.int(lo); w.raw(",\"max\":null")
            }
            w.raw("},\"attributes\":[")
            for (j, a) in s.attributes.enumerated() {
                if j > 0 { w.raw(",") }
                w.raw("{\"name\":"); w.string(a.name)
                w.raw(",\"type\":"); w.string(a.type.description)
                if let options = a.type.words {
                    w.raw(",\"enum\":[")
                    for (k, o) in options.enumerated() {
                        if k > 0 { w.raw(",") }
                        w.string(o)
                    }
                    w.raw("]")
                }
                if let d = a.defaultValue {
                    w.raw(",\"default\":")
                    write(d, &w)
                }
                w.raw(",\"description\":"); w.string(a.summary)
                w.raw("}")
            }
            w.raw("]}")
        }
        w.raw("]}")
        return w.bytes
    }()

    private static func write(_ v: AttributeValue, _ w: inout JSONWriter) {
        switch v {
        case .null: w.raw("null")
        case .int(let i): w.int(i)
        case .ints(let a): w.ints(a)
        case .intLists(let lists):
            w.raw("[")
            for (i, a) in lists.enumerated() {
                if i > 0 { w.raw(",") }
                w.ints(a)
            }
            w.raw("]")
        case .number(let d): w.number(d)
        case .bool(let b): w.bool(b)
        case .string(let s): w.string(s)
        }
    }
}
