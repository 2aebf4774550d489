/* layout.c: the channels-last rewrite (see layout.h).
 *
 * Every 4-D activation may exist in two versions: its ONNX (NCHW) value and an NHWC twin. Walking the nodes in
 * order, convolutions and 2-D pooling become et.ConvNhwc / et.PoolNhwc reading and writing NHWC twins;
 * layout-agnostic operators (elementwise, Concat) stay NHWC when an input already is, with their axes and
 * constants permuted; every other consumer gets the ONNX value, made by a Transpose inserted on demand, once.
 * A transpose that moves only size-1 dims (after global pooling) is a Reshape, which the planner runs as an
 * alias, so classifier heads cost nothing. Graph outputs always keep their ONNX layout and names.
 *
 * Shapes stay physical: an NHWC twin of [N,C,H,W] has shape [N,H,W,C]. */
#include "engine/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nodes.h"
#include "engine/op.h"

typedef struct lay {
    et_graph *g;
    int *nhwc;          /* per value: its NHWC twin, or -1 */
    bool *onnx_missing; /* per value: its ONNX version is not produced (yet) */
    int cap;
    int pos; /* index of the node being processed (insertions go before it) */
    et_err *err;
} lay;

static const int TO_NHWC[4] = {0, 2, 3, 1};
static const int TO_NCHW[4] = {0, 3, 1, 2};
/* where NCHW axis a lives in NHWC */
static const int AXIS_IN_NHWC[4] = {0, 3, 1, 2};

static bool grow(lay *L) {
    int n = L->g->n_values;
    if (n <= L->cap)
        return true;
    int cap = n * 2 + 16;
    int *nh = realloc(L->nhwc, (size_t)cap * sizeof *nh);
    bool *om = nh ? realloc(L->onnx_missing, (size_t)cap * sizeof *om) : NULL;
    if (nh)
        L->nhwc = nh;
    if (om)
        L->onnx_missing = om;
    if (!nh || !om)
        return false;
    for (int i = L->cap; i < cap; i++) {
        L->nhwc[i] = -1;
        L->onnx_missing[i] = false;
    }
    L->cap = cap;
    return true;
}

static et_shape permute(const et_shape *s, const int *perm) {
    et_shape r = {.rank = 4};
    for (int i = 0; i < 4; i++)
        r.dim[i] = s->dim[perm[i]];
    return r;
}

/* True when permuting s moves only dims of size 1 (memory order unchanged). */
static bool is_relabel(const et_shape *s, const int *perm) {
    int last = -1;
    for (int i = 0; i < 4; i++) {
        int a = perm[i];
        if (s->dim[a] == 1)
            continue;
        if (a < last)
            return false;
        last = a;
    }
    return true;
}

/* Inserts at L->pos a node converting value `from` into new value `to` with perm (Transpose, or Reshape when the
 * data does not move). Returns false on out-of-memory. */
static bool insert_convert(lay *L, int from, int to, const int *perm) {
    et_graph *g = L->g;
    const et_shape *src = &g->values[from].shape;
    et_shape dst = permute(src, perm);
    g->values[to].shape = dst;
    g->values[to].dtype = g->values[from].dtype;
    g->values[to].quant = g->values[from].quant; /* an int8 tensor keeps its scale in either layout */
    char name[200];
    snprintf(name, sizeof name, "%.150s.%s", g->values[from].name, perm == TO_NHWC ? "to_nhwc" : "to_nchw");
    int ins[2] = {from, -1}, outs[1] = {to};
    if (is_relabel(src, perm)) {
        int64_t dims[4] = {dst.dim[0], dst.dim[1], dst.dim[2], dst.dim[3]};
        int c = et_graph_add_const(g, name, ET_DT_I64, &(et_shape){.rank = 1, .dim = {4}}, dims, L->err);
        if (c < 0 || !grow(L))
            return false;
        ins[1] = c;
        if (et_graph_insert_node(g, L->pos, ET_OP_RESHAPE, name, ins, 2, outs, 1, L->err) < 0)
            return false;
    } else {
        int at = et_graph_insert_node(g, L->pos, ET_OP_TRANSPOSE, name, ins, 1, outs, 1, L->err);
        int64_t p64[4] = {perm[0], perm[1], perm[2], perm[3]};
        if (at < 0 || !et_node_set_attr_ints(g, at, "perm", p64, 4))
            return false;
    }
    L->pos++;
    return true;
}

