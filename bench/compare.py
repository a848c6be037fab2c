#!/usr/bin/env python3
"""Side-by-side table of the benchmark JSON lines (issue 4): SwiftAutograd against PyTorch
and the other references, with each target's ratio and whether it is met.

    python3 bench/compare.py FILE.jsonl... [--markdown]

Reads the lines of autograd-bench --json, bench/pytorch_bench.py --json,
bench/jax_bench.py --json and bench/http_bench.py --json (any subset; missing columns
print as "—").
"""
import argparse
import json
import sys


def load(paths):
    rows, meta = [], []
    for path in paths:
        try:
            lines = open(path).read().splitlines()
        except OSError as e:
            print(f"compare: {e}", file=sys.stderr)
            continue
        for line in lines:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                d = json.loads(line)
            except ValueError:
                continue
            (meta if d.get("meta") else rows).append(d)
    return rows, meta


def find(rows, workload, impl, metric, dtype="float32", **extra):
    for r in rows:
        if (r.get("workload") == workload and r.get("impl") == impl and r.get("metric") == metric
                and r.get("dtype", "float32") == dtype and all(r.get(k) == v for k, v in extra.items())):
            return r
    return None


def med(r):
    if r is None:
        return None
    m = r.get("median")
    return m if isinstance(m, (int, float)) else None


def fmt(x, unit=""):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    elif abs(x) >= 1:
        s = f"{x:.2f}"
    else:
        s = f"{x:.3f}"
    return s + (f" {unit}" if unit else "")


