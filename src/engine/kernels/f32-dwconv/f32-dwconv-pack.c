/* f32-dwconv-pack.c: packing depthwise weights into channel tiles (see f32-dwconv.h). */
#include "engine/kernels/f32-dwconv/f32-dwconv.h"

#include "util/mem.h"

size_t et_f32_dwconv_packed_floats(size_t ct, size_t channels, size_t ks) {
    return et_round_up(channels, ct) * (ks + 1);
}

void et_f32_dwconv_pack(size_t ct, size_t channels, size_t ks, const float *w, const float *bias, float *packed) {
    for (size_t c0 = 0; c0 < channels; c0 += ct) {
        for (size_t j = 0; j < ct; j++)
            *packed++ = (c0 + j < channels && bias) ? bias[c0 + j] : 0.0f;
        for (size_t t = 0; t < ks; t++)
            for (size_t j = 0; j < ct; j++)
                *packed++ = c0 + j < channels ? w[(c0 + j) * ks + t] : 0.0f;
    }
}
