/* qmul.c: et.QMul: y = a * b on int8 tensors with numpy broadcasting, each with its own per-tensor scale: the
 * squeeze-excitation channel scaling of MobileNetV3 (x [N,C,H,W] times the int8 gate [N,C,1,1]) without leaving
 * int8. bcast.h turns the broadcast into runs of `inner` elements with operand strides 0 or 1, each one call of
 * the qs8-vmul kernel of this CPU (a run where only a is broadcast swaps the operands: the product commutes); the
 * rare run with both broadcast goes to qc8-ref's et_qc8_mul_ref, which every kernel gives the same bytes as. The
 * squeeze-excitation pattern (channels-last x times a gate broadcast over the rows of H x W) goes to the kernel's
 * rows form, one call per run of rows sharing a gate: with 16 channels over 56 x 56, one call per row of 16 cost
 * more than the products. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/kernels/qs8-vmul/qs8-vmul.h"
#include "engine/nodes/bcast.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "engine/nodes/qops.h"
#include "model/quant_info.h"

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *a = et_node_cin(g, n, 0), *b = et_node_cin(g, n, 1);
    et_shape y;
    if (a->dtype != ET_DT_I8 || b->dtype != ET_DT_I8 || !et_shape_broadcast(&a->shape, &b->shape, &y))
        return et_op_fail(err, n, "expects two int8 tensors that broadcast");
    et_op_set_output(g, n, 0, ET_DT_I8, &y);
    return ET_OK;
}

typedef struct params {
    et_qc8_mul_params q;
    et_qs8_mul_params k, k_swapped; /* the kernel's parameters; the same with a and b exchanged */
    const et_qs8_vmul_config *cfg;
    et_bcast bc;
    size_t period; /* > 0: the gate pattern, one gate per `period` rows (0: row by row) */
    int swap;      /* in the gate pattern: a is the gate */
    const int8_t *a, *b;
    int8_t *y;
} params;

/* Rows r0..r1 of the gate pattern: each run of rows that shares one gate row is one call of the rows kernel. */
static void gated_rows(const params *p, size_t r0, size_t r1) {
    const size_t n = (size_t)p->bc.inner;
    for (size_t r = r0; r < r1;) {
        const size_t end = (r / p->period + 1) * p->period < r1 ? (r / p->period + 1) * p->period : r1;
        int64_t off[2];
        et_bcast_offsets(&p->bc, (int64_t)r, off);
        int8_t *y = p->y + r * n;
        if (p->swap)
            p->cfg->rows(end - r, n, p->b + off[1], p->a + off[0], y, &p->k_swapped);
        else
            p->cfg->rows(end - r, n, p->a + off[0], p->b + off[1], y, &p->k);
        r = end;
    }
}

static void rows(void *ctx, size_t r0, size_t r1) {
    const params *p = ctx;
    if (p->period > 0) {
        gated_rows(p, r0, r1);
        return;
    }
    const size_t n = (size_t)p->bc.inner;
    const int64_t sa = p->bc.stride[0][p->bc.rank - 1], sb = p->bc.stride[1][p->bc.rank - 1];
    for (size_t r = r0; r < r1; r++) {
        int64_t off[2];
        et_bcast_offsets(&p->bc, (int64_t)r, off);
        const int8_t *a = p->a + off[0], *b = p->b + off[1];
        int8_t *y = p->y + (int64_t)r * p->bc.inner;
        if (sa != 0)
            p->cfg->ukernel(n, a, b, sb == 0, y, &p->k);
        else if (sb != 0)
            p->cfg->ukernel(n, b, a, 1, y, &p->k_swapped);
        else
            et_qc8_mul_ref(&p->q, n, a, 0, b, 0, y);
    }
}

/* The gate pattern: both operands step by 1 along the rows, and across the next dimension out one walks its rows
 * (stride inner) while the other stays put (stride 0), so runs of dim[rank - 2] rows share one row of it. */
static void set_gate_pattern(params *p) {
    const et_bcast *bc = &p->bc;
    p->period = 0;
    if (bc->rank < 2 || bc->stride[0][bc->rank - 1] != 1 || bc->stride[1][bc->rank - 1] != 1)
        return;
    const int64_t sa = bc->stride[0][bc->rank - 2], sb = bc->stride[1][bc->rank - 2];
    if ((sa == bc->inner && sb == 0) || (sa == 0 && sb == bc->inner)) {
        p->period = (size_t)bc->dim[bc->rank - 2];
        p->swap = sa == 0;
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    params p = *(const params *)inst->params;
    p.a = inst->in[0].data;
    p.b = inst->in[1].data;
    p.y = inst->out[0].data;
    const double bytes = (double)(p.bc.outer * p.bc.inner) * 3;
    et_par_for(et_threadpool_for_work(ctx->pool, bytes * ET_NS_PER_BYTE_STREAM), (size_t)p.bc.outer, rows, &p);
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
    p->q.a_zp = aq->zero_point[0];
    p->q.b_zp = bq->zero_point[0];
    p->q.y_zp = yq->zero_point[0];
    p->q.mult = aq->scale[0] * bq->scale[0] / yq->scale[0];
    et_qc8_act_range(lo, hi, yq->scale[0], yq->zero_point[0], &p->q.qmin, &p->q.qmax);
    et_qs8_mul_params_init(&p->k, aq->scale[0], p->q.a_zp, bq->scale[0], p->q.b_zp, yq->scale[0], p->q.y_zp, p->q.qmin,
                           p->q.qmax);
    p->k.mult = p->q.mult; /* exactly the reference's multiplier */
    p->k_swapped = p->k;
    p->k_swapped.a_zp = p->q.b_zp;
    p->k_swapped.b_zp = p->q.a_zp;
    p->cfg = et_qs8_vmul_config_get();
    const et_shape *ins[2] = {&inst->in[0].shape, &inst->in[1].shape};
    et_bcast_init(&p->bc, &inst->out[0].shape, ins, 2); /* the output is dense: row r starts at r x inner */
    set_gate_pattern(p);
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel, "%s", p->cfg->name);
    snprintf(inst->precision, sizeof inst->precision, "int8");
    return ET_OK;
}

const et_op_impl et_impl_qmul = {infer, prepare};
