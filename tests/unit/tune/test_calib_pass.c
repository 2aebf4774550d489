/* test_calib_pass.c: min/max calibration in one pass (calibrate.c collect). On models whose plan fuses values a
 * weight layer reads or writes away (a residual sum), the sets run once through the graph that keeps them, plus a
 * look at the first set: n_sets + 1 plan runs, not 2 x n_sets; on a model with none, n_sets. The tuned model is the
 * same, bit for bit, as with the two passes (the test hook EDGETUNE_CALIB_TWO_PASS): same weights and constants,
 * same outputs on an input. */
#include <stdlib.h>
#include <string.h>

#include "tune_test.h"

static et_graph *derive(const et_graph *p, const et_calib_set *cal, int threads, bool two_pass, et_tune_report *rep) {
    if (two_pass)
        setenv("EDGETUNE_CALIB_TWO_PASS", "1", 1);
    else
        unsetenv("EDGETUNE_CALIB_TWO_PASS");
    et_knobs k = et_knobs_default();
    k.weight_bits = 8, k.act_bits = 8, k.force_int8 = true, k.threads = threads;
    et_graph *out = NULL;
    et_err err = {0};
    et_tune_options o = et_tune_options_default();
    o.speed_guard = false;
    if (et_tune_apply_ex(p, &k, cal, &o, &out, rep, &err) != ET_OK)
        fprintf(stderr, "tune: %s\n", err.msg);
    unsetenv("EDGETUNE_CALIB_TWO_PASS");
    return out;
}

/* fused: whether the model's plan fuses such values away (its calibration needed the second pass). */
static void check_model(const char *rel, bool fused, int threads) {
    et_model *m = tt_load(rel);
    ET_REQUIRE(m);
    enum { SETS = 3, MAXOUT = 4096 };
    et_calib_set cal = tt_calib(m->graph, SETS, false);
    et_tune_report r1, r2;
    et_graph *one = derive(m->graph, &cal, threads, false, &r1), *two = derive(m->graph, &cal, threads, true, &r2);
    ET_REQUIRE(one && two);
    ET_CHECK_MSG(r1.calib_runs == (fused ? SETS + 1 : SETS), "%s: %d runs", rel, r1.calib_runs);
    ET_CHECK_MSG(r2.calib_runs == (fused ? 2 * SETS : SETS), "%s: %d runs with two passes", rel, r2.calib_runs);
    ET_CHECK_MSG(tt_consts_hash(one) == tt_consts_hash(two), "%s: the tuned constants differ", rel);
    static float a[MAXOUT], b[MAXOUT];
    int64_t na = tt_run(one, cal.sets, false, threads, a, MAXOUT),
            nb = tt_run(two, cal.sets, false, threads, b, MAXOUT);
    ET_CHECK(na > 0 && na == nb && na <= MAXOUT);
    ET_CHECK_MSG(na > 0 && memcmp(a, b, (size_t)(na < MAXOUT ? na : MAXOUT) * sizeof *a) == 0, "%s: outputs differ",
                 rel);
    et_graph_free(one), et_graph_free(two);
    tt_calib_free(&cal);
    et_model_free(m);
}

static void test_one_pass(void) {
    check_model("models/fmnist_resnet.onnx", true, 1);
    check_model("models/mobilenetv2_small.onnx", true, 2);
    check_model("models/digits.onnx", false, 1);
}

int main(void) {
    ET_RUN(test_one_pass);
    return et_test_done();
}
