/* prune_compensate.c: error-compensated pruning steps (train_prune.h, et_prune_compensate). When a gradual step
 * removes weights of a layer, the kept weights of each output row (and its bias) are moved by least squares on
 * the layer's own inputs, the activations of the last training batch, so that the row's output changes as little
 * as it can: the least-squares core of OBS / SparseGPT (Hassibi & Stork 1993, Frantar & Alistarh 2023) with the
 * exact solve per row, which is cheap here because the layers are small.
 *
 * For a row with weights w over its inputs x (its im2col column: one per sample and output pixel), kept set K
 * after the step and removed set R (kept before, pruned now), minimise ||(w_K + d)^T X_K + db - w_R^T X_R||^2
 * over d and the bias change db: with Z = [X_K; 1] and H = Z Z^T (+ damping), (d, db) = H^-1 Z X_R^T w_R.
 * Layers: Conv (any stride, padding, dilation, groups: the rows of one group share its H) with at most
 * ET_COMP_MAX_K inputs per row, and Gemm with transB; others are left to magnitude pruning alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/tnet.h"
#include "tune/chol.h"
#include "train/train_prune.h"

/* Inputs per row above which a layer is not compensated: H costs k^2 per output pixel and a solve k^3 per row
 * (fmnist_mbv2's widest row has 192; a 3x3 convolution over 64 channels would have 576). */
#define ET_COMP_MAX_K 320

/* The step that uses parameter p as its weight, or NULL. */
static et_tstep *step_of(et_tnet *n, const et_tparam *p) {
    for (int s = 0; s < n->n_steps; s++) {
        et_tstep *st = &n->steps[s];
        if (st->node && st->n_in >= 2 && st->in[1] == p->value)
            return st;
    }
    return NULL;
}

/* A layer as rows of dot products with im2col columns: a Gemm is a 1x1 convolution of a 1x1 image. */
typedef struct layer_geo {
    int64_t rows, groups, k; /* output rows, groups, inputs per row (cin_g x kh x kw) */
    int64_t cin_g, kh, kw, ih, iw, oh, ow, sh, sw, dh, dw, pt, pl;
} layer_geo;

static bool geometry(et_tnet *n, const et_tstep *st, const et_tparam *p, layer_geo *g) {
    const et_tval *x = &n->values[st->in[0]], *y = &n->values[st->out];
    *g = (layer_geo){.groups = 1,
                     .kh = 1,
                     .kw = 1,
                     .ih = 1,
                     .iw = 1,
                     .oh = 1,
                     .ow = 1,
                     .sh = 1,
                     .sw = 1,
                     .dh = 1,
                     .dw = 1};
    if (st->node->op == ET_OP_CONV) {
        const char *ap = et_node_attr_string(st->node, "auto_pad", "NOTSET");
        if (p->shape.rank != 4 || x->shape.rank != 4 || y->shape.rank != 4 || strcmp(ap, "NOTSET") != 0)
            return false;
        int cnt = 0;
        const int64_t *v;
        g->groups = et_node_attr_int(st->node, "group", 1);
        g->rows = p->shape.dim[0], g->cin_g = p->shape.dim[1], g->kh = p->shape.dim[2], g->kw = p->shape.dim[3];
        g->ih = x->shape.dim[2], g->iw = x->shape.dim[3], g->oh = y->shape.dim[2], g->ow = y->shape.dim[3];
        if ((v = et_node_attr_ints(st->node, "strides", &cnt)) && cnt == 2)
            g->sh = v[0], g->sw = v[1];
        if ((v = et_node_attr_ints(st->node, "dilations", &cnt)) && cnt == 2)
            g->dh = v[0], g->dw = v[1];
        if ((v = et_node_attr_ints(st->node, "pads", &cnt)) && cnt == 4)
            g->pt = v[0], g->pl = v[1];
        g->k = g->cin_g * g->kh * g->kw;
        return g->groups >= 1 && g->rows % g->groups == 0 && x->shape.dim[1] == g->cin_g * g->groups &&
               y->shape.dim[1] == g->rows && g->k <= ET_COMP_MAX_K;
    }
    if (st->node->op == ET_OP_GEMM && et_node_attr_int(st->node, "transB", 0) == 1 &&
        !et_node_attr_int(st->node, "transA", 0) && p->shape.rank == 2) {
        g->rows = p->shape.dim[0], g->cin_g = g->k = p->shape.dim[1];
        return x->numel == g->k && g->k <= ET_COMP_MAX_K;
    }
    return false;
}

