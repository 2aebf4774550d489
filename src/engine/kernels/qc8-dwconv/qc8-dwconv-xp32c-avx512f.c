/* qc8-dwconv-xp32c-avx512f.c: AVX-512BW quantized depthwise kernel, any number of taps (5x5 in MobileNetV3), 32
 * channels at a time (see qc8-dwconv.h, layout S16_PAIRS with a tile of 32; the arithmetic of
 * qc8-dwconv-avx512.h; the structure of qc8-dwconv-xp16c-avx2.c). Taps go in pairs, a last odd tap pairs with zero
 * weights; the channel tail goes through a byte mask. */
#include <immintrin.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv-avx512.h"
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

enum { MAX_TAPS = 64 }; /* tap pointers resolved once per pixel; larger kernels resolve in chunks */

/* Accumulates the 32 channels at c over kn taps (pointers px) into *lo, *hi, weights from *wp on. */
static inline __attribute__((always_inline)) void taps32(const int8_t *const *px, size_t kn, size_t c, int masked,
                                                         __mmask32 m, const uint8_t **wp, __m512i *lo, __m512i *hi) {
    const uint8_t *w = *wp;
    size_t t = 0;
    for (; t + 2 <= kn; t += 2, w += 128)
        et_qdw512_pair(et_qdw512_load(px[t] + c, masked, m), et_qdw512_load(px[t + 1] + c, masked, m), w, lo, hi);
    if (t < kn) { /* an odd last tap pairs with zero weights */
        et_qdw512_pair(et_qdw512_load(px[t] + c, masked, m), _mm256_setzero_si256(), w, lo, hi);
        w += 128;
    }
    *wp = w;
}

/* One tile of 32 channels at c (masked: the tail, bytes of m) of one pixel: the taps, requantization, the store. */
static inline __attribute__((always_inline)) void tile(size_t c, size_t ks, const void **input, const int8_t **px,
                                                       size_t input_offset, const void *zero, const int8_t *rx,
                                                       int masked, __mmask32 m, const uint8_t **wp, int8_t *output,
                                                       const et_qdw512_rq *q) {
    const uint8_t *w = *wp;
    __m512i lo = _mm512_loadu_si512(w), hi = _mm512_loadu_si512(w + 64);
    w += 128;
    for (size_t t0 = 0; t0 < ks; t0 += MAX_TAPS) { /* one chunk for every kernel up to 8x8 */
        const size_t kn = ks - t0 < MAX_TAPS ? ks - t0 : MAX_TAPS;
        if (ks > MAX_TAPS)
            et_qdw_resolve(input, t0, kn, input_offset, zero, px);
        taps32(px, kn, c, masked, m, &w, &lo, &hi);
    }
    const __m256i rv = rx ? et_qdw512_load(rx + c, masked, m) : _mm256_setzero_si256();
    const __m256i o = et_qdw512_requant(lo, hi, (const float *)(const void *)w, rx != NULL, rv, q);
    *wp = w + 128;
    et_qdw512_store(output + c, o, masked, m);
}

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp32c__avx512f) {
    ET_QDWCONV_REQUIRE(0);
    const et_qdw512_rq q = et_qdw512_rq_init(params);
    const size_t full = channels & ~(size_t)31;
    const __mmask32 m = et_qdw512_tail_mask(channels - full);
    const int8_t *px[MAX_TAPS];
    for (size_t x = 0; x < output_width; x++, input += input_stride, output += output_stride) {
        const uint8_t *wp = weights;
        const int8_t *rx = r ? r + x * r_stride : NULL;
        if (ks <= MAX_TAPS)
            et_qdw_resolve(input, 0, ks, input_offset, zero, px);
        size_t c = 0;
        for (; c < full; c += 32)
            tile(c, ks, input, px, input_offset, zero, rx, 0, 0, &wp, output, &q);
        if (c < channels)
            tile(c, ks, input, px, input_offset, zero, rx, 1, m, &wp, output, &q);
    }
}
