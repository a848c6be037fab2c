// The AVX2 loops follow the published method of Muła and Lemire ("Faster Base64 Encoding
// and Decoding Using AVX2 Instructions", ACM TOW 2018): characters classified by their
// two nibbles with byte shuffles, translated by a per-class offset, and packed with
// multiply-adds; encoding the reverse. The portable loops use the same tables as the
// Swift code did (four 256-entry decode tables, one 4096-entry pair table).
#include "CBase64.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CB64_X86 1
#else
#define CB64_X86 0
#endif

static const char alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// MARK: tables for the portable loops, built once

static uint32_t decode_table[4][256];  // the character's value at its place in 24 bits, or 1 << 31
static uint16_t pair_table[4096];      // two characters per 12-bit value
static volatile int tables_ready = 0;

static int sextet(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

static void build_tables(void) {
  if (tables_ready) return;
  // Racing first calls write the same values.
  for (int k = 0; k < 4; k++)
    for (int c = 0; c < 256; c++) {
      int x = sextet((uint8_t)c);
      decode_table[k][c] = x < 0 ? (1u << 31) : (uint32_t)x << (18 - 6 * k);
    }
  for (int v = 0; v < 4096; v++) pair_table[v] = (uint16_t)((uint8_t)alphabet[v >> 6] << 8 | (uint8_t)alphabet[v & 63]);
  __atomic_store_n(&tables_ready, 1, __ATOMIC_RELEASE);
}

// Decodes quads until one holds a character outside the alphabet; returns how many were good.
static size_t decode_portable(const uint8_t *s, size_t quads, uint8_t *o) {
  build_tables();
  for (size_t q = 0; q < quads; q++, s += 4, o += 3) {
    const uint32_t v = decode_table[0][s[0]] | decode_table[1][s[1]] | decode_table[2][s[2]] | decode_table[3][s[3]];
    if (v >> 31) return q;
    o[0] = (uint8_t)(v >> 16);
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)v;
  }
  return quads;
}

static void encode_portable(const uint8_t *s, size_t triples, uint8_t *d) {
  build_tables();
  for (size_t t = 0; t < triples; t++, s += 3, d += 4) {
    const uint32_t v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
    const uint16_t hi = pair_table[v >> 12], lo = pair_table[v & 0xFFF];
    d[0] = (uint8_t)(hi >> 8);
    d[1] = (uint8_t)hi;
    d[2] = (uint8_t)(lo >> 8);
    d[3] = (uint8_t)lo;
  }
}

// MARK: AVX2

#if CB64_X86
#define CB64_AVX2 __attribute__((target("avx2")))

// 32 characters (8 groups) at a time; returns the groups decoded before a block with a
// character outside the alphabet.
CB64_AVX2 static size_t decode_avx2(const uint8_t *src, size_t quads, uint8_t *dst) {
  // Per low nibble: the classes (bits) of high nibbles for which it is invalid, and 0x10
  // (every high nibble outside 2..7 is invalid for any low nibble).
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A,
                                          0x1B, 0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  // Per high nibble: its class ('+' '/' row, digits, A-O / a-o, P-Z / p-z, invalid).
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  // Per high nibble (less one for '/'): what to add to the character to get its value.
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4,
                                            -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i slash = _mm256_set1_epi8('/');
  const __m256i merge_pairs = _mm256_set1_epi32(0x01400140);
  const __m256i merge_quads = _mm256_set1_epi32(0x00011000);
  const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10,
                                        9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  size_t q = 0;
  for (; q + 8 <= quads; q += 8) {
    const __m256i in = _mm256_loadu_si256((const __m256i *)(src + 4 * q));
    const __m256i hi_nibbles = _mm256_and_si256(_mm256_srli_epi32(in, 4), nibble);
    const __m256i lo_nibbles = _mm256_and_si256(in, nibble);
    const __m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nibbles);
    const __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nibbles);
    if (!_mm256_testz_si256(lo, hi)) break;
    const __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(in, slash), hi_nibbles));
    const __m256i values = _mm256_add_epi8(in, roll);
    const __m256i pairs = _mm256_maddubs_epi16(values, merge_pairs);
    const __m256i words = _mm256_madd_epi16(pairs, merge_quads);
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, pack), lanes);
    uint8_t *o = dst + 3 * q;
    _mm_storeu_si128((__m128i *)o, _mm256_castsi256_si128(bytes));
    _mm_storel_epi64((__m128i *)(o + 16), _mm256_extracti128_si256(bytes, 1));
  }
  return q + decode_portable(src + 4 * q, quads - q, dst + 3 * q);
}

