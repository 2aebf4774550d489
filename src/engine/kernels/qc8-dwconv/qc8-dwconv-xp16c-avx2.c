/* qc8-dwconv-xp16c-avx2.c: AVX2 quantized depthwise kernel, any number of taps, 16 channels at a time (see
 * qc8-dwconv.h, layout S16_PAIRS).
 *
 * Taps go in pairs: the 16 int8 inputs of taps t and t+1 are widened to int16 and interleaved (vpunpck{l,h}wd),
 * so one vpmaddwd against the packed (w_t, w_t+1) pairs adds two taps of 8 channels into int32 - exact, and two
 * taps per multiply-add instead of one. The interleave leaves channels 0-3/8-11 in one accumulator and 4-7/12-15
 * in the other; bias, scales and the residual use that order, and vpackssdw puts the channels back in order for
 * free. Channel tails (< 16) load and store only the bytes that exist, with overlapping loads and stores
 * (qc8-dwconv-avx2.h). The lower clamp comes after the packs (one vpmaxsb; see qc8-dwconv-9p16c-avx2.c).
 *
 * 25 taps (5x5, MobileNetV3-Small's int8 depthwise layers) get the same body with the tap count a compile-time
 * constant: the 13 tap pairs unrolled, the accumulators in registers. The loop over tap pairs cost 17
 * instructions a pair (pointer loads, counter, compare, branch, two register copies GCC made of the accumulators
 * it updated through pointers) for 8 that do the work; unrolled about 10. */
#include <immintrin.h>
#include <stdbool.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv-avx2.h"
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

/* acc += the two widened taps x0, x1 of 16 channels against the packed pair at w. */
static inline void pair16(__m256i x0, __m256i x1, const uint8_t *w, __m256i *acc_lo, __m256i *acc_hi) {
    *acc_lo = _mm256_add_epi32(*acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                          _mm256_loadu_si256((const __m256i *)w)));
    *acc_hi = _mm256_add_epi32(*acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                          _mm256_loadu_si256((const __m256i *)(w + 32))));
}

/* 16 channels at p: all 16 bytes (tail NULL) or the tail's. Inlined with a constant tail, so that the full tiles'
 * loop has no test per tap. */
static inline __attribute__((always_inline)) __m256i widen16(const int8_t *p, const et_qdw_tail *tail) {
    return _mm256_cvtepi8_epi16(tail ? et_qdw_load_tail(p, tail) : _mm_loadu_si128((const __m128i *)p));
}

/* Accumulates the 16 channels at c over ks taps (pointers px) into acc_lo / acc_hi, weights from *wp on. */
static inline __attribute__((always_inline)) void taps16(const int8_t *const *px, size_t ks, size_t c,
                                                         const et_qdw_tail *tail, const uint8_t **wp, __m256i *acc_lo,
                                                         __m256i *acc_hi) {
    const uint8_t *w = *wp;
    size_t t = 0;
    for (; t + 2 <= ks; t += 2, w += 64)
        pair16(widen16(px[t] + c, tail), widen16(px[t + 1] + c, tail), w, acc_lo, acc_hi);
    if (t < ks) { /* an odd last tap pairs with zero weights */
        pair16(widen16(px[t] + c, tail), _mm256_setzero_si256(), w, acc_lo, acc_hi);
        w += 64;
    }
    *wp = w;
}

enum { MAX_TAPS = 64, FIXED_TAPS = 25 }; /* tap pointers resolved once per pixel; larger kernels resolve in chunks */

/* taps16 for exactly FIXED_TAPS taps, unrolled, accumulating in locals (see the top of the file). */
static inline __attribute__((always_inline)) void taps16_fixed(const int8_t *const *px, size_t c,
                                                               const et_qdw_tail *tail, const uint8_t **wp,
                                                               __m256i *acc_lo, __m256i *acc_hi) {
    const uint8_t *w = *wp;
    __m256i lo = *acc_lo, hi = *acc_hi;
#pragma GCC unroll 16
    for (size_t t = 0; t + 2 <= FIXED_TAPS; t += 2, w += 64) {
        pair16(widen16(px[t] + c, tail), widen16(px[t + 1] + c, tail), w, &lo, &hi);
        /* keep the sums a chain: GCC would reassociate them into a tree that holds more partial sums than there
         * are registers, and spill them */
        __asm__("" : "+x"(lo), "+x"(hi));
    }
    if (FIXED_TAPS % 2) {
        pair16(widen16(px[FIXED_TAPS - 1] + c, tail), _mm256_setzero_si256(), w, &lo, &hi);
        w += 64;
    }
    *acc_lo = lo, *acc_hi = hi;
    *wp = w;
}

