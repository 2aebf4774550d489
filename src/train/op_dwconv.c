/* op_dwconv.c: depthwise convolutions in training (one input and one output channel per group).
 *
 * A GEMM of one row per group would spend its time packing, and loops over one plane's rows of 4 to 14 pixels
 * spend it in loop overhead and on padding. So the channels are taken ET_TK_CB (8) at a time, in pixel-major
 * blocks (kernels/tk.h): one vector is one pixel of 8 channels, and a tap is one multiply-add of whole vectors
 * whatever the plane's width, stride or dilation. Per image and block of channels:
 *   forward   the 8 input planes transposed into a zero-padded block (hwc_in; the padding is zeroed once per
 *             task, and every image rewrites the same interior), the taps (dw_fwd, bias included), the outputs
 *             transposed back into the 8 output planes (hwc_out)
 *   dW, db    dY's 8 planes transposed into a block G, the input block as in the forward, dW[k] += sum_p G[p]
 *             xp[p's tap k], db += sum G (dw_wgrad)
 *   dX        G's taps pushed into a zeroed padded block (dw_dgrad), its interior written or added into dX; at
 *             stride 1, G zero-padded by the kernel's reach and run through the forward's taps (dw_fwd) with the
 *             weights flipped, which gathers each dX pixel in a register instead of a load, add and store per tap
 * Reading 8 consecutive planes of one image is one contiguous range of NCHW memory, which is what replaced the
 * copies of one channel's plane from every image of the batch (strided reads, a quarter of fmnist_mbv2's
 * epoch). Tasks are blocks of channels, each walking the whole batch in order with one scratch slot, so a
 * channel's weight gradient is summed in one fixed order whatever the threads, and no two tasks write the same
 * plane. */
#include <string.h>

#include "train/kernels/tk.h"
#include "train/op_conv.h"
#include "util/mem.h"

enum { CB = ET_TK_CB };

/* The padded block and the kernels' geometry of one layer. */
typedef struct dw_geom {
    et_tk_dw k;
    int64_t hp, wp; /* padded rows and pixels per row */
    size_t xp_floats, g_floats, w_floats;
    /* stride 1 (flip): dX as the forward taps (dw_fwd, kt) over G zero-padded by the kernel's reach less the pads
     * (hg x wg pixels, G's first pixel at (offy, offx)) with the weights flipped, into an ih x iw block; no
     * read-modify-write of every tap into dX's padded block */
    bool flip;
    et_tk_dw kt;
    int64_t hg, wg, offy, offx;
    size_t gp_floats, dxo_floats;
} dw_geom;

static void geometry(const et_conv_geom *c, dw_geom *d) {
    /* room for every tap of every output, and for every input pixel */
    const int64_t reach_h = (c->oh - 1) * c->sh + (c->kh - 1) * c->dh + 1;
    const int64_t reach_w = (c->ow - 1) * c->sw + (c->kw - 1) * c->dw + 1;
    d->hp = reach_h > c->ih + c->pt ? reach_h : c->ih + c->pt;
    d->wp = reach_w > c->iw + c->pl ? reach_w : c->iw + c->pl;
    d->k = (et_tk_dw){.oh = (size_t)c->oh,
                      .ow = (size_t)c->ow,
                      .kh = (size_t)c->kh,
                      .kw = (size_t)c->kw,
                      .sh = (size_t)c->sh,
                      .sw = (size_t)c->sw,
                      .dh = (size_t)c->dh,
                      .dw = (size_t)c->dw,
                      .wp = (size_t)d->wp};
    d->xp_floats = et_round_up((size_t)(d->hp * d->wp) * CB, 16);
    d->g_floats = et_round_up((size_t)c->ohw * CB, 16);
    d->w_floats = et_round_up((size_t)c->kk * CB, 16);
    d->flip = c->sh == 1 && c->sw == 1 && (c->kh - 1) * c->dh >= c->pt && (c->kw - 1) * c->dw >= c->pl;
    d->gp_floats = d->dxo_floats = 0;
    if (d->flip) {
        d->offy = (c->kh - 1) * c->dh - c->pt, d->offx = (c->kw - 1) * c->dw - c->pl;
        d->hg = c->ih + (c->kh - 1) * c->dh > d->offy + c->oh ? c->ih + (c->kh - 1) * c->dh : d->offy + c->oh;
        d->wg = c->iw + (c->kw - 1) * c->dw > d->offx + c->ow ? c->iw + (c->kw - 1) * c->dw : d->offx + c->ow;
        d->kt = d->k;
        d->kt.oh = (size_t)c->ih, d->kt.ow = (size_t)c->iw, d->kt.wp = (size_t)d->wg;
        d->gp_floats = et_round_up((size_t)(d->hg * d->wg) * CB, 16);
        d->dxo_floats = et_round_up((size_t)c->ihw * CB, 16);
    }
}

