/* f32-maxpool-xp4c-neon.c: aarch64 NEON max-pooling kernel, any window, 4 channels per step, then one at a
 * time (see f32-pool.h). */
#include <arm_neon.h>
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"

ET_F32_MAXPOOL_UKERNEL(et_f32_maxpool_ukernel_xp4c__neon) {
    ET_F32_POOL_REQUIRE();
    const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
    for (size_t x = 0; x < output_pixels; x++) {
        size_t c = 0;
        for (; c + 4 <= channels; c += 4) {
            float32x4_t m = vld1q_f32((const float *)((uintptr_t)input[0] + input_offset) + c);
            for (size_t t = 1; t < ks; t++)
                m = vmaxq_f32(m, vld1q_f32((const float *)((uintptr_t)input[t] + input_offset) + c));
            vst1q_f32(output + c, vmaxq_f32(vminq_f32(m, vmax), vmin));
        }
        for (; c < channels; c++) {
            float32x4_t m = vld1q_dup_f32((const float *)((uintptr_t)input[0] + input_offset) + c);
            for (size_t t = 1; t < ks; t++)
                m = vmaxq_f32(m, vld1q_dup_f32((const float *)((uintptr_t)input[t] + input_offset) + c));
            vst1q_lane_f32(output + c, vmaxq_f32(vminq_f32(m, vmax), vmin), 0);
        }
        input += input_stride;
        output += output_stride;
    }
}
