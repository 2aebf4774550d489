/* f32-gemm-1x4-scalar.c: the portable GEMM kernel, one row x 4 columns, for tiles of one row (see f32-gemm.h). */
#include "engine/kernels/f32-gemm/f32-gemm.h"

enum { MR = 1, NR = 4 };

ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x4__scalar) {
    const float *ar[MR];
    float *cr[MR];
    for (size_t i = 0; i < MR; i++) {
        const size_t row = i < mr ? i : mr - 1;
        ar[i] = a + row * a_stride;
        cr[i] = c + row * cm_stride;
    }
    const float vmin = params->min, vmax = params->max;
    for (;;) {
        float acc[MR][NR];
        for (size_t i = 0; i < MR; i++)
            for (size_t j = 0; j < NR; j++)
                acc[i][j] = w[j];
        w += NR;
        for (size_t k = 0; k < kc; k++) {
            for (size_t i = 0; i < MR; i++) {
                const float av = ar[i][k];
                for (size_t j = 0; j < NR; j++)
                    acc[i][j] += av * w[j];
            }
            w += NR;
        }
        const size_t cols = nc < NR ? nc : NR;
        for (size_t i = MR; i-- > 0;) {
            for (size_t j = 0; j < cols; j++) {
                float v = acc[i][j] < vmin ? vmin : acc[i][j];
                cr[i][j] = v > vmax ? vmax : v;
            }
            cr[i] += NR;
        }
        if (nc <= NR)
            return;
        nc -= NR;
    }
}
