/* test_qops.c: the quantized operators end to end in a plan: Quantize -> QConv [+ residual] -> Dequantize, and
 * Quantize -> QGemm -> Dequantize, over many shapes. The channels-last plan runs the NHWC operator layer
 * (qconv2d/qfc: the SIMD kernels of this CPU); the plan without the channels-last rewrite runs et.QConv, the
 * scalar reference. Both must give the same bytes, and stay within a few codes of float arithmetic.
 * With a table activation (QConv -> et.QLut, what tune emits for HardSwish, HardSigmoid and Sigmoid) the
 * channels-last plan folds the table into the convolution (fuse_nhwc.h): no et.QLut step may remain there, and
 * its bytes must equal the unfused reference plan's (et.QConv, then et.QLut) on every path (gemm, igemm,
 * depthwise, Winograd on the AVX2 path, column-split tiles) at 1 and 3 threads. */
#include "engine/kernels/qparams.h"
#include "engine/op.h"
#include "model/passes.h"
#include "model/quant_info.h"
#include "tune/qmath.h"
#include "tune_test.h"

static uint64_t rng = 12345;
static float frand(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)(rng >> 40) / (float)(1 << 23) - 1.0f;
}

typedef struct conv_case {
    int n, c, h, w, o, k, stride, pad, dil, group, bits;
    bool relu, residual;
    float amplitude;   /* inputs in [-a, a]; with scale 0.02, a > 2.5 saturates codes (0: 1) */
    et_act_kind table; /* an et.QLut after the convolution with this activation (ET_ACT_NONE: none) */
} conv_case;

static int add_input(et_graph *g, const char *name, const et_shape *s) {
    int v = et_graph_add_value(g, name, ET_VAL_INPUT, NULL);
    g->values[v].dtype = ET_DT_F32;
    g->values[v].shape = *s;
    int *ins = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof *ins);
    g->inputs = ins;
    g->inputs[g->n_inputs++] = v;
    return v;
}

static int quantized_weights(et_graph *g, int o, int per, int bits, const et_shape *shape) {
    float *w = malloc((size_t)(o * per) * sizeof *w), *scale = malloc((size_t)o * sizeof *scale);
    int32_t *zp = malloc((size_t)o * sizeof *zp);
    for (int i = 0; i < o * per; i++)
        w[i] = frand() * (1.0f + (float)(i / per % 3));
    int v = et_graph_add_const(g, "w", ET_DT_I8, shape, NULL, NULL);
    et_wq_config cfg = {.bits = bits, .symmetric = true, .per_channel = true};
    et_wview view = {.n_ch = o, .per_ch = per, .ch_stride = per, .el_stride = 1};
    et_quantize_weights(w, &view, &cfg, scale, zp, (int8_t *)g->values[v].data, NULL, NULL);
    float *qs;
    int32_t *qz;
    et_quant_info *qi = et_quant_info_new(g, o, &qs, &qz);
    memcpy(qs, scale, (size_t)o * sizeof *qs);
    qi->axis = 0;
    qi->value_bits = qi->storage_bits = bits;
    et_wq_range(bits, true, &qi->qmin, &qi->qmax);
    g->values[v].quant = qi;
    free(w), free(scale), free(zp);
    return v;
}

static int bias_i32(et_graph *g, int o) {
    int v = et_graph_add_const(g, "b", ET_DT_I32, &(et_shape){.rank = 1, .dim = {o}}, NULL, NULL);
    for (int i = 0; i < o; i++)
        ((int32_t *)g->values[v].data)[i] = (int32_t)(frand() * 3000);
    return v;
}

static int act_value(et_graph *g, const char *name, float scale, int zp) {
    int v = et_graph_add_value(g, name, ET_VAL_INTERMEDIATE, NULL);
    g->values[v].quant = et_quant_info_act(g, scale, zp);
    return v;
}

static bool infer_all(et_graph *g) {
    for (int i = 0; i < g->n_nodes; i++)
        if (et_op_impl_get(g->nodes[i].op)->infer(g, &g->nodes[i], NULL) != ET_OK)
            return false;
    et_graph_count_uses(g);
    return true;
}

/* Steps of op `op` ("et.QLut") in the plan of g. */
static int count_steps(const et_graph *g, bool channels_last, const char *op) {
    et_plan_options po = et_plan_options_default();
    po.channels_last = channels_last;
    et_plan *p = NULL;
    if (et_plan_create(g, &po, &p, NULL) != ET_OK)
        return -1;
    int count = 0;
    for (int i = 0; i < et_plan_get_stats(p).n_steps; i++) {
        et_step_info si;
        et_plan_step_info(p, i, &si);
        count += strcmp(si.op, op) == 0;
    }
    et_plan_free(p);
    return count;
}

