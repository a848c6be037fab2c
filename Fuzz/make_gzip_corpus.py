#!/usr/bin/env python3
"""Writes Fuzz/gzip-corpus: the seed of `make fuzz`'s gzip mode (AUTOGRAD_FUZZ_INPUT=gzip,
every input a body sent with Content-Encoding: gzip).

Valid bodies: requests of Fuzz/corpus gzip-compressed at levels 0 (stored blocks), 1, 6
and 9, two members one after another, headers with every optional field (FEXTRA, FNAME,
FCOMMENT, FHCRC). Broken ones: a wrong CRC, a wrong length, truncations, a bad magic, a
method other than deflate, reserved flag bits, trailing bytes, an empty body, a header
alone, and a bomb that inflates past the fuzzer's 64 KiB limit. Deterministic (MTIME 0,
sorted inputs); run from the repository root.
"""
import glob
import gzip
import os
import struct
import zlib

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "Fuzz", "gzip-corpus")
os.makedirs(out, exist_ok=True)
for old in glob.glob(os.path.join(out, "*.gz")):
    os.remove(old)

sources = sorted(p for p in glob.glob(os.path.join(root, "Fuzz", "corpus", "*.json")) if os.path.getsize(p) < 4096)
picked = sources[::max(1, len(sources) // 16)][:16]
picked += sorted(p for p in glob.glob(os.path.join(root, "Fuzz", "corpus", "example-*.json")) if os.path.getsize(p) < 8192)


def gz(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)


def full_header(data):
    """A member whose header has FEXTRA, FNAME, FCOMMENT and FHCRC."""
    head = b"\x1f\x8b\x08\x1e" + struct.pack("<I", 0) + b"\x00\xff"
    head += struct.pack("<H", 6) + b"AB\x02\x00hi" + b"body.json\x00" + b"a comment\x00"
    head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    return head + deflate.compress(data) + deflate.flush() + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


files = {}
for i, path in enumerate(picked):
    data = open(path, "rb").read()
    name = os.path.splitext(os.path.basename(path))[0]
    files[f"ok-{name}-l6"] = gz(data)
    if i % 4 == 0:
        files[f"ok-{name}-l0"] = gz(data, 0)
        files[f"ok-{name}-l1"] = gz(data, 1)
        files[f"ok-{name}-l9"] = gz(data, 9)
    if i % 4 == 1:
        files[f"ok-{name}-two-members"] = gz(data[: len(data) // 2]) + gz(data[len(data) // 2:])
        files[f"ok-{name}-full-header"] = full_header(data)
    if i % 4 == 2:
        packed = gz(data)
        files[f"bad-{name}-crc"] = packed[:-8] + bytes([packed[-8] ^ 0xFF]) + packed[-7:]
        files[f"bad-{name}-length"] = packed[:-4] + struct.pack("<I", len(data) + 1)
        files[f"bad-{name}-truncated-half"] = packed[: len(packed) // 2]
        files[f"bad-{name}-truncated-trailer"] = packed[:-3]
        files[f"bad-{name}-trailing-garbage"] = packed + b"{}"
        files[f"bad-{name}-trailing-zeros"] = packed + b"\x00" * 8
    if i % 4 == 3:
        packed = gz(data)
        files[f"bad-{name}-magic"] = b"\x1f\x8c" + packed[2:]
        files[f"bad-{name}-method"] = packed[:2] + b"\x07" + packed[3:]
        files[f"bad-{name}-reserved-flags"] = packed[:3] + b"\xe0" + packed[4:]
        files[f"bad-{name}-deflate-flipped"] = packed[:20] + bytes([packed[20] ^ 0x55]) + packed[21:]
files["bad-empty"] = b""
files["bad-header-only"] = gz(b"{}")[:10]
files["bad-plain-json"] = b'{"tensors": {"x": {"data": [1, 2]}}, "ops": []}'
files["bomb-zeros"] = gz(b"0" * (1 << 20), 9)
files["bomb-two-members"] = gz(b" " * 40000, 9) * 2

for name, data in sorted(files.items()):
    with open(os.path.join(out, f"{name}.gz"), "wb") as f:
        f.write(data)
print(f"wrote {len(files)} files to {os.path.relpath(out, root)}")
