/* qgemm-c2-rows-avx2.h: the 8-bit-weight AVX2 GEMM loop (k in pairs, vpmaddwd) for tiles of fewer than 6 rows,
 * shared by qc8-gemm-6x16c2-avx2.c and qc8-igemm-6x16c2-avx2.c (include after qgemm-avx2.h).
 *
 * As f32-gemm-rows-avx2.h for fp32: a 7x7 layer's 49 pixels split evenly are 4 x 6 + 5 x 5 (task_grid.h), and
 * a 5-row tile here does 5/6 of the multiply-adds, a tile of up to 4 rows 4/6, where the 6-row loop would compute
 * 6. The epilogue stays the 6-row one: rows from MR on repeat row MR - 1 (whose C and residual pointers they
 * alias), so it stores the same bytes again. MR is a compile-time constant at every call. */
#ifndef ET_KERNELS_QGEMM_C2_ROWS_AVX2_H
#define ET_KERNELS_QGEMM_C2_ROWS_AVX2_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline __m256i et_qc2_bcast32(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* acc[r] += sum over k pairs < kc of a[r][k..k+1] . w for r < MR; wp advances 64 bytes per pair. The loop works
 * on local copies: __m256i may alias anything, so accumulating through `acc` would make the compiler keep the
 * accumulators in memory and reload the row pointers every step. */
static inline __attribute__((always_inline)) const uint8_t *et_qc2_rows_madd(const int MR, size_t kc,
                                                                            const int16_t *const *a,
                                                                            const uint8_t *wp, __m256i (*acc)[2]) {
    __m256i x0[5], x1[5];
    const int16_t *p[5];
#pragma GCC unroll 5
    for (int r = 0; r < MR; r++)
        x0[r] = acc[r][0], x1[r] = acc[r][1], p[r] = a[r];
    for (size_t k = 0; k < kc; k += 2) {
        const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
        const __m256i wh = _mm256_loadu_si256((const __m256i *)(wp + 32));
        wp += 64;
#pragma GCC unroll 5
        for (int r = 0; r < MR; r++) {
            const __m256i va = et_qc2_bcast32(p[r] + k);
            x0[r] = _mm256_add_epi32(x0[r], _mm256_madd_epi16(va, wl));
            x1[r] = _mm256_add_epi32(x1[r], _mm256_madd_epi16(va, wh));
        }
    }
#pragma GCC unroll 5
    for (int r = 0; r < MR; r++)
        acc[r][0] = x0[r], acc[r][1] = x1[r];
    return wp;
}

/* Requantizes and stores MR computed rows through the 6-row epilogue (rows MR..5 repeat row MR - 1). */
static inline __attribute__((always_inline)) void et_qc2_rows_store(const int MR, __m256i (*acc)[2],
                                                                   const uint8_t *scales, size_t n, int8_t *cr[6],
                                                                   const int8_t *rr[6],
                                                                   const et_qs8_requant_params *params) {
    __m256i tile[12];
    for (int r = 0; r < 6; r++) {
        const int s = r < MR ? r : MR - 1;
        tile[2 * r] = acc[s][0];
        tile[2 * r + 1] = acc[s][1];
    }
    et_qavx2_store_6x16(tile, scales, n, cr, rr, params);
}

#endif
