/* qc8-dwconv-xp1c-scalar.c: the portable quantized depthwise kernel, any number of taps, one channel at a time
 * (see qc8-dwconv.h); the oracle of the SIMD dwconv kernels. */
#include <string.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"
#include "util/mem.h"

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp1c__scalar) {
    ET_QDWCONV_REQUIRE(0);
    const size_t wbytes = et_round_up(ks, 4), tile = 8 + wbytes;
    for (size_t x = 0; x < output_width; x++) {
        const uint8_t *wp = weights;
        for (size_t c = 0; c < channels; c++, wp += tile) {
            int32_t acc;
            float scale;
            memcpy(&acc, wp, sizeof acc);
            memcpy(&scale, wp + 4 + wbytes, sizeof scale);
            const int8_t *wt = (const int8_t *)(wp + 4);
            for (size_t t = 0; t < ks; t++) {
                const int8_t *in = input[t];
                if (input[t] != zero)
                    in = (const int8_t *)((uintptr_t)in + input_offset);
                acc += (int32_t)in[c] * wt[t];
            }
            output[c] = r ? et_qs8_requantize_residual(acc, scale, r[c], params)
                          : et_qs8_requantize(acc, scale, params);
        }
        input += input_stride;
        output += output_stride;
        if (r)
            r += r_stride;
    }
}
