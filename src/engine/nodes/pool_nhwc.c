/* pool_nhwc.c: et.PoolNhwc, channels-last pooling (created by layout.c from 2-D MaxPool, AveragePool,
 * GlobalAveragePool and GlobalMaxPool). Attribute pool_op holds the original operator; the others are that
 * operator's. Input X [N,H,W,C], output [N,OH,OW,C]. ceil_mode becomes extra bottom/right padding, which the
 * kernels never count, as ONNX specifies. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/operators/pool2d.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

static bool is_global(et_op op) { return op == ET_OP_GLOBAL_AVERAGE_POOL || op == ET_OP_GLOBAL_MAX_POOL; }

static et_status geometry(const et_node *n, const et_shape *x, et_window *w, et_err *err) {
    et_op op = (et_op)et_node_attr_int(n, "pool_op", ET_OP_MAX_POOL);
    et_shape xs = {.rank = 4, .dim = {x->dim[0], x->dim[3], x->dim[1], x->dim[2]}};
    if (is_global(op)) {
        memset(w, 0, sizeof *w);
        w->n_sp = 2;
        for (int i = 0; i < 3; i++)
            w->stride[i] = w->dil[i] = w->k[i] = w->in[i] = w->out[i] = 1;
        w->in[1] = w->k[1] = x->dim[1];
        w->in[2] = w->k[2] = x->dim[2];
        return ET_OK;
    }
    int nk;
    const int64_t *kernel = et_node_attr_ints(n, "kernel_shape", &nk);
    if (!kernel || nk != 2)
        return et_op_fail(err, n, "needs a 2-D kernel_shape");
    return et_window_init(n, &xs, kernel, et_node_attr_int(n, "ceil_mode", 0) != 0, w, err);
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (x->shape.rank != 4)
        return et_op_fail(err, n, "needs a 4-D input");
    et_window w;
    if ((st = geometry(n, &x->shape, &w, err)) != ET_OK)
        return st;
    et_shape out = {.rank = 4, .dim = {x->shape.dim[0], w.out[1], w.out[2], x->shape.dim[3]}};
    et_op_set_output(g, n, 0, ET_DT_F32, &out);
    return ET_OK;
}

typedef struct params {
    et_pool2d_nhwc *op; /* NULL for global average pooling */
    size_t batch, in_h, in_w, channels;
} params;

static void release(et_op_inst *inst) {
    params *p = inst->params;
    if (p)
        et_pool2d_nhwc_destroy(p->op);
    free(p);
}

static et_status bind(et_op_inst *inst, et_err *err) {
    params *p = inst->params;
    if (!p->op)
        return ET_OK;
    return et_pool2d_nhwc_setup(p->op, p->batch, p->in_h, p->in_w, inst->in[0].data, inst->out[0].data, err);
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    if (p->op)
        return et_pool2d_nhwc_run(p->op, ctx->pool, err);
    et_global_avgpool_nhwc(p->batch, p->in_h * p->in_w, p->channels, inst->in[0].data, 0, inst->out[0].data, 0,
                           -INFINITY, INFINITY, ctx->pool);
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    const et_tensor *x = &inst->in[0];
    et_window w;
    et_status st = geometry(n, &x->shape, &w, err);
    if (st != ET_OK)
        return st;
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    p->batch = (size_t)x->shape.dim[0];
    p->in_h = (size_t)x->shape.dim[1];
    p->in_w = (size_t)x->shape.dim[2];
    p->channels = (size_t)x->shape.dim[3];
    et_op op = (et_op)et_node_attr_int(n, "pool_op", ET_OP_MAX_POOL);
    inst->params = p;
    inst->release = release;
    inst->run = run;
    inst->bind = bind;
    if (op == ET_OP_GLOBAL_AVERAGE_POOL) {
        snprintf(inst->kernel, sizeof inst->kernel, "f32-global-avgpool");
        return ET_OK;
    }
    et_pool2d_nhwc_params pp = {0};
    pp.kind = op == ET_OP_AVERAGE_POOL ? ET_POOL_AVG : ET_POOL_MAX;
    pp.channels = p->channels;
    pp.kernel_h = (size_t)w.k[1], pp.kernel_w = (size_t)w.k[2];
    pp.stride_h = (size_t)w.stride[1], pp.stride_w = (size_t)w.stride[2];
    pp.dilation_h = (size_t)w.dil[1], pp.dilation_w = (size_t)w.dil[2];
    pp.pad_top = (size_t)w.pad0[1], pp.pad_left = (size_t)w.pad0[2];
    /* ceil_mode: the extra window reach beyond the padded input becomes bottom/right padding */
    int64_t reach_h = (w.out[1] - 1) * w.stride[1] + w.dil[1] * (w.k[1] - 1) + 1;
    int64_t reach_w = (w.out[2] - 1) * w.stride[2] + w.dil[2] * (w.k[2] - 1) + 1;
    int64_t extra_h = reach_h - (w.in[1] + w.pad0[1] + w.pad1[1]);
    int64_t extra_w = reach_w - (w.in[2] + w.pad0[2] + w.pad1[2]);
    pp.pad_bottom = (size_t)(w.pad1[1] + (extra_h > 0 ? extra_h : 0));
    pp.pad_right = (size_t)(w.pad1[2] + (extra_w > 0 ? extra_w : 0));
    pp.count_include_pad = et_node_attr_int(n, "count_include_pad", 0) != 0;
    if ((st = et_pool2d_nhwc_create(&pp, &p->op, err)) != ET_OK) {
        et_err_prefix(err, "node '%s': ", n->name);
        return st;
    }
    snprintf(inst->kernel, sizeof inst->kernel, "%s", et_pool2d_nhwc_kernel_name(p->op));
    (void)g;
    return ET_OK;
}

bool et_pool_nhwc_supports(const et_node *n, const et_shape *x) {
    if (n->op == ET_OP_GLOBAL_AVERAGE_POOL || n->op == ET_OP_GLOBAL_MAX_POOL)
        return n->op == ET_OP_GLOBAL_AVERAGE_POOL || (x->dim[2] * x->dim[3] > 0);
    if (n->op == ET_OP_AVERAGE_POOL && et_node_attr_int(n, "ceil_mode", 0) &&
        et_node_attr_int(n, "count_include_pad", 0))
        return false; /* ONNX divides by the window clipped to the padded input: not the kernels' rule */
    return true;
}

const et_op_impl et_impl_pool_nhwc = {infer, prepare};
