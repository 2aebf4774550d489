/* conv.c: Conv (ONNX, NCHW) for 1-D, 2-D and 3-D inputs: groups, dilations, strides, explicit pads and
 * auto_pad, optional bias, and the activation a fusion pass put in node->act. float32.
 *
 * This is the reference and the fallback for every case the channels-last fast path does not take, so it
 * favours generality over speed, but is not naive:
 *   - pointwise (1x1, stride 1, no padding): the input plane already is the column matrix; one GEMM per group.
 *   - depthwise-like (one input channel per group): a direct loop per output channel, parallel over channels.
 *   - everything else: im2col into scratch, a chunk of output rows at a time (bounded scratch), then the
 *     register-blocked GEMM (et_sgemm) per group; im2col rows and GEMM tiles run on the pool.
 * Bias and the fused activation are applied per output channel while the plane is still in cache.
 * Weights may be runtime inputs (the ONNX node tests feed them as graph inputs), so nothing is pre-packed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

enum { CHUNK_BYTES = 2 << 20 };
#define MAX_ROW_BYTES ((int64_t)1 << 30)

typedef struct params {
    et_window w;
    int64_t batch, cin, cout, group, cg, mg, kprod, kg;
    int64_t rows, chunk_rows; /* output rows (out[0] * out[1]) and how many one im2col chunk holds */
    bool pointwise, depthwise;
    et_activation act;
} params;

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1), *b = et_node_cin(g, n, 2);
    if ((st = et_conv_check_operands(n, x, w, b, w->shape.rank > 0 ? w->shape.dim[0] : -1, err)) != ET_OK)
        return st;
    int64_t group = et_node_attr_int(n, "group", 1);
    int64_t c = x->shape.dim[1], m = w->shape.dim[0];
    if (group < 1 || c % group != 0 || m % group != 0 || w->shape.dim[1] * group != c)
        return et_op_fail(err, n, "group %lld does not fit %lld input channels, %lld filters of %lld channels",
                          (long long)group, (long long)c, (long long)m, (long long)w->shape.dim[1]);
    int ns = x->shape.rank - 2;
    et_window win;
    if ((st = et_window_init(n, &x->shape, &w->shape.dim[2], false, &win, err)) != ET_OK ||
        (st = et_act_check(n, err)) != ET_OK)
        return st;
    et_shape out = {.rank = x->shape.rank, .dim = {x->shape.dim[0], m}};
    for (int i = 0; i < ns; i++)
        out.dim[2 + i] = win.out[ET_WIN_MAX_SP - ns + i];
    et_op_set_output(g, n, 0, ET_DT_F32, &out);
    return ET_OK;
}

/* ---- im2col ------------------------------------------------------------------------------------------------ */

typedef struct im2col_job {
    const params *p;
    const float *x; /* this group's input channels */
    float *col;     /* kg rows of ncols */
    int64_t row0, nrows, ncols;
} im2col_job;

/* Fills col rows [begin, end): row r is (channel, kd, kh, kw); its columns are the chunk's output positions. */
static void im2col_rows(void *ctx, size_t begin, size_t end) {
    const im2col_job *j = ctx;
    const et_window *w = &j->p->w;
    const int64_t ow_n = w->out[2], in_plane = et_window_in_size(w);
    for (size_t r = begin; r < end; r++) {
        int64_t t = (int64_t)r, kw = t % w->k[2];
        t /= w->k[2];
        int64_t kh = t % w->k[1];
        t /= w->k[1];
        int64_t kd = t % w->k[0], ch = t / w->k[0];
        const float *xc = j->x + ch * in_plane;
        float *dst = j->col + (int64_t)r * j->ncols;
        /* output columns ow with 0 <= ow * s - p + kw * d < in */
        int64_t off = kw * w->dil[2] - w->pad0[2], s = w->stride[2];
        int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s;
        int64_t hi = w->in[2] - off <= 0 ? 0 : (w->in[2] - off + s - 1) / s;
        if (hi > ow_n)
            hi = ow_n;
        if (lo > hi)
            lo = hi;
        for (int64_t row = j->row0; row < j->row0 + j->nrows; row++, dst += ow_n) {
            int64_t od = row / w->out[1], oh = row % w->out[1];
            int64_t id = od * w->stride[0] - w->pad0[0] + kd * w->dil[0];
            int64_t ih = oh * w->stride[1] - w->pad0[1] + kh * w->dil[1];
            if (id < 0 || id >= w->in[0] || ih < 0 || ih >= w->in[1]) {
                memset(dst, 0, (size_t)ow_n * sizeof *dst);
                continue;
            }
            const float *src = xc + (id * w->in[1] + ih) * w->in[2];
            for (int64_t ow = 0; ow < lo; ow++)
                dst[ow] = 0.0f;
            if (s == 1)
                memcpy(dst + lo, src + lo + off, (size_t)(hi - lo) * sizeof *dst);
            else
                for (int64_t ow = lo; ow < hi; ow++)
                    dst[ow] = src[ow * s + off];
            for (int64_t ow = hi; ow < ow_n; ow++)
                dst[ow] = 0.0f;
        }
    }
}

