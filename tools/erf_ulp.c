// The error of cak_special.h's erf against libm's erfl (long double) and erf, in ulps of
// the result: every positive float (erf is odd: the kernel negates exactly), and 2e7
// doubles (uniform on [0, 7) and random bit patterns below 8). Prints the maxima.
//   cc -O2 -ISources/CAutogradKernels/include tools/erf_ulp.c -lm -o /tmp/erf_ulp && /tmp/erf_ulp
// (docs/performance.md, W7: the figures quoted there and in cak_special.h.)
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cak_special.h"

static double ulps(long double y, long double ref, double ulp) { return (double)(fabsl(y - ref) / ulp); }

int main(void) {
  double worst_l = 0, worst_d = 0;
  float at_l = 0, at_d = 0;
  for (uint32_t b = 0; b < 0x7f800000u; b++) {
    float x;
    memcpy(&x, &b, 4);
    const float y = cak_erf_f32(x);
    const long double r = erfl((long double)x);
    const float rf = (float)r;
    if (rf == 0) continue;
    const double ulp = nextafterf(rf, INFINITY) - rf;
    const double el = ulps(y, r, ulp), ed = ulps(y, erf((double)x), ulp);
    if (el > worst_l) { worst_l = el; at_l = x; }
    if (ed > worst_d) { worst_d = ed; at_d = x; }
  }
  printf("float:  max %.3f ulp against erfl (at %a), %.3f against erf (at %a)\n", worst_l, at_l, worst_d, at_d);
  double wl = 0, wd = 0, xl = 0, xd = 0;
  uint64_t state = 12345;
  const long n = 20000000;
  for (long i = 0; i < n; i++) {
    double x;
    if (i % 2 == 0) {
      x = 7.0 * (double)i / n;
    } else {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const uint64_t bits = (state >> 1) & 0x7fffffffffffffffULL;
      memcpy(&x, &bits, 8);
      if (!(x < 8)) continue;
    }
    const double y = cak_erf_f64(x);
    const long double r = erfl((long double)x);
    const double rd = (double)r;
    if (rd == 0) continue;
    const double ulp = nextafter(rd, INFINITY) - rd;
    const double el = ulps(y, r, ulp), ed = ulps(y, erf(x), ulp);
    if (el > wl) { wl = el; xl = x; }
    if (ed > wd) { wd = ed; xd = x; }
  }
  printf("double: max %.3f ulp against erfl (at %a), %.3f against erf (at %a)\n", wl, xl, wd, xd);
  return 0;
}
