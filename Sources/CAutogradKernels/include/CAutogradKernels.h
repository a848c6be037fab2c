// CAutogradKernels: the engine's hottest elementwise loops, compiled three times (baseline,
// AVX2 and AVX-512) and chosen at run time, so that the Autograd library needs no -target-cpu flag
// (SwiftPM refuses unsafeFlags in a package depended on by version) and one binary runs
// on any x86-64 while still using 256- or 512-bit vectors where the CPU has them.
//
// Each kernel takes the level to run at as its first argument: the engine passes
// cak_cpu_level(), the tests pass each level in turn and compare the bits. Every kernel
// computes exactly what the Swift loop it replaces computed, operation by operation, with
// floating-point contraction off (Swift never fuses a * b + c into an FMA), so every level
// and the Swift code give identical results.
#ifndef CAUTOGRADKERNELS_H
#define CAUTOGRADKERNELS_H

#include <stddef.h>

#include "cak_special.h"

/// 0: the compiler's baseline for the target (SSE2 on x86-64); 1: AVX2 (x86-64-v3);
/// 2: AVX-512 (F, DQ, BW, VL: x86-64-v4).
enum { CAK_BASELINE = 0, CAK_AVX2 = 1, CAK_AVX512 = 2 };

/// The best level this CPU runs, decided once (CPUID); AUTOGRAD_CPU=baseline or
/// AUTOGRAD_CPU=avx2 in the environment caps it.
int cak_cpu_level(void);

/// The highest level this build has kernels for (CAK_AVX512 on x86-64, else
/// CAK_BASELINE). A kernel asked for a level the CPU lacks runs the best one it has, so
/// tests may pass every level up to this one on any machine.
int cak_max_level(void);

/// The level the CPU itself runs (CPUID), whatever AUTOGRAD_CPU says.
int cak_hardware_level(void);

/// Unary kernels: y[i] = f(x[i]).
enum {
  /// FastMath.swift's Scalar.logistic (e^-|x| only, branch-free).
  CAK_LOGISTIC = 0,
  /// cak_erf_f32 / cak_erf_f64 (cak_special.h).
  CAK_ERF = 1,
  /// GELU, exact form: x (1 + erf(x / sqrt 2)) / 2 (cak_gelu_f32 / _f64).
  CAK_GELU = 2,
  /// FastMath.swift's Scalar.expNonPositive (e^x for x <= 0; cak_exp_nonpositive_*).
  CAK_EXP_NONPOSITIVE = 3,
  /// ReLU: x < 0 ? 0 : x (NaN and -0 pass through, as the Swift formula).
  CAK_RELU = 4,
};
void cak_unary_f32(int level, int op, const float *x, float *y, ptrdiff_t n);
void cak_unary_f64(int level, int op, const double *x, double *y, ptrdiff_t n);

/// Binary kernels: y[i] = f(a[i], b[i]).
enum {
  CAK_ADD = 0,
  CAK_SUB = 1,
  CAK_MUL = 2,
  CAK_DIV = 3,
  /// a * (1 - b) * b: the sigmoid's gradient from the upstream a and the output b.
  CAK_SIGMOID_GRADIENT = 4,
  /// GELU's (exact form) gradient from the upstream a and the input b (cak_gelu_gradient_*).
  CAK_GELU_GRADIENT = 5,
  /// erf's gradient 2/sqrt(pi) e^(-b^2) a, from the upstream a and the input b.
  CAK_ERF_GRADIENT = 6,
  /// ReLU's gradient from the upstream a and the output b: b <= 0 ? 0 : a (torch's
  /// threshold_backward; a NaN output passes the gradient).
  CAK_RELU_GRADIENT = 7,
};
void cak_binary_f32(int level, int op, const float *a, const float *b, float *y, ptrdiff_t n);
void cak_binary_f64(int level, int op, const double *a, const double *b, double *y, ptrdiff_t n);

/// y[i] += x[i] (y and x distinct).
void cak_accumulate_f32(int level, const float *x, float *y, ptrdiff_t n);
void cak_accumulate_f64(int level, const double *x, double *y, ptrdiff_t n);

/// acc[j] += x[i] for every i < n (n a multiple of 8) with i mod 8 == j, in increasing i:
/// eight interleaved running sums, each added in order (BlockSum in the engine).
void cak_sum8_f32(int level, const float *x, float *acc, ptrdiff_t n);
void cak_sum8_f64(int level, const double *x, double *acc, ptrdiff_t n);

#endif
