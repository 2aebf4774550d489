/* test_fuse_pad.c: Pad -> Conv folding gives the same output as running the Pad, and leaves non-zero or
 * non-constant pads alone. */
#include <stdio.h>

#include "et_test.h"
#include "model/passes.h"
#include "op_harness.h"

/* Builds x -> Pad(mode, value) -> Conv(3x3, pads 1) and returns the output after optional folding. */
static float *pad_conv(bool fold, const char *mode, float value, int *n_pads_left) {
    oh_graph t = oh_new(13);
    static float w[4 * 3 * 3 * 3], x[1 * 3 * 8 * 8];
    oh_fill(w, 4 * 27, 3);
    oh_fill(x, 3 * 64, 4);
    int64_t pads[8] = {0, 0, 1, 2, 0, 0, 2, 1};
    int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(1, 3, 8, 8));
    int pv = oh_const(&t, "pads", ET_DT_I64, SHAPE(8), pads);
    int cv = oh_const(&t, "value", ET_DT_F32, SCALAR_SHAPE, &value);
    int wv = oh_const(&t, "w", ET_DT_F32, SHAPE(4, 3, 3, 3), w);
    int padded = oh_value(&t, "padded"), y = oh_value(&t, "y");
    int pn = oh_node(&t, ET_OP_PAD, (int[]){xv, pv, cv}, 3, (int[]){padded}, 1);
    et_node_set_attr_string(t.g, pn, "mode", mode);
    int cn = oh_node(&t, ET_OP_CONV, (int[]){padded, wv}, 2, (int[]){y}, 1);
    et_node_set_attr_ints(t.g, cn, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    oh_output(&t, y);
    et_err err = {0};
    float *out = NULL;
    if (oh_infer(&t, &err) == ET_OK && (!fold || et_pass_fuse_pad(t.g, &err) == ET_OK)) {
        *n_pads_left = 0;
        for (int i = 0; i < t.g->n_nodes; i++)
            *n_pads_left += t.g->nodes[i].op == ET_OP_PAD;
        et_plan *p = NULL;
        if (et_plan_create(t.g, NULL, &p, &err) == ET_OK) {
            memcpy(et_plan_input(p, 0)->data, x, sizeof x);
            if (et_plan_run(p, NULL, &err) == ET_OK) {
                const et_tensor *o = et_plan_output(p, 0);
                int64_t n = et_shape_numel(&o->shape);
                out = malloc((size_t)n * sizeof *out);
                memcpy(out, o->data, (size_t)n * sizeof *out);
            }
            et_plan_free(p);
        }
    }
    if (!out)
        fprintf(stderr, "pad_conv: %s\n", err.msg);
    oh_free(&t);
    return out;
}

static void test_zero_pad_folds_exactly(void) {
    int left_plain = -1, left_fold = -1;
    float *a = pad_conv(false, "constant", 0.0f, &left_plain), *b = pad_conv(true, "constant", 0.0f, &left_fold);
    ET_REQUIRE(a && b);
    ET_CHECK_INT(left_plain, 1);
    ET_CHECK_INT(left_fold, 0);
    /* output 4 x (8+3+2-3+1) x (8+3+2-3+1) = 4 x 11 x 11 */
    ET_CHECK(oh_max_rel_err(b, a, 4 * 11 * 11) < 1e-6);
    free(a), free(b);
}

static void test_other_pads_stay(void) {
    int left = -1;
    float *a = pad_conv(true, "constant", 1.0f, &left);
    ET_CHECK_INT(left, 1);
    free(a);
    a = pad_conv(true, "reflect", 0.0f, &left);
    ET_CHECK_INT(left, 1);
    free(a);
}

int main(void) {
    ET_RUN(test_zero_pad_folds_exactly);
    ET_RUN(test_other_pads_stay);
    return et_test_done();
}