/* The NHWC twin of 4-D value v, converting when needed; -1 on failure. */
static int to_nhwc(lay *L, int v) {
    if (L->nhwc[v] >= 0)
        return L->nhwc[v];
    char name[200];
    snprintf(name, sizeof name, "%.150s.nhwc", L->g->values[v].name);
    int t = et_graph_add_value_unique(L->g, name, ET_VAL_INTERMEDIATE, L->err);
    if (t < 0 || !grow(L) || !insert_convert(L, v, t, TO_NHWC))
        return -1;
    L->nhwc[v] = t;
    return t;
}

/* Makes the ONNX version of v available (converting its NHWC twin) before the current node. */
static bool need_onnx(lay *L, int v) {
    if (v < 0 || !L->onnx_missing[v])
        return true;
    L->onnx_missing[v] = false;
    return insert_convert(L, L->nhwc[v], v, TO_NCHW);
}

/* Redirects output `slot` of node i to a fresh NHWC twin of its value. */
static int make_nhwc_output(lay *L, int i, int slot) {
    et_graph *g = L->g;
    int v = g->nodes[i].outputs[slot];
    char name[200];
    snprintf(name, sizeof name, "%.150s.nhwc", g->values[v].name);
    int t = et_graph_add_value_unique(g, name, ET_VAL_INTERMEDIATE, L->err);
    if (t < 0 || !grow(L))
        return -1;
    g->values[t].dtype = g->values[v].dtype;
    g->values[t].shape = permute(&g->values[v].shape, TO_NHWC);
    g->values[t].quant = g->values[v].quant;
    g->nodes[i].outputs[slot] = t;
    L->nhwc[v] = t;
    L->onnx_missing[v] = true;
    return t;
}

static bool is_act4(const et_graph *g, int v) {
    return v >= 0 && g->values[v].kind != ET_VAL_CONST && g->values[v].shape.rank == 4;
}

static bool is_unary(et_op op) {
    switch (op) {
    case ET_OP_RELU:
    case ET_OP_CLIP:
    case ET_OP_LEAKY_RELU:
    case ET_OP_SIGMOID:
    case ET_OP_HARD_SIGMOID:
    case ET_OP_HARD_SWISH:
    case ET_OP_TANH:
    case ET_OP_ERF:
    case ET_OP_ELU:
    case ET_OP_SOFTPLUS:
    case ET_OP_SQRT:
    case ET_OP_EXP:
    case ET_OP_LOG:
    case ET_OP_NEG:
    case ET_OP_ABS:
    case ET_OP_RECIPROCAL:
    case ET_OP_FLOOR:
    case ET_OP_CEIL:
    case ET_OP_CAST:
    case ET_OP_QUANTIZE:
    case ET_OP_DEQUANTIZE:
    case ET_OP_QLUT: /* per-tensor scales: elementwise */ return true;
    default: return false;
    }
}

static bool is_binary(et_op op) {
    switch (op) {
    case ET_OP_ADD:
    case ET_OP_SUB:
    case ET_OP_MUL:
    case ET_OP_DIV:
    case ET_OP_MIN:
    case ET_OP_MAX:
    case ET_OP_SUM:
    case ET_OP_MEAN:
    case ET_OP_PRELU:
    case ET_OP_QADD:
    case ET_OP_QMUL: return true;
    default: return false;
    }
}

/* Conv -> et.ConvNhwc when 2-D with constant float weights. */
static bool conv_ok(const et_graph *g, const et_node *n) {
    if (n->op != ET_OP_CONV || n->n_outputs != 1)
        return false;
    const et_value *x = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1), *b = et_node_cin(g, n, 2);
    return x && w && x->shape.rank == 4 && x->dtype == ET_DT_F32 && w->kind == ET_VAL_CONST && w->dtype == ET_DT_F32 &&
           w->shape.rank == 4 && (!b || (b->kind == ET_VAL_CONST && b->dtype == ET_DT_F32));
}

/* et.QConv (tune's int8 convolution) -> et.QConvNhwc, the same way. */
static bool qconv_ok(const et_graph *g, const et_node *n) {
    if (n->op != ET_OP_QCONV || n->n_outputs != 1)
        return false;
    const et_value *x = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1);
    return x && w && x->shape.rank == 4 && x->dtype == ET_DT_I8 && w->kind == ET_VAL_CONST && w->shape.rank == 4;
}

