#!/usr/bin/env python3
"""The workloads of autograd-bench where jax.jit applies, for side-by-side numbers (issue 13).

    python3 bench/jax_bench.py [--json] [--only W2,W3] [--quick] [--reps N]

W3: sum(sigmoid(a*b + a)) over 1,000,000 elements and its gradients with respect to a and
b, in float32 and float64, as one `jax.jit(jax.value_and_grad(...))` (XLA fuses the chain:
the compiled-graph case SwiftAutograd's `FusedElementwise.trace` answers). W2, for
reference: the MLP step (batch 128, 784-512-512-10, ReLU, cross-entropy on integer labels,
the loss and all six parameter gradients) as one jitted function. Compilation happens in
the warm-up; each timed call ends with `block_until_ready`. XLA's CPU backend uses the
machine's cores (2 here). Prints one JSON line per result with "impl": "jax"; without jax
it says so and exits 3 (make bench-compare installs it from PyPI). CI never runs this.
"""
import json
import os
import statistics
import sys

import timing


WORKLOADS = ("W2", "W3")
ARGS = timing.parser(__doc__, WORKLOADS).parse_args()
ONLY = timing.selected(ARGS.only)


def should_run(w):
    return ONLY is None or w in ONLY


def reps(normal):
    return timing.repetitions(normal, ARGS)


measure = timing.measure


def report(workload, dtype, metric, values, unit):
    line = {"workload": workload, "impl": "jax", "dtype": dtype, "metric": metric,
            "median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "unit": unit}
    if ARGS.json:
        print(json.dumps(line), flush=True)
    else:
        print(f"{workload:<4} jax  {dtype:<8} {metric:<16} {line['median']:>10.4g} {line['min']:>10.4g} "
              f"{line['max']:>10.4g} {line['n']:>4} {unit}", flush=True)


def main():
    if ONLY is not None and not ONLY & set(WORKLOADS):
        return  # nothing of ours was asked for
    try:
        import jax
        import jax.numpy as jnp
        import numpy as np
    except ImportError:
        print("jax is not importable (make bench-compare installs it: pip install jax)", file=sys.stderr)
        sys.exit(3)
    jax.config.update("jax_enable_x64", True)  # float64 arrays stay float64; float32 ones stay float32
    if ARGS.json:
        print(json.dumps({"meta": True, "impl": "jax", "jax": jax.__version__, "backend": jax.default_backend(),
                          "cores": os.cpu_count(), "loadavg": " ".join(open("/proc/loadavg").read().split()[:3])}),
              flush=True)

    if should_run("W2"):
        rng = np.random.default_rng(1)
        sizes = [(784, 512), (512, 512), (512, 10)]
        params = []
        for fan_in, fan_out in sizes:
            bound = 1 / np.sqrt(fan_in)
            params.append(jnp.asarray(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)))
            params.append(jnp.asarray(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)))
        x = jnp.asarray(rng.standard_normal((128, 784)).astype(np.float32))
        labels = jnp.asarray(rng.integers(0, 10, 128).astype(np.int32))

        def loss(params):
            w1, b1, w2, b2, w3, b3 = params
            h = jax.nn.relu(x @ w1 + b1)
            h = jax.nn.relu(h @ w2 + b2)
            logits = h @ w3 + b3
            logp = jax.nn.log_softmax(logits, axis=-1)
            return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=-1))

        step = jax.jit(jax.value_and_grad(loss))
        t = measure(reps(50), 5, lambda: jax.block_until_ready(step(params)))
        report("W2", "float32", "time_per_step", [s * 1e3 for s in t], "ms")

    if should_run("W3"):
        for dtype, name in [(np.float32, "float32"), (np.float64, "float64")]:
            rng = np.random.default_rng(1)
            n = 1_000_000
            a = jnp.asarray((rng.random(n) * 4 - 2).astype(dtype))
            b = jnp.asarray((rng.random(n) * 4 - 2).astype(dtype))
            f = jax.jit(jax.value_and_grad(lambda a, b: jnp.sum(jax.nn.sigmoid(a * b + a)), argnums=(0, 1)))
            t = measure(reps(30), 3, lambda: jax.block_until_ready(f(a, b)))
            report("W3", name, "time", [s * 1e3 for s in t], "ms")


if __name__ == "__main__":
    main()
