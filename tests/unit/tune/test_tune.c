/* test_tune.c: et_tune_apply on fixture models: the pristine graph is never touched, transforms are
 * reproducible (8 -> 4 -> 8 bits gives the same bytes), pruning removes exactly what it says, N:M groups hold,
 * the first and last layers stay fp32 by default, and the int8 graph runs in both layouts with the same result
 * and close to fp32. */
#include "model/quant_info.h"
#include "tune_test.h"

static et_graph *derive(const et_graph *p, const et_knobs *k, const et_calib_set *cal, et_tune_report *rep) {
    et_graph *out = NULL;
    et_err err = {0};
    et_tune_options o = et_tune_options_default();
    o.speed_guard = false;
    if (et_tune_apply_ex(p, k, cal, &o, &out, rep, &err) != ET_OK)
        fprintf(stderr, "tune: %s\n", err.msg);
    return out;
}

static void test_reproducible_and_pristine(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cal = tt_calib(m->graph, 2, false);
    uint64_t pristine = tt_consts_hash(m->graph);
    for (int act = 32; act >= 8; act -= 24) {
        et_knobs k = et_knobs_default();
        k.act_bits = act;
        k.force_int8 = true;
        k.prune_ratio = 0.3f;
        et_tune_report rep;
        k.weight_bits = 8;
        et_graph *a = derive(m->graph, &k, &cal, &rep);
        k.weight_bits = 4;
        et_graph *b = derive(m->graph, &k, &cal, &rep);
        k.weight_bits = 8;
        et_graph *c = derive(m->graph, &k, &cal, &rep);
        ET_REQUIRE(a && b && c);
        ET_CHECK(tt_consts_hash(a) == tt_consts_hash(c));
        ET_CHECK(tt_consts_hash(a) != tt_consts_hash(b));
        ET_CHECK(tt_consts_hash(m->graph) == pristine);
        et_graph_free(a), et_graph_free(b), et_graph_free(c);
    }
    tt_calib_free(&cal);
    et_model_free(m);
}

/* weight tensors of the weight layers, in node order */
static int layer_weights(const et_graph *g, int *w, int max) {
    int n = 0;
    for (int i = 0; i < g->n_nodes && n < max; i++) {
        const et_node *nd = &g->nodes[i];
        if ((nd->op == ET_OP_CONV || nd->op == ET_OP_GEMM || nd->op == ET_OP_MATMUL) && nd->n_inputs > 1 &&
            g->values[nd->inputs[1]].kind == ET_VAL_CONST && g->values[nd->inputs[1]].dtype == ET_DT_F32)
            w[n++] = nd->inputs[1];
    }
    return n;
}

/* Element i of a float constant (model data may be unaligned: read bytes). */
static float fat(const et_value *v, int64_t i) {
    float f;
    memcpy(&f, (const char *)v->data + 4 * i, sizeof f);
    return f;
}

static int64_t zeros_of(const et_value *v) {
    int64_t z = 0, n = et_shape_numel(&v->shape);
    for (int64_t i = 0; i < n; i++)
        z += fat(v, i) == 0.0f;
    return z;
}

