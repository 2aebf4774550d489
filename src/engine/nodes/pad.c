/* pad.c: Pad in constant, reflect and edge modes (pads from the attribute before opset 11, from a constant
 * input after; negative pads crop). The constant value may be a runtime input, so it is read in run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nodes.h"

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE } pad_mode;

typedef struct params {
    pad_mode mode;
    int rank;
    int64_t begin[ET_MAX_RANK];
    double value; /* constant value from the attribute (opset < 11) */
} params;

static et_status resolve(const et_graph *g, const et_node *n, const et_shape *in, params *p, et_shape *out,
                         et_err *err) {
    int64_t pads[2 * ET_MAX_RANK];
    int np;
    if (g->opset < 11) {
        const int64_t *a = et_node_attr_ints(n, "pads", &np);
        if (!a)
            a = et_node_attr_ints(n, "paddings", &np);
        if (!a || np > 2 * ET_MAX_RANK)
            return et_op_fail(err, n, "needs pads");
        memcpy(pads, a, (size_t)np * sizeof *a);
        p->value = et_node_attr_float(n, "value", 0.0f);
    } else {
        np = et_op_const_ints(g, n, 1, pads, 2 * ET_MAX_RANK);
        if (np == -2)
            return et_op_fail_not_const(err, n, 1);
        if (np < 0)
            return et_op_fail(err, n, "pads must be an int64 tensor");
        p->value = 0.0;
    }
    if (np != 2 * in->rank)
        return et_op_fail(err, n, "pads has %d values for a %d-dim input", np, in->rank);
    const char *mode = et_node_attr_string(n, "mode", "constant");
    if (strcmp(mode, "constant") == 0)
        p->mode = PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0)
        p->mode = PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0)
        p->mode = PAD_EDGE;
    else
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "mode '%s' is not supported", mode);
    p->rank = in->rank;
    *out = *in;
    for (int d = 0; d < in->rank; d++) {
        int64_t b = pads[d], e = pads[d + in->rank];
        out->dim[d] = in->dim[d] + b + e;
        if (out->dim[d] < 0 || b > (1 << 24) || e > (1 << 24))
            return et_op_fail(err, n, "pads %lld/%lld invalid for dim %lld", (long long)b, (long long)e,
                              (long long)in->dim[d]);
        if (p->mode == PAD_REFLECT && (b >= in->dim[d] || e >= in->dim[d]) && (b > 0 || e > 0))
            return et_op_fail(err, n, "reflect pads must be smaller than the dim");
        if (p->mode != PAD_CONSTANT && in->dim[d] == 0 && out->dim[d] > 0)
            return et_op_fail(err, n, "cannot %s-pad an empty dim", mode);
        p->begin[d] = b;
    }
    return ET_OK;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, g->opset < 11 ? 1 : 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    params p;
    et_shape out;
    if ((st = resolve(g, n, &x->shape, &p, &out, err)) != ET_OK)
        return st;
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

/* Maps an output coordinate to an input one; false for the constant border. */
static bool map_index(pad_mode mode, int64_t o, int64_t begin, int64_t dim, int64_t *i) {
    int64_t v = o - begin;
    if (v >= 0 && v < dim) {
        *i = v;
        return true;
    }
    switch (mode) {
    case PAD_CONSTANT: return false;
    case PAD_EDGE: *i = v < 0 ? 0 : dim - 1; return true;
    case PAD_REFLECT:
        if (dim == 1) {
            *i = 0;
            return true;
        }
        while (v < 0 || v >= dim)
            v = v < 0 ? -v : 2 * (dim - 1) - v;
        *i = v;
        return true;
    }
    return false;
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const et_tensor *x = &inst->in[0];
    const et_tensor *y = &inst->out[0];
    et_dtype t = x->dtype;
    size_t es = et_dtype_size(t);
    double value = p->value;
    if (inst->n_in > 2 && inst->in[2].data)
        value = et_dtype_load(inst->in[2].dtype, inst->in[2].data, 0);
    unsigned char fill[16] = {0};
    et_dtype_store(t, fill, 0, value);
    int r = p->rank;
    int64_t numel = et_shape_numel(&y->shape);
    int64_t in_stride[ET_MAX_RANK];
    et_shape_strides(&x->shape, in_stride);
    for (int64_t k = 0; k < numel; k++) {
        int64_t rem = k, off = 0;
        bool inside = true;
        for (int d = r - 1; d >= 0; d--) {
            int64_t o = rem % y->shape.dim[d], i;
            rem /= y->shape.dim[d];
            if (!map_index(p->mode, o, p->begin[d], x->shape.dim[d], &i)) {
                inside = false;
                break;
            }
            off += i * in_stride[d];
        }
        memcpy((char *)y->data + (size_t)k * es, inside ? (const char *)x->data + (size_t)off * es : (const char *)fill,
               es);
    }
    (void)ctx, (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = malloc(sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_shape out;
    et_status st = resolve(g, n, &inst->in[0].shape, p, &out, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    inst->params = p;
    inst->run = run;
    return ET_OK;
}

const et_op_impl et_impl_pad = {infer, prepare};
