/* test_resize.c: Resize and Upsample run as planned operators (runtime data, constant scales or sizes, which
 * the node tests only cover through constant folding): known outputs for nearest and linear, rank 1 and rank 3
 * views, resizing a leading dimension, integer types, a runtime roi, and inputs that must be refused. */
#include "et_test.h"
#include "op_harness.h"

typedef struct rs_opts {
    const char *mode, *coord, *nearest;
    bool sizes; /* the vector is sizes (int64), else scales (float) */
    int64_t opset;
    et_op op;
} rs_opts;

/* Runs one Resize/Upsample with the given scales or sizes as a constant; NULL on failure. */
static et_plan *run_resize(oh_graph *t, const rs_opts *o, et_dtype dt, et_shape xs, const void *x, const double *v,
                           et_err *err) {
    *t = oh_new(o->opset);
    int xv = oh_input(t, "x", dt, xs);
    float sc[ET_MAX_RANK];
    int64_t sz[ET_MAX_RANK];
    for (int i = 0; i < xs.rank; i++)
        sc[i] = (float)v[i], sz[i] = (int64_t)v[i];
    et_shape vs = SHAPE(xs.rank);
    int cv = o->sizes ? oh_const(t, "sizes", ET_DT_I64, vs, sz) : oh_const(t, "scales", ET_DT_F32, vs, sc);
    int yv = oh_value(t, "y");
    int ins[4] = {xv, -1, -1, -1}, n_in;
    if (o->op == ET_OP_UPSAMPLE || o->opset < 11) {
        ins[1] = cv;
        n_in = 2;
    } else {
        ins[o->sizes ? 3 : 2] = cv;
        n_in = o->sizes ? 4 : 3;
    }
    int nd = oh_node(t, o->op, ins, n_in, &yv, 1);
    et_node_set_attr_string(t->g, nd, "mode", o->mode);
    if (o->coord)
        et_node_set_attr_string(t->g, nd, "coordinate_transformation_mode", o->coord);
    if (o->nearest)
        et_node_set_attr_string(t->g, nd, "nearest_mode", o->nearest);
    oh_output(t, yv);
    return oh_plan(t, 2, (const void *[]){x}, err);
}

static void check_floats(const et_tensor *y, const et_shape *want_shape, const float *want, const char *what) {
    ET_CHECK_MSG(et_shape_equal(&y->shape, want_shape), "%s: shape", what);
    int64_t n = et_shape_numel(want_shape);
    double e = oh_max_rel_err(y->data, want, n);
    ET_CHECK_MSG(e < 1e-6, "%s: error %g", what, e);
}

