// CBenchAlloc: counts the process's heap allocations, for autograd-bench's "allocations
// per step" (issue 21). glibc 2.34 removed __malloc_hook, so the count comes from
// defining malloc and its siblings in the benchmark executable, which the dynamic linker
// then uses for every library in the process; each forwards to glibc's __libc_* entry
// point. Linked into autograd-bench only, never into a library product.
#ifndef CBENCHALLOC_H
#define CBENCHALLOC_H

#include <stdint.h>

/// Allocations (malloc, calloc, realloc of NULL, memalign family) since the process started,
/// on every thread.
uint64_t cbenchalloc_count(void);

/// Whether this build counts (glibc); where it does not, the count stays 0.
int cbenchalloc_active(void);

#endif
