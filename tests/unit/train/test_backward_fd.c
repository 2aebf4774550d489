/* test_backward_fd.c: every backward operator of the training engine against finite differences (train_test.h
 * says how), on small graphs with a batch of 3: convolutions of every kind, fully-connected layers,
 * BatchNormalization in both modes, activations, broadcasting arithmetic, pooling, Concat, Flatten,
 * Softmax/LogSoftmax, and small networks where values feed several steps (gradient accumulation). */
#include "train_test.h"

enum { BATCH = 3 };
static const float H = 4e-3f;
static const double ATOL = 2e-3, RTOL = 4e-3;

/* ---- convolutions ------------------------------------------------------------------------------------------ */

typedef struct conv_case {
    int64_t cin, cout, h, w, k, stride, pad, dil, group;
    bool bias;
    et_act_kind act;
} conv_case;

static int run_conv(conv_case cc, uint32_t seed, bool prove) {
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, cc.cin, cc.h, cc.w));
    int w = tc_param(&c.t, "w", SHAPE(cc.cout, cc.cin / cc.group, cc.k, cc.k), 0.5f, seed + 1);
    int ins[3] = {x, w, -1}, n_in = 2;
    if (cc.bias)
        ins[n_in++] = tc_param(&c.t, "b", SHAPE(cc.cout), 0.5f, seed + 2);
    int y = oh_value(&c.t, "y");
    int nd = oh_node(&c.t, ET_OP_CONV, ins, n_in, (int[]){y}, 1);
    et_node_set_attr_ints(c.t.g, nd, "strides", (int64_t[]){cc.stride, cc.stride}, 2);
    et_node_set_attr_ints(c.t.g, nd, "pads", (int64_t[]){cc.pad, cc.pad, cc.pad, cc.pad}, 4);
    et_node_set_attr_ints(c.t.g, nd, "dilations", (int64_t[]){cc.dil, cc.dil}, 2);
    et_node_set_attr_int(c.t.g, nd, "group", cc.group);
    c.t.g->nodes[nd].act.kind = cc.act;
    oh_output(&c.t, y);
    if (!tc_build(&c, BATCH, ET_BN_RUNNING, seed)) {
        tc_free(&c);
        return 1;
    }
    int bad = tc_check(&c, H, ATOL, RTOL, prove);
    tc_free(&c);
    return bad;
}

static void test_conv_3x3(void) {
    ET_CHECK_INT(run_conv((conv_case){3, 4, 5, 5, 3, 1, 1, 1, 1, true, ET_ACT_NONE}, 1, true), 0);
}
static void test_conv_strided(void) {
    ET_CHECK_INT(run_conv((conv_case){4, 6, 7, 7, 3, 2, 1, 1, 1, false, ET_ACT_NONE}, 2, false), 0);
}
static void test_conv_grouped(void) {
    ET_CHECK_INT(run_conv((conv_case){4, 6, 5, 5, 3, 1, 1, 1, 2, true, ET_ACT_NONE}, 3, false), 0);
}
static void test_conv_depthwise(void) {
    ET_CHECK_INT(run_conv((conv_case){5, 5, 6, 6, 3, 1, 1, 1, 5, true, ET_ACT_NONE}, 4, true), 0);
    ET_CHECK_INT(run_conv((conv_case){5, 5, 7, 7, 3, 2, 1, 1, 5, false, ET_ACT_NONE}, 5, false), 0);
    ET_CHECK_INT(run_conv((conv_case){4, 4, 6, 5, 5, 1, 2, 1, 4, true, ET_ACT_NONE}, 6, false), 0);
}
static void test_conv_depth_multiplier(void) { /* one input channel, two outputs per group: the GEMM path */
    ET_CHECK_INT(run_conv((conv_case){3, 6, 5, 5, 3, 1, 1, 1, 3, true, ET_ACT_NONE}, 7, false), 0);
}
static void test_conv_pointwise(void) {
    ET_CHECK_INT(run_conv((conv_case){6, 5, 4, 4, 1, 1, 0, 1, 1, true, ET_ACT_NONE}, 8, true), 0);
    ET_CHECK_INT(run_conv((conv_case){6, 5, 5, 5, 1, 2, 0, 1, 1, true, ET_ACT_NONE}, 9, false), 0);
}
static void test_conv_dilated(void) {
    ET_CHECK_INT(run_conv((conv_case){3, 4, 7, 7, 3, 1, 2, 2, 1, true, ET_ACT_NONE}, 10, false), 0);
}
static void test_conv_fused_activation(void) {
    ET_CHECK_INT(run_conv((conv_case){3, 4, 5, 5, 3, 1, 1, 1, 1, true, ET_ACT_TANH}, 11, false), 0);
    ET_CHECK_INT(run_conv((conv_case){3, 4, 5, 5, 3, 1, 1, 1, 1, true, ET_ACT_SIGMOID}, 12, false), 0);
}
static void test_conv_large_image(void) { /* more pixels than one packed block: several blocks per image */
    ET_CHECK_INT(run_conv((conv_case){2, 3, 40, 40, 3, 1, 1, 1, 1, true, ET_ACT_NONE}, 13, false), 0);
}

