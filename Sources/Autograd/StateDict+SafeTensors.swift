#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The safetensors format (huggingface/safetensors), which PyTorch, JAX and Hugging Face
// share: an 8-byte little-endian header length N, N bytes of JSON
// `{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`
// (offsets relative to the byte after the header), then the tensors' raw little-endian
// bytes, contiguous. Reading checks every offset and length before touching the data, so
// a malformed file is a thrown `StateError.invalidFile`, never a trap.

extension StateDict {
    /// The element types a safetensors file may hold that this library reads, with their
    /// byte sizes. Writing uses F32 for `Float` and F64 for `Double`.
    static var elementSizes: [(String, Int)] {
        [("F64", 8), ("F32", 4), ("F16", 2), ("BF16", 2), ("I64", 8), ("I32", 4), ("I16", 2), ("I8", 1),
         ("U64", 8), ("U32", 4), ("U16", 2), ("U8", 1), ("BOOL", 1)]
    }

    /// The largest header this reader accepts, as the Rust implementation's limit.
    static var maxHeaderBytes: Int { 100_000_000 }

    /// Reads a safetensors file's bytes, converting every tensor to `Scalar` (integers and
    /// half precision exactly where `Scalar` holds them, as `Tensor.to(dtype)` would).
    public init(safetensors bytes: [UInt8]) throws(StateError) {
        self.init()
        guard bytes.count >= 8 else { throw .invalidFile("\(bytes.count) bytes, fewer than the 8 of the header length") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(Self.maxHeaderBytes), Int(n) <= bytes.count - 8 else {
            throw .invalidFile("header length \(n) exceeds the file (\(bytes.count) bytes) or the \(Self.maxHeaderBytes)-byte limit")
        }
        let headerEnd = 8 + Int(n)
        let header: HeaderJSON
        do {
            header = try HeaderJSON.parse(bytes[8..<headerEnd])
        } catch {
            throw .invalidFile(error.message)
        }
        guard case .object(let members) = header else { throw .invalidFile("the header is not a JSON object") }
        let dataLength = bytes.count - headerEnd
        var tensors: [(begin: Int, name: String, dtype: String, shape: [Int], end: Int)] = []
        for (name, entry) in members {
            if name == "__metadata__" {
                guard case .object(let pairs) = entry else { throw .invalidFile("__metadata__ is not an object") }
                for (key, value) in pairs {
                    guard case .string(let s) = value else { throw .invalidFile("__metadata__.\(key) is not a string") }
                    metadata[key] = s
                }
                continue
            }
            guard case .string(let dtype)? = entry["dtype"],
                  let size = Self.elementSizes.first(where: { $0.0 == dtype })?.1
            else { throw .invalidFile("\(name): missing or unsupported dtype") }
            guard case .array(let dims)? = entry["shape"] else { throw .invalidFile("\(name): no shape") }
            var shape: [Int] = []
            var elements = 1
            for d in dims {
                guard case .integer(let k) = d, k >= 0 else { throw .invalidFile("\(name): invalid shape") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: k)
                guard !overflow else { throw .invalidFile("\(name): shape too large") }
                shape.append(k)
                elements = product
            }
            guard case .array(let offsets)? = entry["data_offsets"], offsets.count == 2,
                  case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1],
                  0 <= begin, begin <= end, end <= dataLength
            else { throw .invalidFile("\(name): data_offsets missing or outside the \(dataLength) data bytes") }
            let (byteCount, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow, byteCount == end - begin else {
                throw .invalidFile("\(name): \(end - begin) bytes for shape \(shape) of \(dtype)")
            }
            tensors.append((begin, name, dtype, shape, end))
        }
        // In file order, and contiguous, as the Rust implementation requires.
        tensors.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expectedBegin = 0
        for t in tensors {
            guard t.begin == expectedBegin else { throw .invalidFile("\(t.name): data_offsets leave a gap or overlap") }
            expectedBegin = t.end
        }
        guard expectedBegin == dataLength else { throw .invalidFile("\(dataLength - expectedBegin) data bytes belong to no tensor") }
        for t in tensors {
            let start = headerEnd + t.begin
            let data = bytes.withUnsafeBufferPointer { buffer in
                Self.decode(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[start..<(headerEnd + t.end)]), dtype: t.dtype)
            }
            self[t.name] = NDArray(shape: t.shape, data: data)
        }
    }

