/* qc8-ref.h: the scalar reference of the quantized ("qc8") scheme: the definition the SIMD kernels must
 * reproduce, and what runs when no SIMD kernel serves a layer. The kernel tests check every qc8/qc4 kernel against
 * it (same numbers, or within 1 where a kernel rounds differently: the test says so there).
 *
 * The scheme (model/quant_info.h), with the one requantization rule of kernels/qparams.h (shared, so the
 * reference and the SIMD kernels agree to the bit):
 *   activations  int8, per tensor: real = s * (q - zp), zp in [-128, 127]
 *   weights      int8, per output channel, symmetric: real = w_s[c] * q, q in [-qmax, qmax]
 *   bias         int32: round(b / (s_x * w_s[c]))
 *   accumulate   int32: acc = bias[c] + sum (x - x_zp) * w; padding contributes nothing (it is x_zp)
 *   requantize   f = (float)acc * m[c] [+ (float)(r - r_zp) * (s_r / s_y) with a fused residual], clamped in
 *                float to [qmin - y_zp, qmax - y_zp], then y = lrintf(f) + y_zp; the multiplier
 *                m[c] = et_qs8_requant_scale(s_x, w_s[c], s_y) (computed in double, rounded once), and
 *                [qmin, qmax] narrowed by a fused Relu/Relu6/Clip (et_qc8_act_range)
 *   add          f = (float)(a - a_zp) * (s_a / s_y) + (float)(b - b_zp) * (s_b / s_y), clamped and rounded
 *   quantize     q = lrintf(clamp(x / s, -128 - zp, 127 - zp)) + zp (ONNX QuantizeLinear; NaN -> -128);
 *   dequantize   x = (float)(q - zp) * s
 * lrintf rounds half to even in the default rounding mode, which the engine never changes.
 *
 * Weight layouts of the reference: OHWI for convolutions ([out][kh][kw][in/groups]: a pixel's input channels
 * contiguous, like NHWC activations) and HWC for depthwise ([kh][kw][channels]); et_qc8_pack_* make them from
 * the ONNX OIHW order. */
#ifndef ET_ENGINE_KERNELS_QC8_REF_QC8_REF_H
#define ET_ENGINE_KERNELS_QC8_REF_QC8_REF_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/qparams.h"

typedef struct et_qc8_conv_desc {
    size_t batch, in_h, in_w, in_c; /* input NHWC, dense (pixel stride in_c) */
    size_t out_h, out_w, out_c;     /* output NHWC, dense */
    size_t groups;                  /* in_c and out_c divisible by groups */
    size_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int32_t x_zp, y_zp, qmin, qmax;
    /* optional int8 residual (same shape as the output) added before rounding */
    const int8_t *residual;
    float residual_mult; /* s_r / s_y, in float */
    int32_t residual_zp;
} et_qc8_conv_desc;

/* The requantization multiplier of one output channel. */
static inline float et_qc8_multiplier(float x_scale, float w_scale, float y_scale) {
    return et_qs8_requant_scale(x_scale, w_scale, y_scale);
}

/* The clamp-and-round of qparams.h: f in float clamped to [qmin - y_zp, qmax - y_zp], rounded, shifted. */
static inline int8_t et_qc8_round_clamp(float f, int32_t y_zp, int32_t qmin, int32_t qmax) {
    float lo = (float)(qmin - y_zp), hi = (float)(qmax - y_zp);
    f = f >= lo ? f : lo;
    f = f <= hi ? f : hi;
    return (int8_t)(lrintf(f) + y_zp);
}

static inline int8_t et_qc8_requantize(int32_t acc, float mult, int32_t y_zp, int32_t qmin, int32_t qmax) {
    return et_qc8_round_clamp((float)acc * mult, y_zp, qmin, qmax);
}

/* The output range [qmin, qmax] for a fused clamp to [lo, hi] (Relu: lo 0, hi +inf; no activation: -inf, +inf). */
void et_qc8_act_range(float lo, float hi, float y_scale, int32_t y_zp, int32_t *qmin, int32_t *qmax);

/* bias_q[c] = round(bias[c] / (x_scale * w_scale[c])), saturated to int32 (bias NULL: zeros). */
void et_qc8_quantize_bias(const float *bias, size_t n, float x_scale, const float *w_scale, int32_t *bias_q);

