#!/usr/bin/env python3
"""Every public symbol of the Autograd library has a doc comment (`make docs`, `make test`).

Reads the symbol graph that `swift package generate-documentation --target Autograd`
extracted (newest under .build/*/extracted-symbols/) and lists each public declaration
written in Sources/Autograd without a `///` comment of its own or one inherited from the
protocol requirement it implements, as FILE:LINE. Exits 1 if there is any.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    graphs = sorted(ROOT.glob(".build/*/extracted-symbols/*/Autograd/Autograd*.symbols.json"),
                    key=lambda p: p.stat().st_mtime)
    if not graphs:
        sys.exit("no symbol graph: run `swift package generate-documentation --target Autograd` first")
    newest = graphs[-1].parent
    missing = set()
    for path in newest.glob("Autograd*.symbols.json"):
        for symbol in json.loads(path.read_text())["symbols"]:
            location = symbol.get("location")
            if symbol.get("accessLevel") not in ("public", "open") or not location or symbol.get("docComment"):
                continue
            uri = location["uri"]
            if "/Sources/Autograd/" not in uri:
                continue
            file = "Sources/Autograd/" + uri.split("/Sources/Autograd/", 1)[1]
            line = location["position"]["line"] + 1
            missing.add((file, line, ".".join(symbol["pathComponents"])))
    for file, line, name in sorted(missing):
        print(f"{file}:{line}: public {name} has no doc comment")
    print(f"doc coverage: {len(missing)} public symbols of Autograd without a doc comment")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
