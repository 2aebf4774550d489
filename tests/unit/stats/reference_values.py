#!/usr/bin/python3
"""reference_values.py: the reference values test_stats.c checks the C statistics against, computed here
independently of the C code (numpy, exact enumeration, math), so a mistake in one is not copied into the other.
Run: /usr/bin/python3 tests/unit/stats/reference_values.py  (prints the values test_stats.c holds)."""
import itertools
import math

import numpy as np


def ranks(x):
    """average ranks (1-based) with ties."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    xs = np.asarray(x)[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def u_of(a, b):
    """U of a by direct pair counting (ties count 1/2): a definition independent of ranks."""
    return sum((ai > bj) + 0.5 * (ai == bj) for ai in a for bj in b)


def mw_exact(a, b):
    u = u_of(a, b)
    pooled = list(a) + list(b)
    n, m = len(pooled), len(a)
    le = ge = tot = 0
    for idx in itertools.combinations(range(n), m):
        s = set(idx)
        aa = [pooled[i] for i in idx]
        bb = [pooled[i] for i in range(n) if i not in s]
        v = u_of(aa, bb)
        tot += 1
        le += v <= u + 1e-9
        ge += v >= u - 1e-9
    return u, min(1.0, 2 * min(le, ge) / tot)


def mw_normal(a, b):
    na, nb = len(a), len(b)
    n = na + nb
    r = ranks(list(a) + list(b))
    u = r[:na].sum() - na * (na + 1) / 2
    assert abs(u - u_of(a, b)) < 1e-9
    _, counts = np.unique(np.asarray(list(a) + list(b)), return_counts=True)
    tie = float(((counts.astype(float) ** 3) - counts).sum())
    var = na * nb / 12 * ((n + 1) - tie / (n * (n - 1)))
    z = max(abs(u - na * nb / 2) - 0.5, 0) / math.sqrt(var)
    return u, math.erfc(z / math.sqrt(2))


def mcnemar(b, c):
    n = b + c
    if n < 25:
        k = min(b, c)
        return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n)
    s = (abs(b - c) - 1) ** 2 / n
    return math.erfc(math.sqrt(s / 2))


if __name__ == "__main__":
    males, females = [19, 22, 16, 29, 24], [20, 11, 17, 12]
    print("exact males/females U=%.1f p=%.17g" % mw_exact(males, females))
    print("normal males/females U=%.1f p=%.17g" % mw_normal(males, females))
    tied_a = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7]
    tied_b = [3, 4, 4, 5, 6, 6, 6, 7, 8, 8, 9, 9, 10]
    print("normal tied U=%.1f p=%.17g" % mw_normal(tied_a, tied_b))
    big_a = [(i * 37) % 101 for i in range(25)]
    big_b = [(i * 53) % 97 + 10 for i in range(30)]
    print("normal 25/30 U=%.1f p=%.17g" % mw_normal(big_a, big_b))
    exact_a = [1.1, 2.3, 3.5, 4.2, 6.0, 7.7]
    exact_b = [2.9, 5.1, 6.6, 8.4, 9.0, 9.9, 10.5]
    print("exact 6/7 U=%.1f p=%.17g" % mw_exact(exact_a, exact_b))
    for b, c in [(5, 15), (0, 1), (10, 10), (25, 50), (3, 30), (40, 41)]:
        print("mcnemar b=%d c=%d p=%.17g" % (b, c, mcnemar(b, c)))
