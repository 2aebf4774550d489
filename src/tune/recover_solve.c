/* recover_solve.c: one matrix's compensation (recover_solve.h). */
#include "tune/recover_solve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/chol.h"
#include "tune/obs_exact.h"
#include "tune/qmath.h"
#include "util/mem.h"

enum { MAX_DAMP_TRIES = 4 };
static const double DAMP = 0.01; /* of the mean diagonal, as GPTQ and SparseGPT use */

/* h <- P h P^T in place: h'[a][b] = h[perm[a]][perm[b]], with one row of scratch. */
static void permute_sym(double *h, int64_t d, const int64_t *perm, double *row, bool *seen) {
    if (d <= 0)
        return;
    memset(seen, 0, (size_t)d * sizeof *seen);
    for (int64_t a = 0; a < d; a++) { /* rows, one cycle at a time */
        if (seen[a] || perm[a] == a)
            continue;
        memcpy(row, h + a * d, (size_t)d * sizeof *row);
        int64_t k = a;
        for (;;) {
            seen[k] = true;
            int64_t src = perm[k];
            if (src == a) {
                memcpy(h + k * d, row, (size_t)d * sizeof *row);
                break;
            }
            memcpy(h + k * d, h + src * d, (size_t)d * sizeof *row);
            k = src;
        }
    }
    for (int64_t a = 0; a < d; a++) { /* columns */
        double *r = h + a * d;
        for (int64_t b = 0; b < d; b++)
            row[b] = r[perm[b]];
        memcpy(r, row, (size_t)d * sizeof *row);
    }
}

/* Columns of w (rows x d): w'[:, a] = w[:, perm[a]] (or the inverse: w'[:, perm[a]] = w[:, a]). */
static void permute_cols(float *w, int64_t rows, int64_t d, const int64_t *perm, bool inverse, float *row) {
    for (int64_t r = 0; r < rows; r++) {
        float *x = w + r * d;
        for (int64_t a = 0; a < d; a++) {
            if (inverse)
                row[perm[a]] = x[a];
            else
                row[a] = x[perm[a]];
        }
        memcpy(x, row, (size_t)d * sizeof *row);
    }
}

typedef struct diag_ix {
    double v;
    int64_t i;
} diag_ix;

