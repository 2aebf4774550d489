/* test_size_model.c: a configuration's weight bytes (search/size_model.h) on digits.onnx (conv1 -> relu -> pool ->
 * conv2 -> relu -> flatten -> gemm, every layer quantized): conv1 pruned to half its channels and conv2, its
 * reader, at 4 bits and half its channels. The search's old rule added each layer's bytes saved alone (the whole
 * model's difference from the base): conv1's point counts conv2's input channels at 8 bits and full width, conv2's
 * point counts its output half at full input width, so conv2's weights are saved 1.25 times over and the predicted
 * bytes come out far below what the configuration stores. The size model's bytes equal a real tune's (with other
 * calibration inputs: bytes do not depend on them), and its gains in a context add up exactly. */
#include <stdio.h>
#include <string.h>

#include "../tune/tune_test.h"
#include "record/layer_knobs.h"
#include "search/size_model.h"

typedef struct spec_ctx {
    const et_knobs *base;
    const char *names[3];
    const char *opt[3][3]; /* per layer, options 1 and 2 ("" none) */
} spec_ctx;

static et_status spec_knobs(void *ctx, const int *set, et_knobs *k, et_err *err) {
    const spec_ctx *c = ctx;
    *k = *c->base;
    for (int l = 0; l < 3; l++) {
        if (set[l] == 0)
            continue;
        char spec[256];
        snprintf(spec, sizeof spec, "%s:%s", c->names[l], c->opt[l][set[l]]);
        et_status rc = et_knobs_add_layer_spec(k, spec, err);
        if (rc != ET_OK)
            return rc;
    }
    return ET_OK;
}

static void test_neighbours(void) {
    et_model *m = tt_load("models/digits.onnx");
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    et_knobs base = et_knobs_default();
    base.weight_bits = 8, base.act_bits = 8, base.quantize_all = true, base.force_int8 = true;
    spec_ctx c = {.base = &base,
                  .opt = {{"", "prune=0.5,method=channel", ""},
                          {"", "bits=4,prune=0.5,method=channel", "bits=4"},
                          {"", "bits=4", ""}}};
    ET_REQUIRE(et_tune_weight_layer_names(g, c.names, 3) == 3);
    et_calib_set one = tt_calib(g, 1, true), four = tt_calib(g, 4, true);
    et_size_model sm;
    et_size_model_init(&sm, g, &one, spec_knobs, &c);
    et_err err = {0};
    int none[3] = {0, 0, 0}, a[3] = {1, 0, 0}, b[3] = {0, 1, 0}, both[3] = {1, 1, 0};
    int64_t B = 0, ba = 0, bb = 0, bab = 0;
    ET_REQUIRE(et_size_set_bytes(&sm, none, &B, &err) == ET_OK);
    ET_REQUIRE(et_size_set_bytes(&sm, a, &ba, &err) == ET_OK);
    ET_REQUIRE(et_size_set_bytes(&sm, b, &bb, &err) == ET_OK);
    ET_REQUIRE(et_size_set_bytes(&sm, both, &bab, &err) == ET_OK);
    ET_CHECK(ba < B && bb < B && bab < ba && bab < bb);

    /* the configuration measured as a search measures it (recovery changes values, not bytes): the same bytes */
    et_knobs k;
    ET_REQUIRE(spec_knobs(&c, both, &k, &err) == ET_OK);
    k.recover = ET_RECOVER_FULL;
    et_graph *tg = NULL;
    et_tune_report rep;
    ET_REQUIRE(et_tune_apply_ex(g, &k, &four, NULL, &tg, &rep, &err) == ET_OK);
    ET_CHECK_MSG(rep.weights_deploy_bytes == bab, "tune %" PRId64 ", size model %" PRId64, rep.weights_deploy_bytes,
                 bab);
    et_graph_free(tg);

    /* the old sum: each point's whole-model bytes saved alone, added: conv2's int8 weights
       are counted 1.25 times, so it predicts far fewer bytes than the model stores */
    int64_t old = B - ((B - ba) + (B - bb));
    int64_t w2 = 0; /* conv2's weight elements: the tensor the two points share */
    for (int n = 0, seen = 0; n < g->n_nodes && !w2; n++)
        if (strcmp(g->nodes[n].op_type, "Conv") == 0 && seen++ == 1)
            w2 = et_shape_numel(&g->values[g->nodes[n].inputs[1]].shape);
    ET_REQUIRE(w2 > 0);
    ET_CHECK_MSG(bab - old >= w2 / 4, "old sum %" PRId64 ", exact %" PRId64 ", conv2 %" PRId64 " weights", old, bab,
                 w2);

    /* gains in a context: conv1's gain with conv2 as picked plus conv2's saving alone is the pair's saving, and
       conv1's gain there is less than alone (conv2's input channels are 4-bit and half as many there) */
    int n_opt[3] = {2, 3, 2};
    double gain[9] = {0};
    ET_REQUIRE(et_size_gains(&sm, both, 3, n_opt, 3, true, gain, &err) == ET_OK);
    ET_CHECK(gain[0 * 3 + 0] == 0.0 && gain[1 * 3 + 0] == 0.0);
    ET_CHECK(gain[0 * 3 + 1] + (double)(B - bb) == (double)(B - bab));
    ET_CHECK(gain[1 * 3 + 1] + (double)(B - ba) == (double)(B - bab));
    ET_CHECK(gain[0 * 3 + 1] < (double)(B - ba));
    /* against the layer's own setting (the moves): its current option gains 0, going back to the base loses */
    ET_REQUIRE(et_size_gains(&sm, both, 3, n_opt, 3, false, gain, &err) == ET_OK);
    ET_CHECK(gain[0 * 3 + 1] == 0.0 && gain[0 * 3 + 0] < 0.0 && gain[1 * 3 + 1] == 0.0 && gain[1 * 3 + 2] < 0.0);
    ET_CHECK(gain[2 * 3 + 0] == 0.0 && gain[2 * 3 + 1] > 0.0); /* the gemm to 4 bits saves */

    /* bad knobs: the tune's error, bytes -1 */
    int badset[3] = {0, 0, 2};
    c.opt[2][2] = "bits=99";
    int64_t x = 0;
    ET_CHECK(et_size_set_bytes(&sm, badset, &x, &err) != ET_OK && x == -1);
    tt_calib_free(&one), tt_calib_free(&four);
    et_model_free(m);
}

int main(void) {
    ET_RUN(test_neighbours);
    return et_test_done();
}
