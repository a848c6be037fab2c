// The engine's branch-free elementary functions, as inline C, so that the Swift code
// (which inlines them) and the run-time dispatched loops of kernels.c compute the same
// bits with one definition: Cephes' and fdlibm's exp for x <= 0 (FastMath.swift's
// expNonPositive, operation for operation), an erf, and GELU's value and gradient on it.
//
// Contraction is off inside every body (an FMA on the AVX2 path would round once where
// the baseline rounds twice), selects instead of branches, so loops over them vectorise.
#ifndef CAK_SPECIAL_H
#define CAK_SPECIAL_H

#include <stdint.h>

#define CAK_SPECIAL static inline __attribute__((always_inline))

CAK_SPECIAL float cak_f32_from_bits(uint32_t b) {
  float f;
  __builtin_memcpy(&f, &b, sizeof f);
  return f;
}
CAK_SPECIAL uint32_t cak_f32_bits(float f) {
  uint32_t b;
  __builtin_memcpy(&b, &f, sizeof b);
  return b;
}
CAK_SPECIAL double cak_f64_from_bits(uint64_t b) {
  double d;
  __builtin_memcpy(&d, &b, sizeof d);
  return d;
}
CAK_SPECIAL uint64_t cak_f64_bits(double d) {
  uint64_t b;
  __builtin_memcpy(&b, &d, sizeof b);
  return b;
}

// Float.expNonPositive: Cephes' expf.
CAK_SPECIAL float cak_exp_nonpositive_f32(float x) {
#pragma clang fp contract(off)
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
  const float scale = cak_f32_from_bits((cak_f32_bits(t) - cak_f32_bits(shifter) + 127u) << 23);
  return x < -87.0f ? 0.0f : er * scale;
}

// Double.expNonPositive: fdlibm's exp.
CAK_SPECIAL double cak_exp_nonpositive_f64(double x) {
#pragma clang fp contract(off)
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
  const int64_t nk = (int64_t)(cak_f64_bits(t) - cak_f64_bits(shifter));
  const int64_t n1 = nk >> 1, n2 = nk - n1;
  const double s1 = cak_f64_from_bits((uint64_t)(n1 + 1023) << 52);
  const double s2 = cak_f64_from_bits((uint64_t)(n2 + 1023) << 52);
  return x < -746.0 ? 0.0 : er * s1 * s2;
}

// erf, branch-free. |x| < c: x + x P(x^2), P a polynomial fitted to erf(x)/x - 1;
// |x| >= c: 1 - e^Q(|x|) with the sign of x, Q a polynomial fitted to log erfc on [c, b],
// |x| clamped to b (beyond it erf rounds to +-1). Both are evaluated and one is selected
// (NaN and +-0 take the first: NaN, +-0). Coefficients from tools/fit_erf.py (weighted
// least squares on Chebyshev nodes, mpmath). Error against erfl (long double), measured
// by tools/erf_ulp.c: float 1.29 ulp (every float), double 1.24 ulp (2e7 samples).
CAK_SPECIAL float cak_erf_f32(float x) {
#pragma clang fp contract(off)
  const float a = __builtin_fabsf(x), s = x * x;
  float p = -0x1.460756p-11f;
  p = p * s + 0x1.49fb56p-8f;
  p = p * s - 0x1.b6fbe2p-6f;
  p = p * s + 0x1.ce21b2p-4f;
  p = p * s - 0x1.81270ep-2f;
  p = p * s + 0x1.06eba6p-3f;
  const float small = x + x * p;
  const float t = a < 4.0f ? a : 4.0f;
  float q = -0x1.5d26d6p-16f;
  q = q * t + 0x1.c3e8bep-12f;
  q = q * t - 0x1.102fc2p-8f;
  q = q * t + 0x1.9ac04ap-6f;
  q = q * t - 0x1.bb30e8p-4f;
  q = q * t - 0x1.444fcep-1f;
  q = q * t - 0x1.212568p+0f;
  q = q * t + 0x1.5d660cp-13f;
  const float big = 1.0f - cak_exp_nonpositive_f32(q);
  return a >= 0.875f ? (x < 0 ? -big : big) : small;
}

