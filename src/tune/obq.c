/* obq.c: the GPTQ / SparseGPT column walk in the R form (obq.h).
 *
 * Per block of columns [i1, i2):
 *   1. acc = D[:, 0:i1] * R[0:i1, i1:i2]   (GEMM kernels; D = W - Q of the columns already done)
 *   2. ADAPTIVE only: the block's mask, from the saliencies (W_j R_jj + acc_j)^2 over all rows (serial)
 *   3. per row, column by column: p = W_j + acc_j / R_jj, q = round(p) or 0, D_j = W_j - q,
 *      acc_k += D_j R_jk for the later columns k of the block
 * Steps 1 and 3 run on the pool over tiles of rows; each row's arithmetic is the same whatever the split. */
#include "tune/obq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/dtype.h"
#include "tune/qmath.h"
#include "tune/tgemm.h"
#include "util/mem.h"

typedef struct obq_job {
    float *w, *dw; /* rows x d: weights (overwritten by the result as columns are done), W - Q */
    int64_t rows, d;
    const double *r;
    int64_t ldr; /* row stride of r */
    const et_obq_config *cfg;
    const et_f32_gemm_config *gc;
    int64_t i1, i2, nb;  /* the block */
    const float *packed; /* R[0:i1, i1:i2] packed (NULL when i1 == 0) */
    const float *rblk;   /* R[i1:i2, i1:i2] as floats, nb x nb */
    float *acc;          /* rows x nb */
    uint8_t *mask;       /* rows x nb: 1 = zero this weight */
    double *row_err;     /* per row: sum of e^2 so far */
    bool gemm, walk;     /* which steps this pass runs */
} obq_job;

static inline float round_one(const et_obq_quant *q, int64_t r, float p) {
    if (q->bits == 0)
        return p;
    if (q->bits == 16)
        return et_f16_to_f32(et_f32_to_f16(p));
    float s = q->scale[r], inv = 1.0f / s; /* as et_quantize_weights rounds, so no error gives round to nearest */
    long v = lrintf(p * inv) + q->zero_point[r];
    v = v < q->qmin ? q->qmin : v > q->qmax ? q->qmax : v;
    return s * (float)(v - q->zero_point[r]);
}

/* y[0..n) += s * x[0..n), in fixed 8-wide steps the compiler vectorises. */
static void axpyf(float *restrict y, const float *restrict x, float s, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++)
            y[i + q] += s * x[i + q];
    for (; i < n; i++)
        y[i] += s * x[i];
}

/* The start of the N:M group that column j opens, or -1 when j opens none; *len its width. */
static bool nm_group_at(const et_obq_config *cfg, int64_t d, int64_t j, int64_t *len) {
    int64_t seg = cfg->nm_segment > 0 ? cfg->nm_segment : d;
    int64_t s0 = j / seg * seg, off = j - s0;
    if (off % cfg->nm_m != 0)
        return false;
    int64_t end = s0 + seg < d ? s0 + seg : d;
    *len = end - j < cfg->nm_m ? end - j : cfg->nm_m;
    return true;
}

/* Where a block that should end at `want` really ends: on an N:M group boundary at or after it. */
static int64_t block_end(const et_obq_config *cfg, int64_t d, int64_t want) {
    if (want >= d)
        return d;
    if (cfg->mask != ET_OBQ_MASK_NM)
        return want;
    int64_t len;
    while (want < d && !nm_group_at(cfg, d, want, &len))
        want++;
    return want;
}

/* Zeroes (mask = 1) the len - keep weights of lowest saliency among len; ties: the lower index stays. */
static void nm_choose(const float *sal, int64_t len, int64_t keep, uint8_t *mask) {
    for (int64_t i = 0; i < len; i++) {
        int64_t before = 0; /* weights that rank above i */
        for (int64_t j = 0; j < len; j++)
            before += sal[j] > sal[i] || (sal[j] == sal[i] && j < i);
        mask[i] = before >= keep;
    }
}

/* The values columns [i1+jj, i1+jj+len) of a row hold in the reference walk at this point: the columns before
 * i1+jj are done, and the later ones carry their compensation, w + y with y R_g = acc over those columns
 * (R_g: R's diagonal block over them; obq.h's p_j is the first of these values, the others follow from it). */
