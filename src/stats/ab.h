/* ab.h: the verdict on one metric of two runs (A/B): is the difference real, and is it big enough to matter.
 * The rules are written here once; compare (db/compare.c), sweep, history, the workbench's baseline panel and the
 * int8 speed guard (src/tune/speed_guard.c) all show or use what they say.
 *
 * Latency. The unit of independence is a block of consecutive iterations, not an iteration: successive
 * iterations of one run are correlated (frequency, cache and scheduler state drift together), so a test on raw
 * per-iteration samples treats 10,000 samples as 10,000 independent observations and calls almost any two runs
 * different. Each run is split into blocks of ET_AB_BLOCK_ITERS (25) consecutive iterations, but into at least
 * ET_AB_MIN_BLOCKS (20) blocks (shorter ones for runs under 500 iterations; one iteration each under 20) and at most
 * ET_AB_MAX_BLOCKS (100: the cost of compare stays small), and each block is summarised by its median. More blocks, more power: the test's
 * resolution grows with the run's length, which is what `bench --until-stable` buys. Then:
 *  - p: two-sided Mann-Whitney U on the two sets of block medians (exact for up to 20 per side without ties);
 *  - the interval: a percentile bootstrap 95 % interval of median(base blocks) / median(run blocks), with
 *    ET_AB_RESAMPLES resamples from a splitmix64 stream seeded with ET_AB_SEED, so it is the same every time;
 *  - the point estimate: the Hodges-Lehmann ratio, the median of (baseline block / run block) over all pairs of
 *    blocks: the estimate that belongs to the Mann-Whitney test. It is not compare's speed-up (baseline p50 /
 *    run p50): when a run mixes quiet and contended phases (a shared machine), its p50 moves with the mix, while
 *    pairs across the two phases fall on both sides of the Hodges-Lehmann ratio and leave it where the shift is;
 *  - the verdict: "better"/"worse" when p < alpha (0.05) AND the point estimate is at least min_effect away from
 *    1 (default ET_AB_MIN_EFFECT, 3 %); "small" when p < alpha but the change is below min_effect; "same" when
 *    p >= alpha. The min-effect floor exists because on a shared or throttling machine two runs of the same
 *    configuration differ by more than their own noise says (drift between runs is not in either run's blocks).
 * Which latency rule. The rule above is for two SEPARATE runs (compare, history, the workbench's baseline panel):
 *    all it has is each run's samples in time order. Rows measured by one process (sweep's rows, the int8 speed
 *    guard's fp32 and int8 plans) are measured in ROUNDS instead and use the paired rule below: this VM runs the
 *    same work at two speeds for seconds at a time, and when such a spell covers one row's block of iterations
 *    more than the other's, the two-run rule calls identical work different (MobileNetV3-Small "1.15x faster,
 *    p 0.008" with every layer fp32 in both rows).
 * Paired rounds (et_ab_paired). A round measures every row once, one after the other (sweep: each row for --iters
 *    iterations after its warm-up; the guard: one inference of each plan), so a spell that covers a round covers
 *    every row of it, and one that starts or ends inside a round shows as one round's spread, not a shift. Each
 *    row's round is summarised by one figure (the median of its iterations); the pairs are rounds:
 *  - d_r = log(baseline_r / run_r), the round's log ratio (above 0: the run was faster in round r);
 *  - p: two-sided Wilcoxon signed-rank test that the d_r are symmetric about 0 (exact without ties for up to 50
 *    rounds). p is the chance of per-round ratios at least this one-sided if the two rows ran at the same speed;
 *    with n rounds the smallest p is 2 / 2^n, so fewer than 6 rounds can never be significant at 0.05;
 *  - the point estimate: exp of the Hodges-Lehmann estimate of the d_r (the median of their Walsh averages), the
 *    typical per-round ratio baseline / run, the estimate that belongs to the signed-rank test;
 *  - the interval: a percentile bootstrap 95 % interval of that estimate over rounds (rounds resampled with
 *    replacement, ET_AB_RESAMPLES, seeded with ET_AB_SEED); none when resamples is 0 (the guard: many layers);
 *  - the verdict: as above (alpha, min_effect).
 * Energy. The same rule on energy per inference per interval of the stored power timeline (stats.h,
 *    et_stats_energy_per_interval), each interval one block: a run stores one energy figure, but its timeline
 *    (tens to thousands of points) says how that energy varied while it ran.
 * Accuracy. McNemar's test on per-input correctness of the same evaluation set (same content hash and size), the
 *    point estimate the difference in percentage points; "better"/"worse" when p < alpha, else "same". Runs of
 *    different evaluation sets are not paired: the verdict is n/a and says so. */
