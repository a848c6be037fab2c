#if canImport(Glibc)
import Glibc
#endif

/// How the process's allocator treats the large buffers tensors live in.
///
/// glibc serves blocks above its mmap threshold with a fresh `mmap` and unmaps them on
/// `free`, so every large intermediate of every pass is faulted in and zeroed by the
/// kernel page by page: in W3 (issue 4) that was half the CPU time. `keepFreedBuffers`
/// raises the threshold, so freed buffers go back to the heap and the next pass reuses
/// them, and keeps up to `trimThreshold` bytes of free heap before returning it to the
/// system. Peak memory is unchanged; the resident size stays near its peak in between.
/// The same settings can be given to any process with glibc's `MALLOC_MMAP_THRESHOLD_`
/// and `MALLOC_TRIM_THRESHOLD_` environment variables (the PyTorch side of
/// `make bench-compare` runs with them).
public enum MemoryPolicy {
    /// Applies the policy to the whole process; call it once, before the work starts
    /// (`autograd-bench` does, and `autograd-server --keep-freed-buffers true`, which also
    /// calls ``releaseFreedMemory()`` when it goes idle; see docs/operations.md). 32 MiB is glibc's largest mmap
    /// threshold. Returns false, changing nothing, where the allocator has no such settings
    /// (not glibc) or the environment already sets them (`GLIBC_TUNABLES`,
    /// `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`).
    @discardableResult
    public static func keepFreedBuffers(mmapThreshold: Int = 32 << 20, trimThreshold: Int = 256 << 20) -> Bool {
        #if canImport(Glibc)
        // Settings the operator gave glibc through the environment win.
        for name in ["GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"] where getenv(name) != nil {
            return false
        }
        // mallopt is in <malloc.h>, which Glibc's module does not export: look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapThresholdOption: Int32 = -3, trimThresholdOption: Int32 = -1  // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
        let a = mallopt(mmapThresholdOption, Int32(clamping: mmapThreshold))
        let b = mallopt(trimThresholdOption, Int32(clamping: trimThreshold))
        return a == 1 && b == 1
        #else
        return false
        #endif
    }

    /// Asks the kernel to back the 2 MiB-aligned part of a fresh buffer of `bytes` with
    /// transparent huge pages (`madvise(MADV_HUGEPAGE)`, which a kernel whose THP mode is
    /// `madvise`, Debian's default, needs). For a buffer that is about to be written whole
    /// and came from a fresh mapping (glibc maps anything above its 32 MiB threshold anew,
    /// and the kernel faults its pages in one at a time on first write): 16 page faults for
    /// a 2048² float64 product instead of 8,192, each a trap that costs more in a VM than
    /// the zeroing of its page. Smaller buffers are left alone. Returns whether advice was
    /// given.
    @discardableResult
    static func adviseHugePages(_ base: UnsafeMutableRawPointer, bytes: Int) -> Bool {
        #if canImport(Glibc)
        let huge = 2 << 20
        guard bytes >= 8 << 20 else { return false }
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + bytes) & ~(huge - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return false }
        return madvise(p, end - start, MADV_HUGEPAGE) == 0
        #else
        return false
        #endif
    }

    /// Returns the free memory of every heap to the system (glibc's `malloc_trim(0)`), so
    /// that the resident size falls back after a burst of large buffers kept by
    /// ``keepFreedBuffers(mmapThreshold:trimThreshold:)``. It walks the heaps' free chunks
    /// (tens of microseconds to a few milliseconds): call it when the process is idle, not
    /// per request. Returns false where there is no such call.
    @discardableResult
    public static func releaseFreedMemory() -> Bool {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return false }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        return true
        #else
        return false
        #endif
    }
}
