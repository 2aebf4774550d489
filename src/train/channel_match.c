/* channel_match.c: the kept channels of a channel-pruned layer, from its outputs (channel_match.h).
 * An order-preserving assignment by dynamic programming over (student channel, teacher channel): best[j][c] is
 * the least cost of channels 0..j with j on c, = d(j, c) + min over c' < c of best[j-1][c']. */
#include "train/channel_match.h"

#include <stdlib.h>

/* Per channel: the sum of squares over every sample's plane. */
static void norms(const float *x, int ch, int64_t hw, int count, double *out) {
    for (int c = 0; c < ch; c++) {
        double a = 0;
        for (int b = 0; b < count; b++) {
            const float *p = x + ((int64_t)b * ch + c) * hw;
            for (int64_t i = 0; i < hw; i++)
                a += (double)p[i] * p[i];
        }
        out[c] = a;
    }
}

static double dot(const float *s, int cs, int j, const float *t, int ct, int c, int64_t hw, int count) {
    double a = 0;
    for (int b = 0; b < count; b++) {
        const float *p = s + ((int64_t)b * cs + j) * hw, *q = t + ((int64_t)b * ct + c) * hw;
        for (int64_t i = 0; i < hw; i++)
            a += (double)p[i] * q[i];
    }
    return a;
}

double et_channel_match(const float *s, int cs, const float *t, int ct, int64_t hw, int count, int *map) {
    if (cs < 1 || cs > ct)
        return -1.0;
    const int span = ct - cs + 1; /* student channel j can sit on teacher channels j..j+span-1 */
    double *ns = malloc((size_t)cs * sizeof *ns), *nt = malloc((size_t)ct * sizeof *nt);
    double *best = malloc((size_t)cs * (size_t)span * sizeof *best);
    int *from = malloc((size_t)cs * (size_t)span * sizeof *from); /* per (j, k): the k' of j-1 it extends */
    double mean = -1.0;
    if (!ns || !nt || !best || !from)
        goto out;
    norms(s, cs, hw, count, ns);
    norms(t, ct, hw, count, nt);
    for (int j = 0; j < cs; j++) {
        double run = 0;
        int run_k = -1;
        for (int k = 0; k < span; k++) {
            int c = j + k;
            double den = ns[j] + nt[c], d = 0;
            if (den > 0) {
                d = (den - 2.0 * dot(s, cs, j, t, ct, c, hw, count)) / den;
                d = d < 0 ? 0 : d;
            }
            if (j > 0 && (run_k < 0 || best[(size_t)(j - 1) * span + k] < run)) /* j-1 on teacher c-1 or before */
                run = best[(size_t)(j - 1) * span + k], run_k = k;
            best[(size_t)j * span + k] = d + (j > 0 ? run : 0);
            from[(size_t)j * span + k] = run_k;
        }
    }
    int k = 0;
    for (int kk = 1; kk < span; kk++)
        if (best[(size_t)(cs - 1) * span + kk] < best[(size_t)(cs - 1) * span + k])
            k = kk;
    mean = best[(size_t)(cs - 1) * span + k] / cs;
    for (int j = cs - 1; j >= 0; j--) {
        map[j] = j + k;
        k = from[(size_t)j * span + k];
    }
out:
    free(ns), free(nt), free(best), free(from);
    return mean;
}
