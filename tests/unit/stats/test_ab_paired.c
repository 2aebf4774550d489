/* test_ab_paired.c: the paired A/B rule for rows measured in rounds (src/stats/ab.h, et_ab_paired) and the
 * Wilcoxon signed-rank test under it, against a "slow spell": this VM runs the same work 1.6x slower for seconds
 * at a time. Two rows with identical timing distributions are simulated on one timeline of iterations; a spell
 * multiplies every iteration that falls inside it by 1.6.
 *  - Old blocking (one row's iterations, then the other's, the two-run rule et_ab_latency): a spell covering most
 *    of the first row's iterations makes identical work "significantly" different.
 *  - Rounds (row by row, ROUND_ITERS each, the paired rule on each round's median): the same spell covers both rows
 *    of the rounds it spans and leaves the verdict "same"; a true 10 % slowdown of one row is still found.
 * The data seeds are fixed (the test is reproducible); each case runs over PAIRS seeds so it does not hang on one
 * lucky draw. */
#include <math.h>
#include <stdint.h>

#include "et_test.h"
#include "stats/ab.h"
#include "stats/stats.h"

enum { ROUNDS = 20, ROUND_ITERS = 5, ROW_ITERS = ROUNDS * ROUND_ITERS, PAIRS = 20 };
#define SPELL 1.6
#define NOISE 0.04 /* log-normal spread of one iteration */

/* One iteration at time t (an iteration index on the shared timeline): 1 ms x factor x noise, x SPELL inside
 * [spell_from, spell_to). */
static double iteration_ms(et_rng *rng, int t, int spell_from, int spell_to, double factor) {
    double ms = factor * exp(NOISE * et_rng_normal(rng));
    return t >= spell_from && t < spell_to ? ms * SPELL : ms;
}

/* A spell of 80 % of one row's iterations, starting within the first 20 % of the timeline (so under old blocking
 * it covers most of the first row). */
static void draw_spell(et_rng *rng, int *from, int *to) {
    *from = (int)et_rng_below(rng, ROW_ITERS / 5);
    *to = *from + ROW_ITERS * 4 / 5;
}

/* Old blocking: row a's ROW_ITERS iterations, then row b's (b slower by factor_b). */
static void blocked(et_rng *rng, double factor_b, double *a, double *b) {
    int from, to;
    draw_spell(rng, &from, &to);
    for (int i = 0; i < ROW_ITERS; i++)
        a[i] = iteration_ms(rng, i, from, to, 1.0);
    for (int i = 0; i < ROW_ITERS; i++)
        b[i] = iteration_ms(rng, ROW_ITERS + i, from, to, factor_b);
}

/* Rounds: in round r, ROUND_ITERS of row a then ROUND_ITERS of row b; each round's median per row. */
static void rounds(et_rng *rng, double factor_b, double *a_round, double *b_round) {
    int from, to;
    draw_spell(rng, &from, &to);
    double it[ROUND_ITERS];
    for (int r = 0; r < ROUNDS; r++) {
        int t = r * 2 * ROUND_ITERS;
        for (int i = 0; i < ROUND_ITERS; i++)
            it[i] = iteration_ms(rng, t + i, from, to, 1.0);
        a_round[r] = et_stats_median_inplace(it, ROUND_ITERS);
        for (int i = 0; i < ROUND_ITERS; i++)
            it[i] = iteration_ms(rng, t + ROUND_ITERS + i, from, to, factor_b);
        b_round[r] = et_stats_median_inplace(it, ROUND_ITERS);
    }
}

static void test_spell_old_rule_fooled_paired_not(void) {
    et_ab_options o = et_ab_defaults();
    int old_called = 0, paired_called = 0, shift_found = 0;
    for (int k = 0; k < PAIRS; k++) {
        et_rng rng;
        et_rng_seed(&rng, 20261206u + (uint64_t)k);
        double a[ROW_ITERS], b[ROW_ITERS], ar[ROUNDS], br[ROUNDS];
        et_ab ab;
        blocked(&rng, 1.0, a, b);
        ET_REQUIRE(et_ab_latency(a, ROW_ITERS, b, ROW_ITERS, &o, &ab));
        old_called += ab.verdict == ET_AB_BETTER || ab.verdict == ET_AB_WORSE;
        rounds(&rng, 1.0, ar, br);
        ET_REQUIRE(et_ab_paired(ar, br, ROUNDS, &o, &ab));
        ET_CHECK_INT(ab.n_base, ROUNDS);
        paired_called += ab.verdict != ET_AB_SAME;
        rounds(&rng, 1.10, ar, br);
        ET_REQUIRE(et_ab_paired(ar, br, ROUNDS, &o, &ab));
        bool found = ab.verdict == ET_AB_WORSE && fabs(ab.estimate - 1 / 1.10) < 0.03;
        shift_found += found;
        if (!found)
            printf("seed %d: 10 %% shift: %s, estimate %.3f, p %.4f\n", k, et_ab_verdict_name(ab.verdict), ab.estimate,
                   ab.p);
        ET_CHECK(ab.ci_lo <= ab.estimate && ab.estimate <= ab.ci_hi && ab.ci_hi < 1.0);
    }
    printf("spell x%.1f over 80 %% of a row, %d seeds: old blocking called identical rows different %d times; "
           "%d rounds paired: %d times; a 10 %% slowdown found %d times\n",
           SPELL, PAIRS, old_called, ROUNDS, paired_called, shift_found);
    ET_CHECK_MSG(old_called >= PAIRS - 1, "old rule fooled only %d of %d times (the test's spell is too weak)",
                 old_called, PAIRS);
    ET_CHECK_MSG(paired_called <= 1, "paired rule called identical rows different %d of %d times", paired_called,
                 PAIRS);
    ET_CHECK_MSG(shift_found == PAIRS, "10 %% slowdown found %d of %d times", shift_found, PAIRS);
}