static void current_values(const obq_job *J, const float *wr, const float *a, int64_t jj, int64_t len, float *out) {
    for (int64_t t = 0; t < len; t++) {
        float y = a[jj + t];
        for (int64_t s = 0; s < t; s++)
            y -= (out[s] - wr[J->i1 + jj + s]) * J->rblk[(jj + s) * J->nb + jj + t];
        int64_t j = J->i1 + jj + t;
        out[t] = wr[j] + y / (float)J->r[j * J->ldr + j];
    }
}

static void walk_row(const obq_job *J, int64_t r) {
    const et_obq_config *cfg = J->cfg;
    float *wr = J->w + r * J->d, *dr = J->dw + r * J->d, *a = J->acc + r * J->nb;
    uint8_t *m = J->mask + r * J->nb;
    double err = 0.0;
    for (int64_t jj = 0; jj < J->nb; jj++) {
        int64_t j = J->i1 + jj, len;
        if (cfg->mask == ET_OBQ_MASK_NM && nm_group_at(cfg, J->d, j, &len)) {
            float sal[16];
            current_values(J, wr, a, jj, len, sal);
            for (int64_t t = 0; t < len; t++) {
                float v = sal[t] * (float)J->r[(j + t) * J->ldr + j + t];
                sal[t] = v * v;
            }
            int64_t keep = len == cfg->nm_m ? cfg->nm_n : (cfg->nm_n * len + cfg->nm_m - 1) / cfg->nm_m;
            nm_choose(sal, len, keep, m + jj);
        }
        float rjj = (float)J->r[j * J->ldr + j];
        float p = wr[j] + a[jj] / rjj;
        float q = m[jj] ? 0.0f : round_one(&cfg->quant, r, p);
        float delta = wr[j] - q;
        float e = (p - q) * rjj;
        err += (double)e * (double)e;
        dr[j] = delta;
        wr[j] = q;
        if (delta != 0.0f)
            axpyf(a + jj + 1, J->rblk + jj * J->nb + jj + 1, delta, J->nb - jj - 1);
    }
    J->row_err[r] += err;
}

static void task(void *ctx, size_t b, size_t e) {
    const obq_job *J = ctx;
    int64_t r0 = (int64_t)b * (int64_t)J->gc->mr, r1 = (int64_t)e * (int64_t)J->gc->mr;
    r1 = r1 < J->rows ? r1 : J->rows;
    if (J->gemm) {
        if (J->packed)
            et_tgemm(J->gc, (size_t)(r1 - r0), (size_t)J->nb, (size_t)J->i1, J->dw + r0 * J->d, (size_t)J->d, J->packed,
                     J->acc + r0 * J->nb, (size_t)J->nb);
        else
            memset(J->acc + r0 * J->nb, 0, (size_t)((r1 - r0) * J->nb) * sizeof(float));
    }
    if (J->walk)
        for (int64_t r = r0; r < r1; r++)
            walk_row(J, r);
}

static void run_tiles(et_threadpool *pool, obq_job *J) {
    size_t tiles = (size_t)((J->rows + (int64_t)J->gc->mr - 1) / (int64_t)J->gc->mr);
    if (pool && tiles > 1)
        et_threadpool_parallel_for_chunked(pool, tiles, 1, task, J);
    else
        task(J, 0, tiles);
}

/* Saliency of every weight of the block at its start: (current value * R_jj)^2. */
static void saliencies(const obq_job *J, float *sal) {
    for (int64_t r = 0; r < J->rows; r++) {
        float *out = sal + r * J->nb;
        current_values(J, J->w + r * J->d, J->acc + r * J->nb, 0, J->nb, out);
        for (int64_t jj = 0; jj < J->nb; jj++) {
            float v = out[jj] * (float)J->r[(J->i1 + jj) * J->ldr + J->i1 + jj];
            out[jj] = v * v;
        }
    }
}

/* ADAPTIVE: marks the `count` weights of lowest saliency in the block (ties: lower row, then column, stay
 * unmasked last). sal is scratch of rows * nb floats. */
static void adaptive_mask(obq_job *J, int64_t count, float *sal) {
    int64_t n = J->rows * J->nb;
    memset(J->mask, 0, (size_t)n);
    if (count <= 0)
        return;
    if (count > n)
        count = n;
    saliencies(J, sal);
    float *tmp = malloc((size_t)n * sizeof *tmp);
    float thr;
    if (tmp) {
        memcpy(tmp, sal, (size_t)n * sizeof *tmp);
        thr = et_select_kth(tmp, n, count - 1);
        free(tmp);
    } else { /* no memory for the copy: select in place (sal is rebuilt below) */
        thr = et_select_kth(sal, n, count - 1);
        saliencies(J, sal);
    }
    int64_t done = 0;
    for (int64_t i = 0; i < n; i++)
        if (sal[i] < thr) {
            J->mask[i] = 1;
            done++;
        }
    for (int64_t i = 0; i < n && done < count; i++)
        if (sal[i] == thr) {
            J->mask[i] = 1;
            done++;
        }
}