def build(rows):
    """Rows of the table: (workload, what, swift, reference, ratio, target, status)."""
    out = []

    def status(ok):
        return "—" if ok is None else ("met" if ok else "MISSED")

    def lower_is_better(label, what, swift, ref, ref_name, target, unit):
        s, p = med(swift), med(ref)
        ratio = s / p if s is not None and p else None
        ok = None if ratio is None else ratio <= target
        out.append((label, what, fmt(s, unit), f"{fmt(p, unit)} ({ref_name})" if p is not None else "—",
                    f"{ratio:.2f}x" if ratio is not None else "—", f"<= {target}x {ref_name}", status(ok)))

    # W1
    lower_is_better("W1", "README example, fwd+bwd, per call", find(rows, "W1", "swift", "time_per_call"),
                    find(rows, "W1", "pytorch", "time_per_call"), "PyTorch", 0.1, "µs")
    np_w1 = med(find(rows, "W1", "numpy", "time_per_call"))
    s_w1 = med(find(rows, "W1", "swift", "time_per_call"))
    if np_w1 is not None:
        out.append(("W1", "  hand-written numpy, for reference", fmt(s_w1, "µs"), f"{fmt(np_w1, 'µs')} (numpy)",
                    f"{s_w1 / np_w1:.2f}x" if s_w1 else "—", "", ""))
    # W2
    lower_is_better("W2", "MLP step 128x784-512-512-10", find(rows, "W2", "swift", "time_per_step"),
                    find(rows, "W2", "pytorch", "time_per_step"), "PyTorch", 0.8, "ms")
    floor, s_w2 = med(find(rows, "W2", "swift", "sgemm_floor")), med(find(rows, "W2", "swift", "time_per_step"))
    if floor is not None:
        out.append(("W2", "  its 8 sgemms called directly (floor)", fmt(s_w2, "ms"), f"{fmt(floor, 'ms')} (BLAS)",
                    f"{floor / s_w2:.0%} of floor" if s_w2 else "—", ">= 80% of floor",
                    status(None if not s_w2 else floor / s_w2 >= 0.8)))
    # W2 exported to ONNX (issue 11): bench/w2_mlp.onnx with W2's weights as initializers, import +
    # one POST /backward through GraphService.respond, timed alternately with W2's own b64 body.
    lower_is_better("W2", "  exported to ONNX: import + /backward in process (b64)", find(rows, "W2", "swift", "onnx_respond_b64"),
                    find(rows, "W2", "swift", "graph_respond_b64_paired"), "W2 body", 1.1, "ms")
    lower_is_better("W2", "  the ONNX import alone (decode less W2's decode), per W2 step", find(rows, "W2", "swift", "onnx_import"),
                    find(rows, "W2", "swift", "time_per_step"), "W2 step", 0.1, "ms")
    first, s_w2 = med(find(rows, "W2", "swift", "onnx_import_first")), med(find(rows, "W2", "swift", "time_per_step"))
    if first is not None:
        out.append(("W2", "  the same, a model the importer has not seen (no ModelCache)", fmt(first, "ms"),
                    f"{fmt(s_w2, 'ms')} (W2 step)", f"{first / s_w2:.2f}x" if s_w2 else "—", "", ""))
    jax_w2 = med(find(rows, "W2", "jax", "time_per_step"))
    if jax_w2 is not None:
        out.append(("W2", "  the same step under jax.jit, for reference", fmt(s_w2, "ms"), f"{fmt(jax_w2, 'ms')} (jax.jit)",
                    f"{s_w2 / jax_w2:.2f}x" if s_w2 else "—", "", ""))
    # W3: the fused op against jax.jit (issue 13); without jax's lines PyTorch eager stands in.
    for dtype in ("float32", "float64"):
        fused = find(rows, "W3", "swift", "time", dtype)
        jax_w3 = find(rows, "W3", "jax", "time", dtype)
        if jax_w3:
            lower_is_better("W3", f"sum(sigmoid(a*b+a)), 1M, {dtype}, fused", fused, jax_w3, "jax.jit", 1.0, "ms")
            pt, s = med(find(rows, "W3", "pytorch", "time", dtype)), med(fused)
            if pt is not None:
                out.append(("W3", f"  the same against PyTorch eager, {dtype}", fmt(s, "ms"), f"{fmt(pt, 'ms')} (PyTorch)",
                            f"{s / pt:.2f}x" if s else "—", "", ""))
        else:
            lower_is_better("W3", f"sum(sigmoid(a*b+a)), 1M, {dtype}, fused (jax not run)", fused,
                            find(rows, "W3", "pytorch", "time", dtype), "PyTorch", 1.0, "ms")
        eager, pt = med(find(rows, "W3", "swift", "time_eager", dtype)), med(find(rows, "W3", "pytorch", "time", dtype))
        if eager is not None:
            out.append(("W3", f"  the same op by op (eager), {dtype}", fmt(eager, "ms"),
                        f"{fmt(pt, 'ms')} (PyTorch)" if pt else "—", f"{eager / pt:.2f}x" if pt else "—", "", ""))
    # W4
    lower_is_better("W4", "scalar chain, 20,000 nodes, per node", find(rows, "W4", "swift", "time_per_node"),
                    find(rows, "W4", "pytorch", "time_per_node"), "PyTorch", 0.05, "µs")
    # W5
    for size in (1024, 2048):
        for dtype in ("float32", "float64"):
            e = med(find(rows, "W5", "swift", "gflops", dtype, size=size))
            d = med(find(rows, "W5", "swift", "gflops_direct_blas", dtype, size=size))
            p = med(find(rows, "W5", "pytorch", "gflops", dtype, size=size))
            frac = e / d if e is not None and d else None
            out.append(("W5", f"matmul {size}, {dtype} (torch.mm {fmt(p)})", fmt(e, "GFLOP/s"),
                        f"{fmt(d, 'GFLOP/s')} (BLAS)" if d is not None else "—",
                        f"{frac:.0%}" if frac is not None else "—", ">= 95% of BLAS",
                        status(None if frac is None else frac >= 0.95)))
    # W6
    lower_is_better("W6", "CNN step 32x3x32x32, conv-pool x2, linear", find(rows, "W6", "swift", "time_per_step"),
                    find(rows, "W6", "pytorch", "time_per_step"), "PyTorch", 1.0, "ms")
    # W9 (issue 21): a whole training step, and the update alone, per optimizer
    for opt in ("sgd", "adam", "adamw"):
        def w9(impl, metric, workload="W9"):
            return find(rows, workload, impl, metric, optimizer=opt)
        step, pt_step = w9("swift", "time_per_step"), w9("pytorch", "time_per_step")
        if step is None and pt_step is None:
            continue
        lower_is_better("W9", f"{opt}: zero_grad+fwd+bwd+step, in process", step, pt_step, "PyTorch", 1.0, "ms")
        lower_is_better("W9", f"  {opt}: the update alone", w9("swift", "update"), w9("pytorch", "update"),
                        "optimizer.step()", 1.0, "ms")
        upd, bound = med(w9("swift", "update")), med(w9("swift", "update_bandwidth_bound"))
        if upd is not None and bound:
            out.append(("W9", f"  {opt}: the update against the bandwidth bound", fmt(upd, "ms"),
                        f"{fmt(bound, 'ms')} (bound)", f"{upd / bound:.2f}x", "<= 2x bound", status(upd / bound <= 2)))
        lower_is_better("W9", f"  {opt}: per step over /train in process", w9("swift", "train_respond_per_step"),
                        pt_step, "PyTorch", 1.0, "ms")
        http = w9("swift", "train_per_step", "H9")
        if http is not None:
            lower_is_better("W9", f"  {opt}: per step over HTTP POST /train", http, pt_step, "PyTorch", 1.0, "ms")
            h, s_ = med(http), med(step)
            if h is not None and s_:
                out.append(("W9", f"  {opt}: /train's overhead over the in-process step", fmt(h, "ms"),
                            f"{fmt(s_, 'ms')} (in process)", f"{h / s_:.2f}x", "<= 1.1x", status(h / s_ <= 1.1)))
        allocs = med(w9("swift", "allocations_per_step"))
        if allocs is not None:
            out.append(("W9", f"  {opt}: mallocs per step (of which the update)", fmt(allocs),
                        fmt(med(w9("swift", "allocations_per_update"))), "", "", ""))
    # W8 (issue 12): H·v of the W2 MLP loss over its six parameters
    hv = find(rows, "W8", "swift", "hvp_time")
    lower_is_better("W8", "HVP of the W2 MLP loss, 6 parameters", hv, find(rows, "W8", "pytorch", "hvp_time"),
                    "PyTorch hvp", 1.0, "ms")
    lower_is_better("W8", "  the HVP against our own W2 step (paired)", hv, find(rows, "W8", "swift", "w2_step_paired"),
                    "W2 step", 2.5, "ms")
    hg, sg = med(find(rows, "W8", "swift", "hvp_with_gradient_time")), med(find(rows, "W8", "swift", "w2_step_paired_with_gradient"))
    if hg is not None and sg:
        out.append(("W8", "  the gradient and H·v together (/hvp's default answer), against our W2 step", fmt(hg, "ms"),
                    f"{fmt(sg, 'ms')} (W2 step)", f"{hg / sg:.2f}x", "", ""))
    lower_is_better("W8", "  POST /hvp through GraphService.respond in-process (b64)",
                    find(rows, "W8", "swift", "hvp_respond_b64"), find(rows, "W8", "pytorch", "hvp_time"),
                    "PyTorch hvp", 1.0, "ms")
    ho, ph = med(find(rows, "W8", "swift", "hvp_only_respond_b64")), med(find(rows, "W8", "pytorch", "hvp_time"))
    if ho is not None and ph:
        out.append(("W8", '  the same with "gradients": [] (H·v alone)', fmt(ho, "ms"), f"{fmt(ph, 'ms')} (PyTorch hvp)",
                    f"{ho / ph:.2f}x", "", ""))
    vh = med(find(rows, "W8", "pytorch", "vhp_time"))
    if vh is not None and med(hv) is not None:
        out.append(("W8", "  torch.autograd.functional.vhp, for reference", fmt(med(hv), "ms"), f"{fmt(vh, 'ms')} (PyTorch vhp)",
                    f"{med(hv) / vh:.2f}x", "", ""))
    # W7
    lower_is_better("W7", "pre-LN transformer block step [8,128] d256 h4", find(rows, "W7", "swift", "time_per_step"),
                    find(rows, "W7", "pytorch", "time_per_step"), "PyTorch", 1.0, "ms")
    # J1
    j = find(rows, "J1", "swift", "decode_throughput")
    refs = ", ".join(f"{impl} {fmt(med(find(rows, 'J1', impl, 'decode_throughput')))}"
                     for impl in ("orjson", "python-json") if find(rows, "J1", impl, "decode_throughput"))
    js = med(j)
    out.append(("J1", "decode the W2 body (%s MB) into tensors" % (fmt(j["bytes"] / 1e6) if j and j.get("bytes") else "?"),
                fmt(js, "MB/s"), refs + " MB/s" if refs else "—", "", ">= 300 MB/s",
                status(None if js is None else js >= 300)))
    # H1
    h, c, ph = (med(find(rows, "H1", impl, "requests_per_s")) for impl in ("swift", "mhd_hello", "pytorch-http"))
    out.append(("H1", "POST /backward README example, wrk -t2 -c32", fmt(h, "req/s"),
                f"{fmt(c, 'req/s')} (bare MHD)" if c is not None else "—",
                f"{h / c:.0%} of ceiling" if h is not None and c else "—", ">= 40% of bare MHD",
                status(None if h is None or not c else h / c >= 0.4)))
    cpu = {impl: (find(rows, "H1", impl, "requests_per_s") or {}).get("server_cpu_us_per_request")
           for impl in ("swift", "mhd_hello")}
    if cpu["swift"] is not None:
        out.append(("H1", "  server CPU per request (utime+stime / requests)", fmt(cpu["swift"], "µs"),
                    f"{fmt(cpu['mhd_hello'], 'µs')} (bare MHD)" if cpu["mhd_hello"] is not None else "—",
                    f"{cpu['swift'] / cpu['mhd_hello']:.1f}x" if cpu["mhd_hello"] else "—", "", ""))
    gr = med(find(rows, "W1", "swift", "graph_respond"))
    if gr is not None:
        out.append(("H1", "  GraphService.respond in-process, same body", fmt(gr, "µs"), "", "", "", ""))
    out.append(("H1", "  PyTorch behind http.server, same request", fmt(h, "req/s"),
                f"{fmt(ph, 'req/s')} (PyTorch)" if ph is not None else "≈170 req/s (issue's figure)",
                f"{h / ph:.1f}x" if h is not None and ph else "—", "", ""))
    # H2
    for enc in ("json", "b64"):
        r = find(rows, "H2", "swift", "time_per_request", encoding=enc)
        hv = med(r)
        if enc == "b64":
            shown = fmt(hv, "ms") if hv is not None else (r["median"] if r else "—")
            out.append(("H2", "W2 as one request, base64 tensors", shown, f"{fmt(s_w2, 'ms')} (W2 in-process)",
                        f"{hv / s_w2:.2f}x" if hv is not None and s_w2 else "—", "<= 1.5x W2",
                        status(None if hv is None or not s_w2 else hv / s_w2 <= 1.5)))
        else:
            out.append(("H2", "W2 as one request, JSON numbers", fmt(hv, "ms"), f"{fmt(s_w2, 'ms')} (W2 in-process)",
                        f"{hv / s_w2:.2f}x" if hv is not None and s_w2 else "—", "", ""))
    for enc in ("json", "b64"):
        g = med(find(rows, "W2", "swift", f"graph_respond_{enc}"))
        if g is not None:
            out.append(("H2", f"  the same body through GraphService.respond in-process ({enc})", fmt(g, "ms"),
                        f"{fmt(s_w2, 'ms')} (W2 in-process)", f"{g / s_w2:.2f}x" if s_w2 else "—", "", ""))
    floor = med(find(rows, "H2", "socket", "transport_floor", encoding="b64"))
    if floor is not None:
        out.append(("H2", "  the b64 bytes both ways through a bare socket server (transport floor)", fmt(floor, "ms"),
                    f"{fmt(s_w2, 'ms')} (W2 in-process)", f"{floor / s_w2:.2f}x" if s_w2 else "—", "", ""))
    # RSS
    for enc in ("json", "b64"):
        r = find(rows, "RSS", "swift", "vmhwm_after_w2", encoding=enc)
        if r is None:
            continue
        idle = f"; {fmt(r['idle_mb'], 'MB')} idle" if r.get("idle_mb") is not None else ""
        out.append(("RSS", f"peak RSS after one W2 request ({enc}{idle})", fmt(med(r), "MB"),
                    f"{fmt(r['budget'], 'MB')} (budget)", f"{med(r) / r['budget']:.2f}x",
                    "<= 3x tensors + 64 MB", status(med(r) <= r["budget"])))
    return out


