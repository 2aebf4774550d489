/* test_gemm.c: the reference GEMM (tile edges, strides, accumulate), Gemm (every transpose combination with
 * constant and runtime B, C broadcast shapes, alpha/beta, fused activations) and MatMul (1-D operands, batch
 * broadcast, the folded-batch path, generic element types) against naive loops. */
#include "engine/nodes/nn_util.h"
#include "et_test.h"
#include "op_harness.h"

static void naive_mm(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs, int64_t a_cs, const float *b,
                     int64_t b_rs, int64_t b_cs, float *c) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++)
                s += (double)a[i * a_rs + p * a_cs] * b[p * b_rs + j * b_cs];
            c[i * n + j] = (float)s;
        }
}

static void test_sgemm_edges(void) {
    const int64_t sizes[][3] = {{1, 1, 1}, {3, 7, 5}, {4, 8, 1}, {67, 259, 13}, {130, 9, 40}, {5, 300, 0}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int64_t m = sizes[t][0], n = sizes[t][1], k = sizes[t][2];
        float *a = malloc((size_t)(m * k + 1) * 4), *b = malloc((size_t)(k * n + 1) * 4);
        float *c = malloc((size_t)(m * n) * 4), *want = malloc((size_t)(m * n) * 4);
        oh_fill(a, m * k, 7);
        oh_fill(b, k * n, 8);
        for (int trans = 0; trans < 4; trans++) {
            bool ta = trans & 1, tb = trans & 2;
            int64_t a_rs = ta ? 1 : k, a_cs = ta ? m : 1, b_rs = tb ? 1 : n, b_cs = tb ? k : 1;
            naive_mm(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, want);
            et_sgemm(NULL, m, n, k, 1.0f, a, a_rs, a_cs, b, b_rs, b_cs, c, n, false);
            double e = oh_max_rel_err(c, want, m * n);
            ET_CHECK_MSG(e < 1e-5, "%lldx%lldx%lld trans %d: %g", (long long)m, (long long)n, (long long)k, trans, e);
            /* accumulate with alpha: c = 2 * a * b + c */
            et_sgemm(NULL, m, n, k, 2.0f, a, a_rs, a_cs, b, b_rs, b_cs, c, n, true);
            for (int64_t i = 0; i < m * n; i++)
                want[i] *= 3.0f;
            e = oh_max_rel_err(c, want, m * n);
            ET_CHECK_MSG(e < 1e-5, "accumulate %lldx%lldx%lld trans %d: %g", (long long)m, (long long)n, (long long)k,
                         trans, e);
        }
        free(a), free(b), free(c), free(want);
    }
}

