/* test_search.c: the search's pure parts: the multiple-choice knapsack (search/search_dp.h) against a table with a
 * known optimum and against brute force on seeded random tables, the moves from a start (signed costs) likewise,
 * the held-out split of the evaluation set (et_sens_quality: even positions one half, odd the other; accuracy with
 * labels, top-1 agreement without), the refitted drop model (search/drop_model.h: drops that do not add) and the
 * alternating rounds of the paired timing (search/search_paired.h) with a slow spell injected. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/sensitivity.h"
#include "et_test.h"
#include "search/drop_model.h"
#include "search/search.h"
#include "search/search_dp.h"
#include "search/search_paired.h"
#include "stats/ab.h"

/* 3 layers; option 0 is "unchanged". Within 1.0 pp: layer 0 option 2 (0.6 pp, 5) + layer 2 option 1 (0.4 pp,
 * 4) = 9, or layers 0 and 1 at option 1 (0.8 pp) + layer 2's free option = 9; best: layer 1 option 1 (0.5 pp, 6)
 * + layer 2 option 1 (0.4 pp, 4) = 10 at 0.9 pp. */
static void test_known_optimum(void) {
    et_search_option l0[] = {{0, 0}, {0.3, 2}, {0.6, 5}};
    et_search_option l1[] = {{0, 0}, {0.5, 6}, {1.1, 50} /* over the budget alone */};
    et_search_option l2[] = {{0, 0}, {0.4, 4}, {-0.2, 1} /* measured better: costs 0 */};
    const et_search_option *opt[] = {l0, l1, l2};
    int n_opt[] = {3, 3, 3}, pick[3];
    double gain = 0, cost = 0;
    et_err e = {0};
    ET_REQUIRE(et_search_dp(opt, n_opt, 3, 1.0, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK_NEAR(gain, 6 + 4, 1e-12);
    ET_CHECK_INT(pick[0], 0);
    ET_CHECK_INT(pick[1], 1);
    ET_CHECK_INT(pick[2], 1);
    ET_CHECK_NEAR(cost, 0.9, 1e-9);
    /* budget 0: only what costs nothing */
    ET_REQUIRE(et_search_dp(opt, n_opt, 3, 0.0, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK_NEAR(gain, 1, 1e-12);
    ET_CHECK(pick[0] == 0 && pick[1] == 0 && pick[2] == 2);
    /* budget 1.2: layer 1's 1.1 pp option (50) fits only alone, with the free one: 51 */
    ET_REQUIRE(et_search_dp(opt, n_opt, 3, 1.2, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK_NEAR(gain, 51, 1e-12);
    ET_CHECK(pick[1] == 2 && pick[0] == 0);
    /* a NaN option is never chosen; a negative gain is never worth it */
    et_search_option m0[] = {{0, 0}, {0.1, NAN}, {NAN, 100}, {0.0, -3}};
    const et_search_option *mo[] = {m0};
    int mn[] = {4};
    ET_REQUIRE(et_search_dp(mo, mn, 1, 5.0, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK_INT(pick[0], 0);
    ET_CHECK_NEAR(gain, 0, 1e-12);
    /* bad budgets */
    ET_CHECK(et_search_dp(opt, n_opt, 3, -1.0, 0.01, pick, &gain, &cost, &e) == ET_E_USAGE);
    ET_CHECK(et_search_dp(opt, n_opt, 3, 1.0, 0.0, pick, &gain, &cost, &e) == ET_E_USAGE);
}

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

/* Brute force over every combination: the largest gain whose rounded-up units fit the budget. */
static void test_against_brute_force(void) {
    uint32_t seed = 12345;
    for (int trial = 0; trial < 200; trial++) {
        enum { G = 5, O = 4 };
        et_search_option tab[G][O];
        const et_search_option *opt[G];
        int n_opt[G], pick[G];
        for (int g = 0; g < G; g++) {
            n_opt[g] = 1 + (int)(lcg(&seed) % O);
            tab[g][0] = (et_search_option){0, 0};
            for (int o = 1; o < O; o++)
                tab[g][o] = (et_search_option){(double)(lcg(&seed) % 120) / 100.0 - 0.1,
                                               (double)(lcg(&seed) % 1000) / 100.0 - 1.0};
            opt[g] = tab[g];
        }
        double budget = (double)(lcg(&seed) % 200) / 100.0, unit = 0.01;
        double best = -1e300;
        int idx[G] = {0};
        for (;;) {
            int units = 0;
            double gsum = 0;
            for (int g = 0; g < G; g++) {
                double c = tab[g][idx[g]].cost_pp;
                units += idx[g] && c > 0 ? (int)ceil(c / unit - 1e-9) : 0;
                gsum += idx[g] ? tab[g][idx[g]].gain : 0;
            }
            if (units <= (int)floor(budget / unit + 1e-9) && gsum > best)
                best = gsum;
            int g = 0;
            while (g < G && ++idx[g] >= n_opt[g])
                idx[g++] = 0;
            if (g == G)
                break;
        }
        double gain = 0, cost = 0;
        et_err e = {0};
        ET_REQUIRE(et_search_dp(opt, n_opt, G, budget, unit, pick, &gain, &cost, &e) == ET_OK);
        ET_CHECK_MSG(fabs(gain - best) < 1e-9, "trial %d: dp %g, brute force %g", trial, gain, best);
        double again = 0, c = 0;
        for (int g = 0; g < G; g++) {
            again += pick[g] ? tab[g][pick[g]].gain : 0;
            c += pick[g] && tab[g][pick[g]].cost_pp > 0 ? tab[g][pick[g]].cost_pp : 0;
        }
        ET_CHECK_MSG(fabs(again - gain) < 1e-9 && c <= budget + 1e-9, "trial %d: picks give %g at %g pp", trial, again,
                     c);
    }
}

/* Moves from a start (et_search_dp_moves): a hand-built case where only a move back pays for a move forward, one
 * where nothing fits, and brute force over seeded tables with signed costs (multiples of the unit). */
static void test_moves(void) {
    /* two layers at their start (option 1); layer 0 back to option 0 frees 0.5 pp (loses 1), layer 1 forward to
       option 2 costs 0.7 pp (gains 5): within 0.3 pp of room only both together fit */
    et_search_option a[] = {{-0.5, -1}, {0, 0}, {0.4, 0.5}};
    et_search_option b[] = {{-0.1, -3}, {0, 0}, {0.7, 5}};
    const et_search_option *opt[] = {a, b};
    int n_opt[] = {3, 3}, start[] = {1, 1}, pick[2];
    double gain = 0, cost = 0;
    et_err e = {0};
    ET_REQUIRE(et_search_dp_moves(opt, n_opt, start, 2, 0.3, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK(pick[0] == 0 && pick[1] == 2);
    ET_CHECK_NEAR(gain, 4, 1e-12);
    ET_CHECK_NEAR(cost, 0.2, 1e-9);
    /* no room (the start is 0.4 pp over): layer 0 must go back */
    ET_REQUIRE(et_search_dp_moves(opt, n_opt, start, 2, -0.4, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK(pick[0] == 0 && pick[1] == 1);
    ET_CHECK_NEAR(gain, -1, 1e-12);
    /* over by more than every move back frees: nothing fits, the cheapest options, gain -inf */
    ET_REQUIRE(et_search_dp_moves(opt, n_opt, start, 2, -1.0, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK(isinf(gain) && gain < 0 && pick[0] == 0 && pick[1] == 0);
    uint32_t seed = 777;
    for (int trial = 0; trial < 300; trial++) {
        enum { G = 5, O = 4 };
        et_search_option tab[G][O];
        const et_search_option *op[G];
        int no[G], st[G], pk[G];
        for (int g = 0; g < G; g++) {
            no[g] = 1 + (int)(lcg(&seed) % O);
            st[g] = (int)(lcg(&seed) % (uint32_t)no[g]);
            for (int o = 0; o < O; o++)
                tab[g][o] = (et_search_option){(double)((int)(lcg(&seed) % 160) - 60) / 100.0,
                                               (double)(lcg(&seed) % 1000) / 100.0 - 3.0};
            if (lcg(&seed) % 7 == 0 && no[g] > 1) /* an unmeasured option */
                tab[g][(st[g] + 1) % no[g]].gain = NAN;
            tab[g][st[g]] = (et_search_option){0, 0};
            op[g] = tab[g];
        }
        double budget = (double)((int)(lcg(&seed) % 200) - 50) / 100.0;
        double best = -INFINITY;
        int idx[G] = {0};
        for (;;) {
            double c = 0, gs = 0;
            bool valid = true;
            for (int g = 0; g < G; g++) {
                valid &= !isnan(tab[g][idx[g]].gain);
                c += tab[g][idx[g]].cost_pp, gs += tab[g][idx[g]].gain;
            }
            if (valid && c <= budget + 1e-9 && gs > best)
                best = gs;
            int g = 0;
            while (g < G && ++idx[g] >= no[g])
                idx[g++] = 0;
            if (g == G)
                break;
        }
        ET_REQUIRE(et_search_dp_moves(op, no, st, G, budget, 0.01, pk, &gain, &cost, &e) == ET_OK);
        if (isinf(best)) {
            ET_CHECK_MSG(isinf(gain), "trial %d: nothing fits, dp says %g", trial, gain);
            continue;
        }
        ET_CHECK_MSG(fabs(gain - best) < 1e-9, "trial %d: dp %g, brute force %g", trial, gain, best);
        double again = 0, c = 0;
        for (int g = 0; g < G; g++)
            again += tab[g][pk[g]].gain, c += tab[g][pk[g]].cost_pp;
        ET_CHECK_MSG(fabs(again - gain) < 1e-9 && c <= budget + 1e-9 && fabs(c - cost) < 1e-9,
                     "trial %d: picks give %g at %g pp (said %g)", trial, again, c, cost);
    }
}

/* The split: half 0 counts positions 0, 2, 4; half 1 positions 1, 3; -1 every input. */
static void test_halves(void) {
    et_output_fidelity of = {0};
    of.top1_agreement = 0.6;
    uint8_t correct[] = {1, 0, 1, 1, 0};
    int32_t top1[] = {3, 1, 2, 2, 0}, ref[] = {3, 0, 2, 1, 0};
    et_result r = {0};
    r.fidelity.status = ET_AVAIL_OK;
    r.fidelity.n_outputs = 1;
    r.fidelity.outputs = &of;
    r.fidelity.n_inputs = r.fidelity.n_per_input = 5;
    r.fidelity.accuracy = 0.6;
    r.fidelity.correct = correct;
    r.fidelity.top1 = top1;
    bool acc = false;
    ET_CHECK_NEAR(et_sens_quality(&r, -1, NULL, &acc), 0.6, 1e-12);
    ET_CHECK(acc);
    ET_CHECK_NEAR(et_sens_quality(&r, 0, NULL, &acc), 2.0 / 3.0, 1e-12);
    ET_CHECK_NEAR(et_sens_quality(&r, 1, NULL, &acc), 0.5, 1e-12);
    /* without labels: agreement with the reference's top-1 on each half */
    r.fidelity.correct = NULL;
    r.fidelity.accuracy = -1;
    ET_CHECK_NEAR(et_sens_quality(&r, -1, ref, &acc), 0.6, 1e-12);
    ET_CHECK(!acc);
    ET_CHECK_NEAR(et_sens_quality(&r, 0, ref, &acc), 1.0, 1e-12);
    ET_CHECK_NEAR(et_sens_quality(&r, 1, ref, &acc), 0.0, 1e-12);
    ET_CHECK(isnan(et_sens_quality(&r, 0, NULL, &acc))); /* no reference, no labels: unknown */
    r.fidelity.n_per_input = 0;                          /* no per-input record */
    ET_CHECK(isnan(et_sens_quality(&r, 1, ref, &acc)));
}

/* A thinned half (a search's screening, et_sens_config.eval_thin): r evaluated positions 0, 4, 8 of 10 (eval_first 0,
 * eval_step 4); its entry j is the input at position 4 j, compared with ref_top1 there. The odd half is unknown. */
static void test_thinned(void) {
    et_output_fidelity of = {0};
    int32_t top1[] = {3, 5, 7}, ref[] = {3, 9, 9, 9, 5, 9, 9, 9, 1, 9};
    et_result r = {0};
    r.fidelity.status = ET_AVAIL_OK;
    r.fidelity.n_outputs = 1;
    r.fidelity.outputs = &of;
    r.fidelity.n_inputs = r.fidelity.n_per_input = 3;
    r.fidelity.accuracy = -1;
    r.fidelity.top1 = top1;
    r.fidelity.eval_first = 0, r.fidelity.eval_step = 4;
    bool acc = true;
    ET_CHECK_NEAR(et_sens_quality(&r, 0, ref, &acc), 2.0 / 3.0, 1e-12); /* positions 0 and 4 agree, 8 does not */
    ET_CHECK(!acc);
    ET_CHECK(isnan(et_sens_quality(&r, 1, ref, &acc)));
    r.fidelity.eval_first = 1, r.fidelity.eval_step = 3; /* not a part of a half: unknown */
    ET_CHECK(isnan(et_sens_quality(&r, 1, ref, &acc)));
}

/* The bar on the search half (et_search_bar_pp): d + sqrt(2 x 100 d / n) = max; below max, growing with n. */
static void test_bar(void) {
    double b1000 = et_search_bar_pp(1.0, 1000), b256 = et_search_bar_pp(1.0, 256);
    ET_CHECK_NEAR(b1000 + sqrt(200.0 * b1000 / 1000.0), 1.0, 1e-9);
    ET_CHECK_NEAR(b1000, 0.642, 0.001);
    ET_CHECK_NEAR(b256, 0.424, 0.001);
    ET_CHECK(et_search_bar_pp(1.0, 100000) > 0.95 && et_search_bar_pp(1.0, 100000) < 1.0);
    ET_CHECK_NEAR(et_search_bar_pp(1.0, 0), 1.0, 1e-12);
    ET_CHECK_NEAR(et_search_bar_pp(0.0, 1000), 0.0, 1e-12);
}

/* Two layers each lose 0.3 pp alone; together they measured 1.2 pp, twice their sum. The refitted model must
 * predict the pair as measured (the additive sum says 0.6), and a knapsack with the refitted drops must no longer
 * take both within 1 pp. */
static void test_drop_model_pair(void) {
    et_drop_model m;
    et_drop_model_init(&m, 3.0);
    ET_CHECK_NEAR(et_drop_model_predict(&m, 0.6), 0.6, 1e-12); /* nothing measured: the sum */
    ET_CHECK(et_drop_model_add(&m, 0.6, 1.2));
    ET_CHECK_INT(m.n_obs, 1);
    ET_CHECK_NEAR(et_drop_model_predict(&m, 0.6), 1.2, 1e-12);
    ET_CHECK(fabs(et_drop_model_predict(&m, 0.6) - 0.6) > 0.5); /* not the additive sum */
    /* the knapsack as the search runs it: the layers' sums within budget / scale */
    et_search_option l0[] = {{0, 0}, {0.3, 5}}, l1[] = {{0, 0}, {0.3, 4}};
    const et_search_option *opt[] = {l0, l1};
    int n_opt[] = {2, 2}, pick[2];
    double gain = 0, cost = 0;
    et_err e = {0};
    ET_REQUIRE(et_search_dp(opt, n_opt, 2, 1.0, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK(pick[0] == 1 && pick[1] == 1); /* additive: 0.6 pp, both */
    ET_REQUIRE(et_search_dp(opt, n_opt, 2, 1.0 / m.scale, 0.01, pick, &gain, &cost, &e) == ET_OK);
    ET_CHECK(pick[0] + pick[1] == 1);                                        /* refitted: 1.2 pp for both, one only */
    ET_CHECK(et_drop_model_predict(&m, cost) <= 1.0 + 1e-9 && pick[0] == 1); /* the better one, within 1 pp */
    /* a second observation: the ratio of the sums, the bigger configuration weighing more */
    ET_CHECK(et_drop_model_add(&m, 1.4, 2.0));
    ET_CHECK_NEAR(m.scale, 3.2 / 2.0, 1e-12);
    ET_CHECK_NEAR(et_drop_model_predict(&m, 0.5), 0.8, 1e-12);
    /* no information: NaN, or a sum of 0 (the base) */
    ET_CHECK(!et_drop_model_add(&m, NAN, 1.0));
    ET_CHECK(!et_drop_model_add(&m, 0.5, NAN));
    ET_CHECK(!et_drop_model_add(&m, 0.0, 0.4));
    /* far beyond the budget (near chance accuracy, where drops saturate): left out */
    ET_CHECK(!et_drop_model_add(&m, 230.0, 79.7));
    ET_CHECK(!et_drop_model_add(&m, 2.0, 3.5));
    ET_CHECK_INT(m.n_obs, 2);
    ET_CHECK_NEAR(m.scale, 1.6, 1e-12);
    /* one wild observation is held within the limits */
    et_drop_model w;
    et_drop_model_init(&w, 0.0);
    ET_CHECK(et_drop_model_add(&w, 0.02, 3.0));
    ET_CHECK_NEAR(w.scale, ET_DROP_SCALE_MAX, 1e-12);
    et_drop_model_init(&w, 0.0);
    ET_CHECK(et_drop_model_add(&w, 1.0, -0.4)); /* measured better than the base */
    ET_CHECK_NEAR(w.scale, ET_DROP_SCALE_MIN, 1e-12);
}

/* A fake clock for the paired rounds: true times per point, a slow spell (x1.6) over rounds 2 and 3, and a record
 * of the order points were timed in. */
typedef struct fake_timer {
    double true_ms[3];
    int order[64], n_calls;
    int cancel_at; /* the call that returns ET_E_CANCELLED, -1 none */
} fake_timer;

static et_status fake_time(void *ctx, int point, int round, double *ms, et_err *err) {
    fake_timer *f = ctx;
    if (f->n_calls == f->cancel_at)
        return et_fail(err, ET_E_CANCELLED, "cancelled");
    f->order[f->n_calls++] = point;
    *ms = f->true_ms[point] * (round == 2 || round == 3 ? 1.6 : 1.0) * (1.0 + 0.001 * (round % 3));
    return ET_OK;
}

static void test_paired_rounds(void) {
    fake_timer f = {.true_ms = {1.0, 0.8, 0.9}, .cancel_at = -1};
    double ms[3 * 9];
    int done = 0;
    et_err e = {0};
    ET_REQUIRE(et_search_paired_rounds(3, 9, fake_time, &f, ms, &done, &e) == ET_OK);
    ET_CHECK_INT(done, 9);
    ET_CHECK_INT(f.n_calls, 27);
    /* alternating: every round times every point once, starting one further each round */
    for (int r = 0; r < 9; r++) {
        int seen[3] = {0, 0, 0};
        for (int j = 0; j < 3; j++)
            seen[f.order[3 * r + j]]++;
        ET_CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
        ET_CHECK_INT(f.order[3 * r], r % 3);
    }
    /* the spell slowed every point of rounds 2 and 3 alike: the medians are the true times, and the paired rule
       calls point 1 faster than point 0 by their true ratio */
    ET_CHECK_NEAR(et_search_paired_median(ms, 9), 1.0, 0.003);
    ET_CHECK_NEAR(et_search_paired_median(ms + 9, 9), 0.8, 0.003);
    et_ab ab;
    et_ab_options o = et_ab_defaults();
    ET_REQUIRE(et_ab_paired(ms, ms + 9, 9, &o, &ab));
    ET_CHECK_NEAR(ab.estimate, 1.25, 1e-6);
    ET_CHECK(ab.verdict == ET_AB_BETTER);
    /* point 2 against itself shifted by the spell: were its spell rounds compared with point 0's quiet ones
       (separate runs), 0.9 x 1.6 = 1.44 would read as 44 % slower; paired, it is 1.11x faster than point 0 */
    ET_REQUIRE(et_ab_paired(ms, ms + 18, 9, &o, &ab));
    ET_CHECK_NEAR(ab.estimate, 1.0 / 0.9, 1e-6);
    /* a stop inside round 4 keeps rounds 0-3; round 4 is NaN for every point (no half pairs) */
    fake_timer g = {.true_ms = {1.0, 0.8, 0.9}, .cancel_at = 13};
    ET_CHECK(et_search_paired_rounds(3, 9, fake_time, &g, ms, &done, &e) == ET_E_CANCELLED);
    ET_CHECK_INT(done, 4);
    for (int p = 0; p < 3; p++) {
        ET_CHECK(!isnan(ms[p * 9 + 3]));
        ET_CHECK(isnan(ms[p * 9 + 4]));
    }
    ET_CHECK(isnan(et_search_paired_median(ms + 18 + 4, 5)));
    ET_CHECK(et_search_paired_rounds(0, 9, fake_time, &g, ms, &done, &e) == ET_E_USAGE);
    ET_CHECK(et_search_paired_rounds(3, ET_SEARCH_PAIRED_MAX_ROUNDS + 1, fake_time, &g, ms, &done, &e) == ET_E_USAGE);
}

int main(void) {
    ET_RUN(test_known_optimum);
    ET_RUN(test_against_brute_force);
    ET_RUN(test_moves);
    ET_RUN(test_halves);
    ET_RUN(test_thinned);
    ET_RUN(test_bar);
    ET_RUN(test_drop_model_pair);
    ET_RUN(test_paired_rounds);
    return et_test_done();
}
