/* f32-avgpool-xp4c-neon.c: aarch64 NEON average-pooling kernel, any window, 4 channels per step, then one at a
 * time (see f32-pool.h). */
#include <arm_neon.h>
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

ET_F32_AVGPOOL_UKERNEL(et_f32_avgpool_ukernel_xp4c__neon) {
    ET_F32_POOL_REQUIRE();
    const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
    for (size_t x = 0; x < output_pixels; x++) {
        const float32x4_t vscale = vld1q_dup_f32(scale + x);
        size_t c = 0;
        for (; c + 4 <= channels; c += 4) {
            float32x4_t sum = vdupq_n_f32(0.0f);
            for (size_t t = 0; t < ks; t++)
                sum = vaddq_f32(sum, vld1q_f32(tap(input[t], zero, input_offset) + c));
            vst1q_f32(output + c, vmaxq_f32(vminq_f32(vmulq_f32(sum, vscale), vmax), vmin));
        }
        for (; c < channels; c++) {
            float32x4_t sum = vdupq_n_f32(0.0f);
            for (size_t t = 0; t < ks; t++)
                sum = vaddq_f32(sum, vld1q_dup_f32(tap(input[t], zero, input_offset) + c));
            vst1q_lane_f32(output + c, vmaxq_f32(vminq_f32(vmulq_f32(sum, vscale), vmax), vmin), 0);
        }
        input += input_stride;
        output += output_stride;
    }
}
