/* chan_greedy.c: channel choice with cross terms (chan_greedy.h). */
#include "tune/chan_greedy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool et_chan_gram(const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride, const double *h, int64_t n_in,
                  int64_t kb, double *G) {
    int64_t d = n_in * kb;
    double *wo = malloc((size_t)(d + 1) * sizeof *wo);
    double *u = malloc((size_t)(d * n_in + 1) * sizeof *u); /* u[i][c] = sum_b H[i][(c,b)] w_o[(c,b)] */
    if (!wo || !u) {
        free(wo), free(u);
        return false;
    }
    memset(G, 0, (size_t)(n_in * n_in) * sizeof *G);
    for (int64_t o = 0; o < n_out; o++) {
        for (int64_t i = 0; i < d; i++)
            wo[i] = w[o * ch_stride + i * el_stride];
        for (int64_t i = 0; i < d; i++) {
            const double *hi = h + i * d;
            for (int64_t c = 0; c < n_in; c++) {
                double s = 0.0;
                for (int64_t b = 0; b < kb; b++)
                    s += hi[c * kb + b] * wo[c * kb + b];
                u[i * n_in + c] = s;
            }
        }
        for (int64_t c = 0; c < n_in; c++)
            for (int64_t a = 0; a < kb; a++) {
                double wa = wo[c * kb + a];
                const double *ui = u + (c * kb + a) * n_in;
                for (int64_t e = 0; e < n_in; e++)
                    G[c * n_in + e] += wa * ui[e];
            }
    }
    free(wo), free(u);
    return true;
}

bool et_chan_greedy_scores(const double *G, int64_t n, double *score) {
    double *r = calloc((size_t)n + 1, sizeof *r); /* r[c] = sum over removed d of G[c][d] */
    bool *gone = calloc((size_t)n + 1, sizeof *gone);
    if (!r || !gone) {
        free(r), free(gone);
        return false;
    }
    double total = 0.0; /* the whole output's energy: sets the step that keeps the scores strictly growing */
    for (int64_t i = 0; i < n * n; i++)
        total += G[i];
    double step = (total > 0.0 ? total : 1.0) * 1e-12, err = 0.0, last = -1.0;
    for (int64_t k = 0; k < n; k++) {
        int64_t best = -1;
        double best_add = 0.0;
        for (int64_t c = 0; c < n; c++) {
            if (gone[c])
                continue;
            double add = G[c * n + c] + 2.0 * r[c];
            if (best < 0 || add < best_add)
                best = c, best_add = add;
        }
        gone[best] = true;
        err += best_add;
        double s = err > 0.0 ? err : 0.0;
        score[best] = last >= 0.0 && s <= last ? last + step : s;
        last = score[best];
        for (int64_t c = 0; c < n; c++)
            r[c] += G[c * n + best];
    }
    free(r), free(gone);
    return true;
}

/* In-place inverse of the symmetric positive definite n x n matrix a (Gauss-Jordan without pivoting: the pivots
 * of a positive definite matrix are positive). false when a pivot is not positive and finite (a garbled). */
static bool spd_invert(double *a, int64_t n) {
    for (int64_t k = 0; k < n; k++) {
        double p = a[k * n + k];
        if (!(p > 0.0) || !isfinite(p))
            return false;
        double ip = 1.0 / p;
        for (int64_t j = 0; j < n; j++)
            a[k * n + j] *= ip;
        a[k * n + k] = ip;
        for (int64_t i = 0; i < n; i++) {
            if (i == k)
                continue;
            double f = a[i * n + k];
            if (f == 0.0)
                continue;
            for (int64_t j = 0; j < n; j++)
                a[i * n + j] -= f * a[k * n + j];
            a[i * n + k] = -f * ip;
        }
    }
    return true;
}

/* The cost of removing channel c now, with hi and wd the current inverse and refit weights: sum over outputs of
 * w_c^T [(H^-1)_cc]^-1 w_c; binv (kb x kb) receives [(H^-1)_cc]^-1. Infinite when that block is not invertible. */
static double removal_cost(const double *hi, const double *wd, int64_t n_out, int64_t d, int64_t kb, int64_t c,
                           double *binv) {
    for (int64_t a = 0; a < kb; a++)
        for (int64_t b = 0; b < kb; b++)
            binv[a * kb + b] = hi[(c * kb + a) * d + c * kb + b];
    if (!spd_invert(binv, kb))
        return INFINITY;
    double s = 0.0;
    for (int64_t o = 0; o < n_out; o++) {
        const double *w = wd + o * d + c * kb;
        for (int64_t a = 0; a < kb; a++)
            for (int64_t b = 0; b < kb; b++)
                s += w[a] * binv[a * kb + b] * w[b];
    }
    return s;
}

