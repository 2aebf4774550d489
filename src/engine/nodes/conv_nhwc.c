/* conv_nhwc.c: et.ConvNhwc, the engine's fast convolution (created by layout.c from a 2-D Conv).
 *
 * Inputs: X [N,H,W,C] (channels last), W [O, C/group, kh, kw] (the ONNX weights, constant), B [O] (optional),
 * and optionally R [N,OH,OW,O], a residual added before the activation (fuse_nhwc.c). Attributes are the
 * Conv's (group, strides, dilations, pads, auto_pad, kernel_shape). Output [N,OH,OW,O], float32; or int8 when
 * fuse_nhwc.c folded the et.Quantize after it (the output value is then the Quantize's, with its per-tensor
 * scale and zero point): the operator quantizes each output tile as it writes it.
 *
 * The work is the NHWC operator layer (src/engine/operators/conv2d.c): weights packed once in prepare for this CPU's
 * kernels, the indirection buffer built in bind (once, with the arena's pointers), and run is one call.
 * A 1x1 convolution whose weights are mostly zero (unstructured pruning) runs on the sparse operator
 * (operators/spconv.h) when its measured cost model says sparse beats the dense GEMM for this shape and sparsity;
 * otherwise the zeros run dense. The kernel name in the layer profile says which ran. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/operators/conv2d.h"
#include "engine/operators/spconv.h"
#include "engine/nodes/act_map.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "model/quant_info.h"

/* The NCHW view of an NHWC shape, for the shared window geometry. */
static et_shape nchw_of(const et_shape *s) {
    return (et_shape){.rank = 4, .dim = {s->dim[0], s->dim[3], s->dim[1], s->dim[2]}};
}

static et_status geometry(const et_graph *g, const et_node *n, et_window *w, et_err *err) {
    const et_value *x = et_node_cin(g, n, 0), *wt = et_node_cin(g, n, 1);
    int64_t kernel[2] = {wt->shape.dim[2], wt->shape.dim[3]};
    et_shape xs = nchw_of(&x->shape);
    return et_window_init(n, &xs, kernel, false, w, err);
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 4, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0), *wt = et_node_cin(g, n, 1);
    int64_t group = et_node_attr_int(n, "group", 1);
    if (x->shape.rank != 4 || wt->shape.rank != 4 || group < 1 || x->shape.dim[3] != wt->shape.dim[1] * group ||
        wt->shape.dim[0] % group)
        return et_op_fail(err, n, "channels do not match the weights and groups");
    et_window w;
    if ((st = geometry(g, n, &w, err)) != ET_OK)
        return st;
    et_shape out = {.rank = 4, .dim = {x->shape.dim[0], w.out[1], w.out[2], wt->shape.dim[0]}};
    et_op_set_output(g, n, 0, ET_DT_F32, &out);
    return ET_OK;
}

typedef struct params {
    et_conv2d_nhwc *op;
    et_spconv_nhwc *sparse; /* instead of op, for sparse 1x1 weights */
    size_t batch, in_h, in_w;
    bool residual;
} params;

static void release(et_op_inst *inst) {
    params *p = inst->params;
    if (p) {
        et_conv2d_nhwc_destroy(p->op);
        et_spconv_nhwc_destroy(p->sparse);
    }
    free(p);
}

static et_status bind(et_op_inst *inst, et_err *err) {
    params *p = inst->params;
    if (p->sparse)
        return et_spconv_nhwc_setup(p->sparse, p->batch * p->in_h * p->in_w, inst->in[0].data, inst->out[0].data,
                                    p->residual ? inst->in[3].data : NULL, err);
    return et_conv2d_nhwc_setup(p->op, p->batch, p->in_h, p->in_w, inst->in[0].data, inst->out[0].data,
                                p->residual ? inst->in[3].data : NULL, inst->scratch, err);
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    if (p->sparse)
        return et_spconv_nhwc_run(p->sparse, ctx->pool, err);
    return et_conv2d_nhwc_run(p->op, ctx->pool, err);
}

/* The sparse operator for a pointwise convolution with enough zeros that it is expected to be faster; NULL
 * (dense) otherwise or when it cannot be created. */
