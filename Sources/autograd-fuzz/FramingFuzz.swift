// AUTOGRAD_FUZZ_INPUT=framing: every input is the byte stream of one keep-alive connection,
// followed by the C shim's request framing (CMicroHTTPD framing.c, the code under
// libmicrohttpd's recv and gnutls_record_recv on every server connection), on the seed
// corpus Fuzz/framing-corpus. Under ASan any out-of-bounds access is a finding; so is a
// block handed to the check that is not one (a request line that does not end its line, a
// complete block without its empty line, an over-long one of another length), and a
// framing that depends on how the stream was cut into reads.
import CMicroHTTPD

/// The blocks the shim handed to the check, in order, and where it stopped.
private final class FramingLog {
    var blocks: [(kind: Int32, bytes: [UInt8])] = []
}

private func record(cls: UnsafeMutableRawPointer?, fd: Int32, block: UnsafePointer<UInt8>?, length: Int, kind: Int32) -> Int32 {
    guard let cls, let block else { fatalError("framing: a check without its block") }
    let log = Unmanaged<FramingLog>.fromOpaque(cls).takeUnretainedValue()
    let bytes = Array(UnsafeBufferPointer(start: block, count: length))
    switch kind {
    case CMHD_BLOCK_REQUEST_LINE:
        guard bytes.last == UInt8(ascii: "\n"), bytes.dropLast().allSatisfy({ $0 != UInt8(ascii: "\n") }) else {
            fatalError("framing: a request line that is not one line: \(bytes.prefix(200))")
        }
    case CMHD_BLOCK_COMPLETE:
        let n = bytes.count
        let ends = (n >= 2 && bytes[n - 2] == 10 && bytes[n - 1] == 10) || (n >= 3 && bytes[n - 3] == 10 && bytes[n - 2] == 13 && bytes[n - 1] == 10)
        guard ends, n <= Int(CMHD_FRAMING_HEAD_MAX) + 1 else { fatalError("framing: a complete block without its end: \(bytes.suffix(200))") }
    case CMHD_BLOCK_TOO_LONG:
        guard bytes.count == Int(CMHD_FRAMING_HEAD_MAX) + 1 else { fatalError("framing: an over-long block of \(bytes.count) bytes") }
    default:
        fatalError("framing: kind \(kind)")
    }
    log.blocks.append((kind, bytes))
    // Refuse a block the way the gate would refuse some: here, one that mentions "refuse".
    return bytes.starts(with: Array("REFUSE".utf8)) ? 1 : 0
}

func checkFraming(_ stream: [UInt8]) {
    var seen: [(result: Int, blocks: [(kind: Int32, bytes: [UInt8])])] = []
    for piece in [1, 3, 7, 64, max(stream.count, 1)] {
        let log = FramingLog()
        let result = stream.withUnsafeBufferPointer {
            cmhd_framing_follow_stream($0.baseAddress, $0.count, piece, record, Unmanaged.passUnretained(log).toOpaque())
        }
        seen.append((result < 0 ? result : -3, log.blocks))
    }
    // However the stream was cut into reads: the same blocks, and the same end (refused,
    // followed to the end, or stopped).
    for other in seen.dropFirst() {
        guard other.result == seen[0].result, other.blocks.count == seen[0].blocks.count,
              zip(other.blocks, seen[0].blocks).allSatisfy({ $0.kind == $1.kind && $0.bytes == $1.bytes })
        else { fatalError("framing: the blocks depend on how the stream is read (\(seen.map { ($0.result, $0.blocks.count) }))") }
    }
}
