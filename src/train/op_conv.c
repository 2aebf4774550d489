/* op_conv.c: Conv (2-D and 1-D; strided, dilated, padded, grouped) in training: forward and backward as GEMMs
 * on the engine's kernels (tgemm.h), depthwise convolutions in direct loops (op_dwconv.c).
 *
 * Layout is ONNX's NCHW. For one image and group, with cols the im2col matrix [Cin/g*kh*kw + 1][pixels] (the
 * extra row is ones, so the bias rides along as an extra column of the weights):
 *   forward   Y = [W | b] . cols                   A = the weights (as they lie, OIHW), packed = cols
 *   dX        dcols = W^T . dY, then col2im        A = W^T (transposed once per step), packed = dY
 *   dW, db    [dW | db] += dY . cols^T             A = dY (as it lies), packed = cols^T (a ones column last)
 * The packed operands are built block by block straight from the image (no im2col matrix in memory): a block
 * of pixels is sized so that its packed columns stay in L2. A 1x1 stride-1 convolution without padding packs
 * its input rows directly and writes dX without col2im.
 *
 * Threads: the forward's tasks are (image, pixel block); dX's are images (col2im adds into neighbouring
 * pixels, so one image is one task); the weight gradient is summed per fixed chunk of images into its own
 * buffer and the chunks are added in order, so the result does not depend on how many threads ran. */
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "train/op_conv.h"
#include "train/tgemm.h"
#include "util/mem.h"

enum { WGRAD_CHUNKS = 8, BLOCK_BUDGET_FLOATS = 48 * 1024 };

static void release(et_tstep *s) {
    et_conv_geom *c = s->state;
    if (c) {
        et_aligned_free(c->wa);
        et_aligned_free(c->wt);
        et_aligned_free(c->wacc);
        free(c);
    }
}

/* ---- packing ------------------------------------------------------------------------------------------------ */

/* Input offsets of the window origin of output pixels p0 .. p0+np-1 of one plane (row and column), for a
 * panel at a time. */
static void origins(const et_conv_geom *c, size_t p0, size_t np, int64_t *oy, int64_t *ox) {
    for (size_t j = 0; j < np; j++) {
        int64_t p = (int64_t)(p0 + j);
        oy[j] = p / c->ow * c->sh - c->pt;
        ox[j] = p % c->ow * c->sw - c->pl;
    }
}

/* Packs cols for pixels [p0, p0+np) of one image's group (x: its first input channel) as the kernels' B operand:
 * depth kdim + 1 (the last row ones), np columns. */
static void pack_cols(const et_conv_geom *c, const float *x, size_t p0, size_t np, float *packed) {
    const size_t nr = et_tgemm_nr();
    int64_t oy[64], ox[64];
    for (size_t q0 = 0; q0 < np; q0 += nr) {
        const size_t cols = np - q0 < nr ? np - q0 : nr;
        memset(packed, 0, nr * sizeof *packed);
        float *p = packed + nr;
        if (c->pointwise) {
            for (int64_t ci = 0; ci < c->cin_g; ci++, p += nr) {
                memcpy(p, x + ci * c->ihw + p0 + q0, cols * sizeof *p);
                if (cols < nr)
                    memset(p + cols, 0, (nr - cols) * sizeof *p);
            }
        } else {
            origins(c, p0 + q0, cols, oy, ox);
            for (int64_t ci = 0; ci < c->cin_g; ci++) {
                const float *xc = x + ci * c->ihw;
                for (int64_t ky = 0; ky < c->kh; ky++)
                    for (int64_t kx = 0; kx < c->kw; kx++, p += nr) {
                        size_t j = 0;
                        for (; j < cols; j++) {
                            int64_t iy = oy[j] + ky * c->dh, ix = ox[j] + kx * c->dw;
                            p[j] = (uint64_t)iy < (uint64_t)c->ih && (uint64_t)ix < (uint64_t)c->iw
                                       ? xc[iy * c->iw + ix]
                                       : 0.0f;
                        }
                        for (; j < nr; j++)
                            p[j] = 0.0f;
                    }
            }
        }
        for (size_t j = 0; j < nr; j++)
            p[j] = j < cols ? 1.0f : 0.0f;
        packed = p + nr;
    }
}

