/* wilcoxon.c: the two-sided Wilcoxon signed-rank test of paired differences (the paired A/B rule's test, ab.h).
 * Zero differences are dropped (Wilcoxon's convention); ties among |d| get average ranks and the tie-corrected
 * variance. Exact: the number of sign assignments of ranks 1..n with W+ = w satisfies f(k, w) = f(k - 1, w) +
 * f(k - 1, w - k) (rank k is negative or positive), counted in doubles (2^50 ~ 1.1e15 is exact in a double). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

static int cmp_abs(const void *x, const void *y) {
    double a = fabs(*(const double *)x), b = fabs(*(const double *)y);
    return a < b ? -1 : a > b;
}

/* P[W+ <= w] and P[W+ >= w] for n ranks without ties; false when out of memory. */
static bool exact_tails(int n, double w, double *le, double *ge) {
    int wmax = n * (n + 1) / 2;
    double *f = calloc((size_t)wmax + 1, sizeof *f);
    if (!f)
        return false;
    f[0] = 1;
    for (int k = 1; k <= n; k++)
        for (int v = k * (k + 1) / 2; v >= k; v--) /* in place, high to low: f(k - 1, v - k) not yet updated */
            f[v] += f[v - k];
    double total = 0, below = 0, above = 0;
    for (int v = 0; v <= wmax; v++) {
        total += f[v];
        if (v <= w + 1e-9)
            below += f[v];
        if (v >= w - 1e-9)
            above += f[v];
    }
    free(f);
    *le = below / total;
    *ge = above / total;
    return true;
}

bool et_wilcoxon_signed_rank(const double *d, int n, double *scratch, et_wsr_result *out) {
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (n < 1 || !d)
        return false;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (d[i] != 0 && !isnan(d[i]))
            scratch[m++] = d[i];
    out->n = m;
    if (m == 0) { /* every difference zero: no evidence of a difference */
        out->p = 1.0;
        return true;
    }
    qsort(scratch, (size_t)m, sizeof *scratch, cmp_abs);
    double w_plus = 0, tie_term = 0;
    for (int i = 0; i < m;) {
        int j = i;
        while (j + 1 < m && fabs(scratch[j + 1]) == fabs(scratch[i]))
            j++;
        double avg_rank = 0.5 * (double)(i + j) + 1.0, t = (double)(j - i + 1);
        if (t > 1)
            out->ties = true, tie_term += t * t * t - t;
        for (int k = i; k <= j; k++)
            if (scratch[k] > 0)
                w_plus += avg_rank;
        i = j + 1;
    }
    out->w_plus = w_plus;
    if (!out->ties && m <= ET_WSR_EXACT_MAX) {
        double le, ge;
        if (exact_tails(m, w_plus, &le, &ge)) {
            out->exact = true;
            out->p = fmin(1.0, 2.0 * fmin(le, ge));
            return true;
        } /* out of memory: the normal approximation below */
    }
    double mu = (double)m * (m + 1) / 4.0;
    double var = (double)m * (m + 1) * (2.0 * m + 1) / 24.0 - tie_term / 48.0;
    if (!(var > 0)) {
        out->p = 1.0;
        return true;
    }
    double dev = fabs(w_plus - mu) - 0.5;
    out->z = dev > 0 ? dev / sqrt(var) : 0;
    if (w_plus < mu)
        out->z = -out->z;
    out->p = fmin(1.0, 2.0 * et_stats_normal_sf(fabs(out->z)));
    return true;
}

double et_stats_hodges_lehmann_1(const double *d, int n, double *scratch) {
    if (n < 1)
        return NAN;
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            scratch[k++] = 0.5 * (d[i] + d[j]);
    return et_stats_median_inplace(scratch, k);
}
