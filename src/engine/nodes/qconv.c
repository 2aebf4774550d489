/* qconv.c: et.QConv (ONNX layout, NCHW) and et.QConvNhwc (channels last): 2-D convolution on int8 tensors.
 *
 * Inputs: X int8 (per-tensor scale and zero point), W int8 constant [O, C/group, kh, kw] (symmetric, per output
 * channel scales), B int32 constant [O] (optional, scale x_scale * w_scale[o]), R int8 (optional: a residual of
 * the output's shape added before the activation, ResNet/MobileNetV2 skip connections). Output Y int8 with its
 * own per-tensor scale. Attributes are the Conv's; the node's fused activation may be none, Relu or Clip (they
 * narrow the output range; tune keeps other activations in float32). Scales come from the values' et_quant_info.
 * An et.QConvNhwc may also carry a HardSwish, HardSigmoid or Sigmoid that the planner folded in from the et.QLut
 * after it (engine/fuse_nhwc.h): it requantizes to the pre-activation scale and zero point of its ET_TABLE_IN_*
 * attributes, then maps each byte through the table et.QLut would have built (the same bytes).
 *
 * tune emits et.QConv; the layout pass rewrites it to et.QConvNhwc exactly like Conv -> et.ConvNhwc. et.QConvNhwc
 * runs on the NHWC quantized operator (operators/qconv2d.h: qc8/qc4 GEMM, IGEMM and depthwise kernels for this CPU);
 * et.QConv, which only plans without the channels-last rewrite see, and any shape that operator declines, run the
 * scalar reference (kernels/qc8-ref), transposing through scratch in NCHW. Both compute the same bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/nodes/activation.h"
#include "engine/operators/qconv2d.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"
#include "engine/nodes/qops.h"
#include "model/quant_info.h"
#include "util/mem.h"

static et_shape nchw_of(const et_shape *s) {
    return (et_shape){.rank = 4, .dim = {s->dim[0], s->dim[3], s->dim[1], s->dim[2]}};
}

static et_status geometry(const et_graph *g, const et_node *n, bool nhwc, et_window *w, et_err *err) {
    const et_value *x = et_node_cin(g, n, 0), *wt = et_node_cin(g, n, 1);
    int64_t kernel[2] = {wt->shape.dim[2], wt->shape.dim[3]};
    et_shape xs = nhwc ? nchw_of(&x->shape) : x->shape;
    return et_window_init(n, &xs, kernel, false, w, err);
}

static et_status infer_common(et_graph *g, et_node *n, bool nhwc, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 4, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0), *wt = et_node_cin(g, n, 1), *b = et_node_cin(g, n, 2),
                   *r = et_node_cin(g, n, 3);
    if (x->dtype != ET_DT_I8 || wt->dtype != ET_DT_I8 || wt->kind != ET_VAL_CONST ||
        (b && (b->dtype != ET_DT_I32 || b->kind != ET_VAL_CONST)))
        return et_op_fail(err, n, "expects int8 X, constant int8 W and constant int32 B");
    int64_t group = et_node_attr_int(n, "group", 1);
    int64_t c = nhwc ? x->shape.dim[3] : x->shape.dim[1];
    if (x->shape.rank != 4 || wt->shape.rank != 4 || group < 1 || c != wt->shape.dim[1] * group ||
        wt->shape.dim[0] % group || (b && et_shape_numel(&b->shape) != wt->shape.dim[0]))
        return et_op_fail(err, n, "channels do not match the weights and groups");
    et_window w;
    if ((st = geometry(g, n, nhwc, &w, err)) != ET_OK)
        return st;
    et_shape out = nhwc ? (et_shape){.rank = 4, .dim = {x->shape.dim[0], w.out[1], w.out[2], wt->shape.dim[0]}}
                        : (et_shape){.rank = 4, .dim = {x->shape.dim[0], wt->shape.dim[0], w.out[1], w.out[2]}};
    if (r && (r->dtype != ET_DT_I8 || !et_shape_equal(&r->shape, &out)))
        return et_op_fail(err, n, "the residual is not an int8 tensor of the output's shape");
    et_op_set_output(g, n, 0, ET_DT_I8, &out);
    return ET_OK;
}

static et_status infer_nchw(et_graph *g, et_node *n, et_err *err) { return infer_common(g, n, false, err); }
static et_status infer_nhwc(et_graph *g, et_node *n, et_err *err) { return infer_common(g, n, true, err); }

typedef struct params {
    et_qconv2d_nhwc *op; /* the NHWC operator, or NULL: the reference below */
    size_t batch, in_h, in_w;
    bool residual;
    et_qc8_conv_desc d;
    int8_t *w; /* OHWI, or HWC for depthwise */
    int32_t *bias;
    float *mult;
    bool nchw;  /* transpose through scratch */
    bool table; /* a folded table activation (the reference applies it after the convolution) */
    int8_t lut[256];
    /* per run */
    const int8_t *x;
    int8_t *y;
} params;

