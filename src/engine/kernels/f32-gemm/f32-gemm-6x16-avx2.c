/* f32-gemm-6x16-avx2.c: AVX2+FMA GEMM kernel, 6 rows x 16 columns (see f32-gemm.h).
 *
 * 12 accumulators (6 rows x 2 ymm) + 2 loads of W + 1 broadcast of A = 15 of the 16 ymm registers. Each k step
 * is 12 independent FMAs against 8 loads, so two FMA pipes with a 4-cycle latency stay full (Zen 3: 6 cycles
 * per step at 2 FMAs/cycle, loads at 3/cycle take under 3). A is read at [row + k] from one index register,
 * which keeps the loop to one pointer bump for W and one for k. */
#include <immintrin.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-gemm/f32-gemm-rows-avx2.h"

/* Stores the first nc (< 16) columns of one row. */
static inline void store_tail(float *c, __m256 lo, __m256 hi, size_t nc) {
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

/* A last panel of at most 8 live columns: only its low half is computed (6 accumulators; the FMA
 * latency, not the pipes, bounds this loop, but it is still 1.5x faster than the full panel).
 * Kept out of line so that it does not disturb the register allocation of the full-panel loop. */
static __attribute__((noinline)) void half_panel(size_t kc, const float *a0, const float *a1, const float *a2,
                                                   const float *a3, const float *a4, const float *a5, const float *w,
                                                   float *c0, float *c1, float *c2, float *c3, float *c4, float *c5,
                                                   size_t nc, __m256 vmin, __m256 vmax) {
    __m256 r0 = _mm256_loadu_ps(w), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0;
    w += 16;
    for (size_t k = 0; k < kc; k++) {
        const __m256 b = _mm256_loadu_ps(w);
        w += 16;
        r0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k), b, r0);
        r1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + k), b, r1);
        r2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + k), b, r2);
        r3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + k), b, r3);
        r4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a4 + k), b, r4);
        r5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a5 + k), b, r5);
    }
    const __m256 zero8 = _mm256_setzero_ps();
    store_tail(c5, _mm256_max_ps(_mm256_min_ps(r5, vmax), vmin), zero8, nc);
    store_tail(c4, _mm256_max_ps(_mm256_min_ps(r4, vmax), vmin), zero8, nc);
    store_tail(c3, _mm256_max_ps(_mm256_min_ps(r3, vmax), vmin), zero8, nc);
    store_tail(c2, _mm256_max_ps(_mm256_min_ps(r2, vmax), vmin), zero8, nc);
    store_tail(c1, _mm256_max_ps(_mm256_min_ps(r1, vmax), vmin), zero8, nc);
    store_tail(c0, _mm256_max_ps(_mm256_min_ps(r0, vmax), vmin), zero8, nc);
}