static int by_diag_desc(const void *a, const void *b) {
    const diag_ix *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

typedef struct target_job {
    const double *r;
    int64_t d;
    const double *cross;
    float *w;
} target_job;

/* Rows [b, e) of W* from W* R R^T = cross: z R^T = c (back substitution), then w R = z (forward). */
static void target_rows(void *ctx, size_t b, size_t e) {
    const target_job *J = ctx;
    int64_t d = J->d;
    double *z = malloc((size_t)d * sizeof *z);
    if (!z)
        return; /* the caller checks nothing here: the row keeps the pristine weights as its target */
    for (size_t r = b; r < e; r++) {
        const double *c = J->cross + (int64_t)r * d;
        for (int64_t j = d - 1; j >= 0; j--) {
            const double *rj = J->r + j * d;
            double t = c[j];
            for (int64_t k = j + 1; k < d; k++)
                t -= rj[k] * z[k];
            z[j] = t / rj[j];
        }
        for (int64_t j = 0; j < d; j++) { /* x_j R_jj + sum_{k<j} x_k R_kj = z_j: column form, row by row */
            double x = z[j] / J->r[j * d + j];
            const double *rj = J->r + j * d;
            for (int64_t k = j + 1; k < d; k++)
                z[k] -= x * rj[k];
            J->w[(int64_t)r * d + j] = (float)x;
        }
    }
    free(z);
}

static void solve_target(const double *r, int64_t d, const double *cross, int64_t rows, float *w, et_threadpool *pool) {
    target_job J = {.r = r, .d = d, .cross = cross, .w = w};
    if (pool && rows > 1)
        et_threadpool_parallel_for_chunked(pool, (size_t)rows, 4, target_rows, &J);
    else
        target_rows(&J, 0, (size_t)rows);
}

static void fall_back(et_solve *s, const char *fmt, long long a, long long b) {
    s->fell_back = true;
    snprintf(s->why, sizeof s->why, fmt, a, b);
    memcpy(s->w, s->w_plain, (size_t)(s->rows * s->d) * sizeof *s->w);
}

/* One solve's working state. */
typedef struct solve_ctx {
    et_solve *s;
    et_threadpool *pool;
    et_err *err;
    int64_t *perm;   /* the walk's column order: column a of the walk is column perm[a] of the layer */
    int64_t n_first; /* FIXED: the dropped columns, walked first */
    float *target;   /* the weights the walk aims at, in the walk's order */
    double *cross;   /* with a reference: its cross terms in the walk's order */
    double lambda;   /* the dampening added to H's diagonal */
} solve_ctx;

static et_status oom(solve_ctx *C) { return et_fail(C->err, ET_E_NOMEM, "out of memory compensating a layer"); }

/* Inputs that were always zero (any weight works: GPTQ's choice is 0), then the walk's order: dropped channels
 * first (FIXED), input channels at one kernel position together (N:M), decreasing H diagonal (act order), or as
 * they are; H and W permuted to it. */
static et_status order_columns(solve_ctx *C) {
    et_solve *s = C->s;
    int64_t rows = s->rows, d = s->d, cg = d / (s->ksize > 0 ? s->ksize : 1), k = 0;
    for (int64_t j = 0; j < d; j++)
        if (s->h[j * d + j] == 0.0) {
            s->h[j * d + j] = 1.0;
            for (int64_t r = 0; r < rows; r++)
                s->w[r * d + j] = 0.0f;
        }
    if (s->mask == ET_OBQ_MASK_FIXED) {
        for (int64_t f = 0; f < d; f++)
            if (!s->chan_keep[f / s->ksize])
                C->perm[k++] = f;
        C->n_first = k;
        for (int64_t f = 0; f < d; f++)
            if (s->chan_keep[f / s->ksize])
                C->perm[k++] = f;
    } else if (s->mask == ET_OBQ_MASK_NM) {
        for (int64_t kp = 0; kp < s->ksize; kp++)
            for (int64_t ci = 0; ci < cg; ci++)
                C->perm[k++] = ci * s->ksize + kp;
    } else if (s->act_order && s->mask == ET_OBQ_MASK_NONE && s->bits != 0) {
        diag_ix *order = malloc((size_t)d * sizeof *order);
        if (!order)
            return oom(C);
        for (int64_t j = 0; j < d; j++)
            order[j] = (diag_ix){s->h[j * d + j], j};
        qsort(order, (size_t)d, sizeof *order, by_diag_desc);
        for (int64_t j = 0; j < d; j++)
            C->perm[j] = order[j].i;
        free(order);
    } else {
        for (int64_t j = 0; j < d; j++)
            C->perm[j] = j;
    }
    double *drow = malloc((size_t)d * sizeof *drow);
    bool *seen = malloc((size_t)d * sizeof *seen);
    float *frow = malloc((size_t)d * sizeof *frow);
    if (drow && seen && frow) {
        permute_sym(s->h, d, C->perm, drow, seen);
        permute_cols(s->w, rows, d, C->perm, false, frow);
    }
    free(drow), free(seen), free(frow);
    return drow && seen && frow ? ET_OK : oom(C);
}

/* Dampening, tenfold more each time the factorisation fails; false when it never succeeds. */
static bool factor(solve_ctx *C) {
    et_solve *s = C->s;
    int64_t d = s->d;
    double mean = 0.0;
    for (int64_t j = 0; j < d; j++)
        mean += s->h[j * d + j];
    mean /= (double)d;
    C->lambda = 0.0;
    for (int t = 0; t < MAX_DAMP_TRIES; t++) {
        double want = DAMP * pow(10.0, t) * mean;
        for (int64_t j = 0; j < d; j++)
            s->h[j * d + j] += want - C->lambda;
        C->lambda = want;
        s->damp = DAMP * pow(10.0, t);
        if (et_chol_upper_rev(s->h, d, C->pool))
            return true;
    }
    return false;
}

/* With a reference: the target is the least-squares fit of the reference output, with the dampening pulling
 * towards the pristine weights (not towards zero): W* (H + lambda I) = cross + lambda W, so that a layer whose
 * inputs equal the reference's keeps W* = W. Two triangular solves with H + lambda I = R R^T. */
static et_status reference_target(solve_ctx *C) {
    et_solve *s = C->s;
    int64_t rows = s->rows, d = s->d;
    if (!(C->cross = malloc((size_t)(rows * d) * sizeof *C->cross)))
        return oom(C);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t a = 0; a < d; a++)
            C->cross[r * d + a] = s->cross[r * d + C->perm[a]] + C->lambda * (double)s->w[r * d + a];
    solve_target(s->h, d, C->cross, rows, s->w, C->pool);
    for (int64_t r = 0; r < rows; r++) /* back to the true cross terms, for the error */
        for (int64_t a = 0; a < d; a++)
            C->cross[r * d + a] = s->cross[r * d + C->perm[a]];
    return ET_OK;
}

