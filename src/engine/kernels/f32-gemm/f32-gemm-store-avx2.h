/* f32-gemm-store-avx2.h: the column tail of the AVX2 GEMM kernels: storing the first nc of a row's 16 columns,
 * shared by f32-gemm-body-6x16-avx2.h and f32-gemm-1x16-avx2.c (include in files built with -mavx2). */
#ifndef ET_KERNELS_F32_GEMM_STORE_AVX2_H
#define ET_KERNELS_F32_GEMM_STORE_AVX2_H

#include <immintrin.h>
#include <stddef.h>

/* Stores the first nc (<= 16) columns of one row. */
static inline __attribute__((always_inline)) void et_f32_avx2_store16(float *c, __m256 lo, __m256 hi, size_t nc) {
    if (nc >= 16) {
        _mm256_storeu_ps(c, lo);
        _mm256_storeu_ps(c + 8, hi);
        return;
    }
    if (nc & 8) {
        _mm256_storeu_ps(c, lo);
        lo = hi;
        c += 8;
    }
    __m128 x = _mm256_castps256_ps128(lo);
    if (nc & 4) {
        _mm_storeu_ps(c, x);
        x = _mm256_extractf128_ps(lo, 1);
        c += 4;
    }
    if (nc & 2) {
        _mm_storel_pi((__m64 *)c, x);
        x = _mm_movehl_ps(x, x);
        c += 2;
    }
    if (nc & 1)
        _mm_store_ss(c, x);
}

#endif