/* h (kb = k + 1 squared, zeroed) = sum over the last forward's samples and output pixels of [c; 1][c; 1]^T, c the
 * im2col column of group gi (zeros where the window leaves the image); col: kb floats of scratch. *mean_diag: its
 * mean diagonal. */
static void fill_hessian(et_tnet *n, const et_tstep *st, const layer_geo *g, int64_t gi, float *col, double *h,
                         double *mean_diag) {
    const float *x = et_tv_data(n, st->in[0]);
    const int64_t kb = g->k + 1, stride = et_tv_sample_stride(n, st->in[0]), plane = g->ih * g->iw;
    for (int s = 0; s < n->batch_now; s++) {
        const float *xs = x + (int64_t)s * stride + gi * g->cin_g * plane;
        for (int64_t oy = 0; oy < g->oh; oy++)
            for (int64_t ox = 0; ox < g->ow; ox++) {
                int64_t t = 0;
                for (int64_t c = 0; c < g->cin_g; c++)
                    for (int64_t ky = 0; ky < g->kh; ky++)
                        for (int64_t kx = 0; kx < g->kw; kx++, t++) {
                            int64_t iy = oy * g->sh - g->pt + ky * g->dh, ix = ox * g->sw - g->pl + kx * g->dw;
                            col[t] = iy >= 0 && iy < g->ih && ix >= 0 && ix < g->iw ? xs[c * plane + iy * g->iw + ix]
                                                                                    : 0.0f;
                        }
                col[g->k] = 1.0f;
                for (int64_t a = 0; a < kb; a++) {
                    const double ca = col[a];
                    if (ca == 0.0)
                        continue;
                    double *ha = h + a * kb;
                    for (int64_t b = a; b < kb; b++)
                        ha[b] += ca * (double)col[b];
                }
            }
    }
    *mean_diag = 0.0;
    for (int64_t a = 0; a < kb; a++) {
        *mean_diag += h[a * kb + a] / (double)kb;
        for (int64_t b = 0; b < a; b++)
            h[a * kb + b] = h[b * kb + a];
    }
}

/* Solves r r^T x = b in place of b, r the upper factor et_chol_upper_rev (tune/chol.h) leaves in the m x m matrix:
 * r y = b from the bottom up, then r^T x = y from the top down. */
static void chol_solve(const double *r, int64_t m, double *b) {
    for (int64_t i = m - 1; i >= 0; i--) {
        double s = b[i];
        for (int64_t t = i + 1; t < m; t++)
            s -= r[i * m + t] * b[t];
        b[i] = s / r[i * m + i];
    }
    for (int64_t i = 0; i < m; i++) {
        double s = b[i];
        for (int64_t t = 0; t < i; t++)
            s -= r[t * m + i] * b[t];
        b[i] = s / r[i * m + i];
    }
}