// 24 bytes (8 groups) at a time, read as two 16-byte loads (the second from byte 12), so
// the loop stops while at least 4 bytes beyond its 24 remain to be read.
CB64_AVX2 static void encode_avx2(const uint8_t *src, size_t triples, uint8_t *dst) {
  const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10, 1, 0, 2, 1, 4, 3, 5, 4,
                                          7, 6, 8, 7, 10, 9, 11, 10);
  const __m256i shift_lut = _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                             '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0,
                                             'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                             '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
  size_t t = 0;
  for (; t + 8 + 2 <= triples; t += 8) {  // 24 bytes used, 28 read: 2 more groups must exist
    const uint8_t *s = src + 3 * t;
    const __m128i lo = _mm_loadu_si128((const __m128i *)s);
    const __m128i hi = _mm_loadu_si128((const __m128i *)(s + 12));
    __m256i in = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
    in = _mm256_shuffle_epi8(in, spread);
    const __m256i t0 = _mm256_and_si256(in, _mm256_set1_epi32(0x0fc0fc00));
    const __m256i t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
    const __m256i t2 = _mm256_and_si256(in, _mm256_set1_epi32(0x003f03f0));
    const __m256i t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
    const __m256i indices = _mm256_or_si256(t1, t3);
    __m256i reduced = _mm256_subs_epu8(indices, _mm256_set1_epi8(51));
    const __m256i below26 = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), indices);
    reduced = _mm256_or_si256(reduced, _mm256_and_si256(below26, _mm256_set1_epi8(13)));
    const __m256i chars = _mm256_add_epi8(_mm256_shuffle_epi8(shift_lut, reduced), indices);
    _mm256_storeu_si256((__m256i *)(dst + 4 * t), chars);
  }
  encode_portable(src + 3 * t, triples - t, dst + 4 * t);
}

CB64_AVX2 static size_t plain_run_avx2(const uint8_t *p, size_t n) {
  const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
  const __m256i control = _mm256_set1_epi8(0x1F);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i c = _mm256_loadu_si256((const __m256i *)(p + i));
    const __m256i special = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(c, quote), _mm256_cmpeq_epi8(c, backslash)),
                                            _mm256_cmpeq_epi8(_mm256_max_epu8(c, control), control));
    // The high bit: bytes 0x80 and above.
    const unsigned mask = (unsigned)_mm256_movemask_epi8(special) | (unsigned)_mm256_movemask_epi8(c);
    if (mask != 0) return i + (size_t)__builtin_ctz(mask);
  }
  return i;
}

static int detect_avx2(void) {
  const char *forced = getenv("CBASE64");
  if (forced != NULL && strcmp(forced, "portable") == 0) return 0;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? 1 : 0;
}
#endif

int cb64_uses_avx2(void) {
#if CB64_X86
  static volatile int level = -1;
  int l = level;
  if (l < 0) level = l = detect_avx2();
  return l;
#else
  return 0;
#endif
}

size_t cb64_decode_quads(const uint8_t *src, size_t quads, uint8_t *dst) {
#if CB64_X86
  if (cb64_uses_avx2()) return decode_avx2(src, quads, dst);
#endif
  return decode_portable(src, quads, dst);
}

size_t cb64_plain_run(const uint8_t *p, size_t n) {
  size_t i = 0;
#if CB64_X86
  if (cb64_uses_avx2()) i = plain_run_avx2(p, n);
#endif
  while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\') i++;
  return i;
}

void cb64_encode_triples(const uint8_t *src, size_t triples, uint8_t *dst) {
#if CB64_X86
  if (cb64_uses_avx2()) {
    encode_avx2(src, triples, dst);
    return;
  }
#endif
  encode_portable(src, triples, dst);
}
