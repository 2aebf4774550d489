/* f32-gemm-1x32-avx512f.c: AVX-512F GEMM kernel for one row x 32 columns (see f32-gemm.h), with k split over
 * 4 pairs of partial sums so that the FMA latency does not bind a single row. */
#include <immintrin.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"

ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x32__avx512f) {
    ET_F32_GEMM_REQUIRE(1);
    (void)mr;
    (void)a_stride;
    (void)cm_stride;
    const __m512 vmin = _mm512_set1_ps(params->min);
    const __m512 vmax = _mm512_set1_ps(params->max);
    for (;;) {
        __m512 l0 = _mm512_loadu_ps(w), h0 = _mm512_loadu_ps(w + 16);
        __m512 l1 = _mm512_setzero_ps(), h1 = l1, l2 = l1, h2 = l1, l3 = l1, h3 = l1;
        w += 32;
        size_t k = 0;
        for (; k + 4 <= kc; k += 4) {
            __m512 av = _mm512_set1_ps(a[k]);
            l0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w), l0);
            h0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 16), h0);
            av = _mm512_set1_ps(a[k + 1]);
            l1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 32), l1);
            h1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 48), h1);
            av = _mm512_set1_ps(a[k + 2]);
            l2 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 64), l2);
            h2 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 80), h2);
            av = _mm512_set1_ps(a[k + 3]);
            l3 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 96), l3);
            h3 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 112), h3);
            w += 128;
        }
        for (; k < kc; k++) {
            const __m512 av = _mm512_set1_ps(a[k]);
            l0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w), l0);
            h0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(w + 16), h0);
            w += 32;
        }
        __m512 lo = _mm512_add_ps(_mm512_add_ps(l0, l1), _mm512_add_ps(l2, l3));
        __m512 hi = _mm512_add_ps(_mm512_add_ps(h0, h1), _mm512_add_ps(h2, h3));
        lo = _mm512_max_ps(_mm512_min_ps(lo, vmax), vmin);
        hi = _mm512_max_ps(_mm512_min_ps(hi, vmax), vmin);
        if (nc >= 32) {
            _mm512_storeu_ps(c, lo);
            _mm512_storeu_ps(c + 16, hi);
            c += 32;
            nc -= 32;
            if (nc == 0)
                return;
            continue;
        }
        const __mmask16 ml = (__mmask16)(nc >= 16 ? 0xffff : (1u << nc) - 1);
        const __mmask16 mh = (__mmask16)(nc > 16 ? (1u << (nc - 16)) - 1 : 0);
        _mm512_mask_storeu_ps(c, ml, lo);
        _mm512_mask_storeu_ps(c + 16, mh, hi);
        return;
    }
}
