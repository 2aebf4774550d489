/* f32-dwconv-xp8c-neon.c: aarch64 NEON depthwise kernel, any number of taps, 8 channels per step
 * (see f32-dwconv.h). A last tile of fewer than 8 channels runs 4 at a time and then one at a time, so that
 * nothing past `channels` is read. */
#include <arm_neon.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp8c__neon) {
    const float32x4_t vmin = vdupq_n_f32(params->min);
    const float32x4_t vmax = vdupq_n_f32(params->max);
    for (size_t x = 0; x < output_width; x++) {
        const float *w = weights;
        size_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            float32x4_t acc0 = vld1q_f32(w), acc1 = vld1q_f32(w + 4);
            const float *wt = w + 8;
            for (size_t t = 0; t < ks; t++) {
                const float *in = tap(input[t], zero, input_offset) + c;
                acc0 = vfmaq_f32(acc0, vld1q_f32(in), vld1q_f32(wt));
                acc1 = vfmaq_f32(acc1, vld1q_f32(in + 4), vld1q_f32(wt + 4));
                wt += 8;
            }
            vst1q_f32(output + c, vmaxq_f32(vminq_f32(acc0, vmax), vmin));
            vst1q_f32(output + c + 4, vmaxq_f32(vminq_f32(acc1, vmax), vmin));
            w += 8 * (ks + 1);
        }
        if (c < channels) { /* one partial tile: w points at its bias */
            size_t j = 0;
            if (channels - c >= 4) {
                float32x4_t acc = vld1q_f32(w);
                for (size_t t = 0; t < ks; t++)
                    acc = vfmaq_f32(acc, vld1q_f32(tap(input[t], zero, input_offset) + c), vld1q_f32(w + 8 * (t + 1)));
                vst1q_f32(output + c, vmaxq_f32(vminq_f32(acc, vmax), vmin));
                j = 4;
            }
            for (; c + j < channels; j++) {
                float acc = w[j];
                for (size_t t = 0; t < ks; t++)
                    acc += tap(input[t], zero, input_offset)[c + j] * w[8 * (t + 1) + j];
                acc = acc < params->min ? params->min : acc;
                output[c + j] = acc > params->max ? params->max : acc;
            }
        }
        input += input_stride;
        output += output_stride;
    }
}
