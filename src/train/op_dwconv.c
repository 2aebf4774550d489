/* op_dwconv.c: depthwise convolutions in training (one input and one output channel per group).
 *
 * A GEMM of one row per group would spend its time packing, and direct loops over rows of 4 to 14 pixels spend
 * it in loop overhead. So each plane is copied once into a zero-padded buffer whose rows are wq floats apart,
 * and a convolution becomes taps over one long flat range. At stride s the padded plane is also split into its
 * s x s phase planes (phase (py, px) holds padded pixel (s i + py, s j + px) at (i, j); only the phases some tap
 * reads are kept), so that tap (ky, kx) of output pixel (oy, ox) is pixel (oy + ky dh / s, ox + kx dw / s) of
 * phase (ky dh mod s, kx dw mod s): with off[k] = that phase's start + (ky dh / s) wq + kx dw / s, the output at
 * flat position q = oy wq + ox is sum_k w[k] xp[q + off[k]] (positions with ox >= ow are computed and ignored),
 * for every stride, computing only the strided outputs (stride 1: one phase, the padded plane itself). The
 * kernels (kernels/tk.h) run these over whole vectors:
 *   forward   taps() over the phase planes
 *   dW, db    the output gradient on the output grid G (zeros at the ignored positions), dW[k] += sum_q G[q]
 *             xp[q + off[k]] (dots()), db += sum dY
 *   dX        per phase: its taps mirrored over G, dxp[q] = sum_{k in phase} w[k] G[q - roff[k]] (taps(); roff
 *             the offset within the phase), then the phase's pixels written (or added) into dX
 * Planes of one channel in several images are stacked (one under the other, per phase) so that one call covers
 * them all. Tasks are channels, each walking the whole batch with one scratch slot, so a channel's weight
 * gradient is summed in one fixed order and no two tasks write the same plane. */
#include <string.h>

#include "train/kernels/tk.h"
#include "train/op_conv.h"
#include "util/mem.h"

enum { MAX_TAPS = 64, MAX_PHASES = 16 };

/* The phase planes (hq rows of wq floats, `planes` stacked per phase); lead zeros before the gradient grid G
 * (so that mirrored offsets stay inside the buffer). */
typedef struct dw_geom {
    int64_t hq, wq;          /* one phase plane */
    int64_t flat;            /* floats of the output grid in flat form: (oh - 1) wq + ow */
    int64_t lead;            /* the largest offset within a phase: zeros before G */
    int64_t planes;          /* stacked per kernel call */
    int64_t n_phases;        /* phases some tap reads */
    int phase[MAX_PHASES];   /* [py sw + px]: phase (py, px)'s index among them, -1 when no tap reads it */
    ptrdiff_t off[MAX_TAPS]; /* tap k: its phase * planes * hq wq + its offset within the phase */
    int n_in[MAX_PHASES];    /* per phase: its taps (dX) */
    int taps_of[MAX_PHASES][MAX_TAPS];
    ptrdiff_t mirror[MAX_PHASES][MAX_TAPS]; /* lead - the tap's offset within its phase */
    /* per phase (py, px) at [py sw + px], whether read or not: where its first pixel lies in an input plane and
     * in its phase plane, and its rows and columns (found once: the divisions cost more than a small plane's
     * copy) */
    ptrdiff_t in_at[MAX_PHASES], ph_at[MAX_PHASES];
    int64_t ph_rows[MAX_PHASES], ph_cols[MAX_PHASES];
} dw_geom;

enum { STACK_BUDGET_FLOATS = 16 * 1024 };

