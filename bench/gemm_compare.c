// The GEMM libraries at the shapes of W2, W6 and W7 (issue 13: OpenBLAS, BLIS, oneDNN's
// dnnl_sgemm, MKL), each loaded with dlopen(RTLD_LOCAL) into one process and called in
// turn, product by product, so that load on this shared machine falls on all of them
// alike. Row-major, the engine's layouts (Linear keeps W as [in, out]; the backward
// products are A^T B for the weights and B W^T for the inputs). Prints a Markdown table:
// the median time of each product per library, and the sum over each workload's products.
//
//   cc -O2 bench/gemm_compare.c -ldl -o /tmp/gemm_compare
//   GEMM_THREADS=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive /tmp/gemm_compare [reps] [mkl_rt path]
//   GEMM_LIBS=openblas,onednn GEMM_THREADS=2 OMP_NUM_THREADS=2 ... runs only those two libraries.
//
// Libraries: Debian's libopenblas0-pthread (0.3.21), libblis4-openmp (0.9.0, its CBLAS
// layer), libdnnl2 (2.6.3, dnnl_sgemm; no double), and libmkl_rt.so.2 from the PyPI wheel
// `mkl` (pip install --prefix DIR mkl; pass DIR/lib/libmkl_rt.so.3, MKL_THREADING_LAYER=GNU).
// Every library runs GEMM_THREADS threads (default 1): with several thread pools in one
// process, each idle pool spins while another library runs, so with 2 threads the
// figures measure the pools' contention, not the kernels (seen: OpenBLAS at 19 GFLOP/s).
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int, const double *, int,
                         double, double *, int);
typedef int (*dnnl_sgemm_fn)(char, char, int64_t, int64_t, int64_t, float, const float *, int64_t,
                             const float *, int64_t, float, float *, int64_t);

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef struct {
  const char *name;
  sgemm_fn s;
  dgemm_fn d;
  dnnl_sgemm_fn dnnl;
} lib;

typedef struct {
  const char *workload;
  int m, n, k, ta, tb, count;  // count: how many times the workload's step makes it
} shape;

static const shape shapes[] = {
    // W2: 128 x 784 -> 512 -> 512 -> 10, forward then backward (no input gradient).
    {"W2", 128, 512, 784, 0, 0, 1}, {"W2", 128, 512, 512, 0, 0, 1}, {"W2", 128, 10, 512, 0, 0, 1},
    {"W2", 512, 10, 128, 1, 0, 1},  {"W2", 128, 512, 10, 0, 1, 1},  {"W2", 512, 512, 128, 1, 0, 1},
    {"W2", 128, 512, 512, 0, 1, 1}, {"W2", 784, 512, 128, 1, 0, 1},
    // W6: conv2d as im2col (weights [out, in*9] times columns [in*9, batch*H*W]), its two
    // backward products, and the linear layer 4096 -> 10.
    {"W6", 32, 32768, 27, 0, 0, 1}, {"W6", 32, 27, 32768, 0, 1, 1},
    {"W6", 64, 8192, 288, 0, 0, 1}, {"W6", 64, 288, 8192, 0, 1, 1}, {"W6", 288, 8192, 64, 1, 0, 1},
    {"W6", 32, 10, 4096, 0, 0, 1},  {"W6", 4096, 10, 32, 1, 0, 1},  {"W6", 32, 4096, 10, 0, 1, 1},
    // W7: 1024 tokens, d 256, FFN 1024, vocabulary 1000: q/k/v/out projections, FFN, logits,
    // each forward, weight gradient and input gradient.
    {"W7", 1024, 256, 256, 0, 0, 4},  {"W7", 256, 256, 1024, 1, 0, 4},  {"W7", 1024, 256, 256, 0, 1, 4},
    {"W7", 1024, 1024, 256, 0, 0, 1}, {"W7", 256, 1024, 1024, 1, 0, 1}, {"W7", 1024, 256, 1024, 0, 1, 1},
    {"W7", 1024, 256, 1024, 0, 0, 1}, {"W7", 1024, 256, 1024, 1, 0, 1}, {"W7", 1024, 1024, 256, 0, 1, 1},
    {"W7", 1024, 1000, 256, 0, 0, 1}, {"W7", 256, 1000, 1024, 1, 0, 1}, {"W7", 1024, 256, 1000, 0, 1, 1},
};
enum { NSHAPES = sizeof shapes / sizeof shapes[0], MAXLIBS = 4 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// GEMM_LIBS=openblas,onednn (a comma-separated subset of openblas, blis, onednn, mkl)
// runs only those; unset: all.
static void *open_lib(const char *name, const char *path) {
  const char *only = getenv("GEMM_LIBS");
  if (only != NULL && strstr(only, name) == NULL) return NULL;
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) fprintf(stderr, "skipping %s: %s\n", path, dlerror());
  return h;
}

// One call of lib l at shape s, in double precision when dbl (libraries without dgemm: -1).
static int call(const lib *l, const shape *s, int dbl, void *a, void *b, void *c) {
  const int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
  if (dbl) {
    if (!l->d) return -1;
    l->d(ROW_MAJOR, s->ta ? TRANS : NO_TRANS, s->tb ? TRANS : NO_TRANS, s->m, s->n, s->k, 1, a, lda, b, ldb, 0, c,
         s->n);
  } else if (l->dnnl) {
    l->dnnl(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, 1, a, lda, b, ldb, 0, c, s->n);
  } else {
    l->s(ROW_MAJOR, s->ta ? TRANS : NO_TRANS, s->tb ? TRANS : NO_TRANS, s->m, s->n, s->k, 1, a, lda, b, ldb, 0, c,
         s->n);
  }
  return 0;
}

