import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` metrics (as Prometheus's Go and Python clients export them),
/// read from `/proc/self` at each scrape: CPU seconds, resident and virtual memory, open
/// and maximum file descriptors, start time. A value that cannot be read (not Linux) is
/// left out rather than reported as 0.
struct ProcessMetrics: Equatable {
    var cpuSeconds: Double?
    var residentBytes: Double?
    var virtualBytes: Double?
    var startTimeSeconds: Double?
    var openFDs: Double?
    var maxFDs: Double?

    static func read() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let bootTime = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)).flatMap(Self.bootTime)
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let fields = Self.statFields(stat), ticks > 0 {
            metrics.cpuSeconds = (fields.utime + fields.stime) / ticks
            metrics.virtualBytes = fields.vsize
            metrics.residentBytes = fields.rssPages * pageSize
            if let bootTime { metrics.startTimeSeconds = bootTime + fields.startTicks / ticks }
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            // The directory listing itself holds one descriptor while it is read.
            metrics.openFDs = Double(max(0, entries.count - 1))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { metrics.maxFDs = Double(limit.rlim_cur) }
        return metrics
    }

    /// Fields of `/proc/self/stat` (proc(5)): utime 14, stime 15, starttime 22, vsize 23,
    /// rss 24, counted from 1. The second field, the command, may hold spaces and
    /// parentheses, so fields are counted from its last `)`.
    static func statFields(_ stat: String) -> (utime: Double, stime: Double, startTicks: Double, vsize: Double, rssPages: Double)? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) onwards.
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double? { n - 3 < rest.count ? Double(rest[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23), let rss = field(24)
        else { return nil }
        return (utime, stime, start, vsize, rss)
    }

    /// `btime` of `/proc/stat`: the boot time in seconds since the epoch.
    static func bootTime(_ stat: String) -> Double? {
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Prometheus text format 0.0.4.
    func exposition() -> [UInt8] {
        var text = ""
        func add(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(Self.format(value))\n"
        }
        add("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds)
        add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes)
        add("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualBytes)
        add("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds)
        add("process_open_fds", "gauge", "Number of open file descriptors.", openFDs)
        add("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFDs)
        return Array(text.utf8)
    }

    /// Integers without a fraction, others as Swift prints them (shortest round trip).
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