/* Whether this geometry fits the fixed tables (else et_dwconv_prepare refuses it by name). */
static bool geometry(const et_conv_geom *c, int64_t batch, dw_geom *d) {
    if (c->kk > MAX_TAPS || c->sh * c->sw > MAX_PHASES)
        return false;
    const int64_t ek_h = (c->kh - 1) * c->dh, ek_w = (c->kw - 1) * c->dw;
    /* the outputs plus the kernel's reach within a phase, and room for every input pixel */
    const int64_t rows = c->oh + ek_h / c->sh, cols = c->ow + ek_w / c->sw;
    const int64_t in_rows = (c->ih + c->pt + c->sh - 1) / c->sh, in_cols = (c->iw + c->pl + c->sw - 1) / c->sw;
    d->hq = rows > in_rows ? rows : in_rows;
    d->wq = cols > in_cols ? cols : in_cols;
    d->flat = (c->oh - 1) * d->wq + c->ow;
    d->lead = ek_h / c->sh * d->wq + ek_w / c->sw;
    const int64_t plane = d->hq * d->wq;
    d->planes = STACK_BUDGET_FLOATS / (plane > 0 ? plane : 1);
    d->planes = d->planes < 1 ? 1 : (d->planes < batch ? d->planes : batch);
    for (int p = 0; p < MAX_PHASES; p++)
        d->phase[p] = -1, d->n_in[p] = 0;
    for (int64_t ky = 0; ky < c->kh; ky++)
        for (int64_t kx = 0; kx < c->kw; kx++)
            d->phase[ky * c->dh % c->sh * c->sw + kx * c->dw % c->sw] = 0;
    d->n_phases = 0;
    for (int64_t p = 0; p < c->sh * c->sw; p++)
        if (d->phase[p] == 0)
            d->phase[p] = (int)d->n_phases++;
    for (int64_t ky = 0, k = 0; ky < c->kh; ky++)
        for (int64_t kx = 0; kx < c->kw; kx++, k++) {
            const int q = d->phase[ky * c->dh % c->sh * c->sw + kx * c->dw % c->sw];
            const ptrdiff_t within = (ptrdiff_t)(ky * c->dh / c->sh * d->wq + kx * c->dw / c->sw);
            d->off[k] = (ptrdiff_t)(q * d->planes * plane) + within;
            d->taps_of[q][d->n_in[q]] = (int)k;
            d->mirror[q][d->n_in[q]++] = (ptrdiff_t)d->lead - within;
        }
    for (int64_t py = 0; py < c->sh; py++)
        for (int64_t px = 0; px < c->sw; px++) {
            /* the first input row and column of the phase (they are sh and sw apart), where they land */
            const int64_t iy0 = ((py - c->pt) % c->sh + c->sh) % c->sh, ix0 = ((px - c->pl) % c->sw + c->sw) % c->sw;
            const int64_t p = py * c->sw + px;
            d->ph_rows[p] = iy0 < c->ih ? (c->ih - iy0 + c->sh - 1) / c->sh : 0;
            d->ph_cols[p] = ix0 < c->iw ? (c->iw - ix0 + c->sw - 1) / c->sw : 0;
            d->in_at[p] = (ptrdiff_t)(iy0 * c->iw + ix0);
            d->ph_at[p] = (ptrdiff_t)((iy0 + c->pt) / c->sh * d->wq + (ix0 + c->pl) / c->sw);
        }
    return true;
}

/* Floats of scratch per task: the stacked phase planes, G with its lead and tail, and the outputs / dxp of one
 * phase. */
