/* qlinear.c: ONNX QuantizeLinear and DequantizeLinear (opset 10 and 13: per tensor, or per axis with 1-D scales),
 * so that QDQ models load, including the ones `edgetune save` writes. Dequantized constant weights fold into
 * float constants at load; on activations the pair runs as written (float in, float out, values snapped to the
 * int8 grid), which reproduces int8 execution up to float rounding.
 *
 *   QuantizeLinear    y = saturate(round_half_even(x / scale) + zero_point), y's type = the zero point's
 *                     (uint8 when absent); int8 and uint8
 *   DequantizeLinear  y = (x - zero_point) * scale; x int8, uint8 or int32 (int32 has no zero point) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/nodes/nodes.h"

static et_status check_params(const et_graph *g, const et_node *n, const et_value *x, int *axis, et_err *err) {
    const et_value *s = et_node_cin(g, n, 1), *z = et_node_cin(g, n, 2);
    if (!s || s->dtype != ET_DT_F32)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "the scale must be float32");
    int64_t ns = et_shape_numel(&s->shape);
    if (z && et_shape_numel(&z->shape) != ns)
        return et_op_fail(err, n, "scale and zero point differ in size");
    *axis = -1;
    if (s->shape.rank == 1 && (ns > 1 || x->shape.rank > 0)) {
        int ax;
        if (!et_op_axis(et_node_attr_int(n, "axis", 1), x->shape.rank, &ax))
            return et_op_fail(err, n, "axis out of range");
        if (ns > 1 && x->shape.dim[ax] != ns)
            return et_op_fail(err, n, "%lld scales for an axis of %lld", (long long)ns, (long long)x->shape.dim[ax]);
        *axis = ns > 1 ? ax : -1;
    } else if (ns != 1) {
        return et_op_fail(err, n, "the scale must be a scalar or a 1-D tensor");
    }
    return ET_OK;
}

static et_status quantize_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0), *z = et_node_cin(g, n, 2);
    int axis;
    if ((st = check_params(g, n, x, &axis, err)) != ET_OK)
        return st;
    et_dtype out = z ? z->dtype : ET_DT_U8;
    if (x->dtype != ET_DT_F32 || (out != ET_DT_U8 && out != ET_DT_I8))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "float32 to int8 or uint8 only");
    et_op_set_output(g, n, 0, out, &x->shape);
    return ET_OK;
}

static et_status dequantize_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0), *z = et_node_cin(g, n, 2);
    int axis;
    if ((st = check_params(g, n, x, &axis, err)) != ET_OK)
        return st;
    if (x->dtype != ET_DT_I8 && x->dtype != ET_DT_U8 && x->dtype != ET_DT_I32)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "int8, uint8 or int32 input only");
    if (z && z->dtype != x->dtype)
        return et_op_fail(err, n, "the zero point's type differs from the input's");
    et_op_set_output(g, n, 0, ET_DT_F32, &x->shape);
    return ET_OK;
}

typedef struct params {
    int64_t outer, d, inner; /* x as [outer][d][inner], scales along d */
    bool quantize;
} params;

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const float *s = inst->in[1].data;
    const et_tensor *zt = inst->n_in > 2 && inst->in[2].data ? &inst->in[2] : NULL;
    et_dtype qt = p->quantize ? inst->out[0].dtype : inst->in[0].dtype;
    int32_t lo = qt == ET_DT_U8 ? 0 : -128, hi = qt == ET_DT_U8 ? 255 : 127;
    for (int64_t a = 0; a < p->outer; a++)
        for (int64_t c = 0; c < p->d; c++) {
            float sc = s[p->d > 1 ? c : 0];
            int32_t zp = zt ? (int32_t)et_dtype_load_i64(zt->dtype, zt->data, (size_t)(p->d > 1 ? c : 0)) : 0;
            int64_t base = (a * p->d + c) * p->inner;
            if (p->quantize) {
                const float *x = inst->in[0].data;
                for (int64_t i = 0; i < p->inner; i++) {
                    float f = x[base + i] / sc;
                    f = f >= (float)(lo - zp) ? f : (float)(lo - zp); /* NaN -> low, as the int8 kernels */
                    f = f <= (float)(hi - zp) ? f : (float)(hi - zp);
                    int32_t q = (int32_t)lrintf(f) + zp;
                    if (qt == ET_DT_U8)
                        ((uint8_t *)inst->out[0].data)[base + i] = (uint8_t)q;
                    else
                        ((int8_t *)inst->out[0].data)[base + i] = (int8_t)q;
                }
            } else {
                float *y = inst->out[0].data;
                for (int64_t i = 0; i < p->inner; i++) {
                    int64_t q = et_dtype_load_i64(qt, inst->in[0].data, (size_t)(base + i));
                    y[base + i] = (float)(q - zp) * sc;
                }
            }
        }
    (void)ctx, (void)err;
    return ET_OK;
}

static et_status prepare_common(const et_graph *g, const et_node *n, et_op_inst *inst, bool quantize, et_err *err) {
    const et_value *x = et_node_cin(g, n, 0);
    int axis;
    et_status st = check_params(g, n, x, &axis, err);
    if (st != ET_OK)
        return st;
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    p->quantize = quantize;
    int64_t n_all = et_shape_numel(&inst->in[0].shape);
    p->outer = 1, p->d = 1, p->inner = n_all;
    if (axis >= 0) {
        p->d = inst->in[0].shape.dim[axis];
        p->inner = 1;
        for (int i = 0; i < axis; i++)
            p->outer *= inst->in[0].shape.dim[i];
        for (int i = axis + 1; i < inst->in[0].shape.rank; i++)
            p->inner *= inst->in[0].shape.dim[i];
    }
    inst->params = p;
    inst->run = run;
    snprintf(inst->precision, sizeof inst->precision, "int8");
    return ET_OK;
}

static et_status quantize_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    return prepare_common(g, n, inst, true, err);
}
static et_status dequantize_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    return prepare_common(g, n, inst, false, err);
}

const et_op_impl et_impl_quantize_linear = {quantize_infer, quantize_prepare};
const et_op_impl et_impl_dequantize_linear = {dequantize_infer, dequantize_prepare};
