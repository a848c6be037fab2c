import AutogradGraph
import Foundation
import Testing

/// Where the committed fixtures live in the checkout.
enum FixturePaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let ops = root.appendingPathComponent("Tests/Fixtures/ops")
    static let train = root.appendingPathComponent("Tests/Fixtures/train")
    static let examples = root.appendingPathComponent("api/examples")

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    static func json(_ url: URL) throws -> JSONValue { try JSONParser.parse(try bytes(url), maxDepth: 64) }

    static func files(in dir: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// One committed case: a whole request and the response PyTorch says it must get.
struct FixtureCase: Sendable, CustomTestStringConvertible {
    let name: String
    let file: String
    let request: JSONValue
    let response: JSONValue
    let rtol: Double?
    let atol: Double?

    var testDescription: String { name }

    /// The request as the bytes a client would send.
    var requestBytes: [UInt8] { JSONWriter.encode(request) }

    static func load(_ dir: URL) -> [FixtureCase] {
        FixturePaths.files(in: dir).flatMap { url -> [FixtureCase] in
            guard let doc = try? FixturePaths.json(url), case .array(let cases)? = doc["cases"] else {
                return [FixtureCase(name: "unreadable \(url.lastPathComponent)", file: url.lastPathComponent,
                                    request: .null, response: .null, rtol: nil, atol: nil)]
            }
            return cases.map { c in
                FixtureCase(
                    name: c["name"]?.stringValue ?? "?", file: url.lastPathComponent,
                    request: c["request"] ?? .null, response: c["response"] ?? .null,
                    rtol: c["rtol"]?.numberValue?.value, atol: c["atol"]?.numberValue?.value)
            }
        }
    }
}