/* ---- depthwise-like: one input channel per group ------------------------------------------------------ */

typedef struct direct_job {
    const params *p;
    const float *x, *w, *b;
    float *y;
} direct_job;

/* Output planes [begin, end) over batch x cout; each reads input channel (m / mg). */
static void direct_planes(void *ctx, size_t begin, size_t end) {
    const direct_job *j = ctx;
    const params *p = j->p;
    const et_window *w = &p->w;
    const int64_t in_plane = et_window_in_size(w), out_plane = et_window_out_size(w), ow_n = w->out[2];
    for (size_t pl = begin; pl < end; pl++) {
        int64_t nb = (int64_t)pl / p->cout, m = (int64_t)pl % p->cout;
        const float *xc = j->x + (nb * p->cin + m / p->mg) * in_plane;
        const float *wk = j->w + m * p->kprod;
        float *yc = j->y + (int64_t)pl * out_plane;
        const float bias = j->b ? j->b[m] : 0.0f;
        for (int64_t i = 0; i < out_plane; i++)
            yc[i] = bias;
        for (int64_t od = 0; od < w->out[0]; od++)
            for (int64_t oh = 0; oh < w->out[1]; oh++) {
                float *yr = yc + (od * w->out[1] + oh) * ow_n;
                for (int64_t kd = 0; kd < w->k[0]; kd++) {
                    int64_t id = od * w->stride[0] - w->pad0[0] + kd * w->dil[0];
                    if (id < 0 || id >= w->in[0])
                        continue;
                    for (int64_t kh = 0; kh < w->k[1]; kh++) {
                        int64_t ih = oh * w->stride[1] - w->pad0[1] + kh * w->dil[1];
                        if (ih < 0 || ih >= w->in[1])
                            continue;
                        const float *xr = xc + (id * w->in[1] + ih) * w->in[2];
                        for (int64_t kw = 0; kw < w->k[2]; kw++) {
                            const float wv = wk[(kd * w->k[1] + kh) * w->k[2] + kw];
                            int64_t off = kw * w->dil[2] - w->pad0[2], s = w->stride[2];
                            int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s;
                            int64_t hi = w->in[2] - off <= 0 ? 0 : (w->in[2] - off + s - 1) / s;
                            if (hi > ow_n)
                                hi = ow_n;
                            if (s == 1)
                                for (int64_t ow = lo; ow < hi; ow++)
                                    yr[ow] += wv * xr[ow + off];
                            else
                                for (int64_t ow = lo; ow < hi; ow++)
                                    yr[ow] += wv * xr[ow * s + off];
                        }
                    }
                }
            }
        et_act_apply_f32(&p->act, yc, (size_t)out_plane);
    }
}

/* ---- epilogue: bias and activation per output channel ----------------------------------------------------- */

typedef struct epi_job {
    const params *p;
    const float *b;
    float *y; /* one batch item */
} epi_job;

