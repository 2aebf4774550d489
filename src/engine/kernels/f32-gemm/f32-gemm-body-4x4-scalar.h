/* f32-gemm-body-4x4-scalar.h: the portable MR x 4 body of f32-gemm-4x4-scalar.c, f32-gemm-1x4-scalar.c and
 * f32-igemm-4x4-scalar.c, which differ only in MR (ET_BODY_MR, 4 or 1) and in where a row of A starts. A template
 * (gemm-body.h): the kernel file names the kernel. The fallback on CPUs without a SIMD path. */

#include <stddef.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/kernels/gemm-body.h"
#include "engine/kernels/params.h"

/* The kernel: mr (1..MR) rows x nc columns in panels of 4, ks taps of kc (ks = 1 for a GEMM). */
ET_F32_GEMM_BODY_SIGNATURE {
    ET_F32_GEMM_BODY_PROLOGUE(ET_BODY_MR);
    const size_t MR = ET_BODY_MR;
    enum { NR = 4 };
    float *cr[4];
    for (size_t i = 0; i < MR; i++)
        cr[i] = c + (i < mr ? i : mr - 1) * cm_stride;
    const float vmin = params->min, vmax = params->max;
    for (;;) {
        float acc[4][NR];
        for (size_t i = 0; i < MR; i++)
            for (size_t j = 0; j < NR; j++)
                acc[i][j] = w[j];
        w += NR;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[4];
            for (size_t i = 0; i < MR; i++)
                ar[i] = ET_BODY_A_ROW(MR, t, i);
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
