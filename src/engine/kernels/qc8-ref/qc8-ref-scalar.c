/* qc8-ref-scalar.c: the scalar reference of the qc8 scheme (see qc8-ref.h for the exact arithmetic).
 *
 * Written for clarity first; the inner loops run over contiguous channels with int32 accumulators, which the
 * compiler vectorises, so the reference is usable (not fast) on whole networks. */
#include "engine/kernels/qc8-ref/qc8-ref.h"

#include <string.h>

void et_qc8_act_range(float lo, float hi, float y_scale, int32_t y_zp, int32_t *qmin, int32_t *qmax) {
    long a = -128, b = 127;
    if (lo > -INFINITY) {
        float r = lo / y_scale + (float)y_zp;
        a = r > 127.0f ? 127 : r < -128.0f ? -128 : lrintf(r);
    }
    if (hi < INFINITY) {
        float r = hi / y_scale + (float)y_zp;
        b = r > 127.0f ? 127 : r < -128.0f ? -128 : lrintf(r);
    }
    *qmin = (int32_t)(a < -128 ? -128 : a);
    *qmax = (int32_t)(b > 127 ? 127 : b < *qmin ? *qmin : b);
}

void et_qc8_quantize_bias(const float *bias, size_t n, float x_scale, const float *w_scale, int32_t *bias_q) {
    for (size_t c = 0; c < n; c++) {
        double r = bias ? (double)bias[c] / ((double)x_scale * (double)w_scale[c]) : 0.0;
        r = r > 2147483647.0 ? 2147483647.0 : r < -2147483647.0 ? -2147483647.0 : r;
        bias_q[c] = (int32_t)lrint(r);
    }
}

void et_qc8_pack_ohwi(const int8_t *w, size_t out_c, size_t ipg, size_t kh, size_t kw, int8_t *o) {
    for (size_t oc = 0; oc < out_c; oc++)
        for (size_t ic = 0; ic < ipg; ic++)
            for (size_t y = 0; y < kh; y++)
                for (size_t x = 0; x < kw; x++)
                    o[((oc * kh + y) * kw + x) * ipg + ic] = w[((oc * ipg + ic) * kh + y) * kw + x];
}

void et_qc8_pack_hwc(const int8_t *w, size_t ch, size_t kh, size_t kw, int8_t *o) {
    for (size_t c = 0; c < ch; c++)
        for (size_t t = 0; t < kh * kw; t++)
            o[t * ch + c] = w[c * kh * kw + t];
}

/* Input row/column of kernel tap k for output coordinate o; false when it falls in the padding. */
static inline bool tap(size_t o, size_t k, size_t stride, size_t dil, size_t pad, size_t in, size_t *at) {
    long long v = (long long)(o * stride + k * dil) - (long long)pad;
    if (v < 0 || v >= (long long)in)
        return false;
    *at = (size_t)v;
    return true;
}

/* Requantizes one output element (index `at` in the output, for the residual). */
static inline int8_t output(const et_qc8_conv_desc *d, int32_t acc, float mult, size_t at) {
    float f = (float)acc * mult;
    if (d->residual)
        f = f + (float)((int32_t)d->residual[at] - d->residual_zp) * d->residual_mult;
    return et_qc8_round_clamp(f, d->y_zp, d->qmin, d->qmax);
}

static void dw_pixel(const et_qc8_conv_desc *d, const int8_t *x, const int8_t *w, const int32_t *bias,
                     const float *mult, int8_t *y, size_t b, size_t oy, size_t ox, int32_t *acc) {
    size_t C = d->in_c;
    for (size_t c = 0; c < C; c++)
        acc[c] = bias ? bias[c] : 0;
    for (size_t ky = 0; ky < d->kernel_h; ky++) {
        size_t iy;
        if (!tap(oy, ky, d->stride_h, d->dilation_h, d->pad_top, d->in_h, &iy))
            continue;
        for (size_t kx = 0; kx < d->kernel_w; kx++) {
            size_t ix;
            if (!tap(ox, kx, d->stride_w, d->dilation_w, d->pad_left, d->in_w, &ix))
                continue;
            const int8_t *xp = x + ((b * d->in_h + iy) * d->in_w + ix) * C;
            const int8_t *wp = w + (ky * d->kernel_w + kx) * C;
            for (size_t c = 0; c < C; c++)
                acc[c] += ((int32_t)xp[c] - d->x_zp) * (int32_t)wp[c];
        }
    }
    size_t pix = (b * d->out_h + oy) * d->out_w + ox;
    for (size_t c = 0; c < C; c++)
        y[c] = output(d, acc[c], mult[c], pix * C + c);
}