et_status et_obq_run(float *w, int64_t rows, int64_t d, const double *r, int64_t ldr, const et_obq_config *cfg,
                     et_threadpool *pool, double *err_out, et_err *err) {
    if (err_out)
        *err_out = 0.0;
    if (rows <= 0 || d <= 0)
        return ET_OK;
    const et_f32_gemm_config *gc = et_f32_gemm_config_get();
    int64_t bs = cfg->block > 0 ? cfg->block : 128;
    if (cfg->mask == ET_OBQ_MASK_NM && (cfg->nm_m < 2 || cfg->nm_m > 16 || cfg->nm_n < 1 || cfg->nm_n >= cfg->nm_m))
        return et_fail(err, ET_E_USAGE, "N:M recovery needs 1 <= N < M <= 16");
    int64_t nb_max = bs + 16; /* N:M may stretch a block to its group boundary */
    nb_max = nb_max < d ? nb_max : d;
    float *dw = et_aligned_calloc((size_t)(rows * d) * sizeof *dw);
    float *acc = et_aligned_alloc((size_t)(rows * nb_max) * sizeof *acc);
    float *rblk = et_aligned_alloc((size_t)(nb_max * nb_max) * sizeof *rblk);
    float *packed = et_aligned_alloc(et_tgemm_packed_floats(gc, (size_t)nb_max, (size_t)d) * sizeof *packed);
    uint8_t *mask = calloc((size_t)(rows * nb_max), 1);
    double *row_err = calloc((size_t)rows, sizeof *row_err);
    float *sal = cfg->mask == ET_OBQ_MASK_ADAPTIVE ? malloc((size_t)(rows * nb_max) * sizeof *sal) : NULL;
    et_status st = ET_OK;
    if (!dw || !acc || !rblk || !packed || !mask || !row_err || (cfg->mask == ET_OBQ_MASK_ADAPTIVE && !sal)) {
        st = et_fail(err, ET_E_NOMEM, "out of memory compensating a layer (%lld x %lld weights)", (long long)rows,
                     (long long)d);
        goto done;
    }
    for (int64_t i1 = 0; i1 < d;) {
        int64_t i2 = block_end(cfg, d, i1 + bs);
        int64_t nb = i2 - i1;
        if (nb > nb_max) { /* cannot happen with groups of at most 16 columns; stay safe */
            i2 = i1 + nb_max;
            nb = nb_max;
        }
        obq_job J = {.w = w,
                     .dw = dw,
                     .rows = rows,
                     .d = d,
                     .r = r,
                     .ldr = ldr,
                     .cfg = cfg,
                     .gc = gc,
                     .i1 = i1,
                     .i2 = i2,
                     .nb = nb,
                     .packed = NULL,
                     .rblk = rblk,
                     .acc = acc,
                     .mask = mask,
                     .row_err = row_err};
        for (int64_t a = 0; a < nb; a++)
            for (int64_t b = 0; b < nb; b++)
                rblk[a * nb + b] = b > a ? (float)r[(i1 + a) * ldr + i1 + b] : 0.0f;
        if (i1 > 0) {
            et_tgemm_pack_f64(gc, (size_t)nb, (size_t)i1, r + i1, (size_t)ldr, packed);
            J.packed = packed;
        }
        if (cfg->mask == ET_OBQ_MASK_FIXED) {
            for (int64_t rr = 0; rr < rows; rr++)
                for (int64_t jj = 0; jj < nb; jj++)
                    mask[rr * nb + jj] = cfg->fixed[rr * d + i1 + jj] != 0;
        } else if (cfg->mask != ET_OBQ_MASK_ADAPTIVE) {
            memset(mask, 0, (size_t)(rows * nb));
        }
        if (cfg->mask == ET_OBQ_MASK_ADAPTIVE) {
            /* this block's share of the count, by columns: cumulative, so the shares add up exactly */
            int64_t k1 = (int64_t)((double)cfg->prune_count * (double)i1 / (double)d + 1e-9);
            int64_t k2 = (int64_t)((double)cfg->prune_count * (double)i2 / (double)d + 1e-9);
            J.gemm = true, J.walk = false;
            run_tiles(pool, &J);
            adaptive_mask(&J, k2 - k1, sal);
            J.gemm = false, J.walk = true;
            run_tiles(pool, &J);
        } else {
            J.gemm = J.walk = true;
            run_tiles(pool, &J);
        }
        i1 = i2;
    }
    if (err_out) {
        double total = 0.0;
        for (int64_t rr = 0; rr < rows; rr++)
            total += row_err[rr];
        *err_out = total;
    }
done:
    et_aligned_free(dw);
    et_aligned_free(acc);
    et_aligned_free(rblk);
    et_aligned_free(packed);
    free(mask);
    free(row_err);
    free(sal);
    return st;
}

