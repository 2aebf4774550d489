/* f32-dwconv-9p8c-neon.c: aarch64 NEON depthwise kernel for exactly 9 taps (3x3), 8 channels per step
 * (see f32-dwconv.h): tap pointers resolved once per output pixel. A partial last tile is left to the
 * any-taps kernel's tail code, which reads nothing past `channels`. */
#include <arm_neon.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_9p8c__neon) {
    ET_F32_DWCONV_REQUIRE(9);
    const float32x4_t vmin = vdupq_n_f32(params->min);
    const float32x4_t vmax = vdupq_n_f32(params->max);
    const size_t full = channels & ~(size_t)7;
    for (size_t x = 0; x < output_width; x++) {
        const float *i0 = tap(input[0], zero, input_offset), *i1 = tap(input[1], zero, input_offset);
        const float *i2 = tap(input[2], zero, input_offset), *i3 = tap(input[3], zero, input_offset);
        const float *i4 = tap(input[4], zero, input_offset), *i5 = tap(input[5], zero, input_offset);
        const float *i6 = tap(input[6], zero, input_offset), *i7 = tap(input[7], zero, input_offset);
        const float *i8 = tap(input[8], zero, input_offset);
        const float *w = weights;
        for (size_t c = 0; c < full; c += 8) {
            float32x4_t acc0 = vld1q_f32(w), acc1 = vld1q_f32(w + 4);
#define TAP(n)                                                               \
    acc0 = vfmaq_f32(acc0, vld1q_f32(i##n + c), vld1q_f32(w + 8 * (n + 1))); \
    acc1 = vfmaq_f32(acc1, vld1q_f32(i##n + c + 4), vld1q_f32(w + 8 * (n + 1) + 4))
            TAP(0);
            TAP(1);
            TAP(2);
            TAP(3);
            TAP(4);
            TAP(5);
            TAP(6);
            TAP(7);
            TAP(8);
#undef TAP
            vst1q_f32(output + c, vmaxq_f32(vminq_f32(acc0, vmax), vmin));
            vst1q_f32(output + c + 4, vmaxq_f32(vminq_f32(acc1, vmax), vmin));
            w += 8 * 10;
        }
        if (full < channels) {
            /* the remaining channels as a 1-pixel call of the any-taps kernel on the last weight tile */
            float *const out_tail = output + full;
            const float *in_tail[9];
            for (size_t t = 0; t < 9; t++)
                in_tail[t] = input[t] == zero ? zero : input[t] + full;
            et_f32_dwconv_ukernel_xp8c__neon(channels - full, 1, 9, in_tail, w, out_tail, 9, 0, input_offset, zero,
                                             params);
        }
        input += input_stride;
        output += output_stride;
    }
}