void et_qc8_conv2d_nhwc_ref(const et_qc8_conv_desc *d, const int8_t *x, const int8_t *w, const int32_t *bias,
                            const float *mult, int8_t *y, size_t p0, size_t p1) {
    size_t ipg = d->in_c / d->groups, opg = d->out_c / d->groups, taps = d->kernel_h * d->kernel_w;
    bool dw = et_qc8_is_depthwise(d);
    int32_t acc_small[512];
    for (size_t p = p0; p < p1; p++) {
        size_t ox = p % d->out_w, oy = p / d->out_w % d->out_h, b = p / (d->out_w * d->out_h);
        int8_t *yp = y + p * d->out_c;
        if (dw && d->in_c <= 512) {
            dw_pixel(d, x, w, bias, mult, yp, b, oy, ox, acc_small);
            continue;
        }
        for (size_t oc = 0; oc < d->out_c; oc++) {
            size_t g = oc / opg;
            int32_t acc = bias ? bias[oc] : 0;
            const int8_t *wo = dw ? NULL : w + oc * taps * ipg;
            for (size_t ky = 0; ky < d->kernel_h; ky++) {
                size_t iy;
                if (!tap(oy, ky, d->stride_h, d->dilation_h, d->pad_top, d->in_h, &iy))
                    continue;
                for (size_t kx = 0; kx < d->kernel_w; kx++) {
                    size_t ix;
                    if (!tap(ox, kx, d->stride_w, d->dilation_w, d->pad_left, d->in_w, &ix))
                        continue;
                    const int8_t *xp = x + ((b * d->in_h + iy) * d->in_w + ix) * d->in_c + g * ipg;
                    if (dw) { /* wide depthwise: HWC weights */
                        acc += ((int32_t)xp[0] - d->x_zp) * (int32_t)w[(ky * d->kernel_w + kx) * d->out_c + oc];
                        continue;
                    }
                    const int8_t *wp = wo + (ky * d->kernel_w + kx) * ipg;
                    int32_t s = 0;
                    for (size_t ic = 0; ic < ipg; ic++)
                        s += ((int32_t)xp[ic] - d->x_zp) * (int32_t)wp[ic];
                    acc += s;
                }
            }
            yp[oc] = output(d, acc, mult[oc], p * d->out_c + oc);
        }
    }
}

void et_qc8_fc_ref(size_t k, size_t n, const int8_t *x, int32_t x_zp, const int8_t *w, const int32_t *bias,
                   const float *mult, int32_t y_zp, int32_t qmin, int32_t qmax, int8_t *y, size_t m0, size_t m1) {
    for (size_t m = m0; m < m1; m++) {
        const int8_t *xr = x + m * k;
        for (size_t j = 0; j < n; j++) {
            const int8_t *wr = w + j * k;
            int32_t acc = bias ? bias[j] : 0;
            for (size_t i = 0; i < k; i++)
                acc += ((int32_t)xr[i] - x_zp) * (int32_t)wr[i];
            y[m * n + j] = et_qc8_requantize(acc, mult[j], y_zp, qmin, qmax);
        }
    }
}

void et_qc8_add_ref(const et_qc8_add_params *p, const int8_t *a, const int8_t *b, int8_t *y, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++) {
        float ra = (float)((int32_t)a[i] - p->a_zp) * p->a_mult, rb = (float)((int32_t)b[i] - p->b_zp) * p->b_mult;
        y[i] = et_qc8_round_clamp(ra + rb, p->y_zp, p->qmin, p->qmax);
    }
}

void et_qc8_quantize_ref(const float *x, float scale, int32_t zp, int8_t *q, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++)
        q[i] = et_qc8_round_clamp(x[i] / scale, zp, -128, 127);
}

void et_qc8_dequantize_ref(const int8_t *q, float scale, int32_t zp, float *x, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++)
        x[i] = (float)((int32_t)q[i] - zp) * scale;
}

void et_qc8_lut_init(float (*f)(const void *ctx, float x), const void *ctx, float x_scale, int32_t x_zp, float y_scale,
                     int32_t y_zp, int32_t qmin, int32_t qmax, int8_t table[256]) {
    for (int q = -128; q < 128; q++)
        table[q + 128] = et_qc8_round_clamp(f(ctx, (float)(q - x_zp) * x_scale) / y_scale, y_zp, qmin, qmax);
}

void et_qc8_lut_ref(const int8_t table[256], const int8_t *x, int8_t *y, size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; i++)
        y[i] = table[x[i] + 128];
}

void et_qc8_mul_ref(const et_qc8_mul_params *p, size_t n, const int8_t *a, size_t a_stride, const int8_t *b,
                    size_t b_stride, int8_t *y) {
    for (size_t i = 0; i < n; i++) {
        const int32_t prod = (a[i * a_stride] - p->a_zp) * (b[i * b_stride] - p->b_zp);
        y[i] = et_qc8_round_clamp((float)prod * p->mult, p->y_zp, p->qmin, p->qmax);
    }
}

void et_qc8_gavgpool_ref(size_t pixels, size_t channels, const int8_t *x, size_t x_stride, int32_t x_zp, float mult,
                         int32_t y_zp, int32_t qmin, int32_t qmax, int8_t *y) {
    /* blocks of 64 channels summed pixel by pixel: contiguous reads of a channels-last row (sums of int8 are
     * exact in int32 up to 8.4 M pixels) */
    for (size_t c0 = 0; c0 < channels; c0 += 64) {
        const size_t cn = channels - c0 < 64 ? channels - c0 : 64;
        int32_t sum[64] = {0};
        for (size_t p = 0; p < pixels; p++) {
            const int8_t *row = x + p * x_stride + c0;
            for (size_t c = 0; c < cn; c++)
                sum[c] += row[c];
        }
        for (size_t c = 0; c < cn; c++)
            y[c0 + c] = et_qc8_round_clamp((float)(sum[c] - (int32_t)pixels * x_zp) * mult, y_zp, qmin, qmax);
    }
}
