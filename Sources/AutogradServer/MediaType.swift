/// Content-Type checks for request bodies.
enum MediaType {
    /// True if `contentType` names `application/json`, ignoring case, surrounding
    /// whitespace and parameters (`application/json; charset=utf-8`). A missing
    /// Content-Type is not JSON.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        // Bytes, not Characters: this runs for every graph request.
        var essence = contentType.utf8[...]
        if let semicolon = essence.firstIndex(of: UInt8(ascii: ";")) { essence = essence[..<semicolon] }
        let isSpace = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        while let first = essence.first, isSpace(first) { essence = essence.dropFirst() }
        while let last = essence.last, isSpace(last) { essence = essence.dropLast() }
        let json = "application/json".utf8
        guard essence.count == json.count else { return false }
        // ASCII case folding; no other character lower-cases to one of these letters.
        return zip(essence, json).allSatisfy { b, j in (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) == j }
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