static bool pool_ok(const et_graph *g, const et_node *n) {
    const et_value *x = et_node_cin(g, n, 0);
    if (!x || x->shape.rank != 4 || x->dtype != ET_DT_F32 || !et_pool_nhwc_supports(n, &x->shape))
        return false;
    switch (n->op) {
    case ET_OP_GLOBAL_AVERAGE_POOL:
    case ET_OP_GLOBAL_MAX_POOL: return true;
    case ET_OP_MAX_POOL: return n->n_outputs == 1 && et_node_attr_int(n, "storage_order", 0) == 0;
    case ET_OP_AVERAGE_POOL: return true;
    default: return false;
    }
}

/* A constant operand of a binary op permuted for NHWC broadcasting: left-padded to rank 4, transposed. */
static int permute_const(lay *L, int v) {
    et_graph *g = L->g;
    const et_value *c = &g->values[v];
    if (c->shape.rank > 4)
        return -1;
    et_shape s4 = {.rank = 4, .dim = {1, 1, 1, 1}};
    for (int i = 0; i < c->shape.rank; i++)
        s4.dim[4 - c->shape.rank + i] = c->shape.dim[i];
    et_shape d = permute(&s4, TO_NHWC);
    char name[200];
    snprintf(name, sizeof name, "%.150s.nhwc", c->name);
    int t = et_graph_add_const(g, name, c->dtype, &d, NULL, L->err);
    if (t < 0 || !grow(L))
        return -1;
    c = &g->values[v];
    size_t es = et_dtype_size(c->dtype);
    char *dst = (char *)g->values[t].data;
    const char *src = c->data;
    for (int64_t n0 = 0; n0 < d.dim[0]; n0++)
        for (int64_t h = 0; h < d.dim[1]; h++)
            for (int64_t w = 0; w < d.dim[2]; w++)
                for (int64_t ch = 0; ch < d.dim[3]; ch++) {
                    int64_t si = ((n0 * s4.dim[1] + ch) * s4.dim[2] + h) * s4.dim[3] + w;
                    int64_t di = ((n0 * d.dim[1] + h) * d.dim[2] + w) * d.dim[3] + ch;
                    memcpy(dst + (size_t)di * es, src + (size_t)si * es, es);
                }
    return t;
}

