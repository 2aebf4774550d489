/* qc8-dwconv-xp16c-neon.c: NEON quantized depthwise kernel, any number of taps, 16 channels at a time (see
 * qc8-dwconv.h, layout S8_TAPS). Taps go in pairs: vmull_s8 then vmlal_s8 sum two int8 products in int16 (at most
 * 2 * 128 * 127 = 32512: exact), and vaddw widens the pair into the int32 accumulators. */
#include <arm_neon.h>
#include <string.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"
#include "engine/kernels/qc8-gemm/qgemm-neon.h"

static inline int8x16_t load16(const int8_t *p, size_t n) {
    if (n >= 16)
        return vld1q_s8(p);
    int8_t tmp[16] = {0};
    memcpy(tmp, p, n);
    return vld1q_s8(tmp);
}

static inline const int8_t *tap(const void *p, const void *zero, size_t offset) {
    return p == zero ? (const int8_t *)p : (const int8_t *)((uintptr_t)p + offset);
}

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp16c__neon) {
    ET_QDWCONV_REQUIRE(0);
    const size_t tile = 64 + 16 * ks + 64;
    for (size_t x = 0; x < output_width; x++, input += input_stride, output += output_stride) {
        const uint8_t *wp = weights;
        for (size_t c = 0; c < channels; c += 16, wp += tile) {
            const size_t n = channels - c < 16 ? channels - c : 16;
            const int32_t *b = (const int32_t *)(const void *)wp;
            int32x4_t acc0 = vld1q_s32(b), acc1 = vld1q_s32(b + 4), acc2 = vld1q_s32(b + 8), acc3 = vld1q_s32(b + 12);
            const int8_t *w = (const int8_t *)(wp + 64);
            size_t t = 0;
            for (; t + 2 <= ks; t += 2) {
                const int8x16_t x0 = load16(tap(input[t], zero, input_offset) + c, n);
                const int8x16_t x1 = load16(tap(input[t + 1], zero, input_offset) + c, n);
                const int8x16_t w0 = vld1q_s8(w + 16 * t), w1 = vld1q_s8(w + 16 * (t + 1));
                int16x8_t lo = vmull_s8(vget_low_s8(x0), vget_low_s8(w0));
                int16x8_t hi = vmull_high_s8(x0, w0);
                lo = vmlal_s8(lo, vget_low_s8(x1), vget_low_s8(w1));
                hi = vmlal_high_s8(hi, x1, w1);
                acc0 = vaddw_s16(acc0, vget_low_s16(lo));
                acc1 = vaddw_high_s16(acc1, lo);
                acc2 = vaddw_s16(acc2, vget_low_s16(hi));
                acc3 = vaddw_high_s16(acc3, hi);
            }
            if (t < ks) {
                const int8x16_t x0 = load16(tap(input[t], zero, input_offset) + c, n), w0 = vld1q_s8(w + 16 * t);
                const int16x8_t lo = vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), hi = vmull_high_s8(x0, w0);
                acc0 = vaddw_s16(acc0, vget_low_s16(lo));
                acc1 = vaddw_high_s16(acc1, lo);
                acc2 = vaddw_s16(acc2, vget_low_s16(hi));
                acc3 = vaddw_high_s16(acc3, hi);
            }
            const float *s = (const float *)(const void *)(wp + 64 + 16 * ks);
            const int8_t *rx = r ? r + x * r_stride + c : NULL;
            /* both halves requantized (residual read) before either is stored: r may equal output */
            const int8x8_t o0 = et_qneon_requant8(acc0, acc1, vld1q_f32(s), vld1q_f32(s + 4), rx, n, params);
            const int8x8_t o1 = et_qneon_requant8(acc2, acc3, vld1q_f32(s + 8), vld1q_f32(s + 12),
                                                  rx && n > 8 ? rx + 8 : NULL, n > 8 ? n - 8 : 0, params);
            et_qneon_store8(output + c, o0, n);
            if (n > 8)
                et_qneon_store8(output + c + 8, o1, n - 8);
        }
    }
}
