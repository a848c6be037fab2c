// CAutogradGemm: oneDNN's dnnl_sgemm for float32 matrix products, loaded at run time.
//
// libdnnl.so.2 is opened with dlopen the first time a product asks for it, never linked:
// the Autograd product builds and runs without oneDNN (every product then goes through
// OpenBLAS, as before), and no header of oneDNN is needed to build. oneDNN has no double
// precision, so float64 stays on OpenBLAS in any case.
//
// Environment, read once: AUTOGRAD_GEMM=openblas keeps float32 on OpenBLAS;
// AUTOGRAD_GEMM=onednn asks for oneDNN and prints one line on stderr when it cannot be
// loaded (the default, unset, uses oneDNN when it loads, silently). Before the library is
// opened, OMP_WAIT_POLICY=passive is set unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is
// already set, so that oneDNN's OpenMP threads sleep between products instead of spinning
// against OpenBLAS's and libdispatch's threads on the same cores.
#ifndef CAUTOGRADGEMM_H
#define CAUTOGRADGEMM_H

#include <stdint.h>

/// The float32 GEMM library: CAG_OPENBLAS (cblas_sgemm) or CAG_ONEDNN (dnnl_sgemm).
enum { CAG_OPENBLAS = 0, CAG_ONEDNN = 1 };

/// The library float32 products use in this process, decided (and oneDNN loaded) on the
/// first call; thread-safe.
int cag_sgemm_library(void);

/// One line saying which library float32 products use and why, e.g.
/// "onednn 2.6.3 (libdnnl.so.2, OpenMP)" or "openblas (AUTOGRAD_GEMM=openblas)".
const char *cag_sgemm_description(void);

/// C = alpha * op(A) * op(B) + beta * C, row-major, through dnnl_sgemm, on `threads`
/// OpenMP threads (omp_set_num_threads on the calling thread, which in libgomp applies to
/// that thread's parallel regions only). With beta = 0, C is written without being read.
/// Returns 0 when done; nonzero, with C untouched, when oneDNN is not in use, m, n or k is
/// 0 (dnnl_sgemm would scale C by beta where OpenBLAS writes zeros for beta = 0), or
/// oneDNN refused the arguments: the caller then uses OpenBLAS.
int cag_onednn_sgemm(int threads, int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                     int64_t ldc);

#endif
