/* qgraph.c: the rewrite of full int8 (act-bits 8; quantize_int8.c runs it after calibration and the speed guard):
 * the float graph becomes int8 regions joined to float32 by et.Quantize and et.Dequantize.
 *
 * Which operators run int8, and how the others run on quantized tensors:
 *   Conv (2-D, fused none/Relu/Clip)   et.QConv (-> et.QConvNhwc in the plan): int8 x int8, int32 accumulation,
 *                                      requantized to int8 with the output's calibrated scale
 *   Gemm (transA 0, alpha = beta = 1), MatMul with a constant B
 *                                      et.QGemm, same arithmetic
 *   Add of a quantized Conv's output (no activation, no other user) and an earlier int8 tensor, and a
 *   Relu/Clip right after it           folded into that et.QConv as its residual input and activation (the add
 *                                      happens in the requantization: ResNet and MobileNetV2 skip connections)
 *   other Adds of two int8 tensors of one shape (and a Relu/Clip after)
 *                                      et.QAdd
 *   Conv or Gemm with a fused HardSwish, HardSigmoid or Sigmoid
 *                                      the int8 layer with no activation, writing int8 on the range where the
 *                                      activation is not flat (HardSwish [-3, its inverse at the output's max],
 *                                      HardSigmoid [-beta/alpha, (1-beta)/alpha], Sigmoid the logits of the
 *                                      output's range), then et.QLut: the activation as a 256-entry table
 *   Mul of two int8 tensors, one of them output-sized (the squeeze-excitation channel scaling)
 *                                      et.QMul (broadcasting; a Relu/Clip after it folds in)
 *   GlobalAveragePool of an int8 tensor
 *                                      et.QGap (int32 sums, requantized to the output's scale)
 *   Concat whose inputs all come from int8 operators used only by it
 *                                      plain Concat on int8 bytes: the producers write with the concat's scale
 *   everything else (windowed pooling, Flatten/Reshape, Softmax, a standalone Sigmoid, other Muls...)
 *                                      float32: an et.Dequantize before it and an et.Quantize after where an int8
 *                                      operator follows; the float value keeps its name, so graph outputs are
 *                                      always float32
 * Activations: int8 asymmetric per tensor from the calibrated range; weights: symmetric, per channel (or one
 * scale with --granularity tensor), at the knob's bits (values clamped to +-(2^(bits-1)-1)); bias int32.
 * The first and last weight layers stay float32 unless --quantize-all; layers the speed guard measured slower in
 * int8 stay float32 too (speed_guard.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "model/quant_info.h"
#include "tune/tune_internal.h"

enum { K_FP32, K_QCONV, K_QGEMM, K_QADD, K_QCONCAT, K_QMUL, K_QGAP, K_ABSORBED };


static bool clamp_act(et_act_kind a) { return a == ET_ACT_NONE || a == ET_ACT_RELU || a == ET_ACT_CLIP; }

/* An activation that runs as an et.QLut after the int8 layer. */
static bool table_act(const et_activation *a) {
    return a->kind == ET_ACT_HARD_SWISH || a->kind == ET_ACT_SIGMOID ||
           (a->kind == ET_ACT_HARD_SIGMOID && a->alpha > 0.0f);
}

/* The input range [*lo, *hi] of table activation a that matters for an output range [y_lo, y_hi]: where a is
 * flat (HardSwish below -3, HardSigmoid outside its ramp) clamping loses nothing; above, the output's max bounds
 * it (HardSwish is increasing there; HardSigmoid's ramp inputs of the output's calibrated range, since the output
 * is clamped to that range anyway: a squeeze-excitation gate's steps are then as fine as its own; Sigmoid's logits
 * of the output's range, kept within 1/512 of 0 and 1). */