static void epilogue(void *ctx, size_t begin, size_t end) {
    const epi_job *j = ctx;
    const int64_t plane = et_window_out_size(&j->p->w);
    for (size_t m = begin; m < end; m++) {
        float *yc = j->y + (int64_t)m * plane;
        if (j->b) {
            const float bv = j->b[m];
            for (int64_t i = 0; i < plane; i++)
                yc[i] += bv;
        }
        et_act_apply_f32(&j->p->act, yc, (size_t)plane);
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const float *x = inst->in[0].data, *w = inst->in[1].data;
    const float *b = inst->n_in > 2 ? inst->in[2].data : NULL;
    float *y = inst->out[0].data;
    const int64_t in_plane = et_window_in_size(&p->w), out_plane = et_window_out_size(&p->w);
    (void)err;
    if (p->depthwise) {
        direct_job j = {p, x, w, b, y};
        et_par_for(ctx->pool, (size_t)(p->batch * p->cout), direct_planes, &j);
        return ET_OK;
    }
    for (int64_t nb = 0; nb < p->batch; nb++) {
        for (int64_t g = 0; g < p->group; g++) {
            const float *xg = x + (nb * p->cin + g * p->cg) * in_plane;
            const float *wg = w + g * p->mg * p->kg;
            float *yg = y + (nb * p->cout + g * p->mg) * out_plane;
            if (p->pointwise) {
                et_sgemm(ctx->pool, p->mg, out_plane, p->kg, 1.0f, wg, p->kg, 1, xg, in_plane, 1, yg, out_plane, false);
                continue;
            }
            for (int64_t row0 = 0; row0 < p->rows; row0 += p->chunk_rows) {
                int64_t nrows = p->rows - row0 < p->chunk_rows ? p->rows - row0 : p->chunk_rows;
                im2col_job ij = {p, xg, ctx->scratch, row0, nrows, nrows * p->w.out[2]};
                et_par_for(ctx->pool, (size_t)p->kg, im2col_rows, &ij);
                et_sgemm(ctx->pool, p->mg, ij.ncols, p->kg, 1.0f, wg, p->kg, 1, ij.col, ij.ncols, 1,
                         yg + row0 * p->w.out[2], out_plane, false);
            }
        }
        if (b || p->act.kind != ET_ACT_NONE) {
            epi_job ej = {p, b, y + nb * p->cout * out_plane};
            et_par_for(ctx->pool, (size_t)p->cout, epilogue, &ej);
        }
    }
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    const et_shape *xs = &inst->in[0].shape, *ws = &inst->in[1].shape;
    et_status st = et_window_init(n, xs, &ws->dim[2], false, &p->w, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    p->batch = xs->dim[0];
    p->cin = xs->dim[1];
    p->cout = ws->dim[0];
    p->group = et_node_attr_int(n, "group", 1);
    p->cg = p->cin / p->group;
    p->mg = p->cout / p->group;
    p->kprod = et_window_k_size(&p->w);
    p->kg = p->cg * p->kprod;
    p->act = n->act;
    p->rows = p->w.out[0] * p->w.out[1];
    p->depthwise = p->cg == 1;
    p->pointwise = !p->depthwise && p->kprod == 1;
    for (int i = 0; i < ET_WIN_MAX_SP; i++)
        if (p->w.stride[i] != 1 || p->w.pad0[i] != 0 || p->w.pad1[i] != 0)
            p->pointwise = false;
    if (!p->depthwise && !p->pointwise && p->rows > 0) {
        int64_t row_bytes;
        if (__builtin_mul_overflow(p->kg, p->w.out[2] * (int64_t)sizeof(float), &row_bytes) ||
            row_bytes > MAX_ROW_BYTES) {
            st = et_op_failx(err, ET_E_UNSUPPORTED, n, "one output row needs a %lld x %lld column buffer; too large",
                             (long long)p->kg, (long long)p->w.out[2]);
            free(p);
            return st;
        }
        p->chunk_rows = row_bytes > 0 ? CHUNK_BYTES / row_bytes : p->rows;
        if (p->chunk_rows < 1)
            p->chunk_rows = 1;
        if (p->chunk_rows > p->rows)
            p->chunk_rows = p->rows;
        inst->scratch_bytes = (size_t)(row_bytes * p->chunk_rows);
    }
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel, "%s",
             p->depthwise   ? "ref-direct"
             : p->pointwise ? "ref-gemm"
                            : "ref-im2col-gemm");
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_conv = {infer, prepare};