HEAD = ("", "workload", "SwiftAutograd", "reference", "ratio", "target", "")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+")
    p.add_argument("--markdown", action="store_true", help="a Markdown table (for docs/performance.md)")
    args = p.parse_args()
    rows, meta = load(args.files)
    table = build(rows)
    loads = "; ".join(f"{m.get('impl')}: {m.get('loadavg')}" for m in meta if m.get("loadavg"))
    cpu = next((m["cpu"] for m in meta if m.get("cpu")), "?")
    cores = next((m["cores"] for m in meta if m.get("cores")), "?")
    torch_v = next((m["torch"] for m in meta if m.get("torch")), None)
    gemm = next((m["gemm_float32"] for m in meta if m.get("gemm_float32")), None)
    jax_v = next((m["jax"] for m in meta if m.get("jax")), None)
    header = (f"{cpu}, {cores} cores; {'torch ' + torch_v + ' (2 threads)' if torch_v else 'PyTorch not run'}; "
              f"{'jax ' + jax_v if jax_v else 'jax not run'}; load average at start: {loads}")
    if gemm:
        header += f"; float32 GEMM: {gemm}"
    if args.markdown:
        print(f"_{header}_\n")
        print("| " + " | ".join(HEAD) + " |")
        print("|" + "---|" * len(HEAD))
        for r in table:
            print("| " + " | ".join(x.replace("|", "\\|") for x in r) + " |")
    else:
        print(header)
        widths = [max(len(str(r[i])) for r in table + [HEAD]) for i in range(len(HEAD))]
        for r in [HEAD] + table:
            print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())
        missed = [f"{r[0]} {r[1].strip()}" for r in table if r[6] == "MISSED"]
        print(f"\n{sum(r[6] == 'met' for r in table)} targets met, {len(missed)} missed"
              + (": " + "; ".join(missed) if missed else ""))


if __name__ == "__main__":
    main()
