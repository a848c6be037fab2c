import CZlib

/// gzip (RFC 1952) in one call, for answers.
public enum Gzip {
    /// `bytes` as one gzip member at `level` (1 fastest … 9 smallest), or nil if zlib
    /// fails. Deterministic: no file name, MTIME 0, so equal input gives equal output.
    public static func compress(_ bytes: [UInt8], level: Int32) -> [UInt8]? {
        guard bytes.count < Int(UInt32.max) else { return nil }
        var stream = z_stream()
        return withUnsafeMutablePointer(to: &stream) { s -> [UInt8]? in
            guard czlib_deflate_init_gzip(s, level) == Z_OK else { return nil }
            defer { deflateEnd(s) }
            let bound = Int(deflateBound(s, UInt(bytes.count)))
            guard bound < Int(UInt32.max) else { return nil }
            var ok = false
            let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
                bytes.withUnsafeBufferPointer { input in
                    s.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                    s.pointee.avail_in = UInt32(input.count)
                    s.pointee.next_out = buffer.baseAddress
                    s.pointee.avail_out = UInt32(bound)
                    ok = deflate(s, Z_FINISH) == Z_STREAM_END
                }
                written = ok ? bound - Int(s.pointee.avail_out) : 0
            }
            return ok ? out : nil
        }
    }
}