/* Gemm: Y = act(alpha * op(A) op(B) + beta * C). */
static double run_gemm(int64_t m, int64_t n, int64_t k, bool ta, bool tb, bool b_const, const et_shape *cs, float alpha,
                       float beta, et_activation act) {
    oh_graph t = oh_new(13);
    int64_t cn = cs && et_shape_numel(cs) > m * n ? et_shape_numel(cs) : m * n;
    float *a = malloc((size_t)(m * k) * 4), *b = malloc((size_t)(k * n) * 4), *c = malloc((size_t)cn * 4);
    float *want = malloc((size_t)(m * n) * 4);
    oh_fill(a, m * k, 11);
    oh_fill(b, k * n, 12);
    oh_fill(c, cn, 13);
    naive_mm(m, n, k, a, ta ? 1 : k, ta ? m : 1, b, tb ? 1 : n, tb ? k : 1, want);
    int64_t cst[ET_MAX_RANK] = {0};
    et_shape ys = SHAPE(m, n), bc;
    bool c_fits = cs && et_shape_broadcast(&ys, cs, &bc) && et_shape_equal(&bc, &ys);
    if (c_fits)
        et_broadcast_strides(cs, &ys, cst);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float v = alpha * want[i * n + j] + (c_fits ? beta * c[i * cst[0] + j * cst[1]] : 0.0f);
            want[i * n + j] = oh_act(&act, v);
        }
    int av = oh_input(&t, "a", ET_DT_F32, ta ? SHAPE(k, m) : SHAPE(m, k));
    int bv = b_const ? oh_const(&t, "b", ET_DT_F32, tb ? SHAPE(n, k) : SHAPE(k, n), b)
                     : oh_input(&t, "b", ET_DT_F32, tb ? SHAPE(n, k) : SHAPE(k, n));
    int cv = cs ? oh_const(&t, "c", ET_DT_F32, *cs, c) : -1;
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, ET_OP_GEMM, (int[]){av, bv, cv}, cs ? 3 : 2, (int[]){yv}, 1);
    et_node_set_attr_int(t.g, nd, "transA", ta);
    et_node_set_attr_int(t.g, nd, "transB", tb);
    et_node_set_attr_float(t.g, nd, "alpha", alpha);
    et_node_set_attr_float(t.g, nd, "beta", beta);
    t.g->nodes[nd].act = act;
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, 1, b_const ? (const void *[]){a} : (const void *[]){a, b}, &err);
    double e = -1;
    if (p) {
        e = oh_max_rel_err(et_plan_output(p, 0)->data, want, m * n);
        if (b_const && tb)
            /* B is counted once, as held (a packed or transposed copy, possibly padded to the kernel's panels) */
            ET_CHECK(et_plan_get_stats(p).weights_bytes >= k * n * 4);
        et_plan_free(p);
    } else {
        fprintf(stderr, "gemm failed: %s\n", err.msg);
    }
    oh_free(&t);
    free(a), free(b), free(c), free(want);
    return e;
}

static void test_gemm(void) {
    const et_activation none = {0}, relu = {ET_ACT_RELU, 0, 0}, clip = {ET_ACT_CLIP, 0, 0.3f};
    const et_activation hswish = {ET_ACT_HARD_SWISH, 0, 0}, sig = {ET_ACT_SIGMOID, 0, 0};
    et_shape c_full = SHAPE(9, 21), c_row = SHAPE(21), c_col = SHAPE(9, 1), c_one = SHAPE(1), c_scalar = SCALAR_SHAPE;
    for (int trans = 0; trans < 4; trans++)
        for (int bc = 0; bc < 2; bc++) {
            double e = run_gemm(9, 21, 17, trans & 1, trans & 2, bc, &c_row, 0.5f, 2.0f, none);
            ET_CHECK_MSG(e >= 0 && e < 1e-5, "trans %d const %d: %g", trans, bc, e);
        }
    const et_shape *cs[] = {&c_full, &c_row, &c_col, &c_one, &c_scalar, NULL};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        double e = run_gemm(9, 21, 5, false, true, true, cs[i], 1.0f, 0.75f, none);
        ET_CHECK_MSG(e >= 0 && e < 1e-5, "C shape %zu: %g", i, e);
    }
    const et_activation *acts[] = {&relu, &clip, &hswish, &sig};
    for (size_t i = 0; i < 4; i++) {
        et_shape c33 = SHAPE(33);
        double e = run_gemm(70, 33, 19, false, true, true, &c33, 1.0f, 1.0f, *acts[i]);
        ET_CHECK_MSG(e >= 0 && e < 1e-5, "fused %s: %g", et_act_name(acts[i]->kind), e);
    }
    /* beta = 0 ignores C */
    double e = run_gemm(4, 4, 4, false, false, false, &c_full, 1.0f, 0.0f, none);
    ET_CHECK(e < 0); /* c_full does not broadcast to 4x4: inference must refuse */
    et_shape c44 = SHAPE(4, 4);
    e = run_gemm(4, 4, 4, false, false, false, &c44, 1.0f, 0.0f, none);
    ET_CHECK_MSG(e >= 0 && e < 1e-5, "beta 0: %g", e);
}