/* The grid of weights w (rows x d, row stride ld) into scale_out / zp_out, unless the scales were given. */
static et_status grid_of(solve_ctx *C, const float *w, int64_t d, et_obq_quant *q) {
    et_solve *s = C->s;
    if (s->scale || s->bits < 2 || s->bits > 8)
        return ET_OK;
    et_wview v = {.n_ch = s->rows, .per_ch = d, .ch_stride = d, .el_stride = 1};
    et_status st = et_quantize_weights(w, &v, s->wq, s->scale_out, s->zp_out, NULL, NULL, C->err);
    q->scale = s->scale_out;
    q->zero_point = s->zp_out;
    return st;
}

/* Channel pruning: the dropped columns walked first with a fixed mask (the least-squares refit of the kept
 * ones), then GPTQ on the kept columns alone on the grid of the refit weights. *e: the walks' error. */
static et_status walk_fixed(solve_ctx *C, et_obq_quant q, double *e) {
    et_solve *s = C->s;
    int64_t rows = s->rows, d = s->d, m = C->n_first, dk = d - m;
    uint8_t *fixed = calloc((size_t)(rows * d), 1);
    float *kept = dk > 0 ? malloc((size_t)(rows * dk) * sizeof *kept) : NULL;
    double e1 = 0.0, e2 = 0.0;
    et_status st = ET_OK;
    if (!fixed || (dk > 0 && !kept)) {
        st = oom(C);
        goto done;
    }
    for (int64_t r = 0; r < rows; r++)
        memset(fixed + r * d, 1, (size_t)m);
    et_obq_config refit = {.mask = ET_OBQ_MASK_FIXED, .fixed = fixed};
    if ((st = et_obq_run(s->w, rows, d, s->h, d, &refit, C->pool, &e1, C->err)) != ET_OK || s->bits == 0 || dk == 0)
        goto done;
    for (int64_t r = 0; r < rows; r++)
        memcpy(kept + r * dk, s->w + r * d + m, (size_t)dk * sizeof *kept);
    if (s->bits != 16 && (st = grid_of(C, kept, dk, &q)) != ET_OK)
        goto done;
    et_obq_config round = {.quant = q}; /* the trailing block of R is the factor of the kept columns' H */
    if ((st = et_obq_run(kept, rows, dk, s->h + m * d + m, d, &round, C->pool, &e2, C->err)) != ET_OK)
        goto done;
    for (int64_t r = 0; r < rows; r++)
        memcpy(s->w + r * d + m, kept + r * dk, (size_t)dk * sizeof *kept);
done:
    free(fixed), free(kept);
    *e = e1 + e2;
    return st;
}

/* Unstructured and N:M masks on a small matrix: the exact OBS mask and refit (obs_exact.h), then, when quantizing, GPTQ
 * with that mask fixed on the grid of the target. *e: the dampened error of the result against the target. */
static et_status walk_exact(solve_ctx *C, et_obq_quant q, double *e) {
    et_solve *s = C->s;
    int64_t rows = s->rows, d = s->d;
    uint8_t *mask = malloc((size_t)(rows * d));
    float *dw = malloc((size_t)(rows * d) * sizeof *dw);
    et_status st = mask && dw ? grid_of(C, s->w, d, &q) : oom(C);
    if (st == ET_OK && s->mask == ET_OBQ_MASK_NM)
        st = et_obs_prune_nm(s->w, rows, d, s->h, s->nm_n, s->nm_m, d / s->ksize, mask, C->pool, C->err);
    else if (st == ET_OK)
        st = et_obs_prune(s->w, rows, d, s->h, s->prune_count, mask, C->pool, C->err);
    if (st == ET_OK && s->bits != 0) {
        et_obq_config cfg = {.quant = q, .mask = ET_OBQ_MASK_FIXED, .fixed = mask};
        st = et_obq_run(s->w, rows, d, s->h, d, &cfg, C->pool, NULL, C->err);
    }
    if (st == ET_OK) {
        for (int64_t i = 0; i < rows * d; i++)
            dw[i] = C->target[i] - s->w[i];
        *e = et_obq_error(dw, rows, d, s->h, d, C->pool);
        if (*e < 0)
            st = oom(C);
    }
    free(mask), free(dw);
    return st;
}

