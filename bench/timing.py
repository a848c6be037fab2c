"""What bench/pytorch_bench.py and bench/jax_bench.py share: their common flags, which
workloads were asked for (--only), how many repetitions (--reps, --quick), and the timing
loop."""
import argparse
import time


def parser(description, workloads):
    """An argument parser with the flags both benchmarks take: --json, --only (of
    `workloads`, named in its help), --quick and --reps."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="JSON lines (default: a table)")
    p.add_argument("--only", action="append", default=[], help="workloads, comma-separated: " + " ".join(workloads))
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--reps", type=int, help="repetitions for every workload")
    return p


def selected(only_args):
    """The workloads named by the --only arguments (comma-separated, repeatable), or None for all."""
    return {w.strip().upper() for arg in only_args for w in arg.split(",") if w.strip()} or None


def repetitions(normal, args):
    """--reps N if given, a fifth of `normal` (at least 3) with --quick, else `normal`."""
    if args.reps:
        return args.reps
    return max(3, normal // 5) if args.quick else normal


def measure(n, warmup, body):
    """Seconds of each of `n` calls of `body`, after `warmup` untimed ones."""
    for _ in range(warmup):
        body()
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        body()
        out.append((time.perf_counter_ns() - t0) / 1e9)
    return out
