/* stats.h: the statistics that say whether a difference between two runs is real: the Mann-Whitney U test, a
 * bootstrap confidence interval of a ratio of medians, the Wilcoxon signed-rank test and Hodges-Lehmann estimate
 * for paired rounds, McNemar's test for paired correctness, medians by selection, block medians, and the seeded
 * random numbers they use. Pure functions over arrays (no run record,
 * no allocation the caller must free); src/stats/ab.h combines them into the verdict the front ends show.
 *
 * The math, and the references the tests check it against (tests/unit/stats/, values from
 * tests/unit/stats/reference_values.py, which computes them independently with numpy and exact enumeration): */
#ifndef ET_STATS_STATS_H
#define ET_STATS_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* --- seeded random numbers (splitmix64): the same seed gives the same stream on every platform ------------- */
typedef struct et_rng {
    uint64_t state;
} et_rng;
void et_rng_seed(et_rng *r, uint64_t seed);
uint64_t et_rng_next(et_rng *r);
/* Uniform integer in [0, n) (n >= 1), without modulo bias. */
uint64_t et_rng_below(et_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double et_rng_uniform(et_rng *r);
/* Standard normal (Box-Muller). */
double et_rng_normal(et_rng *r);

/* --- medians ------------------------------------------------------------------------------------------------ */
/* The median of v[0..n) (the mean of the two middle values for even n), by selection: v is reordered in place.
 * NaN for n < 1. O(n) expected. */
double et_stats_median_inplace(double *v, int n);

/* Splits x[0..n) into k = min(n, max_blocks) contiguous blocks of (nearly) equal size, in order, and writes each
 * block's median to out[0..k). scratch must hold n doubles. Returns k (0 for n < 1). */
int et_stats_block_medians(const double *x, int n, int max_blocks, double *out, double *scratch);

/* --- Mann-Whitney U -------------------------------------------------------------------------------------------- */
typedef struct et_mw_result {
    double u_a; /* U of sample a: the number of pairs (a_i, b_j) with a_i > b_j, ties counting 1/2 */
    double z;   /* normal score with continuity correction (0 when exact or when there is no spread) */
    double p;   /* two-sided p-value */
    bool exact; /* p from the exact distribution of U (no ties, na and nb <= ET_MW_EXACT_MAX) */
    bool ties;  /* some values were equal (average ranks, tie-corrected variance) */
} et_mw_result;
enum { ET_MW_EXACT_MAX = 20 };

/* Two-sided Mann-Whitney U test of a[0..na) against b[0..nb). Exact p (the distribution of U by counting) when
 * there are no ties and both samples have at most ET_MW_EXACT_MAX values; otherwise the normal approximation with
 * the tie-corrected variance and a continuity correction of 1/2. scratch must hold 2 * (na + nb) doubles.
 * Returns false (and p = NaN) when na or nb is below 1. */
bool et_mann_whitney(const double *a, int na, const double *b, int nb, double *scratch, et_mw_result *out);

/* --- Wilcoxon signed-rank (paired) -------------------------------------------------------------------------- */
typedef struct et_wsr_result {
    double w_plus; /* sum of the ranks of |d| over the positive differences (average ranks for ties) */
    double z;      /* normal score with continuity correction (0 when exact or when there is no spread) */
    double p;      /* two-sided p-value */
    int n;         /* differences tested: the non-zero ones */
    bool exact;    /* p from the exact distribution of W+ (no ties, n <= ET_WSR_EXACT_MAX) */
    bool ties;
} et_wsr_result;
enum { ET_WSR_EXACT_MAX = 50 };

/* Two-sided Wilcoxon signed-rank test that the paired differences d[0..n) are symmetric about 0. Zeros (and NaNs)
 * are dropped; all zero gives p = 1. Exact p (counting sign assignments) without ties for up to ET_WSR_EXACT_MAX
 * differences, else the normal approximation with the tie-corrected variance and a continuity correction of 1/2.
 * With n non-zero differences the smallest exact p is 2 / 2^n: at least 6 are needed for p < 0.05. scratch must
 * hold n doubles. Returns false (p = NaN) when n is below 1. */
bool et_wilcoxon_signed_rank(const double *d, int n, double *scratch, et_wsr_result *out);

/* The one-sample Hodges-Lehmann estimate of d[0..n)'s centre: the median of the n (n + 1) / 2 Walsh averages
 * (d_i + d_j) / 2, i <= j, the estimate that belongs to the signed-rank test. scratch must hold n (n + 1) / 2
 * doubles. NaN for n < 1. */
double et_stats_hodges_lehmann_1(const double *d, int n, double *scratch);

/* --- bootstrap ----------------------------------------------------------------------------------------------- */
/* A percentile bootstrap interval at `level` (0.95) for median(a) / median(b): `resamples` times, draw na values
 * of a and nb of b with replacement (rng), take the ratio of their medians; the interval is the (1-level)/2 and
 * (1+level)/2 quantiles of those ratios. scratch must hold na + nb + resamples doubles. Cost: resamples * (na +
 * nb) (counts over the sorted samples). Returns false (lo = hi = NaN) when na or nb is below 1 or a median is not above 0. */
bool et_bootstrap_ratio_of_medians(const double *a, int na, const double *b, int nb, int resamples, double level,
                                   et_rng *rng, double *scratch, double *lo, double *hi);

/* --- McNemar ------------------------------------------------------------------------------------------------- */
typedef struct et_mcnemar_result {
    int b, c;    /* discordant pairs: right in the first only, right in the second only */
    double stat; /* chi-square with continuity correction, (|b - c| - 1)^2 / (b + c); 0 when exact */
    double p;    /* two-sided p-value (1 when b + c == 0) */
    bool exact;  /* binomial test (b + c < ET_MCNEMAR_EXACT_BELOW) */
} et_mcnemar_result;
enum { ET_MCNEMAR_EXACT_BELOW = 25 };

/* McNemar's test of b against c discordant pairs: the exact two-sided binomial test (p = min(1, 2 P[X <= min(b,
 * c)]), X ~ Bin(b + c, 1/2)) when b + c < ET_MCNEMAR_EXACT_BELOW, else chi-square with 1 degree of freedom and a
 * continuity correction. */
et_mcnemar_result et_mcnemar(int b, int c);

/* --- energy per inference ------------------------------------------------------------------------------------ */
/* Energy per inference in each interval of a power timeline, the samples energy's significance test runs on (one
 * energy figure per run cannot be tested; a timeline of them can). Interval k is (t[k-1], t[k]] (the first one
 * starts at 0), at the power p_mw[k] the timeline holds for it (an energy counter's average over the interval,
 * or a power sensor's reading at its end). The n_lat iterations (lat_ms, in time order) are laid back to back
 * over the timeline's span, scaled to fill it (the loop's overhead between iterations spread evenly), and each
 * iteration counts in an interval by the share of its span inside it; out_mj[j] = p_mw[k] x interval length /
 * inferences in it, in mJ. Intervals of zero length or with no inference are skipped. out_mj must hold n_p
 * values. Returns how many were written (0 when either series is empty or spans no time). */
int et_stats_energy_per_interval(const double *lat_ms, int n_lat, const int64_t *t_ns, const double *p_mw, int n_p,
                                 double *out_mj);

/* Upper tail of the standard normal, P[Z > z]. */
double et_stats_normal_sf(double z);

#endif
