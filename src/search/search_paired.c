/* search_paired.c: alternating timing rounds over the search's deciding points (search_paired.h). */
#include "search/search_paired.h"

#include <math.h>
#include <stdlib.h>

et_status et_search_paired_rounds(int n, int n_rounds, et_search_paired_fn fn, void *ctx, double *ms, int *rounds_done,
                                  et_err *err) {
    *rounds_done = 0;
    if (n < 1 || n > ET_SEARCH_PAIRED_MAX_POINTS || n_rounds < 1 || n_rounds > ET_SEARCH_PAIRED_MAX_ROUNDS)
        return et_fail(err, ET_E_USAGE, "search: paired timing of %d points in %d rounds (1..%d points, 1..%d rounds)",
                       n, n_rounds, ET_SEARCH_PAIRED_MAX_POINTS, ET_SEARCH_PAIRED_MAX_ROUNDS);
    for (int i = 0; i < n * n_rounds; i++)
        ms[i] = NAN;
    for (int r = 0; r < n_rounds; r++) {
        for (int j = 0; j < n; j++) {
            int p = (r + j) % n;
            double v = NAN;
            et_status rc = fn(ctx, p, r, &v, err);
            if (rc != ET_OK) {
                for (int q = 0; q < n; q++) /* an unfinished round is not a pair */
                    ms[q * n_rounds + r] = NAN;
                return rc;
            }
            ms[p * n_rounds + r] = v;
        }
        *rounds_done = r + 1;
    }
    return ET_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double et_search_paired_median(const double *ms, int n_rounds) {
    double v[ET_SEARCH_PAIRED_MAX_ROUNDS];
    int k = 0;
    for (int r = 0; r < n_rounds && r < ET_SEARCH_PAIRED_MAX_ROUNDS; r++)
        if (!isnan(ms[r]))
            v[k++] = ms[r];
    if (k == 0)
        return NAN;
    qsort(v, (size_t)k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}