static void table_act_input_range(const et_activation *a, float y_lo, float y_hi, float *lo, float *hi) {
    switch (a->kind) {
    case ET_ACT_HARD_SWISH:
        *lo = -3.0f;
        *hi = y_hi >= 3.0f ? y_hi : y_hi > 0.0f ? (-3.0f + sqrtf(9.0f + 24.0f * y_hi)) / 2.0f : 0.0f;
        break;
    case ET_ACT_HARD_SIGMOID: { /* the ramp's inputs that give the output's range (increasing: exact) */
        const float l = y_lo > 0.0f ? (y_lo < 1.0f ? y_lo : 1.0f) : 0.0f,
                    h = y_hi < 1.0f ? (y_hi > 0.0f ? y_hi : 0.0f) : 1.0f;
        *lo = (l - a->beta) / a->alpha;
        *hi = (h - a->beta) / a->alpha;
        if (*hi - *lo < 1e-3f)
            *hi = *lo + 1e-3f;
        break;
    }
    default: { /* sigmoid */
        const float e = 1.0f / 512.0f;
        const float l = y_lo < e ? e : y_lo > 1.0f - e ? 1.0f - e : y_lo;
        const float h = y_hi < e ? e : y_hi > 1.0f - e ? 1.0f - e : y_hi;
        *lo = logf(l / (1.0f - l));
        *hi = logf(h / (1.0f - h));
        if (*hi - *lo < 1e-3f)
            *hi = *lo + 1e-3f;
    }
    }
}

static bool ranged(const float *lo, const float *hi, int v) { return v >= 0 && !isnan(lo[v]) && !isnan(hi[v]); }

static bool is_q(int kind) {
    return kind == K_QCONV || kind == K_QGEMM || kind == K_QADD || kind == K_QCONCAT || kind == K_QMUL ||
           kind == K_QGAP;
}

/* Why node n cannot be an int8 layer, or NULL when it can. */
static const char *unsupported_why(const et_graph *g, const et_node *n, const float *lo, const float *hi) {
    if (!clamp_act(n->act.kind) && !table_act(&n->act))
        return "its fused activation has no int8 form";
    const et_value *x = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1);
    if (!ranged(lo, hi, n->inputs[0]) || !ranged(lo, hi, n->outputs[0]))
        return "no calibrated range";
    switch (n->op) {
    case ET_OP_CONV:
        if (x->shape.rank != 4 || w->shape.rank != 4)
            return "not a 2-D convolution";
        if (n->n_inputs > 2 && n->inputs[2] >= 0 && g->values[n->inputs[2]].kind != ET_VAL_CONST)
            return "its bias is not a constant";
        return NULL;
    case ET_OP_GEMM: {
        const et_value *cv = et_node_cin(g, n, 2);
        if (et_node_attr_float(n, "alpha", 1.0f) != 1.0f || (cv && et_node_attr_float(n, "beta", 1.0f) != 1.0f))
            return "alpha or beta is not 1";
        int64_t nn = w->shape.dim[et_node_attr_int(n, "transB", 0) ? 0 : 1];
        if (cv && (cv->kind != ET_VAL_CONST || cv->dtype != ET_DT_F32 || et_shape_numel(&cv->shape) != nn))
            return "its C is not a per-feature constant";
        return NULL;
    }
    case ET_OP_MATMUL: return NULL;
    default: return "not a weight layer";
    }
}

typedef struct rw {
    et_tune_ctx *c;
    et_graph *g;
    const float *lo, *hi;
    int *qv; /* per original value: its int8 twin, or -1 */
    int n_orig;
    float *range_lo, *range_hi; /* per original value: the range its int8 twin uses (concat may widen it) */
} rw;

static const et_quant_info *act_quant(rw *R, int v) {
    float s;
    int32_t zp;
    et_act_qparams(R->range_lo[v], R->range_hi[v], &s, &zp);
    return et_quant_info_act(R->g, s, zp);
}

/* A new int8 activation value twin of float value v. */
static int new_int8_value(rw *R, int v) {
    et_graph *g = R->g;
    char name[256];
    snprintf(name, sizeof name, "%.240s.q", g->values[v].name);
    int q = et_graph_add_value_unique(g, name, ET_VAL_INTERMEDIATE, R->c->err);
    if (q < 0)
        return -1;
    const et_quant_info *qi = act_quant(R, v);
    if (!qi)
        return -1;
    g->values[q].dtype = ET_DT_I8;
    g->values[q].shape = g->values[v].shape;
    g->values[q].quant = qi;
    return q;
}

