/* qc8-dwconv-9p16c-avx2.c: AVX2 quantized depthwise kernel for exactly 9 taps (3x3, the common case), 16
 * channels at a time (see qc8-dwconv.h, layout S16_PAIRS; the arithmetic of qc8-dwconv-xp16c-avx2.c).
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
 * and packsswb. Bit-exact with et_qs8_requantize. A channel tail (channels % 16) is loaded and stored with
 * overlapping loads and stores of exactly its bytes (qc8-dwconv-avx2.h), not through memcpy. */
#include <immintrin.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv-avx2.h"
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

/* acc += taps a, b of 16 channels (x values given as 16 int8 each) against the packed pair at w. */
#define PAIR(va, vb, w)                                                                                        \
    do {                                                                                                       \
        const __m256i x0_ = _mm256_cvtepi8_epi16(va), x1_ = _mm256_cvtepi8_epi16(vb);                          \
        acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0_, x1_),                   \
                                                            _mm256_loadu_si256((const __m256i *)(w))));        \
        acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0_, x1_),                   \
                                                            _mm256_loadu_si256((const __m256i *)((w) + 32)))); \
    } while (0)

/* The nine taps of one tile (16 channels at c), each loaded by LOAD(pointer). */
#define NINE_TAPS(LOAD)                            \
    do {                                           \
        PAIR(LOAD(i0 + c), LOAD(i1 + c), w);       \
        PAIR(LOAD(i2 + c), LOAD(i3 + c), w + 64);  \
        PAIR(LOAD(i4 + c), LOAD(i5 + c), w + 128); \
        PAIR(LOAD(i6 + c), LOAD(i7 + c), w + 192); \
        PAIR(LOAD(i8 + c), zero16, w + 256);       \
    } while (0)

enum { TILE_BYTES = 64 + 5 * 64 + 64 }; /* bias, 5 tap pairs, scales */

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_9p16c__avx2) {
    ET_QDWCONV_REQUIRE(9);
    (void)ks; /* always 9 */
    const et_qdw_rq q = et_qdw_rq_init(params);
    const size_t full = channels & ~(size_t)15;
    const et_qdw_tail tail = et_qdw_tail_init(channels - full);
    const __m128i zero16 = _mm_setzero_si128();
    for (size_t x = 0; x < output_width; x++, input += input_stride, output += output_stride) {
        const int8_t *i0 = et_qdw_tap(input[0], zero, input_offset), *i1 = et_qdw_tap(input[1], zero, input_offset);
        const int8_t *i2 = et_qdw_tap(input[2], zero, input_offset), *i3 = et_qdw_tap(input[3], zero, input_offset);
        const int8_t *i4 = et_qdw_tap(input[4], zero, input_offset), *i5 = et_qdw_tap(input[5], zero, input_offset);
        const int8_t *i6 = et_qdw_tap(input[6], zero, input_offset), *i7 = et_qdw_tap(input[7], zero, input_offset);
        const int8_t *i8 = et_qdw_tap(input[8], zero, input_offset);
        const int8_t *rx = r ? r + x * r_stride : NULL;
        const uint8_t *wp = weights;
        size_t c = 0;
        for (; c < full; c += 16, wp += TILE_BYTES) {
            __m256i acc_lo = _mm256_loadu_si256((const __m256i *)wp);
            __m256i acc_hi = _mm256_loadu_si256((const __m256i *)(wp + 32));
            const uint8_t *w = wp + 64;
#define LOAD_FULL(p) _mm_loadu_si128((const __m128i *)(p))
            NINE_TAPS(LOAD_FULL);
            const __m128i rv = rx ? LOAD_FULL(rx + c) : zero16;
#undef LOAD_FULL
            const __m128i o = et_qdw_requant(acc_lo, acc_hi, (const float *)(const void *)(w + 5 * 64), rx != NULL, rv,
                                             &q);
            _mm_storeu_si128((__m128i *)(output + c), o);
        }
        if (c < channels) {
            __m256i acc_lo = _mm256_loadu_si256((const __m256i *)wp);
            __m256i acc_hi = _mm256_loadu_si256((const __m256i *)(wp + 32));
            const uint8_t *w = wp + 64;
#define LOAD_TAIL(p) et_qdw_load_tail(p, &tail)
            NINE_TAPS(LOAD_TAIL);
            const __m128i rv = rx ? LOAD_TAIL(rx + c) : zero16;
#undef LOAD_TAIL
            const __m128i o = et_qdw_requant(acc_lo, acc_hi, (const float *)(const void *)(w + 5 * 64), rx != NULL, rv,
                                             &q);
            et_qdw_store_tail(output + c, o, &tail);
        }
    }
}