/* Refits row w (k weights; mo its new mask) and *bias (NULL: none) given the group's H; adds to stats. */
static void refit_row(const double *h, int64_t k, float *w, const uint8_t *mo, float *bias, double damp, double *sub,
                      double *rhs, double *hk, int64_t *kept, et_prune_comp_stats *stats) {
    const int64_t kb = k + 1;
    int64_t m = 0;
    bool removes = false;
    for (int64_t j = 0; j < k; j++) {
        if (mo[j])
            kept[m++] = j;
        else
            removes = removes || w[j] != 0.0f; /* earlier steps' weights are already 0 */
    }
    if (!removes)
        return;
    if (bias)
        kept[m++] = k;
    /* rhs = H_{K,R} w_R; the error of zeroing alone is w_R^T H_RR w_R */
    double before = 0.0;
    for (int64_t i = 0; i < m; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < k; j++)
            if (!mo[j] && w[j] != 0.0f)
                s += h[kept[i] * kb + j] * (double)w[j];
        rhs[i] = s;
    }
    for (int64_t a = 0; a < k; a++)
        for (int64_t b = 0; b < k; b++)
            if (!mo[a] && w[a] != 0.0f && !mo[b] && w[b] != 0.0f)
                before += (double)w[a] * h[a * kb + b] * (double)w[b];
    double after = before;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < m; j++)
            sub[i * m + j] = h[kept[i] * kb + kept[j]] + (i == j ? damp : 0.0);
    if (m > 0 && et_chol_upper_rev(sub, m, NULL)) {
        memcpy(hk, rhs, (size_t)m * sizeof *hk);
        chol_solve(sub, m, rhs); /* rhs is now (d, db) */
        /* error after = before - 2 d^T H_KR w_R + d^T H_KK d (undamped H: the real output error) */
        double cross = 0.0, quad = 0.0;
        for (int64_t i = 0; i < m; i++) {
            cross += rhs[i] * hk[i];
            for (int64_t j = 0; j < m; j++)
                quad += rhs[i] * h[kept[i] * kb + kept[j]] * rhs[j];
        }
        after = before - 2.0 * cross + quad;
        for (int64_t i = 0; i < m; i++) {
            if (kept[i] < k)
                w[kept[i]] += (float)rhs[i];
            else
                *bias += (float)rhs[i];
        }
    }
    if (stats)
        stats->err_before += before, stats->err_after += after > 0 ? after : 0.0, stats->rows++;
}

et_status et_prune_compensate(et_tnet *n, int param, const uint8_t *mask, et_prune_comp_stats *stats, et_err *err) {
    et_tparam *p = &n->params[param];
    et_tstep *st = step_of(n, p);
    layer_geo g;
    if (!st || n->batch_now < 1 || !geometry(n, st, p, &g) || !et_tv_data(n, st->in[0]))
        return ET_OK;
    bool any = false; /* does the step remove anything from this layer? */
    for (int64_t e = 0; e < p->numel && !any; e++)
        any = !mask[e] && p->w[e] != 0.0f;
    if (!any)
        return ET_OK;
    /* the bias rides as input k, a constant 1 */
    float *bias = NULL;
    if (st->n_in >= 3 && st->in[2] >= 0 && n->values[st->in[2]].param >= 0) {
        et_tparam *b = &n->params[n->values[st->in[2]].param];
        bias = b->numel == g.rows ? b->w : NULL;
    }
    const int64_t k = g.k, kb = k + 1, rows_g = g.rows / g.groups;
    double *h = malloc((size_t)(kb * kb) * sizeof *h), *sub = malloc((size_t)(kb * kb) * sizeof *sub);
    double *rhs = malloc((size_t)kb * sizeof *rhs), *hk = malloc((size_t)kb * sizeof *hk);
    int64_t *kept = malloc((size_t)kb * sizeof *kept);
    float *col = malloc((size_t)kb * sizeof *col);
    if (!h || !sub || !rhs || !hk || !kept || !col) {
        free(h), free(sub), free(rhs), free(hk), free(kept), free(col);
        return et_fail(err, ET_E_NOMEM, "out of memory for compensating a pruning step");
    }
    for (int64_t gi = 0; gi < g.groups; gi++) {
        bool removes = false;
        for (int64_t e = gi * rows_g * k; e < (gi + 1) * rows_g * k && !removes; e++)
            removes = !mask[e] && p->w[e] != 0.0f;
        if (!removes)
            continue;
        double mean_diag;
        memset(h, 0, (size_t)(kb * kb) * sizeof *h);
        fill_hessian(n, st, &g, gi, col, h, &mean_diag);
        const double damp = 0.01 * (mean_diag > 0 ? mean_diag : 1.0); /* SparseGPT's 1 % of the mean diagonal */
        for (int64_t o = gi * rows_g; o < (gi + 1) * rows_g; o++)
            refit_row(h, k, p->w + o * k, mask + o * k, bias ? bias + o : NULL, damp, sub, rhs, hk, kept, stats);
    }
    free(h), free(sub), free(rhs), free(hk), free(kept), free(col);
    et_tnet_weights_changed(n);
    return ET_OK;
}