/* A new int8 value for the output of layer o before its table activation, scaled to the range that matters. */
static int new_preact_value(rw *R, const et_node *o, int fv) {
    et_graph *g = R->g;
    char name[256];
    snprintf(name, sizeof name, "%.230s.preact.q", g->values[fv].name);
    float lo, hi, s;
    int32_t zp;
    table_act_input_range(&o->act, R->range_lo[fv], R->range_hi[fv], &lo, &hi);
    et_act_qparams(lo, hi, &s, &zp);
    const et_quant_info *qi = et_quant_info_act(g, s, zp);
    int q = qi ? et_graph_add_value_unique(g, name, ET_VAL_INTERMEDIATE, R->c->err) : -1;
    if (q < 0)
        return -1;
    g->values[q].dtype = ET_DT_I8;
    g->values[q].shape = g->values[fv].shape;
    g->values[q].quant = qi;
    return q;
}

/* The int8 version of float value v, quantizing it here when it has none yet. */
static int get_q(rw *R, int v) {
    if (R->qv[v] >= 0)
        return R->qv[v];
    int q = new_int8_value(R, v);
    if (q < 0)
        return -1;
    char name[256];
    snprintf(name, sizeof name, "%.240s.quantize", R->g->values[v].name);
    if (et_graph_add_node(R->g, ET_OP_QUANTIZE, name, &v, 1, &q, 1, R->c->err) < 0)
        return -1;
    R->qv[v] = q;
    return q;
}

/* Appends a copy of old node `o` with new op, inputs and outputs (attributes, activation, names kept). */
static int append_like(rw *R, const et_node *o, et_op op, const int *ins, int n_ins, const int *outs, int n_outs) {
    int i = et_graph_add_node(R->g, op, o->name, ins, n_ins, outs, n_outs, R->c->err);
    if (i < 0)
        return -1;
    et_node *n = &R->g->nodes[i];
    n->op_type = o->op_type;
    n->domain = o->domain;
    n->attrs = o->attrs;
    n->n_attrs = o->n_attrs;
    n->act = o->act;
    return i;
}

/* Int8 weights [N][K or C/g*kh*kw] with per-channel (or per-tensor) scales, and the int32 bias, for layer node o.
 * x_scale is the input's scale. Writes the new constant indices. */
