/* ab.c: the A/B verdict (the rule and its reasons are in ab.h). */
#include "stats/ab.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

et_ab_options et_ab_defaults(void) {
    return (et_ab_options){.alpha = ET_AB_ALPHA,
                           .min_effect = ET_AB_MIN_EFFECT,
                           .block_iters = ET_AB_BLOCK_ITERS,
                           .min_blocks = ET_AB_MIN_BLOCKS,
                           .max_blocks = ET_AB_MAX_BLOCKS,
                           .resamples = ET_AB_RESAMPLES,
                           .seed = ET_AB_SEED};
}

void et_ab_na(et_ab *out, const char *fmt, ...) {
    out->verdict = ET_AB_NA;
    out->p = out->ci_lo = out->ci_hi = NAN;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
}

static void judge(et_ab *out, const et_ab_options *o, double change_ratio) {
    bool big = fabs(log(change_ratio)) >= log1p(o->min_effect) - 1e-12;
    if (!(out->p < o->alpha))
        out->verdict = ET_AB_SAME;
    else if (!big)
        out->verdict = ET_AB_SMALL;
    else
        out->verdict = change_ratio > 1 ? ET_AB_BETTER : ET_AB_WORSE;
}

/* How many blocks a run of n iterations is cut into (the rule in ab.h). */
static int block_count(const et_ab_options *o, int n) {
    int per = o->block_iters > 0 ? o->block_iters : 1;
    int k = n / per;
    if (k < o->min_blocks)
        k = o->min_blocks < n ? o->min_blocks : n;
    if (o->max_blocks > 0 && k > o->max_blocks)
        k = o->max_blocks;
    return k < 1 ? 1 : k;
}

/* The rule for a metric where lower is better, on samples in time order (latency per iteration, energy per
 * interval); `what` names them in the reasons for n/a ("latency samples"), `unit` in "a ... is not above 0". */
static bool lower_is_better(const double *base_ms, int n_base, const double *run_ms, int n_run, const et_ab_options *o,
                            const char *what, const char *unit, et_ab *out) {
    memset(out, 0, sizeof *out);
    if (n_base < 1 || n_run < 1 || !base_ms || !run_ms) {
        et_ab_na(out, "%s has no stored %s", n_base < 1 || !base_ms ? "the baseline" : "the run", what);
        return false;
    }
    int big = n_base > n_run ? n_base : n_run;
    int blocks = block_count(o, big);
    size_t need = (size_t)big + 2u * (size_t)blocks + 2u * (size_t)(2 * blocks) + (size_t)o->resamples + 2u * blocks;
    double *mem = malloc(need * sizeof *mem);
    if (!mem) {
        et_ab_na(out, "out of memory for the test");
        return false;
    }
    double *scratch = mem, *mb = scratch + big, *mr = mb + blocks, *work = mr + blocks;
    int kb = et_stats_block_medians(base_ms, n_base, block_count(o, n_base), mb, scratch);
    int kr = et_stats_block_medians(run_ms, n_run, block_count(o, n_run), mr, scratch);
    out->n_base = kb, out->n_run = kr;
    /* the point estimate: the Hodges-Lehmann ratio, the median of base block / run block over all pairs. It is the
     * estimate that belongs to the Mann-Whitney test, and a mixture of quiet and contended blocks does not drag it
     * the way it drags a ratio of two p50s (pairs across the two phases fall on both sides of it) */
    double *pairs = malloc((size_t)kb * (size_t)kr * sizeof *pairs);
    if (!pairs) {
        free(mem);
        et_ab_na(out, "out of memory for the test");
        return false;
    }
    int np = 0;
    for (int i = 0; i < kb; i++)
        for (int j = 0; j < kr; j++)
            if (mb[i] > 0 && mr[j] > 0)
                pairs[np++] = mb[i] / mr[j];
    out->estimate = et_stats_median_inplace(pairs, np);
    free(pairs);
    if (!(out->estimate > 0)) {
        free(mem);
        et_ab_na(out, "a median of the %s is not above 0 %s", what, unit);
        return false;
    }
    et_mw_result mw;
    et_mann_whitney(mb, kb, mr, kr, work, &mw);
    out->p = mw.p;
    out->exact = mw.exact;
    et_rng rng;
    et_rng_seed(&rng, o->seed);
    if (!et_bootstrap_ratio_of_medians(mb, kb, mr, kr, o->resamples, 0.95, &rng, work, &out->ci_lo, &out->ci_hi))
        out->ci_lo = out->ci_hi = NAN;
    free(mem);
    judge(out, o, out->estimate);
    return true;
}

