/* test_norm_reduce.c: BatchNormalization (inference and training outputs), LayerNormalization (broadcast scale,
 * no bias, statistics outputs), InstanceNormalization, Softmax / LogSoftmax (opset 11 coercion vs opset 13 axis,
 * strided axes, large values), the Reduce operators (non-adjacent axes, keepdims, integer mean, NaN, noop,
 * axes given as a runtime input) and ArgMax (ties, select_last_index), against direct computations. */
#include "et_test.h"
#include "op_harness.h"

/* One-input-one-output graph runner: returns the plan (NULL on failure, message in err). */
static et_plan *run1(oh_graph *t, et_op op, et_dtype dt, et_shape xs, const void *x, int extra_in, const int *extra,
                     int n_out, void (*attrs)(et_graph *, int), et_err *err) {
    int ins[6] = {oh_input(t, "x", dt, xs)};
    for (int i = 0; i < extra_in; i++)
        ins[1 + i] = extra[i];
    int outs[3];
    for (int i = 0; i < n_out; i++) {
        char name[8];
        snprintf(name, sizeof name, "y%d", i);
        outs[i] = oh_value(t, name);
    }
    int nd = oh_node(t, op, ins, 1 + extra_in, outs, n_out);
    if (attrs)
        attrs(t->g, nd);
    for (int i = 0; i < n_out; i++)
        oh_output(t, outs[i]);
    return oh_plan(t, 2, (const void *[]){x}, err);
}

/* ---- normalisation ------------------------------------------------------------------------------------------ */

static void bn_training_attrs(et_graph *g, int n) {
    et_node_set_attr_int(g, n, "training_mode", 1);
    et_node_set_attr_float(g, n, "momentum", 0.8f);
    et_node_set_attr_float(g, n, "epsilon", 1e-3f);
}

static void test_batchnorm(void) {
    float x[2 * 3 * 5], scale[3] = {1.5f, -0.5f, 2}, bias[3] = {0.1f, 0.2f, -0.3f}, mean[3] = {0.5f, -1, 0},
                        var[3] = {1, 0.25f, 4};
    oh_fill(x, 30, 51);
    for (int training = 0; training < 2; training++) {
        oh_graph t = oh_new(15);
        int extra[4] = {oh_const(&t, "s", ET_DT_F32, SHAPE(3), scale), oh_const(&t, "b", ET_DT_F32, SHAPE(3), bias),
                        oh_const(&t, "m", ET_DT_F32, SHAPE(3), mean), oh_const(&t, "v", ET_DT_F32, SHAPE(3), var)};
        et_err err = {0};
        et_plan *p = run1(&t, ET_OP_BATCH_NORM, ET_DT_F32, SHAPE(2, 3, 5), x, 4, extra, training ? 3 : 1,
                          training ? bn_training_attrs : NULL, &err);
        ET_REQUIRE(p != NULL);
        const float *y = et_plan_output(p, 0)->data;
        for (int c = 0; c < 3; c++) {
            double m = mean[c], v = var[c], eps = training ? 1e-3 : 1e-5;
            if (training) {
                double s = 0, q = 0;
                for (int n = 0; n < 2; n++)
                    for (int i = 0; i < 5; i++)
                        s += x[(n * 3 + c) * 5 + i];
                m = s / 10;
                for (int n = 0; n < 2; n++)
                    for (int i = 0; i < 5; i++)
                        q += (x[(n * 3 + c) * 5 + i] - m) * (x[(n * 3 + c) * 5 + i] - m);
                v = q / 10;
                ET_CHECK_NEAR(((const float *)et_plan_output(p, 1)->data)[c], mean[c] * 0.8 + m * 0.2, 1e-6);
                ET_CHECK_NEAR(((const float *)et_plan_output(p, 2)->data)[c], var[c] * 0.8 + v * 0.2, 1e-6);
            }
            for (int n = 0; n < 2; n++)
                for (int i = 0; i < 5; i++) {
                    int at = (n * 3 + c) * 5 + i;
                    ET_CHECK_NEAR(y[at], scale[c] * (x[at] - m) / sqrt(v + eps) + bias[c], 1e-5);
                }
        }
        et_plan_free(p);
        oh_free(&t);
    }
}

static void ln_attrs(et_graph *g, int n) {
    et_node_set_attr_int(g, n, "axis", 1);
    et_node_set_attr_float(g, n, "epsilon", 0.01f);
}

