/* f32-gemm-body-6x32-avx512f.h: the AVX-512F 6 x 32 body of f32-gemm-6x32-avx512f.c and f32-igemm-6x32-avx512f.c,
 * which differ only in where a row of A starts. A template (gemm-body.h): the kernel file names the kernel; built
 * with -mavx512f.
 *
 * 12 zmm accumulators (enough for two 512-bit FMA pipes at a 4-cycle latency), 2 loads of W per k, and A
 * broadcast straight from memory into the FMA, once per tap with that tap's 6 rows (a GEMM has one tap).
 * Column tails are masked stores; a last panel of 16 or fewer columns runs its low half only. */

#include <immintrin.h>
#include <stddef.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/kernels/gemm-body.h"
#include "engine/kernels/params.h"

/* The kernel: mr (1..6) rows x nc columns, ks taps of kc (ks = 1 for a GEMM). */
ET_F32_GEMM_BODY_SIGNATURE {
    ET_F32_GEMM_BODY_PROLOGUE(6);
    float *cr[6];
    for (size_t i = 0; i < 6; i++)
        cr[i] = c + (i < mr ? i : mr - 1) * cm_stride;
    float *c0 = cr[0], *c1 = cr[1], *c2 = cr[2], *c3 = cr[3], *c4 = cr[4], *c5 = cr[5];
    const __m512 vmin = _mm512_set1_ps(params->min);
    const __m512 vmax = _mm512_set1_ps(params->max);
    for (;;) {
        if (nc <= 16) {
            /* The last panel holds 16 or fewer columns: its high half is padding. Six accumulators instead of
             * twelve halve the FMAs of that panel (the stem of a MobileNet has 16 output channels: every FMA of
             * the high half was wasted); the low half's sums are the same operations in the same order. */
            __m512 acc0 = _mm512_loadu_ps(w), acc1 = acc0, acc2 = acc0, acc3 = acc0, acc4 = acc0, acc5 = acc0;
            w += 32;
            for (size_t t = 0; t < ks; t++) {
                const float *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
                const float *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
#pragma GCC unroll 2
                for (size_t k = 0; k < kc; k++) {
                    const __m512 b = _mm512_loadu_ps(w);
                    w += 32;
                    acc0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[k]), b, acc0);
                    acc1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[k]), b, acc1);
                    acc2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[k]), b, acc2);
                    acc3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[k]), b, acc3);
                    acc4 = _mm512_fmadd_ps(_mm512_set1_ps(a4[k]), b, acc4);
                    acc5 = _mm512_fmadd_ps(_mm512_set1_ps(a5[k]), b, acc5);
                }
            }
            const __mmask16 m = (__mmask16)((1u << nc) - 1);
            _mm512_mask_storeu_ps(c5, m, _mm512_max_ps(_mm512_min_ps(acc5, vmax), vmin));
            _mm512_mask_storeu_ps(c4, m, _mm512_max_ps(_mm512_min_ps(acc4, vmax), vmin));
            _mm512_mask_storeu_ps(c3, m, _mm512_max_ps(_mm512_min_ps(acc3, vmax), vmin));
            _mm512_mask_storeu_ps(c2, m, _mm512_max_ps(_mm512_min_ps(acc2, vmax), vmin));
            _mm512_mask_storeu_ps(c1, m, _mm512_max_ps(_mm512_min_ps(acc1, vmax), vmin));
            _mm512_mask_storeu_ps(c0, m, _mm512_max_ps(_mm512_min_ps(acc0, vmax), vmin));
            return;
        }
        __m512 acc0l = _mm512_loadu_ps(w), acc0h = _mm512_loadu_ps(w + 16);
        __m512 acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m512 acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h;
        __m512 acc5l = acc0l, acc5h = acc0h;
        w += 32;
        for (size_t t = 0; t < ks; t++) {
            const float *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
            const float *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
#pragma GCC unroll 2
            for (size_t k = 0; k < kc; k++) {
                const __m512 bl = _mm512_loadu_ps(w), bh = _mm512_loadu_ps(w + 16);
                w += 32;
                __m512 av = _mm512_set1_ps(a0[k]);
                acc0l = _mm512_fmadd_ps(av, bl, acc0l);
                acc0h = _mm512_fmadd_ps(av, bh, acc0h);
                av = _mm512_set1_ps(a1[k]);
                acc1l = _mm512_fmadd_ps(av, bl, acc1l);
                acc1h = _mm512_fmadd_ps(av, bh, acc1h);
                av = _mm512_set1_ps(a2[k]);
                acc2l = _mm512_fmadd_ps(av, bl, acc2l);
                acc2h = _mm512_fmadd_ps(av, bh, acc2h);
                av = _mm512_set1_ps(a3[k]);
                acc3l = _mm512_fmadd_ps(av, bl, acc3l);
                acc3h = _mm512_fmadd_ps(av, bh, acc3h);
                av = _mm512_set1_ps(a4[k]);
                acc4l = _mm512_fmadd_ps(av, bl, acc4l);
                acc4h = _mm512_fmadd_ps(av, bh, acc4h);
                av = _mm512_set1_ps(a5[k]);
                acc5l = _mm512_fmadd_ps(av, bl, acc5l);
                acc5h = _mm512_fmadd_ps(av, bh, acc5h);
            }
        }
