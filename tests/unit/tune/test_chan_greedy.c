/* test_chan_greedy.c: channel choice with cross terms (chan_greedy.h): the Gram matrix G against its definition,
 * and layers where ranking each channel by its own energy removes the wrong channels and the greedy (on the
 * output, or after the refit) the right ones. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "et_test.h"
#include "tune/chan_greedy.h"

/* H = X X^T over n samples of d features (x[s * d + i]). */
static void hessian(const double *x, int64_t n, int64_t d, double *h) {
    for (int64_t i = 0; i < d * d; i++)
        h[i] = 0.0;
    for (int64_t s = 0; s < n; s++)
        for (int64_t i = 0; i < d; i++)
            for (int64_t j = 0; j < d; j++)
                h[i * d + j] += x[s * d + i] * x[s * d + j];
}

/* G[c][e] = sum_o w_{o,c}^T H_ce w_{o,e}, two outputs, three channels of two kernel elements, written out. */
static void test_gram_matches_definition(void) {
    enum { NO = 2, NI = 3, KB = 2, D = NI * KB, NS = 7 };
    double x[NS * D], h[D * D], G[NI * NI];
    float w[NO * D];
    for (int i = 0; i < NS * D; i++)
        x[i] = sin(1.7 * i + 0.3);
    for (int i = 0; i < NO * D; i++)
        w[i] = (float)cos(0.9 * i) - 0.2f;
    hessian(x, NS, D, h);
    ET_REQUIRE(et_chan_gram(w, NO, D, 1, h, NI, KB, NULL, G));
    for (int c = 0; c < NI; c++)
        for (int e = 0; e < NI; e++) {
            double want = 0.0;
            for (int o = 0; o < NO; o++)
                for (int a = 0; a < KB; a++)
                    for (int b = 0; b < KB; b++)
                        want += w[o * D + c * KB + a] * h[(c * KB + a) * D + e * KB + b] * w[o * D + e * KB + b];
            ET_CHECK_NEAR(G[c * NI + e], want, 1e-9 * (1.0 + fabs(want)));
        }
}

/* Output error of removing the channels in `gone` without refit: sum over them of G. */
static double removal_error(const double *G, int n, const int *gone, int k) {
    double s = 0.0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            s += G[gone[i] * n + gone[j]];
    return s;
}

/* The two lowest-scored channels. */
static void lowest_two(const double *score, int n, int *out) {
    out[0] = out[1] = -1;
    for (int c = 0; c < n; c++) {
        if (out[0] < 0 || score[c] < score[out[0]])
            out[1] = out[0], out[0] = c;
        else if (out[1] < 0 || score[c] < score[out[1]])
            out[1] = c;
    }
}

/* Channels 0 and 1 carry the same signal with the same weight (0.3 each: own energy 0.09, together 0.36);
 * channel 2 an independent one (own energy 0.1225); channel 3 a strong one. Removing two: by own energy the two
 * copies go (error 0.36); the greedy removes one copy and channel 2 (error 0.2125), and recovery's refit can
 * then move the removed copy's weight onto the kept one. */
static void test_copies_not_removed_together(void) {
    enum { NI = 4, NS = 400 };
    double x[NS * NI], h[NI * NI], G[NI * NI], score[NI];
    for (int s = 0; s < NS; s++) { /* orthogonal +-1 patterns: a, a, b, c */
        double a = (s & 1) ? 1.0 : -1.0, b = (s & 2) ? 1.0 : -1.0, c = (s & 4) ? 1.0 : -1.0;
        x[s * NI + 0] = a, x[s * NI + 1] = a, x[s * NI + 2] = b, x[s * NI + 3] = c;
    }
    hessian(x, NS, NI, h);
    const float w[NI] = {0.3f, 0.3f, 0.35f, 2.0f};
    ET_REQUIRE(et_chan_gram(w, 1, NI, 1, h, NI, 1, NULL, G));
    ET_REQUIRE(et_chan_greedy_scores(G, NI, score));
    int pick[2], own[2];
    lowest_two(score, NI, pick);
    double diag[NI];
    for (int c = 0; c < NI; c++)
        diag[c] = G[c * NI + c];
    lowest_two(diag, NI, own);
    ET_CHECK((own[0] == 0 && own[1] == 1) || (own[0] == 1 && own[1] == 0)); /* the old ranking: both copies */
    ET_CHECK_MSG(pick[0] != 3 && pick[1] != 3 && (pick[0] == 2 || pick[1] == 2), "greedy removed %d and %d", pick[0],
                 pick[1]);
    ET_CHECK(removal_error(G, NI, pick, 2) < removal_error(G, NI, own, 2) - 0.1 * NS);
    for (int c = 0; c < NI; c++)
        ET_CHECK(score[c] >= 0.0);
}

/* Two channels whose contributions cancel (0.4 c and -0.45 c) look costly alone; after one goes, the other puts
 * most of it back: the greedy removes the pair's second one next, not the cheaper independent channel 0. The
 * scores also grow strictly along the removal order although the error falls at its second step. */