static et_status make_weights(rw *R, const et_node *o, float x_scale, int *w_out, int *b_out) {
    et_graph *g = R->g;
    const et_knobs *k = R->c->k;
    const et_value *w = &g->values[o->inputs[1]];
    int64_t n_ch, per;
    bool transpose = false;
    et_shape ws = w->shape;
    if (o->op == ET_OP_CONV) {
        n_ch = w->shape.dim[0];
        per = et_shape_numel(&w->shape) / n_ch;
    } else {
        bool tb = o->op == ET_OP_GEMM && et_node_attr_int(o, "transB", 0) != 0;
        n_ch = w->shape.dim[tb ? 0 : 1];
        per = w->shape.dim[tb ? 1 : 0];
        transpose = !tb;
        ws = (et_shape){.rank = 2, .dim = {n_ch, per}};
    }
    float *rows = malloc((size_t)(n_ch * per) * sizeof *rows);
    float *scale = malloc((size_t)n_ch * sizeof *scale);
    int32_t *zp = malloc((size_t)n_ch * sizeof *zp);
    if (!rows || !scale || !zp) {
        free(rows), free(scale), free(zp);
        return et_fail(R->c->err, ET_E_NOMEM, "out of memory quantizing weights");
    }
    memcpy(rows, w->data, (size_t)(n_ch * per) * sizeof *rows); /* model data may be unaligned: copy bytes */
    if (transpose) {                                            /* [K][N] -> [N][K] */
        float *t = malloc((size_t)(n_ch * per) * sizeof *t);
        if (!t) {
            free(rows), free(scale), free(zp);
            return et_fail(R->c->err, ET_E_NOMEM, "out of memory quantizing weights");
        }
        for (int64_t kk = 0; kk < per; kk++)
            for (int64_t j = 0; j < n_ch; j++)
                t[j * per + kk] = rows[kk * n_ch + j];
        free(rows);
        rows = t;
    }
    /* recovered weights are on their grid: keep it (read before adding a value moves g->values, and w with it) */
    const et_quant_info *given = w->quant;
    char name[256];
    snprintf(name, sizeof name, "%.240s.q", w->name);
    int wq = et_graph_add_const(g, name, ET_DT_I8, &ws, NULL, R->c->err);
    if (wq < 0) {
        free(rows), free(scale), free(zp);
        return R->c->err ? R->c->err->status : ET_E_NOMEM;
    }
    const int bits = et_tune_layer_bits(R->c, o); /* per-layer overrides may mix widths */
    et_wq_config cfg = {.bits = bits,
                        .symmetric = true,
                        .per_channel = k->granularity == ET_GRAN_CHANNEL,
                        .clip = k->clip,
                        .percentile = 99.99f};
    et_wview view = {.n_ch = n_ch, .per_ch = per, .ch_stride = per, .el_stride = 1};
    et_status st = ET_OK;
    if (given && given->value_bits == bits && (given->n == n_ch || given->n == 1)) {
        for (int64_t j = 0; j < n_ch; j++) {
            scale[j] = given->scale[given->n == 1 ? 0 : j];
            zp[j] = 0;
        }
        int32_t qmin, qmax;
        et_wq_range(bits, true, &qmin, &qmax);
        et_quantize_on_grid(rows, &view, scale, zp, true, qmin, qmax, (int8_t *)g->values[wq].data);
    } else {
        st = et_quantize_weights(rows, &view, &cfg, scale, zp, (int8_t *)g->values[wq].data, NULL, R->c->err);
    }
    free(rows);
    float *qs;
    int32_t *qz;
    et_quant_info *wi = st == ET_OK ? et_quant_info_new(g, (int)n_ch, &qs, &qz) : NULL;
    if (st == ET_OK && !wi)
        st = et_fail(R->c->err, ET_E_NOMEM, "out of memory quantizing weights");
    if (st != ET_OK) {
        free(scale), free(zp);
        return st;
    }
    memcpy(qs, scale, (size_t)n_ch * sizeof *qs);
    wi->axis = 0;
    wi->value_bits = bits;
    wi->storage_bits = bits;
    et_wq_range(bits, true, &wi->qmin, &wi->qmax);
    g->values[wq].quant = wi;
    *w_out = wq;
    /* bias: Conv input 2, Gemm C */
    int bv = o->n_inputs > 2 ? o->inputs[2] : -1;
    *b_out = -1;
    if (bv >= 0 || o->op != ET_OP_MATMUL) {
        snprintf(name, sizeof name, "%.200s.bias_q", bv >= 0 ? g->values[bv].name : o->name);
        int bq = et_graph_add_const(g, name, ET_DT_I32, &(et_shape){.rank = 1, .dim = {n_ch}}, NULL, R->c->err);
        float *bs;
        int32_t *bz;
        et_quant_info *bi = bq >= 0 ? et_quant_info_new(g, (int)n_ch, &bs, &bz) : NULL;
        if (!bi) {
            free(scale), free(zp);
            return et_fail(R->c->err, ET_E_NOMEM, "out of memory quantizing a bias");
        }
        for (int64_t j = 0; j < n_ch; j++)
            bs[j] = x_scale * scale[j];
        bi->axis = 0;
        bi->value_bits = bi->storage_bits = 32;
        bi->qmin = INT32_MIN, bi->qmax = INT32_MAX;
        float *bf = bv >= 0 ? malloc((size_t)n_ch * sizeof *bf) : NULL;
        if (bv >= 0 && !bf) {
            free(scale), free(zp);
            return et_fail(R->c->err, ET_E_NOMEM, "out of memory quantizing a bias");
        }
        if (bf)
            memcpy(bf, g->values[bv].data, (size_t)n_ch * sizeof *bf);
        et_qc8_quantize_bias(bf, (size_t)n_ch, x_scale, scale, (int32_t *)g->values[bq].data);
        free(bf);
        g->values[bq].quant = bi;
        *b_out = bq;
    }
    free(scale), free(zp);
    return ET_OK;
}

/* The Relu or Clip (constant bounds) that alone uses value y, folded into node `into` as its activation: returns
 * its index (or -1) after setting the activation. */
