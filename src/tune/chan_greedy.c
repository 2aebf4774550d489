/* chan_greedy.c: channel choice with cross terms (chan_greedy.h). */
#include "tune/chan_greedy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scalar double multiply-adds over rows a few cache lines long: the rate the split decisions below assume. */
#define NS_PER_MAC_SCALAR 0.5

/* One output's share of G: u[i][c] = sum_b H[i][(c,b)] w_o[(c,b)] over features i, then G[c][e] += w_o[(c,a)]
 * u[(c,a)][e] over channels c; rows on the pool (each element of G sums the outputs in order). */
typedef struct gram_job {
    const double *h, *wo;
    double *u, *G;
    int64_t n_in, kb;
} gram_job;

static void gram_u_rows(void *ctx, size_t begin, size_t end) {
    const gram_job *J = ctx;
    int64_t n_in = J->n_in, kb = J->kb, d = n_in * kb;
    for (int64_t i = (int64_t)begin; i < (int64_t)end; i++) {
        const double *hi = J->h + i * d;
        for (int64_t c = 0; c < n_in; c++) {
            double s = 0.0;
            for (int64_t b = 0; b < kb; b++)
                s += hi[c * kb + b] * J->wo[c * kb + b];
            J->u[i * n_in + c] = s;
        }
    }
}

static void gram_g_rows(void *ctx, size_t begin, size_t end) {
    const gram_job *J = ctx;
    int64_t n_in = J->n_in, kb = J->kb;
    for (int64_t c = (int64_t)begin; c < (int64_t)end; c++)
        for (int64_t a = 0; a < kb; a++) {
            double wa = J->wo[c * kb + a];
            const double *ui = J->u + (c * kb + a) * n_in;
            for (int64_t e = 0; e < n_in; e++)
                J->G[c * n_in + e] += wa * ui[e];
        }
}

