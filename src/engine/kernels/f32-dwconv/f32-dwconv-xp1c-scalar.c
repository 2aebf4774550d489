/* f32-dwconv-xp1c-scalar.c: the portable depthwise kernel, any number of taps, one channel at a time
 * (see f32-dwconv.h). */
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp1c__scalar) {
    ET_F32_DWCONV_REQUIRE(0);
    const float vmin = params->min, vmax = params->max;
    for (size_t x = 0; x < output_width; x++) {
        const float *w = weights;
        for (size_t c = 0; c < channels; c++) {
            float acc = w[0];
            for (size_t t = 0; t < ks; t++) {
                const float *in = input[t];
                if (in != zero)
                    in = (const float *)((uintptr_t)in + input_offset);
                acc += in[c] * w[1 + t];
            }
            acc = acc < vmin ? vmin : acc;
            output[c] = acc > vmax ? vmax : acc;
            w += ks + 1;
        }
        input += input_stride;
        output += output_stride;
    }
}
