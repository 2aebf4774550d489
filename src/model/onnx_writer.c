/* onnx_writer.c: graph -> ONNX ModelProto (see onnx_writer.h).
 *
 * Field numbers are onnx.proto's: ModelProto {ir_version 1, producer_name 2, producer_version 3, graph 7,
 * opset_import 8}; GraphProto {node 1, name 2, initializer 5, input 11, output 12}; NodeProto {input 1, output 2,
 * name 3, op_type 4, attribute 5}; AttributeProto {name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20};
 * TensorProto {dims 1, data_type 2, name 8, raw_data 9}; ValueInfoProto {name 1, type 2}; TypeProto {tensor_type
 * 1}; TypeProto.Tensor {elem_type 1, shape 2}; TensorShapeProto {dim 1}; Dimension {dim_value 1, dim_param 2}. */
#include "model/onnx_writer.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/quant_info.h"

typedef struct ow {
    const et_graph *g;
    et_pbw gr;       /* GraphProto fields, in order of emission (nodes and initializers may interleave) */
    et_strmap names; /* every name in use */
    char **owned;    /* generated names (the map borrows them) */
    int n_owned, cap_owned;
    char *emitted; /* per value: its initializer (or its dequantizing node) is written */
    int64_t opset;
    int n_nodes, n_qdq;
    bool failed;
    et_err *err;
} ow;

