/* qgap.c: et.QGap: global average pooling on an int8 tensor [N,C,H,W] to int8 [N,C,1,1] with the output's own
 * scale (the squeeze of a squeeze-excitation block, the head of MobileNets), so the int8 region goes through it.
 * layout.c sets the attribute channels_last (input [N,H,W,C], output [N,1,1,C]) when its input is channels-last.
 * Arithmetic: qc8-ref's et_qc8_gavgpool_ref (int32 sums, one requantization per channel), run by the qs8-gavgpool
 * kernel of this CPU (the same bytes). */
#include <stdio.h>
#include <stdlib.h>

#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "engine/nodes/qops.h"
#include "model/quant_info.h"

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (x->dtype != ET_DT_I8 || x->shape.rank != 4)
        return et_op_fail(err, n, "expects a 4-D int8 tensor");
    et_shape y = x->shape;
    if (et_node_attr_int(n, "channels_last", 0))
        y.dim[1] = y.dim[2] = 1;
    else
        y.dim[2] = y.dim[3] = 1;
    et_op_set_output(g, n, 0, ET_DT_I8, &y);
    return ET_OK;
}

typedef struct params {
    bool channels_last;
    size_t batch, channels, pixels;
    et_qs8_gavgpool_params k;
    const et_qs8_gavgpool_config *cfg;
    const int8_t *x;
    int8_t *y;
} params;

static void images(void *ctx, size_t i0, size_t i1) {
    const params *p = ctx;
    for (size_t i = i0; i < i1; i++) {
        const int8_t *x = p->x + i * p->pixels * p->channels;
        int8_t *y = p->y + i * p->channels;
        if (p->channels_last)
            p->cfg->ukernel(p->pixels, p->channels, x, p->channels, y, &p->k);
        else
            for (size_t c = 0; c < p->channels; c++)
                p->cfg->ukernel(p->pixels, 1, x + c * p->pixels, 1, y + c, &p->k);
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    params p = *(const params *)inst->params;
    p.x = inst->in[0].data;
    p.y = inst->out[0].data;
    images(&p, 0, p.batch); /* a few microseconds per image: never worth a thread start */
    (void)ctx, (void)err;
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
    const et_shape *s = &inst->in[0].shape;
    p->channels_last = et_node_attr_int(n, "channels_last", 0) != 0;
    p->batch = (size_t)s->dim[0];
    p->channels = (size_t)s->dim[p->channels_last ? 3 : 1];
    p->pixels = (size_t)(p->channels_last ? s->dim[1] * s->dim[2] : s->dim[2] * s->dim[3]);
    et_qs8_gavgpool_params_init(&p->k, p->pixels, xq->scale[0], xq->zero_point[0], yq->scale[0], yq->zero_point[0],
                                -128, 127);
    p->cfg = et_qs8_gavgpool_config_get();
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel, "%s", p->cfg->name);
    snprintf(inst->precision, sizeof inst->precision, "int8");
    return ET_OK;
}

const et_op_impl et_impl_qgap = {infer, prepare};
