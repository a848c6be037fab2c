// CAutogradMath: the square root as LLVM's plain sqrt instruction, for the engine's loops.
//
// Swift's squareRoot() lowers to libm's sqrtf/sqrt with errno semantics: a sqrtss plus, for
// negative input, a call to libm to set errno. That call is a branch in every iteration,
// and LLVM will not vectorise a loop containing it (issue 21: Adam's update ran scalar).
// Clang's __builtin_elementwise_sqrt is llvm.sqrt without errno: the same correctly
// rounded result (NaN below zero), inlined into Swift callers, vectorisable.
#ifndef CAUTOGRADMATH_H
#define CAUTOGRADMATH_H

static inline __attribute__((always_inline)) float cautogradmath_sqrtf(float x) {
    return __builtin_elementwise_sqrt(x);
}

static inline __attribute__((always_inline)) double cautogradmath_sqrt(double x) {
    return __builtin_elementwise_sqrt(x);
}

#endif
