import AutogradGraph
import Testing

/// A tensor of a response, read back as shape and flat doubles.
struct WireTensor: Equatable {
    let shape: [Int]
    let data: [Double]

    init?(_ v: JSONValue?) {
        guard let v, case .array(let dims)? = v["shape"], let data = v["data"] else { return nil }
        shape = dims.compactMap { $0.numberValue?.exactInt }
        var flat: [Double] = []
        func walk(_ x: JSONValue) {
            switch x {
            case .array(let items): items.forEach(walk)
            case .number(let n): flat.append(n.value)
            case .string("NaN"): flat.append(.nan)
            case .string("Infinity"): flat.append(.infinity)
            case .string("-Infinity"): flat.append(-.infinity)
            default: flat.append(.nan)
            }
        }
        walk(data)
        self.data = flat
    }
}

/// Compares an actual response body with an expected one: same dtype, the same names in
/// the same order in every section, equal shapes, and values within
/// `|a − e| ≤ atol + rtol·|e|` (NaN matches NaN, infinities match exactly).
func expectResponse(
    _ actual: JSONValue, matches expected: JSONValue, rtol: Double, atol: Double, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual["dtype"] == expected["dtype"], "\(what): dtype", sourceLocation: sourceLocation)
    guard case .object(let exp) = expected else {
        Issue.record("\(what): expected response is not an object", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.objectValue?.keys == exp.keys, "\(what): top-level fields", sourceLocation: sourceLocation)
    for (section, value) in exp.members where section != "dtype" {
        switch value {
        case .object(let tensors):
            let got = actual[section]?.objectValue
            #expect(got?.keys == tensors.keys, "\(what): names in \(section)", sourceLocation: sourceLocation)
            for (name, t) in tensors.members {
                compare(WireTensor(got?[name]), WireTensor(t), rtol: rtol, atol: atol,
                        "\(what): \(section).\(name)", sourceLocation)
            }
        case .array(let items):
            let got = actual[section]?.arrayValue ?? []
            #expect(got.count == items.count, "\(what): length of \(section)", sourceLocation: sourceLocation)
            for (i, (a, e)) in zip(got, items).enumerated() {
                compare(a.numberValue.map { WireTensor(shape: [], data: [$0.value]) },
                        e.numberValue.map { WireTensor(shape: [], data: [$0.value]) },
                        rtol: rtol, atol: atol, "\(what): \(section)[\(i)]", sourceLocation)
            }
        default:
            #expect(actual[section] == value, "\(what): \(section)", sourceLocation: sourceLocation)
        }
    }
}

extension WireTensor {
    init(shape: [Int], data: [Double]) {
        self.shape = shape
        self.data = data
    }
}

private func compare(
    _ actual: WireTensor?, _ expected: WireTensor?, rtol: Double, atol: Double, _ what: String,
    _ sourceLocation: SourceLocation
) {
    guard let actual, let expected else {
        Issue.record("\(what): missing or malformed tensor", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape, actual.data.count == expected.data.count else { return }
    for i in actual.data.indices {
        let a = actual.data[i], e = expected.data[i]
        if a.isNaN && e.isNaN || a == e { continue }
        if !((a - e).magnitude <= atol + rtol * e.magnitude) {
            Issue.record("\(what): element \(i): got \(a), expected \(e) (rtol \(rtol), atol \(atol))",
                         sourceLocation: sourceLocation)
            return
        }
    }
}

/// The default tolerances of the fixtures (Tests/Fixtures/README.md).
func defaultTolerance(_ request: JSONValue) -> (rtol: Double, atol: Double) {
    request["dtype"]?.stringValue == "float64" ? (1e-10, 1e-12) : (1e-5, 1e-6)
}

/// Runs a fixture's request through `endpoint` in process and compares the answer with
/// PyTorch's, at the fixture's tolerance or the default for its dtype.
func expectFixture(_ c: FixtureCase, endpoint: Endpoint, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let response = GraphService().respond(to: endpoint, body: c.requestBytes)
    #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self).prefix(500))",
            sourceLocation: sourceLocation)
    guard response.status == 200 else { return }
    let tol = defaultTolerance(c.request)
    expectResponse(
        try JSONParser.parse(response.body), matches: c.response,
        rtol: c.rtol ?? tol.rtol, atol: c.atol ?? tol.atol, c.name, sourceLocation: sourceLocation)
}
