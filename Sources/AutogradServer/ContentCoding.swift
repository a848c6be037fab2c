import AutogradGraph
import GzipCoding

/// Content codings (RFC 9110 §8.4, §12.5.3): gzip request bodies in, gzip answers out.
enum ContentCoding {
    /// What a request's `Content-Encoding` asks of its body.
    enum RequestCoding: Equatable {
        /// None, or `identity`: the body is as sent.
        case identity
        /// `gzip` (or its old name `x-gzip`): inflated as it arrives (`GzipInflater`).
        case gzip
        /// Anything else, including stacked codings (`gzip, gzip`): 415.
        case unsupported(String)
    }

    /// The codings a request body may have, for 415's `Accept-Encoding` (RFC 9110 §15.5.16).
    static let acceptedRequestCodings = "gzip, identity"

    /// Answers from this size on are compressed for a client that accepts gzip; below it
    /// the gzip header and trailer (18 bytes) and the call cost more than they save.
    static let minimumCompressedBytes = 1024

    /// zlib level 1: on the W2 answer it keeps most of level 6's saving at a fraction of
    /// its time (docs/operations.md, "Compression").
    static let level: Int32 = 1

    /// The request's `Content-Encoding` (its first field) and how many such fields it has;
    /// a second field is a stacked coding.
    static func requestCoding(_ value: String?, fields: Int) -> RequestCoding {
        guard let value else { return .identity }
        guard fields <= 1 else { return .unsupported("\(fields) Content-Encoding fields") }
        let codings = value.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        switch codings {
        case []: return .identity
        case ["gzip"], ["x-gzip"]: return .gzip
        default: return .unsupported(String(value.prefix(128)))
        }
    }

    /// Whether an answer may go gzip-compressed under this `Accept-Encoding`: gzip (or
    /// `x-gzip`, else `*`) with a non-zero q-value, and not below identity's when the field
    /// weighs identity (by name or through `*`; unnamed, identity is the fallback, not a
    /// preference). Without the field, or with one that names no usable coding, the answer
    /// goes as it is.
    static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var gzip: Double?, identity: Double?, any: Double?
        for element in acceptEncoding.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let name = parts.first?.trimmingWhitespace().lowercased(), !name.isEmpty else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard pair.count == 2, pair[0].lowercased() == "q" else { continue }
                // An unreadable weight counts as "not acceptable" rather than as 1.
                q = Double(pair[1]).flatMap { (0...1).contains($0) ? $0 : nil } ?? 0
            }
            switch name {
            case "gzip", "x-gzip": gzip = max(gzip ?? 0, q)
            case "identity": identity = q
            case "*": any = q
            default: break
            }
        }
        let qGzip = gzip ?? any ?? 0
        let qIdentity = identity ?? any ?? 0
        return qGzip > 0 && qGzip >= qIdentity
    }

    /// `response` gzip-compressed with `Content-Encoding: gzip` when the client accepts it
    /// and the body is large enough; otherwise unchanged. Answers already coded stay as
    /// they are, so calling it twice is harmless.
    static func encode(_ response: Response, acceptsGzip: Bool) -> Response {
        guard acceptsGzip, response.body.count >= minimumCompressedBytes,
              !response.headers.contains(where: { $0.name.lowercased() == "content-encoding" }),
              let compressed = Gzip.compress(response.body, level: level) else { return response }
        var coded = response
        coded.body = compressed
        // A strong ETag names one representation: the gzip one gets its own (`"h-gzip"`,
        // as Apache's mod_deflate does); `WebPage.matches` takes either back.
        for i in coded.headers.indices where coded.headers[i].name.lowercased() == "etag" && coded.headers[i].value.hasSuffix("\"") {
            coded.headers[i].value = String(coded.headers[i].value.dropLast()) + gzipETagSuffix + "\""
        }
        coded.headers.append((name: "Content-Encoding", value: "gzip"))
        return coded
    }

    /// Appended inside the quotes of a compressed answer's ETag.
    static let gzipETagSuffix = "-gzip"
}

extension HTTPProblems {
    /// A request body in a content coding the server does not decode (RFC 9110 §15.5.16:
    /// 415, naming the codings it accepts in `Accept-Encoding`).
    static func unsupportedContentEncoding(_ value: String) -> Response {
        Problem(
            status: 415, title: "Unsupported Media Type",
            detail: "Content-Encoding '\(value)' is not supported; send the body as it is (identity) or gzip-compressed, with exactly one coding",
            headers: [(name: "Accept-Encoding", value: ContentCoding.acceptedRequestCodings)]
        ).response
    }

    /// A gzip body that cannot be inflated: 413 past the body limit, else 400.
    static func gzipBody(_ failure: GzipInflater.Failure) -> Response {
        switch failure {
        case .tooLarge(let limit):
            return Problem(status: 413, title: "Content Too Large", detail: "request body exceeds the limit of \(limit) bytes once inflated (Content-Encoding: gzip)").response
        case .corrupt, .truncated:
            return Problem(status: 400, title: "Bad Request", detail: failure.detail, kind: .badHTTPRequest).response
        }
    }
}
