#!/usr/bin/env python3
"""Every Swift example the library's documentation shows, compiled and run (issue 22).

Collects the ```swift blocks of the library's doc comments (Sources/Autograd), its DocC
articles, docs/*.md and the README, and turns each into a function of an executable
target (`snippets`) that tools/check_consumer.py builds beside the consumer example,
against the library as a dependency. Running it checks what the examples claim:
- `print(expr)   // value`: the line printed is `value`;
- `expr   // value` (a bare expression with a comment): `print(expr)` gives `value`, or
  the comment starts with it followed by ',' or ' ' (a remark after the value);
- `assert(...)`: holds (the target is built in debug).

A fragment that uses names it does not define (`model`, `x`) gets them from CONTEXT
below: the setup a reader is assumed to have, written out so that it compiles. A block
that is not Swift code to run (a Package.swift fragment) is listed in SKIP with why.
Type declarations (`struct`, `final class`, `extension`, ...) at the start of a line go
at file scope; everything else runs inside the snippet's function, in its own directory.

Usage (standalone, to list what it finds): python3 tools/swift_snippets.py
"""
import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Setup for fragments, keyed by the start of one of the snippet's lines, or by
# "FILE|start" where the same line opens snippets of different files.
CONTEXT = {
    # Optimizer.swift's doc comment and docs/swift-library.md's training loop: a model, data, labels.
    "let optimizer = Adam(model.parameters, lr: 1e-2)": """
let model = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 4, seed: 1), ReLU(), Linear(inFeatures: 4, outFeatures: 2, seed: 2))
let x = Tensor<Float>([[1, 1], [-1, -1]])
let y = Tensor<Float>([0, 1])
""",
    "docs/swift-library.md|let model = Sequential<Float>(Linear(inFeatures: 2, outFeatures: 16, seed: 1), ReLU(),": """
let x = Tensor<Float>([[1, 1], [-1, -1], [1, -1], [-1, 1]])
let labels = Tensor<Float>([0, 0, 1, 1])
""",
    "let prediction = noGrad { model(x) }": """
let model = Linear<Float>(inFeatures: 2, outFeatures: 1, seed: 3)
let x = Tensor<Float>([[1, 2]])
let hidden = model(x)
""",
    "let f = try FusedElementwise.trace(inputs: 2": """
let a = Tensor<Float>([1, 2, 3], requiresGrad: true)
let b = Tensor<Float>([0.5, -1, 2], requiresGrad: true)
""",
    "try model.stateDict().write(toFile: \"model.safetensors\")": """
func makeModel() -> Sequential<Float> {
    Sequential<Float>(Linear(inFeatures: 2, outFeatures: 3, seed: 1), ReLU(), Linear(inFeatures: 3, outFeatures: 1, seed: 2))
}
let model = makeModel()
let optimizer = Adam(model.parameters, lr: 0.01)
let freshOptimizer = Adam(makeModel().parameters, lr: 0.01)
""",
}

SKIP = {
    ".package(url: \"https://github.com/<owner>/SwiftAutograd\", branch: \"main\")":
        "a Package.swift fragment; tools/check_consumer.py builds a real manifest that depends on the library",
}

DECLARATION = re.compile(r"^(public |final |private |fileprivate |internal )*(struct|class|enum|extension|protocol|actor)\b")
STATEMENT_START = re.compile(r"^(let|var|try|for|while|if|guard|do|func|return|import|print|assert|precondition|@|#|}|{|//|\.)")


def _blocks(text, doc_comment):
    """The ```swift blocks of `text`, each as (line number, code)."""
    if doc_comment:
        # Doc-comment lines with the `/// ` prefix removed; other lines break blocks.
        lines = text.splitlines()
        out, current, start = [], None, 0
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            if not stripped.startswith("///"):
                current = None
                continue
            body = stripped[3:]
            body = body[1:] if body.startswith(" ") else body
            if current is None and body.strip() == "```swift":
                current, start = [], number
            elif current is not None and body.strip() == "```":
                out.append((start, "\n".join(current)))
                current = None
            elif current is not None:
                current.append(body)
        return out
    return [(text[:m.start()].count("\n") + 1, m.group(1))
            for m in re.finditer(r"^```swift\n(.*?)^```", text, re.S | re.M)]


