/* f32-gemm-body-6x16-avx2.h: the AVX2+FMA 6 x 16 body of f32-gemm-6x16-avx2.c and f32-igemm-6x16-avx2.c, which
 * differ only in where a row of A starts. A template (gemm-body.h): the kernel file names the kernel; built with
 * -mavx2 -mfma.
 *
 * 12 accumulators (6 rows x 2 ymm) + 2 loads of W + 1 broadcast of A = 15 of the 16 ymm registers. Each k step
 * is 12 independent FMAs against 8 loads, so two FMA pipes with a 4-cycle latency stay full (Zen 3: 6 cycles
 * per step at 2 FMAs/cycle, loads at 3/cycle take under 3). A is read at [row + k] from one index register,
 * which keeps the loop to one pointer bump for W and one for k. The loop runs once per tap with that tap's 6
 * rows (a GEMM has one tap).
 *
 * Tiles of fewer than 6 rows: the 6-row loop would compute 6 rows whatever mr is, so a 7x7 layer's 49 pixels
 * would cost 9 full tiles (54 rows). With tiles split evenly (task_grid.h: 49 = 4 x 6 + 5 x 5) a 5-row tile
 * here costs 5/6 of a full one (10 FMAs per k step, still two full pipes) and a tile of up to 4 rows 4/6
 * (8 independent FMA chains cover the 4-cycle latency). MR is a compile-time constant at every call of the
 * row loops: their accumulators are arrays the compiler keeps in registers. */
#include <immintrin.h>
#include <stddef.h>

#include "engine/kernels/f32-gemm/f32-gemm-store-avx2.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/kernels/gemm-body.h"

static inline __m256 et_f32_avx2_clamp(__m256 v, __m256 vmin, __m256 vmax) {
    return _mm256_max_ps(_mm256_min_ps(v, vmax), vmin);
}

/* A last panel of at most 8 live columns of 6 rows: only its low half is computed (6 accumulators; the FMA
 * latency, not the pipes, bounds this loop, but it is still 1.5x faster than the full panel). Kept out of line
 * so that it does not disturb the register allocation of the full-panel loop. */
static __attribute__((noinline)) void et_f32_avx2_half_panel(const et_a_rows A, size_t kc, size_t ks, const float *w,
                                                             float *c0, float *c1, float *c2, float *c3, float *c4,
                                                             float *c5, size_t nc, __m256 vmin, __m256 vmax) {
    __m256 r0 = _mm256_loadu_ps(w), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0;
    w += 16;
    for (size_t t = 0; t < ks; t++) {
        const float *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
        const float *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
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
    }
    const __m256 zero8 = _mm256_setzero_ps();
    et_f32_avx2_store16(c5, et_f32_avx2_clamp(r5, vmin, vmax), zero8, nc);
    et_f32_avx2_store16(c4, et_f32_avx2_clamp(r4, vmin, vmax), zero8, nc);
    et_f32_avx2_store16(c3, et_f32_avx2_clamp(r3, vmin, vmax), zero8, nc);
    et_f32_avx2_store16(c2, et_f32_avx2_clamp(r2, vmin, vmax), zero8, nc);
    et_f32_avx2_store16(c1, et_f32_avx2_clamp(r1, vmin, vmax), zero8, nc);
    et_f32_avx2_store16(c0, et_f32_avx2_clamp(r0, vmin, vmax), zero8, nc);
}