static et_spconv_nhwc *try_sparse(const et_conv2d_nhwc_params *cp, const params *p, const float *w, const float *bias) {
    if (cp->kernel_h != 1 || cp->kernel_w != 1 || cp->stride_h > 1 || cp->stride_w > 1 || cp->groups > 1 ||
        cp->dilation_h > 1 || cp->dilation_w > 1 || cp->pad_top || cp->pad_left || cp->pad_bottom || cp->pad_right)
        return NULL;
    size_t nnz = et_spconv_count_nonzeros(w, cp->out_channels, cp->in_channels, cp->in_channels, 1);
    if (nnz == cp->out_channels * cp->in_channels ||
        !et_spconv_nhwc_faster(p->batch * p->in_h * p->in_w, cp->in_channels, cp->out_channels, nnz))
        return NULL;
    et_spconv_nhwc_params sp = {.in_channels = cp->in_channels,
                                .out_channels = cp->out_channels,
                                .clamp = cp->clamp,
                                .out_min = cp->out_min,
                                .out_max = cp->out_max,
                                .post = cp->post,
                                .post_op = cp->post_op,
                                .post_params = cp->post_params,
                                .residual = cp->residual};
    et_spconv_nhwc *op = NULL;
    return et_spconv_nhwc_create(&sp, w, cp->in_channels, 1, bias, &op, NULL) == ET_OK ? op : NULL;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    et_window w;
    et_status st = geometry(g, n, &w, err);
    if (st != ET_OK)
        return st;
    const et_tensor *x = &inst->in[0], *wt = &inst->in[1];
    et_conv2d_nhwc_params cp = {0};
    cp.in_channels = (size_t)x->shape.dim[3];
    cp.out_channels = (size_t)wt->shape.dim[0];
    cp.groups = (size_t)et_node_attr_int(n, "group", 1);
    cp.kernel_h = (size_t)w.k[1], cp.kernel_w = (size_t)w.k[2];
    cp.stride_h = (size_t)w.stride[1], cp.stride_w = (size_t)w.stride[2];
    cp.dilation_h = (size_t)w.dil[1], cp.dilation_w = (size_t)w.dil[2];
    cp.pad_top = (size_t)w.pad0[1], cp.pad_left = (size_t)w.pad0[2];
    cp.pad_bottom = (size_t)w.pad1[1], cp.pad_right = (size_t)w.pad1[2];
    cp.residual = inst->n_in > 3 && inst->in[3].data != NULL;
    et_kernel_act ka;
    if ((st = et_act_to_kernel(n, &n->act, &ka, err)) != ET_OK)
        return st;
    cp.clamp = ka.clamp, cp.out_min = ka.out_min, cp.out_max = ka.out_max;
    cp.post = ka.post, cp.post_op = ka.post_op, cp.post_params = ka.post_params;
    const et_value *y = &g->values[n->outputs[0]];
    if (y->dtype == ET_DT_I8) {
        if (!y->quant || y->quant->n != 1)
            return et_op_fail(err, n, "writes int8 '%s' with no per-tensor scale", y->name);
        cp.quantize = true;
        cp.out_scale = y->quant->scale[0];
        cp.out_zp = y->quant->zero_point[0];
    }
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    p->batch = (size_t)x->shape.dim[0];
    p->in_h = (size_t)x->shape.dim[1];
    p->in_w = (size_t)x->shape.dim[2];
    p->residual = inst->n_in > 3 && n->inputs[3] >= 0;
    cp.residual = p->residual;
    const float *bias = inst->n_in > 2 && n->inputs[2] >= 0 ? inst->in[2].data : NULL;
    cp.output_pixel_stride = (size_t)inst->out_pixel_stride; /* written into a concatenation (inplace.h) */
    if (!inst->out_pixel_stride && !cp.quantize && (p->sparse = try_sparse(&cp, p, wt->data, bias))) {
        inst->params = p;
        inst->release = release;
        inst->run = run;
        inst->bind = bind;
        inst->packed_bytes = (int64_t)et_spconv_nhwc_packed_bytes(p->sparse);
        inst->packed_inputs = bias ? 0x6u : 0x2u;
        snprintf(inst->kernel, sizeof inst->kernel, "%s", et_spconv_nhwc_kernel_name(p->sparse));
        return ET_OK;
    }
    cp.expect_batch = p->batch, cp.expect_h = p->in_h, cp.expect_w = p->in_w;
    if ((st = et_conv2d_nhwc_create(&cp, wt->data, bias, &p->op, err)) != ET_OK) {
        et_err_prefix(err, "node '%s': ", n->name);
        free(p);
        return st;
    }
    inst->params = p;
    inst->release = release;
    inst->run = run;
    inst->bind = bind;
    inst->packed_bytes = (int64_t)et_conv2d_nhwc_packed_bytes(p->op);
    inst->scratch_bytes = et_conv2d_nhwc_scratch_bytes(p->op, p->batch, p->in_h, p->in_w);
    inst->packed_inputs = bias ? 0x6u : 0x2u; /* weights and bias live packed in the operator */
    snprintf(inst->kernel, sizeof inst->kernel, "%s", et_conv2d_nhwc_kernel_name(p->op));
    return ET_OK;
}

const et_op_impl et_impl_conv_nhwc = {infer, prepare};
