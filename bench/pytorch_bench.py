#!/usr/bin/env python3
"""The workloads of autograd-bench (issue 4) in PyTorch eager, for side-by-side numbers.

    python3 bench/pytorch_bench.py [--json] [--only W1,W2,W6] [--quick] [--reps N] [--w2-body PATH]

Prints one JSON line per result, as autograd-bench does, with "impl": "pytorch" (and
"numpy" for the hand-written W1, "python-json" / "orjson" for J1). torch runs with 2
threads (torch.set_num_threads(2)). Without torch it says so and exits 3 (make
bench-compare then shows the Swift column alone). CI never runs this.
"""
import json
import os
import statistics
import sys
import time

import timing


def parse_args():
    p = timing.parser(__doc__, ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "J1"])
    p.add_argument("--w2-body", help="the W2 request body (autograd-bench --write-request) for J1")
    return p.parse_args()


ARGS = parse_args()
ONLY = timing.selected(ARGS.only)


def should_run(w):
    return ONLY is None or w in ONLY


def reps(normal):
    return timing.repetitions(normal, ARGS)


measure = timing.measure


def report(workload, impl, dtype, metric, values, unit, **extra):
    line = {"workload": workload, "impl": impl, "dtype": dtype, "metric": metric}
    line.update(extra)
    line.update({"median": statistics.median(values), "min": min(values), "max": max(values),
                 "n": len(values), "unit": unit})
    if ARGS.json:
        print(json.dumps(line), flush=True)
    else:
        name = workload + (f" {extra['size']}" if "size" in extra else "") + (f" {extra['optimizer']}" if "optimizer" in extra else "")
        print(f"{name:<10}{impl:<12}{dtype:<9}{metric:<20}{line['median']:>10.4g}{line['min']:>10.4g}"
              f"{line['max']:>10.4g}{len(values):>6}  {unit}", flush=True)


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def numpy_w1():
    import numpy as np

    def step():
        x = np.array([[1, 2], [3, 4]], dtype=np.float32)
        W = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)
        b = np.array([0.5, 0.6], dtype=np.float32)
        y = x @ W + b
        diff = y - np.ones((2, 2), dtype=np.float32)
        loss = (diff * diff).mean()
        dy = diff * np.float32(2 / diff.size)
        dW = x.T @ dy
        db = dy.sum(axis=0)
        return loss, dW, db

    loss, dW, db = step()
    assert abs(loss - 1.16) < 1e-5 and abs(dW[0, 0] - 1.6) < 1e-5 and abs(db[1] - 1.2) < 1e-5
    t = measure(reps(2000), 200, step)
    report("W1", "numpy", "float32", "time_per_call", [s * 1e6 for s in t], "us")


def j1_python(body_path):
    body = open(body_path, "rb").read()
    mb = len(body) / 1e6
    import numpy as np

    def decode(loads):
        doc = loads(body)
        return [np.asarray(t["data"], dtype=np.float32) for t in doc["tensors"].values()]

    t = measure(reps(20), 2, lambda: decode(json.loads))
    report("J1", "python-json", "float32", "decode_throughput", [mb / s for s in t], "MB/s")
    try:
        import orjson
    except ImportError:
        return
    t = measure(reps(20), 2, lambda: decode(orjson.loads))
    report("J1", "orjson", "float32", "decode_throughput", [mb / s for s in t], "MB/s")


