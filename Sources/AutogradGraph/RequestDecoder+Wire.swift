import Autograd

/// The fast ways tensor values arrive: `data` the parser packed (`.numbers`), and `b64`.
extension RequestDecoder {
    /// Whether packed `data` can be taken as it is for a tensor with the explicit `shape`
    /// (`nil`: the nesting is the shape). Otherwise the decoder reads it number by number,
    /// as `.array`s, and reports what is wrong exactly as for any data.
    func packedFits(_ p: JSONNumberArray, shape: [Int]?) -> Bool {
        guard let shape else { return p.shape.count <= limits.maxRank }
        return p.shape == shape || (p.shape.count == 1 && Shape.count(shape) == p.count)
    }

    /// Packed values in the request's dtype; float32 values are rounded from the text
    /// directly (see `JSONNumber.float32Value`).
    func tensorValues(_ p: JSONNumberArray) -> TensorValues {
        switch dtype {
        case .float32: .float32(p.float32Values)
        case .float64: .float64(p.values)
        }
    }

    /// `{"shape": [...], "b64": "..."}`: the little-endian bytes of `shape`'s element count
    /// of the request's dtype. `shape` is the decoded `"shape"` (nil when missing or bad:
    /// `before` tells which problems are this tensor's).
    mutating func decodeBase64Tensor(
        _ b64: JSONValue, object obj: JSONObject, shape: [Int]?, name: String, at pointer: String,
        requiresGrad: Bool, problemsBefore before: Int
    ) -> TensorInput? {
        let b64Pointer = pointer + "/b64"
        if obj["data"] != nil {
            problems.invalid(b64Pointer, "give either data or b64, not both")
            return nil
        }
        if obj["init"] != nil {
            problems.invalid(b64Pointer, "give either init or b64, not both")
            return nil
        }
        guard case .string(var text) = b64 else {
            problems.wrongType(b64Pointer, "must be a string: the base64 of the values' little-endian bytes; got \(b64.kindName)")
            return nil
        }
        guard let shape else {
            if obj["shape"] == nil { problems.wrongType(pointer + "/shape", "required with b64") }
            return nil
        }
        guard problems.count == before else { return nil }
        guard let count = admit(shape, at: pointer) else { return nil }
        let dtype = dtype
        let result: Result<TensorValues, Base64.DecodingError> = text.withUTF8 { utf8 in
            do throws(Base64.DecodingError) {
                let decoded = try Base64.decodedCount(utf8)
                let size = dtype == .float32 ? 4 : 8
                guard decoded == count * size else {
                    throw Base64.DecodingError(
                        offset: -1,
                        message: "decodes to \(decoded) bytes; shape \(Shape.describe(shape)) of \(dtype.rawValue) needs \(count * size)")
                }
                switch dtype {
                case .float32: return .success(.float32(try Self.littleEndian(Float.self, count, utf8)))
                case .float64: return .success(.float64(try Self.littleEndian(Double.self, count, utf8)))
                }
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let values):
            return TensorInput(name: name, shape: shape, data: values, requiresGrad: requiresGrad, pointer: pointer)
        case .failure(let e):
            problems.invalid(b64Pointer, e.offset < 0 ? e.message : "invalid base64 at character \(e.offset): \(e.message)")
            return nil
        }
    }

    /// `count` values of `T` from base64 text that decodes to exactly their bytes.
    private static func littleEndian<T: Scalar>(
        _: T.Type, _ count: Int, _ text: UnsafeBufferPointer<UInt8>
    ) throws(Base64.DecodingError) -> [T] {
        var failure: Base64.DecodingError?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(Base64.DecodingError) {
                try Base64.decode(text, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                // Floats need no deinitialisation; zero them so the array is defined.
                UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        #if _endian(big)
        var swapped = values
        swapped.withUnsafeMutableBytes { bytes in
            let size = MemoryLayout<T>.size
            for k in stride(from: 0, to: bytes.count, by: size) { bytes[k..<k + size].reverse() }
        }
        return swapped
        #else
        return values
        #endif
    }

    /// `"encoding"`: `"json"` (the default) or `"b64"`.
    mutating func decodeEncoding(_ v: JSONValue) -> TensorEncoding {
        guard case .string(let s) = v else {
            problems.wrongType("/encoding", "must be a string, \"json\" or \"b64\"; got \(v.kindName)")
            return .json
        }
        guard let e = TensorEncoding(rawValue: s) else {
            problems.invalid("/encoding", "unknown encoding \"\(s.prefix(64))\"; expected \"json\" or \"b64\"")
            return .json
        }
        return e
    }
}