static void test_unstructured_counts_and_edges(void) {
    et_model *m = tt_load("models/resnet_small.onnx");
    ET_REQUIRE(m);
    int pw[256], tw[256];
    int np = layer_weights(m->graph, pw, 256);
    ET_REQUIRE(np >= 3);
    for (int all = 0; all < 2; all++) {
        et_knobs k = et_knobs_default();
        k.prune_ratio = 0.6f;
        k.quantize_all = all;
        et_tune_report rep;
        et_graph *t = derive(m->graph, &k, NULL, &rep);
        ET_REQUIRE(t);
        int nt = layer_weights(t, tw, 256);
        ET_REQUIRE(nt == np);
        for (int l = 0; l < np; l++) {
            const et_value *a = &m->graph->values[pw[l]], *b = &t->values[tw[l]];
            int64_t n = et_shape_numel(&a->shape), z0 = zeros_of(a), z1 = zeros_of(b);
            bool edge = l == 0 || l == np - 1;
            if (edge && !all) {
                ET_CHECK(z1 == z0 && memcmp(a->data, b->data, a->nbytes) == 0);
                continue;
            }
            int64_t k6 = (int64_t)(0.6 * (double)n);
            ET_CHECK_MSG(z1 >= k6 && z1 <= k6 + z0, "layer %d: %lld zeros of %lld", l, (long long)z1, (long long)n);
            /* every zeroed weight is no larger than every kept one */
            float max_cut = 0, min_kept = INFINITY;
            for (int64_t i = 0; i < n; i++) {
                float x = fabsf(fat(a, i)), y = fat(b, i);
                if (y == 0.0f)
                    max_cut = fmaxf(max_cut, x);
                else {
                    min_kept = fminf(min_kept, x);
                    ET_CHECK(y == fat(a, i));
                }
            }
            ET_CHECK(max_cut <= min_kept);
        }
        ET_CHECK(rep.n_pruned_layers == (all ? np : np - 2));
        ET_CHECK(rep.sparsity >= 0.59 && rep.sparsity < 0.62);
        ET_CHECK((strstr(rep.notes, "first and last layer kept fp32") != NULL) == !all);
        et_graph_free(t);
    }
    et_model_free(m);
}

static void test_global_and_nm(void) {
    et_model *m = tt_load("models/resnet_small.onnx");
    ET_REQUIRE(m);
    int pw[256], tw[256];
    int np = layer_weights(m->graph, pw, 256);
    et_knobs k = et_knobs_default();
    k.prune_ratio = 0.5f;
    k.prune_method = ET_PRUNE_GLOBAL;
    k.quantize_all = true;
    et_tune_report rep;
    et_graph *t = derive(m->graph, &k, NULL, &rep);
    ET_REQUIRE(t && layer_weights(t, tw, 256) == np);
    float max_cut = 0, min_kept = INFINITY;
    int64_t zeros = 0, total = 0;
    for (int l = 0; l < np; l++) {
        const et_value *a = &m->graph->values[pw[l]], *b = &t->values[tw[l]];
        int64_t n = et_shape_numel(&a->shape);
        total += n;
        for (int64_t i = 0; i < n; i++) {
            float x = fabsf(fat(a, i));
            if (fat(b, i) == 0.0f)
                max_cut = fmaxf(max_cut, x), zeros++;
            else
                min_kept = fminf(min_kept, x);
        }
    }
    ET_CHECK(max_cut <= min_kept); /* one threshold for every layer */
    ET_CHECK(zeros >= total / 2);
    et_graph_free(t);

    k.prune_method = ET_PRUNE_NM;
    for (int variant = 0; variant < 2; variant++) {
        k.nm_n = variant ? 1 : 2;
        k.nm_m = 4;
        t = derive(m->graph, &k, NULL, &rep);
        ET_REQUIRE(t && layer_weights(t, tw, 256) == np);
        for (int i = 0; i < t->n_nodes; i++) {
            const et_node *nd = &t->nodes[i];
            if (nd->op != ET_OP_CONV || et_node_attr_int(nd, "group", 1) != 1)
                continue;
            const et_value *w = &t->values[nd->inputs[1]];
            int64_t O = w->shape.dim[0], C = w->shape.dim[1], ks = w->shape.dim[2] * w->shape.dim[3];
            const float *d = w->data;
            for (int64_t o = 0; o < O; o++)
                for (int64_t kp = 0; kp < ks; kp++)
                    for (int64_t c0 = 0; c0 + 4 <= C; c0 += 4) {
                        int nz = 0;
                        for (int64_t c = c0; c < c0 + 4; c++)
                            nz += d[(o * C + c) * ks + kp] != 0.0f;
                        ET_CHECK(nz <= k.nm_n);
                    }
        }
        ET_CHECK(rep.sparsity >= 1.0 - (double)k.nm_n / 4.0 - 0.01);
        et_graph_free(t);
    }
    et_model_free(m);
}

