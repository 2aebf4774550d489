/* bootstrap.c: a percentile bootstrap confidence interval of a ratio of medians. Each resample draws both
 * samples again with replacement and takes their medians by selection (median.c), so the cost is resamples x
 * (na + nb), with no sort of the data. */
#include <math.h>
#include <stdlib.h>

#include "stats/stats.h"

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double resampled_median(const double *x, int n, et_rng *rng, double *buf) {
    for (int i = 0; i < n; i++)
        buf[i] = x[et_rng_below(rng, (uint64_t)n)];
    return et_stats_median_inplace(buf, n);
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
    double *buf = scratch, *ratios = scratch + na + nb;
    int kept = 0;
    for (int r = 0; r < resamples; r++) {
        double ma = resampled_median(a, na, rng, buf);
        double mb = resampled_median(b, nb, rng, buf + na);
        if (!(ma > 0) || !(mb > 0))
            return false;
        ratios[kept++] = ma / mb;
    }
    qsort(ratios, (size_t)kept, sizeof *ratios, cmp_double);
    *lo = quantile_sorted(ratios, kept, (1.0 - level) / 2.0);
    *hi = quantile_sorted(ratios, kept, (1.0 + level) / 2.0);
    return true;
}
