/* f32-vunary-x8-neon.c: aarch64 NEON elementwise unary kernel, 8 elements per step (see f32-vunary.h). The
 * last n % 4 elements are copied into a small stack block, computed as one vector and copied back, so nothing
 * outside [x, x + n) is touched. */
#include <arm_neon.h>
#include <stdint.h>

#include "engine/kernels/f32-vunary/f32-vunary.h"

/* exp(z) for z <= 0 lanes, 0 below the denormal cutoff. */
static inline float32x4_t exp_neg(float32x4_t z) {
    const float32x4_t bias = vdupq_n_f32(ET_EXP_MAGIC_BIAS);
    float32x4_t n = vfmaq_f32(bias, z, vdupq_n_f32(ET_EXP_LOG2E));
    const float32x4_t s = vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(n), 23));
    n = vsubq_f32(n, bias);
    float32x4_t t = vfmaq_f32(z, n, vdupq_n_f32(ET_EXP_MINUS_LN2_HI));
    t = vfmaq_f32(t, n, vdupq_n_f32(ET_EXP_MINUS_LN2_LO));
    float32x4_t p = vfmaq_f32(vdupq_n_f32(ET_EXP_C4), vdupq_n_f32(ET_EXP_C5), t);
    p = vfmaq_f32(vdupq_n_f32(ET_EXP_C3), p, t);
    p = vfmaq_f32(vdupq_n_f32(ET_EXP_C2), p, t);
    p = vfmaq_f32(vdupq_n_f32(ET_EXP_C1), p, t);
    t = vmulq_f32(t, s);
    const float32x4_t e = vfmaq_f32(s, t, p);
    const uint32x4_t under = vcltq_f32(z, vdupq_n_f32(ET_EXP_DENORM_CUTOFF));
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(e), under));
}

static inline uint32x4_t negative(float32x4_t x) {
    return vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(x), 31)); /* all-ones where the sign is set */
}

static inline float32x4_t op_clamp(float32x4_t x, const et_f32_unary_params *p) {
    return vminq_f32(vmaxq_f32(x, vdupq_n_f32(p->min)), vdupq_n_f32(p->max));
}

static inline float32x4_t op_hswish(float32x4_t x, const et_f32_unary_params *p) {
    (void)p;
    float32x4_t t = vaddq_f32(x, vdupq_n_f32(3.0f));
    t = vminq_f32(vmaxq_f32(t, vdupq_n_f32(0.0f)), vdupq_n_f32(6.0f));
    return vmulq_f32(x, vmulq_f32(t, vdupq_n_f32(1.0f / 6.0f)));
}

static inline float32x4_t op_hsigmoid(float32x4_t x, const et_f32_unary_params *p) {
    const float32x4_t t = vfmaq_f32(vdupq_n_f32(p->beta), vdupq_n_f32(p->alpha), x);
    return vminq_f32(vmaxq_f32(t, vdupq_n_f32(0.0f)), vdupq_n_f32(1.0f));
}

static inline float32x4_t op_sigmoid(float32x4_t x, const et_f32_unary_params *p) {
    (void)p;
    const float32x4_t e = exp_neg(vnegq_f32(vabsq_f32(x)));
    const float32x4_t f = vdivq_f32(e, vaddq_f32(e, vdupq_n_f32(1.0f)));
    return vbslq_f32(negative(x), f, vsubq_f32(vdupq_n_f32(1.0f), f));
}

static inline float32x4_t op_tanh(float32x4_t x, const et_f32_unary_params *p) {
    (void)p;
    const float32x4_t ax = vabsq_f32(x);
    const float32x4_t u = vmulq_f32(ax, ax);
    float32x4_t q = vfmaq_f32(vdupq_n_f32(ET_TANH_P4), vdupq_n_f32(ET_TANH_P5), u);
    q = vfmaq_f32(vdupq_n_f32(ET_TANH_P3), q, u);
    q = vfmaq_f32(vdupq_n_f32(ET_TANH_P2), q, u);
    q = vfmaq_f32(vdupq_n_f32(ET_TANH_P1), q, u);
    const float32x4_t small = vfmaq_f32(ax, vmulq_f32(ax, u), q);
    const float32x4_t e = exp_neg(vmulq_f32(ax, vdupq_n_f32(-2.0f)));
    const float32x4_t one = vdupq_n_f32(1.0f);
    const float32x4_t large = vdivq_f32(vsubq_f32(one, e), vaddq_f32(one, e));
    const float32x4_t r = vbslq_f32(vcltq_f32(ax, vdupq_n_f32(ET_TANH_SMALL)), small, large);
    const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x80000000u));
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(r), sign));
}

static inline float32x4_t op_lrelu(float32x4_t x, const et_f32_unary_params *p) {
    return vbslq_f32(negative(x), vmulq_f32(x, vdupq_n_f32(p->alpha)), x);
}

#define DEFINE_LOOP(name, OP)                                                                 \
    static void name(size_t n, const float *x, float *y, const et_f32_unary_params *p) {      \
        size_t i = 0;                                                                         \
        for (; i + 8 <= n; i += 8) {                                                          \
            const float32x4_t v0 = OP(vld1q_f32(x + i), p), v1 = OP(vld1q_f32(x + i + 4), p); \
            vst1q_f32(y + i, v0);                                                             \
            vst1q_f32(y + i + 4, v1);                                                         \
        }                                                                                     \
        for (; i + 4 <= n; i += 4)                                                            \
            vst1q_f32(y + i, OP(vld1q_f32(x + i), p));                                        \
        if (i < n) {                                                                          \
            float block[4] = {0.0f, 0.0f, 0.0f, 0.0f};                                        \
            for (size_t j = 0; j < n - i; j++)                                                \
                block[j] = x[i + j];                                                          \
            vst1q_f32(block, OP(vld1q_f32(block), p));                                        \
            for (size_t j = 0; j < n - i; j++)                                                \
                y[i + j] = block[j];                                                          \
        }                                                                                     \
    }

DEFINE_LOOP(loop_clamp, op_clamp)
DEFINE_LOOP(loop_hswish, op_hswish)
DEFINE_LOOP(loop_hsigmoid, op_hsigmoid)
DEFINE_LOOP(loop_sigmoid, op_sigmoid)
DEFINE_LOOP(loop_tanh, op_tanh)
DEFINE_LOOP(loop_lrelu, op_lrelu)

ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x8__neon) {
    ET_F32_VUNARY_REQUIRE();
    switch (op) {
    case ET_UNARY_CLAMP: loop_clamp(n, x, y, params); break;
    case ET_UNARY_HSWISH: loop_hswish(n, x, y, params); break;
    case ET_UNARY_HSIGMOID: loop_hsigmoid(n, x, y, params); break;
    case ET_UNARY_SIGMOID: loop_sigmoid(n, x, y, params); break;
    case ET_UNARY_TANH: loop_tanh(n, x, y, params); break;
    case ET_UNARY_LRELU: loop_lrelu(n, x, y, params); break;
    default: break;
    }
}
