/* recover_solve.c: one matrix's compensation (recover_solve.h). */
#include "tune/recover_solve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/chol.h"
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

static void solve_target(const double *r, int64_t d, const double *cross, int64_t rows, float *w,
                         et_threadpool *pool) {
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
    int64_t *perm = malloc((size_t)d * sizeof *perm);
    double *drow = malloc((size_t)d * sizeof *drow);
    bool *seen = malloc((size_t)d * sizeof *seen);
    float *frow = malloc((size_t)d * sizeof *frow);
    float *target = malloc((size_t)(rows * d) * sizeof *target);
    uint8_t *fixed = NULL;
    float *kept = NULL;
    double *cross = NULL;
    diag_ix *order = NULL;
    et_status st = ET_OK;
    if (!perm || !drow || !seen || !frow || !target) {
        st = et_fail(err, ET_E_NOMEM, "out of memory compensating a layer");
        goto done;
    }
    /* inputs that were always zero: any weight works, GPTQ's choice is 0 */
    for (int64_t j = 0; j < d; j++)
        if (s->h[j * d + j] == 0.0) {
            s->h[j * d + j] = 1.0;
            for (int64_t r = 0; r < rows; r++)
                s->w[r * d + j] = 0.0f;
        }
    /* the order of the walk */
    int64_t n_first = 0, cg = d / (s->ksize > 0 ? s->ksize : 1);
    if (s->mask == ET_OBQ_MASK_FIXED) {
        int64_t k = 0;
        for (int64_t f = 0; f < d; f++)
            if (!s->chan_keep[f / s->ksize])
                perm[k++] = f;
        n_first = k;
        for (int64_t f = 0; f < d; f++)
            if (s->chan_keep[f / s->ksize])
                perm[k++] = f;
    } else if (s->mask == ET_OBQ_MASK_NM) { /* groups of input channels at one kernel position: kp-major */
        int64_t k = 0;
        for (int64_t kp = 0; kp < s->ksize; kp++)
            for (int64_t ci = 0; ci < cg; ci++)
                perm[k++] = ci * s->ksize + kp;
    } else if (s->act_order && s->mask == ET_OBQ_MASK_NONE && s->bits != 0) {
        if (!(order = malloc((size_t)d * sizeof *order))) {
            st = et_fail(err, ET_E_NOMEM, "out of memory compensating a layer");
            goto done;
        }
        for (int64_t j = 0; j < d; j++)
            order[j] = (diag_ix){s->h[j * d + j], j};
        qsort(order, (size_t)d, sizeof *order, by_diag_desc);
        for (int64_t j = 0; j < d; j++)
            perm[j] = order[j].i;
    } else {
        for (int64_t j = 0; j < d; j++)
            perm[j] = j;
    }
    permute_sym(s->h, d, perm, drow, seen);
    permute_cols(s->w, rows, d, perm, false, frow);
    memcpy(target, s->w, (size_t)(rows * d) * sizeof *target);
    /* dampening, more when the factorisation fails */
    double mean = 0.0;
    for (int64_t j = 0; j < d; j++)
        mean += s->h[j * d + j];
    mean /= (double)d;
    double lambda = 0.0;
    bool factored = false;
    for (int t = 0; t < MAX_DAMP_TRIES && !factored; t++) {
        double want = DAMP * pow(10.0, t) * mean;
        for (int64_t j = 0; j < d; j++)
            s->h[j * d + j] += want - lambda;
        lambda = want;
        s->damp = DAMP * pow(10.0, t);
        factored = et_chol_upper_rev(s->h, d, pool);
    }
    if (!factored) {
        fall_back(s, "fell back to rounding: singular Hessian (dampening up to %lldx the mean diagonal)",
                  (long long)(DAMP * pow(10.0, MAX_DAMP_TRIES - 1)), 0);
        goto done;
    }
    if (s->cross) {
        /* the target: the least-squares fit of the reference output, with the dampening pulling towards the
         * pristine weights (not towards zero): W* (H + lambda I) = cross + lambda W, so that a layer whose inputs
         * equal the reference's keeps W* = W. Two triangular solves with H + lambda I = R R^T. */
        if (!(cross = malloc((size_t)(rows * d) * sizeof *cross))) {
            st = et_fail(err, ET_E_NOMEM, "out of memory compensating a layer");
            goto done;
        }
        for (int64_t r = 0; r < rows; r++)
            for (int64_t a = 0; a < d; a++)
                cross[r * d + a] = s->cross[r * d + perm[a]] + lambda * (double)s->w[r * d + a];
        solve_target(s->h, d, cross, rows, s->w, pool);
        memcpy(target, s->w, (size_t)(rows * d) * sizeof *target);
        for (int64_t r = 0; r < rows; r++) /* back to the true cross terms, for the error */
            for (int64_t a = 0; a < d; a++)
                cross[r * d + a] = s->cross[r * d + perm[a]];
    }
    et_obq_quant q = {.bits = s->bits, .qmin = s->qmin, .qmax = s->qmax, .scale = s->scale,
                      .zero_point = s->zero_point};
    double e1 = 0.0, e2 = 0.0;
    if (s->mask == ET_OBQ_MASK_FIXED) {
        if (!(fixed = calloc((size_t)(rows * d), 1))) {
            st = et_fail(err, ET_E_NOMEM, "out of memory compensating a layer");
            goto done;
        }
        for (int64_t r = 0; r < rows; r++)
            memset(fixed + r * d, 1, (size_t)n_first);
        et_obq_config refit = {.mask = ET_OBQ_MASK_FIXED, .fixed = fixed};
        if ((st = et_obq_run(s->w, rows, d, s->h, d, &refit, pool, &e1, err)) != ET_OK)
            goto done;
        int64_t dk = d - n_first;
        if (s->bits != 0 && dk > 0) {
            if (!(kept = malloc((size_t)(rows * dk) * sizeof *kept))) {
                st = et_fail(err, ET_E_NOMEM, "out of memory compensating a layer");
                goto done;
            }
            for (int64_t r = 0; r < rows; r++)
                memcpy(kept + r * dk, s->w + r * d + n_first, (size_t)dk * sizeof *kept);
            if (!s->scale && s->bits != 16) {
                et_wview v = {.n_ch = rows, .per_ch = dk, .ch_stride = dk, .el_stride = 1};
                if ((st = et_quantize_weights(kept, &v, s->wq, s->scale_out, s->zp_out, NULL, NULL, err)) != ET_OK)
                    goto done;
                q.scale = s->scale_out;
                q.zero_point = s->zp_out;
            }
            et_obq_config round = {.quant = q};
            if ((st = et_obq_run(kept, rows, dk, s->h + n_first * d + n_first, d, &round, pool, &e2, err)) != ET_OK)
                goto done;
            for (int64_t r = 0; r < rows; r++)
                memcpy(s->w + r * d + n_first, kept + r * dk, (size_t)dk * sizeof *kept);
        }
    } else {
        if (!s->scale && s->bits >= 2 && s->bits <= 8) { /* the grid of the target itself */
            et_wview v = {.n_ch = rows, .per_ch = d, .ch_stride = d, .el_stride = 1};
            if ((st = et_quantize_weights(s->w, &v, s->wq, s->scale_out, s->zp_out, NULL, NULL, err)) != ET_OK)
                goto done;
            q.scale = s->scale_out;
            q.zero_point = s->zp_out;
        }
        et_obq_config cfg = {.quant = q, .mask = s->mask, .prune_count = s->prune_count, .nm_n = s->nm_n,
                             .nm_m = s->nm_m, .nm_segment = s->mask == ET_OBQ_MASK_NM ? cg : 0};
        if ((st = et_obq_run(s->w, rows, d, s->h, d, &cfg, pool, &e1, err)) != ET_OK)
            goto done;
    }
    if (cross) { /* |y_ref - Q x|^2 = y2 - 2 <Q, cross> + Q H Q^T, with H = R R^T - lambda I */
        double qc = 0.0, qq = 0.0;
        for (int64_t i = 0; i < rows * d; i++) {
            qc += (double)s->w[i] * cross[i];
            qq += (double)s->w[i] * (double)s->w[i];
        }
        double qhq = et_obq_error(s->w, rows, d, s->h, d, pool);
        if (qhq < 0) {
            st = et_fail(err, ET_E_NOMEM, "out of memory compensating a layer");
            goto done;
        }
        s->err = s->y2 - 2.0 * qc + qhq - lambda * qq;
    } else { /* the walk's error is for the dampened H: take the dampening's share out */
        double dd = 0.0;
        for (int64_t i = 0; i < rows * d; i++) {
            double x = (double)target[i] - (double)s->w[i];
            dd += x * x;
        }
        s->err = e1 + e2 - lambda * dd;
    }
    s->err = s->err > 0.0 ? s->err : 0.0;
    permute_cols(s->w, rows, d, perm, true, frow);
done:
    free(perm), free(drow), free(seen), free(frow), free(target), free(fixed), free(kept), free(order), free(cross);
    return st;
}