/* A tile of mr <= MR < 6 rows (rows past mr - 1 alias it). */
static inline __attribute__((always_inline)) void few_rows(const int MR, size_t mr, size_t nc, size_t kc,
                                                            const float *a, size_t a_stride, const float *w, float *c,
                                                            size_t cm_stride, __m256 vmin, __m256 vmax) {
    const float *ar[5];
    float *cr[5];
    for (int r = 0; r < MR; r++) {
        const size_t i = (size_t)r < mr ? (size_t)r : mr - 1;
        ar[r] = a + i * a_stride;
        cr[r] = c + i * cm_stride;
    }
    for (;;) {
        __m256 acc[5][2];
        for (int r = 0; r < MR; r++)
            acc[r][0] = _mm256_loadu_ps(w), acc[r][1] = _mm256_loadu_ps(w + 8);
        w = et_avx2_rows_fma(MR, kc, ar, w + 16, acc);
        et_avx2_rows_store(MR, acc, cr, nc, vmin, vmax);
        if (nc <= 16)
            return;
        nc -= 16;
        for (int r = 0; r < MR; r++)
            cr[r] += 16;
    }
}

ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_6x16__avx2) {
    if (mr < 6) {
        const __m256 lo = _mm256_set1_ps(params->min), hi = _mm256_set1_ps(params->max);
        if (mr == 5)
            few_rows(5, mr, nc, kc, a, a_stride, w, c, cm_stride, lo, hi);
        else
            few_rows(4, mr, nc, kc, a, a_stride, w, c, cm_stride, lo, hi);
        return;
    }
    const float *a0 = a;
    float *c0 = c;
    const float *a1 = a0 + a_stride;
    float *c1 = c0 + cm_stride;
    if (mr < 2) {
        a1 = a0;
        c1 = c0;
    }
    const float *a2 = a1 + a_stride;
    float *c2 = c1 + cm_stride;
    if (mr <= 2) {
        a2 = a1;
        c2 = c1;
    }
    const float *a3 = a2 + a_stride;
    float *c3 = c2 + cm_stride;
    if (mr < 4) {
        a3 = a2;
        c3 = c2;
    }
    const float *a4 = a3 + a_stride;
    float *c4 = c3 + cm_stride;
    if (mr <= 4) {
        a4 = a3;
        c4 = c3;
    }
    const float *a5 = a4 + a_stride;
    float *c5 = c4 + cm_stride;
    if (mr != 6) {
        a5 = a4;
        c5 = c4;
    }
    const __m256 vmin = _mm256_set1_ps(params->min);
    const __m256 vmax = _mm256_set1_ps(params->max);
    for (;;) {
        if (nc <= 8) {
            half_panel(kc, a0, a1, a2, a3, a4, a5, w, c0, c1, c2, c3, c4, c5, nc, vmin, vmax);
            return;
        }
        __m256 acc0l = _mm256_loadu_ps(w), acc0h = _mm256_loadu_ps(w + 8);
        __m256 acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m256 acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h;
        __m256 acc5l = acc0l, acc5h = acc0h;
        w += 16;
#pragma GCC unroll 2
        for (size_t k = 0; k < kc; k++) {
            const __m256 bl = _mm256_loadu_ps(w), bh = _mm256_loadu_ps(w + 8);
            w += 16;
            __m256 av = _mm256_broadcast_ss(a0 + k);
            acc0l = _mm256_fmadd_ps(av, bl, acc0l);
            acc0h = _mm256_fmadd_ps(av, bh, acc0h);
            av = _mm256_broadcast_ss(a1 + k);
            acc1l = _mm256_fmadd_ps(av, bl, acc1l);
            acc1h = _mm256_fmadd_ps(av, bh, acc1h);
            av = _mm256_broadcast_ss(a2 + k);
            acc2l = _mm256_fmadd_ps(av, bl, acc2l);
            acc2h = _mm256_fmadd_ps(av, bh, acc2h);
            av = _mm256_broadcast_ss(a3 + k);
            acc3l = _mm256_fmadd_ps(av, bl, acc3l);
            acc3h = _mm256_fmadd_ps(av, bh, acc3h);
            av = _mm256_broadcast_ss(a4 + k);
            acc4l = _mm256_fmadd_ps(av, bl, acc4l);
            acc4h = _mm256_fmadd_ps(av, bh, acc4h);
            av = _mm256_broadcast_ss(a5 + k);
            acc5l = _mm256_fmadd_ps(av, bl, acc5l);
            acc5h = _mm256_fmadd_ps(av, bh, acc5h);
        }
#define CLAMP(v) v = _mm256_max_ps(_mm256_min_ps(v, vmax), vmin)
        CLAMP(acc0l); CLAMP(acc0h); CLAMP(acc1l); CLAMP(acc1h); CLAMP(acc2l); CLAMP(acc2h);
        CLAMP(acc3l); CLAMP(acc3h); CLAMP(acc4l); CLAMP(acc4h); CLAMP(acc5l); CLAMP(acc5h);
#undef CLAMP
        if (nc >= 16) {
            _mm256_storeu_ps(c5, acc5l); _mm256_storeu_ps(c5 + 8, acc5h); c5 += 16;
            _mm256_storeu_ps(c4, acc4l); _mm256_storeu_ps(c4 + 8, acc4h); c4 += 16;
            _mm256_storeu_ps(c3, acc3l); _mm256_storeu_ps(c3 + 8, acc3h); c3 += 16;
            _mm256_storeu_ps(c2, acc2l); _mm256_storeu_ps(c2 + 8, acc2h); c2 += 16;
            _mm256_storeu_ps(c1, acc1l); _mm256_storeu_ps(c1 + 8, acc1h); c1 += 16;
            _mm256_storeu_ps(c0, acc0l); _mm256_storeu_ps(c0 + 8, acc0h); c0 += 16;
            nc -= 16;
            if (nc == 0)
                return;
        } else {
            store_tail(c5, acc5l, acc5h, nc);
            store_tail(c4, acc4l, acc4h, nc);
            store_tail(c3, acc3l, acc3h, nc);
            store_tail(c2, acc2l, acc2h, nc);
            store_tail(c1, acc1l, acc1h, nc);
            store_tail(c0, acc0l, acc0h, nc);
            return;
        }
    }
}
