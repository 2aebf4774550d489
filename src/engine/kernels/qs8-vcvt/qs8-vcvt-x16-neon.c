/* qs8-vcvt-x16-neon.c: NEON conversion kernels (see qs8-vcvt.h). Vector loops follow et_qs8_round_clamp step by
 * step (vdivq/vmulq, vmaxnmq (a NaN becomes the bound, as in the scalar rule), vminq, vcvtnq = lrintf to nearest
 * even); tails run the scalar rule, so results match the scalar kernels. */
#include <arm_neon.h>

#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"

static inline int8x8_t round_pack8(float32x4_t f0, float32x4_t f1, const et_qs8_requant_params *p) {
    const float32x4_t lo = vdupq_n_f32(p->out_lo), hi = vdupq_n_f32(p->out_hi);
    f0 = vminq_f32(vmaxnmq_f32(f0, lo), hi);
    f1 = vminq_f32(vmaxnmq_f32(f1, lo), hi);
    const int16x8_t v = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(f0)), vqmovn_s32(vcvtnq_s32_f32(f1)));
    return vqmovn_s16(vqaddq_s16(v, vdupq_n_s16((int16_t)p->out_zp)));
}

void et_qs8_quantize_ukernel_x16__neon(size_t n, const float *x, int8_t *y, const et_qs8_quantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    const float32x4_t s = vdupq_n_f32(p->scale);
    for (; n >= 8; n -= 8, x += 8, y += 8)
        vst1_s8(y, round_pack8(vdivq_f32(vld1q_f32(x), s), vdivq_f32(vld1q_f32(x + 4), s), &p->out));
    for (size_t i = 0; i < n; i++)
        y[i] = et_qs8_round_clamp(x[i] / p->scale, &p->out);
}

void et_qs8_dequantize_ukernel_x16__neon(size_t n, const int8_t *x, float *y, const et_qs8_dequantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    const float32x4_t s = vdupq_n_f32(p->scale);
    const int32x4_t zp = vdupq_n_s32(p->zp);
    for (; n >= 8; n -= 8, x += 8, y += 8) {
        const int16x8_t v = vmovl_s8(vld1_s8(x));
        vst1q_f32(y, vmulq_f32(vcvtq_f32_s32(vsubq_s32(vmovl_s16(vget_low_s16(v)), zp)), s));
        vst1q_f32(y + 4, vmulq_f32(vcvtq_f32_s32(vsubq_s32(vmovl_high_s16(v), zp)), s));
    }
    for (size_t i = 0; i < n; i++)
        y[i] = (float)((int32_t)x[i] - p->zp) * p->scale;
}

void et_qs8_requantize_ukernel_x16__neon(size_t n, const int8_t *x, int8_t *y, const et_qs8_requantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    const float32x4_t s = vdupq_n_f32(p->scale);
    const int32x4_t zp = vdupq_n_s32(p->in_zp);
    for (; n >= 8; n -= 8, x += 8, y += 8) {
        const int16x8_t v = vmovl_s8(vld1_s8(x));
        const float32x4_t f0 = vmulq_f32(vcvtq_f32_s32(vsubq_s32(vmovl_s16(vget_low_s16(v)), zp)), s);
        const float32x4_t f1 = vmulq_f32(vcvtq_f32_s32(vsubq_s32(vmovl_high_s16(v), zp)), s);
        vst1_s8(y, round_pack8(f0, f1, &p->out));
    }
    for (size_t i = 0; i < n; i++)
        y[i] = et_qs8_round_clamp((float)((int32_t)x[i] - p->in_zp) * p->scale, &p->out);
}

void et_qs8_to_s16_ukernel_x16__neon(size_t n, const int8_t *x, int16_t *y) {
    ET_QS8_VCVT_REQUIRE();
    for (; n >= 16; n -= 16, x += 16, y += 16) {
        const int8x16_t v = vld1q_s8(x);
        vst1q_s16(y, vmovl_s8(vget_low_s8(v)));
        vst1q_s16(y + 8, vmovl_high_s8(v));
    }
    for (size_t i = 0; i < n; i++)
        y[i] = x[i];
}

void et_qs8_to_u8_ukernel_x16__neon(size_t n, const int8_t *x, uint8_t *y) {
    ET_QS8_VCVT_REQUIRE();
    const uint8x16_t sign = vdupq_n_u8(0x80);
    for (; n >= 16; n -= 16, x += 16, y += 16)
        vst1q_u8(y, veorq_u8(vreinterpretq_u8_s8(vld1q_s8(x)), sign));
    for (size_t i = 0; i < n; i++)
        y[i] = (uint8_t)((uint8_t)x[i] ^ 0x80u);
}

void et_qs8_pad_rows_ukernel_x16__neon(et_qa_format f, size_t rows, size_t n, const int8_t *x, size_t x_stride, void *y,
                                       size_t y_stride) {
    ET_QS8_PAD_ROWS_REQUIRE();
    et_qs8_pad_rows_ukernel_x1__scalar(f, rows, n, x, x_stride, y, y_stride);
}
