/* qc4-gemm-body-6x16c4-avx2.h: the AVX2 4-bit-weight body, 6 rows x 16 columns, k in quads, of
 * qc4-gemm-6x16c4-avx2.c and qc4-igemm-6x16c4-avx2.c, which differ only in where a row of A starts. A template
 * (gemm-body.h): the kernel file names the kernel; built with -mavx2.
 *
 * Weights arrive two per byte (format S4): one 32-byte load holds a k quad of all 16 columns, the low nibbles
 * columns 0-7 and the high nibbles columns 8-15. Each nibble is masked out and sign-extended to int8 with one
 * vpshufb through a 16-entry table. A is uint8 (x ^ 0x80): vpmaddubsw pair sums are at most 2 * 255 * 7 = 3570,
 * so up to 9 of them add in int16 without overflow; the kernel adds 8 quads in int16 (vpaddw), across taps in
 * the IGEMM, and only then widens to int32 with vpmaddwd by ones: most of the widening work of the 8-bit
 * kernels is gone. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/gemm-body.h"
#include "engine/kernels/qc8-gemm/qgemm-avx2.h"

static inline __m256i et_qc4_avx2_ld(const int32_t *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* acc += the int16 pair sums of s, widened (vpmaddwd by ones). */
static inline void et_qc4_avx2_widen(int32_t *acc, __m256i s, __m256i ones) {
    _mm256_storeu_si256((__m256i *)acc, _mm256_add_epi32(et_qc4_avx2_ld(acc), _mm256_madd_epi16(s, ones)));
}

enum { ET_QC4_QUADS_PER_CHUNK = 8 }; /* int16 sums stay below 8 * 3570 = 28560 */

/* The 12 int16 sums of the body below added into its int32 sums. */
#define ET_QC4_WIDEN_ALL()                                                            \
    do {                                                                              \
        et_qc4_avx2_widen(acc[0], s0l, ones), et_qc4_avx2_widen(acc[1], s0h, ones);   \
        et_qc4_avx2_widen(acc[2], s1l, ones), et_qc4_avx2_widen(acc[3], s1h, ones);   \
        et_qc4_avx2_widen(acc[4], s2l, ones), et_qc4_avx2_widen(acc[5], s2h, ones);   \
        et_qc4_avx2_widen(acc[6], s3l, ones), et_qc4_avx2_widen(acc[7], s3h, ones);   \
        et_qc4_avx2_widen(acc[8], s4l, ones), et_qc4_avx2_widen(acc[9], s4h, ones);   \
        et_qc4_avx2_widen(acc[10], s5l, ones), et_qc4_avx2_widen(acc[11], s5h, ones); \
    } while (0)

/* The kernel: mr (1..6) rows x nc columns, ks taps of kc uint8 (ks = 1 for a GEMM). */
ET_QGEMM_BODY_SIGNATURE {
    ET_QGEMM_BODY_PROLOGUE(6, 4);
    int8_t *cr[6];
    const int8_t *rr[6];
    ET_QAVX2_ROWS(6, int8_t *, c, cm_stride, cr);
    ET_QAVX2_ROWS(6, const int8_t *, r, rm_stride, rr);
    const __m256i ones = _mm256_set1_epi16(1), low4 = _mm256_set1_epi8(15);
    const __m256i sext = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6,
                                          7, -8, -7, -6, -5, -4, -3, -2, -1);
    const uint8_t *wp = w;
    size_t off = 0; /* columns done: the row pointers stay put */
    for (;;) {
        /* int32 sums live in memory, touched once per chunk of quads; the 12 int16 sums own the registers */
        int32_t acc[12][8];
        for (size_t i = 0; i < 12; i++)
            memcpy(acc[i], wp + (i & 1) * 32, 32);
        wp += 64;
        __m256i s0l = _mm256_setzero_si256(), s0h = s0l, s1l = s0l, s1h = s0l, s2l = s0l, s2h = s0l;
        __m256i s3l = s0l, s3h = s0l, s4l = s0l, s4h = s0l, s5l = s0l, s5h = s0l;
        size_t pending = 0; /* quads summed in int16 since the last widening */
        for (size_t t = 0; t < ks; t++) {
            const uint8_t *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
            const uint8_t *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
            for (size_t k = 0; k < kc; k += 4) {
                const __m256i v = _mm256_loadu_si256((const __m256i *)wp);
                wp += 32;
                const __m256i wl = _mm256_shuffle_epi8(sext, _mm256_and_si256(v, low4));
                const __m256i wh = _mm256_shuffle_epi8(sext, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
                __m256i va = et_qavx2_bcast32(a0 + k);
                s0l = _mm256_add_epi16(s0l, _mm256_maddubs_epi16(va, wl));
                s0h = _mm256_add_epi16(s0h, _mm256_maddubs_epi16(va, wh));
                va = et_qavx2_bcast32(a1 + k);
                s1l = _mm256_add_epi16(s1l, _mm256_maddubs_epi16(va, wl));
                s1h = _mm256_add_epi16(s1h, _mm256_maddubs_epi16(va, wh));
                va = et_qavx2_bcast32(a2 + k);
                s2l = _mm256_add_epi16(s2l, _mm256_maddubs_epi16(va, wl));
                s2h = _mm256_add_epi16(s2h, _mm256_maddubs_epi16(va, wh));
                va = et_qavx2_bcast32(a3 + k);
                s3l = _mm256_add_epi16(s3l, _mm256_maddubs_epi16(va, wl));
                s3h = _mm256_add_epi16(s3h, _mm256_maddubs_epi16(va, wh));
                va = et_qavx2_bcast32(a4 + k);
                s4l = _mm256_add_epi16(s4l, _mm256_maddubs_epi16(va, wl));
                s4h = _mm256_add_epi16(s4h, _mm256_maddubs_epi16(va, wh));
                va = et_qavx2_bcast32(a5 + k);
                s5l = _mm256_add_epi16(s5l, _mm256_maddubs_epi16(va, wl));
                s5h = _mm256_add_epi16(s5h, _mm256_maddubs_epi16(va, wh));
                if (++pending == ET_QC4_QUADS_PER_CHUNK) {
                    ET_QC4_WIDEN_ALL();
                    s0l = s0h = s1l = s1h = s2l = s2h = s3l = s3h = s4l = s4h = s5l = s5h = _mm256_setzero_si256();
                    pending = 0;
                }
            }
        }
        ET_QC4_WIDEN_ALL();
        const __m256i tile[12] = {et_qc4_avx2_ld(acc[0]), et_qc4_avx2_ld(acc[1]),  et_qc4_avx2_ld(acc[2]),
                                  et_qc4_avx2_ld(acc[3]), et_qc4_avx2_ld(acc[4]),  et_qc4_avx2_ld(acc[5]),
                                  et_qc4_avx2_ld(acc[6]), et_qc4_avx2_ld(acc[7]),  et_qc4_avx2_ld(acc[8]),
                                  et_qc4_avx2_ld(acc[9]), et_qc4_avx2_ld(acc[10]), et_qc4_avx2_ld(acc[11])};
        et_qavx2_store_6x16(tile, wp, nc < 16 ? nc : 16, cr, rr, off, params);
        off += 16;
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}

#undef ET_QC4_WIDEN_ALL