static void test_known_outputs(void) {
    const float x4[4] = {1, 2, 3, 4};
    oh_graph t;
    et_err err = {0};
    /* Upsample-9 nearest, scales 2 x 3 */
    rs_opts up = {"nearest", NULL, NULL, false, 9, ET_OP_UPSAMPLE};
    et_plan *p = run_resize(&t, &up, ET_DT_F32, SHAPE(1, 1, 2, 2), x4, (double[]){1, 1, 2, 3}, &err);
    ET_REQUIRE(p != NULL);
    const float want_up[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    check_floats(et_plan_output(p, 0), &SHAPE(1, 1, 4, 6), want_up, "upsample nearest");
    et_plan_free(p);
    oh_free(&t);
    /* Resize-13 linear half_pixel, 2x */
    rs_opts lin = {"linear", NULL, NULL, false, 13, ET_OP_RESIZE};
    p = run_resize(&t, &lin, ET_DT_F32, SHAPE(1, 1, 2, 2), x4, (double[]){1, 1, 2, 2}, &err);
    ET_REQUIRE(p != NULL);
    const float want_lin[16] = {1,    1.25f, 1.75f, 2,    1.5f, 1.75f, 2.25f, 2.5f,
                                2.5f, 2.75f, 3.25f, 3.5f, 3,    3.25f, 3.75f, 4};
    check_floats(et_plan_output(p, 0), &SHAPE(1, 1, 4, 4), want_lin, "linear half_pixel");
    et_plan_free(p);
    oh_free(&t);
    /* rank 1 (viewed as 1 x W), linear asymmetric, by sizes */
    rs_opts lin1 = {"linear", "asymmetric", NULL, true, 13, ET_OP_RESIZE};
    p = run_resize(&t, &lin1, ET_DT_F32, SHAPE(4), x4, (double[]){8}, &err);
    ET_REQUIRE(p != NULL);
    const float want1[8] = {1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4};
    check_floats(et_plan_output(p, 0), &SHAPE(8), want1, "rank 1");
    et_plan_free(p);
    oh_free(&t);
    /* a resized leading dimension: rank 3, linear asymmetric along dim 0 only */
    const float x8[8] = {0, 1, 2, 3, 10, 11, 12, 13};
    p = run_resize(&t, &lin1, ET_DT_F32, SHAPE(2, 2, 2), x8, (double[]){4, 2, 2}, &err);
    ET_REQUIRE(p != NULL);
    const float want3[16] = {0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 10, 11, 12, 13};
    check_floats(et_plan_output(p, 0), &SHAPE(4, 2, 2), want3, "leading dim");
    et_plan_free(p);
    oh_free(&t);
    /* downsampling nearest with the legacy rule (Resize-10: ceil when shrinking) */
    rs_opts r10 = {"nearest", NULL, NULL, false, 10, ET_OP_RESIZE};
    const float x6[6] = {1, 2, 3, 4, 5, 6};
    p = run_resize(&t, &r10, ET_DT_F32, SHAPE(1, 6), x6, (double[]){1, 0.4}, &err);
    ET_REQUIRE(p != NULL);
    const float want10[2] = {1, 4}; /* x / 0.4 = 0, 2.5: shrinking rounds up */
    check_floats(et_plan_output(p, 0), &SHAPE(1, 2), want10, "resize-10 down");
    et_plan_free(p);
    oh_free(&t);
}

static void test_integer_types(void) {
    const uint8_t x[4] = {0, 255, 10, 20};
    oh_graph t;
    et_err err = {0};
    rs_opts nn = {"nearest", "asymmetric", "floor", false, 13, ET_OP_RESIZE};
    et_plan *p = run_resize(&t, &nn, ET_DT_U8, SHAPE(2, 2), x, (double[]){1, 2}, &err);
    ET_REQUIRE(p != NULL);
    const uint8_t *y = et_plan_output(p, 0)->data;
    const uint8_t want[8] = {0, 0, 255, 255, 10, 10, 20, 20};
    for (int i = 0; i < 8; i++)
        ET_CHECK_INT(y[i], want[i]);
    et_plan_free(p);
    oh_free(&t);
    /* linear on int8 rounds */
    const int8_t xi[2] = {-3, 4};
    rs_opts lin = {"linear", "align_corners", NULL, true, 13, ET_OP_RESIZE};
    p = run_resize(&t, &lin, ET_DT_I8, SHAPE(1, 2), xi, (double[]){1, 3}, &err);
    ET_REQUIRE(p != NULL);
    const int8_t *yi = et_plan_output(p, 0)->data;
    ET_CHECK_INT(yi[0], -3);
    ET_CHECK_INT(yi[1], 0); /* 0.5 rounds to even */
    ET_CHECK_INT(yi[2], 4);
    et_plan_free(p);
    oh_free(&t);
}

static void test_runtime_roi(void) {
    /* tf_crop_and_resize with roi as a runtime input: the centre of a 3x3 ramp, and one extrapolated column */
    oh_graph t = oh_new(13);
    float x[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8}, roi[4] = {0.5f, 0.5f, 0.5f, 1.5f};
    int64_t sizes[2] = {1, 2};
    int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(3, 3));
    int rv = oh_input(&t, "roi", ET_DT_F32, SHAPE(4));
    int sv = oh_const(&t, "sizes", ET_DT_I64, SHAPE(2), sizes);
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, ET_OP_RESIZE, (int[]){xv, rv, -1, sv}, 4, &yv, 1);
    et_node_set_attr_string(t.g, nd, "mode", "linear");
    et_node_set_attr_string(t.g, nd, "coordinate_transformation_mode", "tf_crop_and_resize");
    et_node_set_attr_float(t.g, nd, "extrapolation_value", -7.0f);
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, 1, (const void *[]){x, roi}, &err);
    ET_REQUIRE(p != NULL);
    const float *y = et_plan_output(p, 0)->data;
    /* row: size 1 -> (0.5 + 0.5) / 2 * 2 = 1; cols: 0.5 * 2 = 1 and 1.5 * 2 = 3 (outside) */
    ET_CHECK_NEAR(y[0], 4.0, 1e-6);
    ET_CHECK_NEAR(y[1], -7.0, 0);
    /* a NaN or huge roi extrapolates instead of indexing anywhere */
    et_tensor *r = et_plan_input(p, 1);
    ((float *)r->data)[0] = NAN;
    ((float *)r->data)[3] = 1e30f;
    ET_REQUIRE(et_plan_run(p, NULL, &err) == ET_OK);
    y = et_plan_output(p, 0)->data;
    ET_CHECK_NEAR(y[0], -7.0, 0);
    ET_CHECK_NEAR(y[1], -7.0, 0);
    et_plan_free(p);
    oh_free(&t);
}