    /// The elements of `raw`, stored as little-endian `dtype`, as `Scalar`s.
    private static func decode(_ raw: UnsafeRawBufferPointer, dtype: String) -> [Scalar] {
        func read<I: FixedWidthInteger>(_: I.Type, _ convert: (I) -> Scalar) -> [Scalar] {
            let size = MemoryLayout<I>.size
            return (0..<raw.count / size).map { i in convert(I(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: I.self))) }
        }
        switch dtype {
        case "F64": return read(UInt64.self) { Scalar(Double(bitPattern: $0)) }
        case "F32": return read(UInt32.self) { Scalar(Float(bitPattern: $0)) }
        case "BF16": return read(UInt16.self) { Scalar(Float(bitPattern: UInt32($0) << 16)) }
        case "F16": return read(UInt16.self) { Scalar(halfToFloat($0)) }
        case "I64": return read(Int64.self) { Scalar($0) }
        case "I32": return read(Int32.self) { Scalar($0) }
        case "I16": return read(Int16.self) { Scalar($0) }
        case "I8": return read(Int8.self) { Scalar($0) }
        case "U64": return read(UInt64.self) { Scalar($0) }
        case "U32": return read(UInt32.self) { Scalar($0) }
        case "U16": return read(UInt16.self) { Scalar($0) }
        default: return read(UInt8.self) { Scalar($0) }  // U8, BOOL
        }
    }

    /// An IEEE half's bits as a `Float` (exact: every half is a float).
    private static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F), fraction = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction * 0x1p-10) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// This state dict as a safetensors file: tensors in name order (so the same state
    /// gives the same bytes), in `Scalar`'s dtype, the header padded with spaces to a
    /// multiple of 8 bytes as the Python writer does, `metadata` as `__metadata__`.
    public func safetensors() -> [UInt8] {
        let dtype = Scalar.self == Double.self ? "F64" : "F32"
        let size = MemoryLayout<Scalar>.size
        let ordered = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var members: [(String, HeaderJSON)] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { ($0, HeaderJSON.string(metadata[$0]!)) }
            members.append(("__metadata__", .object(pairs)))
        }
        var offset = 0
        for name in ordered {
            let value = self[name]!
            let end = offset + value.count * size
            members.append((name, .object([
                ("dtype", .string(dtype)), ("shape", .array(value.shape.map { .integer($0) })),
                ("data_offsets", .array([.integer(offset), .integer(end)])),
            ])))
            offset = end
        }
        var header = ""
        HeaderJSON.write(.object(members), into: &header)
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out += $0 }
        out += headerBytes
        for name in ordered {
            #if _endian(little)
            self[name]!.data.withUnsafeBytes { out += $0 }
            #else
            for x in self[name]!.data {
                if size == 4 {
                    withUnsafeBytes(of: Float(x).bitPattern.littleEndian) { out += $0 }
                } else {
                    withUnsafeBytes(of: Double(x).bitPattern.littleEndian) { out += $0 }
                }
            }
            #endif
        }
        return out
    }

    /// Reads the safetensors file at `path` (see `init(safetensors:)`).
    public init(contentsOfFile path: String) throws(StateError) {
        guard let file = fopen(path, "rb") else { throw .io(path: path, reason: Self.lastError()) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes += chunk[0..<n]
            if n < chunk.count { break }
        }
        guard ferror(file) == 0 else { throw .io(path: path, reason: "read error") }
        try self.init(safetensors: bytes)
    }

    /// Writes this state dict to `path` as a safetensors file (see `safetensors()`),
    /// replacing any file there.
    public func write(toFile path: String) throws(StateError) {
        guard let file = fopen(path, "wb") else { throw .io(path: path, reason: Self.lastError()) }
        let bytes = safetensors()
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file)
        guard written == bytes.count, closed == 0 else { throw .io(path: path, reason: "write failed: \(Self.lastError())") }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