static void test_layernorm_broadcast_scale(void) {
    oh_graph t = oh_new(17);
    float x[2 * 3 * 4], s = 1.5f;
    oh_fill(x, 24, 52);
    int extra[1] = {oh_const(&t, "s", ET_DT_F32, SHAPE(1), &s)}; /* one scale for all: broadcast, no bias */
    et_err err = {0};
    et_plan *p = run1(&t, ET_OP_LAYER_NORM, ET_DT_F32, SHAPE(2, 3, 4), x, 1, extra, 3, ln_attrs, &err);
    ET_REQUIRE(p != NULL);
    const float *y = et_plan_output(p, 0)->data, *mean = et_plan_output(p, 1)->data;
    const float *inv = et_plan_output(p, 2)->data;
    ET_CHECK(et_shape_equal(&et_plan_output(p, 1)->shape, &SHAPE(2, 1, 1)));
    for (int r = 0; r < 2; r++) {
        double m = 0, v = 0;
        for (int i = 0; i < 12; i++)
            m += x[r * 12 + i] / 12.0;
        for (int i = 0; i < 12; i++)
            v += (x[r * 12 + i] - m) * (x[r * 12 + i] - m) / 12.0;
        ET_CHECK_NEAR(mean[r], m, 1e-6);
        ET_CHECK_NEAR(inv[r], 1 / sqrt(v + 0.01), 1e-5);
        for (int i = 0; i < 12; i++)
            ET_CHECK_NEAR(y[r * 12 + i], (x[r * 12 + i] - m) / sqrt(v + 0.01) * 1.5, 1e-5);
    }
    et_plan_free(p);
    oh_free(&t);
}

static void test_instancenorm(void) {
    oh_graph t = oh_new(13);
    float x[2 * 2 * 6], s[2] = {2, -1}, b[2] = {0.5f, 0};
    oh_fill(x, 24, 53);
    for (int i = 0; i < 6; i++)
        x[i] += 1000.0f; /* a large offset must not cancel */
    int extra[2] = {oh_const(&t, "s", ET_DT_F32, SHAPE(2), s), oh_const(&t, "b", ET_DT_F32, SHAPE(2), b)};
    et_err err = {0};
    et_plan *p = run1(&t, ET_OP_INSTANCE_NORM, ET_DT_F32, SHAPE(2, 2, 2, 3), x, 2, extra, 1, NULL, &err);
    ET_REQUIRE(p != NULL);
    const float *y = et_plan_output(p, 0)->data;
    for (int pl = 0; pl < 4; pl++) {
        double m = 0, v = 0;
        for (int i = 0; i < 6; i++)
            m += x[pl * 6 + i] / 6.0;
        for (int i = 0; i < 6; i++)
            v += (x[pl * 6 + i] - m) * (x[pl * 6 + i] - m) / 6.0;
        for (int i = 0; i < 6; i++)
            ET_CHECK_NEAR(y[pl * 6 + i], s[pl % 2] * (x[pl * 6 + i] - m) / sqrt(v + 1e-5) + b[pl % 2], 2e-3);
    }
    et_plan_free(p);
    oh_free(&t);
}

/* ---- softmax ----------------------------------------------------------------------------------------------- */

static void axis1(et_graph *g, int n) { et_node_set_attr_int(g, n, "axis", 1); }

static void test_softmax_axis_semantics(void) {
    float x[2 * 3 * 4];
    oh_fill(x, 24, 54);
    x[5] = 1000.0f; /* stability */
    for (int opset = 11; opset <= 13; opset += 2)
        for (int lg = 0; lg < 2; lg++) {
            oh_graph t = oh_new(opset);
            et_err err = {0};
            et_plan *p = run1(&t, lg ? ET_OP_LOG_SOFTMAX : ET_OP_SOFTMAX, ET_DT_F32, SHAPE(2, 3, 4), x, 0, NULL, 1,
                              axis1, &err);
            ET_REQUIRE(p != NULL);
            const float *y = et_plan_output(p, 0)->data;
            /* opset 11: each batch item's 12 values are one row; opset 13: 3 values 4 apart */
            int rows = opset < 13 ? 2 : 8, len = opset < 13 ? 12 : 3, step = opset < 13 ? 1 : 4;
            for (int r = 0; r < rows; r++) {
                int base = opset < 13 ? r * 12 : (r / 4) * 12 + r % 4;
                double mx = -INFINITY, sum = 0;
                for (int l = 0; l < len; l++)
                    mx = fmax(mx, x[base + l * step]);
                for (int l = 0; l < len; l++)
                    sum += exp(x[base + l * step] - mx);
                for (int l = 0; l < len; l++) {
                    double v = x[base + l * step] - mx;
                    double want = lg ? v - log(sum) : exp(v) / sum;
                    ET_CHECK_MSG(fabs(y[base + l * step] - want) < 1e-5 * (1 + fabs(want)),
                                 "opset %d log %d row %d: %g vs %g", opset, lg, r, y[base + l * step], want);
                }
            }
            et_plan_free(p);
            oh_free(&t);
        }
}

