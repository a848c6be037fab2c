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

/// docs/ops.md is what `make docs` writes from the op definitions: no hand-kept op table.
@Suite struct OpsReferenceTests {
    @Test func docsOpsMdIsUpToDate() throws {
        let url = FixturePaths.root.appendingPathComponent("docs/ops.md")
        let committed = try String(contentsOf: url, encoding: .utf8)
        let generated = OpReference.markdown()
        guard committed != generated else { return }
        let a = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let b = generated.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        let was = line < a.count ? String(a[line]) : "(end of file)"
        let now = line < b.count ? String(b[line]) : "(end of file)"
        Issue.record("docs/ops.md:\(line + 1) differs from the op definitions; run `make docs`.\n- \(was)\n+ \(now)")
    }

    @Test func listsEveryRegisteredOpInOrder() {
        let listed = OpReference.markdown().split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("## `") else { return nil }
            return line.dropFirst(4).split(separator: "`").first.map(String.init)
        }
        #expect(listed == GraphOps.all.map { $0.signature.name })
    }
}