/* The undampened error of the result: against the reference output, or against the target. */
static et_status final_error(solve_ctx *C, double e_walk) {
    et_solve *s = C->s;
    int64_t n = s->rows * s->d;
    if (C->cross) { /* |y_ref - Q x|^2 = y2 - 2 <Q, cross> + Q H Q^T, with H = R R^T - lambda I */
        double qc = 0.0, qq = 0.0;
        for (int64_t i = 0; i < n; i++) {
            qc += (double)s->w[i] * C->cross[i];
            qq += (double)s->w[i] * (double)s->w[i];
        }
        double qhq = et_obq_error(s->w, s->rows, s->d, s->h, s->d, C->pool);
        if (qhq < 0)
            return oom(C);
        s->err = s->y2 - 2.0 * qc + qhq - C->lambda * qq;
    } else { /* the walk's error is for the dampened H: take the dampening's share out */
        double dd = 0.0;
        for (int64_t i = 0; i < n; i++) {
            double x = (double)C->target[i] - (double)s->w[i];
            dd += x * x;
        }
        s->err = e_walk - C->lambda * dd;
    }
    s->err = s->err > 0.0 ? s->err : 0.0;
    return ET_OK;
}

et_status et_solve_run(et_solve *s, et_threadpool *pool, et_err *err) {
    int64_t rows = s->rows, d = s->d;
    s->err = 0.0;
    s->fell_back = false;
    s->why[0] = '\0';
    if (s->n_samples < d) {
        fall_back(s, "fell back to rounding: %lld samples for %lld weights per row", (long long)s->n_samples,
                  (long long)d);
        return ET_OK;
    }
    solve_ctx C = {.s = s, .pool = pool, .err = err};
    C.perm = malloc((size_t)d * sizeof *C.perm);
    C.target = malloc((size_t)(rows * d) * sizeof *C.target);
    et_status st = C.perm && C.target ? order_columns(&C) : oom(&C);
    if (st != ET_OK)
        goto done;
    if (!factor(&C)) {
        fall_back(s, "fell back to rounding: singular Hessian (dampening up to %lldx the mean diagonal)",
                  (long long)(DAMP * pow(10.0, MAX_DAMP_TRIES - 1)), 0);
        goto done;
    }
    if (s->cross && (st = reference_target(&C)) != ET_OK)
        goto done;
    memcpy(C.target, s->w, (size_t)(rows * d) * sizeof *C.target);
    et_obq_quant q = {.bits = s->bits,
                      .qmin = s->qmin,
                      .qmax = s->qmax,
                      .scale = s->scale,
                      .zero_point = s->zero_point};
    double e = 0.0;
    if (s->mask == ET_OBQ_MASK_FIXED) {
        st = walk_fixed(&C, q, &e);
    } else if ((s->mask == ET_OBQ_MASK_ADAPTIVE || s->mask == ET_OBQ_MASK_NM) && s->exact_masks &&
               et_obs_exact_fits(rows, d)) {
        st = walk_exact(&C, q, &e);
    } else if ((st = grid_of(&C, s->w, d, &q)) == ET_OK) { /* the grid of the target itself */
        et_obq_config cfg = {.quant = q,
                             .mask = s->mask,
                             .prune_count = s->prune_count,
                             .nm_n = s->nm_n,
                             .nm_m = s->nm_m,
                             .nm_segment = s->mask == ET_OBQ_MASK_NM ? d / s->ksize : 0};
        st = et_obq_run(s->w, rows, d, s->h, d, &cfg, pool, &e, err);
    }
    if (st == ET_OK && (st = final_error(&C, e)) == ET_OK) {
        float *frow = malloc((size_t)d * sizeof *frow);
        if (frow)
            permute_cols(s->w, rows, d, C.perm, true, frow);
        else
            st = oom(&C);
        free(frow);
    }
done:
    free(C.perm), free(C.target), free(C.cross);
    return st;
}