static et_status infer_resize(const char *mode, float scale, int n_scales, bool const_scales, int64_t opset, et_op op,
                              char *msg, size_t len) {
    oh_graph t = oh_new(opset);
    int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(1, 1, 4, 4));
    float sc[4] = {1, 1, scale, scale};
    et_shape vs = SHAPE(n_scales);
    int cv = const_scales ? oh_const(&t, "scales", ET_DT_F32, vs, sc + 4 - n_scales)
                          : oh_input(&t, "scales", ET_DT_F32, vs);
    int yv = oh_value(&t, "y");
    int nd = op == ET_OP_UPSAMPLE ? oh_node(&t, op, (int[]){xv, cv}, 2, &yv, 1)
                                  : oh_node(&t, op, (int[]){xv, -1, cv}, 3, &yv, 1);
    et_node_set_attr_string(t.g, nd, "mode", mode);
    oh_output(&t, yv);
    et_err err = {0};
    et_status st = oh_infer(&t, &err);
    snprintf(msg, len, "%s", err.msg);
    oh_free(&t);
    return st;
}

static void test_refused(void) {
    char msg[ET_ERR_MSG_MAX];
    ET_CHECK_INT(infer_resize("linear", 2, 4, true, 13, ET_OP_RESIZE, msg, sizeof msg), ET_OK);
    ET_CHECK_INT(infer_resize("linear", 2, 4, false, 13, ET_OP_RESIZE, msg, sizeof msg), ET_E_UNSUPPORTED);
    ET_CHECK(strstr(msg, "data-dependent shape: input 2 must be a constant") != NULL);
    ET_CHECK_INT(infer_resize("linear", 0, 4, true, 13, ET_OP_RESIZE, msg, sizeof msg), ET_E_INPUT);
    ET_CHECK_INT(infer_resize("linear", -1, 4, true, 13, ET_OP_RESIZE, msg, sizeof msg), ET_E_INPUT);
    ET_CHECK_INT(infer_resize("linear", 1e30f, 4, true, 13, ET_OP_RESIZE, msg, sizeof msg), ET_E_INPUT);
    ET_CHECK_INT(infer_resize("linear", NAN, 4, true, 13, ET_OP_RESIZE, msg, sizeof msg), ET_E_INPUT);
    ET_CHECK_INT(infer_resize("linear", 2, 2, true, 13, ET_OP_RESIZE, msg, sizeof msg), ET_E_INPUT);
    ET_CHECK_INT(infer_resize("bicubic", 2, 4, true, 13, ET_OP_RESIZE, msg, sizeof msg), ET_E_INPUT);
    ET_CHECK(strstr(msg, "node 'Resize'") != NULL);
    ET_CHECK_INT(infer_resize("cubic", 2, 4, true, 9, ET_OP_UPSAMPLE, msg, sizeof msg), ET_E_INPUT);
    ET_CHECK_INT(infer_resize("nearest", 2, 4, true, 9, ET_OP_UPSAMPLE, msg, sizeof msg), ET_OK);
}

int main(void) {
    ET_RUN(test_known_outputs);
    ET_RUN(test_integer_types);
    ET_RUN(test_runtime_roi);
    ET_RUN(test_refused);
    return et_test_done();
}
