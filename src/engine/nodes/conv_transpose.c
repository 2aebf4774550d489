/* conv_transpose.c: ConvTranspose (ONNX, NCHW) for 1-D, 2-D and 3-D inputs: groups, strides, dilations,
 * pads, output_padding, output_shape, auto_pad, optional bias. float32.
 *
 * Computed as the adjoint of im2col convolution: for each group, col = W_g^T x X_g (a GEMM whose columns are
 * input positions), then col2im scatter-adds every column entry into the output position it feeds. Input
 * positions are processed a chunk of rows at a time so the column buffer (scratch) stays bounded; col2im runs
 * in parallel over output channels, which never write to the same place.
 *
 * Geometry: the "full" output has size stride * (in - 1) + output_padding + dilation * (k - 1) + 1; pads crop
 * it. With output_shape or auto_pad SAME_*, the total padding is full - wanted (clamped at 0, so a larger wanted
 * size extends the end with zeros); SAME_UPPER puts the odd unit at the end, SAME_LOWER and NOTSET at the start,
 * as the ONNX spec and its node tests say. Output position o takes full position o + pad_begin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

#define ATTR_LIMIT ((int64_t)1 << 30)
enum { CHUNK_BYTES = 2 << 20 };
#define MAX_ROW_BYTES ((int64_t)1 << 30)

typedef struct params {
    et_window w;
    int64_t batch, cin, cout, group, cg, mg, kprod;
    int64_t rows, chunk_rows; /* input rows (in[0] * in[1]) and how many one chunk holds */
    et_activation act;
} params;

/* Fills w from the node and shapes. ET_E_INPUT naming the node on bad attributes or sizes. */
static et_status geometry(const et_node *n, const et_shape *x, const et_shape *wt, et_window *w, et_err *err) {
    memset(w, 0, sizeof *w);
    int ns = x->rank - 2;
    if (ns < 1)
        return et_op_fail(err, n, "input has rank %d; expected N x C x spatial dims (rank >= 3)", x->rank);
    if (ns > ET_WIN_MAX_SP)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "%d spatial dimensions; at most %d are supported", ns,
                           ET_WIN_MAX_SP);
    w->n_sp = ns;
    int64_t strides[ET_WIN_MAX_SP], dil[ET_WIN_MAX_SP], opad[ET_WIN_MAX_SP], pads[2 * ET_WIN_MAX_SP];
    et_status st;
    if ((st = et_attr_ints_checked(n, "strides", ns, 1, 1, ATTR_LIMIT, strides, err)) != ET_OK ||
        (st = et_attr_ints_checked(n, "dilations", ns, 1, 1, ATTR_LIMIT, dil, err)) != ET_OK ||
        (st = et_attr_ints_checked(n, "output_padding", ns, 0, 0, ATTR_LIMIT, opad, err)) != ET_OK ||
        (st = et_attr_ints_checked(n, "pads", 2 * ns, 0, 0, ATTR_LIMIT, pads, err)) != ET_OK)
        return st;
    int n_os = 0;
    const int64_t *os = et_node_attr_ints(n, "output_shape", &n_os);
    if (os && n_os != ns && n_os != ns + 2)
        return et_op_fail(err, n, "output_shape has %d values; expected %d", n_os, ns);
    if (os)
        os += n_os - ns; /* a full N x C x ... shape: keep the spatial part */
    et_auto_pad ap;
    if ((st = et_auto_pad_of(n, &ap, err)) != ET_OK)
        return st;
    bool same_upper = ap == ET_PAD_SAME_UPPER, same_lower = ap == ET_PAD_SAME_LOWER, valid = ap == ET_PAD_VALID;
    int off = ET_WIN_MAX_SP - ns;
    for (int i = 0; i < ET_WIN_MAX_SP; i++)
        w->in[i] = w->out[i] = w->k[i] = w->stride[i] = w->dil[i] = 1;
    for (int i = 0; i < ns; i++) {
        int d = off + i;
        int64_t in = x->dim[2 + i], k = wt->dim[2 + i], s = strides[i];
        if (in < 0 || k < 1 || k > ATTR_LIMIT)
            return et_op_fail(err, n, "input size %lld / kernel size %lld in dimension %d is invalid", (long long)in,
                              (long long)k, i);
        int64_t full;
        if (__builtin_mul_overflow(s, in > 0 ? in - 1 : 0, &full) || full > ((int64_t)1 << 50))
            return et_op_fail(err, n, "stride %lld on %lld inputs in dimension %d is too large", (long long)s,
                              (long long)in, i);
        full += opad[i] + dil[i] * (k - 1) + 1;
        int64_t p0 = pads[i], p1 = pads[ns + i], out;
        if (os || same_upper || same_lower) {
            if (os && (os[i] < 1 || os[i] > ((int64_t)1 << 40)))
                return et_op_fail(err, n, "output_shape[%d] = %lld is invalid", i, (long long)os[i]);
            out = os ? os[i] : in * s;
            int64_t total = full - out > 0 ? full - out : 0;
            p0 = same_upper ? total / 2 : total - total / 2;
            p1 = total - p0;
        } else {
            if (valid)
                p0 = p1 = 0;
            out = full - p0 - p1;
        }
        if (out < 1)
            return et_op_fail(err, n, "output size in dimension %d would be %lld (pads larger than the output)", i,
                              (long long)out);
        w->in[d] = in, w->out[d] = out, w->k[d] = k, w->stride[d] = s, w->dil[d] = dil[i];
        w->pad0[d] = p0, w->pad1[d] = p1;
    }
    return ET_OK;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1), *b = et_node_cin(g, n, 2);
    if ((st = et_conv_check_operands(n, x, w, b, -1, err)) != ET_OK)
        return st;
    int64_t group = et_node_attr_int(n, "group", 1);
    int64_t c = x->shape.dim[1];
    if (group < 1 || w->shape.dim[0] != c || c % group != 0)
        return et_op_fail(err, n, "group %lld and weights %lld x %lld do not fit %lld input channels", (long long)group,
                          (long long)w->shape.dim[0], (long long)w->shape.dim[1], (long long)c);
    int64_t m = w->shape.dim[1] * group;
    int ns = x->shape.rank - 2;
    if (b && (b->shape.rank != 1 || b->shape.dim[0] != m))
        return et_op_fail(err, n, "bias must be a vector of %lld values", (long long)m);
    et_window win;
    if ((st = geometry(n, &x->shape, &w->shape, &win, err)) != ET_OK || (st = et_act_check(n, err)) != ET_OK)
        return st;
    et_shape out = {.rank = x->shape.rank, .dim = {x->shape.dim[0], m}};
    for (int i = 0; i < ns; i++)
        out.dim[2 + i] = win.out[ET_WIN_MAX_SP - ns + i];
    et_op_set_output(g, n, 0, ET_DT_F32, &out);
    return ET_OK;
}