/* stride 1 on planes wide enough for the padded grid (op_conv.c): 12x12 and a dilated 16x16 (forward and dW on
 * the grid, dX not), 14x14 grouped and 14x14 of kdim 244 (dX on the grid too; in the latter one image's grid
 * spans two blocks) */
static void test_conv_grid(void) {
    ET_CHECK_INT(run_conv((conv_case){3, 4, 12, 12, 3, 1, 1, 1, 1, true, ET_ACT_NONE}, 14, false), 0);
    ET_CHECK_INT(run_conv((conv_case){4, 6, 14, 14, 3, 1, 1, 1, 2, false, ET_ACT_TANH}, 15, false), 0);
    if (et_test_emulated())
        return; /* under qemu (ET_EMULATED) the two above: the suite's time limit, the same code */
    ET_CHECK_INT(run_conv((conv_case){3, 4, 16, 16, 3, 1, 2, 2, 1, true, ET_ACT_NONE}, 16, false), 0);
    ET_CHECK_INT(run_conv((conv_case){27, 2, 14, 14, 3, 1, 1, 1, 1, true, ET_ACT_NONE}, 17, false), 0);
}

static void test_conv_1d(void) {
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 3, 9));
    int w = tc_param(&c.t, "w", SHAPE(4, 3, 3), 0.5f, 21);
    int b = tc_param(&c.t, "b", SHAPE(4), 0.5f, 22);
    int y = oh_value(&c.t, "y");
    int nd = oh_node(&c.t, ET_OP_CONV, (int[]){x, w, b}, 3, (int[]){y}, 1);
    et_node_set_attr_ints(c.t.g, nd, "pads", (int64_t[]){1, 1}, 2);
    et_node_set_attr_ints(c.t.g, nd, "strides", (int64_t[]){2}, 1);
    oh_output(&c.t, y);
    ET_REQUIRE(tc_build(&c, BATCH, ET_BN_RUNNING, 23));
    ET_CHECK_INT(tc_check(&c, H, ATOL, RTOL, false), 0);
    tc_free(&c);
}

/* ---- fully-connected ---------------------------------------------------------------------------------------- */

static int run_gemm(bool trans_b, bool matmul, uint32_t seed, bool prove) {
    tc_case c = {.t = oh_new(13)};
    const int64_t k = 7, n = 5;
    int x = oh_input(&c.t, "x", ET_DT_F32, matmul ? SHAPE(1, 3, k) : SHAPE(1, k));
    int w = tc_param(&c.t, "w", trans_b ? SHAPE(n, k) : SHAPE(k, n), 0.5f, seed + 1);
    int y = oh_value(&c.t, "y");
    if (matmul) {
        oh_node(&c.t, ET_OP_MATMUL, (int[]){x, w}, 2, (int[]){y}, 1);
    } else {
        int b = tc_param(&c.t, "b", SHAPE(n), 0.5f, seed + 2);
        int nd = oh_node(&c.t, ET_OP_GEMM, (int[]){x, w, b}, 3, (int[]){y}, 1);
        et_node_set_attr_int(c.t.g, nd, "transB", trans_b);
    }
    oh_output(&c.t, y);
    if (!tc_build(&c, BATCH, ET_BN_RUNNING, seed)) {
        tc_free(&c);
        return 1;
    }
    int bad = tc_check(&c, H, ATOL, RTOL, prove);
    tc_free(&c);
    return bad;
}