/* MatMul with numpy semantics, checked against a naive batched loop. */
static double run_matmul(et_shape as, et_shape bs, bool b_const, et_shape *out_shape) {
    oh_graph t = oh_new(13);
    int64_t an = et_shape_numel(&as), bn = et_shape_numel(&bs);
    float *a = malloc((size_t)an * 4), *b = malloc((size_t)bn * 4);
    oh_fill(a, an, 21);
    oh_fill(b, bn, 22);
    int av = oh_input(&t, "a", ET_DT_F32, as);
    int bv = b_const ? oh_const(&t, "b", ET_DT_F32, bs, b) : oh_input(&t, "b", ET_DT_F32, bs);
    int yv = oh_value(&t, "y");
    oh_node(&t, ET_OP_MATMUL, (int[]){av, bv}, 2, (int[]){yv}, 1);
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, 4, b_const ? (const void *[]){a} : (const void *[]){a, b}, &err);
    double e = -1;
    if (!p) {
        fprintf(stderr, "matmul failed: %s\n", err.msg);
        goto done;
    }
    const et_tensor *y = et_plan_output(p, 0);
    *out_shape = y->shape;
    /* naive: promote 1-D, broadcast batch dims by index arithmetic */
    et_shape a2 = as, b2 = bs;
    if (a2.rank == 1)
        a2 = SHAPE(1, as.dim[0]);
    if (b2.rank == 1)
        b2 = SHAPE(bs.dim[0], 1);
    int64_t m = a2.dim[a2.rank - 2], k = a2.dim[a2.rank - 1], n = b2.dim[b2.rank - 1];
    int br = (a2.rank > b2.rank ? a2.rank : b2.rank) - 2;
    int64_t bdim[ET_MAX_RANK], batch = 1;
    for (int i = 0; i < br; i++) {
        int ia = i - (br - (a2.rank - 2)), ib = i - (br - (b2.rank - 2));
        int64_t da = ia >= 0 ? a2.dim[ia] : 1, db = ib >= 0 ? b2.dim[ib] : 1;
        bdim[i] = da > db ? da : db;
        batch *= bdim[i];
    }
    float *want = malloc((size_t)(batch * m * n) * 4);
    for (int64_t bi = 0; bi < batch; bi++) {
        int64_t oa = 0, ob = 0, sa = 1, sb = 1, r = bi;
        for (int i = br - 1; i >= 0; i--) {
            int64_t idx = r % bdim[i];
            r /= bdim[i];
            int ia = i - (br - (a2.rank - 2)), ib = i - (br - (b2.rank - 2));
            int64_t da = ia >= 0 ? a2.dim[ia] : 1, db = ib >= 0 ? b2.dim[ib] : 1;
            oa += (da == 1 ? 0 : idx) * sa;
            ob += (db == 1 ? 0 : idx) * sb;
            sa *= da;
            sb *= db;
        }
        naive_mm(m, n, k, a + oa * m * k, k, 1, b + ob * k * n, n, 1, want + bi * m * n);
    }
    e = et_shape_numel(&y->shape) == batch * m * n ? oh_max_rel_err(y->data, want, batch * m * n) : -1;
    free(want);
    et_plan_free(p);
done:
    oh_free(&t);
    free(a), free(b);
    return e;
}