typedef struct err_job {
    const float *dw;
    int64_t rows, d, j0, j1, k; /* k: the product's depth (j1 for a triangular R, d for a full H) */
    bool quad;                  /* sum D_rj * (D H)_rj instead of (D R)_rj^2 */
    const float *packed;
    float *out;      /* rows x (j1 - j0) */
    double *row_sum; /* per row */
    const et_f32_gemm_config *gc;
} err_job;

static void err_task(void *ctx, size_t b, size_t e) {
    const err_job *J = ctx;
    int64_t r0 = (int64_t)b * (int64_t)J->gc->mr, r1 = (int64_t)e * (int64_t)J->gc->mr;
    r1 = r1 < J->rows ? r1 : J->rows;
    int64_t nb = J->j1 - J->j0;
    et_tgemm(J->gc, (size_t)(r1 - r0), (size_t)nb, (size_t)J->k, J->dw + r0 * J->d, (size_t)J->d, J->packed,
             J->out + r0 * nb, (size_t)nb);
    for (int64_t r = r0; r < r1; r++) {
        double s = 0.0;
        const float *o = J->out + r * nb, *dr = J->dw + r * J->d + J->j0;
        for (int64_t j = 0; j < nb; j++)
            s += (double)o[j] * (double)(J->quad ? dr[j] : o[j]);
        J->row_sum[r] += s;
    }
}

static double product_sum(const float *dw, int64_t rows, int64_t d, const double *m, int64_t ldm, bool quad,
                          et_threadpool *pool) {
    if (rows <= 0 || d <= 0)
        return 0.0;
    const et_f32_gemm_config *gc = et_f32_gemm_config_get();
    int64_t bs = 128 < d ? 128 : d;
    float *packed = et_aligned_alloc(et_tgemm_packed_floats(gc, (size_t)bs, (size_t)d) * sizeof *packed);
    float *out = et_aligned_alloc((size_t)(rows * bs) * sizeof *out);
    double *row_sum = calloc((size_t)rows, sizeof *row_sum);
    double total = -1.0;
    if (packed && out && row_sum) {
        for (int64_t j0 = 0; j0 < d; j0 += bs) {
            int64_t j1 = j0 + bs < d ? j0 + bs : d;
            int64_t k = quad ? d : j1; /* R is upper triangular: rows past j1 of its columns are zero */
            et_tgemm_pack_f64(gc, (size_t)(j1 - j0), (size_t)k, m + j0, (size_t)ldm, packed);
            err_job J = {.dw = dw,
                         .rows = rows,
                         .d = d,
                         .j0 = j0,
                         .j1 = j1,
                         .k = k,
                         .quad = quad,
                         .packed = packed,
                         .out = out,
                         .row_sum = row_sum,
                         .gc = gc};
            size_t tiles = (size_t)((rows + (int64_t)gc->mr - 1) / (int64_t)gc->mr);
            if (pool && tiles > 1)
                et_threadpool_parallel_for_chunked(pool, tiles, 1, err_task, &J);
            else
                err_task(&J, 0, tiles);
        }
        total = 0.0;
        for (int64_t rr = 0; rr < rows; rr++)
            total += row_sum[rr];
    }
    et_aligned_free(packed);
    et_aligned_free(out);
    free(row_sum);
    return total;
}

double et_obq_error(const float *dw, int64_t rows, int64_t d, const double *r, int64_t ldr, et_threadpool *pool) {
    return product_sum(dw, rows, d, r, ldr, false, pool);
}

double et_obq_quad(const float *dw, int64_t rows, int64_t d, const double *h, et_threadpool *pool) {
    return product_sum(dw, rows, d, h, d, true, pool);
}