static void release(et_op_inst *inst) {
    params *p = inst->params;
    if (p) {
        et_qconv2d_nhwc_destroy(p->op);
        et_aligned_free(p->w);
        free(p->bias);
        free(p->mult);
    }
    free(p);
}

static et_status bind(et_op_inst *inst, et_err *err) {
    params *p = inst->params;
    return et_qconv2d_nhwc_setup(p->op, p->batch, p->in_h, p->in_w, inst->in[0].data, inst->out[0].data,
                                 p->residual ? inst->in[3].data : NULL, inst->scratch_bytes ? inst->scratch : NULL,
                                 err);
}

static et_status run_op(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    return et_qconv2d_nhwc_run(p->op, ctx->pool, err);
}

static void conv_task(void *ctx, size_t p0, size_t p1) {
    const params *p = ctx;
    et_qc8_conv2d_nhwc_ref(&p->d, p->x, p->w, p->bias, p->mult, p->y, p0, p1);
}

/* [N][C][HW] <-> [N][HW][C] for int8. */
static void transpose_nc(const int8_t *src, int8_t *dst, size_t n, size_t c, size_t hw, bool to_nhwc) {
    for (size_t b = 0; b < n; b++)
        for (size_t ch = 0; ch < c; ch++)
            for (size_t i = 0; i < hw; i++) {
                size_t a = (b * c + ch) * hw + i, z = (b * hw + i) * c + ch;
                if (to_nhwc)
                    dst[z] = src[a];
                else
                    dst[a] = src[z];
            }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    params p = *(const params *)inst->params;
    const et_qc8_conv_desc *d = &p.d;
    size_t pixels = d->batch * d->out_h * d->out_w;
    size_t ny = d->batch * d->out_h * d->out_w * d->out_c;
    if (p.nchw) {
        int8_t *xs = ctx->scratch, *ys = xs + et_round_up(d->batch * d->in_h * d->in_w * d->in_c, 64);
        int8_t *rs = ys + et_round_up(ny, 64);
        transpose_nc(inst->in[0].data, xs, d->batch, d->in_c, d->in_h * d->in_w, true);
        if (p.residual) {
            transpose_nc(inst->in[3].data, rs, d->batch, d->out_c, d->out_h * d->out_w, true);
            p.d.residual = rs;
        }
        p.x = xs;
        p.y = ys;
        et_par_for(ctx->pool, pixels, conv_task, &p);
        transpose_nc(ys, inst->out[0].data, d->batch, d->out_c, d->out_h * d->out_w, false);
    } else {
        p.x = inst->in[0].data;
        p.y = inst->out[0].data;
        if (p.residual)
            p.d.residual = inst->in[3].data;
        et_par_for(ctx->pool, pixels, conv_task, &p);
    }
    if (p.table)
        et_qc8_lut_ref(p.lut, inst->out[0].data, inst->out[0].data, 0, ny);
    (void)err;
    return ET_OK;
}

/* The fused activation as a real clamp range; ET_E_UNSUPPORTED for activations int8 cannot clamp. */
et_status et_qact_bounds(const et_node *n, float *lo, float *hi, et_err *err) {
    *lo = -INFINITY, *hi = INFINITY;
    switch (n->act.kind) {
    case ET_ACT_NONE: return ET_OK;
    case ET_ACT_RELU: *lo = 0.0f; return ET_OK;
    case ET_ACT_CLIP: *lo = n->act.alpha, *hi = n->act.beta; return ET_OK;
    default:
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "fused activation %s has no int8 form", et_act_name(n->act.kind));
    }
}

