/* test_search_pred.c: the check of the search's latency predictions (search/search_pred.h). A slow spell of the
 * machine over a finalist's first timing made it read 1.30 ms where it runs 0.80: the fastest-of-rounds comparison
 * calls its prediction 38 % off; the paired one (the finalist and the base it is predicted from, timed in the same
 * alternating rounds) finds it exact. A finalist whose start was not timed in the paired rounds falls back to the
 * fastest of the rounds on both sides and says so; other points have no check. */
#include <math.h>
#include <string.h>

#include "et_test.h"
#include "search/search_pred.h"

enum { ROUNDS = 5 };

static void set_rounds(et_search_point *p, const double *ms) {
    for (int r = 0; r < ET_SEARCH_PAIRED_MAX_ROUNDS; r++)
        p->paired_ms[r] = r < ROUNDS ? ms[r] : NAN;
    p->paired_p50_ms = et_search_paired_median(p->paired_ms, ROUNDS);
}

/* base (index 0: the prediction's start, paired), a uniform point (no check), finalist A (slow spell in its first
 * timing, paired), finalist B (paired, predicted 20 % fast), finalist C (its start, the uniform point, not paired). */
static void make(et_search_result *res, et_search_point *pts) {
    memset(res, 0, sizeof *res);
    memset(pts, 0, 5 * sizeof *pts);
    res->pts = pts;
    res->n_pts = 5;
    for (int i = 0; i < 5; i++) {
        pts[i].measured = true;
        pts[i].pred_from = -1;
        pts[i].pred_p50_ms = pts[i].pred_saved_ms = pts[i].pred_paired_ms = pts[i].paired_p50_ms = NAN;
        for (int r = 0; r < ET_SEARCH_PAIRED_MAX_ROUNDS; r++)
            pts[i].paired_ms[r] = NAN;
    }
    pts[0].kind = ET_SP_BASE;
    pts[0].r.latency.p50_ms = 1.00;
    set_rounds(&pts[0], (const double[]){1.00, 1.50, 1.01, 0.99, 1.45}); /* slow spells in rounds 2 and 5 */
    pts[1].kind = ET_SP_UNIFORM;
    pts[1].r.latency.p50_ms = 0.90;
    for (int i = 2; i < 5; i++) {
        pts[i].kind = ET_SP_FINALIST;
        pts[i].pred_from = 0;
    }
    pts[2].r.latency.p50_ms = 1.30; /* both its rounds in a slow spell */
    pts[2].pred_saved_ms = 0.20;
    set_rounds(&pts[2], (const double[]){0.80, 1.20, 0.81, 0.79, 1.16});
    pts[3].r.latency.p50_ms = 0.50;
    pts[3].pred_saved_ms = 0.40; /* predicted 0.60, runs 0.50 */
    set_rounds(&pts[3], (const double[]){0.50, 0.75, 0.50, 0.49, 0.73});
    pts[4].r.latency.p50_ms = 0.85;
    pts[4].pred_from = 1;
    pts[4].pred_saved_ms = 0.05;
    set_rounds(&pts[4], (const double[]){0.85, 1.20, 0.86, 0.84, 1.20});
    for (int i = 2; i < 5; i++) /* what et_search_run sets: the start's fastest of the rounds minus the saving */
        pts[i].pred_p50_ms = pts[pts[i].pred_from].r.latency.p50_ms - pts[i].pred_saved_ms;
}

static void test_paired_against_rounds(void) {
    et_search_point pts[5];
    et_search_result res;
    make(&res, pts);
    et_search_pred_paired(&res);
    ET_CHECK_NEAR(pts[2].pred_paired_ms, 1.01 - 0.20, 1e-12); /* the base's paired median */
    ET_CHECK_NEAR(pts[3].pred_paired_ms, 1.01 - 0.40, 1e-12);
    ET_CHECK(isnan(pts[4].pred_paired_ms)); /* its start was not paired */
    et_search_pred_check c;
    ET_CHECK(!et_search_pred_latency(&res, 0, &c) && isnan(c.err_pct)); /* not a finalist */
    ET_CHECK(!et_search_pred_latency(&res, 1, &c));
    ET_CHECK(!et_search_pred_latency(&res, 7, &c));
    ET_REQUIRE(et_search_pred_latency(&res, 2, &c));
    ET_CHECK(c.paired);
    ET_CHECK_NEAR(c.meas_ms, 0.81, 1e-12);
    ET_CHECK_NEAR(c.pred_ms, 0.81, 1e-12);
    ET_CHECK(fabs(c.err_pct) < 1e-9); /* by the fastest of the rounds: (0.80 - 1.30) / 1.30 = -38 % */
    ET_REQUIRE(et_search_pred_latency(&res, 3, &c));
    ET_CHECK(c.paired);
    ET_CHECK_NEAR(c.err_pct, 100.0 * (0.61 - 0.50) / 0.50, 1e-9);
    ET_REQUIRE(et_search_pred_latency(&res, 4, &c));
    ET_CHECK(!c.paired);
    ET_CHECK_NEAR(c.meas_ms, 0.85, 1e-12);
    ET_CHECK_NEAR(c.err_pct, 0.0, 1e-9);

    et_search_pred_summary s = et_search_pred_summarize(&res, ET_SEARCH_PRED_TOL_PCT);
    ET_CHECK_INT(s.n_known, 3);
    ET_CHECK_INT(s.n_within, 2);
    ET_CHECK_INT(s.n_paired, 2);
    ET_CHECK_NEAR(s.max_abs, 22.0, 1e-9);
    char line[256];
    et_search_pred_say(&s, line, sizeof line);
    ET_CHECK(strstr(line, "within 10 % of measured: 2 of 3 finalists") != NULL);
    ET_CHECK(strstr(line, "the paired p50 for 2, the fastest of the rounds for 1") != NULL);

    /* without the paired timing every check is the fastest of the rounds: finalist A is 38 % off */
    for (int i = 0; i < 5; i++)
        pts[i].paired_p50_ms = NAN;
    et_search_pred_paired(&res);
    ET_REQUIRE(et_search_pred_latency(&res, 2, &c));
    ET_CHECK(!c.paired);
    ET_CHECK_NEAR(c.err_pct, 100.0 * (0.80 - 1.30) / 1.30, 1e-9);
    s = et_search_pred_summarize(&res, ET_SEARCH_PRED_TOL_PCT);
    ET_CHECK_INT(s.n_within, 1);
    ET_CHECK_INT(s.n_paired, 0);
    ET_CHECK(strstr(et_search_pred_say(&s, line, sizeof line), "not paired") != NULL);
}

static void test_nothing_to_check(void) {
    et_search_point pts[5];
    et_search_result res;
    make(&res, pts);
    res.n_pts = 2; /* no finalist */
    et_search_pred_summary s = et_search_pred_summarize(&res, ET_SEARCH_PRED_TOL_PCT);
    ET_CHECK_INT(s.n_known, 0);
    ET_CHECK(isnan(s.mean_abs));
    char line[256];
    ET_CHECK(strstr(et_search_pred_say(&s, line, sizeof line), "no latency prediction") != NULL);
    /* a finalist not measured (a --budget stop) has no check */
    make(&res, pts);
    pts[2].measured = false;
    et_search_pred_check c;
    ET_CHECK(!et_search_pred_latency(&res, 2, &c));
}

int main(void) {
    ET_RUN(test_paired_against_rounds);
    ET_RUN(test_nothing_to_check);
    return et_test_done();
}