/* A name not used yet, derived from base ("w_scale", "w_scale_1", ...); NULL when out of memory. */
static const char *fresh(ow *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *fresh(ow *o, const char *fmt, ...) {
    char base[300], name[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(base, sizeof base, fmt, ap);
    va_end(ap);
    snprintf(name, sizeof name, "%s", base);
    for (int i = 1; et_strmap_get(&o->names, name) >= 0; i++)
        snprintf(name, sizeof name, "%s_%d", base, i);
    if (o->n_owned == o->cap_owned) {
        int cap = o->cap_owned ? o->cap_owned * 2 : 256;
        char **n = realloc(o->owned, (size_t)cap * sizeof *n);
        if (!n) {
            o->failed = true;
            return NULL;
        }
        o->owned = n;
        o->cap_owned = cap;
    }
    char *s = strdup(name);
    if (!s || !et_strmap_put(&o->names, s, 1)) {
        free(s);
        o->failed = true;
        return NULL;
    }
    o->owned[o->n_owned++] = s;
    return s;
}

/* ---- attributes and tensors ---------------------------------------------------------------------------- */

static void attr_begin(et_pbw *a, const char *name, int type) {
    et_pbw_str(a, 1, name);
    et_pbw_uint(a, 20, (uint64_t)type);
}
static void attr_int(et_pbw *attrs, const char *name, int64_t v) {
    et_pbw a = {0};
    attr_begin(&a, name, ET_ATTR_INT);
    et_pbw_int(&a, 3, v);
    et_pbw_msg(attrs, 5, &a);
    et_pbw_free(&a);
}
static void attr_float(et_pbw *attrs, const char *name, float v) {
    et_pbw a = {0};
    attr_begin(&a, name, ET_ATTR_FLOAT);
    et_pbw_float(&a, 2, v);
    et_pbw_msg(attrs, 5, &a);
    et_pbw_free(&a);
}

static void tensor(et_pbw *t, const char *name, et_dtype dt, const et_shape *s, const void *data, size_t nbytes) {
    for (int i = 0; i < s->rank; i++)
        et_pbw_int(t, 1, s->dim[i]);
    et_pbw_uint(t, 2, (uint64_t)dt);
    if (name)
        et_pbw_str(t, 8, name);
    et_pbw_bytes(t, 9, data, nbytes); /* raw_data: little-endian, as in memory */
}

/* Copies one of the graph's attributes. */
static void attr_copy(ow *o, et_pbw *attrs, const et_attr *at) {
    et_pbw a = {0};
    attr_begin(&a, at->name, at->type);
    switch (at->type) {
    case ET_ATTR_FLOAT: et_pbw_float(&a, 2, at->f); break;
    case ET_ATTR_INT: et_pbw_int(&a, 3, at->i); break;
    case ET_ATTR_STRING: et_pbw_bytes(&a, 4, at->s, at->s_len); break;
    case ET_ATTR_TENSOR: {
        et_pbw t = {0};
        tensor(&t, NULL, at->t.dtype, &at->t.shape, at->t.data, at->t.nbytes);
        et_pbw_msg(&a, 5, &t);
        et_pbw_free(&t);
        break;
    }
    case ET_ATTR_FLOATS:
        for (int i = 0; i < at->n; i++)
            et_pbw_float(&a, 7, at->floats[i]);
        break;
    case ET_ATTR_INTS:
        for (int i = 0; i < at->n; i++)
            et_pbw_int(&a, 8, at->ints[i]);
        break;
    case ET_ATTR_STRINGS:
        for (int i = 0; i < at->n; i++)
            et_pbw_str(&a, 9, at->strings[i]);
        break;
    default:
        o->failed = true; /* graphs and sparse tensors never reach a tuned graph */
        break;
    }
    et_pbw_msg(attrs, 5, &a);
    et_pbw_free(&a);
}

static void initializer(ow *o, const char *name, et_dtype dt, const et_shape *s, const void *data, size_t nbytes) {
    et_pbw t = {0};
    tensor(&t, name, dt, s, data, nbytes);
    et_pbw_msg(&o->gr, 5, &t);
    et_pbw_free(&t);
}

static void node(ow *o, const char *op, const char *name, const char *const *ins, int n_in, const char *const *outs,
                 int n_out, const et_pbw *attrs) {
    et_pbw n = {0};
    for (int i = 0; i < n_in; i++)
        et_pbw_str(&n, 1, ins[i] ? ins[i] : "");
    for (int i = 0; i < n_out; i++)
        et_pbw_str(&n, 2, outs[i] ? outs[i] : "");
    if (name)
        et_pbw_str(&n, 3, name);
    et_pbw_str(&n, 4, op);
    if (attrs)
        et_pbw_raw(&n, attrs->buf, attrs->len);
    et_pbw_msg(&o->gr, 1, &n);
    et_pbw_free(&n);
    o->n_nodes++;
    if (strcmp(op, "QuantizeLinear") == 0 || strcmp(op, "DequantizeLinear") == 0)
        o->n_qdq++;
    for (int i = 0; i < n_in; i++)
        o->failed |= !ins[i] && i == 0;
    for (int i = 0; i < n_out; i++)
        o->failed |= !outs[i];
}

/* ---- quantization parameters --------------------------------------------------------------------------- */

/* Scale (float) and zero point (int8, or none when zp_type is 0) initializers for q; per axis when q has more
 * than one scale (a 1-D tensor), else scalars. Writes their names. */
static void qparams(ow *o, const char *base, const et_quant_info *q, et_dtype zp_type, const char **s_name,
                    const char **z_name) {
    bool per_axis = q->n > 1;
    et_shape s = per_axis ? (et_shape){.rank = 1, .dim = {q->n}} : (et_shape){.rank = 0};
    *s_name = fresh(o, "%s_scale", base);
    if (*s_name)
        initializer(o, *s_name, ET_DT_F32, &s, q->scale, (size_t)q->n * sizeof(float));
    *z_name = NULL;
    if (zp_type == ET_DT_UNDEFINED)
        return;
    int8_t *z = malloc((size_t)q->n + 1);
    if (!z) {
        o->failed = true;
        return;
    }
    for (int i = 0; i < q->n; i++)
        z[i] = (int8_t)q->zero_point[i];
    *z_name = fresh(o, "%s_zero_point", base);
    if (*z_name)
        initializer(o, *z_name, ET_DT_I8, &s, z, (size_t)q->n);
    free(z);
}

/* DequantizeLinear(x) with q's parameters -> a new name, or `out` when given. axis: per-axis scales' axis. */
static const char *dequantize(ow *o, const char *x, const et_quant_info *q, bool with_zp, int axis, const char *out) {
    const char *s, *z;
    qparams(o, x, q, with_zp ? ET_DT_I8 : ET_DT_UNDEFINED, &s, &z);
    const char *y = out ? out : fresh(o, "%s_dq", x);
    const char *ins[3] = {x, s, z};
    et_pbw attrs = {0};
    if (q->n > 1)
        attr_int(&attrs, "axis", axis);
    node(o, "DequantizeLinear", fresh(o, "%s_DequantizeLinear", x), ins, z ? 3 : 2, &y, 1, &attrs);
    et_pbw_free(&attrs);
    return y;
}

static void quantize(ow *o, const char *x, const et_quant_info *q, const char *out) {
    const char *s, *z;
    qparams(o, out, q, ET_DT_I8, &s, &z);
    const char *ins[3] = {x, s, z};
    node(o, "QuantizeLinear", fresh(o, "%s_QuantizeLinear", out), ins, 3, &out, 1, NULL);
}

/* The name of constant value v, writing it on first use: as stored, or (weight-only quantized) as int8 codes or
 * float16 with a node that restores float32 under the value's own name. */
static const char *constant(ow *o, int v) {
    const et_value *val = &o->g->values[v];
    if (o->emitted[v])
        return val->name;
    o->emitted[v] = 1;
    const et_quant_info *q = val->quant;
    if (!q || val->dtype != ET_DT_F32) {
        initializer(o, val->name, val->dtype, &val->shape, val->data, val->nbytes);
        return val->name;
    }
    int64_t n = et_shape_numel(&val->shape);
    const float *w = val->data;
    if (q->n == 0 && q->storage_bits == 16) { /* fp16 weights */
        uint16_t *h = malloc((size_t)(n ? n : 1) * sizeof *h);
        const char *hn = fresh(o, "%s_fp16", val->name);
        if (!h || !hn) {
            free(h);
            o->failed = true;
            return val->name;
        }
        for (int64_t i = 0; i < n; i++)
            h[i] = et_f32_to_f16(w[i]);
        initializer(o, hn, ET_DT_F16, &val->shape, h, (size_t)n * 2);
        free(h);
        et_pbw attrs = {0};
        attr_int(&attrs, "to", ET_DT_F32);
        node(o, "Cast", fresh(o, "%s_Cast", val->name), &hn, 1, &val->name, 1, &attrs);
        et_pbw_free(&attrs);
        return val->name;
    }
    /* int codes: the float values are scale * (code - zero point) exactly, so rounding recovers the codes */
    int axis = q->axis < 0 ? 0 : q->axis;
    int64_t outer = 1, inner = 1, d = q->n > 1 ? val->shape.dim[axis] : 1;
    for (int i = 0; i < axis; i++)
        outer *= val->shape.dim[i];
    for (int i = axis + 1; q->n > 1 && i < val->shape.rank; i++)
        inner *= val->shape.dim[i];
    if (q->n <= 1)
        inner = n;
    int8_t *codes = malloc((size_t)(n ? n : 1));
    const char *qn = fresh(o, "%s_quantized", val->name);
    if (!codes || !qn) {
        free(codes);
        o->failed = true;
        return val->name;
    }
    for (int64_t a = 0; a < outer; a++)
        for (int64_t c = 0; c < d; c++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t at = (a * d + c) * inner + i;
                long r = lrintf(w[at] / q->scale[c]) + q->zero_point[c];
                codes[at] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
            }
    initializer(o, qn, ET_DT_I8, &val->shape, codes, (size_t)n);
    free(codes);
    bool zp = false;
    for (int i = 0; i < q->n; i++)
        zp |= q->zero_point[i] != 0;
    dequantize(o, qn, q, zp, axis, val->name);
    return val->name;
}

/* The name of input j of node n (constants written on first use), or NULL for an omitted input. */
static const char *input(ow *o, const et_node *n, int j) {
    int v = j < n->n_inputs ? n->inputs[j] : -1;
    if (v < 0)
        return NULL;
    return o->g->values[v].kind == ET_VAL_CONST ? constant(o, v) : o->g->values[v].name;
}

static const char *scalar_f32(ow *o, const char *base, float v) {
    const char *name = fresh(o, "%s", base);
    if (name)
        initializer(o, name, ET_DT_F32, &(et_shape){.rank = 0}, &v, sizeof v);
    return name;
}

/* The fused activation of n as its own node(s), from x to y. */
static void activation(ow *o, const et_node *n, const char *x, const char *y) {
    const et_activation *a = &n->act;
    et_pbw attrs = {0};
    const char *nm = fresh(o, "%s_%s", n->name, et_act_name(a->kind));
    switch (a->kind) {
    case ET_ACT_RELU: node(o, "Relu", nm, &x, 1, &y, 1, NULL); break;
    case ET_ACT_SIGMOID: node(o, "Sigmoid", nm, &x, 1, &y, 1, NULL); break;
    case ET_ACT_TANH: node(o, "Tanh", nm, &x, 1, &y, 1, NULL); break;
    case ET_ACT_LEAKY_RELU:
        attr_float(&attrs, "alpha", a->alpha);
        node(o, "LeakyRelu", nm, &x, 1, &y, 1, &attrs);
        break;
    case ET_ACT_HARD_SIGMOID:
        attr_float(&attrs, "alpha", a->alpha);
        attr_float(&attrs, "beta", a->beta);
        node(o, "HardSigmoid", nm, &x, 1, &y, 1, &attrs);
        break;
    case ET_ACT_CLIP:
        if (o->opset < 11) {
            if (a->alpha > -INFINITY)
                attr_float(&attrs, "min", a->alpha);
            if (a->beta < INFINITY)
                attr_float(&attrs, "max", a->beta);
            node(o, "Clip", nm, &x, 1, &y, 1, &attrs);
        } else {
            const char *ins[3] = {x, a->alpha > -INFINITY ? scalar_f32(o, "clip_min", a->alpha) : "",
                                  a->beta < INFINITY ? scalar_f32(o, "clip_max", a->beta) : ""};
            node(o, "Clip", nm, ins, 3, &y, 1, NULL);
        }
        break;
    case ET_ACT_HARD_SWISH:
        if (o->opset >= 14) {
            node(o, "HardSwish", nm, &x, 1, &y, 1, NULL);
        } else { /* x * HardSigmoid(x; 1/6, 1/2) */
            const char *h = fresh(o, "%s_hsig", x);
            attr_float(&attrs, "alpha", 1.0f / 6.0f);
            attr_float(&attrs, "beta", 0.5f);
            node(o, "HardSigmoid", nm, &x, 1, &h, 1, &attrs);
            const char *ins[2] = {x, h};
            node(o, "Mul", fresh(o, "%s_Mul", nm), ins, 2, &y, 1, NULL);
        }
        break;
    default: o->failed = true; break;
    }
    et_pbw_free(&attrs);
}

/* Output `out` of a float computation ending in `pre`: the activation (if any), then quantization (if q). */
static void finish(ow *o, const et_node *n, const char *pre, const char *out, const et_quant_info *q) {
    const char *x = pre;
    if (n->act.kind != ET_ACT_NONE) {
        const char *y = q ? fresh(o, "%s_act", out) : out;
        activation(o, n, x, y);
        x = y;
    }
    if (q)
        quantize(o, x, q, out);
}

/* ---- nodes -------------------------------------------------------------------------------------------- */

static void copy_attrs(ow *o, const et_node *n, et_pbw *attrs) {
    for (int i = 0; i < n->n_attrs; i++)
        attr_copy(o, attrs, &n->attrs[i]);
}

static void write_qconv_gemm(ow *o, const et_node *n) {
    const et_graph *g = o->g;
    const et_value *xv = &g->values[n->inputs[0]], *wv = &g->values[n->inputs[1]], *yv = &g->values[n->outputs[0]];
    const et_value *bv = n->n_inputs > 2 && n->inputs[2] >= 0 ? &g->values[n->inputs[2]] : NULL;
    const et_value *rv = n->n_inputs > 3 && n->inputs[3] >= 0 ? &g->values[n->inputs[3]] : NULL;
    const char *xf = dequantize(o, xv->name, xv->quant, true, 0, NULL);
    bool conv = n->op == ET_OP_QCONV;
    bool matmul = !conv && xv->shape.rank != 2;
    /* weights: int8 [O, ...] per axis 0; MatMul wants [K, N]: transposed, axis 1 */
    const char *wq = fresh(o, "%s", wv->name);
    if (matmul) {
        int64_t N = wv->shape.dim[0], K = wv->shape.dim[1];
        int8_t *t = malloc((size_t)(N * K > 0 ? N * K : 1));
        if (!t) {
            o->failed = true;
            return;
        }
        const int8_t *s = wv->data;
        for (int64_t i = 0; i < N; i++)
            for (int64_t k = 0; k < K; k++)
                t[k * N + i] = s[i * K + k];
        initializer(o, wq, ET_DT_I8, &(et_shape){.rank = 2, .dim = {K, N}}, t, (size_t)(N * K));
        free(t);
    } else {
        initializer(o, wq, ET_DT_I8, &wv->shape, wv->data, wv->nbytes);
    }
    const char *wf = dequantize(o, wq, wv->quant, true, matmul ? 1 : 0, NULL);
    const char *bf = NULL;
    if (bv) {
        const char *bq = fresh(o, "%s", bv->name);
        initializer(o, bq, ET_DT_I32, &bv->shape, bv->data, bv->nbytes);
        bf = dequantize(o, bq, bv->quant, false, 0, NULL);
    }
    const char *y1 = fresh(o, "%s_out", n->name);
    et_pbw attrs = {0};
    if (conv) {
        copy_attrs(o, n, &attrs);
        const char *ins[3] = {xf, wf, bf};
        node(o, "Conv", n->name, ins, bf ? 3 : 2, &y1, 1, &attrs);
    } else if (!matmul) {
        attr_int(&attrs, "transB", 1);
        const char *ins[3] = {xf, wf, bf};
        node(o, "Gemm", n->name, ins, bf ? 3 : 2, &y1, 1, &attrs);
    } else {
        const char *ins[2] = {xf, wf};
        const char *mm = bf ? fresh(o, "%s_matmul", n->name) : y1;
        node(o, "MatMul", n->name, ins, 2, &mm, 1, NULL);
        if (bf) {
            const char *ai[2] = {mm, bf};
            node(o, "Add", fresh(o, "%s_bias", n->name), ai, 2, &y1, 1, NULL);
        }
    }
    et_pbw_free(&attrs);
    const char *pre = y1;
    if (rv) {
        const char *rf = dequantize(o, rv->name, rv->quant, true, 0, NULL);
        const char *y2 = fresh(o, "%s_residual", n->name);
        const char *ins[2] = {y1, rf};
        node(o, "Add", fresh(o, "%s_Add", n->name), ins, 2, &y2, 1, NULL);
        pre = y2;
    }
    finish(o, n, pre, yv->name, yv->quant);
}

static void write_node(ow *o, const et_node *n) {
    const et_graph *g = o->g;
    switch (n->op) {
    case ET_OP_QUANTIZE:
        quantize(o, input(o, n, 0), g->values[n->outputs[0]].quant, g->values[n->outputs[0]].name);
        return;
    case ET_OP_DEQUANTIZE: {
        const et_value *q = &g->values[n->inputs[0]];
        dequantize(o, q->name, q->quant, true, 0, g->values[n->outputs[0]].name);
        return;
    }
    case ET_OP_QCONV:
    case ET_OP_QGEMM: write_qconv_gemm(o, n); return;
    case ET_OP_QADD: {
        const et_value *a = &g->values[n->inputs[0]], *b = &g->values[n->inputs[1]], *y = &g->values[n->outputs[0]];
        const char *ins[2] = {dequantize(o, a->name, a->quant, true, 0, NULL),
                              dequantize(o, b->name, b->quant, true, 0, NULL)};
        const char *s = fresh(o, "%s_sum", n->name);
        node(o, "Add", n->name, ins, 2, &s, 1, NULL);
        finish(o, n, s, y->name, y->quant);
        return;
    }
    case ET_OP_QMUL: {
        const et_value *a = &g->values[n->inputs[0]], *b = &g->values[n->inputs[1]], *y = &g->values[n->outputs[0]];
        const char *ins[2] = {dequantize(o, a->name, a->quant, true, 0, NULL),
                              dequantize(o, b->name, b->quant, true, 0, NULL)};
        const char *s = fresh(o, "%s_prod", n->name);
        node(o, "Mul", n->name, ins, 2, &s, 1, NULL);
        finish(o, n, s, y->name, y->quant);
        return;
    }
    case ET_OP_QGAP: {
        const et_value *x = &g->values[n->inputs[0]], *y = &g->values[n->outputs[0]];
        const char *in = dequantize(o, x->name, x->quant, true, 0, NULL);
        const char *s = fresh(o, "%s_mean", n->name);
        node(o, "GlobalAveragePool", n->name, &in, 1, &s, 1, NULL);
        finish(o, n, s, y->name, y->quant);
        return;
    }
    case ET_OP_QLUT: { /* the table is the activation between a dequantize and a quantize */
        const et_value *x = &g->values[n->inputs[0]], *y = &g->values[n->outputs[0]];
        finish(o, n, dequantize(o, x->name, x->quant, true, 0, NULL), y->name, y->quant);
        return;
    }
    default: break;
    }
    const char *ins[64] = {0}, *outs[16] = {0};
    if (n->n_inputs > 64 || n->n_outputs > 16) {
        o->failed = true;
        return;
    }
    for (int j = 0; j < n->n_inputs; j++)
        ins[j] = input(o, n, j);
    for (int j = 0; j < n->n_outputs; j++)
        outs[j] = n->outputs[j] >= 0 ? g->values[n->outputs[j]].name : "";
    const char *y = n->n_outputs > 0 ? outs[0] : NULL;
    if (n->act.kind != ET_ACT_NONE && n->n_outputs > 0)
        outs[0] = fresh(o, "%s_preact", y);
    for (int j = 0; j < n->n_inputs; j++)
        if (!ins[j])
            ins[j] = "";
    et_pbw attrs = {0};
    copy_attrs(o, n, &attrs);
    node(o, n->op_type, n->name, ins, n->n_inputs, outs, n->n_outputs, &attrs);
    et_pbw_free(&attrs);
    if (n->act.kind != ET_ACT_NONE && n->n_outputs > 0)
        activation(o, n, outs[0], y);
}

static void value_info(et_pbw *gr, int field, const et_value *v) {
    et_pbw shape = {0}, tt = {0}, type = {0}, vi = {0};
    for (int i = 0; i < v->shape.rank; i++) {
        et_pbw d = {0};
        if (v->dim_param[i])
            et_pbw_str(&d, 2, v->dim_param[i]);
        else
            et_pbw_int(&d, 1, v->shape.dim[i]);
        et_pbw_msg(&shape, 1, &d);
        et_pbw_free(&d);
    }
    et_pbw_uint(&tt, 1, (uint64_t)v->dtype);
    et_pbw_msg(&tt, 2, &shape);
    et_pbw_msg(&type, 1, &tt);
    et_pbw_str(&vi, 1, v->name);
    et_pbw_msg(&vi, 2, &type);
    et_pbw_msg(gr, field, &vi);
    et_pbw_free(&shape), et_pbw_free(&tt), et_pbw_free(&type), et_pbw_free(&vi);
}

/* The opset to write: the model's, raised to 13 when QDQ with per-axis scales is needed and nothing in the graph
 * changed meaning on the way. 0 with err filled when it cannot be. */
static int64_t choose_opset(const et_graph *g, et_err *err) {
    int64_t opset = g->opset > 0 ? g->opset : 13;
    bool qdq = false;
    for (int i = 0; i < g->n_values; i++)
        qdq |= g->values[i].quant != NULL;
    if (!qdq || opset >= 13)
        return opset;
    for (int i = 0; i < g->n_nodes; i++) {
        et_op op = g->nodes[i].op;
        bool changed = op == ET_OP_SQUEEZE || op == ET_OP_UNSQUEEZE || op == ET_OP_SPLIT || op == ET_OP_REDUCE_SUM ||
                       (opset < 11 && (op == ET_OP_CLIP || op == ET_OP_UPSAMPLE || op == ET_OP_RESIZE ||
                                       op == ET_OP_PAD || op == ET_OP_SLICE));
        if (changed) {
            et_fail(err, ET_E_UNSUPPORTED,
                    "node '%s' (%s): the model's opset %lld differs from opset 13, which per-channel quantized "
                    "weights need; re-export the model with opset 13 or newer",
                    g->nodes[i].name, g->nodes[i].op_type, (long long)opset);
            return 0;
        }
    }
    return 13;
}

et_status et_onnx_encode(const et_graph *g, const char *producer_version, et_pbw *out, et_onnx_write_info *info,
                         et_err *err) {
    memset(out, 0, sizeof *out);
    ow o = {.g = g, .err = err};
    o.opset = choose_opset(g, err);
    if (!o.opset)
        return ET_E_UNSUPPORTED;
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        if (!n->dead && et_op_is_internal(n->op) && n->op != ET_OP_QUANTIZE && n->op != ET_OP_DEQUANTIZE &&
            n->op != ET_OP_QCONV && n->op != ET_OP_QGEMM && n->op != ET_OP_QADD && n->op != ET_OP_QLUT &&
            n->op != ET_OP_QMUL && n->op != ET_OP_QGAP)
            return et_fail(err, ET_E_UNSUPPORTED, "node '%s': the engine operator %s has no ONNX form", n->name,
                           et_op_name(n->op));
    }
    et_strmap_init(&o.names);
    o.emitted = calloc((size_t)g->n_values + 1, 1);
    if (!o.emitted) {
        et_strmap_free(&o.names);
        return et_fail(err, ET_E_NOMEM, "out of memory writing the ONNX file");
    }
    for (int i = 0; i < g->n_values; i++)
        o.failed |= !et_strmap_put(&o.names, g->values[i].name, i);
    et_pbw_str(&o.gr, 2, "edgetune");
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            write_node(&o, &g->nodes[i]);
    for (int i = 0; i < g->n_inputs; i++)
        value_info(&o.gr, 11, &g->values[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        value_info(&o.gr, 12, &g->values[g->outputs[i]]);
    /* a graph output that is a constant or a graph input needs no node; a constant must be an initializer */
    for (int i = 0; i < g->n_outputs; i++)
        if (g->values[g->outputs[i]].kind == ET_VAL_CONST)
            constant(&o, g->outputs[i]);
    et_pbw opset = {0};
    et_pbw_str(&opset, 1, "");
    et_pbw_int(&opset, 2, o.opset);
    et_pbw_int(out, 1, o.opset <= 14 ? 7 : o.opset <= 17 ? 8 : 9);
    et_pbw_str(out, 2, "edgetune");
    et_pbw_str(out, 3, producer_version ? producer_version : "");
    et_pbw_msg(out, 7, &o.gr);
    et_pbw_msg(out, 8, &opset);
    et_pbw_free(&opset);
    bool failed = o.failed || o.gr.failed || out->failed;
    if (info) {
        info->opset = o.opset;
        info->n_nodes = o.n_nodes;
        info->n_qdq = o.n_qdq;
        info->bytes = (int64_t)out->len;
    }
    et_pbw_free(&o.gr);
    for (int i = 0; i < o.n_owned; i++)
        free(o.owned[i]);
    free(o.owned);
    free(o.emitted);
    et_strmap_free(&o.names);
    if (failed) {
        et_pbw_free(out);
        return et_fail(err, ET_E_NOMEM, "out of memory (or an attribute kind that cannot be written) encoding ONNX");
    }
    return ET_OK;
}

et_status et_onnx_write(const et_graph *g, const char *path, const char *producer_version, et_onnx_write_info *info,
                        et_err *err) {
    et_pbw buf;
    et_status st = et_onnx_encode(g, producer_version, &buf, info, err);
    if (st != ET_OK)
        return st;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        et_pbw_free(&buf);
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    bool ok = fwrite(buf.buf, 1, buf.len, f) == buf.len;
    ok = fclose(f) == 0 && ok;
    et_pbw_free(&buf);
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return et_fail(err, ET_E_IO, "%s: write failed: %s", path, strerror(e));
    }
    return ET_OK;
}