/* int8 graphs: operators present, same output in both layouts, close to fp32 */
static void check_int8_model_bits(const char *rel, int bits, double min_cos, bool expect_qadd, bool expect_concat,
                                  bool exact_layouts) {
    et_model *m = tt_load(rel);
    ET_REQUIRE(m);
    et_calib_set cal = tt_calib(m->graph, 4, false);
    et_knobs k = et_knobs_default();
    k.weight_bits = bits;
    k.act_bits = 8;
    k.quantize_all = true;
    k.force_int8 = true;
    et_tune_report rep;
    et_graph *t = derive(m->graph, &k, &cal, &rep);
    ET_REQUIRE(t);
    int nq = tt_count_op(t, ET_OP_QCONV) + tt_count_op(t, ET_OP_QGEMM);
    ET_CHECK_MSG(nq == rep.n_quantized_layers && nq > 0, "%s: %d int8 layers, report %d", rel, nq,
                 rep.n_quantized_layers);
    ET_CHECK(tt_count_op(t, ET_OP_QUANTIZE) >= 1 && tt_count_op(t, ET_OP_DEQUANTIZE) >= 1);
    if (expect_qadd) { /* skip connections fold into the convolutions: no float Add is left */
        int fused = 0;
        for (int i = 0; i < t->n_nodes; i++)
            fused += t->nodes[i].op == ET_OP_QCONV && t->nodes[i].n_inputs == 4 && t->nodes[i].inputs[3] >= 0;
        ET_CHECK_MSG(fused > 0, "%s: no residual folded into an int8 convolution", rel);
        ET_CHECK_MSG(tt_count_op(t, ET_OP_ADD) == 0, "%s: %d float adds left", rel, tt_count_op(t, ET_OP_ADD));
    }
    if (expect_concat) {
        int c8 = 0;
        for (int i = 0; i < t->n_nodes; i++)
            c8 += t->nodes[i].op == ET_OP_CONCAT && t->values[t->nodes[i].outputs[0]].dtype == ET_DT_I8;
        ET_CHECK_MSG(c8 > 0, "%s: no int8 concat", rel);
    }
    for (int i = 0; i < t->n_values; i++) /* every int8 activation has a scale */
        if (t->values[i].dtype == ET_DT_I8)
            ET_CHECK(t->values[i].quant && t->values[i].quant->scale[0] > 0);
    enum { MAXN = 1 << 16 };
    float *base = malloc(MAXN * sizeof(float)), *nhwc = malloc(MAXN * sizeof(float)),
          *nchw = malloc(MAXN * sizeof(float)), *thr = malloc(MAXN * sizeof(float));
    int64_t n0 = tt_run(m->graph, &cal.sets[0], true, 1, base, MAXN);
    int64_t n1 = tt_run(t, &cal.sets[0], true, 1, nhwc, MAXN);
    int64_t n2 = tt_run(t, &cal.sets[0], false, 1, nchw, MAXN);
    int64_t n3 = tt_run(t, &cal.sets[0], true, 3, thr, MAXN);
    ET_REQUIRE(n0 > 0 && n0 <= MAXN && n1 == n0 && n2 == n0 && n3 == n0);
    /* the int8 operators compute the same integers in both layouts and with threads; float operators between
     * int8 regions (pooling, softmax) may round differently per layout, and a requantization can then move by
     * one code: exact where only exact float operators sit between (digits: MaxPool) */
    ET_CHECK_MSG(memcmp(nhwc, thr, (size_t)n0 * sizeof(float)) == 0, "%s: threads differ", rel);
    if (exact_layouts)
        ET_CHECK_MSG(memcmp(nhwc, nchw, (size_t)n0 * sizeof(float)) == 0, "%s: layouts differ", rel);
    ET_CHECK_MSG(tt_cosine(nhwc, nchw, n0) > 0.999, "%s: layouts differ: %.6f", rel, tt_cosine(nhwc, nchw, n0));
    double cs = tt_cosine(base, nhwc, n0);
    ET_CHECK_MSG(cs >= min_cos, "%s: cosine to fp32 %.5f", rel, cs);
    free(base), free(nhwc), free(nchw), free(thr);
    et_graph_free(t);
    tt_calib_free(&cal);
    et_model_free(m);
}