/* Packs cols^T for pixels [p0, p0+np) as the B operand of the weight gradient: depth np (pixels), kdim + 1
 * columns (the last ones). */
static void pack_cols_t(const et_conv_geom *c, const float *x, size_t p0, size_t np, float *packed) {
    const size_t nr = et_tgemm_nr(), n = (size_t)c->kdim + 1;
    int64_t oy[1], ox[1];
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        const size_t cols = n - n0 < nr ? n - n0 : nr;
        memset(packed, 0, nr * sizeof *packed);
        float *p = packed + nr;
        /* the columns of this panel: input channel, kernel row and column of each */
        int64_t off[64], ky[64], kx[64];
        bool ones[64];
        for (size_t j = 0; j < nr; j++) {
            size_t col = n0 + j;
            ones[j] = col == (size_t)c->kdim;
            if (col >= (size_t)c->kdim) {
                off[j] = ky[j] = kx[j] = 0;
                continue;
            }
            int64_t ci = (int64_t)col / c->kk, r = (int64_t)col % c->kk;
            off[j] = ci * c->ihw;
            ky[j] = r / c->kw * c->dh;
            kx[j] = r % c->kw * c->dw;
        }
        for (size_t k = 0; k < np; k++, p += nr) {
            if (c->pointwise) {
                const float *xp = x + p0 + k;
                for (size_t j = 0; j < nr; j++)
                    p[j] = j < cols ? (ones[j] ? 1.0f : xp[off[j]]) : 0.0f;
                continue;
            }
            origins(c, p0 + k, 1, oy, ox);
            for (size_t j = 0; j < nr; j++) {
                int64_t iy = oy[0] + ky[j], ix = ox[0] + kx[j];
                float v = (uint64_t)iy < (uint64_t)c->ih && (uint64_t)ix < (uint64_t)c->iw ? x[off[j] + iy * c->iw + ix]
                                                                                           : 0.0f;
                p[j] = j < cols ? (ones[j] ? 1.0f : v) : 0.0f;
            }
        }
        packed = p;
    }
}

/* Adds dcols [kdim][np] (pixels [p0, p0+np) of one image's group) into dx (the group's first input channel). */
static void col2im_add(const et_conv_geom *c, const float *dcols, size_t p0, size_t np, float *dx) {
    int64_t oy[64], ox[64];
    for (size_t q0 = 0; q0 < np; q0 += 64) {
        size_t cols = np - q0 < 64 ? np - q0 : 64;
        origins(c, p0 + q0, cols, oy, ox);
        for (int64_t ci = 0; ci < c->cin_g; ci++) {
            float *dxc = dx + ci * c->ihw;
            for (int64_t ky = 0; ky < c->kh; ky++)
                for (int64_t kx = 0; kx < c->kw; kx++) {
                    const float *row = dcols + ((ci * c->kh + ky) * c->kw + kx) * (int64_t)np + q0;
                    for (size_t j = 0; j < cols; j++) {
                        int64_t iy = oy[j] + ky * c->dh, ix = ox[j] + kx * c->dw;
                        if ((uint64_t)iy < (uint64_t)c->ih && (uint64_t)ix < (uint64_t)c->iw)
                            dxc[iy * c->iw + ix] += row[j];
                    }
                }
        }
    }
}

/* ---- forward ------------------------------------------------------------------------------------------------ */

typedef struct conv_run {
    et_tnet *n;
    const et_conv_geom *c;
    const float *x, *dy;
    float *y, *dx;
    bool accumulate;
    size_t n_blocks;
    size_t chunks; /* weight gradient: the batch in this many chunks */
} conv_run;

