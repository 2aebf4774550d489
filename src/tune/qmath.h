/* qmath.h: the arithmetic of quantization, independent of graphs: weight quantization (per channel or per
 * tensor, symmetric or asymmetric, min/max or percentile clipping, round to nearest), activation parameters
 * from a calibrated range, fp16 rounding, and k-th smallest selection (pruning thresholds).
 *
 * Weights are addressed through a channel view so that every layout works without a copy: channel c, element i
 * at w[c * ch_stride + i * el_stride] (Conv OIHW: ch_stride = C/g*kh*kw, el_stride = 1; Gemm B [K,N] with
 * channels along N: ch_stride = 1, el_stride = N).
 *
 * Everything here is deterministic: the same weights and settings give bit-identical results, which is what
 * makes 8 -> 4 -> 8 bits reproduce the 8-bit weights exactly (every transform starts from the pristine
 * weights). Hot loops are single-precision. */
#ifndef ET_TUNE_QMATH_H
#define ET_TUNE_QMATH_H

#include <stdbool.h>
#include <stdint.h>

#include "record/knobs.h"
#include "util/status.h"

typedef struct et_wview {
    int64_t n_ch, per_ch;         /* channels, elements per channel */
    int64_t ch_stride, el_stride; /* in elements */
} et_wview;

typedef struct et_wq_config {
    int bits;         /* 2..8 */
    bool symmetric;   /* zero point 0, range [-qmax, qmax]; else [qmin, qmax] with a zero point */
    bool per_channel; /* one scale per channel; else one for the tensor */
    et_clip clip;     /* min/max of the weights, or the percentile below */
    float percentile; /* e.g. 99.99: the range covers this share of |w| (symmetric) or of each tail */
} et_wq_config;

/* The integer range of a weight width: symmetric [-(2^(b-1)-1), 2^(b-1)-1], asymmetric [-2^(b-1), 2^(b-1)-1]. */
void et_wq_range(int bits, bool symmetric, int32_t *qmin, int32_t *qmax);

/* Quantizes the weights seen through v. Writes n_ch scales and zero points (per-tensor: the same value in every
 * entry), and optionally q (int8 codes, same view layout as w, strides of v) and deq (the dequantized floats,
 * same layout). A channel (or tensor) of zeros gets scale 1. ET_E_NOMEM when percentile scratch cannot be
 * allocated; ET_E_USAGE for bits outside 2..8. */
et_status et_quantize_weights(const float *w, const et_wview *v, const et_wq_config *cfg, float *scale,
                              int32_t *zero_point, int8_t *q, float *deq, et_err *err);

/* Codes of weights already on a grid (recovered weights carry their scales): q = clamp(rint(w / scale) + zp,
 * qmin, qmax) with channel c's scale and zero point, or entry 0 for all when per_channel is false; q in the
 * layout of w (strides of v). */
void et_quantize_on_grid(const float *w, const et_wview *v, const float *scale, const int32_t *zero_point,
                         bool per_channel, int32_t qmin, int32_t qmax, int8_t *q);

/* Activation parameters (int8 asymmetric) for a real range [lo, hi]: the range is widened to contain 0 so that
 * zero (padding, Relu) is exact; scale = (hi - lo) / 255 (1 for an empty range). */
void et_act_qparams(float lo, float hi, float *scale, int32_t *zero_point);

/* q = clamp(round(x / scale) + zp, -128, 127) (round half to even, as lrintf; NaN -> -128): QuantizeLinear. */
int8_t et_quantize_f32(float x, float scale, int32_t zp);

/* Rounds each of n floats to the nearest fp16 value (as stored by fp16 weights) into out (may equal in). */
void et_round_fp16(const float *in, float *out, int64_t n);

/* The k-th smallest (0-based) of a[0..n), which may be reordered (radix select over the float bits for large n,
 * quickselect with a median of three otherwise). n > 0, k < n. */
float et_select_kth(float *a, int64_t n, int64_t k);

#endif