static void run_conv_case(const conv_case *t) {
    et_graph *g = et_graph_new();
    g->opset = 13;
    int x = add_input(g, "x", &(et_shape){.rank = 4, .dim = {t->n, t->c, t->h, t->w}});
    int xq = act_value(g, "xq", 0.02f, -7), y = act_value(g, "yq", 0.05f + 0.01f * (float)t->k, 11);
    int cpg = t->c / t->group;
    int w = quantized_weights(g, t->o, cpg * t->k * t->k, t->bits,
                              &(et_shape){.rank = 4, .dim = {t->o, cpg, t->k, t->k}});
    int b = bias_i32(g, t->o);
    int node = et_graph_add_node(g, ET_OP_QUANTIZE, "q", &x, 1, &xq, 1, NULL);
    int ins[4] = {xq, w, b, -1}, n_ins = 3;
    int oh = (t->h + 2 * t->pad - t->dil * (t->k - 1) - 1) / t->stride + 1;
    int ow = (t->w + 2 * t->pad - t->dil * (t->k - 1) - 1) / t->stride + 1;
    if (t->residual) { /* a second input of the output's shape, quantized */
        int r = add_input(g, "r", &(et_shape){.rank = 4, .dim = {t->n, t->o, oh, ow}});
        int rq = act_value(g, "rq", 0.03f, 5);
        et_graph_add_node(g, ET_OP_QUANTIZE, "qr", &r, 1, &rq, 1, NULL);
        ins[3] = rq;
        n_ins = 4;
    }
    node = et_graph_add_node(g, ET_OP_QCONV, "conv", ins, n_ins, &y, 1, NULL);
    int64_t k2[2] = {t->k, t->k}, s2[2] = {t->stride, t->stride}, d2[2] = {t->dil, t->dil},
            p4[4] = {t->pad, t->pad, t->pad, t->pad};
    et_node_set_attr_ints(g, node, "kernel_shape", k2, 2);
    et_node_set_attr_ints(g, node, "strides", s2, 2);
    et_node_set_attr_ints(g, node, "dilations", d2, 2);
    et_node_set_attr_ints(g, node, "pads", p4, 4);
    et_node_set_attr_int(g, node, "group", t->group);
    if (t->relu)
        g->nodes[node].act.kind = ET_ACT_RELU;
    if (t->table != ET_ACT_NONE) { /* the conv writes its pre-activation value; the table writes y */
        int pre = y;
        y = act_value(g, "lutq", 1.0f / 40.0f, -20);
        int lut = et_graph_add_node(g, ET_OP_QLUT, "conv.lut", &pre, 1, &y, 1, NULL);
        g->nodes[lut].act = (et_activation){.kind = t->table};
        if (t->table == ET_ACT_HARD_SIGMOID)
            g->nodes[lut].act.alpha = 1.0f / 6.0f, g->nodes[lut].act.beta = 0.5f;
    }
    int out = et_graph_add_value(g, "out", ET_VAL_INTERMEDIATE, NULL);
    et_graph_add_node(g, ET_OP_DEQUANTIZE, "dq", &y, 1, &out, 1, NULL);
    g->outputs = malloc(sizeof(int));
    g->outputs[0] = out;
    g->n_outputs = 1;
    ET_REQUIRE(infer_all(g));
    et_calib_set in = tt_calib(g, 1, false);
    for (int s = 0; s < in.n_inputs && t->amplitude > 0; s++)
        for (int64_t e = 0; e < et_shape_numel(&in.sets[s].shape); e++)
            ((float *)in.sets[s].data)[e] *= t->amplitude;
    int64_t n = et_shape_numel(&g->values[out].shape);
    float *a = malloc((size_t)n * sizeof *a), *r = malloc((size_t)n * sizeof *r), *m = malloc((size_t)n * sizeof *m);
    ET_REQUIRE(tt_run(g, in.sets, true, 1, a, n) == n);
    ET_REQUIRE(tt_run(g, in.sets, false, 1, r, n) == n);
    ET_REQUIRE(tt_run(g, in.sets, true, 3, m, n) == n);
    int64_t diff = 0;
    for (int64_t i = 0; i < n; i++)
        diff += a[i] != r[i] || a[i] != m[i];
    ET_CHECK_MSG(diff == 0, "case c%d o%d k%d s%d p%d d%d g%d bits %d relu %d res %d table %d: %lld of %lld differ",
                 t->c, t->o, t->k, t->stride, t->pad, t->dil, t->group, t->bits, t->relu, t->residual, (int)t->table,
                 (long long)diff, (long long)n);
    if (t->table != ET_ACT_NONE) {
        ET_CHECK_MSG(count_steps(g, true, "et.QLut") == 0, "case c%d o%d k%d table %d: the table was not folded", t->c,
                     t->o, t->k, (int)t->table);
        ET_CHECK(count_steps(g, false, "et.QLut") == 1); /* the reference plan keeps it: the oracle is unfused */
    }
    free(a), free(r), free(m);
    tt_calib_free(&in);
    et_graph_free(g);
}

