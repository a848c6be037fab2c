#!/usr/bin/env python3
"""make bench-compare's driver: runs each workload in autograd-bench, then in PyTorch
(bench/pytorch_bench.py), then, where jax.jit applies (W2, W3), in jax (bench/jax_bench.py)
before moving to the next, so that the sides of each ratio are measured minutes apart at
most and under the same machine load; then writes the JSON lines to OUT/swift.jsonl,
OUT/pytorch.jsonl and OUT/jax.jsonl.

    python3 bench/run_compare.py --bench PATH/autograd-bench --out DIR [--only W1,W2] [--quick] [--reps N]
"""
import argparse
import os
import subprocess
import sys

WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "J1"]
# The workloads bench/jax_bench.py runs.
JAX_WORKLOADS = {"W2", "W3"}


# The allocator settings autograd-bench applies to itself (MemoryPolicy.keepFreedBuffers),
# given to PyTorch's process too, so that neither side pays page faults the other avoids.
ALLOCATOR_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}
ALLOCATOR_ENV = {**os.environ, **ALLOCATOR_SETTINGS}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--reps")
    args = p.parse_args()
    only = {w.strip().upper() for a in args.only for w in a.split(",") if w.strip()}
    selected = [w for w in WORKLOADS if not only or w in only]
    extra = (["--quick"] if args.quick else []) + (["--reps", args.reps] if args.reps else [])
    os.makedirs(args.out, exist_ok=True)
    body = os.path.join(args.out, "w2-json.json")
    subprocess.run([args.bench, "--write-request", body], check=True)
    here = os.path.dirname(os.path.abspath(__file__))
    print("PyTorch runs with " + " ".join(f"{k}={v}" for k, v in ALLOCATOR_SETTINGS.items())
          + " (autograd-bench's MemoryPolicy.keepFreedBuffers())", flush=True)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not importable: the table shows SwiftAutograd alone "
              "(numpy W1 and Python J1 still run)", flush=True)
    try:
        import jax  # noqa: F401
        have_jax = True
    except ImportError:
        have_jax = False
        print("jax is not importable: W3 has no jax.jit column", flush=True)
    files = {impl: open(os.path.join(args.out, f"{impl}.jsonl"), "w") for impl in ("swift", "pytorch", "jax")}
    seen_meta = set()
    for w in selected:
        runs = [("swift", [args.bench, "--json", "--only", w] + extra),
                ("pytorch", [sys.executable, os.path.join(here, "pytorch_bench.py"), "--json", "--only", w,
                             "--w2-body", body] + extra)]
        if have_jax and w in JAX_WORKLOADS:
            runs.append(("jax", [sys.executable, os.path.join(here, "jax_bench.py"), "--json", "--only", w] + extra))
        for impl, argv in runs:
            out = subprocess.run(argv, capture_output=True, text=True, env=ALLOCATOR_ENV if impl != "swift" else None)
            if out.returncode not in (0, 3 if impl == "pytorch" and not have_torch else 0):
                sys.stderr.write(out.stderr)
                sys.exit(f"run_compare: {' '.join(argv)} exited {out.returncode}")
            for line in out.stdout.splitlines():
                if not line.startswith("{"):
                    continue
                if '"meta": true' in line:
                    if impl in seen_meta:
                        continue
                    seen_meta.add(impl)
                files[impl].write(line + "\n")
                print(line, flush=True)
    for f in files.values():
        f.close()


if __name__ == "__main__":
    main()