/* Removes channel c: the kept weights take over what c did (wd -= w_c binv H^-1_{c,:}) and the inverse becomes
 * that of H without c (hi -= H^-1_{:,c} binv H^-1_{c,:}), over the channels still there. t: d * kb scratch. */
static void remove_channel(double *hi, double *wd, int64_t n_out, int64_t d, int64_t kb, int64_t c, const bool *gone,
                           const double *binv, double *t) {
    for (int64_t i = 0; i < d; i++) /* t[i] = H^-1_{i,c} binv */
        for (int64_t b = 0; b < kb; b++) {
            double s = 0.0;
            for (int64_t a = 0; a < kb; a++)
                s += hi[i * d + c * kb + a] * binv[a * kb + b];
            t[i * kb + b] = s;
        }
    for (int64_t o = 0; o < n_out; o++) {
        double *w = wd + o * d, u[64];
        for (int64_t b = 0; b < kb; b++) {
            u[b] = 0.0;
            for (int64_t a = 0; a < kb; a++)
                u[b] += w[c * kb + a] * binv[a * kb + b];
        }
        for (int64_t j = 0; j < d; j++)
            if (!gone[j / kb])
                for (int64_t b = 0; b < kb; b++)
                    w[j] -= u[b] * hi[(c * kb + b) * d + j];
    }
    for (int64_t i = 0; i < d; i++)
        if (!gone[i / kb])
            for (int64_t j = 0; j < d; j++)
                if (!gone[j / kb])
                    for (int64_t b = 0; b < kb; b++)
                        hi[i * d + j] -= t[i * kb + b] * hi[(c * kb + b) * d + j];
}

bool et_chan_refit_scores(const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride, const double *h,
                          int64_t n_in, int64_t kb, double *score) {
    int64_t d = n_in * kb;
    if (kb > 64)
        return false;
    double *hi = malloc((size_t)(d * d + 1) * sizeof *hi), *wd = malloc((size_t)(n_out * d + 1) * sizeof *wd);
    double *t = malloc((size_t)(d * kb + 1) * sizeof *t), *binv = malloc((size_t)(kb * kb + 1) * sizeof *binv);
    bool *gone = calloc((size_t)n_in + 1, sizeof *gone);
    bool ok = hi && wd && t && binv && gone;
    if (ok) {
        double mean = 0.0; /* dampening as recovery's solve adds it: 1 % of the mean diagonal */
        for (int64_t i = 0; i < d; i++)
            mean += h[i * d + i];
        mean = d > 0 ? mean / (double)d : 0.0;
        double damp = mean > 0.0 ? 0.01 * mean : 1e-8;
        memcpy(hi, h, (size_t)(d * d) * sizeof *hi);
        for (int64_t i = 0; i < d; i++)
            hi[i * d + i] += damp;
        for (int64_t o = 0; o < n_out; o++)
            for (int64_t i = 0; i < d; i++)
                wd[o * d + i] = w[o * ch_stride + i * el_stride];
        ok = spd_invert(hi, d);
    }
    double err = 0.0, last = -1.0, step = 0.0;
    for (int64_t k = 0; ok && k < n_in; k++) {
        int64_t best = -1;
        double best_cost = INFINITY;
        for (int64_t c = 0; c < n_in; c++) {
            double cost = gone[c] ? INFINITY : removal_cost(hi, wd, n_out, d, kb, c, binv);
            if (!gone[c] && (best < 0 || cost < best_cost))
                best = c, best_cost = cost;
        }
        removal_cost(hi, wd, n_out, d, kb, best, binv);
        gone[best] = true;
        err += isfinite(best_cost) && best_cost > 0.0 ? best_cost : 0.0;
        if (k == 0)
            step = 1e-12 * (err > 0.0 ? err : 1.0);
        score[best] = last >= 0.0 && err <= last ? last + step : err;
        last = score[best];
        if (k + 1 < n_in)
            remove_channel(hi, wd, n_out, d, kb, best, gone, binv, t);
    }
    free(hi), free(wd), free(t), free(binv), free(gone);
    return ok;
}
