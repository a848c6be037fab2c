@testable import Autograd
import AutogradGraph
import Foundation
import Testing

@testable import AutogradServer

#if canImport(Glibc)
import Glibc
#endif

/// In a container: the CPU budget from the cgroup (a fake cgroup root the tests fill),
/// `--threads`, the `process_*` metrics and `--metrics-public`.
@Suite struct ContainerTests {
    /// A temporary directory filled with `files` (path → contents), removed by the caller.
    static func fakeRoot(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cgroup-\(UUID().uuidString)")
        for (path, contents) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func cgroupV2QuotaAndCpusetNarrowTheCores() throws {
        let root = try Self.fakeRoot([
            "cgroup.controllers": "cpuset cpu io memory pids\n",
            "cpu.max": "150000 100000\n", "cpuset.cpus.effective": "0-7,16,18-19\n",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let budget = CPUBudget.read(root: root.path, onlineCores: 64)
        #expect(budget == CPUBudget(onlineCores: 64, cpusetCores: 11, quotaCPUs: 1.5, source: "cgroup v2"))
        #expect(budget.cpus == 2)  // 1.5 CPUs: 2 threads
        #expect(budget.summary == "cpus=2 online=64 cpuset=11 quota=1.50 source=cgroup v2")
        // No quota ("max"): the cpuset decides.
        try "max 100000\n".write(to: root.appendingPathComponent("cpu.max"), atomically: true, encoding: .utf8)
        #expect(CPUBudget.read(root: root.path, onlineCores: 64).cpus == 11)
        // A quota below one CPU still runs one thread; a cpuset wider than the machine does not count.
        try "20000 100000\n".write(to: root.appendingPathComponent("cpu.max"), atomically: true, encoding: .utf8)
        #expect(CPUBudget.read(root: root.path, onlineCores: 64).cpus == 1)
        #expect(CPUBudget.read(root: root.path, onlineCores: 4).cpus == 1)
    }

    @Test func cgroupV2ReadsTheProcessCgroupAndItsAncestors() throws {
        let root = try Self.fakeRoot([
            "cgroup.controllers": "cpu\n",
            "kubepods/cpu.max": "400000 100000\n",
            "kubepods/pod1/cpu.max": "max 100000\n",
            "kubepods/pod1/app/cpu.max": "300000 100000\n",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(CPUBudget.v2Path("12:pids:/x\n0::/kubepods/pod1/app\n") == "/kubepods/pod1/app")
        #expect(CPUBudget.v2Path(nil) == "/")
        // The smallest quota of the process's cgroup and its ancestors holds.
        #expect(CPUBudget.read(root: root.path, membership: "0::/kubepods/pod1/app\n", onlineCores: 8).quotaCPUs == 3)
        #expect(CPUBudget.read(root: root.path, membership: "0::/kubepods/pod1\n", onlineCores: 8).quotaCPUs == 4)
        #expect(CPUBudget.read(root: root.path, membership: "0::/\n", onlineCores: 8).cpus == 8)
        // v1 names its path per controller.
        let v1 = try Self.fakeRoot([
            "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "100000\n", "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "50000\n",
        ])
        defer { try? FileManager.default.removeItem(at: v1) }
        #expect(CPUBudget.read(root: v1.path, membership: "4:cpu,cpuacct:/docker/abc\n", onlineCores: 8).cpus == 2)
    }

    @Test func cgroupV1QuotaAndCpuset() throws {
        let root = try Self.fakeRoot([
            "cpu,cpuacct/cpu.cfs_quota_us": "250000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            "cpuset/cpuset.cpus": "0-5\n",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let budget = CPUBudget.read(root: root.path, onlineCores: 32)
        #expect(budget == CPUBudget(onlineCores: 32, cpusetCores: 6, quotaCPUs: 2.5, source: "cgroup v1"))
        #expect(budget.cpus == 3)
        // -1: no quota.
        try "-1\n".write(to: root.appendingPathComponent("cpu,cpuacct/cpu.cfs_quota_us"), atomically: true, encoding: .utf8)
        #expect(CPUBudget.read(root: root.path, onlineCores: 32).cpus == 6)
        // Nothing there: the online cores.
        let empty = try Self.fakeRoot(["README": "nothing\n"])
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(CPUBudget.read(root: empty.path, onlineCores: 32) == CPUBudget(onlineCores: 32))
    }

    @Test func malformedCgroupFilesAreIgnored() {
        #expect(CPUBudget.parseCPUMax("max 100000") == nil)
        #expect(CPUBudget.parseCPUMax("0 100000") == nil)
        #expect(CPUBudget.parseCPUMax("100000") == nil)
        #expect(CPUBudget.parseCPUMax("50000 100000") == 0.5)
        #expect(CPUBudget.parseCPUList("3-1") == nil)
        #expect(CPUBudget.parseCPUList("a") == nil)
        #expect(CPUBudget.parseCPUList("") == nil)
        #expect(CPUBudget.parseCPUList("0,2,4-5") == 4)
    }

    /// OpenBLAS's float64 kernels are the CPU's: a server whose OpenBLAS took the CPU for
    /// an old one (Debian 12's 0.3.21 on Emerald Rapids: Prescott) starts again with
    /// OPENBLAS_CORETYPE set, says so, and answers as usual.
    @Test func theServerRunsOpenBLASKernelsForItsCPU() throws {
        let server = try ServerProcess(ownOpenBLASCore: true)
        // The server's core is read from its log rather than predicted from this process's
        // OpenBLAS, which runs whatever core an OPENBLAS_CORETYPE in the test's own
        // environment forces (the server is started without it).
        let prefix = "float64 gemm: openblas "
        #expect(server.waitForLog(prefix))
        let line = server.log.split(separator: "\n").first { $0.contains(prefix) }.map(String.init) ?? ""
        let core = line.components(separatedBy: prefix).last?.components(separatedBy: " kernels").first ?? ""
        #expect(!core.isEmpty && core != "unknown", "\(line)")
        if line.contains("OPENBLAS_CORETYPE set by the server") {
            // It took the CPU for an old one and was restarted on the core this CPU runs.
            let mistaken = line.components(separatedBy: "OpenBLAS took this CPU for ").last ?? ""
            #expect(BLAS.suggestedCoreType(forCore: mistaken) == core, "\(line)")
        } else {
            #expect(BLAS.suggestedCoreType(forCore: core) == nil, "\(line)")
        }
        // It runs with OpenBLAS's idle threads asleep after 2^20 cycles (BLAS.startupEnvironment),
        // or with what the test's environment set.
        let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(server.process.processIdentifier)/environ"))) ?? Data()
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let timeout = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"]
            ?? (ProcessInfo.processInfo.environment["GOTO_THREAD_TIMEOUT"] == nil ? String(BLAS.threadTimeoutExponent) : nil)
        if let timeout { #expect(variables.contains("OPENBLAS_THREAD_TIMEOUT=\(timeout)"), "\(variables.filter { $0.hasPrefix("OPENBLAS") })") }
        let response = try HTTP.postJSON(port: server.port, path: "/backward", body: try LiveGraphTests.file("api/examples/seed-linear-mse.json"))
        #expect(response.status == 200)
        #expect(server.stop() == 0)
    }

    /// The binary reads `AUTOGRAD_CGROUP_ROOT`, logs the figures, and sizes its defaults by them.
    @Test func theServerSizesItsDefaultsByTheCgroup() throws {
        let root = try Self.fakeRoot(["cgroup.controllers": "cpu\n", "cpu.max": "100000 100000\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        let server = try ServerProcess(environment: ["AUTOGRAD_CGROUP_ROOT": root.path])
        #expect(server.waitForLog("cpu budget: threads=1 max_inflight=1 cpus=1 online="))
        #expect(server.log.contains("quota=1.00 source=cgroup v2"))
        // The float32 GEMM library, chosen at start-up (oneDNN here when libdnnl.so.2 loads).
        #expect(server.waitForLog("float32 gemm: \(GEMM.float32Description)"))
        #expect(server.log.contains("memory: keep freed buffers off (glibc defaults)"))
        #expect(server.stop() == 0)
        // --threads and AUTOGRAD_THREADS win over the cgroup; --max-inflight follows --threads.
        let flagged = try ServerProcess(arguments: ["--threads", "3", "--keep-freed-buffers", "true"], environment: ["AUTOGRAD_CGROUP_ROOT": root.path])
        #expect(flagged.waitForLog("cpu budget: threads=3 max_inflight=3 cpus=1"))
        #expect(flagged.log.contains("memory: keep freed buffers on, released when idle"))
        // The freed buffers kept answer the same bytes.
        let seed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("api/examples/seed-linear-mse.json")))
        let answer = try HTTP.postJSON(port: flagged.port, path: "/backward", body: seed)
        #expect(answer.status == 200 && answer.body == GraphService().respond(to: .backward, body: seed).body)
        #expect(flagged.stop() == 0)
        let both = try ServerProcess(arguments: ["--max-inflight", "5"], environment: [
            "AUTOGRAD_CGROUP_ROOT": root.path, "AUTOGRAD_THREADS": "2", "AUTOGRAD_KEEP_FREED_BUFFERS": "true", "MALLOC_TRIM_THRESHOLD_": "131072"])
        #expect(both.waitForLog("cpu budget: threads=2 max_inflight=5 cpus=1"))
        #expect(both.log.contains("memory: keep freed buffers off (glibc settings from the environment win)"))
        #expect(both.stop() == 0)
    }

    @Test func processMetricsParse() throws {
        let stat = "4242 (autograd (srv) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 9 0 12345 987654321 2048 18446744073709551615"
        let fields = try #require(ProcessMetrics.statFields(stat))
        #expect(fields.utime == 250 && fields.stime == 50 && fields.startTicks == 12345)
        #expect(fields.vsize == 987_654_321 && fields.rssPages == 2048)
        #expect(ProcessMetrics.bootTime("cpu  1 2 3\nbtime 1764800000\nprocesses 9\n") == 1_764_800_000)
        let text = String(decoding: ProcessMetrics(cpuSeconds: 3, residentBytes: 8_388_608, virtualBytes: nil,
                                                   startTimeSeconds: 1_764_800_123.45, openFDs: 7, maxFDs: 1024).exposition(), as: UTF8.self)
        #expect(text == """
            # HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
            # TYPE process_cpu_seconds_total counter
            process_cpu_seconds_total 3
            # HELP process_resident_memory_bytes Resident memory size in bytes.
            # TYPE process_resident_memory_bytes gauge
            process_resident_memory_bytes 8388608
            # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
            # TYPE process_start_time_seconds gauge
            process_start_time_seconds 1764800123.45
            # HELP process_open_fds Number of open file descriptors.
            # TYPE process_open_fds gauge
            process_open_fds 7
            # HELP process_max_fds Maximum number of open file descriptors.
            # TYPE process_max_fds gauge
            process_max_fds 1024

            """)
        // This process's own figures are there and plausible.
        let own = ProcessMetrics.read()
        let resident = try #require(own.residentBytes), virtual = try #require(own.virtualBytes)
        #expect(resident > 1_048_576 && virtual >= resident)
        #expect(try #require(own.cpuSeconds) > 0)
        let start = try #require(own.startTimeSeconds)
        #expect(start <= Date().timeIntervalSince1970 + 1 && start > Date().timeIntervalSince1970 - 86_400 * 365)
        var limit = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && own.maxFDs == Double(limit.rlim_cur))
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        #expect(try #require(ProcessMetrics.read().openFDs) >= 4)
    }

    /// `--metrics-public true`: /metrics answers without the key, every other route still needs it.
    @Test func metricsPublicOpensMetricsOnly() throws {
        let server = try ServerProcess(arguments: ["--metrics-public", "true"], environment: ["AUTOGRAD_API_KEY": "s3cret-key"])
        defer { _ = server.stop() }
        let metrics = try HTTP.request(port: server.port, method: "GET", path: "/metrics")
        #expect(metrics.status == 200)
        for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                     "process_open_fds", "process_max_fds", "process_start_time_seconds"] {
            #expect(metrics.bodyText.contains("\n\(name) "), "missing \(name)")
        }
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/ops").status == 401)
        #expect(try HTTP.request(port: server.port, method: "GET", path: "/version").status == 401)
        let closed = try ServerProcess(environment: ["AUTOGRAD_API_KEY": "s3cret-key", "AUTOGRAD_METRICS_PUBLIC": "false"])
        #expect(try HTTP.request(port: closed.port, method: "GET", path: "/metrics").status == 401)
        _ = closed.stop()
    }
}