void et_qprecision(const et_graph *g, const et_node *n, et_op_inst *inst, int storage_bits) {
    const et_quant_info *wq = g->values[n->inputs[1]].quant;
    int bits = wq ? wq->value_bits : 8;
    const char *container = storage_bits == 4 ? "int4" : "int8";
    if ((storage_bits == 4 && bits == 4) || (storage_bits != 4 && bits == 8))
        snprintf(inst->precision, sizeof inst->precision, "%s", container);
    else
        snprintf(inst->precision, sizeof inst->precision, "%s (simulated w%d)", container, bits);
}

et_status et_qnode_begin(const et_graph *g, const et_node *n, int n_in, const et_quant_info **q, float *lo, float *hi,
                         size_t bytes, void **block, et_err *err) {
    *block = NULL;
    for (int k = 0; k <= n_in; k++) {
        q[k] = g->values[k < n_in ? n->inputs[k] : n->outputs[0]].quant;
        if (!q[k] || q[k]->n != 1)
            return et_op_fail(err, n, "missing per-tensor quantization scales");
    }
    if (lo) {
        et_status st = et_qact_bounds(n, lo, hi, err);
        if (st != ET_OK)
            return st;
    }
    if (!(*block = calloc(1, bytes)))
        return et_fail(err, ET_E_NOMEM, "out of memory");
    return ET_OK;
}

/* Shared by et.QConv, et.QConvNhwc and et.QGemm: the scales of X, W and Y and the requantization inputs. */
et_status et_qscales(const et_graph *g, const et_node *n, int64_t out_c, float *x_s, int32_t *x_zp, float *y_s,
                     int32_t *y_zp, float *mult, et_err *err) {
    const et_quant_info *xq = g->values[n->inputs[0]].quant, *wq = g->values[n->inputs[1]].quant,
                        *yq = g->values[n->outputs[0]].quant;
    if (!xq || !wq || !yq || xq->n != 1 || yq->n != 1 || (wq->n != 1 && wq->n != out_c))
        return et_op_fail(err, n, "missing or inconsistent quantization scales");
    for (int i = 0; i < wq->n; i++)
        if (wq->zero_point[i] != 0)
            return et_op_failx(err, ET_E_UNSUPPORTED, n, "int8 weights must be symmetric (zero point 0)");
    *x_s = xq->scale[0], *x_zp = xq->zero_point[0];
    *y_s = yq->scale[0], *y_zp = yq->zero_point[0];
    for (int64_t c = 0; c < out_c; c++)
        mult[c] = et_qc8_multiplier(*x_s, wq->scale[wq->n == 1 ? 0 : c], *y_s);
    return ET_OK;
}

static float act_of(const void *ctx, float x) { return et_act_scalar(ctx, x); }

/* A table activation folded in by the planner (fuse_nhwc.h): true with its input's scale and zero point. */
static bool folded_table(const et_node *n, float *in_scale, int32_t *in_zp) {
    const et_act_kind k = n->act.kind;
    if ((k != ET_ACT_HARD_SWISH && k != ET_ACT_HARD_SIGMOID && k != ET_ACT_SIGMOID) ||
        !et_node_attr(n, ET_TABLE_IN_SCALE))
        return false;
    *in_scale = et_node_attr_float(n, ET_TABLE_IN_SCALE, 1.0f);
    *in_zp = (int32_t)et_node_attr_int(n, ET_TABLE_IN_ZP, 0);
    return true;
}

/* Requantize to the folded table's pre-activation value (pre_s, pre_zp), and the table from it to the output's
 * scale *y_s and zero point p->d.y_zp; *y_s and p->d.y_zp become the pre-activation's. */
