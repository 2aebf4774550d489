/* qadd.c: et.QAdd: y = a + b on int8 tensors of the same shape, each with its own per-tensor scale (residual
 * connections between quantized convolutions that could not fuse the add, so the int8 region does not end at every
 * block). The fused activation (Relu or Clip after the add, as in ResNet) narrows the output range. Kernel:
 * qs8-vadd (arithmetic in its header and qc8-ref.h). */
#include <stdio.h>
#include <stdlib.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/kernels/qs8-vadd/qs8-vadd.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "engine/nodes/qops.h"
#include "model/quant_info.h"

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *a = et_node_cin(g, n, 0), *b = et_node_cin(g, n, 1);
    if (a->dtype != ET_DT_I8 || b->dtype != ET_DT_I8 || !et_shape_equal(&a->shape, &b->shape))
        return et_op_fail(err, n, "expects two int8 tensors of the same shape");
    et_op_set_output(g, n, 0, ET_DT_I8, &a->shape);
    return ET_OK;
}

typedef struct params {
    et_qs8_add_params q;
    const et_qs8_vadd_config *cfg;
    size_t n;
    const int8_t *a, *b;
    int8_t *y;
} params;

static void task(void *ctx, size_t i0, size_t i1) {
    const params *p = ctx;
    size_t e0 = i0 * 4096, e1 = i1 * 4096 < p->n ? i1 * 4096 : p->n;
    p->cfg->ukernel(e1 - e0, p->a + e0, p->b + e0, 0, p->y + e0, &p->q);
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    params p = *(const params *)inst->params;
    p.a = inst->in[0].data;
    p.b = inst->in[1].data;
    p.y = inst->out[0].data;
    /* two int8 inputs and an int8 output per element */
    et_par_for(et_threadpool_for_work(ctx->pool, (double)p.n * 3 * ET_NS_PER_BYTE_STREAM), (p.n + 4095) / 4096, task,
               &p);
    (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    const et_quant_info *q[3];
    float lo, hi;
    void *block;
    et_status st = et_qnode_begin(g, n, 2, q, &lo, &hi, sizeof(params), &block, err);
    if (st != ET_OK)
        return st;
    params *p = block;
    const et_quant_info *aq = q[0], *bq = q[1], *yq = q[2];
    int32_t qmin, qmax;
    et_qc8_act_range(lo, hi, yq->scale[0], yq->zero_point[0], &qmin, &qmax);
    et_qs8_add_params_init(&p->q, aq->scale[0], aq->zero_point[0], bq->scale[0], bq->zero_point[0], yq->scale[0],
                           yq->zero_point[0], qmin, qmax);
    p->cfg = et_qs8_vadd_config_get();
    p->n = (size_t)et_shape_numel(&inst->in[0].shape);
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel, "%s", p->cfg->name);
    snprintf(inst->precision, sizeof inst->precision, "int8");
    return ET_OK;
}

const et_op_impl et_impl_qadd = {infer, prepare};
