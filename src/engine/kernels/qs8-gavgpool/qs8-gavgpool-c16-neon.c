/* qs8-gavgpool-c16-neon.c: NEON int8 global pooling (see qs8-gavgpool.h): 16 channels at a time, each pixel's 16
 * bytes added into two int16x8 with vaddw_s8 for up to 256 pixels (|sum| <= 128 * 256 = 32768: -32768 fits, the
 * most positive, 127 * 256, too), then widened into four int32x4 with vaddw_s16; an 8-channel step the same way,
 * single channels for the rest. The requantization is the scalar rule in vectors: (sum - pixels * zp_x) in
 * int32, one float conversion and one product, vmaxnm/vmin clamp, vcvtn = lrintf, the zero point added with
 * saturation. */
#include <arm_neon.h>

#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"

/* Pixels whose int16 sums cannot overflow (see above). */
#define ET_GAVG_I16_PIXELS 256

static inline int16x4_t finish4(int32x4_t sum, int32x4_t bias, float32x4_t m, float32x4_t lo, float32x4_t hi) {
    const float32x4_t f = vmulq_f32(vcvtq_f32_s32(vsubq_s32(sum, bias)), m);
    return vqmovn_s32(vcvtnq_s32_f32(vminq_f32(vmaxnmq_f32(f, lo), hi)));
}

static inline int8_t finish1(int32_t sum, size_t pixels, const et_qs8_gavgpool_params *p) {
    return et_qs8_round_clamp((float)(sum - (int32_t)pixels * p->x_zp) * p->mult, &p->out);
}

ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c16__neon) {
    ET_QS8_GAVGPOOL_REQUIRE();
    const int32x4_t bias = vdupq_n_s32((int32_t)pixels * p->x_zp);
    const float32x4_t m = vdupq_n_f32(p->mult);
    const float32x4_t lo = vdupq_n_f32(p->out.out_lo), hi = vdupq_n_f32(p->out.out_hi);
    const int16x8_t zy = vdupq_n_s16((int16_t)p->out.out_zp);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0;
        for (size_t px0 = 0; px0 < pixels; px0 += ET_GAVG_I16_PIXELS) {
            const size_t pn = pixels - px0 < ET_GAVG_I16_PIXELS ? pixels - px0 : ET_GAVG_I16_PIXELS;
            const int8_t *row = x + px0 * x_stride + c;
            int16x8_t h0 = vdupq_n_s16(0), h1 = h0;
            for (size_t px = 0; px < pn; px++, row += x_stride) {
                const int8x16_t v = vld1q_s8(row);
                h0 = vaddw_s8(h0, vget_low_s8(v));
                h1 = vaddw_high_s8(h1, v);
            }
            s0 = vaddw_s16(s0, vget_low_s16(h0));
            s1 = vaddw_high_s16(s1, h0);
            s2 = vaddw_s16(s2, vget_low_s16(h1));
            s3 = vaddw_high_s16(s3, h1);
        }
        const int16x8_t v0 = vcombine_s16(finish4(s0, bias, m, lo, hi), finish4(s1, bias, m, lo, hi));
        const int16x8_t v1 = vcombine_s16(finish4(s2, bias, m, lo, hi), finish4(s3, bias, m, lo, hi));
        vst1q_s8(y + c, vcombine_s8(vqmovn_s16(vqaddq_s16(v0, zy)), vqmovn_s16(vqaddq_s16(v1, zy))));
    }
    for (; c + 8 <= channels; c += 8) {
        int32x4_t s0 = vdupq_n_s32(0), s1 = s0;
        for (size_t px0 = 0; px0 < pixels; px0 += ET_GAVG_I16_PIXELS) {
            const size_t pn = pixels - px0 < ET_GAVG_I16_PIXELS ? pixels - px0 : ET_GAVG_I16_PIXELS;
            const int8_t *row = x + px0 * x_stride + c;
            int16x8_t h = vdupq_n_s16(0);
            for (size_t px = 0; px < pn; px++, row += x_stride)
                h = vaddw_s8(h, vld1_s8(row));
            s0 = vaddw_s16(s0, vget_low_s16(h));
            s1 = vaddw_high_s16(s1, h);
        }
        const int16x8_t v = vcombine_s16(finish4(s0, bias, m, lo, hi), finish4(s1, bias, m, lo, hi));
        vst1_s8(y + c, vqmovn_s16(vqaddq_s16(v, zy)));
    }
    for (; c < channels; c++) {
        int32_t s = 0;
        for (size_t px = 0; px < pixels; px++)
            s += x[px * x_stride + c];
        y[c] = finish1(s, pixels, p);
    }
}
