/* qlut.c: et.QLut: y = f(x) on an int8 tensor through a 256-entry table, for the activations that are not a clamp
 * (HardSwish, HardSigmoid, Sigmoid: the node's act), so a quantized MobileNetV3 stays int8 across them instead of
 * dequantizing around each. The table is built at prepare from the input's and output's per-tensor scales by
 * qc8-ref's et_qc8_lut_init (the float activation of activation.h, rounded once); the run is the x8-lut kernel
 * of this CPU (the same bytes as the reference et_qc8_lut_ref). */
#include <stdio.h>
#include <stdlib.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/kernels/x8-lut/x8-lut.h"
#include "engine/nodes/activation.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "engine/nodes/qops.h"
#include "model/quant_info.h"

static bool table_act(et_act_kind k) {
    return k == ET_ACT_HARD_SWISH || k == ET_ACT_HARD_SIGMOID || k == ET_ACT_SIGMOID;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (x->dtype != ET_DT_I8)
        return et_op_fail(err, n, "expects an int8 tensor");
    if (!table_act(n->act.kind))
        return et_op_fail(err, n, "has no table activation (HardSwish, HardSigmoid or Sigmoid)");
    et_op_set_output(g, n, 0, ET_DT_I8, &x->shape);
    return ET_OK;
}

typedef struct params {
    int8_t table[256];
    const et_x8_lut_config *cfg;
    size_t n;
    const int8_t *x;
    int8_t *y;
} params;

static float act_of(const void *ctx, float x) { return et_act_scalar(ctx, x); }

static void task(void *ctx, size_t i0, size_t i1) {
    const params *p = ctx;
    const size_t e0 = i0 * 4096, e1 = i1 * 4096 < p->n ? i1 * 4096 : p->n;
    p->cfg->ukernel(e1 - e0, p->x + e0, p->y + e0, p->table);
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    params p = *(const params *)inst->params;
    p.x = inst->in[0].data;
    p.y = inst->out[0].data;
    /* one int8 read and one written per element, plus a table lookup: about 3 bytes of traffic */
    et_par_for(et_threadpool_for_work(ctx->pool, (double)p.n * 3 * ET_NS_PER_BYTE_STREAM), (p.n + 4095) / 4096, task,
               &p);
    (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    const et_quant_info *q[2];
    void *block;
    et_status st = et_qnode_begin(g, n, 1, q, NULL, NULL, sizeof(params), &block, err);
    if (st != ET_OK)
        return st;
    params *p = block;
    const et_quant_info *xq = q[0], *yq = q[1];
    et_qc8_lut_init(act_of, &n->act, xq->scale[0], xq->zero_point[0], yq->scale[0], yq->zero_point[0], -128, 127,
                    p->table);
    p->cfg = et_x8_lut_config_get();
    p->n = (size_t)et_shape_numel(&inst->in[0].shape);
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel, "%s", p->cfg->name);
    snprintf(inst->precision, sizeof inst->precision, "int8");
    return ET_OK;
}

const et_op_impl et_impl_qlut = {infer, prepare};
