/* test_ab_simulated.c: the false-positive rate and the power of the latency A/B rule (src/stats/ab.h) on timings
 * simulated from a recorded distribution: fixtures/timings/mobilenetv2_small.latency.txt, 8 runs x 500 iterations
 * of the MobileNetV2 fixture measured on the shared development VM (its fast and its contended phases both).
 *
 * A simulated run of 2000 iterations (0.8 s of this model) is 80 stretches of 25 consecutive recorded iterations, each block starting at a
 * random place of a random recorded run: it keeps the recorded autocorrelation inside a block and the recorded
 * mix of quiet and contended phases across blocks. A pair of the same configuration is two such runs; the
 * injected 5 % slowdown (the test hook inject_slowdown) multiplies every latency of the second run by 1.05.
 * The data seed is fixed (DATA_SEED), so the test is reproducible; the timings themselves are the recorded ones.
 *
 * What must hold (the acceptance of the A/B rule): of 20 same-configuration pairs at most 1 is called a change,
 * and of 20 pairs with the 5 % slowdown at least 19 are called slower. A second seed repeats it, so the result
 * does not hang on one lucky draw. */
#include <stdint.h>

#include "et_test.h"
#include "stats/ab.h"
#include "stats/stats.h"

enum { RUNS = 8, PER_RUN = 500, SIM_ITERS = 2000, BLOCK = 25, PAIRS = 20 };

static double recorded[RUNS][PER_RUN];

static bool load_recorded(void) {
    char path[1024];
    const char *src = getenv("ET_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/fixtures/timings/mobilenetv2_small.latency.txt", src ? src : ET_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return false;
    }
    char line[16384];
    int run = 0;
    while (run < RUNS && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *p = line;
        for (int i = 0; i < PER_RUN; i++) {
            char *end;
            double us = strtod(p, &end);
            if (end == p) {
                fclose(f);
                return false;
            }
            recorded[run][i] = us / 1000.0;
            p = end;
        }
        run++;
    }
    fclose(f);
    return run == RUNS;
}

static void simulate_run(et_rng *rng, double *out) {
    for (int b = 0; b < SIM_ITERS / BLOCK; b++) {
        int run = (int)et_rng_below(rng, RUNS), at = (int)et_rng_below(rng, PER_RUN - BLOCK + 1);
        for (int i = 0; i < BLOCK; i++)
            out[b * BLOCK + i] = recorded[run][at + i];
    }
}

/* The test hook: a slowdown of `factor` on every iteration of a simulated run. */
static void inject_slowdown(double *ms, int n, double factor) {
    for (int i = 0; i < n; i++)
        ms[i] *= factor;
}

static void count_flags(uint64_t seed, int iters, int *flagged_same, int *flagged_slow) {
    et_rng rng;
    et_rng_seed(&rng, seed);
    et_ab_options o = et_ab_defaults();
    static double a[SIM_ITERS], b[SIM_ITERS];
    *flagged_same = *flagged_slow = 0;
    for (int k = 0; k < PAIRS; k++) {
        et_ab ab;
        simulate_run(&rng, a);
        simulate_run(&rng, b);
        ET_REQUIRE(et_ab_latency(a, iters, b, iters, &o, &ab));
        *flagged_same += ab.verdict == ET_AB_BETTER || ab.verdict == ET_AB_WORSE;
        simulate_run(&rng, a);
        simulate_run(&rng, b);
        inject_slowdown(b, iters, 1.05);
        ET_REQUIRE(et_ab_latency(a, iters, b, iters, &o, &ab));
        *flagged_slow += ab.verdict == ET_AB_WORSE;
    }
}

static void test_false_positives_and_power(void) {
    ET_REQUIRE(load_recorded());
    static const uint64_t seeds[] = {20261206, 16};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        int same, slow;
        count_flags(seeds[s], SIM_ITERS, &same, &slow);
        printf(
            "runs of %d iterations, data seed %llu: %d of %d same-configuration pairs called a change, %d of %d 5 %% slowdowns "
            "called slower\n",
            SIM_ITERS, (unsigned long long)seeds[s], same, PAIRS, slow, PAIRS);
        ET_CHECK_MSG(same <= 1, "%d of %d same-configuration pairs flagged", same, PAIRS);
        ET_CHECK_MSG(slow >= 19, "only %d of %d 5 %% slowdowns flagged", slow, PAIRS);
    }
}

/* Shorter runs have less power: reported (the first 500 iterations of each simulated run), not asserted beyond
 * the false-positive bound, which holds at any length. */
static void test_short_runs_report(void) {
    ET_REQUIRE(load_recorded());
    int same, slow;
    count_flags(20261206, 500, &same, &slow);
    printf("runs of 500 iterations, data seed 20261206: %d of %d same-configuration pairs called a change, %d of %d "
           "5 %% slowdowns called slower\n",
           same, PAIRS, slow, PAIRS);
    ET_CHECK(same <= 1);
}

/* The same pairs judged per iteration (every sample its own block) show why blocks are the unit: raw samples of
 * one distribution with autocorrelation are called different far more often than alpha. Reported, and checked
 * only to be no better than the block rule. */
static void test_raw_samples_for_contrast(void) {
    ET_REQUIRE(load_recorded());
    et_rng rng;
    et_rng_seed(&rng, 20261206);
    et_ab_options o = et_ab_defaults();
    o.block_iters = 1; /* one iteration per block */
    o.max_blocks = SIM_ITERS;
    o.min_effect = 0;
    o.resamples = 200;
    static double a[SIM_ITERS], b[SIM_ITERS];
    int significant = 0;
    for (int k = 0; k < PAIRS; k++) {
        et_ab ab;
        simulate_run(&rng, a);
        simulate_run(&rng, b);
        ET_REQUIRE(et_ab_latency(a, SIM_ITERS, b, SIM_ITERS, &o, &ab));
        significant += ab.p < o.alpha;
    }
    printf("per-iteration Mann-Whitney, no min effect: %d of %d same-configuration pairs p < 0.05\n", significant,
           PAIRS);
    ET_CHECK(significant >= 1);
}

int main(void) {
    ET_RUN(test_false_positives_and_power);
    ET_RUN(test_short_runs_report);
    ET_RUN(test_raw_samples_for_contrast);
    return et_test_done();
}
