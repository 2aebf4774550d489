/* test_concat_inplace.c: a channel Concat whose inputs are all convolutions read by nothing else runs with no
 * copy (each convolution writes into the Concat's output, inplace.h), and gives the same result as the NCHW
 * reference plan; when one input is read elsewhere, appears twice, or is not a convolution, the Concat copies. */
#include <stdio.h>

#include "et_test.h"
#include "op_harness.h"

enum { C = 16, H = 14, W = 13, KA = 16 }; /* a: large enough for the Winograd path */

typedef enum { PLAIN, SHARED, TWICE, NOT_CONV } variant;

/* x -> conv a (3x3, pads 1: KA channels, run by Winograd), conv b (1x1 + Relu: 7), conv c (3x3: 4) ->
 * Concat(axis 1). SHARED: b is also a graph output; TWICE: Concat(a, b, c, a); NOT_CONV: c is a Relu of x. Runs
 * channels-last or the NCHW reference; returns the Concat output (malloc'd) and whether its step was in-place. */
static float *build_and_run(variant var, bool channels_last, bool *inplace, bool *winograd, int64_t *n_out) {
    oh_graph t = oh_new(13);
    static float x[C * H * W], wa[KA * C * 9], wb[7 * C], wc[4 * C * 9], ba[KA];
    oh_fill(x, C * H * W, 1), oh_fill(wa, KA * C * 9, 2), oh_fill(wb, 7 * C, 3), oh_fill(wc, 4 * C * 9, 4);
    oh_fill(ba, KA, 5);
    int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(1, C, H, W));
    int wav = oh_const(&t, "wa", ET_DT_F32, SHAPE(KA, C, 3, 3), wa), bav = oh_const(&t, "ba", ET_DT_F32, SHAPE(KA), ba);
    int wbv = oh_const(&t, "wb", ET_DT_F32, SHAPE(7, C, 1, 1), wb);
    int wcv = oh_const(&t, "wc", ET_DT_F32, SHAPE(4, C, 3, 3), wc);
    int a = oh_value(&t, "a"), b0 = oh_value(&t, "b0"), b = oh_value(&t, "b"), c = oh_value(&t, "c");
    int y = oh_value(&t, "y");
    int na = oh_node(&t, ET_OP_CONV, (int[]){xv, wav, bav}, 3, (int[]){a}, 1);
    et_node_set_attr_ints(t.g, na, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    oh_node(&t, ET_OP_CONV, (int[]){xv, wbv}, 2, (int[]){b0}, 1);
    oh_node(&t, ET_OP_RELU, (int[]){b0}, 1, (int[]){b}, 1);
    if (var == NOT_CONV) {
        oh_node(&t, ET_OP_RELU, (int[]){xv}, 1, (int[]){c}, 1);
    } else {
        int nc = oh_node(&t, ET_OP_CONV, (int[]){xv, wcv}, 2, (int[]){c}, 1);
        et_node_set_attr_ints(t.g, nc, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    }
    int ncat = var == TWICE ? oh_node(&t, ET_OP_CONCAT, (int[]){a, b, c, a}, 4, (int[]){y}, 1)
                            : oh_node(&t, ET_OP_CONCAT, (int[]){a, b, c}, 3, (int[]){y}, 1);
    et_node_set_attr_int(t.g, ncat, "axis", 1);
    oh_output(&t, y);
    if (var == SHARED)
        oh_output(&t, b);
    et_err err = {0};
    float *out = NULL;
    *inplace = *winograd = false;
    et_plan_options o = et_plan_options_default();
    o.channels_last = channels_last;
    et_plan *p = NULL;
    if (oh_infer(&t, &err) == ET_OK && et_plan_create(t.g, &o, &p, &err) == ET_OK) {
        memcpy(et_plan_input(p, 0)->data, x, sizeof x);
        if (et_plan_run(p, NULL, &err) == ET_OK) {
            const et_tensor *ot = et_plan_output(p, 0);
            *n_out = et_shape_numel(&ot->shape);
            out = malloc((size_t)*n_out * sizeof *out);
            memcpy(out, ot->data, (size_t)*n_out * sizeof *out);
            for (int i = 0; i < et_plan_get_stats(p).n_steps; i++) {
                et_step_info si;
                et_plan_step_info(p, i, &si);
                *inplace |= strcmp(si.op, "Concat") == 0 && strcmp(si.kernel, "in-place") == 0;
                *winograd |= strstr(si.kernel, "winograd") != NULL;
            }
        }
        et_plan_free(p);
    }
    if (!out)
        fprintf(stderr, "build_and_run: %s\n", err.msg);
    oh_free(&t);
    return out;
}

static void check(variant var, bool want_inplace) {
    bool inplace = false, ref_inplace = false, winograd = false, ref_winograd = false;
    int64_t n = 0, n_ref = 0;
    float *got = build_and_run(var, true, &inplace, &winograd, &n);
    float *ref = build_and_run(var, false, &ref_inplace, &ref_winograd, &n_ref);
    ET_REQUIRE(got && ref);
    ET_CHECK_INT(n, n_ref);
    ET_CHECK_INT(inplace, want_inplace);
    ET_CHECK(!ref_inplace);
    ET_CHECK(winograd); /* the strided output of every path: winograd (a), gemm (b), igemm (c) */
    ET_CHECK_MSG(oh_max_rel_err(got, ref, n) < 1e-5, "variant %d: max rel err %g", (int)var,
                 oh_max_rel_err(got, ref, n));
    free(got), free(ref);
}

static void test_convolutions_write_into_the_concat(void) { check(PLAIN, true); }
static void test_shared_input_copies(void) { check(SHARED, false); }
static void test_repeated_input_copies(void) { check(TWICE, false); }
static void test_non_convolution_input_copies(void) { check(NOT_CONV, false); }

int main(void) {
    ET_RUN(test_convolutions_write_into_the_concat);
    ET_RUN(test_shared_input_copies);
    ET_RUN(test_repeated_input_copies);
    ET_RUN(test_non_convolution_input_copies);
    return et_test_done();
}