static void test_cancelling_pair(void) {
    enum { NI = 4, NS = 400 };
    double x[NS * NI], h[NI * NI], G[NI * NI], score[NI];
    for (int s = 0; s < NS; s++) {
        double b = (s & 1) ? 1.0 : -1.0, c = (s & 2) ? 1.0 : -1.0, d = (s & 4) ? 1.0 : -1.0;
        x[s * NI + 0] = b, x[s * NI + 1] = c, x[s * NI + 2] = c, x[s * NI + 3] = d;
    }
    hessian(x, NS, NI, h);
    const float w[NI] = {0.4359f, -0.45f, 0.4f, 2.0f};
    ET_REQUIRE(et_chan_gram(w, 1, NI, 1, h, NI, 1, NULL, G));
    ET_REQUIRE(et_chan_greedy_scores(G, NI, score));
    int pick[2];
    lowest_two(score, NI, pick);
    ET_CHECK_MSG((pick[0] == 2 && pick[1] == 1), "greedy removed %d then %d", pick[0], pick[1]);
    ET_CHECK(score[2] < score[1] && score[1] < score[0] && score[0] < score[3]);
}

/* Judged after the refit, a copy of a channel costs almost nothing (the other copy takes over its weight) although
 * its own energy is the largest: the refit greedy removes a copy first, the ranking by own energy the
 * independent channel 2, which nothing can replace. */
static void test_refit_removes_a_copy_first(void) {
    enum { NI = 4, NS = 400 };
    double x[NS * NI], h[NI * NI], score[NI];
    for (int s = 0; s < NS; s++) {
        double a = (s & 1) ? 1.0 : -1.0, b = (s & 2) ? 1.0 : -1.0, c = (s & 4) ? 1.0 : -1.0;
        x[s * NI + 0] = a, x[s * NI + 1] = a, x[s * NI + 2] = b, x[s * NI + 3] = c;
    }
    hessian(x, NS, NI, h);
    const float w[NI] = {1.0f, 1.0f, 0.5f, 2.0f};
    ET_REQUIRE(et_chan_refit_scores(w, 1, NI, 1, h, NI, 1, NULL, score));
    int pick[2];
    lowest_two(score, NI, pick);
    ET_CHECK_MSG(pick[0] == 0 || pick[0] == 1, "refit greedy removed %d first", pick[0]);
    ET_CHECK_MSG(pick[1] == 2, "refit greedy removed %d second", pick[1]);
    /* the copy's cost is the dampening's doing only: H = 400 on the diagonal, 1 % of it added */
    ET_CHECK(score[pick[0]] < 0.02 * NS);
}

/* Two channels, one output: removing channel c and refitting the other loses w_c^2 / (H^-1)_cc, written out
 * for the dampened 2 x 2 H. */
static void test_refit_cost_two_channels(void) {
    double h[4] = {4.0, 1.5, 1.5, 2.0}, score[2];
    const float w[2] = {0.3f, 1.0f};
    ET_REQUIRE(et_chan_refit_scores(w, 1, 2, 1, h, 2, 1, NULL, score));
    double damp = 0.01 * 3.0, a = 4.0 + damp, b = 2.0 + damp, det = a * b - 1.5 * 1.5;
    double cost0 = (double)w[0] * w[0] / (b / det), cost1 = (double)w[1] * w[1] / (a / det);
    ET_CHECK(cost0 < cost1 && score[0] < score[1]);
    ET_CHECK_NEAR(score[0], cost0, 1e-9);
}

/* Patterns a, a, b, c (orthogonal +-1): channels 0 and 1 are copies, read by two layers of one residual group
 * (the same channels must go from both). Reader A weighs copy 0 lightly, reader B copy 1: each reader's own greedy
 * removes its light copy first and then finds the other one expensive, so summing the two readers' own scores
 * (each normalised, as prune_channel.c sums independent scores) ranks both copies behind channel 2. Removed from
 * both readers together, either copy costs almost nothing (the other copy takes over its weight in both refits):
 * the joint greedy removes a copy first, at a sixth of channel 2's error. */
static void copies_hessian(double *h) {
    enum { NI = 4, NS = 400 };
    double x[NS * NI];
    for (int s = 0; s < NS; s++) {
        double a = (s & 1) ? 1.0 : -1.0, b = (s & 2) ? 1.0 : -1.0, c = (s & 4) ? 1.0 : -1.0;
        x[s * NI + 0] = a, x[s * NI + 1] = a, x[s * NI + 2] = b, x[s * NI + 3] = c;
    }
    hessian(x, NS, NI, h);
}

/* The refit error of removing channel c alone from a one-output reader, relative to its output energy:
 * w_c^2 / (H_damped^-1)_cc / (w^T H w), with the inverse's entry from the reader's own greedy state. */
