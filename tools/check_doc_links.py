#!/usr/bin/env python3
"""Every relative link and #anchor in README.md and docs/*.md resolves (`make test`).

A link `path`, `path#anchor` or `#anchor` must name a file or directory of the checkout and,
with an anchor, a heading of that Markdown file (GitHub's slug: lower case, punctuation
dropped, spaces as hyphens, `-1`, `-2` for repeats) or an `<a id="...">` in it. Links with
a scheme (https:, mailto:) are not fetched: the check runs offline. Prints each broken
link as FILE:LINE and exits 1 if there is any.
"""
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def markdown_files():
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def prose_lines(text):
    """(line number, line) outside fenced code blocks, inline code removed."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, re.sub(r"`[^`]*`", "``", line)


def slug(heading):
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = text.replace("`", "")
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        found, seen = set(), {}
        text = path.read_text(encoding="utf-8")
        fenced = False
        for line in text.splitlines():
            if FENCE.match(line):
                fenced = not fenced
                continue
            if fenced:
                continue
            m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m:
                base = slug(m.group(1))
                n = seen.get(base, 0)
                seen[base] = n + 1
                found.add(base if n == 0 else f"{base}-{n}")
            found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
        cache[path] = found
    return cache[path]


def broken_links():
    for md in markdown_files():
        for number, line in prose_lines(md.read_text(encoding="utf-8")):
            for target in LINK.findall(line):
                if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):
                    continue
                path, _, anchor = target.partition("#")
                resolved = (md.parent / path).resolve() if path else md
                where = f"{md.relative_to(ROOT)}:{number}"
                if not resolved.exists():
                    yield f"{where}: {target}: no file {path}"
                elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                    yield f"{where}: {target}: no heading or anchor #{anchor} in {resolved.relative_to(ROOT)}"
                elif anchor and resolved.suffix != ".md":
                    yield f"{where}: {target}: an anchor into a file that is not Markdown"


def main():
    problems = list(broken_links())
    for p in problems:
        print(p)
    checked = ", ".join(str(p.relative_to(ROOT)) for p in markdown_files())
    print(f"links: {len(problems)} broken in {checked}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
