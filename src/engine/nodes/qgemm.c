/* qgemm.c: et.QGemm: a fully-connected layer on int8 tensors (quantized Gemm and MatMul with constant weights).
 *
 * Inputs: A int8 [..., K] (per-tensor scale), W int8 constant [N, K] (one row per output feature: symmetric,
 * per-row scales), B int32 constant [N] (optional). Output Y int8 [..., N]. The leading dimensions of A are rows
 * (MatMul's batch folds into M). Fused activation: none, Relu or Clip. tune/qgraph.c makes it from Gemm
 * (transA = 0, alpha = beta = 1) and MatMul whose B is a constant matrix. It runs on the quantized fully-connected
 * operator (operators/qfc.h: the qc8/qc4 GEMM kernels for this CPU), or the scalar reference (kernels/qc8-ref) for a
 * shape that operator declines; both compute the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/operators/qfc.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "engine/nodes/qops.h"
#include "model/quant_info.h"

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *a = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1), *b = et_node_cin(g, n, 2);
    if (a->dtype != ET_DT_I8 || w->dtype != ET_DT_I8 || w->kind != ET_VAL_CONST || w->shape.rank != 2 ||
        (b && (b->dtype != ET_DT_I32 || b->kind != ET_VAL_CONST || et_shape_numel(&b->shape) != w->shape.dim[0])))
        return et_op_fail(err, n, "expects int8 A, constant int8 W [N, K] and constant int32 B [N]");
    if (a->shape.rank < 1 || a->shape.dim[a->shape.rank - 1] != w->shape.dim[1])
        return et_op_fail(err, n, "A's last dimension is not K = %lld", (long long)w->shape.dim[1]);
    et_shape out = a->shape;
    out.dim[out.rank - 1] = w->shape.dim[0];
    et_op_set_output(g, n, 0, ET_DT_I8, &out);
    return ET_OK;
}

typedef struct params {
    et_qfully_connected *op; /* NULL: the reference */
    size_t m, n, k;
    int32_t x_zp, y_zp, qmin, qmax;
    int32_t *bias;
    float *mult;
    const int8_t *w, *x;
    int8_t *y;
} params;

static void release(et_op_inst *inst) {
    params *p = inst->params;
    if (p) {
        et_qfully_connected_destroy(p->op);
        free(p->bias);
        free(p->mult);
    }
    free(p);
}

static void task(void *ctx, size_t m0, size_t m1) {
    const params *p = ctx;
    et_qc8_fc_ref(p->k, p->n, p->x, p->x_zp, p->w, p->bias, p->mult, p->y_zp, p->qmin, p->qmax, p->y, m0, m1);
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    params p = *(const params *)inst->params;
    p.x = inst->in[0].data;
    p.y = inst->out[0].data;
    et_par_for(ctx->pool, p.m, task, &p);
    (void)err;
    return ET_OK;
}

static et_status bind(et_op_inst *inst, et_err *err) {
    params *p = inst->params;
    return et_qfully_connected_setup(p->op, p->m, inst->in[0].data, inst->out[0].data, err);
}

static et_status run_op(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    return et_qfully_connected_run(p->op, ctx->pool, err);
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    float lo, hi, x_s, y_s;
    et_status st = et_qact_bounds(n, &lo, &hi, err);
    if (st != ET_OK)
        return st;
    const et_tensor *a = &inst->in[0], *w = &inst->in[1];
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    inst->params = p;
    inst->release = release;
    p->n = (size_t)w->shape.dim[0];
    p->k = (size_t)w->shape.dim[1];
    p->m = p->k ? (size_t)et_shape_numel(&a->shape) / p->k : 0;
    p->w = w->data;
    p->mult = malloc(p->n * sizeof *p->mult);
    p->bias = calloc(p->n, sizeof *p->bias);
    if (!p->mult || !p->bias)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    if ((st = et_qscales(g, n, (int64_t)p->n, &x_s, &p->x_zp, &y_s, &p->y_zp, p->mult, err)) != ET_OK)
        return st;
    et_qc8_act_range(lo, hi, y_s, p->y_zp, &p->qmin, &p->qmax);
    if (inst->n_in > 2 && inst->in[2].data)
        memcpy(p->bias, inst->in[2].data, p->n * sizeof *p->bias);
    const et_quant_info *wq = g->values[n->inputs[1]].quant;
    float *ws = malloc(p->n * sizeof *ws);
    if (!ws)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    for (size_t c = 0; c < p->n; c++)
        ws[c] = wq->scale[wq->n == 1 ? 0 : c];
    et_qfully_connected_params fp = {.in_features = p->k,
                                     .out_features = p->n,
                                     .x_scale = x_s,
                                     .x_zp = p->x_zp,
                                     .y_scale = y_s,
                                     .y_zp = p->y_zp,
                                     .clamp = p->qmin > -128 || p->qmax < 127,
                                     .qmin = p->qmin,
                                     .qmax = p->qmax,
                                     .weight_bits = wq->value_bits};
    et_err e2 = {0};
    st = p->m > 0 ? et_qfully_connected_create(&fp, w->data, ws, p->bias, &p->op, &e2) : ET_E_UNSUPPORTED;
    free(ws);
    if (st == ET_OK) {
        inst->run = run_op;
        inst->bind = bind;
        inst->packed_bytes = (int64_t)et_qfully_connected_packed_bytes(p->op);
        inst->packed_inputs = inst->n_in > 2 ? 0x6u : 0x2u;
        snprintf(inst->kernel, sizeof inst->kernel, "%s", et_qfully_connected_kernel_name(p->op));
        et_qprecision(g, n, inst, et_qfully_connected_storage_bits(p->op));
        return ET_OK;
    }
    if (st != ET_E_UNSUPPORTED) {
        if (err)
            *err = e2;
        et_err_prefix(err, "node '%s': ", n->name);
        return st;
    }
    inst->run = run;
    inst->packed_bytes = (int64_t)(p->n * (sizeof *p->bias + sizeof *p->mult));
    inst->packed_inputs = inst->n_in > 2 ? 0x4u : 0x0u; /* W is read in place */
    snprintf(inst->kernel, sizeof inst->kernel, "qc8-fc-ref");
    et_qprecision(g, n, inst, 8);
    return ET_OK;
}

const et_op_impl et_impl_qgemm = {infer, prepare};