static void check_int8_model(const char *rel, double min_cos, bool expect_qadd, bool expect_concat,
                             bool exact_layouts) {
    check_int8_model_bits(rel, 8, min_cos, expect_qadd, expect_concat, exact_layouts);
}

static void test_int8_models(void) {
    check_int8_model_bits("models/mobilenetv2_small.onnx", 4, 0.5, true, false, false);
    check_int8_model_bits("models/digits.onnx", 4, 0.99, false, false, true);
    check_int8_model("models/digits.onnx", 0.999, false, false, true);
    check_int8_model("models/mobilenetv2_small.onnx", 0.95, true, false, false);
    check_int8_model("models/resnet_small.onnx", 0.98, true, false, false);
    check_int8_model("models/squeezenet_small.onnx", 0.98, false, true, false);
    check_int8_model("models/transformer_tiny.onnx", 0.98, false, false, false);
}

/* Layers with a fused HardSwish / HardSigmoid run int8 with the activation as an et.QLut table (MobileNetV3): no
 * such layer is left in float32, each table follows an int8 layer without activation, and the graph stays close
 * to fp32 (check_int8_model runs it in both layouts and with threads). */
static void test_int8_tables(void) {
    check_int8_model("models/mobilenetv3_small.onnx", 0.95, false, false, false);
    et_model *m = tt_load("models/mobilenetv3_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cal = tt_calib(m->graph, 4, false);
    et_knobs k = et_knobs_default();
    k.act_bits = 8;
    k.weight_bits = 8;
    k.quantize_all = true;
    k.force_int8 = true;
    et_tune_report rep;
    et_graph *t = derive(m->graph, &k, &cal, &rep);
    ET_REQUIRE(t);
    int luts = 0, float_tables = 0;
    for (int i = 0; i < t->n_nodes; i++) {
        const et_node *n = &t->nodes[i];
        if (n->dead)
            continue;
        if (n->op == ET_OP_QLUT) {
            luts++;
            const int p = t->values[n->inputs[0]].producer;
            ET_CHECK(p >= 0 && (t->nodes[p].op == ET_OP_QCONV || t->nodes[p].op == ET_OP_QGEMM) &&
                     t->nodes[p].act.kind == ET_ACT_NONE);
            ET_CHECK(t->values[n->inputs[0]].dtype == ET_DT_I8 && t->values[n->outputs[0]].dtype == ET_DT_I8);
        }
        if (n->op == ET_OP_CONV && (n->act.kind == ET_ACT_HARD_SWISH || n->act.kind == ET_ACT_HARD_SIGMOID))
            float_tables++;
    }
    ET_CHECK_MSG(luts > 0, "no et.QLut in the int8 MobileNetV3");
    /* squeeze-excitation blocks stay int8: their pooling and channel scaling are int8 operators, and the only
     * conversions left are around the first and last layers (kept fp32 here by the fixture's float head) */
    ET_CHECK_MSG(tt_count_op(t, ET_OP_QGAP) > 0 && tt_count_op(t, ET_OP_QMUL) > 0, "SE blocks: %d et.QGap, %d et.QMul",
                 tt_count_op(t, ET_OP_QGAP), tt_count_op(t, ET_OP_QMUL));
    ET_CHECK_MSG(tt_count_op(t, ET_OP_MUL) == 0 && tt_count_op(t, ET_OP_GLOBAL_AVERAGE_POOL) == 0,
                 "%d float Mul, %d float GlobalAveragePool left", tt_count_op(t, ET_OP_MUL),
                 tt_count_op(t, ET_OP_GLOBAL_AVERAGE_POOL));
    ET_CHECK_MSG(float_tables == 0, "%d float convolutions with HardSwish/HardSigmoid left", float_tables);
    et_graph_free(t);
    tt_calib_free(&cal);
    et_model_free(m);
}

static void test_report_exec_and_sizes(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cal = tt_calib(m->graph, 2, false);
    int64_t sizes[4];
    int bits[4] = {32, 8, 5, 4};
    for (int i = 0; i < 4; i++) {
        et_knobs k = et_knobs_default();
        k.weight_bits = bits[i];
        et_tune_report rep;
        et_graph *t = derive(m->graph, &k, &cal, &rep);
        ET_REQUIRE(t);
        sizes[i] = rep.weights_deploy_bytes;
        ET_CHECK_STR(rep.exec, bits[i] == 32 ? "native" : "simulated");
        et_graph_free(t);
        if (bits[i] == 32)
            continue;
        k.act_bits = 8;
        k.force_int8 = true;
        t = derive(m->graph, &k, &cal, &rep);
        ET_REQUIRE(t);
        ET_CHECK_STR(rep.exec, bits[i] == 8 || bits[i] == 4 ? "native" : "simulated"); /* qc4: native int4 */
        ET_CHECK(strstr(rep.notes, "calibration: test sets") != NULL);
        et_graph_free(t);
    }
    ET_CHECK(sizes[0] > sizes[1] && sizes[1] > sizes[2] && sizes[2] > sizes[3]);
    /* bad combinations are named */
    et_knobs k = et_knobs_default();
    k.act_bits = 8;
    k.weight_bits = 8;
    k.symmetric = false;
    et_graph *t = NULL;
    et_err err = {0};
    et_tune_report rep;
    ET_CHECK(et_tune_apply(m->graph, &k, &cal, &t, &rep, &err) == ET_E_USAGE && !t);
    ET_CHECK(strstr(err.msg, "--asymmetric") != NULL);
    tt_calib_free(&cal);
    et_model_free(m);
}

static void test_guard_cache(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cal = tt_calib(m->graph, 2, false);
    et_tune_cache *cache = et_tune_cache_new();
    et_tune_options o = et_tune_options_default();
    o.cache = cache;
    et_knobs k = et_knobs_default();
    k.weight_bits = 8;
    k.act_bits = 8;
    et_tune_report r1, r2;
    et_graph *a = NULL, *b = NULL;
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k, &cal, &o, &a, &r1, NULL) == ET_OK);
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k, &cal, &o, &b, &r2, NULL) == ET_OK);
    ET_CHECK(r1.guard_ms > 0 && r2.guard_ms < r1.guard_ms); /* decided once */
    ET_CHECK(r2.calib_ms < r1.calib_ms || r1.calib_ms < 1.0);
    ET_CHECK(a->n_nodes == b->n_nodes && r1.n_quantized_layers == r2.n_quantized_layers);
    ET_CHECK(tt_consts_hash(a) == tt_consts_hash(b));
    ET_CHECK_STR(r1.notes, r2.notes);
    et_graph_free(a), et_graph_free(b);
    et_tune_cache_free(cache);
    tt_calib_free(&cal);
    et_model_free(m);
}

