/* qquant.c: et.Quantize (float32 -> int8) and et.Dequantize (int8 -> float32), per tensor.
 *
 * The scale and zero point are the quantized value's et_quant_info (the output of Quantize, the input of
 * Dequantize), set by the tune pass that created the node (tune/qgraph.c). Both are elementwise, so the layout
 * pass keeps them channels-last when their input is. They mark the edges of int8 regions: an operator with no
 * int8 version (pooling, softmax, a Conv with a HardSwish) runs in float32 between a Dequantize and a Quantize. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "model/quant_info.h"

static et_status infer_common(et_graph *g, et_node *n, et_dtype in_type, et_dtype out_type, int qv, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (x->dtype != in_type)
        return et_op_fail(err, n, "expects %s input, got %s", et_dtype_name(in_type), et_dtype_name(x->dtype));
    const et_quant_info *q = g->values[qv].quant;
    if (!q || q->n != 1)
        return et_op_fail(err, n, "the int8 tensor '%s' has no per-tensor scale", g->values[qv].name);
    et_op_set_output(g, n, 0, out_type, &x->shape);
    return ET_OK;
}

static et_status quantize_infer(et_graph *g, et_node *n, et_err *err) {
    return infer_common(g, n, ET_DT_F32, ET_DT_I8, n->outputs[0], err);
}
static et_status dequantize_infer(et_graph *g, et_node *n, et_err *err) {
    return infer_common(g, n, ET_DT_I8, ET_DT_F32, n->inputs[0], err);
}

typedef struct qparams {
    et_qs8_quantize_params q;
    et_qs8_dequantize_params d;
    const et_qs8_vcvt_config *cfg;
    size_t n;
    const void *x;
    void *y;
} qparams;

enum { CHUNK = 4096 };

static void quantize_task(void *ctx, size_t i0, size_t i1) {
    const qparams *p = ctx;
    size_t e0 = i0 * CHUNK, e1 = i1 * CHUNK < p->n ? i1 * CHUNK : p->n;
    p->cfg->quantize(e1 - e0, (const float *)p->x + e0, (int8_t *)p->y + e0, &p->q);
}
static void dequantize_task(void *ctx, size_t i0, size_t i1) {
    const qparams *p = ctx;
    size_t e0 = i0 * CHUNK, e1 = i1 * CHUNK < p->n ? i1 * CHUNK : p->n;
    p->cfg->dequantize(e1 - e0, (const int8_t *)p->x + e0, (float *)p->y + e0, &p->d);
}

static et_status run_quantize(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    qparams p = *(const qparams *)inst->params;
    p.x = inst->in[0].data;
    p.y = inst->out[0].data;
    /* a float and an int8 per element */
    et_par_for(et_threadpool_for_work(ctx->pool, (double)p.n * 5 * ET_NS_PER_BYTE_STREAM), (p.n + CHUNK - 1) / CHUNK,
               quantize_task, &p);
    (void)err;
    return ET_OK;
}
static et_status run_dequantize(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    qparams p = *(const qparams *)inst->params;
    p.x = inst->in[0].data;
    p.y = inst->out[0].data;
    /* a float and an int8 per element */
    et_par_for(et_threadpool_for_work(ctx->pool, (double)p.n * 5 * ET_NS_PER_BYTE_STREAM), (p.n + CHUNK - 1) / CHUNK,
               dequantize_task, &p);
    (void)err;
    return ET_OK;
}

static et_status prepare_common(const et_graph *g, const et_node *n, et_op_inst *inst, int qv, bool quantize,
                                et_err *err) {
    const et_quant_info *q = g->values[qv].quant;
    if (!q || q->n != 1 || !(q->scale[0] > 0.0f))
        return et_op_fail(err, n, "the int8 tensor '%s' has no valid scale", g->values[qv].name);
    qparams *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_qs8_quantize_params_init(&p->q, q->scale[0], q->zero_point[0], -128, 127);
    p->d.scale = q->scale[0];
    p->d.zp = q->zero_point[0];
    p->cfg = et_qs8_vcvt_config_get();
    p->n = (size_t)et_shape_numel(&inst->in[0].shape);
    inst->params = p;
    inst->run = quantize ? run_quantize : run_dequantize;
    snprintf(inst->kernel, sizeof inst->kernel, "%s", p->cfg->name);
    snprintf(inst->precision, sizeof inst->precision, "int8");
    return ET_OK;
}

static et_status quantize_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    return prepare_common(g, n, inst, n->outputs[0], true, err);
}
static et_status dequantize_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    return prepare_common(g, n, inst, n->inputs[0], false, err);
}

const et_op_impl et_impl_quantize = {quantize_infer, quantize_prepare};
const et_op_impl et_impl_dequantize = {dequantize_infer, dequantize_prepare};
