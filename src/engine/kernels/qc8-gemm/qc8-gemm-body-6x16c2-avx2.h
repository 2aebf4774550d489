/* qc8-gemm-body-6x16c2-avx2.h: the AVX2 body for 8-bit weights, 6 rows x 16 columns, k in pairs, of
 * qc8-gemm-6x16c2-avx2.c and qc8-igemm-6x16c2-avx2.c, which differ only in where a row of A starts. A template
 * (gemm-body.h): the kernel file names the kernel; built with -mavx2. Exact: A is int16 (ET_QA_S16) and weights
 * int16, and vpmaddwd sums two int16 products into int32 without saturation; the requantizing epilogue is
 * qgemm-avx2.h's.
 *
 * Each k pair: the two A values of a row broadcast as one 32-bit lane, two weight vectors of 8 columns x 2 k
 * (memory operands), 12 vpmaddwd + 12 vpaddd into 12 accumulators that each hold whole columns (no horizontal
 * reduction at the end). 12 accumulators + 2 weights + 1 broadcast = 15 ymm. On Zen 3 the multiply-add and add
 * share three integer pipes, so a k pair costs about 8 cycles for 192 MACs.
 *
 * Tiles of fewer than 6 rows (as f32-gemm-body-6x16-avx2.h for fp32): a 7x7 layer's 49 pixels split evenly are
 * 4 x 6 + 5 x 5 (task_grid.h), and a 5-row tile does 5/6 of the multiply-adds, a tile of up to 4 rows 4/6, where
 * the 6-row loop would compute 6. The epilogue stays the 6-row one: rows from MR on repeat row MR - 1 (whose C and
 * residual pointers they alias), so it stores the same bytes again. MR is a compile-time constant at every call. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/kernels/gemm-body.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-avx2.h"

/* acc[r] += sum over k pairs < kc of a[r][k..k+1] . w for r < MR; wp advances 64 bytes per pair. half (a
 * compile-time constant): only columns 0-7 (acc[r][0]), for a last panel of at most 8 live columns. The loop works
 * on local copies: __m256i may alias anything, so accumulating through `acc` would make the compiler keep the
 * accumulators in memory and reload the row pointers every step. */
static inline __attribute__((always_inline)) const uint8_t *et_qc2_rows_madd(const int MR, const bool half, size_t kc,
                                                                             const int16_t *const *a, const uint8_t *wp,
                                                                             __m256i (*acc)[2]) {
    __m256i x0[5], x1[5];
    const int16_t *p[5];
#pragma GCC unroll 5
    for (int r = 0; r < MR; r++)
        x0[r] = acc[r][0], x1[r] = acc[r][1], p[r] = a[r];
    for (size_t k = 0; k < kc; k += 2) {
        const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
        const __m256i wh = half ? wl : _mm256_loadu_si256((const __m256i *)(wp + 32));
        wp += 64;
#pragma GCC unroll 5
        for (int r = 0; r < MR; r++) {
            const __m256i va = et_qavx2_bcast32(p[r] + k);
            x0[r] = _mm256_add_epi32(x0[r], _mm256_madd_epi16(va, wl));
            if (!half)
                x1[r] = _mm256_add_epi32(x1[r], _mm256_madd_epi16(va, wh));
        }
    }
#pragma GCC unroll 5
    for (int r = 0; r < MR; r++)
        acc[r][0] = x0[r], acc[r][1] = x1[r];
    return wp;
}

/* A tile of mr <= MR < 6 rows; cr / rr hold 6 row pointers, aliased past mr - 1. */
static inline __attribute__((always_inline)) void et_qc2_few_rows(const int MR, const et_a_rows *A, size_t nc,
                                                                  size_t kc, size_t ks, const uint8_t *wp,
                                                                  int8_t *const cr[6], const int8_t *const rr[6],
                                                                  const et_qs8_requant_params *params) {
    size_t off = 0; /* columns done: the row pointers stay put */
    for (;;) {
        __m256i acc[5][2];
#pragma GCC unroll 5
        for (int i = 0; i < MR; i++)
            acc[i][0] = _mm256_loadu_si256((const __m256i *)wp),
            acc[i][1] = _mm256_loadu_si256((const __m256i *)(wp + 32));
        wp += 64;
        for (size_t t = 0; t < ks; t++) {
            const int16_t *ar[5];
            for (int i = 0; i < MR; i++)
                ar[i] = et_a_row(ET_BODY_INDIRECT, A, 6, t, (size_t)i);
            if (nc <= 8) /* columns 8-15 are not stored: not computed either */
                wp = et_qc2_rows_madd(MR, true, kc, ar, wp, acc);
            else
                wp = et_qc2_rows_madd(MR, false, kc, ar, wp, acc);
        }
        __m256i tile[12]; /* rows MR..5 repeat row MR - 1 */
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) {
            const int s = i < MR ? i : MR - 1;
            tile[2 * i] = acc[s][0];
            tile[2 * i + 1] = acc[s][1];
        }
        et_qavx2_store_6x16(tile, wp, nc < 16 ? nc : 16, cr, rr, off, params);
        off += 16;
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}

/* The last panel of 6 rows when at most 8 columns are live (N = 24, 40, 72, 88: a tail of 8): only columns 0-7
 * are multiplied (6 accumulators, one weight load per k pair; the panel layout is unchanged, columns 8-15 are
 * skipped), then the 6 x 16 epilogue stores the first nc (<= 8) columns. Computing all 16 did a third more
 * multiply-adds than needed on a 24-column layer. */
