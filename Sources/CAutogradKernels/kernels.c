// The kernels of CAutogradKernels.h. Each is written once as an always-inline body and
// instantiated twice: plainly (the baseline) and inside a function compiled with
// __attribute__((target("avx2,fma"))), whose loop the vectoriser then widens to 256 bits.
// No compiler flags: a package depended on by version may not set any.
//
// The formulas are FastMath.swift's, operation for operation, with its constants written
// as the exact float/double values Swift's literals round to (hex floats), and with
// contraction off: an FMA would round once where Swift rounds twice.
#include "CAutogradKernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define CAK_INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__)
#define CAK_HAVE_AVX2 1
#define CAK_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define CAK_HAVE_AVX2 0
#endif

// MARK: run-time choice

static int detect_level(void) {
  const char *forced = getenv("AUTOGRAD_CPU");
  if (forced != NULL && strcmp(forced, "baseline") == 0) return CAK_BASELINE;
#if CAK_HAVE_AVX2
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CAK_AVX2;
#endif
  return CAK_BASELINE;
}

int cak_cpu_level(void) {
  // Racing first calls compute the same value; an int store is atomic on every target.
  static volatile int level = -1;
  int l = level;
  if (l < 0) level = l = detect_level();
  return l;
}

int cak_max_level(void) { return CAK_HAVE_AVX2 ? CAK_AVX2 : CAK_BASELINE; }

// MARK: FastMath.swift

static inline float f32_from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}
static inline uint32_t f32_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}
static inline double f64_from_bits(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}
static inline uint64_t f64_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}

// Float.expNonPositive: Cephes' expf.
CAK_INLINE float exp_nonpositive_f32(float x) {
  const float xc = x < -87.0f ? -87.0f : x;
  const float shifter = 0x1.8p+23f;
  const float t = xc * 0x1.715476p+0f + shifter;
  const float n = t - shifter;
  float r = xc - n * 0x1.63p-1f;
  r -= n * -0x1.bd0106p-13f;
  float p = 0x1.a0d2cep-13f;
  p = p * r + 0x1.6e879cp-10f;
  p = p * r + 0x1.111210p-7f;
  p = p * r + 0x1.555382p-5f;
  p = p * r + 0x1.555554p-3f;
  p = p * r + 0x1.0p-1f;
  const float er = p * r * r + r + 1.0f;
  const float scale = f32_from_bits((f32_bits(t) - f32_bits(shifter) + 127u) << 23);
  return x < -87.0f ? 0.0f : er * scale;
}

// Double.expNonPositive: fdlibm's exp.
CAK_INLINE double exp_nonpositive_f64(double x) {
  const double xc = x < -746.0 ? -746.0 : x;
  const double shifter = 0x1.8p+52;
  const double t = xc * 0x1.71547652b82fep+0 + shifter;
  const double k = t - shifter;
  const double hi = xc - k * 0x1.62e42feep-1;
  const double lo = k * 0x1.a39ef35793c76p-33;
  const double r = hi - lo;
  const double rr = r * r;
  double p = 0x1.6376972bea4d0p-25;
  p = p * rr - 0x1.bbd41c5d26bf1p-20;
  p = p * rr + 0x1.1566aaf25de2cp-14;
  p = p * rr - 0x1.6c16c16bebd93p-9;
  p = p * rr + 0x1.555555555553ep-3;
  const double c = r - rr * p;
  const double er = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  const int64_t nk = (int64_t)(f64_bits(t) - f64_bits(shifter));
  const int64_t n1 = nk >> 1, n2 = nk - n1;
  const double s1 = f64_from_bits((uint64_t)(n1 + 1023) << 52);
  const double s2 = f64_from_bits((uint64_t)(n2 + 1023) << 52);
  return x < -746.0 ? 0.0 : er * s1 * s2;
}

// Scalar.logistic.
#define CAK_LOGISTIC(T, exp_nonpositive, fabs_)         \
  CAK_INLINE T logistic_##T(T x) {                      \
    const T e = exp_nonpositive(-fabs_(x));             \
    const T d = 1 + e;                                  \
    return x >= 0 ? 1 / d : e / d;                      \
  }
CAK_LOGISTIC(float, exp_nonpositive_f32, __builtin_fabsf)
CAK_LOGISTIC(double, exp_nonpositive_f64, __builtin_fabs)

// MARK: kernels

// One loop per op, so that each vectorises on its own.
#define CAK_LOOP(stmt) for (ptrdiff_t i = 0; i < n; i++) stmt

// The kernel families for element type T, as always-inline bodies; CAK_ENTRY below
// instantiates each at every level.
#define CAK_FAMILIES(T)                                                                 \
  CAK_INLINE void unary_##T(int op, const T *x, T *y, ptrdiff_t n) {                    \
    switch (op) {                                                                       \
      case CAK_LOGISTIC: CAK_LOOP(y[i] = logistic_##T(x[i])); break;                    \
    }                                                                                   \
  }                                                                                     \
  CAK_INLINE void binary_##T(int op, const T *a, const T *b, T *y, ptrdiff_t n) {       \
    switch (op) {                                                                       \
      case CAK_ADD: CAK_LOOP(y[i] = a[i] + b[i]); break;                                \
      case CAK_SUB: CAK_LOOP(y[i] = a[i] - b[i]); break;                                \
      case CAK_MUL: CAK_LOOP(y[i] = a[i] * b[i]); break;                                \
      case CAK_DIV: CAK_LOOP(y[i] = a[i] / b[i]); break;                                \
      case CAK_SIGMOID_GRADIENT: CAK_LOOP(y[i] = a[i] * (1 - b[i]) * b[i]); break;      \
    }                                                                                   \
  }                                                                                     \
  CAK_INLINE void accumulate_##T(const T *x, T *y, ptrdiff_t n) { CAK_LOOP(y[i] += x[i]); }
CAK_FAMILIES(float)
CAK_FAMILIES(double)

// The entry point `name` with parameters `params` (the level first): `body(args...)`
// compiled plainly and for AVX2, the level choosing which runs.
#if CAK_HAVE_AVX2
#define CAK_ENTRY(name, body, params, ...)                                   \
  static void name##_baseline params { (void)level; body(__VA_ARGS__); }    \
  CAK_TARGET_AVX2 static void name##_avx2 params { (void)level; body(__VA_ARGS__); } \
  void name params {                                                         \
    if (level >= CAK_AVX2) name##_avx2(level, __VA_ARGS__);                  \
    else name##_baseline(level, __VA_ARGS__);                                \
  }
#else
#define CAK_ENTRY(name, body, params, ...) \
  void name params { (void)level; body(__VA_ARGS__); }
#endif

CAK_ENTRY(cak_unary_f32, unary_float, (int level, int op, const float *x, float *y, ptrdiff_t n), op, x, y, n)
CAK_ENTRY(cak_unary_f64, unary_double, (int level, int op, const double *x, double *y, ptrdiff_t n), op, x, y, n)
CAK_ENTRY(cak_binary_f32, binary_float,
          (int level, int op, const float *a, const float *b, float *y, ptrdiff_t n), op, a, b, y, n)
CAK_ENTRY(cak_binary_f64, binary_double,
          (int level, int op, const double *a, const double *b, double *y, ptrdiff_t n), op, a, b, y, n)
CAK_ENTRY(cak_accumulate_f32, accumulate_float, (int level, const float *x, float *y, ptrdiff_t n), x, y, n)
CAK_ENTRY(cak_accumulate_f64, accumulate_double, (int level, const double *x, double *y, ptrdiff_t n), x, y, n)