#define CLAMP(v) v = _mm512_max_ps(_mm512_min_ps(v, vmax), vmin)
        CLAMP(acc0l);
        CLAMP(acc0h);
        CLAMP(acc1l);
        CLAMP(acc1h);
        CLAMP(acc2l);
        CLAMP(acc2h);
        CLAMP(acc3l);
        CLAMP(acc3h);
        CLAMP(acc4l);
        CLAMP(acc4h);
        CLAMP(acc5l);
        CLAMP(acc5h);
#undef CLAMP
        if (nc >= 32) {
            _mm512_storeu_ps(c5, acc5l);
            _mm512_storeu_ps(c5 + 16, acc5h);
            c5 += 32;
            _mm512_storeu_ps(c4, acc4l);
            _mm512_storeu_ps(c4 + 16, acc4h);
            c4 += 32;
            _mm512_storeu_ps(c3, acc3l);
            _mm512_storeu_ps(c3 + 16, acc3h);
            c3 += 32;
            _mm512_storeu_ps(c2, acc2l);
            _mm512_storeu_ps(c2 + 16, acc2h);
            c2 += 32;
            _mm512_storeu_ps(c1, acc1l);
            _mm512_storeu_ps(c1 + 16, acc1h);
            c1 += 32;
            _mm512_storeu_ps(c0, acc0l);
            _mm512_storeu_ps(c0 + 16, acc0h);
            c0 += 32;
            nc -= 32;
            if (nc == 0)
                return;
        } else {
            const __mmask16 ml = (__mmask16)(nc >= 16 ? 0xffff : (1u << nc) - 1);
            const __mmask16 mh = (__mmask16)(nc > 16 ? (1u << (nc - 16)) - 1 : 0);
            _mm512_mask_storeu_ps(c5, ml, acc5l);
            _mm512_mask_storeu_ps(c5 + 16, mh, acc5h);
            _mm512_mask_storeu_ps(c4, ml, acc4l);
            _mm512_mask_storeu_ps(c4 + 16, mh, acc4h);
            _mm512_mask_storeu_ps(c3, ml, acc3l);
            _mm512_mask_storeu_ps(c3 + 16, mh, acc3h);
            _mm512_mask_storeu_ps(c2, ml, acc2l);
            _mm512_mask_storeu_ps(c2 + 16, mh, acc2h);
            _mm512_mask_storeu_ps(c1, ml, acc1l);
            _mm512_mask_storeu_ps(c1 + 16, mh, acc1h);
            _mm512_mask_storeu_ps(c0, ml, acc0l);
            _mm512_mask_storeu_ps(c0 + 16, mh, acc0h);
            return;
        }
    }
}