int main(int argc, char **argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 30;
  const char *threads_env = getenv("GEMM_THREADS");
  const int threads = threads_env ? atoi(threads_env) : 1;
  lib libs[MAXLIBS];
  int nlibs = 0;
  void *h;
  if ((h = open_lib("openblas", "libopenblas.so.0"))) {
    void (*set)(int) = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    if (set) set(threads);
    libs[nlibs++] = (lib){"OpenBLAS 0.3.21", (sgemm_fn)dlsym(h, "cblas_sgemm"), (dgemm_fn)dlsym(h, "cblas_dgemm"), 0};
  }
  if ((h = open_lib("blis", "libblis.so.4"))) {
    void (*set)(long) = (void (*)(long))dlsym(h, "bli_thread_set_num_threads");
    if (set) set(threads);
    libs[nlibs++] = (lib){"BLIS 0.9.0", (sgemm_fn)dlsym(h, "cblas_sgemm"), (dgemm_fn)dlsym(h, "cblas_dgemm"), 0};
  }
  if ((h = open_lib("onednn", "libdnnl.so.2")))
    libs[nlibs++] = (lib){"oneDNN 2.6.3", 0, 0, (dnnl_sgemm_fn)dlsym(h, "dnnl_sgemm")};
  if (argc > 2 && (h = open_lib("mkl", argv[2]))) {
    void (*set)(int) = (void (*)(int))dlsym(h, "MKL_Set_Num_Threads");
    if (set) set(threads);
    libs[nlibs++] = (lib){"MKL (PyPI)", (sgemm_fn)dlsym(h, "cblas_sgemm"), (dgemm_fn)dlsym(h, "cblas_dgemm"), 0};
  }
  const size_t maxElems = 1024 * 32768 + 64;
  double *a = malloc(maxElems * 8), *b = malloc(maxElems * 8), *c = malloc(maxElems * 8);
  for (size_t i = 0; i < maxElems; i++) a[i] = b[i] = (double)((i * 7919) % 1000) / 1000 - 0.5;
  double med[2][NSHAPES][MAXLIBS];
  double *samples = malloc(sizeof(double) * reps);
  double *all = malloc(sizeof(double) * reps * MAXLIBS);
  for (int dbl = 0; dbl < 2; dbl++) {
    for (int s = 0; s < NSHAPES; s++) {
      const shape *sh = &shapes[s];
      if (dbl && strcmp(sh->workload, "W2") != 0) continue;  // float64 at W2's shapes only
      // Batch small products so that each sample is at least about 0.2 ms.
      const double flops = 2.0 * sh->m * sh->n * sh->k;
      const int batch = flops < 4e7 ? (int)(4e7 / flops) + 1 : 1;
      for (int l = 0; l < nlibs; l++)
        for (int w = 0; w < 3; w++) call(&libs[l], sh, dbl, a, b, c);
      for (int r = 0; r < reps; r++) {
        for (int l = 0; l < nlibs; l++) {
          const double t0 = now();
          int rc = 0;
          for (int i = 0; i < batch; i++) rc |= call(&libs[l], sh, dbl, a, b, c);
          all[l * reps + r] = rc ? -1 : (now() - t0) / batch;
        }
      }
      for (int l = 0; l < nlibs; l++) {
        memcpy(samples, all + l * reps, sizeof(double) * reps);
        qsort(samples, reps, sizeof(double), cmp);
        med[dbl][s][l] = samples[reps / 2];
      }
    }
  }
  printf("| workload | dtype | M×N×K | op |");
  for (int l = 0; l < nlibs; l++) printf(" %s |", libs[l].name);
  printf("\n|---|---|---|---|");
  for (int l = 0; l < nlibs; l++) printf("---:|");
  printf("\n");
  for (int dbl = 0; dbl < 2; dbl++) {
    const char *workloads[] = {"W2", "W6", "W7"};
    for (int w = 0; w < 3; w++) {
      if (dbl && w > 0) continue;
      double total[MAXLIBS] = {0};
      for (int s = 0; s < NSHAPES; s++) {
        const shape *sh = &shapes[s];
        if (strcmp(sh->workload, workloads[w]) != 0) continue;
        printf("| %s | %s | %d×%d×%d%s | %s%s |", sh->workload, dbl ? "f64" : "f32", sh->m, sh->n, sh->k,
               sh->count > 1 ? " (×4)" : "", sh->ta ? "Aᵀ" : "A", sh->tb ? "Bᵀ" : "B");
        for (int l = 0; l < nlibs; l++) {
          const double t = med[dbl][s][l];
          if (t < 0) { printf(" – |"); continue; }
          total[l] += t * sh->count;
          printf(" %.1f µs (%.0f GF/s) |", t * 1e6, 2.0 * sh->m * sh->n * sh->k / t * 1e-9);
        }
        printf("\n");
      }
      printf("| **%s** | %s | **sum of the step's products** | |", workloads[w], dbl ? "f64" : "f32");
      for (int l = 0; l < nlibs; l++)
        if (total[l] > 0 && !(dbl && libs[l].dnnl)) printf(" **%.3f ms** |", total[l] * 1e3);
        else printf(" – |");
      printf("\n");
    }
  }
  return 0;
}