/* acc[r] += sum over k < kc of a[r][k] * w[k][0..15] for r < MR; w advances 16 floats per k. Returns w after. */
static inline __attribute__((always_inline)) const float *
et_f32_avx2_rows_fma(const int MR, size_t kc, const float *const *a, const float *w, __m256 (*acc)[2]) {
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

/* A tile of mr <= MR < 6 rows (rows past mr - 1 alias it; an indirection buffer still has 6 pointers per tap). */
static inline __attribute__((always_inline)) void et_f32_avx2_few_rows(const int MR, const et_a_rows *A, size_t mr,
                                                                       size_t nc, size_t kc, size_t ks, const float *w,
                                                                       float *c, size_t cm_stride, __m256 vmin,
                                                                       __m256 vmax) {
    float *cr[5];
    for (int r = 0; r < MR; r++)
        cr[r] = c + ((size_t)r < mr ? (size_t)r : mr - 1) * cm_stride;
    for (;;) {
        __m256 acc[5][2];
        for (int r = 0; r < MR; r++)
            acc[r][0] = _mm256_loadu_ps(w), acc[r][1] = _mm256_loadu_ps(w + 8);
        w += 16;
        for (size_t t = 0; t < ks; t++) {
            const float *ar[5];
            for (int r = 0; r < MR; r++)
                ar[r] = et_a_row(ET_BODY_INDIRECT, A, 6, t, (size_t)r);
            w = et_f32_avx2_rows_fma(MR, kc, ar, w, acc);
        }
#pragma GCC unroll 5
        for (int r = MR - 1; r >= 0; r--) /* last row first: aliased rows end with row mr - 1's own values */
            et_f32_avx2_store16(cr[r], et_f32_avx2_clamp(acc[r][0], vmin, vmax),
                                et_f32_avx2_clamp(acc[r][1], vmin, vmax), nc);
        if (nc <= 16)
            return;
        nc -= 16;
        for (int r = 0; r < MR; r++)
            cr[r] += 16;
    }
}

/* The kernel: mr (1..6) rows x nc columns, ks taps of kc (ks = 1 for a GEMM). */
ET_F32_GEMM_BODY_SIGNATURE {
    ET_F32_GEMM_BODY_PROLOGUE(6);
    const __m256 vmin = _mm256_set1_ps(params->min);
    const __m256 vmax = _mm256_set1_ps(params->max);
    if (mr < 6) {
        if (mr == 5)
            et_f32_avx2_few_rows(5, &A, mr, nc, kc, ks, w, c, cm_stride, vmin, vmax);
        else
            et_f32_avx2_few_rows(4, &A, mr, nc, kc, ks, w, c, cm_stride, vmin, vmax);
        return;
    }
    float *c0 = c, *c1 = c0 + cm_stride, *c2 = c1 + cm_stride, *c3 = c2 + cm_stride, *c4 = c3 + cm_stride;
    float *c5 = c4 + cm_stride;
    for (;;) {
        if (nc <= 8) {
            et_f32_avx2_half_panel(A, kc, ks, w, c0, c1, c2, c3, c4, c5, nc, vmin, vmax);
            return;
        }
        __m256 acc0l = _mm256_loadu_ps(w), acc0h = _mm256_loadu_ps(w + 8);
        __m256 acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m256 acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h;
        __m256 acc5l = acc0l, acc5h = acc0h;
        w += 16;
        for (size_t t = 0; t < ks; t++) {
            const float *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
            const float *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
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
        }
#define CLAMP(v) v = et_f32_avx2_clamp(v, vmin, vmax)
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
        if (nc < 16) { /* last row first: aliased rows end with row mr - 1's own values */
            et_f32_avx2_store16(c5, acc5l, acc5h, nc);
            et_f32_avx2_store16(c4, acc4l, acc4h, nc);
            et_f32_avx2_store16(c3, acc3l, acc3h, nc);
            et_f32_avx2_store16(c2, acc2l, acc2h, nc);
            et_f32_avx2_store16(c1, acc1l, acc1h, nc);
            et_f32_avx2_store16(c0, acc0l, acc0h, nc);
            return;
        }
        _mm256_storeu_ps(c5, acc5l);
        _mm256_storeu_ps(c5 + 8, acc5h);
        c5 += 16;
        _mm256_storeu_ps(c4, acc4l);
        _mm256_storeu_ps(c4 + 8, acc4h);
        c4 += 16;
        _mm256_storeu_ps(c3, acc3l);
        _mm256_storeu_ps(c3 + 8, acc3h);
        c3 += 16;
        _mm256_storeu_ps(c2, acc2l);
        _mm256_storeu_ps(c2 + 8, acc2h);
        c2 += 16;
        _mm256_storeu_ps(c1, acc1l);
        _mm256_storeu_ps(c1 + 8, acc1h);
        c1 += 16;
        _mm256_storeu_ps(c0, acc0l);
        _mm256_storeu_ps(c0 + 8, acc0h);
        c0 += 16;
        nc -= 16;
        if (nc == 0)
            return;
    }
}
