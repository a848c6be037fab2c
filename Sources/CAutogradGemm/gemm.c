// CAutogradGemm.h: dnnl_sgemm through dlopen/dlsym, with OpenBLAS as the fallback.
#include "CAutogradGemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <dlfcn.h>
#include <pthread.h>
#define CAG_CAN_LOAD 1
#else
#define CAG_CAN_LOAD 0
#endif

// dnnl_sgemm and dnnl_version as oneDNN 2.x declares them (oneapi/dnnl/dnnl.h), so that
// no oneDNN header is needed to build.
typedef int (*dnnl_sgemm_fn)(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                             int64_t ldc);
typedef struct {
  int major, minor, patch;
  const char *hash;
  unsigned cpu_runtime, gpu_runtime;
} dnnl_version_like;
enum { DNNL_RUNTIME_SEQ_ = 1u, DNNL_RUNTIME_OMP_ = 2u };

static int library = CAG_OPENBLAS;
static char description[160] = "openblas";
static dnnl_sgemm_fn sgemm = NULL;
static void (*set_threads)(int) = NULL;  // libgomp's omp_set_num_threads; NULL: sequential build

#if CAG_CAN_LOAD
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fallback(int forced, const char *why) {
  library = CAG_OPENBLAS;
  snprintf(description, sizeof description, "openblas (%s)", why);
  if (forced) fprintf(stderr, "autograd: AUTOGRAD_GEMM=onednn, but %s; float32 products use OpenBLAS\n", why);
}

static void load(void) {
  const char *choice = getenv("AUTOGRAD_GEMM");
  if (choice != NULL && strcmp(choice, "openblas") == 0) {
    snprintf(description, sizeof description, "openblas (AUTOGRAD_GEMM=openblas)");
    return;
  }
  int forced = choice != NULL && strcmp(choice, "onednn") == 0;
  if (choice != NULL && *choice != 0 && !forced)
    fprintf(stderr, "autograd: AUTOGRAD_GEMM=%s is neither openblas nor onednn; choosing as if unset\n", choice);
  // libgomp reads its wait policy once, when it is loaded with oneDNN below.
  if (getenv("OMP_WAIT_POLICY") == NULL && getenv("GOMP_SPINCOUNT") == NULL) setenv("OMP_WAIT_POLICY", "passive", 0);
  void *dnnl = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
  if (dnnl == NULL) return fallback(forced, "libdnnl.so.2 could not be loaded");
  dnnl_sgemm_fn fn = (dnnl_sgemm_fn)dlsym(dnnl, "dnnl_sgemm");
  const dnnl_version_like *(*version)(void) = (const dnnl_version_like *(*)(void))dlsym(dnnl, "dnnl_version");
  if (fn == NULL || version == NULL) return fallback(forced, "libdnnl.so.2 has no dnnl_sgemm");
  const dnnl_version_like *v = version();
  const char *runtime;
  if (v->cpu_runtime == DNNL_RUNTIME_OMP_) {
    // The thread count is the calling thread's OpenMP setting: without it the results of
    // products that oneDNN splits along K would depend on a count we do not control.
    void *gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    set_threads = gomp != NULL ? (void (*)(int))dlsym(gomp, "omp_set_num_threads") : NULL;
    if (set_threads == NULL) return fallback(forced, "libdnnl.so.2's OpenMP is not libgomp");
    runtime = "OpenMP";
  } else if (v->cpu_runtime == DNNL_RUNTIME_SEQ_) {
    runtime = "sequential";
  } else {
    return fallback(forced, "libdnnl.so.2 threads with neither OpenMP nor nothing (TBB or a threadpool)");
  }
  sgemm = fn;
  library = CAG_ONEDNN;
  snprintf(description, sizeof description, "onednn %d.%d.%d (libdnnl.so.2, %s)", v->major, v->minor, v->patch,
           runtime);
}
#endif

int cag_sgemm_library(void) {
#if CAG_CAN_LOAD
  pthread_once(&once, load);
#endif
  return library;
}

const char *cag_sgemm_description(void) {
  cag_sgemm_library();
  return description;
}

int cag_onednn_sgemm(int threads, int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                     const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                     int64_t ldc) {
  // An empty product is OpenBLAS's: with k = 0 dnnl_sgemm scales C by beta, which turns
  // the NaN of an unwritten C into NaN where cblas_sgemm writes zeros for beta = 0.
  if (m <= 0 || n <= 0 || k <= 0 || cag_sgemm_library() != CAG_ONEDNN) return -1;
  // The calling thread's OpenMP thread count (a field of the thread's state in libgomp),
  // set on every call: the caller's own OpenMP code may have changed it in between.
  if (set_threads != NULL) set_threads(threads < 1 ? 1 : threads);
  return sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