#ifndef ET_STATS_AB_H
#define ET_STATS_AB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ET_AB_BLOCK_ITERS = 25, ET_AB_MIN_BLOCKS = 20, ET_AB_MAX_BLOCKS = 100, ET_AB_RESAMPLES = 2000 };
#define ET_AB_SEED 0x5EEDAB16ull
#define ET_AB_ALPHA 0.05
#define ET_AB_MIN_EFFECT 0.03

typedef enum {
    ET_AB_NA,     /* could not be judged (why says so) */
    ET_AB_SAME,   /* not significant at alpha */
    ET_AB_SMALL,  /* significant but below min_effect: not called a win or a loss */
    ET_AB_BETTER, /* significant, at least min_effect, in the better direction */
    ET_AB_WORSE,
} et_ab_verdict;

typedef struct et_ab_options {
    double alpha;      /* significance level, 0.05 */
    double min_effect; /* smallest relative change called a win or a loss (0.03 = 3 %) */
    int block_iters;   /* iterations per block (ET_AB_BLOCK_ITERS) ... */
    int min_blocks;    /* ... but at least this many blocks (one iteration each for shorter runs) ... */
    int max_blocks;    /* ... and at most this many (longer blocks for longer runs) */
    int resamples;
    uint64_t seed;
} et_ab_options;

typedef struct et_ab {
    et_ab_verdict verdict;
    double estimate;     /* latency: Hodges-Lehmann ratio baseline / run (above 1: faster; paired: the per-round
                            ratio); accuracy: run - baseline in pp */
    double ci_lo, ci_hi; /* 95 % interval of the estimate (NaN when none) */
    double p;            /* two-sided p-value (NaN when n/a) */
    int n_base, n_run;   /* units tested: blocks (latency), rounds (paired, both), paired inputs (accuracy, both) */
    bool exact;          /* exact test (Mann-Whitney or signed-rank exact distribution, McNemar binomial) */
    int lost, won;       /* accuracy: McNemar's discordant inputs, right in the baseline only / in the run only */
    char why[128];       /* ET_AB_NA: why ("fewer than 2 samples", "different evaluation sets") */
} et_ab;

et_ab_options et_ab_defaults(void);

/* Latency (lower is better) of run against base, from their raw per-iteration samples in time order. false with
 * out->verdict ET_AB_NA and out->why set when a run has no samples or memory ran out. */
bool et_ab_latency(const double *base_ms, int n_base, const double *run_ms, int n_run, const et_ab_options *o,
                   et_ab *out);

/* The paired rule (above) for rows measured in rounds, lower is better: base_ms[r] and run_ms[r] are the two rows'
 * figures of round r (the median of the round's iterations), r < n_rounds. A round where either is NaN or not
 * above 0 is left out. n_base and n_run are the rounds tested (equal). false with out->verdict ET_AB_NA and why
 * set when fewer than 2 rounds are usable or memory ran out. */
bool et_ab_paired(const double *base_ms, const double *run_ms, int n_rounds, const et_ab_options *o, et_ab *out);

/* Energy per inference (lower is better) of run against base, from their energy per power-timeline interval
 * (et_stats_energy_per_interval, in time order): the latency rule with each interval as one block (an interval
 * already averages the iterations in it; longer timelines are grouped into at most max_blocks). false with
 * ET_AB_NA and why set when a run has no timeline. */
bool et_ab_energy(const double *base_mj, int n_base, const double *run_mj, int n_run, const et_ab_options *o,
                  et_ab *out);

/* Accuracy of run against base on the same n inputs: correctness flags (1 right, 0 wrong) per input in the same
 * order. */
bool et_ab_accuracy(const uint8_t *base_ok, const uint8_t *run_ok, int n, const et_ab_options *o, et_ab *out);

/* The 95 % interval of a run's median latency for `bench --until-stable` and the workbench: a percentile bootstrap
 * (o->resamples, seeded with o->seed) of the median of the run's block medians (the blocks of the A/B rule
 * above). *median gets the p50 of all samples. false (NaNs) for n < 2 or when memory runs out. */
bool et_ab_median_interval(const double *ms, int n, const et_ab_options *o, double *median, double *lo, double *hi);

/* Marks out as n/a with a reason (printf-style). */
void et_ab_na(et_ab *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The verdict for people: "= same, p 0.41", "1.21x faster, p <0.001", "~ 1.02x faster (< 3 % min effect), p 0.01",
 * "+1.20 pp, p 0.003", "n/a: <why>". points: the estimate is a difference in pp (else a ratio with up_word for
 * above 1, down_word below). Returns buf. */
char *et_ab_say(const et_ab *ab, const et_ab_options *o, bool points, const char *up_word, const char *down_word,
                char *buf, size_t len);

/* A short marker for narrow cells: "=" same, "~" small, "+" better, "-" worse, "?" n/a. */
const char *et_ab_mark(et_ab_verdict v);
const char *et_ab_verdict_name(et_ab_verdict v); /* "same", "small", "better", "worse", "n/a" */

#endif
