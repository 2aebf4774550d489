/* op_dwconv.c: depthwise convolutions in training (one input and one output channel per group).
 *
 * A GEMM of one row per group would spend its time packing, and direct loops over rows of 4 to 14 pixels spend
 * it in loop overhead. So each plane is copied once into a zero-padded buffer whose rows are Wp floats apart,
 * and a convolution becomes taps over one long flat range: with off[k] = ky dh Wp + kx dw, the stride-1 output
 * at flat position q is sum_k w[k] xp[q + off[k]] (positions past a row's end are computed and ignored). The
 * kernels (kernels/tk.h) run these over whole vectors:
 *   forward   stride 1: the plane in one taps() call; stride s: every s-th row, then every s-th column of it
 *   dX        the output gradient spread on the stride-1 grid (zeros between strided positions) in a padded
 *             buffer G; dxp[r] = sum_k w[k] G[r - off[k]] (taps() with the offsets mirrored), the interior
 *             added into dX
 *   dW, db    dW[k] += sum_q G[q] xp[q + off[k]] (dots()), db += sum dY
 * Planes of one channel in several images are stacked (one under the other) so that one call covers them all.
 * Tasks are channels, each walking the whole batch with one scratch slot, so a channel's weight gradient is
 * summed in one fixed order and no two tasks write the same plane. */
#include <string.h>

#include "train/kernels/tk.h"
#include "train/op_conv.h"
#include "util/mem.h"

/* The padded plane: rows hp of wp floats, the input placed at (pt, pl); g_lead zeros before the gradient grid
 * G (so that mirrored offsets stay inside the buffer). */
typedef struct dw_geom {
    int64_t hp, wp, oh1, ow1; /* padded plane; the stride-1 output grid over it */
    int64_t flat;             /* floats of the stride-1 grid in flat form: (oh1 - 1) wp + ow1 */
    int64_t lead;             /* the largest offset: zeros before G */
    ptrdiff_t off[64], mirror[64];
} dw_geom;

static void geometry(const et_conv_geom *c, dw_geom *d) {
    int64_t ek_h = (c->kh - 1) * c->dh, ek_w = (c->kw - 1) * c->dw;
    d->hp = c->ih + c->pt;
    d->wp = c->iw + c->pl;
    int64_t need_h = (c->oh - 1) * c->sh + ek_h + 1, need_w = (c->ow - 1) * c->sw + ek_w + 1;
    d->hp = d->hp > need_h ? d->hp : need_h;
    d->wp = d->wp > need_w ? d->wp : need_w;
    d->oh1 = d->hp - ek_h;
    d->ow1 = d->wp - ek_w;
    d->flat = (d->oh1 - 1) * d->wp + d->ow1;
    d->lead = ek_h * d->wp + ek_w;
    for (int64_t ky = 0, k = 0; ky < c->kh; ky++)
        for (int64_t kx = 0; kx < c->kw; kx++, k++) {
            d->off[k] = (ptrdiff_t)(ky * c->dh * d->wp + kx * c->dw);
            d->mirror[k] = (ptrdiff_t)d->lead - d->off[k];
        }
}

enum { STACK_BUDGET_FLOATS = 16 * 1024 };

/* Planes stacked per kernel call: padded planes lie one under the other, so one flat range covers them all
 * (a plane's last rows are computed into the next one's padding and ignored, and gradients read zeros there). */
static int64_t stack_planes(const dw_geom *d, int64_t batch) {
    int64_t plane = d->hp * d->wp, p = STACK_BUDGET_FLOATS / (plane > 0 ? plane : 1);
    p = p < 1 ? 1 : p;
    return p < batch ? p : batch;
}

/* Floats of scratch per task for `planes` stacked planes: the padded input, G with its lead and tail, and the
 * stride-1 outputs or dxp. */
static size_t scratch_floats(const dw_geom *d, int64_t planes) {
    size_t stack = (size_t)(planes * d->hp * d->wp);
    return stack + (size_t)(2 * d->lead) + stack + stack + 64;
}

static void pad_plane(const et_conv_geom *c, const dw_geom *d, const float *x, float *xp) {
    memset(xp, 0, (size_t)(d->hp * d->wp) * sizeof *xp);
    for (int64_t iy = 0; iy < c->ih; iy++)
        memcpy(xp + (iy + c->pt) * d->wp + c->pl, x + iy * c->iw, (size_t)c->iw * sizeof *x);
}

typedef struct dw_run {
    et_tnet *n;
    const et_conv_geom *c;
    dw_geom d;
    int64_t planes; /* stacked per call */
    const et_tk_config *tk;
    const float *x, *w, *bias, *dy;
    float *y, *dx, *dw, *db;
    bool acc_x, acc_w, acc_b;
} dw_run;

/* The scratch of one task: the stacked padded inputs, G (after its lead) and the stride-1 outputs / dxp. */
typedef struct dw_scratch {
    float *xp, *g, *grid, *out;
} dw_scratch;

static dw_scratch carve(const dw_run *r, float *mem) {
    size_t stack = (size_t)(r->planes * r->d.hp * r->d.wp);
    dw_scratch s = {.xp = mem, .g = mem + stack};
    s.grid = s.g + r->d.lead;
    s.out = s.g + 2 * (size_t)r->d.lead + stack;
    return s;
}

