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

/* tk.h's gemm_nt: 4 rows of a x 3 rows of b, 12 accumulators + 3 of b + 1 of a = 16 ymm registers; 7 loads
 * per 12 FMAs. Rows past mr / nc alias the last (read, not stored). The 12 sums are reduced once per call, after
 * every segment. */
static void tk_gemm_nt_avx2(size_t mr, size_t nc, size_t kc, size_t ns, const float *a, size_t lda, size_t sa,
                            const float *b, size_t sb, const ptrdiff_t *boff, float *c, size_t csi, size_t csj,
                            bool acc) {
    const size_t i1 = mr > 1 ? 1 : 0, i2 = mr > 2 ? 2 : mr - 1, i3 = mr > 3 ? 3 : mr - 1;
    const ptrdiff_t o0 = boff[0], o1 = boff[nc > 1 ? 1 : 0], o2 = boff[nc > 2 ? 2 : nc - 1];
    __m256 s00 = _mm256_setzero_ps(), s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00;
    __m256 s20 = s00, s21 = s00, s22 = s00, s30 = s00, s31 = s00, s32 = s00;
    for (size_t s = 0; s < ns; s++) {
        const float *a0 = a + s * sa, *a1 = a0 + i1 * lda, *a2 = a0 + i2 * lda, *a3 = a0 + i3 * lda;
        const float *b0 = b + s * sb + o0, *b1 = b + s * sb + o1, *b2 = b + s * sb + o2;
        for (size_t k = 0; k < kc; k += 8) {
            const __m256 x0 = _mm256_loadu_ps(b0 + k), x1 = _mm256_loadu_ps(b1 + k), x2 = _mm256_loadu_ps(b2 + k);
            __m256 y = _mm256_loadu_ps(a0 + k);
            s00 = _mm256_fmadd_ps(y, x0, s00), s01 = _mm256_fmadd_ps(y, x1, s01), s02 = _mm256_fmadd_ps(y, x2, s02);
            y = _mm256_loadu_ps(a1 + k);
            s10 = _mm256_fmadd_ps(y, x0, s10), s11 = _mm256_fmadd_ps(y, x1, s11), s12 = _mm256_fmadd_ps(y, x2, s12);
            y = _mm256_loadu_ps(a2 + k);
            s20 = _mm256_fmadd_ps(y, x0, s20), s21 = _mm256_fmadd_ps(y, x1, s21), s22 = _mm256_fmadd_ps(y, x2, s22);
            y = _mm256_loadu_ps(a3 + k);
            s30 = _mm256_fmadd_ps(y, x0, s30), s31 = _mm256_fmadd_ps(y, x1, s31), s32 = _mm256_fmadd_ps(y, x2, s32);
        }
    }
    const __m256 sums[12] = {s00, s01, s02, s10, s11, s12, s20, s21, s22, s30, s31, s32};
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nc; j++) {
            const __m256 v = sums[i * 3 + j];
            __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            q = _mm_add_ps(q, _mm_movehl_ps(q, q));
            q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
            float *d = c + i * csi + j * csj;
            *d = acc ? *d + _mm_cvtss_f32(q) : _mm_cvtss_f32(q);
        }
}

const et_tk_config et_tk_avx2 = {tk_hwc_in_avx2,    tk_hwc_out_avx2, tk_dw_fwd_avx2, tk_dw_wgrad_avx2,
                                 tk_dw_dgrad_avx2,  tk_mask_avx2,    tk_clamp_avx2,  tk_add_avx2,
                                 tk_gemm_boff_avx2, tk_gemm_nt_avx2, "tk-x8-avx2",   ET_ISA_AVX2};