static void test_gemm(void) {
    ET_CHECK_INT(run_gemm(true, false, 30, true), 0);
    ET_CHECK_INT(run_gemm(false, false, 31, false), 0);
}
static void test_matmul(void) { ET_CHECK_INT(run_gemm(false, true, 32, false), 0); }

/* ---- BatchNormalization ------------------------------------------------------------------------------------- */

static int run_bn(et_bn_mode mode, uint32_t seed) {
    tc_case c = {.t = oh_new(13)};
    const int64_t ch = 4;
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, ch, 3, 3));
    float mean[4] = {0.1f, -0.2f, 0.0f, 0.3f}, var[4] = {0.5f, 1.5f, 0.8f, 1.0f};
    int scale = tc_param(&c.t, "scale", SHAPE(ch), 1.0f, seed + 1);
    int shift = tc_param(&c.t, "shift", SHAPE(ch), 1.0f, seed + 2);
    int m = oh_const(&c.t, "mean", ET_DT_F32, SHAPE(ch), mean);
    int v = oh_const(&c.t, "var", ET_DT_F32, SHAPE(ch), var);
    int y = oh_value(&c.t, "y");
    oh_node(&c.t, ET_OP_BATCH_NORM, (int[]){x, scale, shift, m, v}, 5, (int[]){y}, 1);
    oh_output(&c.t, y);
    if (!tc_build(&c, BATCH, mode, seed)) {
        tc_free(&c);
        return 1;
    }
    int bad = tc_check(&c, H, ATOL, RTOL, mode == ET_BN_BATCH);
    tc_free(&c);
    return bad;
}

static void test_batchnorm(void) {
    ET_CHECK_INT(run_bn(ET_BN_RUNNING, 40), 0);
    ET_CHECK_INT(run_bn(ET_BN_BATCH, 41), 0);
}

/* ---- activations -------------------------------------------------------------------------------------------- */

/* One activation node on inputs kept at least 0.05 away from its kinks. */
static int run_unary(et_op op, const float *kinks, int n_kinks, uint32_t seed) {
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 2, 4, 4));
    int ins[3] = {x, -1, -1}, n_in = 1;
    if (op == ET_OP_CLIP) {
        float lo = -0.5f, hi = 0.6f;
        ins[1] = oh_const(&c.t, "lo", ET_DT_F32, SCALAR_SHAPE, &lo);
        ins[2] = oh_const(&c.t, "hi", ET_DT_F32, SCALAR_SHAPE, &hi);
        n_in = 3;
    }
    int y = oh_value(&c.t, "y");
    oh_node(&c.t, op, ins, n_in, (int[]){y}, 1);
    oh_output(&c.t, y);
    if (!tc_build(&c, BATCH, ET_BN_RUNNING, seed)) {
        tc_free(&c);
        return 1;
    }
    float *in = et_tnet_input(c.net, 0);
    for (int64_t i = 0; i < BATCH * 32; i++) {
        in[i] *= 4.0f; /* span [-4, 4): HardSwish's kinks at +-3 are inside */
        for (int k = 0; k < n_kinks; k++)
            if (fabsf(in[i] - kinks[k]) < 0.05f)
                in[i] = kinks[k] + (in[i] < kinks[k] ? -0.05f : 0.05f);
    }
    int bad = tc_check(&c, H, ATOL, RTOL, false);
    tc_free(&c);
    return bad;
}

static void test_activations(void) {
    const float zero[] = {0.0f}, clip[] = {-0.5f, 0.6f}, hswish[] = {-3.0f, 3.0f}, hsig[] = {-2.5f, 2.5f};
    ET_CHECK_INT(run_unary(ET_OP_RELU, zero, 1, 50), 0);
    ET_CHECK_INT(run_unary(ET_OP_CLIP, clip, 2, 51), 0);
    ET_CHECK_INT(run_unary(ET_OP_LEAKY_RELU, zero, 1, 52), 0);
    ET_CHECK_INT(run_unary(ET_OP_SIGMOID, NULL, 0, 53), 0);
    ET_CHECK_INT(run_unary(ET_OP_HARD_SIGMOID, hsig, 2, 54), 0);
    ET_CHECK_INT(run_unary(ET_OP_HARD_SWISH, hswish, 2, 55), 0);
    ET_CHECK_INT(run_unary(ET_OP_TANH, NULL, 0, 56), 0);
}

