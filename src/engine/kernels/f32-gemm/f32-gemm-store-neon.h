/* f32-gemm-store-neon.h: the column tail of the NEON GEMM kernels: storing the first nc (< 8) of a row's 8
 * columns, shared by f32-gemm-body-6x8-neon.h and f32-gemm-1x8-neon.c. */
#ifndef ET_KERNELS_F32_GEMM_STORE_NEON_H
#define ET_KERNELS_F32_GEMM_STORE_NEON_H

#include <arm_neon.h>
#include <stddef.h>

/* Stores the first nc (< 8) columns of one row. */
static inline void et_f32_neon_store_tail(float *c, float32x4_t lo, float32x4_t hi, size_t nc) {
    if (nc & 4) {
        vst1q_f32(c, lo);
        lo = hi;
        c += 4;
    }
    float32x2_t x = vget_low_f32(lo);
    if (nc & 2) {
        vst1_f32(c, x);
        x = vget_high_f32(lo);
        c += 2;
    }
    if (nc & 1)
        vst1_lane_f32(c, x, 0);
}

#endif
