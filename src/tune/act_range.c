/* act_range.c: activation ranges from histograms (act_range.h). */
#include "tune/act_range.h"

#include <math.h>

#include "tune/qmath.h"

enum { N_CAND = 71 }; /* f = 1.00, 0.99, ..., 0.30 */

void et_act_hist_add(uint64_t *hist, float lo, float hi, const float *x, int64_t n) {
    float span = hi - lo;
    float k = span > 0 ? (float)ET_ACT_HIST_BINS / span : 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        if (v != v)
            continue;
        float b = (v - lo) * k;
        int bin = b <= 0.0f ? 0 : b >= (float)(ET_ACT_HIST_BINS - 1) ? ET_ACT_HIST_BINS - 1 : (int)b;
        hist[bin]++;
    }
}

static double center(float lo, float hi, int bin) {
    return (double)lo + ((double)bin + 0.5) * ((double)hi - (double)lo) / ET_ACT_HIST_BINS;
}

/* Quantize-dequantize of x on the grid of [l, h] (as et_act_qparams and the kernels do it). */
static double qdq(double x, float scale, int32_t zp) {
    double q = nearbyint(x / scale) + zp;
    q = q < -128 ? -128 : q > 127 ? 127 : q;
    return (double)scale * (q - zp);
}

/* The int8 level (0..255) x rounds to on the grid (scale, zp). */
static int level_of(double x, float scale, int32_t zp) {
    double q = nearbyint(x / scale) + zp;
    q = q < -128 ? -128 : q > 127 ? 127 : q;
    return (int)q + 128;
}

static double mse_of(const uint64_t *hist, float lo, float hi, float l, float h) {
    float s;
    int32_t z;
    et_act_qparams(l, h, &s, &z);
    double e = 0.0;
    for (int b = 0; b < ET_ACT_HIST_BINS; b++) {
        if (!hist[b])
            continue;
        double x = center(lo, hi, b), d = x - qdq(x, s, z);
        e += (double)hist[b] * d * d;
    }
    return e;
}

/* TensorRT's entropy calibration on the asymmetric int8 grid of [l, h]. The bins whose centre lies in [l, h] are
 * the candidate's; P is their counts with everything outside folded onto the first and last of them (what
 * clipping does to the values), Q the quantized version of the in-range counts alone: each level's mass spread
 * evenly over its non-empty bins. KL(P || Q) of the two normalised; infinite where P has mass Q cannot give (an
 * empty end bin receiving clipped values), so such a candidate loses. Clipping thus costs what it moves, which
 * the former version (P unfolded, the clipped bins counted as one wide end level) did not charge: a sparse tail
 * looked free to clip, and entropy picked ranges far too narrow (SQNR 8-13 dB against minmax's 19-41 dB).
 * hist is the caller's copy with the bin holding 0 already levelled (et_act_range_choose). */
static double kl_of(const double *hist, float lo, float hi, float l, float h) {
    float s;
    int32_t z;
    et_act_qparams(l, h, &s, &z);
    double w = ((double)hi - (double)lo) / ET_ACT_HIST_BINS;
    int b0 = 0, b1 = ET_ACT_HIST_BINS - 1; /* the in-range bins: centres in [l, h] */
    while (b0 < ET_ACT_HIST_BINS && center(lo, hi, b0) < (double)l - 1e-9 * w)
        b0++;
    while (b1 >= 0 && center(lo, hi, b1) > (double)h + 1e-9 * w)
        b1--;
    if (b0 > b1)
        return INFINITY;
    double below = 0.0, above = 0.0, mass[256] = {0};
    int nonzero[256] = {0};
    for (int b = 0; b < b0; b++)
        below += hist[b];
    for (int b = b1 + 1; b < ET_ACT_HIST_BINS; b++)
        above += hist[b];
    double p_total = below + above, q_total = 0.0;
    for (int b = b0; b <= b1; b++) {
        int lv = level_of(center(lo, hi, b), s, z);
        mass[lv] += hist[b];
        nonzero[lv] += hist[b] > 0;
        p_total += hist[b], q_total += hist[b];
    }
    if (p_total <= 0)
        return 0.0;
    if (q_total <= 0)
        return INFINITY;
    double kl = 0.0;
    for (int b = b0; b <= b1; b++) {
        double p = hist[b] + (b == b0 ? below : 0.0) + (b == b1 ? above : 0.0);
        if (p <= 0)
            continue;
        if (hist[b] <= 0)
            return INFINITY; /* clipped mass lands on an empty bin: Q has nothing there */
        int lv = level_of(center(lo, hi, b), s, z);
        double q = mass[lv] / nonzero[lv] / q_total;
        p /= p_total;
        kl += p * log(p / q);
    }
    return kl;
}

