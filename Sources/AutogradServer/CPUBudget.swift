import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The CPUs this process may use: the machine's online cores, narrowed by the cgroup's
/// cpuset and CPU quota (a container's `--cpus`, a pod's CPU limit). It sizes the
/// server's default thread budget and `--max-inflight`, so a 2-CPU pod on a 64-core node
/// runs 2 threads, not 64.
///
/// cgroup v2 (a `cgroup.controllers` file at the root): `cpu.max` (`quota period`, or
/// `max period`) and `cpuset.cpus.effective`, read in the process's own cgroup (from
/// `/proc/self/cgroup`) and each of its ancestors, the smallest winning. cgroup v1:
/// `cpu/cpu.cfs_quota_us` over `cpu/cpu.cfs_period_us` (-1: none) and `cpuset/cpuset.cpus`.
/// A quota of q CPUs counts as ⌈q⌉ (1.5 CPUs: 2 threads, which the quota then slows).
public struct CPUBudget: Equatable, Sendable {
    /// Online cores of the machine.
    public var onlineCores: Int
    /// CPUs in the cgroup's cpuset, if one was found.
    public var cpusetCores: Int?
    /// The cgroup's CPU quota in CPUs (quota / period), if one is set.
    public var quotaCPUs: Double?
    /// Which cgroup files were read: "cgroup v2", "cgroup v1" or "none".
    public var source: String

    /// CPUs to size threads by: the smallest of the three, at least 1.
    public var cpus: Int {
        var n = onlineCores
        if let cpusetCores { n = min(n, cpusetCores) }
        if let quotaCPUs { n = min(n, Int(quotaCPUs.rounded(.up))) }
        return max(1, n)
    }

    /// One line for the start-up log.
    public var summary: String {
        let quota = quotaCPUs.map { String(format: "%.2f", $0) } ?? "none"
        return "cpus=\(cpus) online=\(onlineCores) cpuset=\(cpusetCores.map(String.init) ?? "none") quota=\(quota) source=\(source)"
    }

    public init(onlineCores: Int, cpusetCores: Int? = nil, quotaCPUs: Double? = nil, source: String = "none") {
        self.onlineCores = onlineCores
        self.cpusetCores = cpusetCores
        self.quotaCPUs = quotaCPUs
        self.source = source
    }

    /// The default cgroup mount point.
    public static let defaultRoot = "/sys/fs/cgroup"

    /// Reads the budget. `root` is the cgroup mount (tests pass a directory they filled;
    /// `AUTOGRAD_CGROUP_ROOT` does the same for the binary); with a root other than the
    /// default, `/proc/self/cgroup` is not read and the root is the process's own cgroup.
    public static func read(
        root: String = defaultRoot,
        onlineCores: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    ) -> CPUBudget {
        let membership = root == defaultRoot ? (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) : nil
        return read(root: root, membership: membership, onlineCores: onlineCores)
    }

    /// `membership`: the contents of `/proc/self/cgroup` (nil: the root is the process's cgroup).
    static func read(root: String, membership: String?, onlineCores: Int) -> CPUBudget {
        if FileManager.default.fileExists(atPath: root + "/cgroup.controllers") {
            return readV2(root: root, path: v2Path(membership), onlineCores: onlineCores)
        }
        return readV1(root: root, membership: membership, onlineCores: onlineCores)
    }

    /// The process's cgroup v2 path (`0::/kubepods/...`), "/" when unknown.
    static func v2Path(_ membership: String?) -> String {
        for line in (membership ?? "").split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return "/"
    }

    private static func readV2(root: String, path: String, onlineCores: Int) -> CPUBudget {
        var budget = CPUBudget(onlineCores: onlineCores, source: "cgroup v2")
        // The process's cgroup, then its ancestors up to the root: the smallest limit holds.
        var components = path.split(separator: "/").map(String.init)
        while true {
            let directory = ([root] + components).joined(separator: "/")
            if let quota = parseCPUMax(contents(directory + "/cpu.max")) {
                budget.quotaCPUs = min(budget.quotaCPUs ?? quota, quota)
            }
            if let cores = parseCPUList(contents(directory + "/cpuset.cpus.effective")) {
                budget.cpusetCores = min(budget.cpusetCores ?? cores, cores)
            }
            if components.isEmpty { break }
            components.removeLast()
        }
        return budget
    }

    private static func readV1(root: String, membership: String?, onlineCores: Int) -> CPUBudget {
        var budget = CPUBudget(onlineCores: onlineCores, source: "none")
        // `4:cpu,cpuacct:/docker/abc`: the controller's directory under the root, then the
        // path (inside a container the root itself is the container's cgroup).
        func directories(_ controller: String, _ names: [String]) -> [String] {
            var paths: [String] = []
            for line in (membership ?? "").split(separator: "\n") {
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3, fields[1].split(separator: ",").contains(where: { $0 == controller }) else { continue }
                for name in names { paths.append(root + "/" + name + String(fields[2])) }
            }
            return paths + names.map { root + "/" + $0 }
        }
        for directory in directories("cpu", ["cpu", "cpu,cpuacct", "cpuacct,cpu"]) {
            guard let quota = contents(directory + "/cpu.cfs_quota_us").flatMap(Int.init),
                  let period = contents(directory + "/cpu.cfs_period_us").flatMap(Int.init) else { continue }
            budget.source = "cgroup v1"
            if quota > 0 && period > 0 { budget.quotaCPUs = Double(quota) / Double(period) }
            break
        }
        for directory in directories("cpuset", ["cpuset"]) {
            guard let cores = parseCPUList(contents(directory + "/cpuset.cpus")) else { continue }
            budget.source = "cgroup v1"
            budget.cpusetCores = cores
            break
        }
        return budget
    }

    private static func contents(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `cpu.max`: "200000 100000" is 2 CPUs; "max 100000" is none.
    static func parseCPUMax(_ text: String?) -> Double? {
        let fields = (text ?? "").split(separator: " ")
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]),
              quota > 0, period > 0, quota.isFinite, period.isFinite else { return nil }
        return quota / period
    }

    /// A cpuset list, "0-3,8,10-11": 7 CPUs. Nil when empty or malformed.
    static func parseCPUList(_ text: String?) -> Int? {
        guard let text, !text.isEmpty else { return nil }
        var count = 0
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard let first = bounds.first.flatMap({ Int($0) }), bounds.count <= 2 else { return nil }
            let last = bounds.count == 2 ? Int(bounds[1]) : first
            guard let last, last >= first, first >= 0 else { return nil }
            count += last - first + 1
        }
        return count > 0 ? count : nil
    }
}