bool et_ab_latency(const double *base_ms, int n_base, const double *run_ms, int n_run, const et_ab_options *o,
                   et_ab *out) {
    return lower_is_better(base_ms, n_base, run_ms, n_run, o, "latency samples", "ms", out);
}

/* The percentile bootstrap interval over rounds of exp(Hodges-Lehmann(d)): resampled rounds into buf (n), their
 * Walsh averages into walsh (n (n + 1) / 2), the estimates into est (resamples). */
static void paired_interval(const double *d, int n, const et_ab_options *o, double *buf, double *walsh, double *est,
                            et_ab *out) {
    et_rng rng;
    et_rng_seed(&rng, o->seed);
    for (int b = 0; b < o->resamples; b++) {
        for (int i = 0; i < n; i++)
            buf[i] = d[et_rng_below(&rng, (uint64_t)n)];
        est[b] = et_stats_hodges_lehmann_1(buf, n, walsh);
    }
    qsort(est, (size_t)o->resamples, sizeof *est, cmp_double);
    out->ci_lo = exp(est[(int)floor(0.025 * (o->resamples - 1))]);
    out->ci_hi = exp(est[(int)ceil(0.975 * (o->resamples - 1))]);
}

bool et_ab_paired(const double *base_ms, const double *run_ms, int n_rounds, const et_ab_options *o, et_ab *out) {
    memset(out, 0, sizeof *out);
    int n = 0;
    for (int r = 0; base_ms && run_ms && r < n_rounds; r++)
        n += base_ms[r] > 0 && run_ms[r] > 0; /* false for NaN too */
    if (n < 2) {
        et_ab_na(out, "fewer than 2 rounds with both rows measured");
        return false;
    }
    size_t walsh = (size_t)n * (size_t)(n + 1) / 2, resamples = o->resamples > 0 ? (size_t)o->resamples : 0;
    double *mem = malloc((2u * (size_t)n + walsh + resamples) * sizeof *mem);
    if (!mem) {
        et_ab_na(out, "out of memory for the test");
        return false;
    }
    double *d = mem, *buf = d + n, *w = buf + n, *est = w + walsh;
    n = 0;
    for (int r = 0; r < n_rounds; r++)
        if (base_ms[r] > 0 && run_ms[r] > 0)
            d[n++] = log(base_ms[r] / run_ms[r]);
    out->n_base = out->n_run = n;
    out->estimate = exp(et_stats_hodges_lehmann_1(d, n, w));
    et_wsr_result wsr;
    et_wilcoxon_signed_rank(d, n, buf, &wsr);
    out->p = wsr.p;
    out->exact = wsr.exact;
    out->ci_lo = out->ci_hi = NAN;
    if (resamples > 0)
        paired_interval(d, n, o, buf, w, est, out);
    free(mem);
    judge(out, o, out->estimate);
    return true;
}

bool et_ab_energy(const double *base_mj, int n_base, const double *run_mj, int n_run, const et_ab_options *o,
                  et_ab *out) {
    /* each interval already averages the many iterations inside it: an interval is a block of its own */
    et_ab_options per_interval = *o;
    per_interval.block_iters = 1;
    return lower_is_better(base_mj, n_base, run_mj, n_run, &per_interval, "energy timeline", "mJ", out);
}

