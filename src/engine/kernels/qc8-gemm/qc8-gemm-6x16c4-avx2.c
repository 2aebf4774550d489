/* qc8-gemm-6x16c4-avx2.c: AVX2 quantized GEMM kernel for weights of at most 7 bits, 6 rows x 16 columns, k in
 * quads (see qc8-gemm.h). A is uint8 (x ^ 0x80, ET_QA_U8), weights int8 with |w| <= 63, so vpmaddubsw's
 * int16 pair sums (at most 2 * 255 * 63 = 32130) never saturate and the result is exact; the +128 is folded
 * into the bias at pack time.
 *
 * Each k quad: four A bytes of a row broadcast as one 32-bit lane, two weight vectors of 8 columns x 4 k,
 * then vpmaddubsw (32 products -> 16 pair sums), vpmaddwd by ones (-> 8 quad sums) and vpaddd: three
 * integer ops per 32 MACs where the exact 8-bit kernel needs four. */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-avx2.h"

static inline __m256i bcast32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_6x16c4__avx2) {
    const uint8_t *ar[6];
    int8_t *cr[6];
    const int8_t *rr[6];
    ET_QAVX2_ROWS(6, const uint8_t *, a, a_stride, ar);
    ET_QAVX2_ROWS(6, int8_t *, c, cm_stride, cr);
    ET_QAVX2_ROWS(6, const int8_t *, r, rm_stride, rr);
    const uint8_t *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3], *a4 = ar[4], *a5 = ar[5];
    const uint8_t *wp = w;
    const __m256i ones = _mm256_set1_epi16(1);
    for (;;) {
        __m256i acc0l = _mm256_loadu_si256((const __m256i *)wp), acc0h = _mm256_loadu_si256((const __m256i *)(wp + 32));
        __m256i acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m256i acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h, acc5l = acc0l, acc5h = acc0h;
        wp += 64;
        for (size_t k = 0; k < kc; k += 4) {
            const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
            const __m256i wh = _mm256_loadu_si256((const __m256i *)(wp + 32));
            wp += 64;
            __m256i va = bcast32(a0 + k);
            acc0l = _mm256_add_epi32(acc0l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
            acc0h = _mm256_add_epi32(acc0h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
            va = bcast32(a1 + k);
            acc1l = _mm256_add_epi32(acc1l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
            acc1h = _mm256_add_epi32(acc1h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
            va = bcast32(a2 + k);
            acc2l = _mm256_add_epi32(acc2l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
            acc2h = _mm256_add_epi32(acc2h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
            va = bcast32(a3 + k);
            acc3l = _mm256_add_epi32(acc3l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
            acc3h = _mm256_add_epi32(acc3h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
            va = bcast32(a4 + k);
            acc4l = _mm256_add_epi32(acc4l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
            acc4h = _mm256_add_epi32(acc4h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
            va = bcast32(a5 + k);
            acc5l = _mm256_add_epi32(acc5l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
            acc5h = _mm256_add_epi32(acc5h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
        }
        const __m256i tile[12] = {acc0l, acc0h, acc1l, acc1h, acc2l, acc2h, acc3l, acc3h, acc4l, acc4h, acc5l, acc5h};
        et_qavx2_store_6x16(tile, wp, nc < 16 ? nc : 16, cr, rr, params);
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}