/* ---- arithmetic with broadcasting --------------------------------------------------------------------------- */

/* y = x op f(x) where the second operand is x itself, a pooled branch ([1, C, 1, 1], broadcast inside the
 * sample) or a constant; a scale conv first gives the branch a parameter. */
static int run_binary(et_op op, int form, uint32_t seed) {
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 3, 4, 4));
    int w = tc_param(&c.t, "w", SHAPE(3, 3, 1, 1), 0.7f, seed + 1);
    int z = oh_value(&c.t, "z");
    oh_node(&c.t, ET_OP_CONV, (int[]){x, w}, 2, (int[]){z}, 1);
    int other;
    if (form == 0) {
        other = oh_value(&c.t, "p");
        oh_node(&c.t, ET_OP_GLOBAL_AVERAGE_POOL, (int[]){z}, 1, (int[]){other}, 1);
    } else {
        float cst[3] = {0.7f, -1.3f, 1.9f};
        other = oh_const(&c.t, "c", ET_DT_F32, SHAPE(3, 1, 1), cst);
    }
    int y = oh_value(&c.t, "y");
    if (op == ET_OP_DIV && form == 0) { /* keep the divisor away from 0 */
        float two = 2.5f;
        int k = oh_const(&c.t, "k", ET_DT_F32, SCALAR_SHAPE, &two);
        int q = oh_value(&c.t, "q");
        oh_node(&c.t, ET_OP_ADD, (int[]){other, k}, 2, (int[]){q}, 1);
        other = q;
    }
    oh_node(&c.t, op, (int[]){z, other}, 2, (int[]){y}, 1);
    oh_output(&c.t, y);
    if (!tc_build(&c, BATCH, ET_BN_RUNNING, seed)) {
        tc_free(&c);
        return 1;
    }
    int bad = tc_check(&c, H, ATOL, RTOL, false);
    tc_free(&c);
    return bad;
}

static void test_binary(void) {
    const et_op ops[] = {ET_OP_ADD, ET_OP_SUB, ET_OP_MUL, ET_OP_DIV};
    for (int i = 0; i < 4; i++)
        for (int form = 0; form < 2; form++)
            ET_CHECK_MSG(run_binary(ops[i], form, 60 + (uint32_t)(10 * i + form)) == 0, "%s form %d",
                         et_op_name(ops[i]), form);
}

static void test_same_value_twice(void) { /* y = z * z and a residual z + conv(z): gradients accumulate */
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 3, 4, 4));
    int w1 = tc_param(&c.t, "w1", SHAPE(3, 3, 3, 3), 0.4f, 71), w2 = tc_param(&c.t, "w2", SHAPE(3, 3, 1, 1), 0.6f, 72);
    int z = oh_value(&c.t, "z"), sq = oh_value(&c.t, "sq"), u = oh_value(&c.t, "u"), y = oh_value(&c.t, "y");
    int n1 = oh_node(&c.t, ET_OP_CONV, (int[]){x, w1}, 2, (int[]){z}, 1);
    et_node_set_attr_ints(c.t.g, n1, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    oh_node(&c.t, ET_OP_MUL, (int[]){z, z}, 2, (int[]){sq}, 1);
    oh_node(&c.t, ET_OP_CONV, (int[]){sq, w2}, 2, (int[]){u}, 1);
    oh_node(&c.t, ET_OP_ADD, (int[]){z, u}, 2, (int[]){y}, 1);
    oh_output(&c.t, y);
    ET_REQUIRE(tc_build(&c, BATCH, ET_BN_RUNNING, 73));
    ET_CHECK_INT(tc_check(&c, H, ATOL, RTOL, false), 0);
    tc_free(&c);
}

