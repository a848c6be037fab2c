// CBase64: the bulk of base64 decoding and encoding for AutogradGraph's Base64 (tensors
// sent as "b64" strings), with AVX2 where the CPU has it (chosen at run time: no compiler
// flags, so the package stays usable as a versioned dependency) and a portable loop
// elsewhere. Whole groups only: AutogradGraph's Base64 handles lengths, padding, the last
// group and every error message, and finds the offending character itself.
#ifndef CBASE64_H
#define CBASE64_H

#include <stddef.h>
#include <stdint.h>

/// Decodes up to `quads` complete groups of 4 standard-alphabet characters from `src`
/// into 3 bytes each at `dst`, and returns how many it decoded: all of them, or fewer
/// when a character outside the alphabet ('=' included) lies in the next ones (the
/// caller then decodes the rest itself and reports that character). Writes exactly 3
/// bytes per group it returns, nothing beyond.
size_t cb64_decode_quads(const uint8_t *src, size_t quads, uint8_t *dst);

/// Encodes `triples` groups of 3 bytes from `src` as 4 characters each at `dst` (no
/// padding: whole groups only). Reads nothing beyond the 3 * triples bytes.
void cb64_encode_triples(const uint8_t *src, size_t triples, uint8_t *dst);

/// The length of the longest prefix of `p[0..<n]` made of bytes 0x20...0x7F other than
/// '"' and '\\': the run a JSON string's scan can skip (a base64 string is one such run,
/// up to its closing quote).
size_t cb64_plain_run(const uint8_t *p, size_t n);

/// 1 when the AVX2 loops run on this CPU (CBASE64=portable in the environment forces 0).
int cb64_uses_avx2(void);

#endif
