/* fuse_nhwc.c: fusions on the channels-last graph (after layout.c).
 *
 *  - Residual: Add(conv_out, r) where conv_out comes from an et.ConvNhwc with no activation and no other user,
 *    and r is a same-shape activation produced before that convolution, becomes the convolution's 4th input:
 *    the sum happens on each output tile while it is in cache (ResNet and MobileNetV2 blocks).
 *  - Activations after such a sum (ResNet's Relu) and any other activation directly after an et.ConvNhwc fold
 *    into the convolution.
 *  - An et.QLut (HardSwish, HardSigmoid, Sigmoid as a 256-entry table) directly after an et.QConvNhwc with no
 *    activation and no other user folds into the convolution: the node takes the table's activation and output,
 *    and keeps the pre-activation scale and zero point it requantizes to as attributes (ET_TABLE_IN_SCALE,
 *    ET_TABLE_IN_ZP: qops.h); qconv.c builds the same table from them and applies it to each output tile while it is in
 *    cache (the same bytes as the two steps: the table is exact on int8).
 *  - An et.Quantize directly after an et.ConvNhwc (an fp32 layer feeding int8: a network's first convolution, a
 *    layer the speed guard kept fp32) with no other user folds into the convolution: the node writes the
 *    Quantize's int8 output, and conv2d.h quantizes each output tile while it is in cache, after the residual and
 *    the activation (the same bytes as the two steps: the same quantize kernel on the same floats). Not for a 1x1
 *    convolution with zero weights: it may run on the sparse operator (spconv.h), which writes float32 only. */
#include "engine/fuse_nhwc.h"

#include <math.h>
#include <string.h>

#include "engine/nodes/qops.h"
#include "model/dtype.h"
#include "model/quant_info.h"

static bool single_use(const et_graph *g, int v) {
    return v >= 0 && g->values[v].n_consumers == 1 && !g->values[v].is_output;
}

/* Tries to fuse Add node `ai` with its operand `side` being the convolution output. */
static bool fuse_residual(et_graph *g, int ai, int side) {
    et_node *add = &g->nodes[ai];
    int conv_v = add->inputs[side], other = add->inputs[1 - side];
    if (!single_use(g, conv_v) || other < 0 || g->values[other].kind == ET_VAL_CONST)
        return false;
    int ci = g->values[conv_v].producer;
    if (ci < 0)
        return false;
    et_node *conv = &g->nodes[ci];
    if (conv->op != ET_OP_CONV_NHWC || conv->act.kind != ET_ACT_NONE || conv->n_inputs > 3 ||
        !et_shape_equal(&g->values[other].shape, &g->values[conv_v].shape) || g->values[other].dtype != ET_DT_F32)
        return false;
    int op = g->values[other].producer;
    if (op >= ci) /* the residual must exist before the convolution runs */
        return false;
    int *ins = et_arena_calloc(&g->arena, 4, sizeof(int));
    if (!ins)
        return false;
    ins[0] = conv->inputs[0];
    ins[1] = conv->inputs[1];
    ins[2] = conv->n_inputs > 2 ? conv->inputs[2] : -1;
    ins[3] = other;
    conv->inputs = ins;
    conv->n_inputs = 4;
    conv->outputs[0] = add->outputs[0];
    add->dead = true;
    return true;
}

/* Tries to fold et.QLut node `li` into the et.QConvNhwc that writes its input. */
static bool fuse_table(et_graph *g, int li) {
    const et_node *lut = &g->nodes[li];
    const int pre = lut->n_inputs == 1 ? lut->inputs[0] : -1;
    if (!single_use(g, pre) || g->values[pre].producer < 0)
        return false;
    const int ci = g->values[pre].producer;
    const et_quant_info *q = g->values[pre].quant;
    if (g->nodes[ci].op != ET_OP_QCONV_NHWC || g->nodes[ci].act.kind != ET_ACT_NONE || !q || q->n != 1)
        return false;
    if (!et_node_set_attr_float(g, ci, ET_TABLE_IN_SCALE, q->scale[0]) ||
        !et_node_set_attr_int(g, ci, ET_TABLE_IN_ZP, q->zero_point[0]))
        return false; /* out of memory: left unfused, which computes the same */
    et_node *conv = &g->nodes[ci];
    conv->act = lut->act;
    conv->outputs[0] = lut->outputs[0];
    g->nodes[li].dead = true;
    return true;
}

/* Whether a convolution's weights are 1x1 with an exact zero (pruned): conv_nhwc.c may run it sparse. The data may
 * point into the model file's mapping (onnx_reader.c: zero-copy raw_data) at any byte offset, so it is read with
 * et_dtype_load, not as a float array (UBSan caught a misaligned load in tune_test_tune when the speed guard kept a
 * 1x1 layer fp32 in front of a Quantize). */
