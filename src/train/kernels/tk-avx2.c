/* tk-avx2.c: the training kernels (tk.h) on 8-float AVX2 vectors (compiled with -mavx2 -mfma; the body is
 * tk-impl.h). */
#include "train/kernels/tk.h"

#define TK_WL 8
#define TK_NAME(x) tk_##x##_avx2
#include "train/kernels/tk-impl.h"

#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

/* tk.h's gemm_boff, MR rows of 16 columns: 2 MR accumulators (12 for 6 rows) + 2 loads of B + 1 broadcast of A,
 * as the engine's 6 x 16 kernel, with one offset load per k instead of a packed panel. Rows past mr alias row mr
 * - 1 (stored last, so it keeps its own values). */
static inline __attribute__((always_inline)) void tk_boff_rows(const int MR, const bool rows4, size_t ldr, size_t mr,
                                                               size_t nc, size_t kc, const float *a, size_t lda,
                                                               const float *b, const ptrdiff_t *boff, float *c,
                                                               size_t ldc) {
    const float *ar[6];
    float *cr[6];
    __m256 acc[6][2];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        const size_t row = (size_t)r < mr ? (size_t)r : mr - 1;
        ar[r] = a + row * lda, cr[r] = c + row * ldc;
        acc[r][0] = _mm256_broadcast_ss(ar[r] + kc), acc[r][1] = acc[r][0];
    }
    for (size_t k = 0; k < kc; k++) {
        const float *bk = b + boff[k];
        __m256 bl, bh;
        if (rows4) { /* 4 rows of 4 columns, ldr apart */
            bl = _mm256_loadu2_m128(bk + ldr, bk);
            bh = _mm256_loadu2_m128(bk + 3 * ldr, bk + 2 * ldr);
        } else {
            bl = _mm256_loadu_ps(bk), bh = _mm256_loadu_ps(bk + 8);
        }
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            const __m256 av = _mm256_broadcast_ss(ar[r] + k);
            acc[r][0] = _mm256_fmadd_ps(av, bl, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, bh, acc[r][1]);
        }
    }
#pragma GCC unroll 6
    for (int r = MR - 1; r >= 0; r--) {
        if (nc == 16) {
            _mm256_storeu_ps(cr[r], acc[r][0]);
            _mm256_storeu_ps(cr[r] + 8, acc[r][1]);
        } else {
            float t[16];
            _mm256_storeu_ps(t, acc[r][0]);
            _mm256_storeu_ps(t + 8, acc[r][1]);
            memcpy(cr[r], t, nc * sizeof *t);
        }
    }
}

static void tk_gemm_boff_avx2(size_t mr, size_t nc, size_t kc, const float *a, size_t lda, const float *b,
                              const ptrdiff_t *boff, size_t ldr, float *c, size_t ldc) {
    if (ldr) {
        if (mr > 4)
            tk_boff_rows(6, true, ldr, mr, nc, kc, a, lda, b, boff, c, ldc);
        else
            tk_boff_rows(4, true, ldr, mr, nc, kc, a, lda, b, boff, c, ldc);
    } else if (mr > 4)
        tk_boff_rows(6, false, 0, mr, nc, kc, a, lda, b, boff, c, ldc);
    else if (mr > 2)
        tk_boff_rows(4, false, 0, mr, nc, kc, a, lda, b, boff, c, ldc);
    else
        tk_boff_rows(2, false, 0, mr, nc, kc, a, lda, b, boff, c, ldc);
}

const et_tk_config et_tk_avx2 = {tk_hwc_in_avx2,    tk_hwc_out_avx2, tk_dw_fwd_avx2, tk_dw_wgrad_avx2,
                                 tk_dw_dgrad_avx2,  tk_mask_avx2,    tk_clamp_avx2,  tk_add_avx2,
                                 tk_gemm_boff_avx2, "tk-x8-avx2",    ET_ISA_AVX2};