def collect():
    """Every snippet: dicts with source, line, code."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Sources", "Autograd", "**", "*.swift"), recursive=True)):
        for line, code in _blocks(open(path, encoding="utf-8").read(), doc_comment=True):
            found.append({"source": os.path.relpath(path, ROOT), "line": line, "code": code})
    docs = sorted(glob.glob(os.path.join(ROOT, "Sources", "Autograd", "Autograd.docc", "*.md")))
    docs += sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + [os.path.join(ROOT, "README.md")]
    for path in docs:
        for line, code in _blocks(open(path, encoding="utf-8").read(), doc_comment=False):
            found.append({"source": os.path.relpath(path, ROOT), "line": line, "code": code})
    return found


def _key(code, table, source=""):
    for key in table:
        where, _, start = key.rpartition("|")
        if where and not source.endswith(where):
            continue
        if any(l.strip().startswith(start.strip()) for l in code.splitlines()):
            return key
    return None


def _split_comment(line):
    """(code, comment) of a line with a trailing `//` comment outside a string literal."""
    in_string = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        elif not in_string and line.startswith("//", i):
            return line[:i].rstrip(), line[i + 2:].strip()
    return line, None


def translate(snippet, index):
    """The Swift file for one snippet and the checks its output must pass, or None (skipped)."""
    code = snippet["code"]
    if _key(code, SKIP):
        return None
    context = CONTEXT.get(_key(code, CONTEXT, snippet["source"]) or "", "")
    declarations, statements, checks = [], [], []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if DECLARATION.match(line):
            # A type declaration: up to the line that closes it at column 0.
            depth = 0
            while i < len(lines):
                declarations.append(lines[i])
                depth += lines[i].count("{") - lines[i].count("}")
                i += 1
                if depth <= 0:
                    break
            continue
        if line.strip().startswith("import "):
            i += 1
            continue
        body, comment = _split_comment(line)
        indent = len(line) - len(line.lstrip())
        if comment and body.strip().startswith("print(") and body.endswith(")"):
            checks.append(("equal", comment))
            statements.append(body)
        elif (comment and indent == 0 and body and not STATEMENT_START.match(body) and "=" not in body.replace("==", "")
              and not body.endswith("{") and not body.endswith(",")):
            checks.append(("prefix", comment))
            statements.append(f"print({body})")
        else:
            statements.append(line)
        i += 1
    name = f"snippet{index}"
    body = "\n".join("    " + l for l in (context.strip("\n").splitlines() + statements))
    swift = "\n".join([
        f"// {snippet['source']}:{snippet['line']} (generated by tools/swift_snippets.py)",
        "import Autograd",
        "#if canImport(Foundation)",
        "import Foundation",
        "#endif",
        "",
        *declarations,
        "",
        f"func {name}() throws {{",
        body,
        "}",
        "",
    ])
    return {"name": name, "swift": swift, "checks": checks}


def generate(directory):
    """Writes the snippets target's sources into `directory`; returns the translated snippets
    (with their source and line) in the order main.swift runs them."""
    os.makedirs(directory, exist_ok=True)
    translated = []
    for index, snippet in enumerate(collect()):
        t = translate(snippet, index)
        if t is None:
            continue
        t.update(source=snippet["source"], line=snippet["line"])
        with open(os.path.join(directory, t["name"] + ".swift"), "w", encoding="utf-8") as f:
            f.write(t["swift"])
        translated.append(t)
    main = ["// Runs every documentation snippet in its own directory (generated by tools/swift_snippets.py).",
            "import Foundation", "",
            "let base = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : NSTemporaryDirectory()"]
    for t in translated:
        main += [
            f"print(\"<<<{t['name']}>>>\")",
            f"let dir{t['name']} = base + \"/{t['name']}\"",
            f"try FileManager.default.createDirectory(atPath: dir{t['name']}, withIntermediateDirectories: true)",
            f"FileManager.default.changeCurrentDirectoryPath(dir{t['name']})",
            f"do {{ try {t['name']}() }} catch {{ print(\"<<<threw>>> \\(error)\") }}",
        ]
    with open(os.path.join(directory, "main.swift"), "w", encoding="utf-8") as f:
        f.write("\n".join(main) + "\n")
    return translated


def check(translated, output):
    """Failures (strings) of the snippets binary's `output` against each snippet's checks."""
    failures, sections, current = [], {}, None
    for line in output.splitlines():
        m = re.fullmatch(r"<<<(snippet\d+)>>>", line)
        if m:
            current = m.group(1)
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    for t in translated:
        where = f"{t['source']}:{t['line']}"
        printed = sections.get(t["name"])
        if printed is None:
            failures.append(f"{where}: did not run")
            continue
        threw = [l for l in printed if l.startswith("<<<threw>>>")]
        if threw:
            failures.append(f"{where}: threw {threw[0][len('<<<threw>>> '):]}")
            continue
        if len(printed) != len(t["checks"]):
            failures.append(f"{where}: printed {len(printed)} lines for {len(t['checks'])} checked comments: {printed}")
            continue
        for got, (kind, want) in zip(printed, t["checks"]):
            ok = got == want if kind == "equal" else (
                want == got or want.startswith(got + ",") or want.startswith(got + " "))
            print(f"  {'ok' if ok else 'DIFFERS'}: {where}: printed {got!r}, the comment says {want!r}")
            if not ok:
                failures.append(f"{where}: printed {got!r}, the comment says {want!r}")
    return failures


if __name__ == "__main__":
    for s in collect():
        t = translate(s, 0)
        status = "skipped: " + SKIP[_key(s["code"], SKIP)] if t is None else f"{len(t['checks'])} checked values"
        print(f"{s['source']}:{s['line']}: {status}")