/* ---- pooling and reductions --------------------------------------------------------------------------------- */

typedef struct pool_case {
    et_op op;
    int64_t h, w, k, stride, pad;
    int ceil_mode, include_pad;
} pool_case;

static int run_pool(pool_case pc, uint32_t seed) {
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 2, pc.h, pc.w));
    int y = oh_value(&c.t, "y");
    int nd = oh_node(&c.t, pc.op, (int[]){x}, 1, (int[]){y}, 1);
    if (pc.op == ET_OP_MAX_POOL || pc.op == ET_OP_AVERAGE_POOL) {
        et_node_set_attr_ints(c.t.g, nd, "kernel_shape", (int64_t[]){pc.k, pc.k}, 2);
        et_node_set_attr_ints(c.t.g, nd, "strides", (int64_t[]){pc.stride, pc.stride}, 2);
        et_node_set_attr_ints(c.t.g, nd, "pads", (int64_t[]){pc.pad, pc.pad, pc.pad, pc.pad}, 4);
        et_node_set_attr_int(c.t.g, nd, "ceil_mode", pc.ceil_mode);
        if (pc.op == ET_OP_AVERAGE_POOL)
            et_node_set_attr_int(c.t.g, nd, "count_include_pad", pc.include_pad);
    }
    if (pc.op == ET_OP_REDUCE_MEAN)
        et_node_set_attr_ints(c.t.g, nd, "axes", (int64_t[]){2, 3}, 2);
    oh_output(&c.t, y);
    if (!tc_build(&c, BATCH, ET_BN_RUNNING, seed)) {
        tc_free(&c);
        return 1;
    }
    /* distinct values at least 2/n apart: a maximum never changes under a perturbation of h */
    float *in = et_tnet_input(c.net, 0);
    int64_t n = BATCH * 2 * pc.h * pc.w;
    for (int64_t i = 0; i < n; i++)
        in[i] = -1.0f + 2.0f * (float)((i * 7919) % n) / (float)n;
    int bad = tc_check(&c, 1e-3f, ATOL, RTOL, false);
    tc_free(&c);
    return bad;
}

static void test_pooling(void) {
    ET_CHECK_INT(run_pool((pool_case){ET_OP_MAX_POOL, 7, 7, 3, 2, 1, 0, 0}, 80), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_MAX_POOL, 6, 6, 2, 2, 0, 0, 0}, 81), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_MAX_POOL, 8, 8, 3, 2, 0, 1, 0}, 82), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_AVERAGE_POOL, 6, 6, 2, 2, 0, 0, 0}, 83), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_AVERAGE_POOL, 5, 5, 3, 1, 1, 0, 1}, 84), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_AVERAGE_POOL, 5, 5, 3, 1, 1, 0, 0}, 85), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_AVERAGE_POOL, 8, 8, 3, 2, 1, 1, 1}, 86), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_GLOBAL_AVERAGE_POOL, 4, 5, 0, 0, 0, 0, 0}, 87), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_GLOBAL_MAX_POOL, 4, 5, 0, 0, 0, 0, 0}, 88), 0);
    ET_CHECK_INT(run_pool((pool_case){ET_OP_REDUCE_MEAN, 4, 5, 0, 0, 0, 0, 0}, 89), 0);
}

/* ---- Concat, Flatten, Softmax ------------------------------------------------------------------------------ */

