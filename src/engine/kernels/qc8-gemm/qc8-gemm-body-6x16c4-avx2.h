/* qc8-gemm-body-6x16c4-avx2.h: the AVX2 body for weights of at most 7 bits, 6 rows x 16 columns, k in quads, of
 * qc8-gemm-6x16c4-avx2.c and qc8-igemm-6x16c4-avx2.c, which differ only in where a row of A starts. A template
 * (gemm-body.h): the kernel file names the kernel; built with -mavx2. The requantizing epilogue is qgemm-avx2.h's.
 *
 * A is uint8 (x ^ 0x80, ET_QA_U8), weights int8 with |w| <= 63, so vpmaddubsw's int16 pair sums (at most
 * 2 * 255 * 63 = 32130) never saturate and the result is exact; the +128 is folded into the bias at pack time.
 * Each k quad: four A bytes of a row broadcast as one 32-bit lane, two weight vectors of 8 columns x 4 k, then
 * vpmaddubsw (32 products -> 16 pair sums), vpmaddwd by ones (-> 8 quad sums) and vpaddd: three integer ops per
 * 32 MACs where the exact 8-bit kernel needs four. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/kernels/gemm-body.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-avx2.h"

/* The kernel: mr (1..6) rows x nc columns, ks taps of kc uint8 (ks = 1 for a GEMM). */
ET_QGEMM_BODY_SIGNATURE {
    ET_QGEMM_BODY_PROLOGUE(6, 4);
    int8_t *cr[6];
    const int8_t *rr[6];
    ET_QAVX2_ROWS(6, int8_t *, c, cm_stride, cr);
    ET_QAVX2_ROWS(6, const int8_t *, r, rm_stride, rr);
    const uint8_t *wp = w;
    const __m256i ones = _mm256_set1_epi16(1);
    size_t off = 0; /* columns done: the row pointers stay put */
    for (;;) {
        __m256i acc0l = _mm256_loadu_si256((const __m256i *)wp), acc0h = _mm256_loadu_si256((const __m256i *)(wp + 32));
        __m256i acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m256i acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h, acc5l = acc0l, acc5h = acc0h;
        wp += 64;
        for (size_t t = 0; t < ks; t++) {
            const uint8_t *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
            const uint8_t *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
            for (size_t k = 0; k < kc; k += 4) {
                const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
                const __m256i wh = _mm256_loadu_si256((const __m256i *)(wp + 32));
                wp += 64;
                __m256i va = et_qavx2_bcast32(a0 + k);
                acc0l = _mm256_add_epi32(acc0l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
                acc0h = _mm256_add_epi32(acc0h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
                va = et_qavx2_bcast32(a1 + k);
                acc1l = _mm256_add_epi32(acc1l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
                acc1h = _mm256_add_epi32(acc1h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
                va = et_qavx2_bcast32(a2 + k);
                acc2l = _mm256_add_epi32(acc2l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
                acc2h = _mm256_add_epi32(acc2h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
                va = et_qavx2_bcast32(a3 + k);
                acc3l = _mm256_add_epi32(acc3l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
                acc3h = _mm256_add_epi32(acc3h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
                va = et_qavx2_bcast32(a4 + k);
                acc4l = _mm256_add_epi32(acc4l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
                acc4h = _mm256_add_epi32(acc4h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
                va = et_qavx2_bcast32(a5 + k);
                acc5l = _mm256_add_epi32(acc5l, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wl), ones));
                acc5h = _mm256_add_epi32(acc5h, _mm256_madd_epi16(_mm256_maddubs_epi16(va, wh), ones));
            }
        }
        const __m256i tile[12] = {acc0l, acc0h, acc1l, acc1h, acc2l, acc2h, acc3l, acc3h, acc4l, acc4h, acc5l, acc5h};
        et_qavx2_store_6x16(tile, wp, nc < 16 ? nc : 16, cr, rr, off, params);
        off += 16;
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}
