// The kernels of CAutogradKernels.h. Each is written once as an always-inline body and
// instantiated three times: plainly (the baseline) and inside functions compiled with
// __attribute__((target("avx2,fma"))) and target("avx512f,avx512dq,avx512bw,avx512vl,..."),
// whose loops the vectoriser then widens to 256 and 512 bits.
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
#define CAK_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#else
#define CAK_HAVE_AVX2 0
#endif

// MARK: run-time choice

// What the CPU runs, whatever the environment says.
static int detect_hardware_level(void) {
#if CAK_HAVE_AVX2
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return CAK_BASELINE;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return CAK_AVX512;
  return CAK_AVX2;
#else
  return CAK_BASELINE;
#endif
}

static int hardware_level(void) {
  // Racing first calls compute the same value; an int store is atomic on every target.
  static volatile int level = -1;
  int l = level;
  if (l < 0) level = l = detect_hardware_level();
  return l;
}

static int detect_level(void) {
  const char *forced = getenv("AUTOGRAD_CPU");
  int l = hardware_level();
  if (forced != NULL && strcmp(forced, "baseline") == 0) return CAK_BASELINE;
  if (forced != NULL && strcmp(forced, "avx2") == 0 && l > CAK_AVX2) return CAK_AVX2;
  return l;
}

int cak_cpu_level(void) {
  static volatile int level = -1;
  int l = level;
  if (l < 0) level = l = detect_level();
  return l;
}

int cak_max_level(void) { return CAK_HAVE_AVX2 ? CAK_AVX512 : CAK_BASELINE; }

int cak_hardware_level(void) { return hardware_level(); }

// MARK: FastMath.swift (the exps are in cak_special.h)

// Scalar.logistic.
#define CAK_LOGISTIC(T, exp_nonpositive, fabs_)         \
  CAK_INLINE T logistic_##T(T x) {                      \
    const T e = exp_nonpositive(-fabs_(x));             \
    const T d = 1 + e;                                  \
    return x >= 0 ? 1 / d : e / d;                      \
  }
CAK_LOGISTIC(float, cak_exp_nonpositive_f32, __builtin_fabsf)
CAK_LOGISTIC(double, cak_exp_nonpositive_f64, __builtin_fabs)

// MARK: kernels

// One loop per op, so that each vectorises on its own. Element i reads only element i of
// each input, so an output that is one of its inputs (in place, as the log-softmax's
// exponentials are computed) is as safe to vectorise as a disjoint one: without
// assume_safety, clang's run-time overlap check sent every in-place call to the scalar
// loop (cross_entropy's forward pass 3.3 ms at [1024, 1000], its backward 0.5). Callers
// never pass partly overlapping arrays.
#define CAK_LOOP(stmt) \
  _Pragma("clang loop vectorize(assume_safety)") for (ptrdiff_t i = 0; i < n; i++) stmt

// The kernel families for element type T, as always-inline bodies; CAK_ENTRY below
// instantiates each at every level.
#define CAK_FAMILIES(T, sfx)                                                               \
  CAK_INLINE void unary_##T(int op, const T *x, T *y, ptrdiff_t n) {                    \
    switch (op) {                                                                       \
      case CAK_LOGISTIC: CAK_LOOP(y[i] = logistic_##T(x[i])); break;                    \
      case CAK_ERF: CAK_LOOP(y[i] = cak_erf_##sfx(x[i])); break;                        \
      case CAK_GELU: CAK_LOOP(y[i] = cak_gelu_##sfx(x[i])); break;                      \
      case CAK_EXP_NONPOSITIVE: CAK_LOOP(y[i] = cak_exp_nonpositive_##sfx(x[i])); break; \
      case CAK_RELU: CAK_LOOP(y[i] = x[i] < 0 ? (T)0 : x[i]); break;                   \
    }                                                                                   \
  }                                                                                     \
  CAK_INLINE void binary_##T(int op, const T *a, const T *b, T *y, ptrdiff_t n) {       \
    switch (op) {                                                                       \
      case CAK_ADD: CAK_LOOP(y[i] = a[i] + b[i]); break;                                \
      case CAK_SUB: CAK_LOOP(y[i] = a[i] - b[i]); break;                                \
      case CAK_MUL: CAK_LOOP(y[i] = a[i] * b[i]); break;                                \
      case CAK_DIV: CAK_LOOP(y[i] = a[i] / b[i]); break;                                \
      case CAK_SIGMOID_GRADIENT: CAK_LOOP(y[i] = a[i] * (1 - b[i]) * b[i]); break;      \
      case CAK_GELU_GRADIENT: CAK_LOOP(y[i] = cak_gelu_gradient_##sfx(a[i], b[i])); break; \
      case CAK_ERF_GRADIENT: CAK_LOOP(y[i] = cak_erf_gradient_##sfx(a[i], b[i])); break; \
      case CAK_RELU_GRADIENT: CAK_LOOP(y[i] = b[i] <= 0 ? (T)0 : a[i]); break;         \
    }                                                                                   \
  }                                                                                     \
  CAK_INLINE void accumulate_##T(const T *x, T *y, ptrdiff_t n) { CAK_LOOP(y[i] += x[i]); } \
  /* Lane j adds x[j], x[j + 8], ... in order: the eight adds of a step are one vector  */ \
  /* add (the lanes are independent), so no sum is reassociated.                       */ \
  CAK_INLINE void sum8_##T(const T *x, T *acc, ptrdiff_t n) {                           \
    T a[8];                                                                             \
    for (int j = 0; j < 8; j++) a[j] = acc[j];                                          \
    for (ptrdiff_t i = 0; i + 8 <= n; i += 8)                                           \
      for (int j = 0; j < 8; j++) a[j] += x[i + j];                                     \
    for (int j = 0; j < 8; j++) acc[j] = a[j];                                          \
  }
CAK_FAMILIES(float, f32)
CAK_FAMILIES(double, f64)

// The entry point `name` with parameters `params` (the level first): `body(args...)`
// compiled plainly, for AVX2 and for AVX-512, the level (capped at the CPU's) choosing
// which runs.
#if CAK_HAVE_AVX2
#define CAK_ENTRY(name, body, params, ...)                                   \
  static void name##_baseline params { (void)level; body(__VA_ARGS__); }    \
  CAK_TARGET_AVX2 static void name##_avx2 params { (void)level; body(__VA_ARGS__); } \
  CAK_TARGET_AVX512 static void name##_avx512 params { (void)level; body(__VA_ARGS__); } \
  void name params {                                                         \
    const int hw = hardware_level();                                         \
    if (level >= CAK_AVX512 && hw >= CAK_AVX512) name##_avx512(level, __VA_ARGS__); \
    else if (level >= CAK_AVX2 && hw >= CAK_AVX2) name##_avx2(level, __VA_ARGS__); \
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
CAK_ENTRY(cak_sum8_f32, sum8_float, (int level, const float *x, float *acc, ptrdiff_t n), x, acc, n)
CAK_ENTRY(cak_sum8_f64, sum8_double, (int level, const double *x, double *acc, ptrdiff_t n), x, acc, n)
