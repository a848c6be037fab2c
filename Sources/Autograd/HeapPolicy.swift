#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc settings for the engine's arrays, installed once by the first matrix
/// product or backward pass.
///
/// A training step frees and reallocates the same large arrays every time (W2 in issue 4:
/// activations and gradients of 256 KB to 1.6 MB). By default glibc serves such sizes
/// with `mmap` until one is freed, then from the heap, but it hands the top of the heap
/// back to the kernel whenever more than twice the current mmap threshold is free there —
/// which is true at the end of every step. The next step then page-faults its arrays in
/// again: about 1,000 faults and a third of the step's CPU time as system time. A fixed
/// threshold and a larger trim threshold keep that memory in the process between steps.
/// The values are within the range glibc's own dynamic threshold moves in (up to 32 MB
/// and 64 MB): arrays over 2 MB still get their own mapping, returned when freed, and at
/// most 32 MB of free heap is kept. A higher mmap threshold (8 MB) put the JSON decoder's
/// large buffers in the heap too and raised the server's peak after one W2 request from
/// 71.4 to 75.3 MB; at 2 MB it measured 69.5 MB.
enum HeapPolicy {
    /// Arrays up to this many bytes come from the heap and are reused after being freed.
    static let mmapThreshold: Int32 = 2 << 20
    /// Free memory at the top of the heap beyond this is returned to the kernel.
    static let trimThreshold: Int32 = 32 << 20

    /// Installs the settings on first use (true when they were); a cheap check after that.
    static let installed: Bool = {
        #if canImport(Glibc)
        // `mallopt` is declared in <malloc.h>, which the Glibc module does not export;
        // it is looked up by name and called through its C signature. The parameter
        // numbers are glibc's (<malloc.h>: M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, mmapThreshold)
        _ = mallopt(-1, trimThreshold)
        return true
        #else
        return false
        #endif
    }()
}
