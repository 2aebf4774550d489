/* qc4-igemm-6x16c4-avx2.c: AVX2 4-bit-weight indirect-GEMM kernel, 6 pixels x 16 output channels, k in quads:
 * the loop of qc4-gemm-6x16c4-avx2.c over each tap's rows (see qc8-gemm.h). */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-avx2.h"

static inline __m256i bcast32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

static inline const uint8_t *row(const void *p, const void *zero, size_t a_offset) {
    return p == zero ? (const uint8_t *)p : (const uint8_t *)((uintptr_t)p + a_offset);
}

static inline __m256i ld(const int32_t *p) { return _mm256_loadu_si256((const __m256i *)p); }

/* acc += the int16 pair sums of s, widened (vpmaddwd by ones). */
static inline void widen(int32_t *acc, __m256i s, __m256i ones) {
    _mm256_storeu_si256((__m256i *)acc, _mm256_add_epi32(ld(acc), _mm256_madd_epi16(s, ones)));
}

enum { QUADS_PER_CHUNK = 8 }; /* int16 sums stay below 8 * 3570 = 28560 */

ET_QIGEMM_UKERNEL(et_qc4_igemm_ukernel_6x16c4__avx2) {
    int8_t *cr[6];
    const int8_t *rr[6];
    ET_QAVX2_ROWS(6, int8_t *, c, cm_stride, cr);
    ET_QAVX2_ROWS(6, const int8_t *, r, rm_stride, rr);
    const __m256i ones = _mm256_set1_epi16(1), low4 = _mm256_set1_epi8(15);
    const __m256i sext = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6,
                                          7, -8, -7, -6, -5, -4, -3, -2, -1);
    const uint8_t *wp = w;
    for (;;) {
        /* int32 sums live in memory, touched once per QUADS_PER_CHUNK quads; the 12 int16 sums own the registers */
        int32_t acc[12][8];
        for (size_t i = 0; i < 12; i++)
            memcpy(acc[i], wp + (i & 1) * 32, 32);
        wp += 64;
        __m256i s0l = _mm256_setzero_si256(), s0h = s0l, s1l = s0l, s1h = s0l, s2l = s0l, s2h = s0l;
        __m256i s3l = s0l, s3h = s0l, s4l = s0l, s4h = s0l, s5l = s0l, s5h = s0l;
        size_t pending = 0; /* quads summed in int16 since the last widening */
        const void **ap = a;
        for (size_t t = 0; t < ks; t++, ap += 6) {
            const uint8_t *a0 = row(ap[0], zero, a_offset), *a1 = row(ap[1], zero, a_offset);
            const uint8_t *a2 = row(ap[2], zero, a_offset), *a3 = row(ap[3], zero, a_offset);
            const uint8_t *a4 = row(ap[4], zero, a_offset), *a5 = row(ap[5], zero, a_offset);
            for (size_t k = 0; k < kc; k += 4) {
                const __m256i v = _mm256_loadu_si256((const __m256i *)wp);
                wp += 32;
                const __m256i wl = _mm256_shuffle_epi8(sext, _mm256_and_si256(v, low4));
                const __m256i wh = _mm256_shuffle_epi8(sext, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
                __m256i va = bcast32(a0 + k);
                s0l = _mm256_add_epi16(s0l, _mm256_maddubs_epi16(va, wl));
                s0h = _mm256_add_epi16(s0h, _mm256_maddubs_epi16(va, wh));
                va = bcast32(a1 + k);
                s1l = _mm256_add_epi16(s1l, _mm256_maddubs_epi16(va, wl));
                s1h = _mm256_add_epi16(s1h, _mm256_maddubs_epi16(va, wh));
                va = bcast32(a2 + k);
                s2l = _mm256_add_epi16(s2l, _mm256_maddubs_epi16(va, wl));
                s2h = _mm256_add_epi16(s2h, _mm256_maddubs_epi16(va, wh));
                va = bcast32(a3 + k);
                s3l = _mm256_add_epi16(s3l, _mm256_maddubs_epi16(va, wl));
                s3h = _mm256_add_epi16(s3h, _mm256_maddubs_epi16(va, wh));
                va = bcast32(a4 + k);
                s4l = _mm256_add_epi16(s4l, _mm256_maddubs_epi16(va, wl));
                s4h = _mm256_add_epi16(s4h, _mm256_maddubs_epi16(va, wh));
                va = bcast32(a5 + k);
                s5l = _mm256_add_epi16(s5l, _mm256_maddubs_epi16(va, wl));
                s5h = _mm256_add_epi16(s5h, _mm256_maddubs_epi16(va, wh));
                if (++pending == QUADS_PER_CHUNK) {
                    widen(acc[0], s0l, ones);
                    widen(acc[1], s0h, ones);
                    widen(acc[2], s1l, ones);
                    widen(acc[3], s1h, ones);
                    widen(acc[4], s2l, ones);
                    widen(acc[5], s2h, ones);
                    widen(acc[6], s3l, ones);
                    widen(acc[7], s3h, ones);
                    widen(acc[8], s4l, ones);
                    widen(acc[9], s4h, ones);
                    widen(acc[10], s5l, ones);
                    widen(acc[11], s5h, ones);
                    s0l = s0h = s1l = s1h = s2l = s2h = s3l = s3h = s4l = s4h = s5l = s5h = _mm256_setzero_si256();
                    pending = 0;
                }
            }
        }
        widen(acc[0], s0l, ones);
        widen(acc[1], s0h, ones);
        widen(acc[2], s1l, ones);
        widen(acc[3], s1h, ones);
        widen(acc[4], s2l, ones);
        widen(acc[5], s2h, ones);
        widen(acc[6], s3l, ones);
        widen(acc[7], s3h, ones);
        widen(acc[8], s4l, ones);
        widen(acc[9], s4h, ones);
        widen(acc[10], s5l, ones);
        widen(acc[11], s5h, ones);
        const __m256i tile[12] = {ld(acc[0]), ld(acc[1]), ld(acc[2]), ld(acc[3]), ld(acc[4]), ld(acc[5]),
                                  ld(acc[6]), ld(acc[7]), ld(acc[8]), ld(acc[9]), ld(acc[10]), ld(acc[11])};
        et_qavx2_store_6x16(tile, wp, nc < 16 ? nc : 16, cr, rr, params);
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}