typedef struct col2im_job {
    const params *p;
    const float *col; /* mg * kprod rows of ncols (input positions row0 * in[2] ...) */
    float *y;         /* this group's output channels */
    int64_t row0, nrows, ncols;
} col2im_job;

static void col2im_channels(void *ctx, size_t begin, size_t end) {
    const col2im_job *j = ctx;
    const et_window *w = &j->p->w;
    const int64_t out_plane = et_window_out_size(w), iw_n = w->in[2];
    for (size_t m = begin; m < end; m++) {
        float *yc = j->y + (int64_t)m * out_plane;
        for (int64_t kk = 0; kk < j->p->kprod; kk++) {
            int64_t kw = kk % w->k[2], kh = (kk / w->k[2]) % w->k[1], kd = kk / (w->k[2] * w->k[1]);
            const float *src = j->col + ((int64_t)m * j->p->kprod + kk) * j->ncols;
            /* input columns iw with 0 <= iw * s - p + kw * d < out */
            int64_t off = kw * w->dil[2] - w->pad0[2], s = w->stride[2];
            int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s;
            int64_t hi = w->out[2] - off <= 0 ? 0 : (w->out[2] - off + s - 1) / s;
            if (hi > iw_n)
                hi = iw_n;
            for (int64_t row = j->row0; row < j->row0 + j->nrows; row++, src += iw_n) {
                int64_t id = row / w->in[1], ih = row % w->in[1];
                int64_t od = id * w->stride[0] - w->pad0[0] + kd * w->dil[0];
                int64_t oh = ih * w->stride[1] - w->pad0[1] + kh * w->dil[1];
                if (od < 0 || od >= w->out[0] || oh < 0 || oh >= w->out[1])
                    continue;
                float *dst = yc + (od * w->out[1] + oh) * w->out[2];
                for (int64_t iw = lo; iw < hi; iw++)
                    dst[iw * s + off] += src[iw];
            }
        }
    }
}

