/* f32-gemm-rows-avx2.h: the 16-column AVX2 GEMM loop for tiles of fewer than 6 rows, shared by
 * f32-gemm-6x16-avx2.c and f32-igemm-6x16-avx2.c (include after <immintrin.h>, in files built with -mavx2 -mfma).
 *
 * The 6-row kernels compute 6 rows whatever mr is, so a 7x7 layer's 49 pixels cost 9 full tiles (54 rows). With
 * tiles split evenly (task_grid.h: 49 = 4 x 6 + 5 x 5) a 5-row tile here costs 5/6 of a full one (10 FMAs per k
 * step, still two full pipes) and a tile of up to 4 rows 4/6 (8 independent FMA chains cover the 4-cycle latency).
 * MR is a compile-time constant at every call: the accumulators are arrays the compiler keeps in registers. */
#ifndef ET_KERNELS_F32_GEMM_ROWS_AVX2_H
#define ET_KERNELS_F32_GEMM_ROWS_AVX2_H

#include <stddef.h>

/* acc[r] += sum over k < kc of a[r][k] * w[k][0..15] for r < MR; w advances 16 floats per k. Returns w after. */
static inline __attribute__((always_inline)) const float *et_avx2_rows_fma(const int MR, size_t kc,
                                                                          const float *const *a, const float *w,
                                                                          __m256 (*acc)[2]) {
    for (size_t k = 0; k < kc; k++) {
        const __m256 bl = _mm256_loadu_ps(w), bh = _mm256_loadu_ps(w + 8);
        w += 16;
#pragma GCC unroll 5
        for (int r = 0; r < MR; r++) {
            const __m256 av = _mm256_broadcast_ss(a[r] + k);
            acc[r][0] = _mm256_fmadd_ps(av, bl, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, bh, acc[r][1]);
        }
    }
    return w;
}

/* Clamps MR rows of 16 and stores the first nc (<= 16) columns of each at c[r]. */
static inline __attribute__((always_inline)) void et_avx2_rows_store(const int MR, __m256 (*acc)[2], float *const *c,
                                                                    size_t nc, __m256 vmin, __m256 vmax) {
#pragma GCC unroll 5
    for (int r = MR - 1; r >= 0; r--) { /* last row first: aliased rows end with row mr - 1's own values */
        __m256 lo = _mm256_max_ps(_mm256_min_ps(acc[r][0], vmax), vmin);
        __m256 hi = _mm256_max_ps(_mm256_min_ps(acc[r][1], vmax), vmin);
        float *p = c[r];
        if (nc >= 16) {
            _mm256_storeu_ps(p, lo);
            _mm256_storeu_ps(p + 8, hi);
            continue;
        }
        if (nc & 8) {
            _mm256_storeu_ps(p, lo);
            lo = hi;
            p += 8;
        }
        __m128 x = _mm256_castps256_ps128(lo);
        if (nc & 4) {
            _mm_storeu_ps(p, x);
            x = _mm256_extractf128_ps(lo, 1);
            p += 4;
        }
        if (nc & 2) {
            _mm_storel_pi((__m64 *)p, x);
            x = _mm_movehl_ps(x, x);
            p += 2;
        }
        if (nc & 1)
            _mm_store_ss(p, x);
    }
}

#endif