def main():
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        print("pytorch_bench: torch is not importable; nothing to compare", file=sys.stderr)
        if should_run("W1"):
            numpy_w1()
        if should_run("J1") and ARGS.w2_body:
            j1_python(ARGS.w2_body)
        sys.exit(3)

    torch.set_num_threads(2)
    import platform
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    meta = {"meta": True, "impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu": cpu, "cores": os.cpu_count(), "loadavg": loadavg()}
    if ARGS.json:
        print(json.dumps(meta), flush=True)
    else:
        print(f"pytorch_bench: torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu}, load average {meta['loadavg']}")

    if should_run("W1"):
        ones = None

        def w1():
            x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
            W = torch.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
            b = torch.tensor([0.5, 0.6], requires_grad=True)
            loss = F.mse_loss(x @ W + b, torch.ones(2, 2))
            loss.backward()
            return W.grad

        t = measure(reps(2000), 200, w1)
        report("W1", "pytorch", "float32", "time_per_call", [s * 1e6 for s in t], "us")
        numpy_w1()

    if should_run("W2"):
        g = torch.Generator().manual_seed(0)
        sizes, B = [784, 512, 512, 10], 128
        x = torch.rand(B, sizes[0], generator=g) * 2 - 1
        labels = torch.randint(0, sizes[-1], (B,), generator=g)
        params = []
        for i in range(3):
            bound = 1 / sizes[i] ** 0.5
            W = ((torch.rand(sizes[i], sizes[i + 1], generator=g) * 2 - 1) * bound).requires_grad_()
            b = ((torch.rand(sizes[i + 1], generator=g) * 2 - 1) * bound).requires_grad_()
            params += [W, b]

        def w2():
            for p in params:
                p.grad = None
            W1, b1, W2, b2, W3, b3 = params
            h = torch.relu(torch.addmm(b1, x, W1))
            h = torch.relu(torch.addmm(b2, h, W2))
            loss = F.cross_entropy(torch.addmm(b3, h, W3), labels)
            loss.backward()
            return loss

        t = measure(reps(50), 5, w2)
        report("W2", "pytorch", "float32", "time_per_step", [s * 1e3 for s in t], "ms")

    if should_run("W7"):
        # A pre-LN transformer block step, as autograd-bench's W7 (nn.Linear's [out, in] weights).
        g = torch.Generator().manual_seed(7)
        B, T, V, D, H, FF = 8, 128, 1000, 256, 4, 1024
        stream = torch.randint(0, V, (B, T + 1), generator=g)
        tokens, targets = stream[:, :-1], stream[:, 1:].reshape(-1)

        def u(*shape, bound):
            return ((torch.rand(*shape, generator=g) * 2 - 1) * bound).requires_grad_()

        bd, bf = D ** -0.5, FF ** -0.5
        emb = u(V, D, bound=1.0)
        ln = [torch.ones(D, requires_grad=True), torch.zeros(D, requires_grad=True),
              torch.ones(D, requires_grad=True), torch.zeros(D, requires_grad=True)]
        wq, bq, wk, bk, wv, bv, wo, bo = (u(D, D, bound=bd), u(D, bound=bd), u(D, D, bound=bd), u(D, bound=bd),
                                          u(D, D, bound=bd), u(D, bound=bd), u(D, D, bound=bd), u(D, bound=bd))
        w1, b1, w2, b2 = u(FF, D, bound=bd), u(FF, bound=bd), u(D, FF, bound=bf), u(D, bound=bf)
        wout, bout = u(V, D, bound=bd), u(V, bound=bd)
        params = [emb] + ln + [wq, bq, wk, bk, wv, bv, wo, bo, w1, b1, w2, b2, wout, bout]

        def heads(x):
            return x.view(B, T, H, D // H).transpose(1, 2)

        def w7():
            for p in params:
                p.grad = None
            h = F.embedding(tokens, emb)
            a = F.layer_norm(h, (D,), ln[0], ln[1])
            o = F.scaled_dot_product_attention(heads(F.linear(a, wq, bq)), heads(F.linear(a, wk, bk)),
                                               heads(F.linear(a, wv, bv)), is_causal=True)
            h2 = h + F.linear(o.transpose(1, 2).reshape(B, T, D), wo, bo)
            m = F.layer_norm(h2, (D,), ln[2], ln[3])
            h3 = h2 + F.linear(F.gelu(F.linear(m, w1, b1)), w2, b2)
            loss = F.cross_entropy(F.linear(h3, wout, bout).view(B * T, V), targets)
            loss.backward()
            return loss

        t = measure(reps(20), 2, w7)
        report("W7", "pytorch", "float32", "time_per_step", [s * 1e3 for s in t], "ms")

    if should_run("W3"):
        for dtype, name in [(torch.float32, "float32"), (torch.float64, "float64")]:
            g = torch.Generator().manual_seed(1)
            n = 1_000_000
            a = (torch.rand(n, generator=g, dtype=dtype) * 4 - 2).requires_grad_()
            b = (torch.rand(n, generator=g, dtype=dtype) * 4 - 2).requires_grad_()

            def w3():
                a.grad = None
                b.grad = None
                loss = torch.sigmoid(a * b + a).sum()
                loss.backward()
                return loss

            t = measure(reps(30), 3, w3)
            report("W3", "pytorch", name, "time", [s * 1e3 for s in t], "ms")

    if should_run("W4"):
        steps = 10_000

        def w4():
            x0 = torch.tensor(1.0, requires_grad=True)
            x = x0
            for _ in range(steps):
                x = x * 1.0001 + 0.0001
            x.backward()
            return x0.grad

        t = measure(reps(30), 3, w4)
        report("W4", "pytorch", "float32", "time_per_node", [s * 1e6 / (2 * steps) for s in t], "us")

    if should_run("W5"):
        for n in (1024, 2048):
            for dtype, name in [(torch.float32, "float32"), (torch.float64, "float64")]:
                g = torch.Generator().manual_seed(2)
                a = torch.rand(n, n, generator=g, dtype=dtype) * 2 - 1
                b = torch.rand(n, n, generator=g, dtype=dtype) * 2 - 1
                flops = 2.0 * n ** 3
                t = measure(reps(20 if n >= 2048 else 30), 2, lambda: torch.mm(a, b))
                report("W5", "pytorch", name, "gflops", [flops / s / 1e9 for s in t], "GFLOP/s", size=n)

    if should_run("W6"):
        w6(torch, F)
    if should_run("W8"):
        w8(torch, F)
    if should_run("W9"):
        w9(torch, F)

    if should_run("J1") and ARGS.w2_body:
        j1_python(ARGS.w2_body)


def w6(torch, F):
    """A CNN step, float32, x [32, 3, 32, 32]: conv 3->32 k3 p1, relu, max_pool 2, conv 32->64
    k3 p1, relu, max_pool 2, reshape [32, 4096], linear 4096->10, cross_entropy; the loss and
    every parameter's gradient (autograd-bench's W6)."""
    g = torch.Generator().manual_seed(6)
    B = 32
    x = torch.rand(B, 3, 32, 32, generator=g) * 2 - 1
    labels = torch.randint(0, 10, (B,), generator=g)

    def param(shape, fan_in):
        return ((torch.rand(*shape, generator=g) * 2 - 1) / fan_in ** 0.5).requires_grad_()

    params = [param((32, 3, 3, 3), 27), param((32,), 27), param((64, 32, 3, 3), 288), param((64,), 288),
              param((10, 4096), 4096), param((10,), 4096)]

    def step():
        for p in params:
            p.grad = None
        w1, b1, w2, b2, w3, b3 = params
        h = F.max_pool2d(torch.relu(F.conv2d(x, w1, b1, padding=1)), 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, w2, b2, padding=1)), 2)
        loss = F.cross_entropy(F.linear(h.reshape(B, 4096), w3, b3), labels)
        loss.backward()
        return loss

    t = measure(reps(30), 3, step)
    report("W6", "pytorch", "float32", "time_per_step", [s * 1e3 for s in t], "ms")
