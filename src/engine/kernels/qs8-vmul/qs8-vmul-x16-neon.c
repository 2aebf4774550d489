/* qs8-vmul-x16-neon.c: NEON int8 multiply (see qs8-vmul.h): 16 elements per step, the steps of the scalar rule
 * (both inputs minus their zero points in int16, exact int32 products with vmull_s16, one float product each,
 * vmaxnm/vmin clamp, vcvtn = lrintf, the zero point added with saturation), the last 1..15 elements through the
 * same step on a padded copy. The rows form calls it per row (its setup is a few vdups; not measured on a NEON
 * CPU). */
#include <arm_neon.h>
#include <string.h>

#include "engine/kernels/qs8-vmul/qs8-vmul.h"

/* The 16 int8 of v minus zp, as two int16x8 (exact: zp is an int8 zero point, so |v - zp| <= 255). */
static inline void centred(int8x16_t v, int16x8_t zp, int16x8_t *lo, int16x8_t *hi) {
    *lo = vsubq_s16(vmovl_s8(vget_low_s8(v)), zp);
    *hi = vsubq_s16(vmovl_high_s8(v), zp);
}

/* One float product of the exact int32 product, clamped to [lo, hi] and rounded to nearest-even. */
static inline int32x4_t scaled(int32x4_t prod, float32x4_t m, float32x4_t lo, float32x4_t hi) {
    return vcvtnq_s32_f32(vminq_f32(vmaxnmq_f32(vmulq_f32(vcvtq_f32_s32(prod), m), lo), hi));
}

/* y = 16 outputs of a times b (b_lo/b_hi already centred). */
static inline int8x16_t step(int8x16_t va, int16x8_t za, int16x8_t b_lo, int16x8_t b_hi, float32x4_t m, float32x4_t lo,
                             float32x4_t hi, int16x8_t zy) {
    int16x8_t a_lo, a_hi;
    centred(va, za, &a_lo, &a_hi);
    const int32x4_t p0 = vmull_s16(vget_low_s16(a_lo), vget_low_s16(b_lo));
    const int32x4_t p1 = vmull_high_s16(a_lo, b_lo);
    const int32x4_t p2 = vmull_s16(vget_low_s16(a_hi), vget_low_s16(b_hi));
    const int32x4_t p3 = vmull_high_s16(a_hi, b_hi);
    const int16x8_t v0 = vcombine_s16(vqmovn_s32(scaled(p0, m, lo, hi)), vqmovn_s32(scaled(p1, m, lo, hi)));
    const int16x8_t v1 = vcombine_s16(vqmovn_s32(scaled(p2, m, lo, hi)), vqmovn_s32(scaled(p3, m, lo, hi)));
    return vcombine_s8(vqmovn_s16(vqaddq_s16(v0, zy)), vqmovn_s16(vqaddq_s16(v1, zy)));
}

ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x16__neon) {
    ET_QS8_VMUL_REQUIRE();
    if (n == 0)
        return;
    /* the int16 centring needs int8 zero points (every int8 tensor has one; qs8-vmul.h's |.| <= 255^2): any
     * other goes the scalar way, so the bytes never depend on the ISA */
    if (p->a_zp < -128 || p->a_zp > 127 || p->b_zp < -128 || p->b_zp > 127) {
        et_qs8_vmul_ukernel_x1__scalar(n, a, b, b_scalar, y, p);
        return;
    }
    const float32x4_t m = vdupq_n_f32(p->mult);
    const int16x8_t za = vdupq_n_s16((int16_t)p->a_zp), zb = vdupq_n_s16((int16_t)p->b_zp);
    const float32x4_t lo = vdupq_n_f32(p->out.out_lo), hi = vdupq_n_f32(p->out.out_hi);
    const int16x8_t zy = vdupq_n_s16((int16_t)p->out.out_zp);
    int16x8_t b_lo, b_hi;
    centred(vdupq_n_s8(b[0]), zb, &b_lo, &b_hi);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        if (!b_scalar)
            centred(vld1q_s8(b + i), zb, &b_lo, &b_hi);
        vst1q_s8(y + i, step(vld1q_s8(a + i), za, b_lo, b_hi, m, lo, hi, zy));
    }
    if (i < n) {
        /* the tail: copies padded to 16 (the pad's outputs are computed and dropped); y may be a or b */
        int8_t ta[16] = {0}, tb[16] = {0}, ty[16];
        const size_t r = n - i;
        memcpy(ta, a + i, r);
        if (!b_scalar) {
            memcpy(tb, b + i, r);
            centred(vld1q_s8(tb), zb, &b_lo, &b_hi);
        }
        vst1q_s8(ty, step(vld1q_s8(ta), za, b_lo, b_hi, m, lo, hi, zy));
        memcpy(y + i, ty, r);
    }
}

ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x16__neon) {
    ET_QS8_VMUL_ROWS_REQUIRE();
    for (size_t r = 0; r < rows; r++)
        et_qs8_vmul_ukernel_x16__neon(n, a + r * n, b, 0, y + r * n, p);
}