typedef struct init_job {
    const params *p;
    const float *b;
    float *y;
    bool act; /* false: fill with bias; true: apply the activation */
} init_job;

static void init_or_act(void *ctx, size_t begin, size_t end) {
    const init_job *j = ctx;
    const int64_t plane = et_window_out_size(&j->p->w);
    for (size_t pl = begin; pl < end; pl++) {
        float *yc = j->y + (int64_t)pl * plane;
        if (j->act) {
            et_act_apply_f32(&j->p->act, yc, (size_t)plane);
            continue;
        }
        const float bv = j->b ? j->b[(int64_t)pl % j->p->cout] : 0.0f;
        for (int64_t i = 0; i < plane; i++)
            yc[i] = bv;
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const float *x = inst->in[0].data, *w = inst->in[1].data;
    const float *b = inst->n_in > 2 ? inst->in[2].data : NULL;
    float *y = inst->out[0].data;
    const int64_t in_plane = et_window_in_size(&p->w), out_plane = et_window_out_size(&p->w);
    const int64_t wrow = p->mg * p->kprod; /* one input channel's weights */
    (void)err;
    init_job ij = {p, b, y, false};
    et_par_for(ctx->pool, (size_t)(p->batch * p->cout), init_or_act, &ij);
    float *col = ctx->scratch;
    for (int64_t nb = 0; nb < p->batch; nb++)
        for (int64_t g = 0; g < p->group; g++) {
            const float *xg = x + (nb * p->cin + g * p->cg) * in_plane;
            const float *wg = w + g * p->cg * wrow;
            float *yg = y + (nb * p->cout + g * p->mg) * out_plane;
            for (int64_t row0 = 0; row0 < p->rows; row0 += p->chunk_rows) {
                int64_t nrows = p->rows - row0 < p->chunk_rows ? p->rows - row0 : p->chunk_rows;
                int64_t ncols = nrows * p->w.in[2];
                /* col (wrow x ncols) = W_g^T (wrow x cg) * X_g (cg x ncols) */
                et_sgemm(ctx->pool, wrow, ncols, p->cg, 1.0f, wg, 1, wrow, xg + row0 * p->w.in[2], in_plane, 1, col,
                         ncols, false);
                col2im_job cj = {p, col, yg, row0, nrows, ncols};
                et_par_for(ctx->pool, (size_t)p->mg, col2im_channels, &cj);
            }
        }
    if (p->act.kind != ET_ACT_NONE) {
        ij.act = true;
        et_par_for(ctx->pool, (size_t)(p->batch * p->cout), init_or_act, &ij);
    }
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    const et_shape *xs = &inst->in[0].shape, *ws = &inst->in[1].shape;
    et_status st = geometry(n, xs, ws, &p->w, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    p->batch = xs->dim[0];
    p->cin = xs->dim[1];
    p->group = et_node_attr_int(n, "group", 1);
    p->cg = p->cin / p->group;
    p->mg = ws->dim[1];
    p->cout = p->mg * p->group;
    p->kprod = et_window_k_size(&p->w);
    p->act = n->act;
    p->rows = p->w.in[0] * p->w.in[1];
    int64_t row_bytes;
    if (__builtin_mul_overflow(p->mg * p->kprod, p->w.in[2] * (int64_t)sizeof(float), &row_bytes) ||
        row_bytes > MAX_ROW_BYTES) {
        st = et_op_failx(err, ET_E_UNSUPPORTED, n, "one input row needs a %lld x %lld column buffer; too large",
                         (long long)(p->mg * p->kprod), (long long)p->w.in[2]);
        free(p);
        return st;
    }
    p->chunk_rows = row_bytes > 0 ? CHUNK_BYTES / row_bytes : p->rows;
    if (p->chunk_rows < 1)
        p->chunk_rows = 1;
    if (p->chunk_rows > p->rows)
        p->chunk_rows = p->rows;
    inst->scratch_bytes = (size_t)(row_bytes * p->chunk_rows);
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel, "ref-gemm-col2im");
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_conv_transpose = {infer, prepare};
