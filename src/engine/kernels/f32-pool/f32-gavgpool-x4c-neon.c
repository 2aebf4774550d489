/* f32-gavgpool-x4c-neon.c: aarch64 NEON global-average-pooling kernel, 4 channels per step, then one at a time
 * (see f32-pool.h). */
#include <arm_neon.h>

#include "engine/kernels/f32-pool/f32-pool.h"

ET_F32_GAVGPOOL_UKERNEL(et_f32_gavgpool_ukernel_x4c__neon) {
    ET_F32_GAVGPOOL_REQUIRE();
    const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
    const float32x4_t vscale = vdupq_n_f32(scale);
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        float32x4_t sum = vdupq_n_f32(0.0f);
        for (size_t r = 0; r < rows; r++)
            sum = vaddq_f32(sum, vld1q_f32(input + r * input_stride + c));
        vst1q_f32(output + c, vmaxq_f32(vminq_f32(vmulq_f32(sum, vscale), vmax), vmin));
    }
    for (; c < channels; c++) {
        float32x4_t sum = vdupq_n_f32(0.0f);
        for (size_t r = 0; r < rows; r++)
            sum = vaddq_f32(sum, vld1q_dup_f32(input + r * input_stride + c));
        vst1q_lane_f32(output + c, vmaxq_f32(vminq_f32(vmulq_f32(sum, vscale), vmax), vmin), 0);
    }
}