static void test_softmax_f64(void) {
    oh_graph t = oh_new(13);
    double x[3] = {1, 2, 3};
    et_err err = {0};
    et_plan *p = run1(&t, ET_OP_SOFTMAX, ET_DT_F64, SHAPE(3), x, 0, NULL, 1, NULL, &err);
    ET_REQUIRE(p != NULL);
    const double *y = et_plan_output(p, 0)->data;
    double sum = exp(1) + exp(2) + exp(3);
    ET_CHECK_NEAR(y[2], exp(3) / sum, 1e-12);
    et_plan_free(p);
    oh_free(&t);
}

/* ---- reductions --------------------------------------------------------------------------------------------- */

static void axes02_keep0(et_graph *g, int n) {
    et_node_set_attr_ints(g, n, "axes", (int64_t[]){0, -1}, 2);
    et_node_set_attr_int(g, n, "keepdims", 0);
}

static void test_reduce_non_adjacent_axes(void) {
    float x[2 * 3 * 4];
    oh_fill(x, 24, 55);
    const et_op ops[] = {ET_OP_REDUCE_SUM, ET_OP_REDUCE_MEAN, ET_OP_REDUCE_MAX, ET_OP_REDUCE_MIN};
    for (int k = 0; k < 4; k++) {
        oh_graph t = oh_new(11); /* axes as an attribute for every Reduce */
        et_err err = {0};
        et_plan *p = run1(&t, ops[k], ET_DT_F32, SHAPE(2, 3, 4), x, 0, NULL, 1, axes02_keep0, &err);
        ET_REQUIRE(p != NULL);
        const et_tensor *y = et_plan_output(p, 0);
        ET_CHECK(et_shape_equal(&y->shape, &SHAPE(3)));
        for (int j = 0; j < 3; j++) {
            double s = 0, mx = -INFINITY, mn = INFINITY;
            for (int i = 0; i < 2; i++)
                for (int l = 0; l < 4; l++) {
                    double v = x[(i * 3 + j) * 4 + l];
                    s += v, mx = fmax(mx, v), mn = fmin(mn, v);
                }
            double want = k == 0 ? s : k == 1 ? s / 8 : k == 2 ? mx : mn;
            ET_CHECK_NEAR(((const float *)y->data)[j], want, 1e-5);
        }
        et_plan_free(p);
        oh_free(&t);
    }
}

static void axis1_keep(et_graph *g, int n) { et_node_set_attr_ints(g, n, "axes", (int64_t[]){1}, 1); }

static void test_reduce_int_and_nan(void) {
    oh_graph t = oh_new(13);
    int32_t xi[6] = {1, 2, 4, -3, -3, -1};
    et_err err = {0};
    et_plan *p = run1(&t, ET_OP_REDUCE_MEAN, ET_DT_I32, SHAPE(2, 3), xi, 0, NULL, 1, axis1_keep, &err);
    ET_REQUIRE(p != NULL);
    const int32_t *yi = et_plan_output(p, 0)->data;
    ET_CHECK_INT(yi[0], 2);  /* 7 / 3 */
    ET_CHECK_INT(yi[1], -2); /* -7 / 3, truncated */
    ET_CHECK(et_shape_equal(&et_plan_output(p, 0)->shape, &SHAPE(2, 1)));
    et_plan_free(p);
    oh_free(&t);

    t = oh_new(13);
    float xf[6] = {1, NAN, 3, 4, 5, 6};
    p = run1(&t, ET_OP_REDUCE_MAX, ET_DT_F32, SHAPE(2, 3), xf, 0, NULL, 1, axis1_keep, &err);
    ET_REQUIRE(p != NULL);
    const float *yf = et_plan_output(p, 0)->data;
    ET_CHECK(isnan(yf[0]));
    ET_CHECK_NEAR(yf[1], 6, 0);
    et_plan_free(p);
    oh_free(&t);
}

static void noop_attr(et_graph *g, int n) { et_node_set_attr_int(g, n, "noop_with_empty_axes", 1); }

