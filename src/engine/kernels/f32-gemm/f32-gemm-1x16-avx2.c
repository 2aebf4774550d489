/* f32-gemm-1x16-avx2.c: AVX2+FMA GEMM kernel for one row x 16 columns (see f32-gemm.h): fully-connected layers
 * at batch 1 and the last row of a tile. With a single row, two accumulators would leave the FMA pipes waiting
 * on their 4-cycle latency, so k is split over 4 pairs of partial sums that are added at the end. The loop is
 * bound by reading W in any case. */
#include <immintrin.h>

#include "engine/kernels/f32-gemm/f32-gemm-store-avx2.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"

ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x16__avx2) {
    ET_F32_GEMM_REQUIRE(1);
    (void)mr;
    (void)a_stride;
    (void)cm_stride;
    const __m256 vmin = _mm256_set1_ps(params->min);
    const __m256 vmax = _mm256_set1_ps(params->max);
    for (;;) {
        __m256 l0 = _mm256_loadu_ps(w), h0 = _mm256_loadu_ps(w + 8);
        __m256 l1 = _mm256_setzero_ps(), h1 = l1, l2 = l1, h2 = l1, l3 = l1, h3 = l1;
        w += 16;
        size_t k = 0;
        for (; k + 4 <= kc; k += 4) {
            __m256 av = _mm256_broadcast_ss(a + k);
            l0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w), l0);
            h0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 8), h0);
            av = _mm256_broadcast_ss(a + k + 1);
            l1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 16), l1);
            h1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 24), h1);
            av = _mm256_broadcast_ss(a + k + 2);
            l2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 32), l2);
            h2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 40), h2);
            av = _mm256_broadcast_ss(a + k + 3);
            l3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 48), l3);
            h3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 56), h3);
            w += 64;
        }
        for (; k < kc; k++) {
            const __m256 av = _mm256_broadcast_ss(a + k);
            l0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w), l0);
            h0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w + 8), h0);
            w += 16;
        }
        __m256 lo = _mm256_add_ps(_mm256_add_ps(l0, l1), _mm256_add_ps(l2, l3));
        __m256 hi = _mm256_add_ps(_mm256_add_ps(h0, h1), _mm256_add_ps(h2, h3));
        lo = _mm256_max_ps(_mm256_min_ps(lo, vmax), vmin);
        hi = _mm256_max_ps(_mm256_min_ps(hi, vmax), vmin);
        et_f32_avx2_store16(c, lo, hi, nc);
        if (nc <= 16)
            return;
        c += 16;
        nc -= 16;
    }
}
