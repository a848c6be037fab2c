#!/usr/bin/env python3
"""docs/*.dot to docs/*.svg with Graphviz's dot (`make docs`), or `--check` (`make test`).

Each SVG carries the SHA-256 of its source in a comment, so `make docs` re-renders only a
diagram whose source changed (the tree stays clean otherwise, whatever Graphviz version is
installed) and `--check` fails, without needing dot, when a committed SVG is stale.
"""
import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = re.compile(r"<!-- source sha256: ([0-9a-f]{64}) -->")


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for source in sorted((ROOT / "docs").glob("*.dot")):
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        svg = source.with_suffix(".svg")
        current = MARK.search(svg.read_text(encoding="utf-8")) if svg.exists() else None
        if current and current.group(1) == digest:
            continue
        name = svg.relative_to(ROOT)
        if check:
            stale.append(f"{name} is stale: run `make docs` (its source {source.name} changed)")
            continue
        rendered = subprocess.run(["dot", "-Tsvg", str(source)], check=True, capture_output=True, text=True).stdout
        rendered = rendered.replace("<svg", f"<!-- source sha256: {digest} -->\n<svg", 1)
        svg.write_text(rendered, encoding="utf-8")
        print(f"{name}: rendered")
    for s in stale:
        print(s)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
