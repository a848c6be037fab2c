#!/usr/bin/env python3
"""Checks docker/ against itself, the Makefile and the server (no Docker engine needed).

- docker/Dockerfile: multi-stage (an official Swift 6 bookworm image, then
  debian:bookworm-slim); every build step is a `make` target that exists (one source of
  truth: `make -n` shows release-static builds with --static-swift-stdlib), no `swift build`
  of its own; no build-time CPU choice (the engine dispatches at run time); non-root USER,
  EXPOSE 8080, HEALTHCHECK, runtime libraries only.
- docker/compose.yaml, docker/k8s/*.yaml: parse as YAML and name the expected kinds;
  probes, ports, selectors, grace periods agree; every AUTOGRAD_* variable they set is an
  option of `autograd-server --help` (EnvironmentOptions: --max-body-bytes is
  AUTOGRAD_MAX_BODY_BYTES).
- docker/nginx.conf: least_conn, client_max_body_size >= the server's --max-body-bytes
  default, proxy_read_timeout > its --request-timeout default; a request goes to another
  replica only after a connection failure or a 503 (never on nginx's own timeout), and
  retries stop (proxy_next_upstream_timeout) before the server's request timeout.
- .dockerignore: the build context holds every file the Dockerfile copies and not .git,
  .build or the tests.
- issue 14: the Deployment leaves replicas to the HPA; its readiness probe has a timeout
  and a failure threshold a busy server passes; images are pinned to a version (the
  server's), never `latest`; docker/healthcheck.sh answers for a live server over plain
  HTTP and over TLS, and fails for a dead port.
Exit status 0 when all passed. Needs pyyaml and openssl.
"""
import fnmatch
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import checks  # noqa: E402
from checks import check  # noqa: E402
DOCKER = os.path.join(ROOT, "docker")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def server_help():
    """`autograd-server --help` of the debug build (AUTOGRAD_SERVER overrides)."""
    binary = os.environ.get("AUTOGRAD_SERVER")
    if not binary:
        out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        binary = os.path.join(out.stdout.strip().splitlines()[-1], "autograd-server")
    return subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10).stdout


def option_default(help_text, option):
    """The `(default: ...)` of `option` in --help, whose text may wrap over lines."""
    options = help_text.split("OPTIONS:", 1)[-1]  # not the USAGE line
    block = re.search(re.escape(option) + r" <[^>]+>(.*?)(?=\n\s*--|\Z)", options, re.S)
    m = re.search(r"\(default:\s*([^)]+)\)", block.group(1)) if block else None
    return " ".join(m.group(1).split()) if m else None


def server_version():
    """ServerInfo.version, the tag the manifests pin."""
    return re.search(r'static let version = "([^"]+)"', read("Sources/AutogradServer/Operability.swift")).group(1)


