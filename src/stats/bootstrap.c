/* bootstrap.c: a percentile bootstrap confidence interval of a ratio of medians. Both samples are sorted once;
 * a resample is then only how many times each sorted value was drawn, and its median is found by walking those
 * counts, so the cost is resamples x (na + nb) draws and additions, with no sort or selection per resample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The median of a resample (with replacement) of sorted[0..n): counts[i] is how often sorted[i] was drawn; the
 * median is the value at rank n/2 (and the mean with rank n/2 - 1 for even n). counts holds n ints. */
static double resampled_median(const double *sorted, int n, et_rng *rng, int *counts) {
    memset(counts, 0, (size_t)n * sizeof *counts);
    for (int i = 0; i < n; i++)
        counts[et_rng_below(rng, (uint64_t)n)]++;
    int hi_rank = n / 2, lo_rank = n % 2 ? hi_rank : hi_rank - 1, seen = 0;
    double lo = NAN;
    for (int i = 0; i < n; i++) {
        seen += counts[i];
        if (isnan(lo) && seen > lo_rank)
            lo = sorted[i];
        if (seen > hi_rank)
            return 0.5 * (lo + sorted[i]);
    }
    return sorted[n - 1];
}

/* The q-quantile (0..1) of sorted v[0..n) by linear interpolation. */
static double quantile_sorted(const double *v, int n, double q) {
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1)
        return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

bool et_bootstrap_ratio_of_medians(const double *a, int na, const double *b, int nb, int resamples, double level,
                                   et_rng *rng, double *scratch, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (na < 1 || nb < 1 || resamples < 1)
        return false;
    double *sa = scratch, *sb = scratch + na, *ratios = scratch + na + nb;
    int *counts = malloc((size_t)(na > nb ? na : nb) * sizeof *counts);
    if (!counts)
        return false;
    for (int i = 0; i < na; i++)
        sa[i] = a[i];
    for (int i = 0; i < nb; i++)
        sb[i] = b[i];
    qsort(sa, (size_t)na, sizeof *sa, cmp_double);
    qsort(sb, (size_t)nb, sizeof *sb, cmp_double);
    int kept = 0;
    for (int r = 0; r < resamples; r++) {
        double ma = resampled_median(sa, na, rng, counts);
        double mb = resampled_median(sb, nb, rng, counts);
        if (!(ma > 0) || !(mb > 0)) {
            free(counts);
            return false;
        }
        ratios[kept++] = ma / mb;
    }
    free(counts);
    qsort(ratios, (size_t)kept, sizeof *ratios, cmp_double);
    *lo = quantile_sorted(ratios, kept, (1.0 - level) / 2.0);
    *hi = quantile_sorted(ratios, kept, (1.0 + level) / 2.0);
    return true;
}
