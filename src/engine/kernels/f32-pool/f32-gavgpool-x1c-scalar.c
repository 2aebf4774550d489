/* f32-gavgpool-x1c-scalar.c: the portable global-average-pooling kernel (see f32-pool.h). */
#include "engine/kernels/f32-pool/f32-pool.h"

ET_F32_GAVGPOOL_UKERNEL(et_f32_gavgpool_ukernel_x1c__scalar) {
    ET_F32_GAVGPOOL_REQUIRE();
    const float lo = params->min, hi = params->max;
    for (size_t c = 0; c < channels; c++) {
        float sum = 0.0f;
        for (size_t r = 0; r < rows; r++)
            sum += input[r * input_stride + c];
        float v = sum * scale;
        v = v < lo ? lo : v;
        output[c] = v > hi ? hi : v;
    }
}
