/* mann_whitney.c: the two-sided Mann-Whitney U test (Wilcoxon rank-sum), with average ranks and the
 * tie-corrected variance for ties, the normal approximation with a continuity correction of 1/2 for large
 * samples, and the exact distribution of U for small samples without ties.
 *
 * Exact: the number of arrangements of m a's and n b's with U = u satisfies f(m, n, u) = f(m - 1, n, u - n) +
 * f(m, n - 1, u) (the largest value is an a, beating all n b's, or a b), counted in doubles (C(40, 20) ~ 1.4e11 is
 * exact in a double). Two-sided p = min(1, 2 min(P[U <= u], P[U >= u])). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

double et_stats_normal_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* P[U <= u] and P[U >= u] for sample sizes m, n (no ties), by counting; false when out of memory. */
static bool exact_tails(int m, int n, double u, double *le, double *ge) {
    int umax = m * n, w = umax + 1;
    /* f[j * w + v] for the current i: arrangements of i a's and j b's with U = v; rolled over i into g */
    double *f = calloc((size_t)(n + 1) * (size_t)w, sizeof *f), *g = calloc((size_t)(n + 1) * (size_t)w, sizeof *g);
    if (!f || !g) {
        free(f), free(g);
        return false;
    }
    for (int j = 0; j <= n; j++)
        f[j * w] = 1; /* i = 0: one arrangement, U = 0 */
    for (int i = 1; i <= m; i++) {
        g[0] = 1; /* j = 0: U = 0 */
        for (int j = 1; j <= n; j++)
            for (int v = 0; v <= umax; v++)
                g[j * w + v] = (v >= j ? f[j * w + v - j] : 0) + g[(j - 1) * w + v];
        double *t = f;
        f = g, g = t;
    }
    double total = 0, below = 0, above = 0;
    for (int v = 0; v <= umax; v++) {
        double cnt = f[n * w + v];
        total += cnt;
        if (v <= u + 1e-9)
            below += cnt;
        if (v >= u - 1e-9)
            above += cnt;
    }
    free(f), free(g);
    *le = below / total;
    *ge = above / total;
    return true;
}

bool et_mann_whitney(const double *a, int na, const double *b, int nb, double *scratch, et_mw_result *out) {
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (na < 1 || nb < 1)
        return false;
    int n = na + nb;
    /* scratch: pairs (value, 1 for a / 0 for b), sorted by value */
    double *pair = scratch;
    for (int i = 0; i < na; i++)
        pair[2 * i] = a[i], pair[2 * i + 1] = 1;
    for (int j = 0; j < nb; j++)
        pair[2 * (na + j)] = b[j], pair[2 * (na + j) + 1] = 0;
    qsort(pair, (size_t)n, 2 * sizeof(double), cmp_double);
    double rank_sum_a = 0, tie_term = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && pair[2 * (j + 1)] == pair[2 * i])
            j++;
        double avg_rank = 0.5 * (double)(i + j) + 1.0; /* ranks i+1 .. j+1 */
        double t = (double)(j - i + 1);
        if (t > 1)
            out->ties = true, tie_term += t * t * t - t;
        for (int k = i; k <= j; k++)
            if (pair[2 * k + 1] != 0)
                rank_sum_a += avg_rank;
        i = j + 1;
    }
    out->u_a = rank_sum_a - (double)na * (na + 1) / 2.0;
    double mu = (double)na * nb / 2.0;
    if (!out->ties && na <= ET_MW_EXACT_MAX && nb <= ET_MW_EXACT_MAX) {
        double le, ge;
        if (exact_tails(na, nb, out->u_a, &le, &ge)) {
            out->exact = true;
            out->p = fmin(1.0, 2.0 * fmin(le, ge));
            return true;
        } /* out of memory: the normal approximation below */
    }
    double var = (double)na * nb / 12.0 * ((n + 1) - tie_term / ((double)n * (n - 1)));
    if (!(var > 0)) { /* every value equal: no evidence of a difference */
        out->p = 1.0;
        return true;
    }
    double d = fabs(out->u_a - mu) - 0.5;
    out->z = d > 0 ? d / sqrt(var) : 0;
    if (out->u_a < mu)
        out->z = -out->z;
    out->p = fmin(1.0, 2.0 * et_stats_normal_sf(fabs(out->z)));
    return true;
}
