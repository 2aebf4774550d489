/* qc8-dwconv-9p16c-avx2.c: AVX2 quantized depthwise kernel for exactly 9 taps (3x3, the common case), 16
 * channels at a time (see qc8-dwconv.h, layout S16_PAIRS16; the arithmetic of qc8-dwconv-xp16c-avx2.c).
 *
 * The nine tap pointers of a pixel live in registers for the whole channel loop; taps 0-7 go in four pairs
 * (widen, interleave, vpmaddwd against the packed weight pairs), tap 8 pairs with zero. Per 16 channels that is
 * about 40 integer ops for 144 MACs plus the requantization; fp32 FMA needs 18, so on AVX2 int8 depthwise
 * convolution gains on memory traffic, not on arithmetic.
 *
 * The requantization clamps only the upper bound in float (so that no product overflows the int32 conversion) and
 * the lower bound after the two saturating packs, one vpmaxsb on 16 int8 instead of two vmaxps on 16 floats
 * (XNNPACK's fp32 requantization does the same): the bounds are integers, so clamping before or after rounding
 * gives the same int8, and a value below the lower bound saturates towards it through cvtps2dq (INT32_MIN), packssdw
 * and packsswb. Bit-exact with et_qs8_requantize. */
#include <immintrin.h>
#include <string.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

static inline __m128i load16(const int8_t *p, size_t n) {
    if (n >= 16)
        return _mm_loadu_si128((const __m128i *)p);
    int8_t tmp[16] = {0};
    memcpy(tmp, p, n);
    return _mm_loadu_si128((const __m128i *)tmp);
}

static inline const int8_t *tap(const void *p, const void *zero, size_t offset) {
    return p == zero ? (const int8_t *)p : (const int8_t *)((uintptr_t)p + offset);
}

/* acc += taps a, b of 16 channels (x values given as 16 int8 each) against the packed pair at w. */
#define PAIR(va, vb, w)                                                                                        \
    do {                                                                                                       \
        const __m256i x0_ = _mm256_cvtepi8_epi16(va), x1_ = _mm256_cvtepi8_epi16(vb);                          \
        acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0_, x1_),                   \
                                                            _mm256_loadu_si256((const __m256i *)(w))));        \
        acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0_, x1_),                   \
                                                            _mm256_loadu_si256((const __m256i *)((w) + 32)))); \
    } while (0)

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_9p16c__avx2) {
    ET_QDWCONV_REQUIRE(9);
    (void)ks; /* always 9 */
    const __m256 hi = _mm256_set1_ps(params->out_hi);
    const __m128i qmin = _mm_set1_epi8((char)((int32_t)params->out_lo + params->out_zp));
    const __m256i zp = _mm256_set1_epi16((short)params->out_zp), rzp = _mm256_set1_epi32(params->residual_zp);
    const __m256 rs = _mm256_set1_ps(params->residual_scale);
    const __m128i acc_order = _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    const __m128i zero16 = _mm_setzero_si128();
    for (size_t x = 0; x < output_width; x++, input += input_stride, output += output_stride) {
        const int8_t *i0 = tap(input[0], zero, input_offset), *i1 = tap(input[1], zero, input_offset);
        const int8_t *i2 = tap(input[2], zero, input_offset), *i3 = tap(input[3], zero, input_offset);
        const int8_t *i4 = tap(input[4], zero, input_offset), *i5 = tap(input[5], zero, input_offset);
        const int8_t *i6 = tap(input[6], zero, input_offset), *i7 = tap(input[7], zero, input_offset);
        const int8_t *i8 = tap(input[8], zero, input_offset);
        const int8_t *rx = r ? r + x * r_stride : NULL;
        const uint8_t *wp = weights;
        for (size_t c = 0; c < channels; c += 16, wp += 64 + 5 * 64 + 64) {
            const size_t n = channels - c < 16 ? channels - c : 16;
            __m256i acc_lo = _mm256_loadu_si256((const __m256i *)wp);
            __m256i acc_hi = _mm256_loadu_si256((const __m256i *)(wp + 32));
            const uint8_t *w = wp + 64;
            if (n == 16) {
                PAIR(_mm_loadu_si128((const __m128i *)(i0 + c)), _mm_loadu_si128((const __m128i *)(i1 + c)), w);
                PAIR(_mm_loadu_si128((const __m128i *)(i2 + c)), _mm_loadu_si128((const __m128i *)(i3 + c)), w + 64);
                PAIR(_mm_loadu_si128((const __m128i *)(i4 + c)), _mm_loadu_si128((const __m128i *)(i5 + c)), w + 128);
                PAIR(_mm_loadu_si128((const __m128i *)(i6 + c)), _mm_loadu_si128((const __m128i *)(i7 + c)), w + 192);
                PAIR(_mm_loadu_si128((const __m128i *)(i8 + c)), zero16, w + 256);
            } else {
                PAIR(load16(i0 + c, n), load16(i1 + c, n), w);
                PAIR(load16(i2 + c, n), load16(i3 + c, n), w + 64);
                PAIR(load16(i4 + c, n), load16(i5 + c, n), w + 128);
                PAIR(load16(i6 + c, n), load16(i7 + c, n), w + 192);
                PAIR(load16(i8 + c, n), zero16, w + 256);
            }
            const float *s = (const float *)(const void *)(w + 5 * 64);
            __m256 f_lo = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_lo), _mm256_loadu_ps(s));
            __m256 f_hi = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_hi), _mm256_loadu_ps(s + 8));
            if (rx) {
                const __m128i rv = _mm_shuffle_epi8(load16(rx + c, n), acc_order);
                const __m256i r_lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(rv), rzp);
                const __m256i r_hi = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(rv, 8)), rzp);
                f_lo = _mm256_add_ps(f_lo, _mm256_mul_ps(_mm256_cvtepi32_ps(r_lo), rs));
                f_hi = _mm256_add_ps(f_hi, _mm256_mul_ps(_mm256_cvtepi32_ps(r_hi), rs));
            }
            f_lo = _mm256_min_ps(f_lo, hi);
            f_hi = _mm256_min_ps(f_hi, hi);
            __m256i v = _mm256_adds_epi16(_mm256_packs_epi32(_mm256_cvtps_epi32(f_lo), _mm256_cvtps_epi32(f_hi)), zp);
            const __m128i o = _mm_max_epi8(_mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)),
                                           qmin);
            if (n == 16) {
                _mm_storeu_si128((__m128i *)(output + c), o);
            } else {
                int8_t tmp[16];
                _mm_storeu_si128((__m128i *)tmp, o);
                memcpy(output + c, tmp, n);
            }
        }
    }
}