static int fold_activation(rw *R, int from, int y, et_node *into) {
    et_graph *g = R->g;
    if (g->values[y].n_consumers != 1 || g->values[y].is_output)
        return -1;
    for (int j = from + 1; j < g->n_nodes; j++) {
        et_node *r = &g->nodes[j];
        if (r->n_inputs < 1 || r->inputs[0] != y)
            continue;
        bool relu = r->op == ET_OP_RELU;
        bool clip = r->op == ET_OP_CLIP && g->opset < 11;
        if (!(relu || clip) || !ranged(R->lo, R->hi, r->outputs[0]))
            return -1;
        into->act.kind = relu ? ET_ACT_RELU : ET_ACT_CLIP;
        into->act.alpha = clip ? et_node_attr_float(r, "min", -INFINITY) : 0.0f;
        into->act.beta = clip ? et_node_attr_float(r, "max", INFINITY) : 0.0f;
        return j;
    }
    return -1;
}

/* Add node i as the residual of the quantized Conv producing operand `side`: that Conv has no activation and
 * no other user, and the other operand exists before the Conv runs. */
static bool fuse_residual(rw *R, int i, int side, int *kind, int *out_v, int *resid) {
    et_graph *g = R->g;
    et_node *n = &g->nodes[i];
    int a = n->inputs[side], b = n->inputs[1 - side];
    int pa = g->values[a].producer, pb = g->values[b].producer;
    if (pa < 0 || kind[pa] != K_QCONV || out_v[pa] != a || resid[pa] >= 0 || g->nodes[pa].act.kind != ET_ACT_NONE ||
        g->values[a].n_consumers != 1 || g->values[a].is_output || pb >= pa || !ranged(R->lo, R->hi, b) ||
        !et_shape_equal(&g->values[a].shape, &g->values[b].shape) || g->values[b].kind == ET_VAL_CONST)
        return false;
    resid[pa] = b;
    kind[i] = K_ABSORBED;
    out_v[pa] = n->outputs[0];
    int j = fold_activation(R, i, n->outputs[0], &g->nodes[pa]);
    if (j >= 0) {
        kind[j] = K_ABSORBED;
        out_v[pa] = g->nodes[j].outputs[0];
    }
    return true;
}

/* Classifies the nodes: which become int8 operators, which Add and Relu/Clip fold into them. */
static void classify(rw *R, const bool *cand, int *kind, int *out_v, int *resid, bool note) {
    et_graph *g = R->g;
    for (int i = 0; i < g->n_nodes; i++) {
        kind[i] = K_FP32;
        out_v[i] = g->nodes[i].n_outputs > 0 ? g->nodes[i].outputs[0] : -1;
        resid[i] = -1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *n = &g->nodes[i];
        if (kind[i] == K_ABSORBED)
            continue;
        if (cand[i]) {
            const char *why = unsupported_why(g, n, R->lo, R->hi);
            if (why) {
                if (note)
                    et_tune_note(R->c, false, "%s: kept fp32 (%s)", n->name, why);
                continue;
            }
            kind[i] = n->op == ET_OP_CONV ? K_QCONV : K_QGEMM;
            continue;
        }
        if (n->op == ET_OP_ADD && n->n_inputs == 2 && n->inputs[0] >= 0 && n->inputs[1] >= 0) {
            /* prefer the later convolution, so that the other operand is ready when it runs */
            int p0 = g->values[n->inputs[0]].producer, p1 = g->values[n->inputs[1]].producer;
            int first = p0 >= p1 ? 0 : 1;
            if (fuse_residual(R, i, first, kind, out_v, resid) || fuse_residual(R, i, 1 - first, kind, out_v, resid))
                continue;
            int a = n->inputs[0], b = n->inputs[1];
            int pa = g->values[a].producer, pb = g->values[b].producer;
            if (pa < 0 || pb < 0 || !is_q(kind[pa]) || !is_q(kind[pb]) ||
                !et_shape_equal(&g->values[a].shape, &g->values[b].shape) || !ranged(R->lo, R->hi, n->outputs[0]))
                continue;
            kind[i] = K_QADD;
            int j = fold_activation(R, i, n->outputs[0], n);
            if (j >= 0) {
                kind[j] = K_ABSORBED;
                out_v[i] = g->nodes[j].outputs[0];
            }
            continue;
        }
        if (n->op == ET_OP_MUL && n->n_inputs == 2 && n->inputs[0] >= 0 && n->inputs[1] >= 0 &&
            ranged(R->lo, R->hi, n->outputs[0])) { /* two int8 operands, one of them full size: SE scaling */
            int a = n->inputs[0], b = n->inputs[1];
            int pa = g->values[a].producer, pb = g->values[b].producer;
            const et_shape *ys = &g->values[n->outputs[0]].shape;
            if (pa >= 0 && pb >= 0 && is_q(kind[pa]) && is_q(kind[pb]) &&
                (et_shape_equal(&g->values[a].shape, ys) || et_shape_equal(&g->values[b].shape, ys))) {
                kind[i] = K_QMUL;
                int j = fold_activation(R, i, n->outputs[0], n);
                if (j >= 0) {
                    kind[j] = K_ABSORBED;
                    out_v[i] = g->nodes[j].outputs[0];
                }
            }
            continue;
        }
        if (n->op == ET_OP_GLOBAL_AVERAGE_POOL && n->n_inputs == 1 && n->inputs[0] >= 0 &&
            g->values[n->inputs[0]].shape.rank == 4 && ranged(R->lo, R->hi, n->outputs[0])) {
            int p = g->values[n->inputs[0]].producer;
            if (p >= 0 && is_q(kind[p]))
                kind[i] = K_QGAP;
            continue;
        }
        if (n->op == ET_OP_CONCAT && n->n_inputs > 0 && ranged(R->lo, R->hi, n->outputs[0])) {
            bool ok = true;
            for (int k = 0; k < n->n_inputs && ok; k++) {
                int v = n->inputs[k];
                int p = v >= 0 ? g->values[v].producer : -1;
                ok = p >= 0 && (kind[p] == K_QCONV || kind[p] == K_QGEMM || kind[p] == K_QADD) && out_v[p] == v &&
                     g->values[v].n_consumers == 1 && !g->values[v].is_output;
            }
            if (!ok)
                continue;
            kind[i] = K_QCONCAT;
            /* the producers write with the concat's scale, so the bytes concatenate as they are */
            for (int k = 0; k < n->n_inputs; k++) {
                R->range_lo[n->inputs[k]] = R->lo[n->outputs[0]];
                R->range_hi[n->inputs[k]] = R->hi[n->outputs[0]];
            }
        }
    }
}

