/* qs8-gavgpool-c1-scalar.c: the portable int8 global pooling (see qs8-gavgpool.h): 64-channel blocks summed pixel
 * by pixel, contiguous reads of each channels-last row. */
#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"

ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c1__scalar) {
    ET_QS8_GAVGPOOL_REQUIRE();
    for (size_t c0 = 0; c0 < channels; c0 += 64) {
        const size_t cn = channels - c0 < 64 ? channels - c0 : 64;
        int32_t sum[64] = {0};
        for (size_t px = 0; px < pixels; px++) {
            const int8_t *row = x + px * x_stride + c0;
            for (size_t c = 0; c < cn; c++)
                sum[c] += row[c];
        }
        for (size_t c = 0; c < cn; c++)
            y[c0 + c] = et_qs8_round_clamp((float)(sum[c] - (int32_t)pixels * p->x_zp) * p->mult, &p->out);
    }
}
