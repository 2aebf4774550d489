/* qgemm-neon.h: the requantizing epilogue the NEON quantized GEMM/IGEMM kernels share: 8 int32 columns (two
 * int32x4) of one row -> 8 int8 with the exact steps of et_qs8_requantize (qparams.h): vcvtq_f32_s32 and vmulq_f32
 * round like the C conversions and products, max/min clamp in float, vcvtnq_s32_f32 rounds to nearest even like
 * lrintf. The lower clamp is vmaxnmq_f32, which returns the number where the other operand is NaN, so a NaN (an
 * infinite scale times a zero sum) becomes the lower bound as in the scalar rule; vmaxq_f32 would keep the NaN and
 * vcvtnq_s32_f32 would turn it into 0, the zero point. Only -neon and -neondot kernel files include it. */
#ifndef ET_KERNELS_QGEMM_NEON_H
#define ET_KERNELS_QGEMM_NEON_H

#include <arm_neon.h>
#include <string.h>

#include "engine/kernels/qparams.h"

/* n (<= 8) int8 from p, the rest zero; never reads past p + n. */
static inline int8x8_t et_qneon_load8(const int8_t *p, size_t n) {
    if (n >= 8)
        return vld1_s8(p);
    int8_t tmp[8] = {0};
    memcpy(tmp, p, n);
    return vld1_s8(tmp);
}

static inline void et_qneon_store8(int8_t *c, int8x8_t v, size_t n) {
    if (n >= 8) {
        vst1_s8(c, v);
        return;
    }
    int8_t tmp[8];
    vst1_s8(tmp, v);
    memcpy(c, tmp, n);
}

/* Requantizes 8 columns: acc0 / acc1 hold columns 0-3 / 4-7, s0 / s1 their scales; r (NULL: none) the residual
 * of the first n columns. */
static inline int8x8_t et_qneon_requant8(int32x4_t acc0, int32x4_t acc1, float32x4_t s0, float32x4_t s1,
                                         const int8_t *r, size_t n, const et_qs8_requant_params *p) {
    float32x4_t f0 = vmulq_f32(vcvtq_f32_s32(acc0), s0), f1 = vmulq_f32(vcvtq_f32_s32(acc1), s1);
    if (r) {
        const int16x8_t rv = vmovl_s8(et_qneon_load8(r, n));
        const int32x4_t rzp = vdupq_n_s32(p->residual_zp);
        const float32x4_t rs = vdupq_n_f32(p->residual_scale);
        const int32x4_t r0 = vsubq_s32(vmovl_s16(vget_low_s16(rv)), rzp);
        const int32x4_t r1 = vsubq_s32(vmovl_s16(vget_high_s16(rv)), rzp);
        f0 = vaddq_f32(f0, vmulq_f32(vcvtq_f32_s32(r0), rs));
        f1 = vaddq_f32(f1, vmulq_f32(vcvtq_f32_s32(r1), rs));
    }
    const float32x4_t lo = vdupq_n_f32(p->out_lo), hi = vdupq_n_f32(p->out_hi);
    f0 = vminq_f32(vmaxnmq_f32(f0, lo), hi);
    f1 = vminq_f32(vmaxnmq_f32(f1, lo), hi);
    const int16x8_t v = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(f0)), vqmovn_s32(vcvtnq_s32_f32(f1)));
    return vqmovn_s16(vqaddq_s16(v, vdupq_n_s16((int16_t)p->out_zp)));
}

/* The end of a 4-row panel of nr (8 or 16) columns: requantizes acc (row i, columns 4v..4v+3 in acc[i][v]) with
 * the panel's scales s, stores the first min(nc, nr) columns of each row and moves every row pointer nr columns
 * on. Each 8-column half reads all residual rows before it writes any output row, so r may be c. */
static inline void et_qneon_store_4rows(int32x4_t acc[4][4], const float *s, size_t nr, size_t nc, int8_t *cr[4],
                                        const int8_t *rr[4], const et_qs8_requant_params *params) {
    for (size_t col = 0; col < nr && col < nc; col += 8) {
        const size_t n = nc - col < 8 ? nc - col : 8;
        const float32x4_t s0 = vld1q_f32(s + col), s1 = vld1q_f32(s + col + 4);
        int8x8_t o[4];
        for (size_t i = 0; i < 4; i++)
            o[i] = et_qneon_requant8(acc[i][col / 4], acc[i][col / 4 + 1], s0, s1, rr[i] ? rr[i] + col : NULL, n,
                                     params);
        for (size_t i = 4; i-- > 0;)
            et_qneon_store8(cr[i] + col, o[i], n);
    }
    for (size_t i = 0; i < 4; i++) {
        cr[i] += nr;
        if (rr[i])
            rr[i] += nr;
    }
}

/* Row pointers of an MR-row tile: rows i >= mr alias row mr - 1. */
#define ET_QNEON_ROWS(MR, T, base, stride, out)                                                      \
    do {                                                                                             \
        for (size_t i_ = 0; i_ < (MR); i_++)                                                         \
            (out)[i_] = (base) ? (T)((uintptr_t)(base) + (i_ < mr ? i_ : mr - 1) * (stride)) : NULL; \
    } while (0)

#endif