/* hist as doubles with the bin holding 0 set to its neighbour's count (TensorRT's calibrator does the same with
 * bin 0 of its |x| histogram): after ReLU that bin holds every exact zero, a spike that no quantization level can
 * split, and left in place its KL term alone (mass x log of the bins per level) would reward the narrowest
 * range. 0 is exactly representable on the int8 grid, so the spike costs nothing whatever the range. */
static void level_zero_bin(const uint64_t *hist, float lo, float hi, double *out) {
    for (int b = 0; b < ET_ACT_HIST_BINS; b++)
        out[b] = (double)hist[b];
    if (!(lo <= 0.0f && hi >= 0.0f))
        return;
    int bz = (int)((0.0 - (double)lo) / ((double)hi - (double)lo) * ET_ACT_HIST_BINS);
    bz = bz < 0 ? 0 : bz > ET_ACT_HIST_BINS - 1 ? ET_ACT_HIST_BINS - 1 : bz;
    out[bz] = bz + 1 < ET_ACT_HIST_BINS ? out[bz + 1] : bz > 0 ? out[bz - 1] : out[bz];
}

void et_act_range_choose(et_calib_method m, const uint64_t *hist, float lo, float hi, float *out_lo, float *out_hi) {
    *out_lo = lo, *out_hi = hi;
    if (m == ET_CALIB_MINMAX || !(hi > lo))
        return;
    if (m == ET_CALIB_PERCENTILE) {
        uint64_t total = 0;
        for (int b = 0; b < ET_ACT_HIST_BINS; b++)
            total += hist[b];
        uint64_t tail = (uint64_t)((double)total * 1e-4); /* 0.01 % on each side */
        uint64_t acc = 0;
        int b0 = 0, b1 = ET_ACT_HIST_BINS - 1;
        while (b0 < ET_ACT_HIST_BINS - 1 && acc + hist[b0] <= tail)
            acc += hist[b0++];
        acc = 0;
        while (b1 > b0 && acc + hist[b1] <= tail)
            acc += hist[b1--];
        float w = (hi - lo) / ET_ACT_HIST_BINS;
        *out_lo = b0 == 0 ? lo : lo + w * (float)b0;
        *out_hi = b1 == ET_ACT_HIST_BINS - 1 ? hi : lo + w * (float)(b1 + 1);
        return;
    }
    /* mse and entropy: the range shrunk towards 0 by f, the best f */
    float l0 = fminf(lo, 0.0f), h0 = fmaxf(hi, 0.0f);
    double levelled[ET_ACT_HIST_BINS]; /* entropy: hist with the zero bin levelled */
    if (m == ET_CALIB_ENTROPY)
        level_zero_bin(hist, lo, hi, levelled);
    double best = INFINITY;
    for (int i = 0; i < N_CAND; i++) {
        float f = 1.0f - 0.01f * (float)i;
        float l = l0 * f, h = h0 * f;
        double e = m == ET_CALIB_MSE ? mse_of(hist, lo, hi, l, h) : kl_of(levelled, lo, hi, l, h);
        if (e < best) { /* strictly better: ties keep the wider range */
            best = e;
            *out_lo = l, *out_hi = h;
        }
    }
}
