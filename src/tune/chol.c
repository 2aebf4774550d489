/* chol.c: H = R R^T with R upper triangular (chol.h), as a lower Cholesky factorisation of H reversed.
 *
 * Right-looking and blocked: for each panel of NB columns, the diagonal block is factored directly, the rows
 * below it are solved against it, and the trailing matrix loses the panel's outer product. The panel is kept
 * transposed (one row per panel column, the matrix rows along it) so that both the solve and the trailing update
 * are long multiply-adds over contiguous memory, written with fixed 8-wide inner loops that the compiler turns
 * into vector code. Rows of the solve and tiles of the trailing update are independent, so they run on the pool;
 * each element is computed in the same order whatever the thread count, so the result is reproducible. */
#include "tune/chol.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

enum { NB = 64, TR = 4, TC = 8 };

/* (i, j) -> (d-1-i, d-1-j): the flat array read backwards. */
static void reverse(double *a, int64_t d) {
    int64_t n = d * d;
    for (int64_t k = 0; k < n / 2; k++) {
        double t = a[k];
        a[k] = a[n - 1 - k];
        a[n - 1 - k] = t;
    }
}

/* y[0..n) += s * x[0..n) */
static void axpy(double *restrict y, const double *restrict x, double s, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++)
            y[i + q] += s * x[i + q];
    for (; i < n; i++)
        y[i] += s * x[i];
}

typedef struct panel_job {
    double *a;            /* the matrix (reversed), row-major d x d */
    int64_t d, k0, nb, m; /* panel columns [k0, k0+nb), rows [k0+nb, d): m of them */
    int64_t ld;           /* row length of pt: m rounded up to TC */
    double *pt;           /* the panel transposed: pt[j * ld + r] = a[(k0+nb+r) * d + k0+j] */
} panel_job;

/* Solves rows [b, e) of the panel against the factored diagonal block (forward substitution per column). */
static void solve_rows(void *ctx, size_t b, size_t e) {
    const panel_job *J = ctx;
    const double *a = J->a;
    for (int64_t j = 0; j < J->nb; j++) {
        double *row = J->pt + j * J->ld;
        const double *lj = a + (J->k0 + j) * J->d + J->k0;
        for (int64_t m = 0; m < j; m++)
            axpy(row + b, J->pt + m * J->ld + b, -lj[m], (int64_t)(e - b));
        double inv = 1.0 / lj[j];
        for (size_t r = b; r < e; r++)
            row[r] *= inv;
    }
}

/* Trailing update of row tiles [b, e): a[i][j] -= sum over the panel of L[i][m] L[j][m], for j <= i. */
static void update_tiles(void *ctx, size_t b, size_t e) {
    const panel_job *J = ctx;
    int64_t base = J->k0 + J->nb;
    for (size_t t = b; t < e; t++) {
        int64_t r0 = (int64_t)t * TR; /* first row of the tile, relative to base */
        for (int64_t c0 = 0; c0 <= r0 + TR - 1 && c0 < J->m; c0 += TC) {
            double acc[TR][TC];
            memset(acc, 0, sizeof acc);
            for (int64_t k = 0; k < J->nb; k++) {
                const double *p = J->pt + k * J->ld;
                double x[TR], y[TC];
                for (int r = 0; r < TR; r++)
                    x[r] = p[r0 + r];
                for (int q = 0; q < TC; q++)
                    y[q] = p[c0 + q];
                for (int r = 0; r < TR; r++)
                    for (int q = 0; q < TC; q++)
                        acc[r][q] += x[r] * y[q];
            }
            for (int r = 0; r < TR && r0 + r < J->m; r++) {
                double *row = J->a + (base + r0 + r) * J->d + base;
                for (int q = 0; q < TC && c0 + q <= r0 + r; q++)
                    row[c0 + q] -= acc[r][q];
            }
        }
    }
}

static void run(et_threadpool *pool, size_t n, size_t chunk, et_task_fn fn, void *ctx) {
    if (n == 0)
        return;
    if (pool && n > 1)
        et_threadpool_parallel_for_chunked(pool, n, chunk, fn, ctx);
    else
        fn(ctx, 0, n);
}

/* The factorisation writes the reversed matrix's lower triangle only; its upper triangle (a's lower one) still
 * holds the input, so a failed attempt is undone from it and the saved diagonal. */
static void restore(double *a, int64_t d, const double *diag) {
    reverse(a, d);
    for (int64_t i = 0; i < d; i++) {
        for (int64_t j = i + 1; j < d; j++)
            a[i * d + j] = a[j * d + i];
        a[i * d + i] = diag[i];
    }
}

bool et_chol_upper_rev(double *a, int64_t d, et_threadpool *pool) {
    if (d <= 0)
        return true;
    int64_t ld_max = ((d + TC - 1) / TC) * TC + TC;
    double *pt = et_aligned_calloc((size_t)(NB * ld_max) * sizeof *pt);
    double *diag = malloc((size_t)d * sizeof *diag);
    if (!pt || !diag) {
        et_aligned_free(pt);
        free(diag);
        return false;
    }
    for (int64_t i = 0; i < d; i++)
        diag[i] = a[i * d + i];
    reverse(a, d); /* the upper triangle is now the lower one */
    bool ok = true;
    for (int64_t k0 = 0; k0 < d && ok; k0 += NB) {
        int64_t nb = d - k0 < NB ? d - k0 : NB;
        /* the diagonal block, directly (left-looking inside the block) */
        for (int64_t j = k0; j < k0 + nb && ok; j++) {
            double *rj = a + j * d;
            double s = rj[j];
            for (int64_t m = k0; m < j; m++)
                s -= rj[m] * rj[m];
            if (!(s > 0.0) || !isfinite(s)) {
                ok = false;
                break;
            }
            rj[j] = sqrt(s);
            for (int64_t i = j + 1; i < k0 + nb; i++) {
                double *ri = a + i * d;
                double t = ri[j];
                for (int64_t m = k0; m < j; m++)
                    t -= ri[m] * rj[m];
                ri[j] = t / rj[j];
            }
        }
        int64_t m = d - k0 - nb;
        if (!ok || m == 0)
            continue;
        panel_job J = {.a = a, .d = d, .k0 = k0, .nb = nb, .m = m, .ld = ((m + TC - 1) / TC) * TC + TC, .pt = pt};
        for (int64_t j = 0; j < nb; j++) { /* transpose the panel in, padding with zeros */
            double *row = pt + j * J.ld;
            for (int64_t r = 0; r < m; r++)
                row[r] = a[(k0 + nb + r) * d + k0 + j];
            for (int64_t r = m; r < J.ld; r++)
                row[r] = 0.0;
        }
        run(pool, (size_t)m, 256, solve_rows, &J);
        for (int64_t j = 0; j < nb; j++) { /* and back: the panel of L */
            const double *row = pt + j * J.ld;
            for (int64_t r = 0; r < m; r++)
                a[(k0 + nb + r) * d + k0 + j] = row[r];
        }
        run(pool, (size_t)((m + TR - 1) / TR), 4, update_tiles, &J);
    }
    et_aligned_free(pt);
    if (!ok) {
        restore(a, d, diag);
        free(diag);
        return false;
    }
    free(diag);
    for (int64_t i = 0; i < d; i++) /* clear the (stale) upper triangle, then reverse into R */
        for (int64_t j = i + 1; j < d; j++)
            a[i * d + j] = 0.0;
    reverse(a, d);
    return true;
}