def dockerfile():
    print("docker/Dockerfile:")
    text = read("docker/Dockerfile")
    # Join continuation lines into instructions.
    instructions = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instructions.append(line)
    froms = [i for i in instructions if i.upper().startswith("FROM ")]
    args = {m.group(1): m.group(2) for i in instructions for m in [re.match(r"ARG (\w+)=(\S+)", i)] if m}
    check(len(froms) == 2, "two stages", str(froms))
    build_image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), froms[0].split()[1]) if froms else ""
    check(re.fullmatch(r"swift:6\.\d+(\.\d+)?-bookworm", build_image) is not None and froms[0].endswith(" AS build"),
          f"build stage on the official Swift 6 bookworm image ({build_image})")
    runtime_image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), froms[1].split()[1]) if len(froms) > 1 else ""
    check(runtime_image == "debian:bookworm-slim", f"runtime stage on debian:bookworm-slim ({runtime_image})")
    check("SWIFT_IMAGE" in args and "RUNTIME_IMAGE" in args and "@sha256:" in text,
          "both base images are build arguments, with how to pin them by digest")
    runs = [i[4:] for i in instructions if i.upper().startswith("RUN ")]
    check(not any(re.search(r"\bswift\s+(build|package)\b", r) for r in runs),
          "no swift build/package command of its own (the Makefile's targets do it)")
    targets = [t for r in runs for t in re.findall(r"\bmake\s+([\w-]+)", r)]
    check({"deps", "resolve", "install"} <= set(targets), f"builds with make deps, make resolve, make install ({targets})")
    for target in sorted(set(targets)):
        out = subprocess.run(["make", "-n", target, "PREFIX=/out"], cwd=ROOT, capture_output=True, text=True, timeout=30)
        check(out.returncode == 0, f"make target {target} exists", out.stderr.strip()[:200])
    dry = subprocess.run(["make", "-n", "install", "PREFIX=/out"], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
    check("build -c release --product autograd-server --static-swift-stdlib" in dry,
          "make install builds the release server with the Swift runtime linked statically")
    # One binary for every x86-64 (issue 20): the engine picks its vector kernels at run time
    # (CAutogradKernels), so the image sets no CPU; the old build argument must not linger.
    check("AUTOGRAD_TARGET_CPU" not in text and "-target-cpu" not in dry and "-target-cpu" not in text,
          "no build-time CPU choice (no AUTOGRAD_TARGET_CPU, no -target-cpu): kernels are chosen at run time")
    copy_order = [i for i in instructions if i.startswith(("COPY", "RUN"))]
    pkg = next((k for k, i in enumerate(copy_order) if "Package.swift" in i), None)
    resolve = next((k for k, i in enumerate(copy_order) if "make resolve" in i), None)
    sources = next((k for k, i in enumerate(copy_order) if "Sources" in i), None)
    check(None not in (pkg, resolve, sources) and pkg < resolve < sources,
          "packages resolve in a layer of their own, before the sources are copied")
    runtime = instructions[instructions.index(froms[1]):] if len(froms) > 1 else []
    runtime_text = " ".join(runtime)
    for lib in ["libmicrohttpd12", "libopenblas0", "libdnnl2"]:
        check(lib in runtime_text, f"runtime installs {lib}")
    check(not re.search(r"-dev\b", runtime_text), "runtime installs no -dev package")
    user = [i for i in runtime if i.startswith("USER ")]
    check(user and user[-1].split()[1].split(":")[0] not in ("0", "root"), "runs as a non-root user", str(user))
    check("EXPOSE 8080" in runtime, "EXPOSE 8080")
    check(any(i.startswith("HEALTHCHECK ") and "autograd-healthcheck" in i and "/healthz" in i for i in runtime),
          "HEALTHCHECK on /healthz through docker/healthcheck.sh")
    check("COPY docker/healthcheck.sh /usr/local/bin/autograd-healthcheck" in runtime and "openssl" in runtime_text,
          "the image has the probe script and openssl (its TLS client)")
    check("AUTOGRAD_HOST=0.0.0.0" in runtime_text, "binds 0.0.0.0 inside the container")
    entry = read("docker/entrypoint.sh")
    check("PORT" in entry and "AUTOGRAD_PORT" in entry, "the entrypoint maps PORT to AUTOGRAD_PORT")


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def env_names(container_env):
    if isinstance(container_env, dict):
        return list(container_env)
    return [e["name"] for e in container_env or []]


def check_env(where, names, help_text):
    if "AUTOGRAD_" not in help_text:
        # A server without EnvironmentOptions reads no AUTOGRAD_* variable at all.
        check(False, f"{where}: the server reads its options from AUTOGRAD_* variables (autograd-server --help says so)")
        return
    options = set(re.findall(r"--([a-z0-9-]+)", help_text))
    unknown = [n for n in names if n.startswith("AUTOGRAD_")
               and n[len("AUTOGRAD_"):].lower().replace("_", "-") not in options and n != "AUTOGRAD_API_KEY"]
    check(not unknown, f"{where}: every AUTOGRAD_* variable is a server option", f"unknown: {unknown}")


def compose(help_text):
    print("docker/compose.yaml:")
    docs = load_all(os.path.join(DOCKER, "compose.yaml"))
    check(len(docs) == 1 and "services" in docs[0], "parses as one compose document with services")
    services = docs[0].get("services", {})
    check({"autograd", "nginx"} <= set(services), "services autograd and nginx", str(list(services)))
    autograd, nginx = services.get("autograd", {}), services.get("nginx", {})
    check(autograd.get("build", {}).get("dockerfile") == "docker/Dockerfile", "autograd builds docker/Dockerfile")
    check(not autograd.get("ports"), "autograd publishes no port (so it scales)")
    pinned(f"compose autograd image", autograd.get("image", ""), server_version())
    check(re.fullmatch(r"nginx:\d+\.\d+\.\d+(-\w+)?", nginx.get("image", "")) is not None,
          f"compose nginx image pinned to a patch release ({nginx.get('image')})")
    check("./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx.get("volumes", []), "nginx mounts docker/nginx.conf")
    check(any(str(p).startswith("8080:") for p in nginx.get("ports", [])), "nginx publishes 8080")
    check(autograd.get("healthcheck", {}).get("test", []) == ["CMD", "autograd-healthcheck", "/readyz"],
          "autograd healthcheck on /readyz through docker/healthcheck.sh (plain or TLS)")
    check_env("compose", env_names(autograd.get("environment")), help_text)
    body = autograd.get("environment", {}).get("AUTOGRAD_MAX_BODY_BYTES")
    timeout = autograd.get("environment", {}).get("AUTOGRAD_REQUEST_TIMEOUT")
    return (int(body) if body else None), (float(timeout) if timeout else None)


def kubernetes(help_text):
    print("docker/k8s:")
    docs = [d for path in sorted(glob.glob(os.path.join(DOCKER, "k8s", "*.yaml"))) for d in load_all(path)]
    kinds = {d.get("kind"): d for d in docs}
    check(set(kinds) == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor"},
          "Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ServiceMonitor", str(sorted(kinds)))
    dep, svc, hpa, pdb = (kinds.get(k, {}) for k in ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"])
    check(dep.get("apiVersion") == "apps/v1" and hpa.get("apiVersion") == "autoscaling/v2"
          and pdb.get("apiVersion") == "policy/v1" and svc.get("apiVersion") == "v1", "API versions")
    pod = dep.get("spec", {}).get("template", {})
    labels = pod.get("metadata", {}).get("labels", {})
    check(dep.get("spec", {}).get("selector", {}).get("matchLabels") == labels, "Deployment selector matches its pods")
    check(svc.get("spec", {}).get("selector") == labels, "Service selects the pods")
    check(pdb.get("spec", {}).get("selector", {}).get("matchLabels") == labels, "PodDisruptionBudget selects the pods")
    containers = pod.get("spec", {}).get("containers", [])
    c = containers[0] if containers else {}
    ready = c.get("readinessProbe", {})
    check(ready.get("httpGet", {}).get("path") == "/readyz", "readiness probe on /readyz")
    # Kubernetes' defaults (1 s, 1 miss... 3) are what a pod whose cores all compute can miss.
    check(ready.get("timeoutSeconds", 1) >= 2 and ready.get("failureThreshold", 3) >= 2
          and ready.get("periodSeconds", 10) * ready.get("failureThreshold", 3) >= 10,
          f"readiness probe: timeout {ready.get('timeoutSeconds', 1)} s, {ready.get('failureThreshold', 3)} misses "
          f"every {ready.get('periodSeconds', 10)} s before the pod leaves the Service")
    check("replicas" not in dep.get("spec", {}), "the Deployment sets no replicas: the HPA owns the count")
    check(hpa.get("spec", {}).get("minReplicas", 1) >= 2 and pdb.get("spec", {}).get("minAvailable", 0) >= 1,
          "HPA keeps at least 2 replicas, the PodDisruptionBudget 1")
    pinned("k8s image", c.get("image", ""), server_version())
    check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", "liveness probe on /healthz")
    check(any(p.get("containerPort") == 8080 for p in c.get("ports", [])), "container port 8080")
    res = c.get("resources", {})
    check(res.get("requests", {}).get("cpu") and res.get("limits", {}).get("memory"), "resources: requests and limits")
    pre = c.get("lifecycle", {}).get("preStop", {})
    sleep = int(pre.get("exec", {}).get("command", ["", "0"])[-1]) if pre.get("exec") else int(pre.get("sleep", {}).get("seconds", 0))
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    drain = float(env.get("AUTOGRAD_DRAIN_TIMEOUT") or option_default(help_text, "--drain-timeout") or 30)
    grace = pod.get("spec", {}).get("terminationGracePeriodSeconds", 30)
    check(sleep > 0 and grace > sleep + drain, f"preStop sleep {sleep} s + drain {drain:g} s < terminationGracePeriodSeconds {grace}")
    metrics = hpa.get("spec", {}).get("metrics", [])
    check(hpa.get("spec", {}).get("scaleTargetRef", {}).get("name") == dep.get("metadata", {}).get("name")
          and any(m.get("resource", {}).get("name") == "cpu" for m in metrics), "HPA scales the Deployment on CPU")
    check_env("k8s", env_names(c.get("env")), help_text)
    # The ServiceMonitor scrapes /metrics through a port the Service names, selecting the Service.
    monitor = kinds.get("ServiceMonitor", {})
    endpoints = monitor.get("spec", {}).get("endpoints", [])
    ports = {p.get("name") for p in svc.get("spec", {}).get("ports", [])}
    check(monitor.get("apiVersion") == "monitoring.coreos.com/v1"
          and monitor.get("spec", {}).get("selector", {}).get("matchLabels") == svc.get("metadata", {}).get("labels")
          and endpoints and all(e.get("port") in ports and e.get("path") == "/metrics" for e in endpoints),
          "ServiceMonitor scrapes /metrics on a port of the Service it selects")
    check("--metrics-public" in help_text and env.get("AUTOGRAD_METRICS_PUBLIC") == "true",
          "the Deployment keeps /metrics scrapable with an API key (AUTOGRAD_METRICS_PUBLIC)")


def pinned(where, image, version):
    tag = image.rsplit(":", 1)[-1] if ":" in image.split("/")[-1] else ""
    check(tag == version or "@sha256:" in image, f"{where} pinned to the server's version {version} (or a digest): {image}")


def dockerignore():
    """.dockerignore as Docker reads it: patterns in order, `!` re-includes, the last match
    wins, and a pattern matching a directory covers everything under it."""
    print(".dockerignore:")
    patterns = []
    for line in read(".dockerignore").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negate = line.startswith("!")
            patterns.append((negate, os.path.normpath(line.lstrip("!")).lstrip("/")))

    def excluded(path):
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        result = False
        for negate, pattern in patterns:
            if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
                result = not negate
        return result

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    text = re.sub(r"\\\n", " ", read("docker/Dockerfile"))
    sources = [src for line in text.splitlines() if line.startswith("COPY ") and "--from" not in line
               for src in line.split()[1:-1]]
    needed = [f for f in files if any(f == s or f.startswith(s.rstrip("/") + "/") for s in sources)]
    missing = [f for f in needed if excluded(f)]
    check(needed and not missing, f"every file the Dockerfile copies ({len(needed)}, from {sources}) is in the context",
          str(missing[:5]))
    for path in [".git/HEAD", ".build/debug/autograd-server", ".build-fuzz/x", "Tests/Fixtures/ops/add.json", "docs/operations.md"]:
        check(excluded(path), f"{path} stays out of the build context")


def healthcheck():
    """docker/healthcheck.sh against live servers: plain, TLS (told by AUTOGRAD_TLS_CERT,
    and found by trying), /readyz, a 404 and a dead port."""
    print("docker/healthcheck.sh:")
    script = os.path.join(DOCKER, "healthcheck.sh")
    workdir = tempfile.mkdtemp(prefix="autograd-hc-")
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                           "-days", "2", "-subj", "/CN=localhost"], capture_output=True)
    servers = []
    try:
        exe = checks.binary(ROOT)
        plain = checks.Server(exe, os.path.join(workdir, "plain.log"))
        servers.append(plain)
        tls = checks.Server(exe, os.path.join(workdir, "tls.log"), ["--tls-cert", cert, "--tls-key", key]) \
            if made.returncode == 0 else None
        servers += [tls] if tls else []

        def probe(port, path="/healthz", **env):
            run = subprocess.run(["bash", script, path], env={**os.environ, "AUTOGRAD_PORT": str(port), **env},
                                 capture_output=True, timeout=10)
            return run.returncode

        check(probe(plain.port) == 0 and probe(plain.port, "/readyz") == 0, "plain HTTP: /healthz and /readyz healthy")
        check(probe(plain.port, "/nowhere") != 0, "a 404 is not healthy")
        check(tls is not None and probe(tls.port, AUTOGRAD_TLS_CERT=cert) == 0 and probe(tls.port, "/readyz", AUTOGRAD_TLS_CERT=cert) == 0,
              "TLS on (AUTOGRAD_TLS_CERT): healthy over openssl s_client")
        check(tls is not None and probe(tls.port) == 0, "TLS on by flags only: found by trying TLS after plain HTTP")
        old = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{tls.port if tls else 1} && printf 'GET /healthz "
                              "HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"], capture_output=True, timeout=10)
        check(old.returncode != 0, "(the former plain-only probe reports a TLS server unhealthy)")
        dead = checks.free_port()
        check(probe(dead) != 0 and probe(dead, AUTOGRAD_TLS_CERT=cert) != 0, "a dead port is unhealthy, plain and TLS")
    except Exception as error:  # noqa: BLE001 - report and clean up
        check(False, "the health probe checks ran", repr(error))
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def nginx(help_text, compose_body, compose_timeout=None):
    print("docker/nginx.conf:")
    text = read("docker/nginx.conf")
    check(re.search(r"upstream autograd \{[^}]*least_conn;", text) is not None, "upstream uses least_conn")
    size = re.search(r"client_max_body_size (\d+)([kmg]?);", text)
    units = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    limit = int(size.group(1)) * units[size.group(2)] if size else 0
    default_body = int(option_default(help_text, "--max-body-bytes") or 0)
    check(default_body > 0 and limit >= max(default_body, compose_body or 0),
          f"client_max_body_size {limit} >= the server's body limit {max(default_body, compose_body or 0)}")
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", text)
    request_timeout = float(option_default(help_text, "--request-timeout") or 0)
    check(read_timeout and request_timeout > 0 and int(read_timeout.group(1)) > request_timeout,
          f"proxy_read_timeout {read_timeout and read_timeout.group(1)} s > the server's request timeout {request_timeout:g} s")
    check(len(re.findall(r"# @test\s*$", text, re.M)) == 4, "four lines marked @test for the loopback test")
    flags = re.search(r"^\s*proxy_next_upstream ([^;]+);", text, re.M)
    flags = set(flags.group(1).split()) if flags else set()
    check(flags == {"error", "http_503", "non_idempotent"},
          f"proxy_next_upstream: connection failures and 503 only, POST included, never timeout ({sorted(flags)})")
    retry = re.search(r"proxy_next_upstream_timeout (\d+)s;", text)
    timeouts = [request_timeout] + ([compose_timeout] if compose_timeout else [])
    check(retry is not None and 0 < int(retry.group(1)) < min(timeouts),
          f"proxy_next_upstream_timeout {retry and retry.group(1)} s < the server's request timeout {min(timeouts):g} s: "
          "its timeout answer (a 503) is never retried")


def main():
    help_text = server_help()
    check("--max-body-bytes" in help_text, "autograd-server --help lists its options")
    dockerfile()
    body, timeout = compose(help_text)
    kubernetes(help_text)
    nginx(help_text, body, timeout)
    dockerignore()
    healthcheck()
    return checks.summary("test_manifests")


if __name__ == "__main__":
    sys.exit(main())
