/* f32-igemm-4x4-scalar.c: the portable indirect-GEMM kernel, 4 pixels x 4 output channels (see f32-igemm.h). */
#include <stdint.h>

#include "engine/kernels/f32-igemm/f32-igemm.h"

enum { MR = 4, NR = 4 };

ET_F32_IGEMM_UKERNEL(et_f32_igemm_ukernel_4x4__scalar) {
    float *cr[MR];
    for (size_t i = 0; i < MR; i++)
        cr[i] = c + (i < mr ? i : mr - 1) * cm_stride;
    const float vmin = params->min, vmax = params->max;
    for (;;) {
        float acc[MR][NR];
        for (size_t i = 0; i < MR; i++)
            for (size_t j = 0; j < NR; j++)
                acc[i][j] = w[j];
        w += NR;
        const float **ap = a;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[MR];
            for (size_t i = 0; i < MR; i++) {
                ar[i] = ap[i];
                if (ar[i] != zero)
                    ar[i] = (const float *)((uintptr_t)ar[i] + a_offset);
            }
            ap += MR;
            for (size_t k = 0; k < kc; k++) {
                for (size_t i = 0; i < MR; i++) {
                    const float av = ar[i][k];
                    for (size_t j = 0; j < NR; j++)
                        acc[i][j] += av * w[j];
                }
                w += NR;
            }
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