/* Channel pruning removes channels; zeroing the same channels' uses instead must compute the same outputs. */
static void check_channel_pruning(const char *rel, bool expect_shrink) {
    et_model *m = tt_load(rel);
    ET_REQUIRE(m);
    et_calib_set in = tt_calib(m->graph, 1, true);
    et_knobs k = et_knobs_default();
    k.prune_ratio = 0.5f;
    k.prune_method = ET_PRUNE_CHANNEL;
    k.quantize_all = true;
    et_tune_options o = et_tune_options_default();
    et_tune_report r1, r2;
    et_graph *shrunk = NULL, *zeroed = NULL;
    et_err err = {0};
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k, NULL, &o, &shrunk, &r1, &err) == ET_OK);
    o.prune_zero_only = true;
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k, NULL, &o, &zeroed, &r2, &err) == ET_OK);
    enum { MAXN = 1 << 18 };
    float *a = malloc(MAXN * sizeof(float)), *b = malloc(MAXN * sizeof(float));
    int64_t na = tt_run(shrunk, in.sets, true, 1, a, MAXN), nb = tt_run(zeroed, in.sets, true, 1, b, MAXN);
    ET_REQUIRE(na > 0 && na == nb && na <= MAXN);
    double worst = 0, peak = 0;
    for (int64_t i = 0; i < na; i++) {
        worst = fmax(worst, fabs((double)a[i] - b[i]));
        peak = fmax(peak, fabs((double)b[i]));
    }
    ET_CHECK_MSG(worst <= 1e-4 * peak + 1e-6, "%s: shrunk and zeroed differ by %g (peak %g)", rel, worst, peak);
    if (expect_shrink) {
        ET_CHECK_MSG(r1.params_after < r1.params_before * 0.75, "%s: %lld -> %lld weights", rel,
                     (long long)r1.params_before, (long long)r1.params_after);
        ET_CHECK(et_graph_macs(shrunk) < et_graph_macs(m->graph));
        ET_CHECK(r1.n_pruned_layers > 0 && r1.sparsity > 0.25);
    }
    free(a), free(b);
    et_graph_free(shrunk), et_graph_free(zeroed);
    tt_calib_free(&in);
    et_model_free(m);
}

