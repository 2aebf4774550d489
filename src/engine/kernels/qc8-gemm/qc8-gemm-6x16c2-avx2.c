/* qc8-gemm-6x16c2-avx2.c: AVX2 quantized GEMM kernel for 8-bit weights, 6 rows x 16 columns, k in pairs
 * (see qc8-gemm.h). Exact: A is int16 (ET_QA_S16) and weights int16, and vpmaddwd sums two int16 products into
 * int32 without saturation.
 *
 * Each k pair: the two A values of a row broadcast as one 32-bit lane (a load, no shuffle), two weight vectors
 * of 8 columns x 2 k (memory operands), 12 vpmaddwd + 12 vpaddd into 12 accumulators that each hold whole
 * columns (no horizontal reduction at the end). 12 accumulators + 2 weights + 1 broadcast = 15 ymm. On Zen 3
 * the multiply-add and add share three integer pipes, so a k pair costs about 8 cycles for 192 MACs. */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-avx2.h"
#include "engine/kernels/qc8-gemm/qgemm-c2-rows-avx2.h"

static inline __m256i bcast32(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* A tile of mr <= MR < 6 rows, whose row pointers ET_QAVX2_ROWS aliased past mr - 1 (f32-gemm-rows-avx2.h's
 * reason, qgemm-c2-rows-avx2.h's loop). */
static inline __attribute__((always_inline)) void few_rows(const int MR, size_t nc, size_t kc,
                                                            const int16_t *const *ar, const uint8_t *wp, int8_t *cr[6],
                                                            const int8_t *rr[6], const et_qs8_requant_params *params) {
    for (;;) {
        __m256i acc[5][2];
        for (int i = 0; i < MR; i++)
            acc[i][0] = _mm256_loadu_si256((const __m256i *)wp), acc[i][1] = _mm256_loadu_si256((const __m256i *)(wp + 32));
        wp = et_qc2_rows_madd(MR, kc, ar, wp + 64, acc);
        et_qc2_rows_store(MR, acc, wp, nc < 16 ? nc : 16, cr, rr, params);
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}

ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_6x16c2__avx2) {
    const int16_t *ar[6];
    int8_t *cr[6];
    const int8_t *rr[6];
    ET_QAVX2_ROWS(6, const int16_t *, a, a_stride, ar);
    ET_QAVX2_ROWS(6, int8_t *, c, cm_stride, cr);
    ET_QAVX2_ROWS(6, const int8_t *, r, rm_stride, rr);
    if (mr == 5) {
        few_rows(5, nc, kc, ar, w, cr, rr, params);
        return;
    }
    if (mr < 5) {
        few_rows(4, nc, kc, ar, w, cr, rr, params);
        return;
    }
    const int16_t *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3], *a4 = ar[4], *a5 = ar[5];
    const uint8_t *wp = w;
    for (;;) {
        __m256i acc0l = _mm256_loadu_si256((const __m256i *)wp), acc0h = _mm256_loadu_si256((const __m256i *)(wp + 32));
        __m256i acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m256i acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h, acc5l = acc0l, acc5h = acc0h;
        wp += 64;
        for (size_t k = 0; k < kc; k += 2) {
            const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
            const __m256i wh = _mm256_loadu_si256((const __m256i *)(wp + 32));
            wp += 64;
            __m256i va = bcast32(a0 + k);
            acc0l = _mm256_add_epi32(acc0l, _mm256_madd_epi16(va, wl));
            acc0h = _mm256_add_epi32(acc0h, _mm256_madd_epi16(va, wh));
            va = bcast32(a1 + k);
            acc1l = _mm256_add_epi32(acc1l, _mm256_madd_epi16(va, wl));
            acc1h = _mm256_add_epi32(acc1h, _mm256_madd_epi16(va, wh));
            va = bcast32(a2 + k);
            acc2l = _mm256_add_epi32(acc2l, _mm256_madd_epi16(va, wl));
            acc2h = _mm256_add_epi32(acc2h, _mm256_madd_epi16(va, wh));
            va = bcast32(a3 + k);
            acc3l = _mm256_add_epi32(acc3l, _mm256_madd_epi16(va, wl));
            acc3h = _mm256_add_epi32(acc3h, _mm256_madd_epi16(va, wh));
            va = bcast32(a4 + k);
            acc4l = _mm256_add_epi32(acc4l, _mm256_madd_epi16(va, wl));
            acc4h = _mm256_add_epi32(acc4h, _mm256_madd_epi16(va, wh));
            va = bcast32(a5 + k);
            acc5l = _mm256_add_epi32(acc5l, _mm256_madd_epi16(va, wl));
            acc5h = _mm256_add_epi32(acc5h, _mm256_madd_epi16(va, wh));
        }
        const __m256i tile[12] = {acc0l, acc0h, acc1l, acc1h, acc2l, acc2h, acc3l, acc3h, acc4l, acc4h, acc5l, acc5h};
        et_qavx2_store_6x16(tile, wp, nc < 16 ? nc : 16, cr, rr, params);
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}
