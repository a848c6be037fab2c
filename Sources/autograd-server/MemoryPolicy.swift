#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator policy for a server whose requests allocate megabytes (a W2 request:
/// a 4–10 MB body, its tensors, a 4–9 MB answer), set once at start.
///
/// By default glibc serves every block above a threshold (128 KiB, raised only as such
/// blocks are freed) with a fresh mmap and returns it with munmap, and gives a thread
/// arena's free top back to the kernel; the next request then takes a page fault for
/// every 4 KiB it touches again — about 4,000 faults and a third of the CPU time of a
/// base64 W2 request. With blocks under 32 MiB taken from the arenas and up to 64 MiB of
/// free memory kept in each, a steady stream of such requests reuses the same pages.
/// The memory kept is bounded by what the arenas held at their peak; one request's peak
/// (`VmHWM`) is unchanged to within a few MB (measured in the README's Performance section).
///
/// `mallopt` is not in Swift's Glibc module, so it is looked up by name. Not applied when
/// `GLIBC_TUNABLES` is set, so an operator's own malloc tunables win.
enum MemoryPolicy {
    /// malloc.h's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
    private static let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3

    static func apply(environment: [String: String]) {
        #if canImport(Glibc)
        guard environment["GLIBC_TUNABLES"] == nil, let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 64 << 20)
        #endif
    }
}