static void forward_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    int slot;
    float *packed = et_tslot_acquire(&r->n->slots, &slot);
    for (size_t t = begin; t < end; t++) {
        size_t b = t / r->n_blocks, p0 = t % r->n_blocks * c->block;
        size_t np = (size_t)c->ohw - p0 < c->block ? (size_t)c->ohw - p0 : c->block;
        for (int64_t gi = 0; gi < c->groups; gi++) {
            const float *x = r->x + ((int64_t)b * c->cin + gi * c->cin_g) * c->ihw;
            pack_cols(c, x, p0, np, packed);
            float *y = r->y + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw + (int64_t)p0;
            et_tgemm((size_t)c->cout_g, np, (size_t)c->kdim + 1, c->wa + gi * c->cout_g * (c->kdim + 1),
                     (size_t)c->kdim + 1, packed, y, (size_t)c->ohw);
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* wa = [W | b] per output channel (the forward's A operand). */
static void fill_wa(et_tnet *n, const et_tstep *s, et_conv_geom *c) {
    const float *w = et_tv_data(n, s->in[1]);
    const float *bias = s->n_in > 2 && s->in[2] >= 0 ? et_tv_data(n, s->in[2]) : NULL;
    for (int64_t o = 0; o < c->cout; o++) {
        memcpy(c->wa + o * (c->kdim + 1), w + o * c->kdim, (size_t)c->kdim * sizeof(float));
        c->wa[o * (c->kdim + 1) + c->kdim] = bias ? bias[o] : 0.0f;
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    et_conv_geom *c = s->state;
    if (c->depthwise)
        return et_dwconv_forward(n, s, c, err);
    fill_wa(n, s, c);
    conv_run r = {.n = n, .c = c, .x = et_tv_data(n, s->in[0]), .y = et_tv_data(n, s->out)};
    r.n_blocks = ((size_t)c->ohw + c->block - 1) / c->block;
    et_tnet_par(n, (size_t)n->batch_now * r.n_blocks, forward_task, &r);
    return ET_OK;
}

/* ---- backward ----------------------------------------------------------------------------------------------- */

static void dx_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    int slot;
    float *packed = et_tslot_acquire(&r->n->slots, &slot);
    float *dcols = packed + c->packed_dy_floats;
    for (size_t b = begin; b < end; b++) {
        float *dx_img = r->dx + (int64_t)b * c->cin * c->ihw;
        if (!r->accumulate && !c->pointwise)
            memset(dx_img, 0, (size_t)(c->cin * c->ihw) * sizeof(float));
        for (int64_t gi = 0; gi < c->groups; gi++) {
            const float *dy = r->dy + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw;
            float *dx = dx_img + gi * c->cin_g * c->ihw;
            const float *wt = c->wt + gi * c->kdim * c->cout_g;
            for (size_t p0 = 0; p0 < (size_t)c->ohw; p0 += c->block) {
                size_t np = (size_t)c->ohw - p0 < c->block ? (size_t)c->ohw - p0 : c->block;
                et_tgemm_pack((size_t)c->cout_g, np, dy + p0, (size_t)c->ohw, 1, NULL, packed);
                if (c->pointwise && !r->accumulate) {
                    et_tgemm((size_t)c->kdim, np, (size_t)c->cout_g, wt, (size_t)c->cout_g, packed, dx + p0,
                             (size_t)c->ihw);
                    continue;
                }
                et_tgemm((size_t)c->kdim, np, (size_t)c->cout_g, wt, (size_t)c->cout_g, packed, dcols, np);
                if (c->pointwise) {
                    for (int64_t ci = 0; ci < c->cin_g; ci++)
                        for (size_t j = 0; j < np; j++)
                            dx[ci * c->ihw + (int64_t)(p0 + j)] += dcols[ci * (int64_t)np + (int64_t)j];
                } else {
                    col2im_add(c, dcols, p0, np, dx);
                }
            }
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* The weight gradient of chunk `chunk` of the batch, into its buffer c->wacc + chunk * cout * (kdim + 1). */
static void dw_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    const size_t ldw = (size_t)c->kdim + 1, batch = (size_t)r->n->batch_now;
    int slot;
    float *packed = et_tslot_acquire(&r->n->slots, &slot);
    float *part = packed + c->packed_colst_floats;
    for (size_t chunk = begin; chunk < end; chunk++) {
        float *acc = c->wacc + chunk * (size_t)c->cout * ldw;
        size_t b0 = chunk * batch / r->chunks, b1 = (chunk + 1) * batch / r->chunks;
        bool first = true;
        for (size_t b = b0; b < b1; b++)
            for (size_t p0 = 0; p0 < (size_t)c->ohw; p0 += c->block) {
                size_t np = (size_t)c->ohw - p0 < c->block ? (size_t)c->ohw - p0 : c->block;
                for (int64_t gi = 0; gi < c->groups; gi++) {
                    const float *x = r->x + ((int64_t)b * c->cin + gi * c->cin_g) * c->ihw;
                    const float *dy = r->dy + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw + (int64_t)p0;
                    float *dst = first ? acc + gi * c->cout_g * (int64_t)ldw : part;
                    pack_cols_t(c, x, p0, np, packed);
                    et_tgemm((size_t)c->cout_g, ldw, np, dy, (size_t)c->ohw, packed, dst, ldw);
                    if (!first) {
                        float *a = acc + gi * c->cout_g * (int64_t)ldw;
                        for (size_t e = 0; e < (size_t)c->cout_g * ldw; e++)
                            a[e] += part[e];
                    }
                }
                first = false;
            }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* Sums the chunks' weight gradients in chunk order into the weight and bias gradients. */
static void reduce_wgrad(et_tnet *n, const et_tstep *s, const et_conv_geom *c, size_t chunks) {
    const size_t ldw = (size_t)c->kdim + 1;
    bool acc_w = false, acc_b = false;
    float *dw = et_tnet_grad_begin(n, s->in[1], &acc_w);
    float *db = s->n_in > 2 ? et_tnet_grad_begin(n, s->in[2], &acc_b) : NULL;
    for (int64_t o = 0; o < c->cout; o++) {
        const float *a0 = c->wacc + (size_t)o * ldw;
        for (int64_t i = 0; i <= c->kdim; i++) {
            float sum = a0[i];
            for (size_t ch = 1; ch < chunks; ch++)
                sum += a0[ch * (size_t)c->cout * ldw + (size_t)i];
            if (i < c->kdim && dw)
                dw[o * c->kdim + i] = acc_w ? dw[o * c->kdim + i] + sum : sum;
            else if (i == c->kdim && db)
                db[o] = acc_b ? db[o] + sum : sum;
        }
    }
}

static void backward(et_tnet *n, et_tstep *s) {
    et_conv_geom *c = s->state;
    if (c->depthwise) {
        et_dwconv_backward(n, s, c);
        return;
    }
    conv_run r = {.n = n, .c = c, .x = et_tv_data(n, s->in[0]), .dy = et_tnet_grad_of(n, s->out)};
    const bool want_w = n->values[s->in[1]].needs_grad ||
                        (s->n_in > 2 && s->in[2] >= 0 && n->values[s->in[2]].needs_grad);
    if (want_w) {
        r.chunks = (size_t)n->batch_now < WGRAD_CHUNKS ? (size_t)n->batch_now : WGRAD_CHUNKS;
        et_tnet_par(n, r.chunks, dw_task, &r);
        reduce_wgrad(n, s, c, r.chunks);
    }
    if ((r.dx = et_tnet_grad_begin(n, s->in[0], &r.accumulate)) != NULL) {
        const float *w = et_tv_data(n, s->in[1]);
        for (int64_t gi = 0; gi < c->groups; gi++)
            for (int64_t o = 0; o < c->cout_g; o++)
                for (int64_t i = 0; i < c->kdim; i++)
                    c->wt[(gi * c->kdim + i) * c->cout_g + o] = w[(gi * c->cout_g + o) * c->kdim + i];
        et_tnet_par(n, (size_t)n->batch_now, dx_task, &r);
    }
}

static const et_top conv_op = {"Conv", forward, backward, release};

/* ---- build -------------------------------------------------------------------------------------------------- */

static et_status geometry(et_tnet *n, const et_node *node, et_conv_geom *c, et_err *err) {
    const et_value *x = &n->g->values[node->inputs[0]], *w = et_node_cin(n->g, node, 1);
    if (!w || n->values[node->inputs[1]].param < 0)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Conv): its weights are not a float32 constant; the "
                       "training engine trains constant weights",
                       node->name);
    if (x->shape.rank != 4 && x->shape.rank != 3)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Conv): %d-D; the training engine trains 1-D and 2-D "
                       "convolutions",
                       node->name, x->shape.rank - 2);
    const et_value *b = et_node_cin(n->g, node, 2);
    if (b && n->values[node->inputs[2]].param < 0)
        return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (Conv): its bias is not a float32 constant", node->name);
    et_window win;
    et_status st = et_window_init(node, &x->shape, &w->shape.dim[2], false, &win, err);
    if (st != ET_OK)
        return st;
    c->groups = et_node_attr_int(node, "group", 1);
    c->cin = x->shape.dim[1];
    c->cout = w->shape.dim[0];
    if (c->groups < 1 || c->cin % c->groups || c->cout % c->groups || w->shape.dim[1] != c->cin / c->groups)
        return et_fail(err, ET_E_INPUT,
                       "node '%s' (Conv): %lld input channels, %lld groups and weights %lld x %lld "
                       "do not fit",
                       node->name, (long long)c->cin, (long long)c->groups, (long long)w->shape.dim[0],
                       (long long)w->shape.dim[1]);
    c->cin_g = c->cin / c->groups;
    c->cout_g = c->cout / c->groups;
    c->ih = win.in[1], c->iw = win.in[2], c->oh = win.out[1], c->ow = win.out[2];
    c->kh = win.k[1], c->kw = win.k[2], c->sh = win.stride[1], c->sw = win.stride[2];
    c->dh = win.dil[1], c->dw = win.dil[2], c->pt = win.pad0[1], c->pl = win.pad0[2];
    c->ihw = c->ih * c->iw;
    c->ohw = c->oh * c->ow;
    c->kk = c->kh * c->kw;
    c->kdim = c->cin_g * c->kk;
    c->pointwise = c->kk == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 && c->pl == 0 && c->ohw == c->ihw;
    c->depthwise = c->cin_g == 1 && c->cout_g == 1;
    return ET_OK;
}

et_status et_top_build_conv(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    et_conv_geom *c = calloc(1, sizeof *c);
    if (!c)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &conv_op;
    s->state = c;
    et_status st = geometry(n, node, c, err);
    if (st != ET_OK)
        return st;
    if (c->depthwise)
        return et_dwconv_prepare(n, s, c, err);
    const size_t nr = et_tgemm_nr(), kd = (size_t)c->kdim + 1;
    /* pixels per block: the packed columns (kd x block) within the budget, whole panels, at least one */
    size_t block = BLOCK_BUDGET_FLOATS / kd / nr * nr;
    block = block < nr ? nr : block;
    c->block = (size_t)c->ohw < block ? (size_t)c->ohw : block;
    size_t packed_cols = et_tgemm_packed_floats(kd, c->block);
    c->packed_dy_floats = et_round_up(et_tgemm_packed_floats((size_t)c->cout_g, c->block), 16);
    c->packed_colst_floats = et_round_up(et_tgemm_packed_floats(c->block, kd), 16);
    size_t fwd = packed_cols, dx = c->packed_dy_floats + (size_t)c->kdim * c->block,
           dw = c->packed_colst_floats + (size_t)c->cout_g * kd;
    size_t most = fwd > dx ? fwd : dx;
    most = most > dw ? most : dw;
    s->scratch_bytes = most * sizeof(float);
    c->wa = et_aligned_alloc((size_t)c->cout * kd * sizeof(float));
    c->wt = et_aligned_alloc((size_t)c->cout * (size_t)c->kdim * sizeof(float));
    c->wacc = et_aligned_alloc(WGRAD_CHUNKS * (size_t)c->cout * kd * sizeof(float));
    if (!c->wa || !c->wt || !c->wacc)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    return ET_OK;
}