static void test_reduce_sum_axes_input(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    /* empty constant axes: everything, or nothing with noop_with_empty_axes */
    for (int noop = 0; noop < 2; noop++) {
        oh_graph t = oh_new(13);
        int64_t none = 0;
        int axes = oh_const(&t, "axes", ET_DT_I64, SHAPE(0), &none);
        et_err err = {0};
        et_plan *p = run1(&t, ET_OP_REDUCE_SUM, ET_DT_F32, SHAPE(2, 3), x, 1, &axes, 1, noop ? noop_attr : NULL, &err);
        ET_REQUIRE(p != NULL);
        const et_tensor *y = et_plan_output(p, 0);
        if (noop) {
            ET_CHECK(et_shape_equal(&y->shape, &SHAPE(2, 3)));
            ET_CHECK_NEAR(((const float *)y->data)[5], 6, 0);
        } else {
            ET_CHECK(et_shape_equal(&y->shape, &SHAPE(1, 1)));
            ET_CHECK_NEAR(((const float *)y->data)[0], 21, 0);
        }
        et_plan_free(p);
        oh_free(&t);
    }
    /* axes as a runtime input: the shape is data-dependent */
    oh_graph t = oh_new(13);
    int axes = oh_input(&t, "axes", ET_DT_I64, SHAPE(1));
    int ins[2] = {oh_input(&t, "x", ET_DT_F32, SHAPE(2, 3)), axes};
    int y = oh_value(&t, "y");
    oh_node(&t, ET_OP_REDUCE_SUM, ins, 2, &y, 1);
    oh_output(&t, y);
    et_err err = {0};
    ET_CHECK_INT(oh_infer(&t, &err), ET_E_UNSUPPORTED);
    ET_CHECK(strstr(err.msg, "data-dependent shape: input 1 must be a constant") != NULL);
    oh_free(&t);
}

static void axes_dup(et_graph *g, int n) { et_node_set_attr_ints(g, n, "axes", (int64_t[]){1, -1}, 2); }
static void axes_range(et_graph *g, int n) { et_node_set_attr_ints(g, n, "axes", (int64_t[]){2}, 1); }
static void axis_range(et_graph *g, int n) { et_node_set_attr_int(g, n, "axis", -3); }

static void test_reduce_bad_axes(void) {
    float x[6] = {0};
    void (*bad[])(et_graph *, int) = {axes_dup, axes_range};
    for (int i = 0; i < 2; i++) {
        oh_graph t = oh_new(13);
        et_err err = {0};
        ET_CHECK(run1(&t, ET_OP_REDUCE_MAX, ET_DT_F32, SHAPE(2, 3), x, 0, NULL, 1, bad[i], &err) == NULL);
        ET_CHECK_MSG(err.status == ET_E_INPUT && strstr(err.msg, "ReduceMax"), "'%s'", err.msg);
        oh_free(&t);
    }
    const et_op ops[] = {ET_OP_ARG_MAX, ET_OP_SOFTMAX};
    for (int i = 0; i < 2; i++) {
        oh_graph t = oh_new(13);
        et_err err = {0};
        ET_CHECK(run1(&t, ops[i], ET_DT_F32, SHAPE(2, 3), x, 0, NULL, 1, axis_range, &err) == NULL);
        ET_CHECK_MSG(err.status == ET_E_INPUT && strstr(err.msg, "out of range"), "'%s'", err.msg);
        oh_free(&t);
    }
}

static void last_index(et_graph *g, int n) {
    et_node_set_attr_int(g, n, "select_last_index", 1);
    et_node_set_attr_int(g, n, "axis", -1);
    et_node_set_attr_int(g, n, "keepdims", 0);
}

static void test_argmax(void) {
    int64_t x[8] = {3, 7, 7, 1, -5, -5, -9, -5};
    for (int last = 0; last < 2; last++) {
        oh_graph t = oh_new(13);
        et_err err = {0};
        et_plan *p = run1(&t, ET_OP_ARG_MAX, ET_DT_I64, SHAPE(2, 4), x, 0, NULL, 1, last ? last_index : NULL, &err);
        ET_REQUIRE(p != NULL);
        const et_tensor *y = et_plan_output(p, 0);
        const int64_t *yi = y->data;
        if (last) {
            ET_CHECK(et_shape_equal(&y->shape, &SHAPE(2)));
            ET_CHECK_INT(yi[0], 2);
            ET_CHECK_INT(yi[1], 3);
        } else { /* axis 0, keepdims */
            ET_CHECK(et_shape_equal(&y->shape, &SHAPE(1, 4)));
            ET_CHECK_INT(yi[0], 0);
            ET_CHECK_INT(yi[1], 0);
            ET_CHECK_INT(yi[2], 0);
            ET_CHECK_INT(yi[3], 0);
        }
        et_plan_free(p);
        oh_free(&t);
    }
}

int main(void) {
    ET_RUN(test_batchnorm);
    ET_RUN(test_layernorm_broadcast_scale);
    ET_RUN(test_instancenorm);
    ET_RUN(test_softmax_axis_semantics);
    ET_RUN(test_softmax_f64);
    ET_RUN(test_reduce_non_adjacent_axes);
    ET_RUN(test_reduce_int_and_nan);
    ET_RUN(test_reduce_sum_axes_input);
    ET_RUN(test_reduce_bad_axes);
    ET_RUN(test_argmax);
    return et_test_done();
}
