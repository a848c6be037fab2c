#!/usr/bin/env python3
"""Generates the Swift client of api/openapi.yaml with swift-openapi-generator 1.14.3.

    generate.py           build the generator (minutes, once) and rewrite Sources/AutogradAPIClient
    generate.py --check   say whether the committed sources were made from today's api/openapi.yaml

With SWIFT_OPENAPI_GENERATOR set to a built swift-openapi-generator 1.14.3, that one is used.

The generated files are committed, as swift-protobuf output would be: building the
generator takes several minutes on a 2-core machine (measured: docs/python-client.md), too
long to repeat in every `make test`. `openapi.sha256` records the spec and configuration
they were made from. `--check` only warns when they differ (a spec change such as a new op
name does not break the committed client; regenerate when convenient), and fails only when
the generated files are missing.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPEC = ROOT / "api/openapi.yaml"
OUT = HERE / "Sources/AutogradAPIClient"
CONFIG = OUT / "openapi-generator-config.yaml"
STAMP = OUT / "openapi.sha256"


def digest():
    h = hashlib.sha256()
    for path in (SPEC, CONFIG):
        h.update(path.read_bytes())
    return h.hexdigest()


def check():
    generated = sorted(OUT.glob("*.swift"))
    if not generated or not STAMP.exists():
        sys.exit(f"generate.py: no generated client in {OUT}; run `make swift-client-generate`")
    if STAMP.read_text().split()[0] != digest():
        print("generate.py: warning: tools/openapi-swift-client was generated from an older "
              "api/openapi.yaml; run `make swift-client-generate` to refresh it")
    else:
        print(f"generate.py: {len(generated)} generated files match api/openapi.yaml")


def generator():
    """The generator's executable: $SWIFT_OPENAPI_GENERATOR, else built from generator/."""
    if os.environ.get("SWIFT_OPENAPI_GENERATOR"):
        return os.environ["SWIFT_OPENAPI_GENERATOR"]
    swift = shutil.which("swift") or "swift"
    package = HERE / "generator"
    subprocess.run([swift, "build", "--package-path", package, "--product", "swift-openapi-generator"], check=True)
    bin_dir = subprocess.run([swift, "build", "--package-path", package, "--show-bin-path"],
                             check=True, capture_output=True, text=True).stdout.strip()
    return f"{bin_dir}/swift-openapi-generator"


def generate():
    tool = generator()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool, "generate", SPEC, "--config", CONFIG,
                        "--output-directory", tmp], check=True)
        for old in OUT.glob("*.swift"):
            old.unlink()
        for new in sorted(pathlib.Path(tmp).glob("*.swift")):
            shutil.copy(new, OUT / new.name)
    STAMP.write_text(f"{digest()}  api/openapi.yaml + openapi-generator-config.yaml\n")
    print(f"generate.py: wrote {OUT}")


if __name__ == "__main__":
    check() if sys.argv[1:] == ["--check"] else generate()