/* Channel ch of images [b0, b0 + np): stacked, convolved in one call, then each plane's outputs picked. */
static void forward_stack(const dw_run *r, const dw_scratch *s, int64_t ch, int64_t b0, int64_t np) {
    const et_conv_geom *c = r->c;
    const dw_geom *d = &r->d;
    const int64_t plane = d->hp * d->wp;
    for (int64_t p = 0; p < np; p++)
        pad_plane(c, d, r->x + ((b0 + p) * c->cin + ch) * c->ihw, s->xp + p * plane);
    r->tk->taps(s->out, s->xp, d->off, r->w + ch * c->kk, (int)c->kk, (size_t)((np - 1) * plane + d->flat), false);
    const float bias = r->bias ? r->bias[ch] : 0.0f;
    for (int64_t p = 0; p < np; p++) {
        const float *o = s->out + p * plane;
        float *y = r->y + ((b0 + p) * c->cout + ch) * c->ohw;
        for (int64_t oy = 0; oy < c->oh; oy++)
            for (int64_t ox = 0; ox < c->ow; ox++)
                y[oy * c->ow + ox] = o[oy * c->sh * d->wp + ox * c->sw] + bias;
    }
}

static void forward_task(void *arg, size_t begin, size_t end) {
    const dw_run *r = arg;
    int slot;
    dw_scratch s = carve(r, et_tslot_acquire(&r->n->slots, &slot));
    for (size_t ch = begin; ch < end; ch++)
        for (int64_t b0 = 0; b0 < r->n->batch_now; b0 += r->planes)
            forward_stack(r, &s, (int64_t)ch, b0, r->n->batch_now - b0 < r->planes ? r->n->batch_now - b0 : r->planes);
    et_tslot_release(&r->n->slots, slot);
}

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
    r.planes = stack_planes(&r.d, n->opt.batch);
    et_tnet_par(n, (size_t)c->cout, forward_task, &r);
    return ET_OK;
}

/* Channel ch of images [b0, b0 + np): the taps' gradient into taps, dX into dx; returns the sum of dY. */
static float backward_stack(const dw_run *r, const dw_scratch *s, int64_t ch, int64_t b0, int64_t np, float *taps) {
    const et_conv_geom *c = r->c;
    const dw_geom *d = &r->d;
    const int64_t plane = d->hp * d->wp;
    float sum = 0.0f;
    memset(s->g, 0, (size_t)(2 * d->lead + np * plane) * sizeof *s->g);
    for (int64_t p = 0; p < np; p++) {
        const float *dy = r->dy + ((b0 + p) * c->cout + ch) * c->ohw;
        float *grid = s->grid + p * plane;
        for (int64_t oy = 0; oy < c->oh; oy++)
            for (int64_t ox = 0; ox < c->ow; ox++) {
                grid[oy * c->sh * d->wp + ox * c->sw] = dy[oy * c->ow + ox];
                sum += dy[oy * c->ow + ox];
            }
        pad_plane(c, d, r->x + ((b0 + p) * c->cin + ch) * c->ihw, s->xp + p * plane);
    }
    r->tk->dots(s->grid, s->xp, d->off, (int)c->kk, (size_t)((np - 1) * plane + d->flat), taps);
    if (!r->dx)
        return sum;
    /* dxp[q] = sum_k w[k] grid[q - off[k]] = sum_k w[k] g[q + lead - off[k]] */
    r->tk->taps(s->out, s->g, d->mirror, r->w + ch * c->kk, (int)c->kk, (size_t)(np * plane), false);
    for (int64_t p = 0; p < np; p++) {
        float *dx = r->dx + ((b0 + p) * c->cin + ch) * c->ihw;
        const float *dxp = s->out + p * plane;
        for (int64_t iy = 0; iy < c->ih; iy++) {
            const float *src = dxp + (iy + c->pt) * d->wp + c->pl;
            if (r->acc_x)
                r->tk->add(dx + iy * c->iw, src, (size_t)c->iw);
            else
                memcpy(dx + iy * c->iw, src, (size_t)c->iw * sizeof *dx);
        }
    }
    return sum;
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const dw_run *r = arg;
    const et_conv_geom *c = r->c;
    int slot;
    dw_scratch s = carve(r, et_tslot_acquire(&r->n->slots, &slot));
    for (size_t ch = begin; ch < end; ch++) {
        float taps[64] = {0}, sum_dy = 0.0f;
        for (int64_t b0 = 0; b0 < r->n->batch_now; b0 += r->planes)
            sum_dy += backward_stack(r, &s, (int64_t)ch, b0,
                                     r->n->batch_now - b0 < r->planes ? r->n->batch_now - b0 : r->planes, taps);
        for (int64_t k = 0; r->dw && k < c->kk; k++)
            r->dw[(int64_t)ch * c->kk + k] = (r->acc_w ? r->dw[(int64_t)ch * c->kk + k] : 0.0f) + taps[k];
        if (r->db)
            r->db[ch] = (r->acc_b ? r->db[ch] : 0.0f) + sum_dy;
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
    r.planes = stack_planes(&r.d, n->opt.batch);
    r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc_x);
    r.dw = et_tnet_grad_begin(n, s->in[1], &r.acc_w);
    r.db = s->n_in > 2 ? et_tnet_grad_begin(n, s->in[2], &r.acc_b) : NULL;
    et_tnet_par(n, (size_t)c->cout, backward_task, &r);
}

et_status et_dwconv_prepare(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err) {
    if (c->kk > 64)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Conv): a depthwise kernel of %lld taps; the training "
                       "engine takes up to 64 (8x8)",
                       s->name, (long long)c->kk);
    dw_geom d;
    geometry(c, &d);
    s->scratch_bytes = scratch_floats(&d, stack_planes(&d, n->opt.batch)) * sizeof(float);
    return ET_OK;
}
