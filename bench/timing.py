"""What bench/pytorch_bench.py and bench/jax_bench.py share: which workloads were asked
for (--only), how many repetitions (--reps, --quick), and the timing loop."""
import time


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
