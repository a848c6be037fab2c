#!/usr/bin/env python3
"""A replica dies under load (issue 14): two autograd-server processes behind
docker/nginx.conf on loopback, tools/loadtest.py running through nginx; one replica is
killed with SIGKILL mid-run and started again on its port.

Shows that:
- the clients see no failed request: no dropped connection, no 5xx (not even a 503), no
  answer other than the one the same request got before the run (byte-identical): nginx
  sends what was in flight on the dead replica to the survivor (`proxy_next_upstream
  error ... non_idempotent`; a computation is pure, so that is safe for POST);
- the restarted replica takes traffic again once its /readyz passes: requests counted
  in each replica's /metrics (autograd_http_requests_total, the load's routes only)
  before the kill, and on the new process after its restart;
- the survivor, doing all the work, still answers /readyz within the Deployment's
  readinessProbe timeout, and never misses failureThreshold probes in a row.

    docker/tests/test_failover.py [--seconds 16] [--kill-at 5] [--dead-for 3] [--connections 16]
                                  [--json OUT]
(AUTOGRAD_SERVER: the binary; default the debug build.) Exit status 0 when all passed.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)
import checks  # noqa: E402
from checks import check, free_port  # noqa: E402
from test_nginx import CONF, clean_up, nginx_config, start_nginx, stop_nginx, workdir_for_nginx  # noqa: E402


class Replica:
    """autograd-server on a fixed port, so that a restart comes back where nginx looks."""

    def __init__(self, exe, port, log):
        self.exe, self.port, self.log = exe, port, log
        self.process = None

    def start(self):
        self.process = subprocess.Popen([self.exe, "--host", "127.0.0.1", "--port", str(self.port)],
                                        stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        started = time.monotonic()
        while time.monotonic() - started < 15:
            if self.process.poll() is not None:
                raise RuntimeError(f"replica on {self.port} exited: {open(self.log, errors='replace').read()[-400:]}")
            if get(self.port, "/readyz", timeout=1)[0] == 200:
                return time.monotonic() - started
            time.sleep(0.02)
        raise RuntimeError(f"replica on {self.port} not ready within 15 s")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def get(port, path, timeout=3):
    """(status, body, seconds); status 0 when the request failed."""
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r.status, body, time.monotonic() - started
    except OSError:
        return 0, b"", time.monotonic() - started


def served(port):
    """Requests this process has answered on the load's routes (not /metrics, /readyz)."""
    status, body, _ = get(port, "/metrics")
    if status != 200:
        return None
    total = 0
    for m in re.finditer(r'^autograd_http_requests_total\{([^}]*)\} (\d+)', body.decode(), re.M):
        route = re.search(r'route="([^"]*)"', m.group(1)).group(1)
        if route not in ("/metrics", "/readyz"):
            total += int(m.group(2))
    return total


def readiness_probe():
    """The Deployment's readinessProbe: (timeoutSeconds, failureThreshold)."""
    with open(os.path.join(ROOT, "docker", "k8s", "deployment.yaml"), encoding="utf-8") as f:
        deployment = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Deployment")
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    return probe.get("timeoutSeconds", 1), probe.get("failureThreshold", 3)