static inline __attribute__((always_inline)) void et_qc2_six_half(const et_a_rows *A_, size_t nc, size_t kc, size_t ks,
                                                                  const uint8_t *wp, int8_t *const cr[6],
                                                                  const int8_t *const rr[6], size_t off, const bool res,
                                                                  const et_qs8_requant_params *params) {
    const et_a_rows A = *A_;
    __m256i acc0 = _mm256_loadu_si256((const __m256i *)wp);
    __m256i acc1 = acc0, acc2 = acc0, acc3 = acc0, acc4 = acc0, acc5 = acc0;
    wp += 64;
    for (size_t t = 0; t < ks; t++) {
        const int16_t *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
        const int16_t *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
        for (size_t k = 0; k < kc; k += 2, wp += 64) {
            const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(et_qavx2_bcast32(a0 + k), wl));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(et_qavx2_bcast32(a1 + k), wl));
            acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(et_qavx2_bcast32(a2 + k), wl));
            acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(et_qavx2_bcast32(a3 + k), wl));
            acc4 = _mm256_add_epi32(acc4, _mm256_madd_epi16(et_qavx2_bcast32(a4 + k), wl));
            acc5 = _mm256_add_epi32(acc5, _mm256_madd_epi16(et_qavx2_bcast32(a5 + k), wl));
        }
    }
    const __m256i tile[12] = {acc0, acc0, acc1, acc1, acc2, acc2, acc3, acc3, acc4, acc4, acc5, acc5};
    et_qavx2_store_6x16_res(tile, wp, nc, cr, rr, off, res, params);
}

/* Tiles of 6 rows over all nc columns; res (a compile-time constant): whether rr holds residual rows. The kernel
 * tests the residual once per call and inlines this twice: tested per tile, inside the epilogue, both branches
 * shared the code before the test, and GCC spilled accumulators there for the branch that needs more registers. */
static inline __attribute__((always_inline)) void et_qc2_six_rows(const et_a_rows *A_, size_t nc, size_t kc, size_t ks,
                                                                  const uint8_t *wp, int8_t *const cr[6],
                                                                  const int8_t *const rr[6], const bool res,
                                                                  const et_qs8_requant_params *params) {
    const et_a_rows A = *A_;
    size_t off = 0; /* columns done: the row pointers stay put */
    for (;;) {
        if (nc <= 8) {
            et_qc2_six_half(&A, nc, kc, ks, wp, cr, rr, off, res, params);
            return;
        }
        __m256i acc0l = _mm256_loadu_si256((const __m256i *)wp), acc0h = _mm256_loadu_si256((const __m256i *)(wp + 32));
        __m256i acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m256i acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h, acc5l = acc0l, acc5h = acc0h;
        wp += 64;
        for (size_t t = 0; t < ks; t++) {
            const int16_t *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
            const int16_t *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
            for (size_t k = 0; k < kc; k += 2) {
                const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
                const __m256i wh = _mm256_loadu_si256((const __m256i *)(wp + 32));
                wp += 64;
                __m256i va = et_qavx2_bcast32(a0 + k);
                acc0l = _mm256_add_epi32(acc0l, _mm256_madd_epi16(va, wl));
                acc0h = _mm256_add_epi32(acc0h, _mm256_madd_epi16(va, wh));
                va = et_qavx2_bcast32(a1 + k);
                acc1l = _mm256_add_epi32(acc1l, _mm256_madd_epi16(va, wl));
                acc1h = _mm256_add_epi32(acc1h, _mm256_madd_epi16(va, wh));
                va = et_qavx2_bcast32(a2 + k);
                acc2l = _mm256_add_epi32(acc2l, _mm256_madd_epi16(va, wl));
                acc2h = _mm256_add_epi32(acc2h, _mm256_madd_epi16(va, wh));
                va = et_qavx2_bcast32(a3 + k);
                acc3l = _mm256_add_epi32(acc3l, _mm256_madd_epi16(va, wl));
                acc3h = _mm256_add_epi32(acc3h, _mm256_madd_epi16(va, wh));
                va = et_qavx2_bcast32(a4 + k);
                acc4l = _mm256_add_epi32(acc4l, _mm256_madd_epi16(va, wl));
                acc4h = _mm256_add_epi32(acc4h, _mm256_madd_epi16(va, wh));
                va = et_qavx2_bcast32(a5 + k);
                acc5l = _mm256_add_epi32(acc5l, _mm256_madd_epi16(va, wl));
                acc5h = _mm256_add_epi32(acc5h, _mm256_madd_epi16(va, wh));
            }
        }
        const __m256i tile[12] = {acc0l, acc0h, acc1l, acc1h, acc2l, acc2h, acc3l, acc3h, acc4l, acc4h, acc5l, acc5h};
        et_qavx2_store_6x16_res(tile, wp, nc < 16 ? nc : 16, cr, rr, off, res, params);
        off += 16;
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}

/* The kernel: mr (1..6) rows x nc columns, ks taps of kc int16 (ks = 1 for a GEMM). */
ET_QGEMM_BODY_SIGNATURE {
    ET_QGEMM_BODY_PROLOGUE(6, 2);
    int8_t *cr[6];
    const int8_t *rr[6];
    ET_QAVX2_ROWS(6, int8_t *, c, cm_stride, cr);
    ET_QAVX2_ROWS(6, const int8_t *, r, rm_stride, rr);
    if (mr == 5) {
        et_qc2_few_rows(5, &A, nc, kc, ks, w, cr, rr, params);
        return;
    }
    if (mr < 5) {
        et_qc2_few_rows(4, &A, nc, kc, ks, w, cr, rr, params);
        return;
    }
    if (r)
        et_qc2_six_rows(&A, nc, kc, ks, w, cr, rr, true, params);
    else
        et_qc2_six_rows(&A, nc, kc, ks, w, cr, rr, false, params);
}
