#!/usr/bin/env python3
"""The curl examples of README.md and docs/*.md, run against a live server (`make test`).

    python3 tools/check_doc_examples.py --url http://127.0.0.1:PORT   (tools/with_server.py gives one)

A fenced block preceded by the line `<!-- doctest -->` is a transcript: each `$ curl ...`
command (continued over lines ending in `\\`) is run from the repository root with
`localhost:8080` replaced by the server's address, and what it prints must equal the lines
after it, up to the next `$` line or the end of the block. `$ make run ...` lines are the
reader's set-up and are skipped. A block with a `$ curl` line and no marker is an error
too, so no example escapes the check. A mismatch prints the file, the line of the command
and a diff (of the pretty-printed JSON when both sides are JSON). The blocks are the only
copy of the examples: there is nothing to keep in step.
"""
import argparse
import difflib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- doctest -->"
FENCE = re.compile(r"^\s*(```|~~~)")
EXAMPLE_HOST = "localhost:8080"


def markdown_files():
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def blocks(path):
    """(marked, [(line number, text)]) for each fenced block of a Markdown file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            marked = i > 0 and lines[i - 1].strip() == MARKER
            start, i = i, i + 1
            body = []
            while i < len(lines) and not FENCE.match(lines[i]):
                body.append((i + 1, lines[i]))
                i += 1
            yield start + 1, marked, body
        i += 1


def transcript(body):
    """(line, command, expected output) for each `$` command of a block."""
    steps, i = [], 0
    while i < len(body):
        number, text = body[i]
        if not text.startswith("$ "):
            i += 1
            continue
        command = text[2:]
        while command.rstrip().endswith("\\") and i + 1 < len(body):
            i += 1
            command = command.rstrip()[:-1] + " " + body[i][1].strip()
        output = []
        while i + 1 < len(body) and not body[i + 1][1].startswith("$ "):
            i += 1
            output.append(body[i][1])
        steps.append((number, command, "\n".join(output)))
        i += 1
    return steps


def run(command, base):
    args = shlex.split(command, comments=True)
    args = [a.replace(f"http://{EXAMPLE_HOST}", base).replace(EXAMPLE_HOST, base.split("://", 1)[1]) for a in args]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    return done.stdout.rstrip("\n"), done.returncode, done.stderr


def diff(expected, actual):
    try:
        expected = json.dumps(json.loads(expected), indent=1, sort_keys=True)
        actual = json.dumps(json.loads(actual), indent=1, sort_keys=True)
    except ValueError:
        pass
    return "\n".join(difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "shown", "served", lineterm=""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the live server, e.g. http://127.0.0.1:8080")
    base = parser.parse_args().url.rstrip("/")
    failures, ran = [], 0
    for path in markdown_files():
        name = path.relative_to(ROOT)
        for start, marked, body in blocks(path):
            steps = transcript(body)
            curls = [s for s in steps if s[1].startswith("curl ")]
            if curls and not marked:
                failures.append(f"{name}:{start}: a curl transcript without {MARKER} before its block")
                continue
            if not marked:
                continue
            if not curls:
                failures.append(f"{name}:{start}: marked {MARKER} but holds no `$ curl` command")
            for number, command, expected in steps:
                if command.startswith("make run"):
                    continue
                if not command.startswith("curl "):
                    failures.append(f"{name}:{number}: only curl commands can be checked: {command}")
                    continue
                ran += 1
                actual, status, stderr = run(command, base)
                if status != 0:
                    failures.append(f"{name}:{number}: curl exited {status}: {stderr.strip()}")
                elif actual != expected:
                    failures.append(f"{name}:{number}: the server's answer differs from the one shown\n"
                                    + diff(expected, actual))
    for f in failures:
        print(f)
    print(f"doc examples: {ran} run, {len(failures)} failed")
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