static et_status rewrite(lay *L) {
    et_graph *g = L->g;
    for (L->pos = 0; L->pos < g->n_nodes; L->pos++) {
        et_node *n = &g->nodes[L->pos];
        int i = L->pos;
        if (conv_ok(g, n) || pool_ok(g, n) || qconv_ok(g, n)) {
            bool conv = n->op == ET_OP_CONV, qconv = n->op == ET_OP_QCONV;
            int x = to_nhwc(L, g->nodes[L->pos].inputs[0]);
            if (x < 0)
                return ET_E_NOMEM;
            i = L->pos;
            if (qconv && g->nodes[i].n_inputs > 3 && g->nodes[i].inputs[3] >= 0) {
                /* et.QConv's residual (tune fuses skip connections) is an output-shaped activation */
                int r = to_nhwc(L, g->nodes[i].inputs[3]);
                if (r < 0)
                    return ET_E_NOMEM;
                i = L->pos;
                g->nodes[i].inputs[3] = r;
            }
            n = &g->nodes[i];
            et_op orig = n->op;
            n->inputs[0] = x;
            n->op = qconv ? ET_OP_QCONV_NHWC : conv ? ET_OP_CONV_NHWC : ET_OP_POOL_NHWC;
            if (!conv && !qconv && !et_node_set_attr_int(g, i, "pool_op", orig))
                return ET_E_NOMEM;
            if (make_nhwc_output(L, i, 0) < 0)
                return ET_E_NOMEM;
            /* shape of the NHWC output through the operator's own inference */
            const et_op_impl *impl = et_op_impl_get(g->nodes[i].op);
            et_status st = impl->infer(g, &g->nodes[i], L->err);
            if (st != ET_OK)
                return st;
            continue;
        }
        if (n->op == ET_OP_QGAP && L->nhwc[n->inputs[0]] >= 0) { /* channels-last when its input already is */
            int x = to_nhwc(L, n->inputs[0]);
            if (x < 0)
                return ET_E_NOMEM;
            i = L->pos;
            g->nodes[i].inputs[0] = x;
            if (!et_node_set_attr_int(g, i, "channels_last", 1) || make_nhwc_output(L, i, 0) < 0)
                return ET_E_NOMEM;
            et_status st = et_op_impl_get(g->nodes[i].op)->infer(g, &g->nodes[i], L->err);
            if (st != ET_OK)
                return st;
            continue;
        }
        bool any_nhwc = false;
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v >= 0 && L->nhwc[v] >= 0 && g->values[v].shape.rank == 4)
                any_nhwc = true;
        }
        bool agnostic = false;
        if (any_nhwc && n->n_outputs == 1 && g->values[n->outputs[0]].shape.rank == 4) {
            if (is_unary(n->op) &&
                (n->op != ET_OP_CLIP || g->opset < 11 ||
                 ((n->n_inputs < 2 || n->inputs[1] < 0 || g->values[n->inputs[1]].kind == ET_VAL_CONST) &&
                  (n->n_inputs < 3 || n->inputs[2] < 0 || g->values[n->inputs[2]].kind == ET_VAL_CONST))))
                agnostic = true;
            else if (is_binary(n->op)) {
                agnostic = true;
                for (int k = 0; k < n->n_inputs; k++) {
                    int v = n->inputs[k];
                    if (v >= 0 && !is_act4(g, v) && g->values[v].kind != ET_VAL_CONST)
                        agnostic = false; /* a lower-rank activation: keep ONNX layout */
                }
                if (n->op == ET_OP_PRELU && g->values[n->inputs[1]].kind != ET_VAL_CONST)
                    agnostic = false;
            } else if (n->op == ET_OP_CONCAT) {
                agnostic = true;
                for (int k = 0; k < n->n_inputs; k++)
                    if (n->inputs[k] >= 0 && !is_act4(g, n->inputs[k]))
                        agnostic = false;
            }
        }
        if (agnostic) {
            for (int k = 0; k < g->nodes[i].n_inputs; k++) {
                int v = g->nodes[i].inputs[k];
                if (v < 0)
                    continue;
                int r;
                if (is_act4(g, v)) {
                    r = to_nhwc(L, v);
                } else if (k == 0 || is_binary(g->nodes[i].op)) {
                    r = g->values[v].shape.rank == 0 || et_shape_numel(&g->values[v].shape) == 1 ? v
                                                                                                 : permute_const(L, v);
                } else {
                    r = v; /* Clip bounds */
                }
                if (r < 0)
                    return ET_E_NOMEM;
                i = L->pos;
                g->nodes[i].inputs[k] = r;
            }
            n = &g->nodes[i];
            if (n->op == ET_OP_CONCAT) {
                int axis;
                et_op_axis(et_node_attr_int(n, "axis", 0), 4, &axis);
                if (!et_node_set_attr_int(g, i, "axis", AXIS_IN_NHWC[axis]))
                    return ET_E_NOMEM;
            }
            if (make_nhwc_output(L, i, 0) < 0)
                return ET_E_NOMEM;
            continue;
        }
        /* an ONNX-layout consumer: every input in ONNX layout (insertions move the node: index it afresh) */
        for (int k = 0; k < g->nodes[L->pos].n_inputs; k++) {
            int v = g->nodes[L->pos].inputs[k];
            if (!need_onnx(L, v))
                return ET_E_NOMEM;
        }
    }
    for (int k = 0; k < g->n_outputs; k++) {
        L->pos = g->n_nodes;
        if (!need_onnx(L, g->outputs[k]))
            return ET_E_NOMEM;
    }
    return ET_OK;
}

et_status et_layout_channels_last(et_graph *g, et_err *err) {
    lay L = {.g = g, .err = err, .cap = 0};
    if (!grow(&L))
        return et_fail(err, ET_E_NOMEM, "out of memory in the layout pass");
    et_graph_count_uses(g);
    et_status st = rewrite(&L);
    if (st == ET_E_NOMEM && (!err || err->msg[0] == '\0'))
        et_fail(err, ET_E_NOMEM, "out of memory in the layout pass");
    free(L.nhwc);
    free(L.onnx_missing);
    if (st == ET_OK)
        et_graph_count_uses(g);
    return st;
}