/* Reference values by counting: 6 positive distinct differences: W+ = 21, P[W+ >= 21] = 1/64, p = 2/64; one
 * negative at rank 2: W+ = 19, P[W+ >= 19] = 3/64 (the complements {}, {1}, {2}), p = 6/64. */
static void test_signed_rank_exact(void) {
    double scratch[64];
    et_wsr_result w;
    const double all_up[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    ET_REQUIRE(et_wilcoxon_signed_rank(all_up, 6, scratch, &w));
    ET_CHECK(w.exact);
    ET_CHECK_NEAR(w.w_plus, 21, 1e-12);
    ET_CHECK_NEAR(w.p, 2.0 / 64, 1e-12);
    const double one_down[] = {0.1, -0.2, 0.3, 0.4, 0.5, 0.6, 0};
    ET_REQUIRE(et_wilcoxon_signed_rank(one_down, 7, scratch, &w)); /* the zero is dropped */
    ET_CHECK_INT(w.n, 6);
    ET_CHECK_NEAR(w.w_plus, 19, 1e-12);
    ET_CHECK_NEAR(w.p, 6.0 / 64, 1e-12);
    /* 5 rounds can never reach p < 0.05: 2/32 */
    ET_REQUIRE(et_wilcoxon_signed_rank(all_up, 5, scratch, &w));
    ET_CHECK_NEAR(w.p, 2.0 / 32, 1e-12);
    const double zeros[] = {0, 0, 0};
    ET_REQUIRE(et_wilcoxon_signed_rank(zeros, 3, scratch, &w));
    ET_CHECK_NEAR(w.p, 1.0, 0);
    /* ties: the normal approximation; 60 positive differences, ranks tied in pairs */
    double tied[60];
    for (int i = 0; i < 60; i++)
        tied[i] = 0.01 * (1 + i / 2);
    ET_REQUIRE(et_wilcoxon_signed_rank(tied, 60, scratch, &w));
    ET_CHECK(!w.exact && w.ties && w.p < 1e-9);
    /* the one-sample Hodges-Lehmann estimate: Walsh averages of {0, 1, 2} are 0, .5, 1, 1, 1.5, 2 */
    const double three[] = {0, 1, 2};
    ET_CHECK_NEAR(et_stats_hodges_lehmann_1(three, 3, scratch), 1.0, 1e-12);
}

static void test_paired_edges(void) {
    et_ab_options o = et_ab_defaults();
    et_ab ab;
    const double base[] = {1.0, 1.0, NAN, 1.0}, run[] = {0.5, 0.0, 0.5, 0.5};
    ET_CHECK(!et_ab_paired(base, run, 2, &o, &ab) && ab.verdict == ET_AB_NA); /* round 1 has no run figure */
    ET_REQUIRE(et_ab_paired(base, run, 4, &o, &ab));                          /* rounds 0 and 3 usable */
    ET_CHECK_INT(ab.n_base, 2);
    ET_CHECK_NEAR(ab.estimate, 2.0, 1e-12);
    ET_CHECK(ab.verdict == ET_AB_SAME); /* 2 rounds: p 0.5 */
    /* 8 rounds, the run 2x faster in each: better, p 2/256 */
    double b8[8], r8[8];
    for (int i = 0; i < 8; i++)
        b8[i] = 1.0 + 0.01 * i, r8[i] = b8[i] / (2.0 + 0.001 * i);
    ET_REQUIRE(et_ab_paired(b8, r8, 8, &o, &ab));
    ET_CHECK(ab.verdict == ET_AB_BETTER && ab.exact);
    ET_CHECK_NEAR(ab.p, 2.0 / 256, 1e-12);
    ET_CHECK_NEAR(ab.estimate, 2.0035, 0.002);
    /* no interval without resamples (the speed guard's setting) */
    o.resamples = 0;
    ET_REQUIRE(et_ab_paired(b8, r8, 8, &o, &ab));
    ET_CHECK(isnan(ab.ci_lo) && isnan(ab.ci_hi) && ab.verdict == ET_AB_BETTER);
}

int main(void) {
    ET_RUN(test_signed_rank_exact);
    ET_RUN(test_paired_edges);
    ET_RUN(test_spell_old_rule_fooled_paired_not);
    return et_test_done();
}
