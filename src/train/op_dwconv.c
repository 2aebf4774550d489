/* op_dwconv.c: depthwise convolutions in training (one input and one output channel per group), as direct
 * loops: a GEMM of one row per group would spend its time packing.
 *
 * For every kernel tap the valid output columns are found once per row, so the inner loops run without bounds
 * checks over contiguous rows (vectorised by the compiler at stride 1). The forward's tasks are (image,
 * channel) planes; the backward's are channels, each walking the whole batch, so a channel's weight gradient
 * is summed by one task in a fixed order and no two tasks write the same input-gradient plane. */
#include <string.h>

#include "train/op_conv.h"

/* The output columns [*x0, *x1) whose input column ox * sw - pl + kx * dw lies inside the row. */
static void valid_cols(const et_conv_geom *c, int64_t kx, int64_t *x0, int64_t *x1) {
    int64_t off = kx * c->dw - c->pl; /* input column = ox * sw + off */
    int64_t lo = off >= 0 ? 0 : (-off + c->sw - 1) / c->sw;
    int64_t hi = c->iw - 1 - off < 0 ? -1 : (c->iw - 1 - off) / c->sw;
    *x0 = lo;
    *x1 = hi + 1 < c->ow ? hi + 1 : c->ow;
    if (*x1 < *x0)
        *x1 = *x0;
}

static void plane_forward(const et_conv_geom *c, const float *x, const float *w, float bias, float *y) {
    for (int64_t e = 0; e < c->ohw; e++)
        y[e] = bias;
    for (int64_t kx = 0; kx < c->kw; kx++) {
        int64_t x0, x1;
        valid_cols(c, kx, &x0, &x1);
        const int64_t off = kx * c->dw - c->pl;
        for (int64_t oy = 0; oy < c->oh; oy++) {
            float *yr = y + oy * c->ow;
            for (int64_t ky = 0; ky < c->kh; ky++) {
                int64_t iy = oy * c->sh - c->pt + ky * c->dh;
                if (iy < 0 || iy >= c->ih)
                    continue;
                const float wv = w[ky * c->kw + kx], *xr = x + iy * c->iw + off;
                if (c->sw == 1)
                    for (int64_t ox = x0; ox < x1; ox++)
                        yr[ox] += wv * xr[ox];
                else
                    for (int64_t ox = x0; ox < x1; ox++)
                        yr[ox] += wv * xr[ox * c->sw];
            }
        }
    }
}

/* dx += conv^T(dy) for one plane; dw[tap] += the correlation of dy and x; returns sum(dy) */
static float plane_backward(const et_conv_geom *c, const float *x, const float *w, const float *dy, float *dx,
                            float *dw) {
    for (int64_t kx = 0; kx < c->kw; kx++) {
        int64_t x0, x1;
        valid_cols(c, kx, &x0, &x1);
        const int64_t off = kx * c->dw - c->pl;
        for (int64_t ky = 0; ky < c->kh; ky++) {
            const float wv = w[ky * c->kw + kx];
            float g = 0.0f;
            for (int64_t oy = 0; oy < c->oh; oy++) {
                int64_t iy = oy * c->sh - c->pt + ky * c->dh;
                if (iy < 0 || iy >= c->ih)
                    continue;
                const float *dyr = dy + oy * c->ow, *xr = x + iy * c->iw + off;
                float *dxr = dx ? dx + iy * c->iw + off : NULL;
                if (c->sw == 1) {
                    for (int64_t ox = x0; ox < x1; ox++)
                        g += dyr[ox] * xr[ox];
                    if (dxr)
                        for (int64_t ox = x0; ox < x1; ox++)
                            dxr[ox] += wv * dyr[ox];
                } else {
                    for (int64_t ox = x0; ox < x1; ox++)
                        g += dyr[ox] * xr[ox * c->sw];
                    if (dxr)
                        for (int64_t ox = x0; ox < x1; ox++)
                            dxr[ox * c->sw] += wv * dyr[ox];
                }
            }
            dw[ky * c->kw + kx] += g;
        }
    }
    float s = 0.0f;
    for (int64_t e = 0; e < c->ohw; e++)
        s += dy[e];
    return s;
}

typedef struct dw_run {
    const et_conv_geom *c;
    const float *x, *w, *bias, *dy;
    float *y, *dx, *dw, *db;
    bool acc_x, acc_w, acc_b;
    int64_t batch;
} dw_run;

static void forward_task(void *arg, size_t begin, size_t end) {
    const dw_run *r = arg;
    const et_conv_geom *c = r->c;
    for (size_t t = begin; t < end; t++) {
        int64_t ch = (int64_t)t % c->cout, b = (int64_t)t / c->cout;
        plane_forward(c, r->x + (b * c->cin + ch) * c->ihw, r->w + ch * c->kk, r->bias ? r->bias[ch] : 0.0f,
                      r->y + (b * c->cout + ch) * c->ohw);
    }
}

et_status et_dwconv_forward(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err) {
    (void)err;
    dw_run r = {.c = c,
                .x = et_tv_data(n, s->in[0]),
                .w = et_tv_data(n, s->in[1]),
                .y = et_tv_data(n, s->out),
                .bias = s->n_in > 2 && s->in[2] >= 0 ? et_tv_data(n, s->in[2]) : NULL};
    et_tnet_par_chunked(n, (size_t)n->batch_now * (size_t)c->cout, 4, forward_task, &r);
    return ET_OK;
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const dw_run *r = arg;
    const et_conv_geom *c = r->c;
    float taps[64];
    for (size_t ch = begin; ch < end; ch++) {
        memset(taps, 0, sizeof taps);
        float sum_dy = 0.0f;
        for (int64_t b = 0; b < r->batch; b++) {
            float *dx = r->dx ? r->dx + (b * c->cin + (int64_t)ch) * c->ihw : NULL;
            if (dx && !r->acc_x)
                memset(dx, 0, (size_t)c->ihw * sizeof *dx);
            sum_dy += plane_backward(c, r->x + (b * c->cin + (int64_t)ch) * c->ihw, r->w + (int64_t)ch * c->kk,
                                     r->dy + (b * c->cout + (int64_t)ch) * c->ohw, dx, taps);
        }
        if (r->dw)
            for (int64_t k = 0; k < c->kk; k++)
                r->dw[(int64_t)ch * c->kk + k] = r->acc_w ? r->dw[(int64_t)ch * c->kk + k] + taps[k] : taps[k];
        if (r->db)
            r->db[ch] = r->acc_b ? r->db[ch] + sum_dy : sum_dy;
    }
}

void et_dwconv_backward(et_tnet *n, et_tstep *s, et_conv_geom *c) {
    dw_run r = {.c = c,
                .x = et_tv_data(n, s->in[0]),
                .w = et_tv_data(n, s->in[1]),
                .dy = et_tnet_grad_of(n, s->out),
                .batch = n->batch_now};
    r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc_x);
    r.dw = et_tnet_grad_begin(n, s->in[1], &r.acc_w);
    r.db = s->n_in > 2 ? et_tnet_grad_begin(n, s->in[2], &r.acc_b) : NULL;
    et_tnet_par(n, (size_t)c->cout, backward_task, &r);
}

et_status et_dwconv_prepare(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err) {
    (void)n, (void)s;
    if (c->kk > 64)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Conv): a depthwise kernel of %lld taps; the training "
                       "engine takes up to 64 (8x8)",
                       s->name, (long long)c->kk);
    return ET_OK;
}
