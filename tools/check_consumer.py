#!/usr/bin/env python3
"""The library as a dependency (issue 20): examples/swift-package depends on SwiftAutograd
by URL and version, as a user's package would.

Pushes the working tree's state (tracked files, uncommitted changes included) into a
temporary bare repository as tag 0.1.0, points the example at it by file:// URL
(SWIFTAUTOGRAD_URL), builds it from clean and runs it. Fails if
- SwiftPM refuses the package (unsafeFlags in a library product do that) or the build fails;
- the README's library example (its `print(...)   // value` lines) is not in main.swift;
- a printed line differs from its `// value` comment;
- building the example compiled a module only the server needs;
- the model and predictions it saves (safetensors) do not load in Python's `safetensors`
  package, or numpy's forward pass over the saved weights differs from its predictions.

Usage: python3 tools/check_consumer.py [--keep]   (--keep leaves the temporary directory)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swift_snippets  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "swift-package")
# Modules a library user must not pay for (build directories SwiftPM makes per module).
SERVER_ONLY = ["AutogradServer", "AutogradGraph", "AutogradONNX", "SwiftProtobuf", "CMicroHTTPD", "autograd_server",
               "ArgumentParser", "ArgumentParserToolInfo", "Logging", "Prometheus", "CoreMetrics", "Metrics"]


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def readme_example_lines():
    """The README's first Swift block under "The Swift library": its commented print lines."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## The Swift library", 1)[1]
    block = section.split("```swift", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.startswith("print(") and "//" in line]


def check_safetensors(directory):
    """The consumer's saved model and predictions, loaded by Python's safetensors (numpy
    only): the model's forward pass in numpy must give the consumer's logits."""
    import numpy as np
    from safetensors.numpy import load_file
    failures = []
    state = load_file(os.path.join(directory, "xor.safetensors"))
    evaluation = load_file(os.path.join(directory, "xor-eval.safetensors"))
    names = sorted(state)
    if names != ["0.W", "0.b", "2.W", "2.b"]:
        failures.append(f"xor.safetensors holds {names}")
        return failures
    if any(v.dtype != np.float32 for v in list(state.values()) + list(evaluation.values())):
        failures.append("a tensor of the consumer's files is not float32")
    x = evaluation["x"]
    hidden = np.maximum(x @ state["0.W"] + state["0.b"], 0)
    logits = hidden @ state["2.W"] + state["2.b"]
    if logits.shape != evaluation["logits"].shape or not np.allclose(logits, evaluation["logits"], rtol=1e-5, atol=1e-5):
        failures.append(f"numpy on the saved weights gives {logits.tolist()}, the consumer {evaluation['logits'].tolist()}")
    else:
        print(f"  ok: safetensors.numpy loads the saved model; numpy's forward pass matches the consumer's logits "
              f"(max difference {float(np.abs(logits - evaluation['logits']).max()):.2e})")
    return failures


def main():
    failures = []
    readme = readme_example_lines()
    main_swift = open(os.path.join(EXAMPLE, "Sources", "consumer", "main.swift"), encoding="utf-8").read()
    main_lines = [line.strip() for line in main_swift.splitlines()]
    if not readme:
        failures.append("README.md: no `print(...)  // value` lines in The Swift library's first block")
    for line in readme:
        if line not in main_lines:
            failures.append(f"README line not in examples/swift-package main.swift: {line}")
    expected = [line.split("//", 1)[1].strip() for line in main_lines if line.startswith("print(") and "//" in line]

    tmp = tempfile.mkdtemp(prefix="swiftautograd-consumer-")
    try:
        # The working tree as a commit (git stash create: tracked files, changes included).
        rev = git("stash", "create") or git("rev-parse", "HEAD")
        bare = os.path.join(tmp, "SwiftAutograd.git")
        git("init", "-q", "--bare", bare)
        git("push", "-q", bare, f"{rev}:refs/tags/0.1.0")
        consumer = os.path.join(tmp, "consumer")
        shutil.copytree(EXAMPLE, consumer, ignore=shutil.ignore_patterns(".build", "Package.resolved"))
        # Every Swift example of the library's documentation, as a second executable
        # built in the same package (tools/swift_snippets.py).
        snippets = swift_snippets.generate(os.path.join(consumer, "Sources", "snippets"))
        with open(os.path.join(consumer, "Package.swift"), "a", encoding="utf-8") as manifest:
            manifest.write('\npackage.targets.append(.executableTarget(name: "snippets", '
                           'dependencies: [.product(name: "Autograd", package: "SwiftAutograd")]))\n')
        env = dict(os.environ, SWIFTAUTOGRAD_URL="file://" + bare)
        swift = os.environ.get("SWIFT", "swift")
        start = time.monotonic()
        run([swift, "build", "--package-path", consumer], env=env)
        seconds = time.monotonic() - start
        print(f"consumer: clean build (resolution included) in {seconds:.0f} s")
        build_dir = os.path.join(consumer, ".build", "debug")
        # SwiftPM plans every module of the graph (an empty X.build for each); a compiled
        # one has object files.
        modules = sorted(d[:-len(".build")] for d in os.listdir(build_dir)
                         if d.endswith(".build") and any(f.endswith(".o") for _, _, fs in os.walk(os.path.join(build_dir, d)) for f in fs))
        print("consumer: compiled modules:", " ".join(modules))
        for name in SERVER_ONLY:
            if name in modules:
                failures.append(f"building the example compiled {name}, which only the server needs")
        out = run([os.path.join(build_dir, "consumer"), tmp], env=env, capture_output=True, text=True).stdout
        printed = out.splitlines()
        if len(printed) != len(expected):
            failures.append(f"consumer printed {len(printed)} lines, main.swift comments {len(expected)}:\n{out}")
        for got, want in zip(printed, expected):
            status = "ok" if got == want else "DIFFERS"
            print(f"  {status}: printed {got!r}, README/main.swift say {want!r}")
            if got != want:
                failures.append(f"printed {got!r}, expected {want!r}")
        failures += check_safetensors(tmp)
        snippet_dir = os.path.join(tmp, "snippet-runs")
        out = run([os.path.join(build_dir, "snippets"), snippet_dir], env=env, capture_output=True, text=True).stdout
        snippet_failures = swift_snippets.check(snippets, out)
        print(f"documentation snippets: {len(snippets)} compiled and ran, "
              f"{sum(len(t['checks']) for t in snippets)} printed values checked, {len(snippet_failures)} failed")
        failures += snippet_failures
    except subprocess.CalledProcessError as error:
        failures.append(f"{' '.join(map(str, error.cmd))} exited {error.returncode}")
    finally:
        if "--keep" in sys.argv:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        return 1
    print("consumer package: builds by version, prints the README's numbers, compiles no server module")
    return 0


if __name__ == "__main__":
    sys.exit(main())
