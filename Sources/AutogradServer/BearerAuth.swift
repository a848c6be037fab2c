import AutogradGraph

/// Optional bearer-token authentication (`--api-key-file`, `AUTOGRAD_API_KEY`): every
/// route but the public ones (`Router.publicPaths`) needs `Authorization: Bearer <key>`.
struct BearerAuth: Sendable {
    private let key: [UInt8]

    init(key: String) { self.key = Array(key.utf8) }

    /// nil if `authorization` (the header's value, if any) carries the key, else the 401.
    func problem(authorization: String?) -> Response? {
        guard let authorization else {
            return HTTPProblems.unauthorized("this route needs an Authorization: Bearer header")
        }
        // RFC 9110 §11.1: the scheme is case-insensitive; one or more spaces follow it.
        let trimmed = authorization.drop(while: { $0 == " " || $0 == "\t" })
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer ",
              Self.constantTimeEqual(Array(trimmed.dropFirst(7).trimmingWhitespace().utf8), key)
        else {
            return HTTPProblems.unauthorized("the bearer token is missing or wrong")
        }
        return nil
    }

    /// Compares without an early exit: the time depends only on the lengths, not on where
    /// the first differing byte is, so a client cannot find the key byte by byte.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}