static void fold_table(const et_graph *g, const et_node *n, params *p, float x_s, float pre_s, int32_t pre_zp,
                       float *y_s) {
    const et_quant_info *wq = g->values[n->inputs[1]].quant;
    et_qc8_lut_init(act_of, &n->act, pre_s, pre_zp, *y_s, p->d.y_zp, -128, 127, p->lut);
    p->table = true;
    *y_s = pre_s, p->d.y_zp = pre_zp;
    for (size_t c = 0; c < p->d.out_c; c++)
        p->mult[c] = et_qc8_multiplier(x_s, wq->scale[wq->n == 1 ? 0 : c], pre_s);
}

static et_status prepare_common(const et_graph *g, const et_node *n, et_op_inst *inst, bool nhwc, et_err *err) {
    et_window w;
    et_status st = geometry(g, n, nhwc, &w, err);
    if (st != ET_OK)
        return st;
    float lo = -INFINITY, hi = INFINITY, pre_s = 0.0f;
    int32_t pre_zp = 0;
    const bool table = folded_table(n, &pre_s, &pre_zp);
    if (!table && (st = et_qact_bounds(n, &lo, &hi, err)) != ET_OK)
        return st;
    const et_tensor *x = &inst->in[0], *wt = &inst->in[1];
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    inst->params = p;
    inst->release = release;
    et_qc8_conv_desc *d = &p->d;
    d->batch = (size_t)x->shape.dim[0];
    d->in_c = (size_t)(nhwc ? x->shape.dim[3] : x->shape.dim[1]);
    d->in_h = (size_t)w.in[1], d->in_w = (size_t)w.in[2];
    d->out_h = (size_t)w.out[1], d->out_w = (size_t)w.out[2];
    d->out_c = (size_t)wt->shape.dim[0];
    d->groups = (size_t)et_node_attr_int(n, "group", 1);
    d->kernel_h = (size_t)w.k[1], d->kernel_w = (size_t)w.k[2];
    d->stride_h = (size_t)w.stride[1], d->stride_w = (size_t)w.stride[2];
    d->dilation_h = (size_t)w.dil[1], d->dilation_w = (size_t)w.dil[2];
    d->pad_top = (size_t)w.pad0[1], d->pad_left = (size_t)w.pad0[2];
    p->nchw = !nhwc;
    size_t taps = d->kernel_h * d->kernel_w, ipg = d->in_c / d->groups;
    p->w = et_aligned_alloc(d->out_c * taps * ipg + 64);
    p->mult = malloc(d->out_c * sizeof *p->mult);
    p->bias = malloc(d->out_c * sizeof *p->bias);
    if (!p->w || !p->mult || !p->bias)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    float x_s, y_s;
    if ((st = et_qscales(g, n, (int64_t)d->out_c, &x_s, &d->x_zp, &y_s, &d->y_zp, p->mult, err)) != ET_OK)
        return st;
    if (table)
        fold_table(g, n, p, x_s, pre_s, pre_zp, &y_s);
    et_qc8_act_range(lo, hi, y_s, d->y_zp, &d->qmin, &d->qmax);
    if (et_qc8_is_depthwise(d))
        et_qc8_pack_hwc(wt->data, d->out_c, d->kernel_h, d->kernel_w, p->w);
    else
        et_qc8_pack_ohwi(wt->data, d->out_c, ipg, d->kernel_h, d->kernel_w, p->w);
    if (inst->n_in > 2 && inst->in[2].data)
        memcpy(p->bias, inst->in[2].data, d->out_c * sizeof *p->bias);
    else
        memset(p->bias, 0, d->out_c * sizeof *p->bias);
    p->batch = d->batch, p->in_h = d->in_h, p->in_w = d->in_w;
    p->residual = inst->n_in > 3 && n->inputs[3] >= 0;
    if (p->residual) {
        const et_quant_info *rq = g->values[n->inputs[3]].quant;
        if (!rq || rq->n != 1)
            return et_op_fail(err, n, "the residual has no per-tensor scale");
        d->residual_mult = rq->scale[0] / y_s;
        d->residual_zp = rq->zero_point[0];
    }
    inst->packed_inputs = inst->n_in > 2 && n->inputs[2] >= 0 ? 0x6u : 0x2u;
    if (nhwc) { /* the operator layer, when it takes this shape */
        const et_quant_info *wq = g->values[n->inputs[1]].quant;
        float *ws = malloc(d->out_c * sizeof *ws);
        if (!ws)
            return et_fail(err, ET_E_NOMEM, "out of memory");
        for (size_t c = 0; c < d->out_c; c++)
            ws[c] = wq->scale[wq->n == 1 ? 0 : c];
        et_qconv2d_nhwc_params qp = {0};
        qp.in_channels = d->in_c, qp.out_channels = d->out_c, qp.groups = d->groups;
        qp.kernel_h = d->kernel_h, qp.kernel_w = d->kernel_w, qp.stride_h = d->stride_h, qp.stride_w = d->stride_w;
        qp.dilation_h = d->dilation_h, qp.dilation_w = d->dilation_w;
        qp.pad_top = d->pad_top, qp.pad_left = d->pad_left;
        qp.pad_bottom = (size_t)w.pad1[1], qp.pad_right = (size_t)w.pad1[2];
        qp.x_scale = x_s, qp.x_zp = d->x_zp, qp.y_scale = y_s, qp.y_zp = d->y_zp;
        qp.clamp = d->qmin > -128 || d->qmax < 127;
        qp.qmin = d->qmin, qp.qmax = d->qmax;
        qp.weight_bits = wq->value_bits;
        qp.table = table ? p->lut : NULL;
        qp.expect_batch = d->batch, qp.expect_h = d->in_h, qp.expect_w = d->in_w;
        qp.expect_threads = inst->threads > 0 ? (size_t)inst->threads : 1;
        if (p->residual) {
            const et_quant_info *rq = g->values[n->inputs[3]].quant;
            qp.residual = true;
            qp.residual_scale = rq->scale[0];
            qp.residual_zp = rq->zero_point[0];
        }
        et_err e2 = {0};
        st = et_qconv2d_nhwc_create(&qp, wt->data, ws, p->bias, &p->op, &e2);
        free(ws);
        if (st == ET_OK) {
            et_aligned_free(p->w), free(p->bias), free(p->mult);
            p->w = NULL, p->bias = NULL, p->mult = NULL;
            inst->run = run_op;
            inst->bind = bind;
            inst->packed_bytes = (int64_t)et_qconv2d_nhwc_packed_bytes(p->op);
            /* the Winograd path's tiles go in the plan's shared scratch; the other paths keep their own */
            if (et_qconv2d_nhwc_path(p->op) == ET_CONV_PATH_WINOGRAD)
                inst->scratch_bytes = et_qconv2d_nhwc_scratch_bytes(p->op, d->batch, d->in_h, d->in_w);
            snprintf(inst->kernel, sizeof inst->kernel, "%s", et_qconv2d_nhwc_kernel_name(p->op));
            et_qprecision(g, n, inst, et_qconv2d_nhwc_storage_bits(p->op));
            return ET_OK;
        }
        if (st != ET_E_UNSUPPORTED) {
            if (err)
                *err = e2;
            et_err_prefix(err, "node '%s': ", n->name);
            return st;
        }
    }
    if (p->nchw)
        inst->scratch_bytes = et_round_up(d->batch * d->in_h * d->in_w * d->in_c, 64) +
                              2 * et_round_up(d->batch * d->out_h * d->out_w * d->out_c, 64);
    inst->run = run;
    inst->packed_bytes = (int64_t)(d->out_c * taps * ipg + d->out_c * (sizeof *p->bias + sizeof *p->mult));
    snprintf(inst->kernel, sizeof inst->kernel, "%s", et_qc8_is_depthwise(d) ? "qc8-dwconv-ref" : "qc8-conv-ref");
    et_qprecision(g, n, inst, 8);
    return ET_OK;
}

static et_status prepare_nchw(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    return prepare_common(g, n, inst, false, err);
}
static et_status prepare_nhwc(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    return prepare_common(g, n, inst, true, err);
}

const et_op_impl et_impl_qconv = {infer_nchw, prepare_nchw};
const et_op_impl et_impl_qconv_nhwc = {infer_nhwc, prepare_nhwc};