/* One tile of 16 channels (or the tail) of one pixel: the taps, then requantization and the store. fixed (a
 * compile-time constant): ks == FIXED_TAPS. */
static inline __attribute__((always_inline)) void tile(size_t c, size_t ks, const void **input, const int8_t **px,
                                                       size_t input_offset, const void *zero, const int8_t *rx,
                                                       const et_qdw_tail *tail, const uint8_t **wp, int8_t *output,
                                                       const et_qdw_rq *q, const bool fixed) {
    const uint8_t *w = *wp;
    __m256i acc_lo = _mm256_loadu_si256((const __m256i *)w);
    __m256i acc_hi = _mm256_loadu_si256((const __m256i *)(w + 32));
    w += 64;
    if (fixed) {
        taps16_fixed(px, c, tail, &w, &acc_lo, &acc_hi);
    } else {
        for (size_t t0 = 0; t0 < ks; t0 += MAX_TAPS) { /* one chunk for every kernel up to 8x8 */
            const size_t kn = ks - t0 < MAX_TAPS ? ks - t0 : MAX_TAPS;
            if (ks > MAX_TAPS)
                et_qdw_resolve(input, t0, kn, input_offset, zero, px);
            taps16(px, kn, c, tail, &w, &acc_lo, &acc_hi);
        }
    }
    __m128i rv = _mm_setzero_si128();
    if (rx)
        rv = tail ? et_qdw_load_tail(rx + c, tail) : _mm_loadu_si128((const __m128i *)(rx + c));
    const __m128i o = et_qdw_requant(acc_lo, acc_hi, (const float *)(const void *)w, rx != NULL, rv, q);
    *wp = w + 64;
    if (tail)
        et_qdw_store_tail(output + c, o, tail);
    else
        _mm_storeu_si128((__m128i *)(output + c), o);
}

/* The kernel's pixels; fixed as for tile. */
static inline __attribute__((always_inline)) void pixels(size_t channels, size_t output_width, size_t ks,
                                                         const void **input, const void *weights, int8_t *output,
                                                         size_t input_stride, size_t output_stride, size_t input_offset,
                                                         const void *zero, const int8_t *r, size_t r_stride,
                                                         const et_qs8_requant_params *params, const bool fixed) {
    const et_qdw_rq q = et_qdw_rq_init(params);
    const size_t full = channels & ~(size_t)15;
    const et_qdw_tail tail = et_qdw_tail_init(channels - full);
    const int8_t *px[MAX_TAPS];
    for (size_t x = 0; x < output_width; x++, input += input_stride, output += output_stride) {
        const uint8_t *wp = weights;
        const int8_t *rx = r ? r + x * r_stride : NULL;
        if (ks <= MAX_TAPS)
            et_qdw_resolve(input, 0, ks, input_offset, zero, px);
        size_t c = 0;
        for (; c < full; c += 16)
            tile(c, ks, input, px, input_offset, zero, rx, NULL, &wp, output, &q, fixed);
        if (c < channels)
            tile(c, ks, input, px, input_offset, zero, rx, &tail, &wp, output, &q, fixed);
    }
}

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp16c__avx2) {
    ET_QDWCONV_REQUIRE(0);
    if (ks == FIXED_TAPS)
        pixels(channels, output_width, FIXED_TAPS, input, weights, output, input_stride, output_stride, input_offset,
               zero, r, r_stride, params, true);
    else
        pixels(channels, output_width, ks, input, weights, output, input_stride, output_stride, input_offset, zero, r,
               r_stride, params, false);
}