static double relative_cost(const float *w, const double *h, int n, int c) {
    et_chan_reader r;
    if (!et_chan_reader_init(&r, w, 1, n, 1, h, n, 1, true, NULL))
        return NAN; /* fails the comparison that reads it */
    double cost = (double)w[c] * w[c] / r.hi[c * n + c] / r.energy;
    et_chan_reader_free(&r);
    return cost;
}

static void test_joint_choice_over_shared_channels(void) {
    enum { NI = 4 };
    double h[NI * NI], sa[NI], sb[NI], summed[NI], joint[NI];
    copies_hessian(h);
    const float wa[NI] = {0.1f, 2.0f, 0.5f, 3.0f}, wb[NI] = {2.0f, 0.1f, 0.5f, 3.0f};
    /* the choice summed once: each reader's own greedy, normalised, added */
    ET_REQUIRE(et_chan_refit_scores(wa, 1, NI, 1, h, NI, 1, NULL, sa));
    ET_REQUIRE(et_chan_refit_scores(wb, 1, NI, 1, h, NI, 1, NULL, sb));
    double ta = 0.0, tb = 0.0;
    for (int c = 0; c < NI; c++)
        ta += sa[c], tb += sb[c];
    for (int c = 0; c < NI; c++)
        summed[c] = sa[c] / ta + sb[c] / tb;
    int sum_pick = 0;
    for (int c = 1; c < NI; c++)
        sum_pick = summed[c] < summed[sum_pick] ? c : sum_pick;
    ET_CHECK_MSG(sum_pick == 2, "summed scores removed %d first", sum_pick); /* the wrong choice, as described */
    /* the joint greedy */
    et_chan_reader r[2];
    ET_REQUIRE(et_chan_reader_init(&r[0], wa, 1, NI, 1, h, NI, 1, true, NULL));
    ET_REQUIRE(et_chan_reader_init(&r[1], wb, 1, NI, 1, h, NI, 1, true, NULL));
    ET_REQUIRE(et_chan_joint_scores(r, 2, true, NULL, joint));
    et_chan_reader_free(&r[0]), et_chan_reader_free(&r[1]);
    int pick = 0;
    for (int c = 1; c < NI; c++)
        pick = joint[c] < joint[pick] ? c : pick;
    ET_CHECK_MSG(pick == 0 || pick == 1, "joint greedy removed %d first", pick);
    double err_pick = relative_cost(wa, h, NI, pick) + relative_cost(wb, h, NI, pick);
    double err_sum = relative_cost(wa, h, NI, sum_pick) + relative_cost(wb, h, NI, sum_pick);
    ET_CHECK_MSG(err_pick < 0.25 * err_sum, "joint choice loses %g, summed one %g", err_pick, err_sum);
    ET_CHECK_NEAR(joint[pick], err_pick, 1e-9);
    for (int c = 0; c < NI; c++)
        ET_CHECK(joint[c] >= 0.0 && (c == pick || joint[c] > joint[pick]));
}

/* The scores do not depend on the threads: a pool that splits every job gives the same bits as one thread
 * (refit greedy with 3x3 kernels, the output greedy's Gram matrix). */
static void test_threads_bit_identical(void) {
    enum { NO = 5, NI = 12, KB = 9, D = NI * KB, NS = 300 };
    double *x = malloc(sizeof(double) * NS * D), *h = malloc(sizeof(double) * D * D);
    double s1[NI], s2[NI], g1[NI * NI], g2[NI * NI];
    float w[NO * D];
    ET_REQUIRE(x && h);
    for (int i = 0; i < NS * D; i++)
        x[i] = sin(0.37 * i + 0.1) + 0.3 * cos(1.3 * (i % D));
    for (int i = 0; i < NO * D; i++)
        w[i] = (float)sin(2.1 * i) * 0.5f;
    hessian(x, NS, D, h);
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(3, &err);
    ET_REQUIRE(pool);
    et_threadpool_set_start_ns(pool, 0.0);
    ET_REQUIRE(et_chan_refit_scores(w, NO, D, 1, h, NI, KB, NULL, s1));
    ET_REQUIRE(et_chan_refit_scores(w, NO, D, 1, h, NI, KB, pool, s2));
    ET_CHECK(memcmp(s1, s2, sizeof s1) == 0);
    ET_REQUIRE(et_chan_gram(w, NO, D, 1, h, NI, KB, NULL, g1));
    ET_REQUIRE(et_chan_gram(w, NO, D, 1, h, NI, KB, pool, g2));
    ET_CHECK(memcmp(g1, g2, sizeof g1) == 0);
    et_threadpool_destroy(pool);
    free(x), free(h);
}

int main(void) {
    ET_RUN(test_joint_choice_over_shared_channels);
    ET_RUN(test_threads_bit_identical);
    ET_RUN(test_refit_removes_a_copy_first);
    ET_RUN(test_refit_cost_two_channels);
    ET_RUN(test_gram_matches_definition);
    ET_RUN(test_copies_not_removed_together);
    ET_RUN(test_cancelling_pair);
    return et_test_done();
}
