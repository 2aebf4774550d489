/* qs8-vadd-x16-neon.c: NEON int8 add with two scales (see qs8-vadd.h): 8 elements per step, the scalar rule's
 * steps (two products, one sum, vmaxnm/vmin clamp, vcvtn = lrintf), tails one element at a time. */
#include <arm_neon.h>

#include "engine/kernels/qs8-vadd/qs8-vadd.h"

static inline void scaled(int8x8_t v, int32x4_t zp, float32x4_t s, float32x4_t *f0, float32x4_t *f1) {
    const int16x8_t w = vmovl_s8(v);
    *f0 = vmulq_f32(vcvtq_f32_s32(vsubq_s32(vmovl_s16(vget_low_s16(w)), zp)), s);
    *f1 = vmulq_f32(vcvtq_f32_s32(vsubq_s32(vmovl_high_s16(w), zp)), s);
}

ET_QS8_VADD_UKERNEL(et_qs8_vadd_ukernel_x16__neon) {
    ET_QS8_VADD_REQUIRE();
    if (n == 0)
        return;
    const float32x4_t sa = vdupq_n_f32(p->a_scale), sb = vdupq_n_f32(p->b_scale);
    const int32x4_t za = vdupq_n_s32(p->a_zp), zb = vdupq_n_s32(p->b_zp);
    const float32x4_t lo = vdupq_n_f32(p->out.out_lo), hi = vdupq_n_f32(p->out.out_hi);
    const int16x8_t zy = vdupq_n_s16((int16_t)p->out.out_zp);
    float32x4_t b0, b1;
    scaled(vdup_n_s8(b[0]), zb, sb, &b0, &b1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float32x4_t a0, a1;
        scaled(vld1_s8(a + i), za, sa, &a0, &a1);
        if (!b_scalar)
            scaled(vld1_s8(b + i), zb, sb, &b0, &b1);
        const float32x4_t f0 = vminq_f32(vmaxnmq_f32(vaddq_f32(a0, b0), lo), hi);
        const float32x4_t f1 = vminq_f32(vmaxnmq_f32(vaddq_f32(a1, b1), lo), hi);
        const int16x8_t v = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(f0)), vqmovn_s32(vcvtnq_s32_f32(f1)));
        vst1_s8(y + i, vqmovn_s16(vqaddq_s16(v, zy)));
    }
    for (; i < n; i++) {
        const float fa = (float)((int32_t)a[i] - p->a_zp) * p->a_scale;
        const float fb = (float)((int32_t)b[b_scalar ? 0 : i] - p->b_zp) * p->b_scale;
        y[i] = et_qs8_round_clamp(fa + fb, &p->out);
    }
}