bool et_chan_gram(const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride, const double *h, int64_t n_in,
                  int64_t kb, et_threadpool *pool, double *G) {
    int64_t d = n_in * kb;
    double *wo = malloc((size_t)(d + 1) * sizeof *wo);
    double *u = malloc((size_t)(d * n_in + 1) * sizeof *u);
    if (!wo || !u) {
        free(wo), free(u);
        return false;
    }
    memset(G, 0, (size_t)(n_in * n_in) * sizeof *G);
    et_threadpool *p = et_threadpool_for_work(pool, (double)d * (double)d * NS_PER_MAC_SCALAR);
    gram_job J = {h, wo, u, G, n_in, kb};
    for (int64_t o = 0; o < n_out; o++) {
        for (int64_t i = 0; i < d; i++)
            wo[i] = w[o * ch_stride + i * el_stride];
        et_threadpool_parallel_for(p, (size_t)d, gram_u_rows, &J);
        et_threadpool_parallel_for(p, (size_t)n_in, gram_g_rows, &J);
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
 * of a positive definite matrix are positive); each step's rows on the pool when it pays. Every element sees the
 * same operations in the same order, so the result does not depend on the threads. false when a pivot is not
 * positive and finite (a garbled). */
typedef struct invert_job {
    double *a;
    int64_t n, k;
} invert_job;

static void invert_rows(void *ctx, size_t begin, size_t end) {
    const invert_job *J = ctx;
    double *a = J->a;
    int64_t n = J->n, k = J->k;
    const double *ak = a + k * n;
    double ip = ak[k];
    for (int64_t i = (int64_t)begin; i < (int64_t)end; i++) {
        double f = a[i * n + k];
        if (i == k || f == 0.0)
            continue;
        double *ai = a + i * n;
        for (int64_t j = 0; j < n; j++)
            ai[j] -= f * ak[j];
        ai[k] = -f * ip;
    }
}

static bool spd_invert(double *a, int64_t n, et_threadpool *pool) {
    et_threadpool *p = et_threadpool_for_work(pool, (double)n * (double)n * NS_PER_MAC_SCALAR);
    for (int64_t k = 0; k < n; k++) {
        double pv = a[k * n + k];
        if (!(pv > 0.0) || !isfinite(pv))
            return false;
        double ip = 1.0 / pv;
        for (int64_t j = 0; j < n; j++)
            a[k * n + j] *= ip;
        a[k * n + k] = ip;
        invert_job J = {a, n, k};
        et_threadpool_parallel_for(p, (size_t)n, invert_rows, &J);
    }
    return true;
}

/* The cost of removing channel c from reader r now: sum over outputs of w_c^T [(H^-1)_cc]^-1 w_c; binv (kb x kb)
 * receives [(H^-1)_cc]^-1. Infinite when that block is not invertible. */
static double removal_cost(const et_chan_reader *r, int64_t c, double *binv) {
    int64_t d = r->n_in * r->kb, kb = r->kb;
    for (int64_t a = 0; a < kb; a++)
        for (int64_t b = 0; b < kb; b++)
            binv[a * kb + b] = r->hi[(c * kb + a) * d + c * kb + b];
    if (!spd_invert(binv, kb, NULL))
        return INFINITY;
    double s = 0.0;
    for (int64_t o = 0; o < r->n_out; o++) {
        const double *w = r->wd + o * d + c * kb;
        for (int64_t a = 0; a < kb; a++)
            for (int64_t b = 0; b < kb; b++)
                s += w[a] * binv[a * kb + b] * w[b];
    }
    return s;
}

/* One removal step of every reader: the refit weights take over what channel c did (wd -= w_c binv H^-1_{c,:})
 * and the inverse becomes that of H without c (hi -= H^-1_{:,c} binv H^-1_{c,:}), over the channels still there
 * (c already marked gone, so its rows, which every update reads, stay as they are). Rows on the pool. */
typedef struct remove_job {
    et_chan_reader *r;
    const bool *gone;
    int64_t c;
} remove_job;

/* t[i] = H^-1_{i,c} binv, rows [begin, end) of the features. */
static void remove_t_rows(void *ctx, size_t begin, size_t end) {
    const remove_job *J = ctx;
    const et_chan_reader *r = J->r;
    int64_t kb = r->kb, d = r->n_in * kb, c = J->c;
    for (int64_t i = (int64_t)begin; i < (int64_t)end; i++)
        for (int64_t b = 0; b < kb; b++) {
            double s = 0.0;
            for (int64_t a = 0; a < kb; a++)
                s += r->hi[i * d + c * kb + a] * r->binv[a * kb + b];
            r->t[i * kb + b] = s;
        }
}

/* The refit weights of outputs [begin, end). */
static void remove_w_rows(void *ctx, size_t begin, size_t end) {
    const remove_job *J = ctx;
    et_chan_reader *r = J->r;
    int64_t kb = r->kb, d = r->n_in * kb, c = J->c;
    for (int64_t o = (int64_t)begin; o < (int64_t)end; o++) {
        double *w = r->wd + o * d, u[64];
        for (int64_t b = 0; b < kb; b++) {
            u[b] = 0.0;
            for (int64_t a = 0; a < kb; a++)
                u[b] += w[c * kb + a] * r->binv[a * kb + b];
        }
        for (int64_t j = 0; j < d; j++)
            if (!J->gone[j / kb])
                for (int64_t b = 0; b < kb; b++)
                    w[j] -= u[b] * r->hi[(c * kb + b) * d + j];
    }
}

/* The inverse's rows [begin, end). */
static void remove_hi_rows(void *ctx, size_t begin, size_t end) {
    const remove_job *J = ctx;
    et_chan_reader *r = J->r;
    int64_t kb = r->kb, d = r->n_in * kb, c = J->c;
    for (int64_t i = (int64_t)begin; i < (int64_t)end; i++) {
        if (J->gone[i / kb])
            continue;
        double *hi = r->hi + i * d;
        for (int64_t j = 0; j < d; j++)
            if (!J->gone[j / kb])
                for (int64_t b = 0; b < kb; b++)
                    hi[j] -= r->t[i * kb + b] * r->hi[(c * kb + b) * d + j];
    }
}

static void remove_channel(et_chan_reader *r, int64_t c, const bool *gone, et_threadpool *pool) {
    int64_t d = r->n_in * r->kb;
    remove_job J = {r, gone, c};
    double dd = (double)d, kb = (double)r->kb, n_out = (double)r->n_out;
    et_threadpool_parallel_for(et_threadpool_for_work(pool, dd * kb * kb * NS_PER_MAC_SCALAR), (size_t)d, remove_t_rows,
                               &J);
    et_threadpool_parallel_for(et_threadpool_for_work(pool, n_out * dd * kb * NS_PER_MAC_SCALAR), (size_t)r->n_out,
                               remove_w_rows, &J);
    et_threadpool_parallel_for(et_threadpool_for_work(pool, dd * dd * kb * NS_PER_MAC_SCALAR), (size_t)d,
                               remove_hi_rows, &J);
}

int64_t et_chan_reader_bytes(int64_t n_out, int64_t n_in, int64_t kb) {
    int64_t d = n_in * kb;
    return (d * d + n_out * d + d * kb + kb * kb) * (int64_t)sizeof(double);
}

/* r->energy = sum_o w_o^T H w_o (the undampened H, r->wd still the layer's weights): outputs on the pool, summed
 * in order. false when out of memory. */
typedef struct energy_job {
    const et_chan_reader *r;
    const double *h;
    double *e;
} energy_job;

static void energy_rows(void *ctx, size_t begin, size_t end) {
    const energy_job *J = ctx;
    int64_t d = J->r->n_in * J->r->kb;
    for (int64_t o = (int64_t)begin; o < (int64_t)end; o++) {
        const double *wo = J->r->wd + o * d;
        double e = 0.0;
        for (int64_t i = 0; i < d; i++) {
            const double *hi = J->h + i * d;
            double s = 0.0;
            for (int64_t j = 0; j < d; j++)
                s += hi[j] * wo[j];
            e += wo[i] * s;
        }
        J->e[o] = e;
    }
}

static bool output_energy(et_chan_reader *r, const double *h, et_threadpool *pool) {
    int64_t d = r->n_in * r->kb;
    double *e = malloc((size_t)r->n_out * sizeof *e + 1);
    if (!e)
        return false;
    energy_job J = {r, h, e};
    et_threadpool_parallel_for(et_threadpool_for_work(pool,
                                                      (double)r->n_out * (double)d * (double)d * NS_PER_MAC_SCALAR),
                               (size_t)r->n_out, energy_rows, &J);
    r->energy = 0.0;
    for (int64_t o = 0; o < r->n_out; o++)
        r->energy += e[o];
    free(e);
    return true;
}

bool et_chan_reader_init(et_chan_reader *r, const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride,
                         const double *h, int64_t n_in, int64_t kb, bool energy, et_threadpool *pool) {
    int64_t d = n_in * kb;
    memset(r, 0, sizeof *r);
    if (kb > 64 || n_in < 1)
        return false;
    r->n_out = n_out, r->n_in = n_in, r->kb = kb;
    r->hi = malloc((size_t)(d * d + 1) * sizeof *r->hi), r->wd = malloc((size_t)(n_out * d + 1) * sizeof *r->wd);
    r->t = malloc((size_t)(d * kb + 1) * sizeof *r->t), r->binv = malloc((size_t)(kb * kb + 1) * sizeof *r->binv);
    if (!r->hi || !r->wd || !r->t || !r->binv) {
        et_chan_reader_free(r);
        return false;
    }
    double mean = 0.0; /* dampening as recovery's solve adds it: 1 % of the mean diagonal */
    for (int64_t i = 0; i < d; i++)
        mean += h[i * d + i];
    mean = d > 0 ? mean / (double)d : 0.0;
    double damp = mean > 0.0 ? 0.01 * mean : 1e-8;
    memcpy(r->hi, h, (size_t)(d * d) * sizeof *r->hi);
    for (int64_t i = 0; i < d; i++)
        r->hi[i * d + i] += damp;
    for (int64_t o = 0; o < n_out; o++)
        for (int64_t i = 0; i < d; i++)
            r->wd[o * d + i] = w[o * ch_stride + i * el_stride];
    if (energy && !output_energy(r, h, pool)) {
        et_chan_reader_free(r);
        return false;
    }
    if (!spd_invert(r->hi, d, pool)) {
        et_chan_reader_free(r);
        return false;
    }
    return true;
}

void et_chan_reader_free(et_chan_reader *r) {
    free(r->hi), free(r->wd), free(r->t), free(r->binv);
    r->hi = r->wd = r->t = r->binv = NULL;
}

/* Each channel's cost now summed over the readers (weighted), channels [begin, end); gone ones infinite. */
typedef struct cost_job {
    et_chan_reader *r;
    const double *weight;
    const bool *gone;
    double *cost;
    int n;
} cost_job;

static void cost_rows(void *ctx, size_t begin, size_t end) {
    const cost_job *J = ctx;
    double binv[64 * 64];
    for (int64_t c = (int64_t)begin; c < (int64_t)end; c++) {
        double s = 0.0;
        for (int k = 0; k < J->n && !J->gone[c]; k++)
            s += J->weight[k] * removal_cost(&J->r[k], c, binv);
        J->cost[c] = J->gone[c] ? INFINITY : s;
    }
}

bool et_chan_joint_scores(et_chan_reader *r, int n, bool relative, et_threadpool *pool, double *score) {
    int64_t n_in = n > 0 ? r[0].n_in : 0;
    for (int k = 0; k < n; k++)
        if (r[k].n_in != n_in || !r[k].hi)
            return false;
    double *cost = malloc((size_t)n_in * sizeof *cost + 1), *weight = malloc((size_t)n * sizeof *weight + 1);
    bool *gone = calloc((size_t)n_in + 1, sizeof *gone);
    if (!cost || !weight || !gone) {
        free(cost), free(weight), free(gone);
        return false;
    }
    double per_step = 0.0; /* multiply-adds of one step's costs */
    for (int k = 0; k < n; k++) {
        weight[k] = relative && n > 1 && r[k].energy > 0.0 ? 1.0 / r[k].energy : 1.0;
        per_step += (double)n_in * (double)(r[k].kb * r[k].kb) * (double)(r[k].n_out + r[k].kb);
    }
    et_threadpool *p = et_threadpool_for_work(pool, per_step * NS_PER_MAC_SCALAR);
    double err = 0.0, last = -1.0, step = 0.0;
    for (int64_t k = 0; k < n_in; k++) {
        cost_job J = {r, weight, gone, cost, n};
        et_threadpool_parallel_for(p, (size_t)n_in, cost_rows, &J);
        int64_t best = -1;
        for (int64_t c = 0; c < n_in; c++) /* the first channel still there, or the cheapest */
            if (!gone[c] && (best < 0 || cost[c] < cost[best]))
                best = c;
        double best_cost = cost[best];
        gone[best] = true;
        err += isfinite(best_cost) && best_cost > 0.0 ? best_cost : 0.0;
        if (k == 0)
            step = 1e-12 * (err > 0.0 ? err : 1.0);
        score[best] = last >= 0.0 && err <= last ? last + step : err;
        last = score[best];
        for (int i = 0; i < n && k + 1 < n_in; i++) {
            removal_cost(&r[i], best, r[i].binv);
            remove_channel(&r[i], best, gone, pool);
        }
    }
    free(cost), free(weight), free(gone);
    return true;
}

bool et_chan_refit_scores(const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride, const double *h,
                          int64_t n_in, int64_t kb, et_threadpool *pool, double *score) {
    et_chan_reader r;
    if (!et_chan_reader_init(&r, w, n_out, ch_stride, el_stride, h, n_in, kb, false, pool))
        return false;
    bool ok = et_chan_joint_scores(&r, 1, false, pool, score);
    et_chan_reader_free(&r);
    return ok;
}
