import CZlib

/// A gzip request body (`Content-Encoding: gzip`, RFC 1952) inflated as its bytes arrive,
/// never past `limit` bytes of output: a body that would inflate further fails with
/// `.tooLarge` as soon as the output reaches the limit, so a zip bomb costs at most
/// `limit` bytes plus one 16 KiB window, however far it would expand.
///
/// Several members one after another are one body (RFC 1952 §2.2, as `gzip -d` and
/// Python's `gzip.decompress` read them); anything else after a member is corrupt. One
/// inflater per body; it is not thread-safe (a connection's bytes arrive on one thread).
public final class GzipInflater {
    /// Why a body cannot be inflated.
    public enum Failure: Error, Equatable, Sendable {
        /// The inflated body would pass the limit (bytes).
        case tooLarge(limit: Int)
        /// Not gzip, or damaged: zlib's reason and the compressed byte offset it stopped at.
        case corrupt(reason: String, offset: Int)
        /// The body ended before its gzip stream did (or was empty).
        case truncated(reason: String)

        /// One sentence for a problem's `detail`.
        public var detail: String {
            switch self {
            case .tooLarge(let limit):
                return "the gzip body inflates to more than the limit of \(limit) bytes"
            case .corrupt(let reason, let offset):
                return "the body is not valid gzip (Content-Encoding: gzip): \(reason) at compressed byte \(offset)"
            case .truncated(let reason):
                return "the gzip body is truncated (Content-Encoding: gzip): \(reason)"
            }
        }
    }

    /// Most inflated bytes `append` may produce in all.
    public let limit: Int
    /// zlib keeps the stream's address in its state, so the stream lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>
    private let window: UnsafeMutablePointer<UInt8>
    private static let windowBytes = 16 * 1024
    private let started: Bool
    /// A member has begun (some of its bytes were read) and has not ended.
    private var inMember = false
    /// The last member ended; the next byte starts a new one.
    private var memberEnded = false
    /// Members read to their end, and compressed bytes consumed in all.
    public private(set) var members = 0
    public private(set) var consumed = 0

    public init(limit: Int) {
        self.limit = max(0, limit)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        window = .allocate(capacity: Self.windowBytes)
        started = czlib_inflate_init_gzip(stream) == Z_OK
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        window.deallocate()
    }

    /// Inflates `input` (the next bytes of the body) and appends what it yields to `output`,
    /// which must hold only what earlier calls appended.
    public func append(_ input: UnsafeRawBufferPointer, to output: inout [UInt8]) throws(Failure) {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        guard started else { throw .corrupt(reason: "zlib could not start", offset: consumed) }
        var next = base.assumingMemoryBound(to: UInt8.self)
        var rest = input.count
        while rest > 0 {
            if memberEnded {
                inflateReset(stream)
                memberEnded = false
            }
            inMember = true
            let take = min(rest, 1 << 30)  // avail_in is 32 bits
            stream.pointee.next_in = UnsafeMutablePointer(mutating: next)
            stream.pointee.avail_in = UInt32(take)
            defer {
                let used = take - Int(stream.pointee.avail_in)
                consumed += used
                next += used
                rest -= used
            }
            try drain(into: &output, fed: take)
        }
    }

    /// Inflates until the input fed is used up or a member ends.
    private func drain(into output: inout [UInt8], fed: Int) throws(Failure) {
        while true {
            stream.pointee.next_out = window
            stream.pointee.avail_out = UInt32(Self.windowBytes)
            let rc = inflate(stream, Z_NO_FLUSH)
            let produced = Self.windowBytes - Int(stream.pointee.avail_out)
            if produced > 0 {
                guard produced <= limit - output.count else { throw .tooLarge(limit: limit) }
                output.append(contentsOf: UnsafeBufferPointer(start: window, count: produced))
            }
            switch rc {
            case Z_STREAM_END:
                inMember = false
                memberEnded = true
                members += 1
                return
            case Z_OK:
                // All input taken and the window not filled: nothing is pending.
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
            case Z_BUF_ERROR:
                return  // no progress without more input
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                throw .corrupt(reason: reason, offset: consumed + fed - Int(stream.pointee.avail_in))
            }
        }
    }

    /// The body is over: throws unless it was one or more whole gzip members.
    public func finish() throws(Failure) {
        if inMember { throw .truncated(reason: "it ends inside a gzip member after \(consumed) bytes") }
        if members == 0 { throw .truncated(reason: "the body is empty") }
    }
}
