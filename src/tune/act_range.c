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

/* KL(P || Q): P the histogram with what lies outside [l, h] folded onto its ends, Q the same mass spread evenly
 * over the non-empty bins of each quantization level. */
static double kl_of(const uint64_t *hist, float lo, float hi, float l, float h) {
    float s;
    int32_t z;
    et_act_qparams(l, h, &s, &z);
    double p[ET_ACT_HIST_BINS], total = 0.0;
    int level[ET_ACT_HIST_BINS];
    double mass[256] = {0};
    int nonzero[256] = {0};
    for (int b = 0; b < ET_ACT_HIST_BINS; b++) {
        double x = center(lo, hi, b);
        double q = nearbyint(x / s) + z;
        q = q < -128 ? -128 : q > 127 ? 127 : q;
        level[b] = (int)q + 128;
        p[b] = (double)hist[b];
        total += p[b];
        mass[level[b]] += p[b];
        nonzero[level[b]] += hist[b] != 0;
    }
    if (total <= 0)
        return 0.0;
    double kl = 0.0;
    for (int b = 0; b < ET_ACT_HIST_BINS; b++) {
        if (p[b] <= 0)
            continue;
        double qb = mass[level[b]] / nonzero[level[b]];
        kl += p[b] / total * log(p[b] / qb);
    }
    return kl;
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
    double best = INFINITY;
    for (int i = 0; i < N_CAND; i++) {
        float f = 1.0f - 0.01f * (float)i;
        float l = l0 * f, h = h0 * f;
        double e = m == ET_CALIB_MSE ? mse_of(hist, lo, hi, l, h) : kl_of(hist, lo, hi, l, h);
        if (e < best) { /* strictly better: ties keep the wider range */
            best = e;
            *out_lo = l, *out_hi = h;
        }
    }
}