/* Appends the int8 version of old node o (op, int8 inputs ins) writing the int8 twin of float value fv, which
 * it returns (-1 when out of memory). A layer with a table activation becomes the layer without it, writing its
 * own pre-activation value, and an et.QLut. */
static int append_int8(rw *R, const et_node *o, et_op op, const int *ins, int n_ins, int fv) {
    et_graph *g = R->g;
    int yq = new_int8_value(R, fv);
    const bool lut = (op == ET_OP_QCONV || op == ET_OP_QGEMM) && table_act(&o->act);
    int pq = lut && yq >= 0 ? new_preact_value(R, o, fv) : yq;
    int at = pq >= 0 ? append_like(R, o, op, ins, n_ins, &pq, 1) : -1;
    if (at >= 0 && lut) {
        g->nodes[at].act = (et_activation){.kind = ET_ACT_NONE};
        char name[256];
        snprintf(name, sizeof name, "%.240s.lut", o->name);
        at = et_graph_add_node(g, ET_OP_QLUT, name, &pq, 1, &yq, 1, R->c->err);
        if (at >= 0)
            g->nodes[at].act = o->act;
    }
    if (at < 0)
        return -1;
    R->qv[fv] = yq;
    return yq;
}

et_status et_tune_build_int8(et_tune_ctx *c, et_graph *g, const bool *cand, const float *lo, const float *hi, bool note,
                             int *n_q) {
    *n_q = 0;
    et_graph_count_uses(g);
    int nn = g->n_nodes, nv = g->n_values;
    rw R = {.c = c, .g = g, .lo = lo, .hi = hi, .n_orig = nv};
    int *kind = malloc(((size_t)nn + 1) * sizeof *kind), *out_v = malloc(((size_t)nn + 1) * sizeof *out_v);
    int *resid = malloc(((size_t)nn + 1) * sizeof *resid);
    R.qv = malloc(((size_t)nv + 1) * sizeof *R.qv);
    R.range_lo = malloc(((size_t)nv + 1) * sizeof *R.range_lo);
    R.range_hi = malloc(((size_t)nv + 1) * sizeof *R.range_hi);
    et_node *old = NULL;
    et_status st = ET_OK;
    if (!kind || !out_v || !resid || !R.qv || !R.range_lo || !R.range_hi) {
        st = et_fail(c->err, ET_E_NOMEM, "out of memory quantizing the graph");
        goto done;
    }
    for (int v = 0; v < nv; v++) {
        R.qv[v] = -1;
        R.range_lo[v] = lo[v];
        R.range_hi[v] = hi[v];
    }
    classify(&R, cand, kind, out_v, resid, note);

    /* rebuild the node list in order, with Quantize/Dequantize where int8 and float meet */
    old = g->nodes;
    g->nodes = NULL;
    g->n_nodes = g->cap_nodes = 0;
    for (int i = 0; i < nn && st == ET_OK; i++) {
        const et_node *o = &old[i];
        if (kind[i] == K_ABSORBED)
            continue;
        if (kind[i] == K_FP32) {
            if (append_like(&R, o, o->op, o->inputs, o->n_inputs, o->outputs, o->n_outputs) < 0)
                st = ET_E_NOMEM;
            else
                g->nodes[g->n_nodes - 1].dead = o->dead;
            continue;
        }
        int ins[8] = {-1, -1, -1, -1, -1, -1, -1, -1}, n_ins = 0;
        int *cins = ins;
        et_op op = ET_OP_CONCAT;
        if (kind[i] == K_QCONV || kind[i] == K_QGEMM) {
            ins[0] = get_q(&R, o->inputs[0]);
            if (ins[0] < 0) {
                st = ET_E_NOMEM;
                break;
            }
            float x_scale = g->values[ins[0]].quant->scale[0];
            if ((st = make_weights(&R, o, x_scale, &ins[1], &ins[2])) != ET_OK)
                break;
            n_ins = ins[2] >= 0 ? 3 : 2;
            if (resid[i] >= 0) {
                ins[3] = get_q(&R, resid[i]);
                n_ins = 4;
            }
            op = kind[i] == K_QCONV ? ET_OP_QCONV : ET_OP_QGEMM;
            (*n_q)++;
        } else if (kind[i] == K_QADD || kind[i] == K_QMUL) {
            ins[0] = get_q(&R, o->inputs[0]);
            ins[1] = ins[0] >= 0 ? get_q(&R, o->inputs[1]) : -1;
            n_ins = 2;
            op = kind[i] == K_QADD ? ET_OP_QADD : ET_OP_QMUL;
        } else if (kind[i] == K_QGAP) {
            ins[0] = get_q(&R, o->inputs[0]);
            n_ins = 1;
            op = ET_OP_QGAP;
        } else { /* K_QCONCAT */
            cins = malloc((size_t)o->n_inputs * sizeof *cins);
            if (!cins) {
                st = ET_E_NOMEM;
                break;
            }
            for (int k = 0; k < o->n_inputs; k++)
                cins[k] = get_q(&R, o->inputs[k]);
            n_ins = o->n_inputs;
        }
        bool ins_ok = true;
        for (int k = 0; k < n_ins; k++)
            ins_ok &= cins[k] >= 0 || (k == 2 && op == ET_OP_QCONV);
        int fv = out_v[i];
        int yq = ins_ok ? append_int8(&R, o, op, cins, n_ins, fv) : -1;
        if (cins != ins)
            free(cins);
        if (yq < 0) {
            st = ET_E_NOMEM;
            break;
        }
        /* the float value keeps its name and users; nobody left using it: removed below */
        char name[256];
        snprintf(name, sizeof name, "%.240s.dequantize", g->values[fv].name);
        if (et_graph_add_node(g, ET_OP_DEQUANTIZE, name, &yq, 1, &fv, 1, c->err) < 0)
            st = ET_E_NOMEM;
    }
    if (st == ET_E_NOMEM && c->err && c->err->msg[0] == '\0')
        et_fail(c->err, ET_E_NOMEM, "out of memory quantizing the graph");
    if (st == ET_OK) {
        et_graph_count_uses(g);
        for (int i = 0; i < g->n_nodes; i++) {
            et_node *n = &g->nodes[i];
            if (n->op == ET_OP_DEQUANTIZE && g->values[n->outputs[0]].n_consumers == 0)
                n->dead = true;
        }
        et_graph_count_uses(g);
    }
done:
    free(old);
    free(kind), free(out_v), free(resid), free(R.qv), free(R.range_lo), free(R.range_hi);
    return st;
}