class Prober(threading.Thread):
    """GET /readyz on one replica every 0.5 s with the probe's timeout, as the kubelet would."""

    def __init__(self, port, timeout):
        super().__init__(daemon=True)
        self.port, self.timeout = port, timeout
        self.latencies, self.misses, self.worst_run = [], 0, 0
        self.done = threading.Event()

    def run(self):
        run = 0
        while not self.done.is_set():
            status, _, seconds = get(self.port, "/readyz", timeout=self.timeout)
            self.latencies.append(seconds)
            run = run + 1 if status != 200 else 0
            self.misses += status != 200
            self.worst_run = max(self.worst_run, run)
            self.done.wait(0.5)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=16, help="load after its warm-up")
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--kill-at", type=float, default=5, help="seconds into the load")
    p.add_argument("--dead-for", type=float, default=3)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--json")
    args = p.parse_args()
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        print("test_failover: FAIL nginx is not installed (make test-deps installs it)")
        return 1
    exe = checks.binary(ROOT)
    workdir = workdir_for_nginx("autograd-failover-")
    survivor = Replica(exe, free_port(), os.path.join(workdir, "survivor.log"))
    victim = Replica(exe, free_port(), os.path.join(workdir, "victim.log"))
    proxy = load = prober = None
    result = {}
    try:
        survivor.start()
        victim.start()
        listen = free_port()
        with open(CONF, encoding="utf-8") as f:
            proxy = start_nginx(nginx, workdir, nginx_config(f.read(), listen, [survivor.port, victim.port], workdir))
        timeout, threshold = readiness_probe()
        prober = Prober(survivor.port, timeout)
        out = os.path.join(workdir, "load.json")
        load = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "loadtest.py"), "--url", f"http://127.0.0.1:{listen}",
                                 "--pid", str(survivor.process.pid), "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                                 "--connections", str(args.connections), "--json", out],
                                stdout=open(os.path.join(workdir, "load.out"), "wb"), stderr=subprocess.STDOUT)
        # The load tool first sends each request alone (its expected answers), then starts.
        while load.poll() is None and served(victim.port) < 30:
            time.sleep(0.05)
        began = time.monotonic()
        prober.start()
        time.sleep(max(0, args.kill_at - (time.monotonic() - began)))
        before = {"survivor": served(survivor.port), "victim": served(victim.port)}
        victim.kill()
        killed = time.monotonic()
        print(f"SIGKILL to the replica on {victim.port} {killed - began:.1f} s into the load; "
              f"it had answered {before['victim']} requests, the survivor {before['survivor']}")
        time.sleep(args.dead_for)
        ready_in = victim.start()
        restarted = time.monotonic()
        survivor_at_restart = served(survivor.port)
        print(f"restarted after {restarted - killed:.1f} s; /readyz passed {ready_in:.2f} s after its start")
        load.wait(timeout=args.seconds + args.warmup + 120)
        prober.done.set()
        prober.join()
        after = {"survivor": served(survivor.port) - survivor_at_restart, "victim": served(victim.port)}
        with open(out) as f:
            result = json.load(f)
        result.update({
            "served_before_kill": before, "served_after_restart": after,
            "victim_dead_seconds": round(restarted - killed, 1), "victim_ready_seconds": round(ready_in, 2),
            "survivor_readyz_max_ms": round(max(prober.latencies) * 1000, 1), "survivor_readyz_misses": prober.misses,
        })
        # nginx's error log names each failed try at the dead replica (refused, reset, closed).
        with open(os.path.join(workdir, "error.log"), errors="replace") as f:
            failed = sum(1 for line in f if f"127.0.0.1:{victim.port}" in line and "upstream" in line)
        result["nginx_failed_tries_at_the_dead_replica"] = failed
        print(json.dumps(result, indent=2))
        check(load.returncode == 0, "the load tool passed (no dropped connection, no mismatched answer, no 5xx)",
              open(os.path.join(workdir, "load.out"), errors="replace").read()[-600:])
        check(result.get("dropped_connections") == 0 and result.get("mismatched_answers") == 0
              and result.get("server_errors") == 0 and result.get("deliberate_503") == 0
              and not any(s.startswith("5") for s in result.get("statuses", {})),
              f"clients saw no failed request: {result.get('requests')} answered, statuses {result.get('statuses')}")
        check(before["victim"] > 0 and before["survivor"] > 0, f"both replicas served before the kill: {before}")
        check(failed > 0, f"nginx met the dead replica ({failed} failed tries in its error log), and passed each on")
        check(after["victim"] > 0, f"the restarted replica took traffic again after /readyz passed: "
              f"{after['victim']} requests, the survivor {after['survivor']} in the same time")
        check(prober.worst_run < threshold and max(prober.latencies) < timeout,
              f"the survivor answered /readyz within {timeout} s throughout (slowest {max(prober.latencies) * 1000:.0f} ms, "
              f"{prober.misses} misses, failureThreshold {threshold})")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
    except Exception as error:  # noqa: BLE001 - report and clean up
        check(False, "the failover test ran", repr(error))
    finally:
        if prober is not None:
            prober.done.set()
        if load is not None and load.poll() is None:
            load.kill()
        stop_nginx(proxy)
        survivor.stop()
        victim.stop()
        clean_up(workdir, ["error.log", "load.out", "survivor.log", "victim.log"])
    return checks.summary("test_failover")


if __name__ == "__main__":
    sys.exit(main())