static void test_concat_flatten(void) {
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 2, 3, 3));
    int w1 = tc_param(&c.t, "w1", SHAPE(3, 2, 1, 1), 0.7f, 91), w2 = tc_param(&c.t, "w2", SHAPE(2, 2, 3, 3), 0.4f, 92);
    int a = oh_value(&c.t, "a"), b = oh_value(&c.t, "b"), cat = oh_value(&c.t, "cat"), f = oh_value(&c.t, "f");
    int wf = tc_param(&c.t, "wf", SHAPE(4, 63), 0.3f, 93), y = oh_value(&c.t, "y");
    oh_node(&c.t, ET_OP_CONV, (int[]){x, w1}, 2, (int[]){a}, 1);
    int n2 = oh_node(&c.t, ET_OP_CONV, (int[]){x, w2}, 2, (int[]){b}, 1);
    et_node_set_attr_ints(c.t.g, n2, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    int nc = oh_node(&c.t, ET_OP_CONCAT, (int[]){a, b, x}, 3, (int[]){cat}, 1);
    et_node_set_attr_int(c.t.g, nc, "axis", 1);
    oh_node(&c.t, ET_OP_FLATTEN, (int[]){cat}, 1, (int[]){f}, 1);
    int ng = oh_node(&c.t, ET_OP_GEMM, (int[]){f, wf}, 2, (int[]){y}, 1);
    et_node_set_attr_int(c.t.g, ng, "transB", 1);
    oh_output(&c.t, y);
    ET_REQUIRE(tc_build(&c, BATCH, ET_BN_RUNNING, 94));
    ET_CHECK_INT(tc_check(&c, H, ATOL, RTOL, true), 0);
    tc_free(&c);
}

static int run_softmax(et_op op, int64_t opset, int64_t axis, uint32_t seed) {
    tc_case c = {.t = oh_new(opset)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 3, 2, 4));
    int y = oh_value(&c.t, "y"), z = oh_value(&c.t, "z");
    int nd = oh_node(&c.t, op, (int[]){x}, 1, (int[]){y}, 1);
    et_node_set_attr_int(c.t.g, nd, "axis", axis);
    float k = 1.5f; /* a step after it: a final Softmax is not a step of the network (losses take logits) */
    int kc = oh_const(&c.t, "k", ET_DT_F32, SCALAR_SHAPE, &k);
    oh_node(&c.t, ET_OP_MUL, (int[]){y, kc}, 2, (int[]){z}, 1);
    oh_output(&c.t, z);
    if (!tc_build(&c, BATCH, ET_BN_RUNNING, seed)) {
        tc_free(&c);
        return 1;
    }
    int bad = tc_check(&c, H, ATOL, RTOL, false);
    tc_free(&c);
    return bad;
}

static void test_softmax(void) {
    ET_CHECK_INT(run_softmax(ET_OP_SOFTMAX, 13, 1, 100), 0);
    ET_CHECK_INT(run_softmax(ET_OP_SOFTMAX, 13, -1, 101), 0);
    ET_CHECK_INT(run_softmax(ET_OP_SOFTMAX, 11, 1, 102), 0);
    ET_CHECK_INT(run_softmax(ET_OP_LOG_SOFTMAX, 13, 2, 103), 0);
    ET_CHECK_INT(run_softmax(ET_OP_LOG_SOFTMAX, 11, 2, 104), 0);
}

/* ---- a small network --------------------------------------------------------------------------------------- */

