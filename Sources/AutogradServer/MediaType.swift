/// Content-Type checks for request bodies.
enum MediaType {
    /// True if `contentType` names `application/json`, ignoring case, surrounding
    /// whitespace and parameters (`application/json; charset=utf-8`). A missing
    /// Content-Type is not JSON.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let essence = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return essence.trimmingWhitespace().lowercased() == "application/json"
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }),
              let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[start...end]
    }
}