/* The scratch of one task: the padded input block, the padded dX block, G (or the forward's outputs), the block's
 * weights, bias, weight gradient and bias gradient; with flip, padded G, the dX block and the flipped weights. */
typedef struct dw_scratch {
    float *xp, *dxp, *g, *w, *b, *dw, *db, *gp, *dxo, *wf;
} dw_scratch;

static size_t scratch_floats(const dw_geom *d) {
    return 2 * d->xp_floats + d->g_floats + 3 * d->w_floats + 32 + d->gp_floats + d->dxo_floats;
}

static dw_scratch carve(const dw_geom *d, float *mem) {
    dw_scratch s = {.xp = mem};
    s.dxp = s.xp + d->xp_floats;
    s.g = s.dxp + d->xp_floats;
    s.w = s.g + d->g_floats;
    s.dw = s.w + d->w_floats;
    s.b = s.dw + d->w_floats;
    s.db = s.b + 16;
    s.wf = s.db + 16;
    s.gp = s.wf + d->w_floats;
    s.dxo = s.gp + d->gp_floats;
    return s;
}

typedef struct dw_run {
    et_tnet *n;
    const et_conv_geom *c;
    dw_geom d;
    const et_tk_config *tk;
    const float *x, *w, *bias, *dy;
    float *y, *dx, *dw, *db;
    bool acc_x, acc_w, acc_b;
} dw_run;

/* Channels [c0, c0 + nch) of the weights in the block's layout [kk][CB] (lanes past nch 0), and of the bias. */
static void block_weights(const dw_run *r, const dw_scratch *s, int64_t c0, int64_t nch) {
    const int64_t kk = r->c->kk;
    memset(s->w, 0, (size_t)kk * CB * sizeof *s->w);
    memset(s->b, 0, CB * sizeof *s->b);
    for (int64_t l = 0; l < nch; l++) {
        for (int64_t k = 0; k < kk; k++)
            s->w[k * CB + l] = r->w[(c0 + l) * kk + k];
        if (r->bias)
            s->b[l] = r->bias[c0 + l];
    }
}

/* Image b's planes [c0, c0 + nch) of x into the interior of the padded block (its padding stays zero). */
static void block_input(const dw_run *r, const dw_scratch *s, int64_t b, int64_t c0, int64_t nch) {
    const et_conv_geom *c = r->c;
    r->tk->hwc_in(s->xp + (c->pt * r->d.wp + c->pl) * CB, (ptrdiff_t)(r->d.wp * CB), r->x + (b * c->cin + c0) * c->ihw,
                  (ptrdiff_t)c->ihw, (size_t)nch, (size_t)c->ih, (size_t)c->iw);
}