/* conv-BN-relu6 -> depthwise -> pointwise + residual -> GAP -> Flatten -> Gemm: the shapes of MobileNetV2 */
static void test_small_network(void) {
    for (int mode = 0; mode < 2; mode++) {
        tc_case c = {.t = oh_new(13)};
        int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 2, 6, 6));
        int w0 = tc_param(&c.t, "w0", SHAPE(4, 2, 3, 3), 0.5f, 111), b0 = tc_param(&c.t, "b0", SHAPE(4), 0.3f, 112);
        int wd = tc_param(&c.t, "wd", SHAPE(4, 1, 3, 3), 0.5f, 113),
            wp = tc_param(&c.t, "wp", SHAPE(4, 4, 1, 1), 0.5f, 114);
        int wf = tc_param(&c.t, "wf", SHAPE(5, 4), 0.5f, 115), bf = tc_param(&c.t, "bf", SHAPE(5), 0.3f, 116);
        float mean[4] = {0.1f, 0.0f, -0.1f, 0.2f}, var[4] = {1.0f, 0.6f, 1.2f, 0.9f};
        int sc = tc_param(&c.t, "bn.scale", SHAPE(4), 1.0f, 117), sh = tc_param(&c.t, "bn.shift", SHAPE(4), 0.5f, 118);
        int m = oh_const(&c.t, "bn.mean", ET_DT_F32, SHAPE(4), mean),
            v = oh_const(&c.t, "bn.var", ET_DT_F32, SHAPE(4), var);
        int z0 = oh_value(&c.t, "z0"), z1 = oh_value(&c.t, "z1"), z2 = oh_value(&c.t, "z2"), z3 = oh_value(&c.t, "z3");
        int z4 = oh_value(&c.t, "z4"), z5 = oh_value(&c.t, "z5"), z6 = oh_value(&c.t, "z6"), y = oh_value(&c.t, "y");
        int n0 = oh_node(&c.t, ET_OP_CONV, (int[]){x, w0, b0}, 3, (int[]){z0}, 1);
        et_node_set_attr_ints(c.t.g, n0, "pads", (int64_t[]){1, 1, 1, 1}, 4);
        oh_node(&c.t, ET_OP_BATCH_NORM, (int[]){z0, sc, sh, m, v}, 5, (int[]){z1}, 1);
        oh_node(&c.t, ET_OP_SIGMOID, (int[]){z1}, 1, (int[]){z2}, 1);
        int nd = oh_node(&c.t, ET_OP_CONV, (int[]){z2, wd}, 2, (int[]){z3}, 1);
        et_node_set_attr_ints(c.t.g, nd, "pads", (int64_t[]){1, 1, 1, 1}, 4);
        et_node_set_attr_int(c.t.g, nd, "group", 4);
        c.t.g->nodes[nd].act.kind = ET_ACT_TANH;
        oh_node(&c.t, ET_OP_CONV, (int[]){z3, wp}, 2, (int[]){z4}, 1);
        oh_node(&c.t, ET_OP_ADD, (int[]){z4, z2}, 2, (int[]){z5}, 1);
        oh_node(&c.t, ET_OP_GLOBAL_AVERAGE_POOL, (int[]){z5}, 1, (int[]){z6}, 1);
        int f = oh_value(&c.t, "f");
        oh_node(&c.t, ET_OP_FLATTEN, (int[]){z6}, 1, (int[]){f}, 1);
        int ng = oh_node(&c.t, ET_OP_GEMM, (int[]){f, wf, bf}, 3, (int[]){y}, 1);
        et_node_set_attr_int(c.t.g, ng, "transB", 1);
        oh_output(&c.t, y);
        ET_REQUIRE(tc_build(&c, BATCH, mode ? ET_BN_BATCH : ET_BN_RUNNING, 119));
        ET_CHECK_MSG(tc_check(&c, H, ATOL, RTOL, false) == 0, "BatchNorm mode %d", mode);
        tc_free(&c);
    }
}

static void test_unsupported_named(void) {
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, 4));
    int y = oh_value(&c.t, "y");
    oh_node(&c.t, ET_OP_ERF, (int[]){x}, 1, (int[]){y}, 1);
    oh_output(&c.t, y);
    et_err err = {0};
    ET_REQUIRE(oh_infer(&c.t, &err) == ET_OK);
    et_tnet_options o = et_tnet_options_default();
    et_status st = et_tnet_create(c.t.g, &o, &c.net, &err);
    ET_CHECK_INT(st, ET_E_UNSUPPORTED);
    ET_CHECK_MSG(strstr(err.msg, "Erf") && strstr(err.msg, "no backward"), "%s", err.msg);
    oh_free(&c.t);
}

int main(void) {
    ET_RUN(test_conv_3x3);
    ET_RUN(test_conv_strided);
    ET_RUN(test_conv_grouped);
    ET_RUN(test_conv_depthwise);
    ET_RUN(test_conv_depth_multiplier);
    ET_RUN(test_conv_pointwise);
    ET_RUN(test_conv_dilated);
    ET_RUN(test_conv_grid);
    ET_RUN(test_conv_fused_activation);
    ET_RUN(test_conv_large_image);
    ET_RUN(test_conv_1d);
    ET_RUN(test_gemm);
    ET_RUN(test_matmul);
    ET_RUN(test_batchnorm);
    ET_RUN(test_activations);
    ET_RUN(test_binary);
    ET_RUN(test_same_value_twice);
    ET_RUN(test_pooling);
    ET_RUN(test_concat_flatten);
    ET_RUN(test_softmax);
    ET_RUN(test_small_network);
    ET_RUN(test_unsupported_named);
    return et_test_done();
}
