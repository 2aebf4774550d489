/* qc8-dwconv-xp16c-avx2.c: AVX2 quantized depthwise kernel, any number of taps, 16 channels at a time (see
 * qc8-dwconv.h, layout S16_PAIRS16).
 *
 * Taps go in pairs: the 16 int8 inputs of taps t and t+1 are widened to int16 and interleaved (vpunpck{l,h}wd),
 * so one vpmaddwd against the packed (w_t, w_t+1) pairs adds two taps of 8 channels into int32 - exact, and two
 * taps per multiply-add instead of one. The interleave leaves channels 0-3/8-11 in one accumulator and 4-7/12-15
 * in the other; bias, scales and the residual use that order, and vpackssdw puts the channels back in order for
 * free. Channel tails (< 16) load and store only the bytes that exist. The lower clamp comes after the packs
 * (one vpmaxsb; see qc8-dwconv-9p16c-avx2.c). */
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

static inline void store16(int8_t *c, __m128i v, size_t n) {
    if (n >= 16) {
        _mm_storeu_si128((__m128i *)c, v);
        return;
    }
    int8_t tmp[16];
    _mm_storeu_si128((__m128i *)tmp, v);
    memcpy(c, tmp, n);
}

/* Accumulates 16 channels over every tap pair into acc_lo / acc_hi; `full` loads 16 bytes per tap, else n. */
static inline void taps16(const int8_t *const *px, size_t ks, size_t c, size_t n, int full, const uint8_t **wp,
                          __m256i *acc_lo, __m256i *acc_hi) {
    const uint8_t *w = *wp;
    size_t t = 0;
    for (; t + 2 <= ks; t += 2, w += 64) {
        const __m128i v0 = full ? _mm_loadu_si128((const __m128i *)(px[t] + c)) : load16(px[t] + c, n);
        const __m128i v1 = full ? _mm_loadu_si128((const __m128i *)(px[t + 1] + c)) : load16(px[t + 1] + c, n);
        const __m256i x0 = _mm256_cvtepi8_epi16(v0), x1 = _mm256_cvtepi8_epi16(v1);
        *acc_lo = _mm256_add_epi32(*acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                              _mm256_loadu_si256((const __m256i *)w)));
        *acc_hi = _mm256_add_epi32(*acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                              _mm256_loadu_si256((const __m256i *)(w + 32))));
    }
    if (t < ks) { /* an odd last tap pairs with zero weights */
        const __m128i v0 = full ? _mm_loadu_si128((const __m128i *)(px[t] + c)) : load16(px[t] + c, n);
        const __m256i x0 = _mm256_cvtepi8_epi16(v0), z = _mm256_setzero_si256();
        *acc_lo = _mm256_add_epi32(*acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, z),
                                                              _mm256_loadu_si256((const __m256i *)w)));
        *acc_hi = _mm256_add_epi32(*acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, z),
                                                              _mm256_loadu_si256((const __m256i *)(w + 32))));
        w += 64;
    }
    *wp = w;
}

enum { MAX_TAPS = 64 }; /* tap pointers resolved once per pixel; larger kernels resolve in chunks */

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp16c__avx2) {
    ET_QDWCONV_REQUIRE(0);
    const __m256 hi = _mm256_set1_ps(params->out_hi);
    const __m128i qmin = _mm_set1_epi8((char)((int32_t)params->out_lo + params->out_zp));
    const __m256i zp = _mm256_set1_epi16((short)params->out_zp), rzp = _mm256_set1_epi32(params->residual_zp);
    const __m256 rs = _mm256_set1_ps(params->residual_scale);
    /* channel order of the accumulators: 0-3, 8-11 | 4-7, 12-15 */
    const __m128i acc_order = _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    const int8_t *px[MAX_TAPS];
    for (size_t x = 0; x < output_width; x++, input += input_stride, output += output_stride) {
        const uint8_t *wp = weights;
        for (size_t c = 0; c < channels; c += 16) {
            const size_t nch = channels - c < 16 ? channels - c : 16;
            __m256i acc_lo = _mm256_loadu_si256((const __m256i *)wp);
            __m256i acc_hi = _mm256_loadu_si256((const __m256i *)(wp + 32));
            wp += 64;
            for (size_t t0 = 0; t0 < ks; t0 += MAX_TAPS) { /* one chunk for every kernel up to 8x8 */
                const size_t kn = ks - t0 < MAX_TAPS ? ks - t0 : MAX_TAPS;
                if (c == 0 || ks > MAX_TAPS)
                    for (size_t t = 0; t < kn; t++)
                        px[t] = input[t0 + t] == zero ? (const int8_t *)zero
                                                      : (const int8_t *)((uintptr_t)input[t0 + t] + input_offset);
                taps16(px, kn, c, nch, nch == 16, &wp, &acc_lo, &acc_hi);
            }
            __m256 f_lo = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_lo), _mm256_loadu_ps((const float *)(const void *)wp));
            __m256 f_hi = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_hi),
                                        _mm256_loadu_ps((const float *)(const void *)(wp + 32)));
            wp += 64;
            if (r) {
                const __m128i rv = _mm_shuffle_epi8(load16(r + x * r_stride + c, nch), acc_order);
                const __m256i r_lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(rv), rzp);
                const __m256i r_hi = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(rv, 8)), rzp);
                f_lo = _mm256_add_ps(f_lo, _mm256_mul_ps(_mm256_cvtepi32_ps(r_lo), rs));
                f_hi = _mm256_add_ps(f_hi, _mm256_mul_ps(_mm256_cvtepi32_ps(r_hi), rs));
            }
            f_lo = _mm256_min_ps(f_lo, hi);
            f_hi = _mm256_min_ps(f_hi, hi);
            /* per 128-bit lane: [0-3 | 4-7] and [8-11 | 12-15]: in order */
            __m256i v = _mm256_packs_epi32(_mm256_cvtps_epi32(f_lo), _mm256_cvtps_epi32(f_hi));
            v = _mm256_adds_epi16(v, zp);
            store16(output + c,
                    _mm_max_epi8(_mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)), qmin),
                    nch);
        }
    }
}
