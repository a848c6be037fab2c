#!/usr/bin/env python3
"""The coefficients of cak_special.h's erf (Sources/CAutogradKernels/include).

erf(x) = x + x P(x^2) for |x| < c and 1 - e^Q(|x|) (sign of x) for c <= |x| <= b, P and Q
polynomials fitted by weighted least squares on Chebyshev nodes in 50-digit arithmetic
(mpmath): P to erf(x)/x - 1 (absolute), Q to log erfc(t) weighted by erfc(t)/erf(t), the
relative error it causes in erf. Prints each set as the hex literals the header holds,
highest power first (Horner order). Float: c 0.875, b 4, degrees 5 and 7; double: c 0.8125,
b 6, degrees 10 and 18. The error the header then has is measured by tools/erf_ulp.c.

    python3 tools/fit_erf.py
"""
import mpmath as mp

mp.mp.dps = 50


def fit(f, a, b, degree, weight, nodes):
    xs = [mp.mpf(a) + (mp.mpf(b) - a) * (1 - mp.cos(mp.pi * (k + mp.mpf(0.5)) / nodes)) / 2 for k in range(nodes)]
    A = mp.matrix(nodes, degree + 1)
    y = mp.matrix(nodes, 1)
    for i, x in enumerate(xs):
        w = weight(x)
        for j in range(degree + 1):
            A[i, j] = x ** j * w
        y[i] = f(x) * w
    c = mp.lu_solve(A.T * A, A.T * y)
    return [c[j] for j in range(degree + 1)]


def coefficients(c, b, small_degree, large_degree, small_nodes, large_nodes):
    p = fit(lambda s: mp.erf(mp.sqrt(s)) / mp.sqrt(s) - 1 if s > 0 else 2 / mp.sqrt(mp.pi) - 1,
            0, c * c, small_degree, lambda s: 1, small_nodes)
    q = fit(lambda t: mp.log(mp.erfc(t)), c, b, large_degree, lambda t: mp.erfc(t) / mp.erf(t), large_nodes)
    return p, q


def main():
    import struct
    as_float = lambda v: struct.unpack("f", struct.pack("f", float(v)))[0]
    for name, (c, b, ds, dl, ns, nl), rounding, suffix in [
        ("float", (0.875, 4, 5, 7, 600, 1200), as_float, "f"),
        ("double", (0.8125, 6, 10, 18, 300, 500), float, ""),
    ]:
        p, q = coefficients(c, b, ds, dl, ns, nl)
        print(f"{name}: |x| < {c}: P (in x^2), highest power first")
        print("  " + ", ".join(rounding(v).hex() + suffix for v in reversed(p)))
        print(f"{name}: {c} <= |x| <= {b}: Q (in |x|), highest power first")
        print("  " + ", ".join(rounding(v).hex() + suffix for v in reversed(q)))


if __name__ == "__main__":
    main()
