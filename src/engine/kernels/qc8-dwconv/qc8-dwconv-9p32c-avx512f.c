/* qc8-dwconv-9p32c-avx512f.c: AVX-512BW quantized depthwise kernel for exactly 9 taps (3x3), 32 channels at a time
 * (see qc8-dwconv.h, layout S16_PAIRS with a tile of 32; the arithmetic of qc8-dwconv-avx512.h). The CPUs with
 * AVX-512 run this one instead of qc8-dwconv-9p16c-avx2.c: per 32 channels the same instruction count the AVX2
 * kernel spends on 16, and the channel tail through a byte mask instead of overlapping loads and shuffles.
 *
 * The nine tap pointers of a pixel live in registers for the whole channel loop; taps 0-7 go in four pairs, tap 8
 * pairs with zero. */
#include <immintrin.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv-avx512.h"
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

enum { TILE_BYTES = 128 + 5 * 128 + 128 }; /* bias, 5 tap pairs, scales */

/* One tile of 32 channels at c (masked: the tail, bytes of m) of one pixel whose taps are i[0..8]. */
static inline __attribute__((always_inline)) void tile(const int8_t *const *i, size_t c, int masked, __mmask32 m,
                                                       const uint8_t *wp, const int8_t *rx, int8_t *output,
                                                       const et_qdw512_rq *q) {
    __m512i lo = _mm512_loadu_si512(wp), hi = _mm512_loadu_si512(wp + 64);
    const uint8_t *w = wp + 128;
    et_qdw512_pair(et_qdw512_load(i[0] + c, masked, m), et_qdw512_load(i[1] + c, masked, m), w, &lo, &hi);
    et_qdw512_pair(et_qdw512_load(i[2] + c, masked, m), et_qdw512_load(i[3] + c, masked, m), w + 128, &lo, &hi);
    et_qdw512_pair(et_qdw512_load(i[4] + c, masked, m), et_qdw512_load(i[5] + c, masked, m), w + 256, &lo, &hi);
    et_qdw512_pair(et_qdw512_load(i[6] + c, masked, m), et_qdw512_load(i[7] + c, masked, m), w + 384, &lo, &hi);
    et_qdw512_pair(et_qdw512_load(i[8] + c, masked, m), _mm256_setzero_si256(), w + 512, &lo, &hi);
    const __m256i rv = rx ? et_qdw512_load(rx + c, masked, m) : _mm256_setzero_si256();
    const __m256i o = et_qdw512_requant(lo, hi, (const float *)(const void *)(w + 5 * 128), rx != NULL, rv, q);
    et_qdw512_store(output + c, o, masked, m);
}

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_9p32c__avx512f) {
    ET_QDWCONV_REQUIRE(9);
    (void)ks; /* always 9 */
    const et_qdw512_rq q = et_qdw512_rq_init(params);
    const size_t full = channels & ~(size_t)31;
    const __mmask32 m = et_qdw512_tail_mask(channels - full);
    for (size_t x = 0; x < output_width; x++, input += input_stride, output += output_stride) {
        /* written out, not a loop: the compiler keeps the nine pointers in registers (a loop left them on the
         * stack, three instructions per tap load in the tail and 60 per pixel to resolve them) */
        const int8_t *const i[9] = {et_qdw_tap(input[0], zero, input_offset), et_qdw_tap(input[1], zero, input_offset),
                                    et_qdw_tap(input[2], zero, input_offset), et_qdw_tap(input[3], zero, input_offset),
                                    et_qdw_tap(input[4], zero, input_offset), et_qdw_tap(input[5], zero, input_offset),
                                    et_qdw_tap(input[6], zero, input_offset), et_qdw_tap(input[7], zero, input_offset),
                                    et_qdw_tap(input[8], zero, input_offset)};
        const int8_t *rx = r ? r + x * r_stride : NULL;
        const uint8_t *wp = weights;
        size_t c = 0;
        for (; c < full; c += 32, wp += TILE_BYTES)
            tile(i, c, 0, 0, wp, rx, output, &q);
        if (c < channels)
            tile(i, c, 1, m, wp, rx, output, &q);
    }
}