static void test_channel_pruning(void) {
    check_channel_pruning("models/digits.onnx", true);
    check_channel_pruning("models/mobilenetv2_small.onnx", true);
    check_channel_pruning("models/mobilenetv3_small.onnx", true);
    check_channel_pruning("models/resnet_small.onnx", true);
    check_channel_pruning("models/squeezenet_small.onnx", true);
    check_channel_pruning("models/fpn_resize.onnx", false);
    check_channel_pruning("models/transformer_tiny.onnx", false);
    check_channel_pruning("models/bn_unfused.onnx", false);
}

/* Unstructured 90 %: the plan runs the layers the report names on the sparse kernels, with the dense result. */
static void test_sparse_kernels_run(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_knobs k = et_knobs_default();
    k.prune_ratio = 0.9f;
    k.quantize_all = true;
    et_tune_report rep;
    et_graph *t = derive(m->graph, &k, NULL, &rep);
    ET_REQUIRE(t);
    int predicted = -1, total = -1;
    const char *at = strstr(rep.notes, "sparse kernels for ");
    ET_REQUIRE(at && sscanf(at, "sparse kernels for %d of %d", &predicted, &total) == 2);
    et_plan *p = NULL;
    ET_REQUIRE(et_plan_create(t, NULL, &p, NULL) == ET_OK);
    int spmm = 0;
    for (int i = 0; i < et_plan_get_stats(p).n_steps; i++) {
        et_step_info si;
        et_plan_step_info(p, i, &si);
        spmm += strstr(si.kernel, "spmm") != NULL;
    }
    et_plan_free(p);
    ET_CHECK_MSG(spmm == predicted && spmm > 0, "report says %d, the plan runs %d sparse layers", predicted, spmm);
    et_calib_set in = tt_calib(m->graph, 1, true);
    float a[64], b[64];
    int64_t na = tt_run(t, in.sets, true, 1, a, 64), nb = tt_run(t, in.sets, false, 1, b, 64);
    ET_REQUIRE(na > 0 && na == nb);
    ET_CHECK(tt_cosine(a, b, na) > 0.99999); /* sparse (channels-last) against the dense reference (NCHW) */
    tt_calib_free(&in);
    et_graph_free(t);
    et_model_free(m);
}

int main(void) {
    ET_RUN(test_sparse_kernels_run);
    ET_RUN(test_channel_pruning);
    ET_RUN(test_reproducible_and_pristine);
    ET_RUN(test_unstructured_counts_and_edges);
    ET_RUN(test_global_and_nm);
    ET_RUN(test_int8_models);
    ET_RUN(test_int8_tables);
    ET_RUN(test_report_exec_and_sizes);
    ET_RUN(test_guard_cache);
    return et_test_done();
}