def w8(torch, F):
    """W8: the Hessian-vector product of W2's MLP loss with respect to its six parameters,
    torch.autograd.functional.hvp (forward, create-graph backward, and torch's double-backward
    trick for H·v); torch.autograd.functional.vhp (the gradient of <grad, v>, which equals H·v
    for a symmetric H and is one backward pass cheaper) as a reference row; and a W2 step of
    the same model timed alternately with the HVP (autograd-bench's W8)."""
    g = torch.Generator().manual_seed(0)
    sizes, B = [784, 512, 512, 10], 128
    x = torch.rand(B, sizes[0], generator=g) * 2 - 1
    labels = torch.randint(0, sizes[-1], (B,), generator=g)
    params = []
    for i in range(3):
        bound = 1 / sizes[i] ** 0.5
        params.append(((torch.rand(sizes[i], sizes[i + 1], generator=g) * 2 - 1) * bound).requires_grad_())
        params.append(((torch.rand(sizes[i + 1], generator=g) * 2 - 1) * bound).requires_grad_())
    vectors = tuple(torch.rand(p.shape, generator=g) * 2 - 1 for p in params)
    inputs = tuple(p.detach() for p in params)

    def loss(W1, b1, W2, b2, W3, b3):
        h = torch.relu(torch.addmm(b1, x, W1))
        h = torch.relu(torch.addmm(b2, h, W2))
        return F.cross_entropy(torch.addmm(b3, h, W3), labels)

    def step():
        for p in params:
            p.grad = None
        out = loss(*params)
        out.backward()
        return out

    _, hv = torch.autograd.functional.hvp(loss, inputs, vectors)
    _, vh = torch.autograd.functional.vhp(loss, inputs, vectors)
    assert all(torch.allclose(a, b, rtol=1e-3, atol=1e-5) for a, b in zip(hv, vh)), "hvp != vhp"
    hvp_t, step_t = [], []
    for i in range(3 + reps(30)):
        t0 = time.perf_counter_ns()
        torch.autograd.functional.hvp(loss, inputs, vectors)
        t1 = time.perf_counter_ns()
        step()
        t2 = time.perf_counter_ns()
        if i >= 3:
            hvp_t.append((t1 - t0) / 1e6)
            step_t.append((t2 - t1) / 1e6)
    vhp_t = measure(reps(30), 3, lambda: torch.autograd.functional.vhp(loss, inputs, vectors))
    report("W8", "pytorch", "float32", "hvp_time", hvp_t, "ms")
    report("W8", "pytorch", "float32", "w2_step_paired", step_t, "ms")
    report("W8", "pytorch", "float32", "vhp_time", [s * 1e3 for s in vhp_t], "ms")


