import Autograd
import AutogradGraph
import Testing

/// Every op's values and gradients against PyTorch, through the wire format.
@Suite struct OpFixtureTests {
    static let cases = FixtureCase.load(FixturePaths.ops)

    @Test(arguments: cases)
    func matchesPyTorch(_ c: FixtureCase) throws {
        try expectFixture(c, endpoint: .backward)
    }

    @Test func everyRegisteredOpHasFixturesInBothPrecisions() {
        for type in Operators.all {
            let name = type.signature.name
            let mine = Self.cases.filter { $0.file == name + ".json" }
            #expect(mine.contains { $0.request["dtype"]?.stringValue == "float32" }, "\(name): no float32 fixture")
            #expect(mine.contains { $0.request["dtype"]?.stringValue == "float64" }, "\(name): no float64 fixture")
        }
    }

    @Test func everyFixtureNamesARegisteredOp() {
        for file in Set(Self.cases.map(\.file)) {
            let name = String(file.dropLast(".json".count))
            #expect(Operators.named(name) != nil, "fixture \(file) names no registered op")
        }
    }

    @Test func sameRequestGivesTheSameBytes() {
        for c in Self.cases.prefix(40) {
            let a = GraphService().respond(to: .backward, body: c.requestBytes)
            let b = GraphService().respond(to: .backward, body: c.requestBytes)
            #expect(a.body == b.body, "\(c.name)")
        }
    }
}

/// docs/ops.md's op table names every registered op, and only those, in registry order.
@Suite struct OpsDocTableTests {
    @Test func listsExactlyTheRegisteredOps() throws {
        let page = try String(contentsOf: FixturePaths.root.appendingPathComponent("docs/ops.md"), encoding: .utf8)
        let listed = page.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }
        #expect(listed == Operators.all.map { $0.signature.name })
    }
}
