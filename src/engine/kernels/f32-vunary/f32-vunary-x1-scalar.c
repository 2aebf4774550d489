/* f32-vunary-x1-scalar.c: the portable elementwise unary kernel, one element at a time (see f32-vunary.h). It
 * uses fmaf where the SIMD kernels use an FMA, so that all ISAs compute the same approximation. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/kernels/f32-vunary/f32-vunary.h"

static inline float clampf(float v, float lo, float hi) {
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* exp(z) for z <= 0, 0 below the denormal cutoff. */
static inline float exp_neg(float z) {
    float n = fmaf(z, ET_EXP_LOG2E, ET_EXP_MAGIC_BIAS);
    uint32_t bits;
    memcpy(&bits, &n, sizeof bits);
    bits <<= 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    n -= ET_EXP_MAGIC_BIAS;
    float t = fmaf(n, ET_EXP_MINUS_LN2_HI, z);
    t = fmaf(n, ET_EXP_MINUS_LN2_LO, t);
    float p = fmaf(ET_EXP_C5, t, ET_EXP_C4);
    p = fmaf(p, t, ET_EXP_C3);
    p = fmaf(p, t, ET_EXP_C2);
    p = fmaf(p, t, ET_EXP_C1);
    t *= s;
    const float e = fmaf(t, p, s);
    return z < ET_EXP_DENORM_CUTOFF ? 0.0f : e;
}

static inline float sigmoid(float x) {
    const float e = exp_neg(-fabsf(x));
    const float f = e / (e + 1.0f);
    return signbit(x) ? f : 1.0f - f;
}

static inline float tanh_approx(float x) {
    const float ax = fabsf(x);
    float r;
    if (ax < ET_TANH_SMALL) {
        const float u = ax * ax;
        float p = fmaf(ET_TANH_P5, u, ET_TANH_P4);
        p = fmaf(p, u, ET_TANH_P3);
        p = fmaf(p, u, ET_TANH_P2);
        p = fmaf(p, u, ET_TANH_P1);
        r = fmaf(ax * u, p, ax);
    } else {
        const float e = exp_neg(-2.0f * ax);
        r = (1.0f - e) / (1.0f + e);
    }
    return copysignf(r, x);
}

ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x1__scalar) {
    ET_F32_VUNARY_REQUIRE();
    const float lo = params->min, hi = params->max, alpha = params->alpha, beta = params->beta;
    switch (op) {
    case ET_UNARY_CLAMP:
        for (size_t i = 0; i < n; i++)
            y[i] = clampf(x[i], lo, hi);
        break;
    case ET_UNARY_HSWISH:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] * (clampf(x[i] + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f));
        break;
    case ET_UNARY_HSIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = clampf(fmaf(alpha, x[i], beta), 0.0f, 1.0f);
        break;
    case ET_UNARY_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = sigmoid(x[i]);
        break;
    case ET_UNARY_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanh_approx(x[i]);
        break;
    case ET_UNARY_LRELU:
        for (size_t i = 0; i < n; i++)
            y[i] = signbit(x[i]) ? alpha * x[i] : x[i];
        break;
    default: break;
    }
}