def w9(torch, F):
    """W9: W2's MLP trained with torch.optim at its defaults (SGD: lr 0.01, momentum 0.9),
    the whole step (zero_grad, forward, backward, step) and optimizer.step() alone."""
    import time as _time
    optimizers = [("sgd", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
                  ("adam", lambda p: torch.optim.Adam(p)),
                  ("adamw", lambda p: torch.optim.AdamW(p))]
    sizes, B = [784, 512, 512, 10], 128
    for name, make in optimizers:
        g = torch.Generator().manual_seed(0)
        x = torch.rand(B, sizes[0], generator=g) * 2 - 1
        labels = torch.randint(0, sizes[-1], (B,), generator=g)
        params = []
        for i in range(3):
            bound = 1 / sizes[i] ** 0.5
            params.append(((torch.rand(sizes[i], sizes[i + 1], generator=g) * 2 - 1) * bound).requires_grad_())
            params.append(((torch.rand(sizes[i + 1], generator=g) * 2 - 1) * bound).requires_grad_())
        opt = make(params)
        W1, b1, W2, b2, W3, b3 = params

        def step():
            t0 = _time.perf_counter_ns()
            opt.zero_grad()
            h = torch.relu(torch.addmm(b1, x, W1))
            h = torch.relu(torch.addmm(b2, h, W2))
            loss = F.cross_entropy(torch.addmm(b3, h, W3), labels)
            loss.backward()
            t1 = _time.perf_counter_ns()
            opt.step()
            t2 = _time.perf_counter_ns()
            return (t2 - t0) / 1e6, (t2 - t1) / 1e6

        for _ in range(5):
            step()
        runs = [step() for _ in range(reps(50))]
        report("W9", "pytorch", "float32", "time_per_step", [r[0] for r in runs], "ms", optimizer=name)
        report("W9", "pytorch", "float32", "update", [r[1] for r in runs], "ms", optimizer=name)


if __name__ == "__main__":
    main()
