#!/usr/bin/env python3
"""entropy_ref.py: numpy reference for --calib-method entropy (test_act_range.c holds its output).

TensorRT's entropy calibration (pytorch-quantization's _compute_amax_entropy) adapted to edgetune's asymmetric
int8 grid: candidates [f lo, f hi] for f = 1.00, 0.99, ..., 0.30; the bin holding 0 levelled to its right
neighbour; P = the in-range bins (centres in [l, h]) with the mass outside folded onto the end bins; Q = the
in-range counts merged per int8 level, spread over each level's non-empty bins; the least KL(P || Q) (scipy's
entropy: infinite where Q is 0 and P is not), ties to the wider range. Prints, per test histogram, the chosen f
as an integer percentage. Run: /usr/bin/python3 tests/unit/tune/entropy_ref.py
"""
import numpy as np

BINS = 2048


def hists():
    """The test histograms (test_act_range.c builds the same ones)."""
    out = []
    c = lambda lo, hi: lo + (np.arange(BINS) + 0.5) * (hi - lo) / BINS
    # 1: after ReLU: a spike of zeros, an exponential bulk, a sparse tail of single outliers
    x = c(0.0, 10.0)
    h = np.floor(100000 * np.exp(-x / 0.5)) + (np.arange(BINS) % 97 == 0)
    h[0] = 500000
    out.append((h, 0.0, 10.0))
    # 2: a Gaussian with sparse outliers on both sides
    x = c(-8.0, 8.0)
    out.append((np.floor(100000 * np.exp(-x * x / 2)) + (np.arange(BINS) % 61 == 0), -8.0, 8.0))
    # 3: flat: nothing to gain by clipping
    out.append((np.full(BINS, 1000.0), -1.0, 3.0))
    return out


def qparams(l, h):
    l, h = min(np.float32(l), np.float32(0)), max(np.float32(h), np.float32(0))
    s = np.float32((np.float32(h) - np.float32(l)) / np.float32(255))
    z = int(np.clip(-128 - np.rint(np.float32(l) / s), -128, 127))
    return float(s), z


def kl(hist, lo, hi, l, h):
    s, z = qparams(l, h)
    w = (hi - lo) / BINS
    centre = lo + (np.arange(BINS) + 0.5) * w
    inside = (centre >= l - 1e-9 * w) & (centre <= h + 1e-9 * w)
    idx = np.nonzero(inside)[0]
    if idx.size == 0:
        return np.inf
    p = hist[idx].copy()
    p[0] += hist[: idx[0]].sum()
    p[-1] += hist[idx[-1] + 1 :].sum()
    level = np.clip(np.rint(centre[idx] / s) + z, -128, 127).astype(int) + 128
    q_in = hist[idx]
    mass = np.bincount(level, weights=q_in, minlength=256)
    nz = np.bincount(level, weights=(q_in > 0).astype(float), minlength=256)
    q = np.where(q_in > 0, mass[level] / np.maximum(nz[level], 1), 0.0)
    if q.sum() <= 0:
        return np.inf
    p, q = p / p.sum(), q / q.sum()
    m = p > 0
    if np.any(q[m] <= 0):
        return np.inf
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def choose(hist, lo, hi):
    hist = hist.astype(float).copy()
    if lo <= 0 <= hi:
        bz = min(max(int((0 - lo) / (hi - lo) * BINS), 0), BINS - 1)
        hist[bz] = hist[bz + 1] if bz + 1 < BINS else hist[bz - 1]
    l0, h0 = min(lo, 0.0), max(hi, 0.0)
    best, best_i = np.inf, 0
    for i in range(71):
        f = np.float32(1.0) - np.float32(0.01) * np.float32(i)
        e = kl(hist, lo, hi, float(np.float32(l0) * f), float(np.float32(h0) * f))
        if e < best:
            best, best_i = e, i
    return 100 - best_i


if __name__ == "__main__":
    print(" ".join(str(choose(*t)) for t in hists()))