static bool may_run_sparse(const et_graph *g, const et_node *conv) {
    const et_value *w = conv->n_inputs > 1 && conv->inputs[1] >= 0 ? &g->values[conv->inputs[1]] : NULL;
    if (!w || w->kind != ET_VAL_CONST || w->dtype != ET_DT_F32 || w->shape.rank != 4 || w->shape.dim[2] != 1 ||
        w->shape.dim[3] != 1)
        return false;
    for (int64_t i = 0; i < et_shape_numel(&w->shape); i++)
        if (et_dtype_load(ET_DT_F32, w->data, (size_t)i) == 0.0)
            return true;
    return false;
}

/* Tries to fold et.Quantize node `qi` into the et.ConvNhwc that writes its input. */
static bool fuse_quantize(et_graph *g, int qi) {
    const et_node *quant = &g->nodes[qi];
    const int x = quant->n_inputs == 1 ? quant->inputs[0] : -1, y = quant->n_outputs == 1 ? quant->outputs[0] : -1;
    if (!single_use(g, x) || y < 0 || g->values[x].producer < 0 || g->values[x].dtype != ET_DT_F32)
        return false;
    const et_quant_info *q = g->values[y].quant;
    et_node *conv = &g->nodes[g->values[x].producer];
    if (conv->op != ET_OP_CONV_NHWC || g->values[y].dtype != ET_DT_I8 || !q || q->n != 1 || may_run_sparse(g, conv))
        return false;
    conv->outputs[0] = y;
    g->nodes[qi].dead = true;
    return true;
}

static bool activation_of(const et_graph *g, const et_node *n, et_activation *a) {
    memset(a, 0, sizeof *a);
    switch (n->op) {
    case ET_OP_RELU: a->kind = ET_ACT_RELU; return true;
    case ET_OP_SIGMOID: a->kind = ET_ACT_SIGMOID; return true;
    case ET_OP_HARD_SWISH: a->kind = ET_ACT_HARD_SWISH; return true;
    case ET_OP_TANH: a->kind = ET_ACT_TANH; return true;
    case ET_OP_LEAKY_RELU:
        a->kind = ET_ACT_LEAKY_RELU;
        a->alpha = et_node_attr_float(n, "alpha", 0.01f);
        return true;
    case ET_OP_HARD_SIGMOID:
        a->kind = ET_ACT_HARD_SIGMOID;
        a->alpha = et_node_attr_float(n, "alpha", 0.2f);
        a->beta = et_node_attr_float(n, "beta", 0.5f);
        return true;
    case ET_OP_CLIP: {
        a->kind = ET_ACT_CLIP;
        a->alpha = -INFINITY, a->beta = INFINITY;
        if (g->opset < 11) {
            a->alpha = et_node_attr_float(n, "min", -INFINITY);
            a->beta = et_node_attr_float(n, "max", INFINITY);
            return true;
        }
        for (int k = 1; k < 3 && k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v < 0)
                continue;
            const et_value *b = &g->values[v];
            if (b->kind != ET_VAL_CONST || b->dtype != ET_DT_F32 || et_shape_numel(&b->shape) != 1)
                return false;
            float f;
            memcpy(&f, b->data, sizeof f);
            *(k == 1 ? &a->alpha : &a->beta) = f;
        }
        return true;
    }
    default: return false;
    }
}

et_status et_fuse_nhwc(et_graph *g, et_err *err) {
    et_graph_count_uses(g);
    bool changed = false;
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (n->op == ET_OP_ADD && n->n_inputs == 2 && n->inputs[0] >= 0 && n->inputs[1] >= 0) {
            /* prefer the later convolution, so the other operand is ready when it runs */
            int p0 = g->values[n->inputs[0]].producer, p1 = g->values[n->inputs[1]].producer;
            int first = p0 >= p1 ? 0 : 1;
            if (fuse_residual(g, i, first) || fuse_residual(g, i, 1 - first)) {
                changed = true;
                et_graph_count_uses(g);
            }
            continue;
        }
        if (n->op == ET_OP_QLUT || n->op == ET_OP_QUANTIZE) {
            if (n->op == ET_OP_QLUT ? fuse_table(g, i) : fuse_quantize(g, i)) {
                changed = true;
                et_graph_count_uses(g);
            }
            continue;
        }
        et_activation a;
        if (n->n_inputs >= 1 && n->inputs[0] >= 0 && activation_of(g, n, &a) && single_use(g, n->inputs[0])) {
            int pi = g->values[n->inputs[0]].producer;
            if (pi < 0)
                continue;
            et_node *p = &g->nodes[pi];
            if (p->op != ET_OP_CONV_NHWC || p->act.kind != ET_ACT_NONE)
                continue;
            p->act = a;
            p->outputs[0] = n->outputs[0];
            n->dead = true;
            changed = true;
            et_graph_count_uses(g);
        }
    }
    return changed ? et_graph_compact(g, err) : ET_OK;
}