/* OIHW [out][in/groups][kh][kw] -> OHWI [out][kh][kw][in/groups]. */
void et_qc8_pack_ohwi(const int8_t *w_oihw, size_t out_c, size_t in_per_group, size_t kh, size_t kw, int8_t *w_ohwi);
/* Depthwise OIHW [c][1][kh][kw] -> HWC [kh][kw][c]. */
void et_qc8_pack_hwc(const int8_t *w_oihw, size_t channels, size_t kh, size_t kw, int8_t *w_hwc);

/* True when the descriptor is a depthwise convolution with multiplier 1 (groups == in_c == out_c). */
static inline bool et_qc8_is_depthwise(const et_qc8_conv_desc *d) {
    return d->groups > 1 && d->groups == d->in_c && d->groups == d->out_c;
}

/* Output pixels [p0, p1) (over batch * out_h * out_w) of a convolution: w is OHWI, or HWC when depthwise;
 * mult[out_c] from et_qc8_multiplier; bias may be NULL. */
void et_qc8_conv2d_nhwc_ref(const et_qc8_conv_desc *d, const int8_t *x, const int8_t *w, const int32_t *bias,
                            const float *mult, int8_t *y, size_t p0, size_t p1);

/* Rows [m0, m1) of a fully-connected layer: y[m][n] = requant(bias[n] + sum_k (x[m][k] - x_zp) * w[n][k]). */
void et_qc8_fc_ref(size_t k, size_t n, const int8_t *x, int32_t x_zp, const int8_t *w, const int32_t *bias,
                   const float *mult, int32_t y_zp, int32_t qmin, int32_t qmax, int8_t *y, size_t m0, size_t m1);

typedef struct et_qc8_add_params {
    int32_t a_zp, b_zp, y_zp, qmin, qmax;
    float a_mult, b_mult; /* s_a / s_y, s_b / s_y */
} et_qc8_add_params;

/* Elements [i0, i1) of y = a + b (same shapes). */
void et_qc8_add_ref(const et_qc8_add_params *p, const int8_t *a, const int8_t *b, int8_t *y, size_t i0, size_t i1);

/* The 256-entry table of an int8 -> int8 elementwise function f (HardSwish, HardSigmoid, Sigmoid): entry
 * q + 128 = round(f(ctx, (q - x_zp) * x_scale) / y_scale) + y_zp, clamped to [qmin, qmax]; exact to the output's
 * rounding. */
void et_qc8_lut_init(float (*f)(const void *ctx, float x), const void *ctx, float x_scale, int32_t x_zp, float y_scale,
                     int32_t y_zp, int32_t qmin, int32_t qmax, int8_t table[256]);

/* Elements [i0, i1) of y = table[x + 128] (the reference the table kernels are tested against). */
void et_qc8_lut_ref(const int8_t table[256], const int8_t *x, int8_t *y, size_t i0, size_t i1);

/* y = a * b on int8 (squeeze-excitation channel scaling): y = round(mult x (a - a_zp)(b - b_zp)) + y_zp clamped
 * to [qmin, qmax], mult = s_a s_b / s_y. n elements; a_stride and b_stride are 0 (one element broadcast) or 1. */
typedef struct et_qc8_mul_params {
    int32_t a_zp, b_zp, y_zp, qmin, qmax;
    float mult;
} et_qc8_mul_params;
void et_qc8_mul_ref(const et_qc8_mul_params *p, size_t n, const int8_t *a, size_t a_stride, const int8_t *b,
                    size_t b_stride, int8_t *y);

/* Global average pooling on int8, channels-last: for each of `channels` (x[p * x_stride + c], p < pixels),
 * y[c] = round(mult x (sum_p x - pixels x x_zp)) + y_zp clamped to [qmin, qmax], mult = s_x / (s_y x pixels). */
void et_qc8_gavgpool_ref(size_t pixels, size_t channels, const int8_t *x, size_t x_stride, int32_t x_zp, float mult,
                         int32_t y_zp, int32_t qmin, int32_t qmax, int8_t *y);

/* Elements [i0, i1) of quantize and dequantize (see the top of this file). */
void et_qc8_quantize_ref(const float *x, float scale, int32_t zp, int8_t *q, size_t i0, size_t i1);
void et_qc8_dequantize_ref(const int8_t *q, float scale, int32_t zp, float *x, size_t i0, size_t i1);

#endif
