/* f32-avgpool-xp1c-scalar.c: the portable average-pooling kernel, any window, one channel at a time
 * (see f32-pool.h). */
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"

ET_F32_AVGPOOL_UKERNEL(et_f32_avgpool_ukernel_xp1c__scalar) {
    ET_F32_POOL_REQUIRE();
    const float lo = params->min, hi = params->max;
    for (size_t x = 0; x < output_pixels; x++) {
        for (size_t c = 0; c < channels; c++) {
            float sum = 0.0f;
            for (size_t t = 0; t < ks; t++) {
                const float *in = input[t];
                if (in != zero)
                    in = (const float *)((uintptr_t)in + input_offset);
                sum += in[c];
            }
            float v = sum * scale[x];
            v = v < lo ? lo : v;
            output[c] = v > hi ? hi : v;
        }
        input += input_stride;
        output += output_stride;
    }
}