CAK_SPECIAL double cak_erf_f64(double x) {
#pragma clang fp contract(off)
  const double a = __builtin_fabs(x), s = x * x;
  double p = 0x1.794d2b1a653bdp-27;
  p = p * s - 0x1.533f1a65fca74p-23;
  p = p * s + 0x1.b895f2c7109e9p-20;
  p = p * s - 0x1.f4bb921cf6e9bp-17;
  p = p * s + 0x1.f9a2280a9239dp-14;
  p = p * s - 0x1.c02dacd333488p-11;
  p = p * s + 0x1.565bccee1e2c7p-8;
  p = p * s - 0x1.b82ce311dee5bp-6;
  p = p * s + 0x1.ce2f21a040f3ep-4;
  p = p * s - 0x1.812746b0379c9p-2;
  p = p * s + 0x1.06eba8214db68p-3;
  const double small = x + x * p;
  const double t = a < 6.0 ? a : 6.0;
  double q = 0x1.d5cf32efb3c01p-40;
  q = q * t - 0x1.420de0f93ffa9p-34;
  q = q * t + 0x1.9db9602cf7025p-30;
  q = q * t - 0x1.4ab4014410337p-26;
  q = q * t + 0x1.7008d725605b2p-23;
  q = q * t - 0x1.2d9320a5dc4bep-20;
  q = q * t + 0x1.75c65192913c7p-18;
  q = q * t - 0x1.5f0c76c478111p-16;
  q = q * t + 0x1.e18aa4e7659fcp-15;
  q = q * t - 0x1.9aedf36dc6f4ap-14;
  q = q * t + 0x1.247069886e4a3p-18;
  q = q * t + 0x1.2b958e2d7aca5p-11;
  q = q * t - 0x1.bb3a64ed135cap-10;
  q = q * t + 0x1.bcc926934dd61p-13;
  q = q * t + 0x1.3952f6a3106f0p-6;
  q = q * t - 0x1.a4f1cda350ae1p-4;
  q = q * t - 0x1.45f32b2ab5071p-1;
  q = q * t - 0x1.20dd713194f72p+0;
  q = q * t - 0x1.6f7f826f16f17p-26;
  const double big = 1.0 - cak_exp_nonpositive_f64(q);
  return a >= 0.8125 ? (x < 0 ? -big : big) : small;
}

// GELU as torch's CPU kernel computes it (constants rounded once from double):
// x 0.5 (1 + erf(x / sqrt 2)) and its gradient g (Phi(x) + x phi(x)).
#define CAK_GELU(T, sfx, half_sqrt2, inv_sqrt_2pi)                                     \
  CAK_SPECIAL T cak_gelu_##sfx(T x) {                                                 \
    _Pragma("clang fp contract(off)")                                                 \
    return x * (T)0.5 * ((T)1 + cak_erf_##sfx(x * half_sqrt2));                       \
  }                                                                                   \
  CAK_SPECIAL T cak_gelu_gradient_##sfx(T g, T x) {                                   \
    _Pragma("clang fp contract(off)")                                                 \
    const T cdf = (T)0.5 * ((T)1 + cak_erf_##sfx(x * half_sqrt2));                    \
    const T pdf = inv_sqrt_2pi * cak_exp_nonpositive_##sfx(x * x * (T)-0.5);          \
    return g * (cdf + x * pdf);                                                       \
  }                                                                                   \
  /* torch's erf backward: 2/sqrt(pi) e^(-x^2) g. */                                  \
  CAK_SPECIAL T cak_erf_gradient_##sfx(T g, T x) {                                    \
    _Pragma("clang fp contract(off)")                                                 \
    return two_over_sqrtpi_##sfx * cak_exp_nonpositive_##sfx(-(x * x)) * g;           \
  }
#define two_over_sqrtpi_f32 0x1.20dd76p+0f
#define two_over_sqrtpi_f64 0x1.20dd750429b6dp+0
CAK_GELU(float, f32, 0x1.6a09e6p-1f, 0x1.988454p-2f)
CAK_GELU(double, f64, 0x1.6a09e667f3bcdp-1, 0x1.9884533d43651p-2)

#endif