bool et_ab_accuracy(const uint8_t *base_ok, const uint8_t *run_ok, int n, const et_ab_options *o, et_ab *out) {
    memset(out, 0, sizeof *out);
    if (n < 1 || !base_ok || !run_ok) {
        et_ab_na(out, "no per-input correctness stored");
        return false;
    }
    int b = 0, c = 0, right_base = 0, right_run = 0;
    for (int i = 0; i < n; i++) {
        right_base += base_ok[i] != 0, right_run += run_ok[i] != 0;
        b += base_ok[i] && !run_ok[i];
        c += !base_ok[i] && run_ok[i];
    }
    out->lost = b, out->won = c;
    et_mcnemar_result m = et_mcnemar(b, c);
    out->n_base = out->n_run = n;
    out->exact = m.exact;
    out->p = m.p;
    out->estimate = 100.0 * (right_run - right_base) / n;
    /* a Wald interval of the paired difference of proportions, in pp */
    double d = (double)(c - b) / n, var = ((double)(b + c) / n - d * d) / n;
    double half = 1.959963984540054 * sqrt(var > 0 ? var : 0) * 100.0;
    out->ci_lo = out->estimate - half, out->ci_hi = out->estimate + half;
    if (!(out->p < o->alpha))
        out->verdict = ET_AB_SAME;
    else
        out->verdict = c > b ? ET_AB_BETTER : ET_AB_WORSE;
    return true;
}

const char *et_ab_mark(et_ab_verdict v) {
    switch (v) {
    case ET_AB_SAME: return "=";
    case ET_AB_SMALL: return "~";
    case ET_AB_BETTER: return "+";
    case ET_AB_WORSE: return "-";
    default: return "?";
    }
}

const char *et_ab_verdict_name(et_ab_verdict v) {
    switch (v) {
    case ET_AB_SAME: return "same";
    case ET_AB_SMALL: return "small";
    case ET_AB_BETTER: return "better";
    case ET_AB_WORSE: return "worse";
    default: return "n/a";
    }
}

static char *p_text(double p, char *buf, size_t len) {
    if (p < 0.001)
        snprintf(buf, len, "p <0.001");
    else
        snprintf(buf, len, "p %.*f", p < 0.01 ? 3 : 2, p);
    return buf;
}

char *et_ab_say(const et_ab *ab, const et_ab_options *o, bool points, const char *up_word, const char *down_word,
                char *buf, size_t len) {
    char pt[24], change[48];
    if (ab->verdict == ET_AB_NA) {
        snprintf(buf, len, "n/a: %s", ab->why);
        return buf;
    }
    p_text(ab->p, pt, sizeof pt);
    if (ab->verdict == ET_AB_SAME) {
        snprintf(buf, len, "= same, %s", pt);
        return buf;
    }
    if (points)
        snprintf(change, sizeof change, "%+.2f pp", ab->estimate);
    else {
        bool up = ab->estimate >= 1;
        snprintf(change, sizeof change, "%.2fx %s", up ? ab->estimate : 1.0 / ab->estimate,
                 (up ? up_word : down_word) ? (up ? up_word : down_word) : "");
    }
    if (ab->verdict == ET_AB_SMALL)
        snprintf(buf, len, "~ %s (< %.0f %% min effect), %s", change, o->min_effect * 100.0, pt);
    else
        snprintf(buf, len, "%s, %s", change, pt);
    return buf;
}

bool et_ab_median_interval(const double *ms, int n, const et_ab_options *o, double *median, double *lo, double *hi) {
    *median = *lo = *hi = NAN;
    if (n < 2 || !ms)
        return false;
    int k = block_count(o, n);
    double *mem = malloc(((size_t)n + 2u * (size_t)k + (size_t)o->resamples) * sizeof *mem);
    if (!mem)
        return false;
    double *scratch = mem, *blocks = mem + n, *buf = blocks + k, *meds = buf + k;
    k = et_stats_block_medians(ms, n, k, blocks, scratch);
    for (int i = 0; i < n; i++)
        scratch[i] = ms[i];
    *median = et_stats_median_inplace(scratch, n);
    et_rng rng;
    et_rng_seed(&rng, o->seed);
    int r = o->resamples > 0 ? o->resamples : 1;
    for (int b = 0; b < r; b++) {
        for (int i = 0; i < k; i++)
            buf[i] = blocks[et_rng_below(&rng, (uint64_t)k)];
        meds[b] = et_stats_median_inplace(buf, k);
    }
    /* the 2.5 % and 97.5 % order statistics of the resampled medians */
    qsort(meds, (size_t)r, sizeof *meds, cmp_double);
    *lo = meds[(int)floor(0.025 * (r - 1))];
    *hi = meds[(int)ceil(0.975 * (r - 1))];
    free(mem);
    return true;
}
