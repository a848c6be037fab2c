import AutogradGraph
import Testing

/// `kaiming_uniform` for conv weights: `"layout": "oihw"` reads torch's fan-in (every
/// dimension after the first) from a weight `[out, in/groups, k...]`.
@Suite struct KaimingLayoutTests {
    private func made(_ tensor: String) throws -> (Int, JSONValue) {
        let body = #"{"dtype": "float64", "tensors": {"w": \#(tensor)}, "ops": [{"id": "y", "op": "neg", "inputs": ["w"]}], "outputs": ["y"]}"#
        let r = GraphService().respond(to: .forward, body: Array(body.utf8))
        return (r.status, try JSONParser.parse(r.body))
    }

    private func values(_ tensor: String) throws -> [Double] {
        let (status, doc) = try made(tensor)
        #expect(status == 200, "\(tensor)")
        return WireTensor(doc["outputs"]?["y"])?.data ?? []
    }

    @Test func oihwTakesTheProductOfTheDimensionsAfterTheFirst() throws {
        let conv = try values(#"{"shape": [8, 3, 3, 3], "init": {"name": "kaiming_uniform", "seed": 5, "layout": "oihw"}}"#)
        let bound = 1 / Double(27).squareRoot()
        // The same draws as uniform(-1/√27, 1/√27) and as an explicit fan_in of 27.
        let uniform = try values(#"{"shape": [8, 3, 3, 3], "init": {"name": "uniform", "seed": 5, "low": \#(-bound), "high": \#(bound)}}"#)
        let explicit = try values(#"{"shape": [8, 3, 3, 3], "init": {"name": "kaiming_uniform", "seed": 5, "fan_in": 27}}"#)
        #expect(conv.count == 216)
        #expect(conv == uniform)
        #expect(conv == explicit)
        #expect(conv.allSatisfy { abs($0) <= bound })
        #expect(conv.contains { $0 > 0.9 * bound } && conv.contains { $0 < -0.9 * bound })
        // The default layout is linear's [in, out]: fan-in 8, a wider range.
        let io = try values(#"{"shape": [8, 3, 3, 3], "init": {"name": "kaiming_uniform", "seed": 5}}"#)
        #expect(io == (try values(#"{"shape": [8, 3, 3, 3], "init": {"name": "kaiming_uniform", "seed": 5, "layout": "io"}}"#)))
        #expect(io.contains { abs($0) > bound })
        // conv1d's [out, in, k]: fan-in in·k.
        let conv1d = try values(#"{"shape": [4, 2, 5], "init": {"name": "kaiming_uniform", "seed": 1, "layout": "oihw"}}"#)
        #expect(conv1d == (try values(#"{"shape": [4, 2, 5], "init": {"name": "kaiming_uniform", "seed": 1, "fan_in": 10}}"#)))
    }

    @Test(arguments: [
        (#"{"shape": [4, 3], "init": {"name": "kaiming_uniform", "seed": 1, "layout": "nchw"}}"#, "/tensors/w/init/layout"),
        (#"{"shape": [4, 3], "init": {"name": "kaiming_uniform", "seed": 1, "layout": 2}}"#, "/tensors/w/init/layout"),
        (#"{"shape": [4], "init": {"name": "kaiming_uniform", "seed": 1, "layout": "oihw"}}"#, "/tensors/w/init/layout"),
        (#"{"shape": [4], "init": {"name": "uniform", "seed": 1, "layout": "oihw"}}"#, "/tensors/w/init/layout"),
    ])
    func badLayoutsAreProblems(_ tensor: String, _ pointer: String) throws {
        let (status, doc) = try made(tensor)
        #expect(status == 422)
        let pointers = doc["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        #expect(pointers == [pointer])
    }
}
