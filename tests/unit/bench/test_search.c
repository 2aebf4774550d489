/* test_search.c: the search's pure parts: the multiple-choice knapsack (search/search_dp.h) against a table with a
 * known optimum and against brute force on seeded random tables, the moves from a start (signed costs) likewise,
 * and the held-out split of the evaluation set
 * (et_sens_quality: even positions one half, odd the other; accuracy with labels, top-1 agreement without). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/sensitivity.h"
#include "et_test.h"
#include "search/search_dp.h"

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

int main(void) {
    ET_RUN(test_known_optimum);
    ET_RUN(test_against_brute_force);
    ET_RUN(test_moves);
    ET_RUN(test_halves);
    return et_test_done();
}