static void test_matmul(void) {
    et_shape out;
    double e = run_matmul(SHAPE(2, 1, 3, 4), SHAPE(5, 4, 6), false, &out);
    ET_CHECK_MSG(e >= 0 && e < 1e-5, "broadcast: %g", e);
    ET_CHECK(et_shape_equal(&out, &SHAPE(2, 5, 3, 6)));
    e = run_matmul(SHAPE(3, 70, 20), SHAPE(20, 33), true, &out); /* folded batch */
    ET_CHECK_MSG(e >= 0 && e < 1e-5, "folded: %g", e);
    ET_CHECK(et_shape_equal(&out, &SHAPE(3, 70, 33)));
    e = run_matmul(SHAPE(4), SHAPE(4, 5), true, &out);
    ET_CHECK_MSG(e >= 0 && e < 1e-5 && et_shape_equal(&out, &SHAPE(5)), "1-D A: %g", e);
    e = run_matmul(SHAPE(2, 3, 4), SHAPE(4), false, &out);
    ET_CHECK_MSG(e >= 0 && e < 1e-5 && et_shape_equal(&out, &SHAPE(2, 3)), "1-D B: %g", e);
    e = run_matmul(SHAPE(7), SHAPE(7), false, &out);
    ET_CHECK_MSG(e >= 0 && e < 1e-5 && out.rank == 0, "dot: %g", e);
    e = run_matmul(SHAPE(3, 4), SHAPE(2, 4, 5), true, &out); /* A broadcast over B's batch */
    ET_CHECK_MSG(e >= 0 && e < 1e-5 && et_shape_equal(&out, &SHAPE(2, 3, 5)), "A broadcast: %g", e);
    e = run_matmul(SHAPE(12, 64, 64), SHAPE(12, 64, 64), false, &out); /* attention-like: batch is parallel */
    ET_CHECK_MSG(e >= 0 && e < 1e-5, "batched: %g", e);
    e = run_matmul(SHAPE(2, 3, 4), SHAPE(3, 5, 6), false, &out);
    ET_CHECK(e < 0); /* inner dims differ */
}

static void test_matmul_int32(void) {
    oh_graph t = oh_new(13);
    int32_t a[6] = {1, -2, 3, 4, 5, -6}, b[6] = {7, 8, -9, 10, 11, 12}, want[4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            want[i * 2 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[2 + j] + a[i * 3 + 2] * b[4 + j];
    int av = oh_input(&t, "a", ET_DT_I32, SHAPE(2, 3));
    int bv = oh_input(&t, "b", ET_DT_I32, SHAPE(3, 2));
    int yv = oh_value(&t, "y");
    oh_node(&t, ET_OP_MATMUL, (int[]){av, bv}, 2, (int[]){yv}, 1);
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, 1, (const void *[]){a, b}, &err);
    ET_REQUIRE(p != NULL);
    const int32_t *y = et_plan_output(p, 0)->data;
    for (int i = 0; i < 4; i++)
        ET_CHECK_INT(y[i], want[i]);
    et_plan_free(p);
    oh_free(&t);
}

static void test_gemm_f64(void) {
    oh_graph t = oh_new(13);
    double a[4] = {1, 2, 3, 4}, b[4] = {0.5, -1, 2, 0.25}, c[2] = {10, 20};
    int av = oh_input(&t, "a", ET_DT_F64, SHAPE(2, 2));
    int bv = oh_input(&t, "b", ET_DT_F64, SHAPE(2, 2));
    int cv = oh_const(&t, "c", ET_DT_F64, SHAPE(2), c);
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, ET_OP_GEMM, (int[]){av, bv, cv}, 3, (int[]){yv}, 1);
    et_node_set_attr_int(t.g, nd, "transB", 1);
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, 1, (const void *[]){a, b}, &err);
    ET_REQUIRE(p != NULL);
    const double *y = et_plan_output(p, 0)->data;
    /* A * B^T + c: B^T = [[0.5, 2], [-1, 0.25]] */
    ET_CHECK_NEAR(y[0], 1 * 0.5 + 2 * -1 + 10, 1e-12);
    ET_CHECK_NEAR(y[1], 1 * 2 + 2 * 0.25 + 20, 1e-12);
    ET_CHECK_NEAR(y[2], 3 * 0.5 + 4 * -1 + 10, 1e-12);
    ET_CHECK_NEAR(y[3], 3 * 2 + 4 * 0.25 + 20, 1e-12);
    et_plan_free(p);
    oh_free(&t);
}

int main(void) {
    ET_RUN(test_sgemm_edges);
    ET_RUN(test_gemm);
    ET_RUN(test_matmul);
    ET_RUN(test_matmul_int32);
    ET_RUN(test_gemm_f64);
    return et_test_done();
}
