/* qs8-gavgpool-c64-avx512f.c: AVX-512 int8 global pooling (see qs8-gavgpool.h): 64 channels at a time, each
 * pixel's bytes sign-extended straight to int32 (vpmovsxbd, 16 channels each) into four accumulators; then 16
 * channels at a time, then one masked block for the last < 16 (masked bytes are not read). The sums are exact
 * int32 as in the scalar rule, and the requantization is the scalar rule per channel, so the bytes are
 * qc8-ref's. MobileNetV3-Small's SE pools have 16 to 576 channels over 7x7 to 56x56 pixels. */
#include <immintrin.h>

#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"

static inline int8_t finish(int32_t sum, size_t pixels, const et_qs8_gavgpool_params *p) {
    return et_qs8_round_clamp((float)(sum - (int32_t)pixels * p->x_zp) * p->mult, &p->out);
}

/* The first count (<= 16) sums in s, requantized into y[0 .. count). */
static inline void store16(__m512i s, size_t count, size_t pixels, const et_qs8_gavgpool_params *p, int8_t *y) {
    int32_t sum[16];
    _mm512_storeu_si512(sum, s);
    for (size_t k = 0; k < count; k++)
        y[k] = finish(sum[k], pixels, p);
}

ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c64__avx512f) {
    ET_QS8_GAVGPOOL_REQUIRE();
    size_t c = 0;
    for (; c + 64 <= channels; c += 64) {
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t px = 0; px < pixels; px++) {
            const int8_t *r = x + px * x_stride + c;
            s0 = _mm512_add_epi32(s0, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(r + 0))));
            s1 = _mm512_add_epi32(s1, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(r + 16))));
            s2 = _mm512_add_epi32(s2, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(r + 32))));
            s3 = _mm512_add_epi32(s3, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(r + 48))));
        }
        store16(s0, 16, pixels, p, y + c);
        store16(s1, 16, pixels, p, y + c + 16);
        store16(s2, 16, pixels, p, y + c + 32);
        store16(s3, 16, pixels, p, y + c + 48);
    }
    for (; c < channels; c += 16) {
        const size_t count = channels - c < 16 ? channels - c : 16;
        const __mmask16 m = (__mmask16)((1u << count) - 1);
        __m512i s0 = _mm512_setzero_si512(), s1 = s0; /* two chains: even and odd pixels */
        size_t px = 0;
        for (; px + 2 <= pixels; px += 2) {
            s0 = _mm512_add_epi32(s0, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x + px * x_stride + c)));
            s1 = _mm512_add_epi32(s1, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x + (px + 1) * x_stride + c)));
        }
        if (px < pixels)
            s0 = _mm512_add_epi32(s0, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x + px * x_stride + c)));
        store16(_mm512_add_epi32(s0, s1), count, pixels, p, y + c);
    }
}