static void test_qconv_layouts_agree(void) {
    const conv_case cases[] = {
        {1, 16, 9, 9, 24, 1, 1, 0, 1, 1, 8, false, false, 0.0f, ET_ACT_NONE},   /* 1x1: gemm path */
        {2, 32, 8, 7, 40, 1, 1, 0, 1, 1, 8, true, true, 0.0f, ET_ACT_NONE},     /* 1x1 + residual + relu */
        {1, 3, 17, 15, 16, 3, 2, 1, 1, 1, 8, true, false, 0.0f, ET_ACT_NONE},   /* first-layer shape: igemm */
        {1, 24, 10, 10, 24, 3, 1, 1, 1, 24, 8, true, false, 0.0f, ET_ACT_NONE}, /* depthwise */
        {1, 48, 9, 9, 48, 3, 2, 1, 1, 48, 8, false, false, 0.0f, ET_ACT_NONE},  /* depthwise strided */
        {1, 64, 6, 6, 32, 3, 1, 2, 2, 1, 8, false, true, 0.0f, ET_ACT_NONE},    /* dilated + residual */
        {1, 16, 7, 7, 16, 3, 1, 1, 1, 4, 8, false, false, 0.0f, ET_ACT_NONE},   /* grouped */
        {1, 32, 8, 8, 33, 1, 1, 0, 1, 1, 4, false, false, 0.0f, ET_ACT_NONE},   /* 4-bit: nibble kernels */
        {1, 20, 8, 8, 17, 3, 1, 1, 1, 1, 4, true, true, 0.0f, ET_ACT_NONE},     /* 4-bit igemm + residual */
        {1, 32, 8, 8, 32, 1, 1, 0, 1, 1, 6, false, false, 0.0f, ET_ACT_NONE},   /* 6-bit */
        {1, 32, 8, 8, 32, 3, 1, 1, 1, 1, 2, true, false, 0.0f, ET_ACT_NONE},    /* 2-bit */
        {1, 24, 8, 8, 24, 3, 1, 1, 1, 24, 4, false, false, 0.0f, ET_ACT_NONE},  /* depthwise 4-bit */
        {1, 3, 17, 15, 16, 3, 2, 1, 1, 1, 4, true, false, 0.0f, ET_ACT_NONE},   /* first-layer shape, 4-bit */
        {1, 3, 32, 32, 16, 3, 2, 1, 1, 1, 4, false, false, 0.0f, ET_ACT_NONE},  /* first-layer shape, 4-bit, larger */
        {1, 3, 17, 15, 16, 3, 2, 1, 1, 1, 3, true, false, 0.0f, ET_ACT_NONE},   /* first-layer shape, 3-bit */
        {1, 16, 8, 8, 96, 1, 1, 0, 1, 1, 4, false, false, 0.0f, ET_ACT_NONE},   /* 1x1 4-bit, wide */
        {1, 3, 17, 15, 16, 3, 2, 1, 1, 1, 4, true, false, 6.0f, ET_ACT_NONE},   /* saturated input codes */
        {1, 3, 96, 96, 16, 3, 2, 1, 1, 1, 4, true, false, 3.0f, ET_ACT_NONE},   /* MobileNetV2-small's first layer */
        {1, 3, 96, 96, 32, 3, 2, 1, 1, 1, 4, true, false, 3.0f, ET_ACT_NONE},
        {1, 3, 17, 15, 16, 3, 2, 1, 1, 1, 8, true, false, 6.0f, ET_ACT_NONE},
        {1, 16, 8, 8, 24, 1, 1, 0, 1, 1, 4, false, false, 6.0f, ET_ACT_NONE},
        {1, 16, 8, 8, 24, 3, 1, 1, 1, 1, 8, false, true, 6.0f, ET_ACT_NONE},
        {1, 24, 8, 8, 24, 3, 1, 1, 1, 24, 8, false, false, 6.0f, ET_ACT_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_conv_case(&cases[i]);
}

static void test_qconv_table_fused(void) {
    const et_act_kind hs = ET_ACT_HARD_SWISH;
    const conv_case cases[] = {
        {1, 16, 12, 12, 24, 1, 1, 0, 1, 1, 8, false, false, 0.0f, hs},  /* 1x1, small K: gemm path */
        {2, 24, 9, 9, 72, 1, 1, 0, 1, 1, 8, false, false, 3.0f, hs},    /* two images, saturated codes */
        {1, 320, 7, 7, 1024, 1, 1, 0, 1, 1, 8, false, false, 0.0f, hs}, /* weights over L2: column blocks */
        {1, 3, 17, 15, 16, 3, 2, 1, 1, 1, 8, false, false, 0.0f, hs},   /* stem shape: igemm */
        {1, 72, 10, 10, 72, 3, 1, 1, 1, 72, 8, false, false, 0.0f, hs}, /* depthwise 3x3 with a tail */
        {1, 40, 9, 9, 40, 5, 2, 2, 1, 40, 8, false, false, 0.0f, hs},   /* depthwise 5x5 strided */
        {1, 32, 8, 8, 32, 1, 1, 0, 1, 1, 8, false, true, 0.0f, hs},     /* residual, then the table */
        {1, 32, 16, 16, 32, 3, 1, 1, 1, 1, 8, false, false, 0.0f, hs},  /* Winograd where chosen (AVX2 path) */
        {1, 32, 8, 8, 33, 1, 1, 0, 1, 1, 4, false, false, 0.0f, hs},    /* 4-bit nibble kernels */
        {1, 24, 8, 8, 40, 1, 1, 0, 1, 1, 8, false, false, 0.0f, ET_ACT_HARD_SIGMOID},
        {1, 24, 8, 8, 40, 3, 1, 1, 1, 1, 8, false, false, 0.0f, ET_ACT_SIGMOID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_conv_case(&cases[i]);
}

static void qgemm_case(int bits, int R, int K, int N) {
    {
        et_graph *g = et_graph_new();
        g->opset = 13;
        int x = add_input(g, "x", &(et_shape){.rank = 3, .dim = {1, R, K}});
        int xq = act_value(g, "xq", 0.02f, 3), y = act_value(g, "yq", 0.2f, -20);
        int w = quantized_weights(g, N, K, bits, &(et_shape){.rank = 2, .dim = {N, K}});
        int b = bias_i32(g, N);
        et_graph_add_node(g, ET_OP_QUANTIZE, "q", &x, 1, &xq, 1, NULL);
        int ins[3] = {xq, w, b};
        int node = et_graph_add_node(g, ET_OP_QGEMM, "fc", ins, 3, &y, 1, NULL);
        g->nodes[node].act.kind = ET_ACT_CLIP;
        g->nodes[node].act.alpha = 0.0f, g->nodes[node].act.beta = 6.0f;
        int out = et_graph_add_value(g, "out", ET_VAL_INTERMEDIATE, NULL);
        et_graph_add_node(g, ET_OP_DEQUANTIZE, "dq", &y, 1, &out, 1, NULL);
        g->outputs = malloc(sizeof(int));
        g->outputs[0] = out;
        g->n_outputs = 1;
        ET_REQUIRE(infer_all(g));
        ET_CHECK(g->values[out].shape.rank == 3 && g->values[out].shape.dim[2] == N);
        /* against a direct integer computation from the codes */
        et_calib_set in = tt_calib(g, 1, false);
        float *got = malloc((size_t)(R * N) * sizeof *got);
        ET_REQUIRE(tt_run(g, in.sets, true, 2, got, R * N) == R * N);
        const float *xf = in.sets[0].data;
        const int8_t *wq = g->values[w].data;
        const int32_t *bq = g->values[b].data;
        const et_quant_info *wi = g->values[w].quant;
        int worst = 0;
        for (int r = 0; r < R; r++)
            for (int j = 0; j < N; j++) {
                int32_t acc = bq[j];
                for (int k = 0; k < K; k++)
                    acc += (et_quantize_f32(xf[r * K + k], 0.02f, 3) - 3) * wq[j * K + k];
                float f = (float)acc * et_qs8_requant_scale(0.02f, wi->scale[j], 0.2f);
                f = fminf(fmaxf(f, 0.0f), 30.0f); /* Clip [0, 6] at scale 0.2: codes [zp, zp + 30] */
                int want = (int)lrintf(f) - 20;
                int have = (int)lrintf(got[r * N + j] / 0.2f) - 20;
                worst = abs(want - have) > worst ? abs(want - have) : worst;
            }
        ET_CHECK_MSG(worst == 0, "bits %d, %dx%dx%d: %d codes off", bits, R, K, N, worst);
        free(got);
        tt_calib_free(&in);
        et_graph_free(g);
    }
}

static void test_qgemm_layouts_agree(void) {
    for (int bits = 4; bits <= 8; bits += 2) {
        qgemm_case(bits, 10, 37, 19);
        qgemm_case(bits, 1, 1280, 10);
        qgemm_case(bits, 3, 320, 33);
    }
}

int main(void) {
    ET_RUN(test_qconv_layouts_agree);
    ET_RUN(test_qconv_table_fused);
    ET_RUN(test_qgemm_layouts_agree);
    return et_test_done();
}
