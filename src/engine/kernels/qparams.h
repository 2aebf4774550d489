/* qparams.h: what the quantized (int8) kernel families share: the one requantization rule, the formats the
 * GEMM kernels read their A operand in (which CPU features a kernel needs: dispatch.h).
 *
 * Scheme (agreed with the graph side): activations int8 asymmetric per tensor (scale s, zero point zp in
 * [-128, 127]); weights int8 symmetric per output channel (scale w_s[c], zero point 0, |w| <= 2^(bits-1) - 1);
 * bias int32 = round(b / (s_x * w_s[c])); int32 accumulation. The kernels see
 *
 *     acc[c]  = bias'[c] + sum_k a[k] * w[k][c]        (bias' folds in -zp_x * sum_k w[k][c], see below)
 *     y       = requantize(acc, scale[c])              scale[c] = et_qs8_requant_scale(s_x, w_s[c], s_y)
 *
 * Requantization, defined once (et_qs8_requantize below; every SIMD kernel computes exactly these fp32 steps,
 * so that SIMD and scalar results match bit for bit):
 *     f = (float)acc * scale                           (int32 -> fp32 rounds to nearest even)
 *     f = f + (float)(r - r_zp) * r_scale              (only with a fused int8 residual; two products, no FMA:
 *                                                       the C code keeps each product in its own statement so that
 *                                                       no compiler contracts it into an FMA)
 *     f = min(max(f, qmin - zp_y), qmax - zp_y)        (the clamp, in float, before rounding: no overflow)
 *     y = lrintf(f) + zp_y                             (round to nearest, ties to even: the default mode)
 * Clamping before rounding gives the same result as rounding first (the bounds are integers) and keeps every
 * value inside int8 before the conversion.
 *
 * A operand formats. The fastest integer multiply-add differs by ISA, and so does the A it wants:
 *   ET_QA_S8   int8 as stored (scalar, NEON, NEON dot product): kernels read the tensor itself;
 *   ET_QA_S16  int8 sign-extended to int16 (AVX2 vpmaddwd, exact for 8-bit weights);
 *   ET_QA_U8   int8 + 128 as uint8, i.e. x ^ 0x80 (AVX2 vpmaddubsw for weights <= 7 bits, AVX-512 VNNI
 *              vpdpbusd whose first operand is unsigned); the +128 is folded into the bias at pack time:
 *              bias' = bias - (zp_x + 128) * sum_k w, so padding (which holds zp_x) still contributes zero.
 * An operator converts its input into the kernel's format once per run (qs8-vcvt), into rows padded with
 * zeros to a multiple of the kernel's kr, so that kernels never see a partial k block. */
#ifndef ET_KERNELS_QPARAMS_H
#define ET_KERNELS_QPARAMS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(enum, name, bytes per element, zero-point shift folded into the bias) */
#define ET_QA_FORMAT_LIST(X)  \
    X(ET_QA_S8, "s8", 1, 0)   \
    X(ET_QA_S16, "s16", 2, 0) \
    X(ET_QA_U8, "u8", 1, 128)

typedef enum {
#define ET_X(e, name, bytes, shift) e,
    ET_QA_FORMAT_LIST(ET_X)
#undef ET_X
        ET_QA_FORMAT_COUNT
} et_qa_format;

/* Bytes per A element in a format (1 or 2). */
static inline size_t et_qa_format_bytes(et_qa_format f) { return f == ET_QA_S16 ? 2 : 1; }

/* The shift a format adds to int8 values (128 for U8, else 0): the bias folds -(zp_x + shift) * sum(w). */
static inline int32_t et_qa_format_shift(et_qa_format f) { return f == ET_QA_U8 ? 128 : 0; }

/* Output side of requantization, read once per kernel call. */
typedef struct et_qs8_requant_params {
    float out_lo, out_hi; /* qmin - zp_y and qmax - zp_y, as floats */
    int32_t out_zp;       /* zp_y */
    float residual_scale; /* s_r / s_y, for a fused residual add (ignored without one) */
    int32_t residual_zp;  /* zp_r */
} et_qs8_requant_params;

/* Fills p for an output zero point and clamp [qmin, qmax] (within [-128, 127]), with an optional residual
 * (r_scale / y_scale, r_zp). */
static inline void et_qs8_requant_params_init(et_qs8_requant_params *p, int32_t y_zp, int32_t qmin, int32_t qmax,
                                              float residual_scale, int32_t residual_zp) {
    p->out_lo = (float)(qmin - y_zp);
    p->out_hi = (float)(qmax - y_zp);
    p->out_zp = y_zp;
    p->residual_scale = residual_scale;
    p->residual_zp = residual_zp;
}

/* The per-channel multiplier the kernels apply: s_x * w_s / s_y, computed in double and rounded once. */
static inline float et_qs8_requant_scale(float x_scale, float w_scale, float y_scale) {
    return (float)((double)x_scale * (double)w_scale / (double)y_scale);
}

/* The clamp-and-round tail of requantization (f already scaled, residual added). */
static inline int8_t et_qs8_round_clamp(float f, const et_qs8_requant_params *p) {
    f = f >= p->out_lo ? f : p->out_lo;
    f = f <= p->out_hi ? f : p->out_hi;
    return (int8_t)(lrintf(f) + p->out_zp);
}

/* The requantization rule (see the top of this file); the scalar kernels call it, SIMD kernels reproduce it. */
static inline int8_t et_qs8_requantize(int32_t acc, float scale, const et_qs8_requant_params *p) {
    return et_qs8_round_clamp((float)acc * scale, p);
}

/* The same with a fused int8 residual r (two roundings of products and one of the sum: no FMA anywhere). */
static inline int8_t et_qs8_requantize_residual(int32_t acc, float scale, int8_t r, const et_qs8_requant_params *p) {
    const float conv = (float)acc * scale;
    const float res = (float)((int32_t)r - p->residual_zp) * p->residual_scale;
    return et_qs8_round_clamp(conv + res, p);
}

#endif