static void forward_task(void *arg, size_t begin, size_t end) {
    const dw_run *r = arg;
    const et_conv_geom *c = r->c;
    int slot;
    dw_scratch s = carve(&r->d, et_tslot_acquire(&r->n->slots, &slot));
    memset(s.xp, 0, r->d.xp_floats * sizeof *s.xp);
    for (size_t blk = begin; blk < end; blk++) {
        const int64_t c0 = (int64_t)blk * CB, nch = c->cout - c0 < CB ? c->cout - c0 : CB;
        block_weights(r, &s, c0, nch);
        for (int64_t b = 0; b < r->n->batch_now; b++) {
            block_input(r, &s, b, c0, nch);
            r->tk->dw_fwd(s.g, s.xp, s.w, s.b, &r->d.k);
            r->tk->hwc_out(r->y + (b * c->cout + c0) * c->ohw, (ptrdiff_t)c->ohw, s.g, (ptrdiff_t)(c->ow * CB),
                           (size_t)nch, (size_t)c->oh, (size_t)c->ow, false);
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

static size_t blocks_of(const et_conv_geom *c) { return (size_t)((c->cout + CB - 1) / CB); }

et_status et_dwconv_forward(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err) {
    (void)err;
    dw_run r = {.n = n,
                .c = c,
                .tk = et_tk_config_get(),
                .x = et_tv_data(n, s->in[0]),
                .w = et_tv_data(n, s->in[1]),
                .y = et_tv_data(n, s->out),
                .bias = s->n_in > 2 && s->in[2] >= 0 ? et_tv_data(n, s->in[2]) : NULL};
    geometry(c, &r.d);
    et_tnet_par(n, blocks_of(c), forward_task, &r);
    return ET_OK;
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const dw_run *r = arg;
    const et_conv_geom *c = r->c;
    const dw_geom *d = &r->d;
    int slot;
    dw_scratch s = carve(d, et_tslot_acquire(&r->n->slots, &slot));
    memset(s.xp, 0, d->xp_floats * sizeof *s.xp);
    if (d->flip) /* G's padding: every image rewrites the same interior */
        memset(s.gp, 0, d->gp_floats * sizeof *s.gp);
    for (size_t blk = begin; blk < end; blk++) {
        const int64_t c0 = (int64_t)blk * CB, nch = c->cout - c0 < CB ? c->cout - c0 : CB;
        block_weights(r, &s, c0, nch);
        for (int64_t k = 0; d->flip && k < c->kk; k++)
            memcpy(s.wf + k * CB, s.w + (c->kk - 1 - k) * CB, CB * sizeof *s.wf);
        memset(s.dw, 0, (size_t)c->kk * CB * sizeof *s.dw);
        memset(s.db, 0, CB * sizeof *s.db);
        for (int64_t b = 0; b < r->n->batch_now; b++) {
            r->tk->hwc_in(s.g, (ptrdiff_t)(c->ow * CB), r->dy + (b * c->cout + c0) * c->ohw, (ptrdiff_t)c->ohw,
                          (size_t)nch, (size_t)c->oh, (size_t)c->ow);
            if (r->dw || r->db) {
                block_input(r, &s, b, c0, nch);
                r->tk->dw_wgrad(s.dw, r->db ? s.db : NULL, s.g, s.xp, &d->k);
            }
            if (r->dx && d->flip) {
                for (int64_t oy = 0; oy < c->oh; oy++)
                    memcpy(s.gp + ((d->offy + oy) * d->wg + d->offx) * CB, s.g + oy * c->ow * CB,
                           (size_t)c->ow * CB * sizeof *s.gp);
                r->tk->dw_fwd(s.dxo, s.gp, s.wf, NULL, &d->kt);
                r->tk->hwc_out(r->dx + (b * c->cin + c0) * c->ihw, (ptrdiff_t)c->ihw, s.dxo, (ptrdiff_t)(c->iw * CB),
                               (size_t)nch, (size_t)c->ih, (size_t)c->iw, r->acc_x);
            } else if (r->dx) {
                memset(s.dxp, 0, d->xp_floats * sizeof *s.dxp);
                r->tk->dw_dgrad(s.dxp, s.g, s.w, &d->k);
                r->tk->hwc_out(r->dx + (b * c->cin + c0) * c->ihw, (ptrdiff_t)c->ihw,
                               s.dxp + (c->pt * d->wp + c->pl) * CB, (ptrdiff_t)(d->wp * CB), (size_t)nch,
                               (size_t)c->ih, (size_t)c->iw, r->acc_x);
            }
        }
        for (int64_t l = 0; l < nch; l++) {
            for (int64_t k = 0; r->dw && k < c->kk; k++) {
                float *dst = &r->dw[(c0 + l) * c->kk + k];
                *dst = (r->acc_w ? *dst : 0.0f) + s.dw[k * CB + l];
            }
            if (r->db)
                r->db[c0 + l] = (r->acc_b ? r->db[c0 + l] : 0.0f) + s.db[l];
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

void et_dwconv_backward(et_tnet *n, et_tstep *s, et_conv_geom *c) {
    dw_run r = {.n = n,
                .c = c,
                .tk = et_tk_config_get(),
                .x = et_tv_data(n, s->in[0]),
                .w = et_tv_data(n, s->in[1]),
                .dy = et_tnet_grad_of(n, s->out)};
    geometry(c, &r.d);
    r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc_x);
    r.dw = et_tnet_grad_begin(n, s->in[1], &r.acc_w);
    r.db = s->n_in > 2 ? et_tnet_grad_begin(n, s->in[2], &r.acc_b) : NULL;
    et_tnet_par(n, blocks_of(c), backward_task, &r);
}

et_status et_dwconv_prepare(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err) {
    (void)n, (void)err;
    dw_geom d;
    geometry(c, &d);
    s->scratch_bytes = scratch_floats(&d) * sizeof(float);
    return ET_OK;
}