static size_t scratch_floats(const dw_geom *d) {
    size_t stack = (size_t)(d->planes * d->hq * d->wq);
    return (size_t)d->n_phases * stack + (size_t)(2 * d->lead) + stack + stack + 64;
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

/* Plane x (one channel of one image) split into its phases (phase q's plane at xp + q * pstride, zeroed before):
 * the input pixels only, the padding stays zero; one gather (tk.h) per phase. */
static void pad_plane(const dw_run *r, const float *x, float *xp, int64_t pstride) {
    const et_conv_geom *c = r->c;
    const dw_geom *d = &r->d;
    for (int64_t p = 0; p < c->sh * c->sw; p++) {
        const int q = d->phase[p];
        if (q >= 0 && d->ph_rows[p] > 0 && d->ph_cols[p] > 0)
            r->tk->gather(xp + q * pstride + d->ph_at[p], (ptrdiff_t)d->wq, x + d->in_at[p], (ptrdiff_t)(c->sh * c->iw),
                          (size_t)d->ph_rows[p], (size_t)d->ph_cols[p], (size_t)c->sw, 0.0f);
    }
}

/* The sum of v[0..n) in 8 lanes (vectorised; a fixed order). */
static float sum_floats(const float *v, size_t n) {
    float lane[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++)
            lane[l] += v[i + (size_t)l];
    float s = 0.0f;
    for (; i < n; i++)
        s += v[i];
    for (int l = 0; l < 8; l++)
        s += lane[l];
    return s;
}


/* The scratch of one task: the stacked phase planes, G (after its lead) and the outputs / dxp of one phase. */
typedef struct dw_scratch {
    float *xp, *g, *grid, *out;
} dw_scratch;

static dw_scratch carve(const dw_run *r, float *mem) {
    size_t stack = (size_t)(r->d.planes * r->d.hq * r->d.wq);
    dw_scratch s = {.xp = mem, .g = mem + (size_t)r->d.n_phases * stack};
    s.grid = s.g + r->d.lead;
    s.out = s.g + 2 * (size_t)r->d.lead + stack;
    return s;
}

/* Channel ch of images [b0, b0 + np) into the stacked phase planes. */
static void stack_planes(const dw_run *r, const dw_scratch *s, int64_t ch, int64_t b0, int64_t np) {
    const et_conv_geom *c = r->c;
    const int64_t plane = r->d.hq * r->d.wq;
    for (int64_t q = 0; q < r->d.n_phases; q++)
        memset(s->xp + q * r->d.planes * plane, 0, (size_t)(np * plane) * sizeof *s->xp);
    for (int64_t p = 0; p < np; p++)
        pad_plane(r, r->x + ((b0 + p) * c->cin + ch) * c->ihw, s->xp + p * plane, r->d.planes * plane);
}

/* Channel ch of images [b0, b0 + np): stacked, convolved in one call, then each plane's outputs picked. */
static void forward_stack(const dw_run *r, const dw_scratch *s, int64_t ch, int64_t b0, int64_t np) {
    const et_conv_geom *c = r->c;
    const dw_geom *d = &r->d;
    const int64_t plane = d->hq * d->wq;
    stack_planes(r, s, ch, b0, np);
    r->tk->taps(s->out, s->xp, d->off, r->w + ch * c->kk, (int)c->kk, (size_t)((np - 1) * plane + d->flat), false);
    const float bias = r->bias ? r->bias[ch] : 0.0f;
    for (int64_t p = 0; p < np; p++)
        r->tk->gather(r->y + ((b0 + p) * c->cout + ch) * c->ohw, (ptrdiff_t)c->ow, s->out + p * plane, (ptrdiff_t)d->wq,
                      (size_t)c->oh, (size_t)c->ow, 1, bias);
}

static void forward_task(void *arg, size_t begin, size_t end) {
    const dw_run *r = arg;
    int slot;
    dw_scratch s = carve(r, et_tslot_acquire(&r->n->slots, &slot));
    const int64_t batch = r->n->batch_now, planes = r->d.planes;
    for (size_t ch = begin; ch < end; ch++)
        for (int64_t b0 = 0; b0 < batch; b0 += planes)
            forward_stack(r, &s, (int64_t)ch, b0, batch - b0 < planes ? batch - b0 : planes);
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
    geometry(c, n->opt.batch, &r.d);
    et_tnet_par(n, (size_t)c->cout, forward_task, &r);
    return ET_OK;
}

/* The pixels of phase p = py sw + px among dxp (the phase's dX over the stacked planes, or NULL: a phase no tap
 * reads, zero) written or added into dX of channel ch, images [b0, b0 + np): one scatter (tk.h) per plane. */
static void scatter_phase(const dw_run *r, const float *dxp, int64_t p, int64_t ch, int64_t b0, int64_t np) {
    const et_conv_geom *c = r->c;
    const dw_geom *d = &r->d;
    const int64_t plane = d->hq * d->wq, rows = d->ph_rows[p], cols = d->ph_cols[p];
    if (rows == 0 || cols == 0)
        return;
    for (int64_t b = 0; b < np; b++) {
        float *dx = r->dx + ((b0 + b) * c->cin + ch) * c->ihw + d->in_at[p];
        if (dxp) {
            r->tk->scatter(dx, (ptrdiff_t)(c->sh * c->iw), dxp + b * plane + d->ph_at[p], (ptrdiff_t)d->wq,
                           (size_t)rows, (size_t)cols, (size_t)c->sw, r->acc_x);
            continue;
        }
        for (int64_t y = 0; y < rows && !r->acc_x; y++)
            for (int64_t t = 0; t < cols; t++)
                dx[y * c->sh * c->iw + t * c->sw] = 0.0f;
    }
}

/* Channel ch of images [b0, b0 + np): the taps' gradient into taps, dX into dx; returns the sum of dY. */
static float backward_stack(const dw_run *r, const dw_scratch *s, int64_t ch, int64_t b0, int64_t np, float *taps) {
    const et_conv_geom *c = r->c;
    const dw_geom *d = &r->d;
    const int64_t plane = d->hq * d->wq;
    float sum = 0.0f;
    memset(s->g, 0, (size_t)(2 * d->lead + np * plane) * sizeof *s->g);
    for (int64_t p = 0; p < np; p++) {
        const float *dy = r->dy + ((b0 + p) * c->cout + ch) * c->ohw;
        r->tk->gather(s->grid + p * plane, (ptrdiff_t)d->wq, dy, (ptrdiff_t)c->ow, (size_t)c->oh, (size_t)c->ow, 1,
                      0.0f);
        sum += sum_floats(dy, (size_t)c->ohw);
    }
    stack_planes(r, s, ch, b0, np);
    r->tk->dots(s->grid, s->xp, d->off, (int)c->kk, (size_t)((np - 1) * plane + d->flat), taps);
    if (!r->dx)
        return sum;
    /* per phase: dxp[q] = sum_{k in phase} w[k] grid[q - within[k]] = sum w[k] g[q + mirror[k]] */
    const float *w = r->w + ch * c->kk;
    for (int64_t p = 0; p < c->sh * c->sw; p++) {
        const int q = d->phase[p];
        if (q < 0) {
            scatter_phase(r, NULL, p, ch, b0, np);
            continue;
        }
        float wq[MAX_TAPS];
        for (int t = 0; t < d->n_in[q]; t++)
            wq[t] = w[d->taps_of[q][t]];
        r->tk->taps(s->out, s->g, d->mirror[q], wq, d->n_in[q], (size_t)(np * plane), false);
        scatter_phase(r, s->out, p, ch, b0, np);
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
        for (int64_t b0 = 0; b0 < r->n->batch_now; b0 += r->d.planes)
            sum_dy += backward_stack(r, &s, (int64_t)ch, b0,
                                     r->n->batch_now - b0 < r->d.planes ? r->n->batch_now - b0 : r->d.planes, taps);
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
    geometry(c, n->opt.batch, &r.d);
    r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc_x);
    r.dw = et_tnet_grad_begin(n, s->in[1], &r.acc_w);
    r.db = s->n_in > 2 ? et_tnet_grad_begin(n, s->in[2], &r.acc_b) : NULL;
    et_tnet_par(n, (size_t)c->cout, backward_task, &r);
}

et_status et_dwconv_prepare(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err) {
    dw_geom d;
    if (!geometry(c, n->opt.batch, &d))
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Conv): a depthwise kernel of %lld taps at stride %lld x %lld; the training "
                       "engine takes up to 64 taps (8x8) and strides up to 16 positions (4x4)",
                       s->name, (long long)c->kk, (long long)c->sh, (long long)c->sw);
    s->scratch_bytes = scratch_floats(&d) * sizeof(float);
    return ET_OK;
}
