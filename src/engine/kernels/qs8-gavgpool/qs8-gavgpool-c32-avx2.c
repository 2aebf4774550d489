/* qs8-gavgpool-c32-avx2.c: AVX2 int8 global pooling (see qs8-gavgpool.h): 32 channels at a time, each pixel's 32
 * bytes widened to int16 and added pairwise into four int32 accumulators; 8-channel steps, then single channels
 * for the rest; the requantization is the scalar rule per channel (at most a few hundred per call). */
#include <immintrin.h>

#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"

static inline int8_t finish(int32_t sum, size_t pixels, const et_qs8_gavgpool_params *p) {
    return et_qs8_round_clamp((float)(sum - (int32_t)pixels * p->x_zp) * p->mult, &p->out);
}

ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c32__avx2) {
    ET_QS8_GAVGPOOL_REQUIRE();
    size_t c = 0;
    int32_t sum[32];
    for (; c + 32 <= channels; c += 32) {
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t px = 0; px < pixels; px++) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(x + px * x_stride + c));
            const __m256i w0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v));
            const __m256i w1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1));
            s0 = _mm256_add_epi32(s0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(w0)));
            s1 = _mm256_add_epi32(s1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(w0, 1)));
            s2 = _mm256_add_epi32(s2, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(w1)));
            s3 = _mm256_add_epi32(s3, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(w1, 1)));
        }
        _mm256_storeu_si256((__m256i *)(sum + 0), s0);
        _mm256_storeu_si256((__m256i *)(sum + 8), s1);
        _mm256_storeu_si256((__m256i *)(sum + 16), s2);
        _mm256_storeu_si256((__m256i *)(sum + 24), s3);
        for (size_t k = 0; k < 32; k++)
            y[c + k] = finish(sum[k], pixels, p);
    }
    for (; c + 8 <= channels; c += 8) {
        __m256i s = _mm256_setzero_si256();
        for (size_t px = 0; px < pixels; px++)
            s = _mm256_add_epi32(s, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(x + px * x_stride + c))));
        _mm256_storeu_si256((__m256i *)sum, s);
        for (size_t k = 0; k < 8; k++)
            y[c + k] = finish(sum[k], pixels, p);
    }
    for (; c < channels; c++) {
        int32_t s = 0;
        for (size_t px = 0; px < pixels; px++)
            s += x[px * x_stride + c];
        y[c] = finish(s, pixels, p);
    }
}
