/* f32-maxpool-xp1c-scalar.c: the portable max-pooling kernel, any window, one channel at a time
 * (see f32-pool.h). */
#include <math.h>
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"

ET_F32_MAXPOOL_UKERNEL(et_f32_maxpool_ukernel_xp1c__scalar) {
    ET_F32_POOL_REQUIRE();
    const float lo = params->min, hi = params->max;
    for (size_t x = 0; x < output_pixels; x++) {
        for (size_t c = 0; c < channels; c++) {
            float m = -INFINITY;
            for (size_t t = 0; t < ks; t++) {
                const float v = ((const float *)((uintptr_t)input[t] + input_offset))[c];
                m = v > m ? v : m;
            }
            m = m < lo ? lo : m;
            output[c] = m > hi ? hi : m;
        }
        input += input_stride;
        output += output_stride;
    }
}
