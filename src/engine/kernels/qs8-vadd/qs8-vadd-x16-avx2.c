/* qs8-vadd-x16-avx2.c: AVX2 int8 add with two scales (see qs8-vadd.h): 16 elements per step, the steps of the
 * scalar rule (two products, one sum, clamp, cvtps_epi32 = lrintf), the tail one element at a time. */
#include <immintrin.h>

#include "engine/kernels/qs8-vadd/qs8-vadd.h"

/* (x - zp) * s for the 16 int8 of v, as two ymm of floats. */
static inline void scaled(__m128i v, __m256i zp, __m256 s, __m256 *lo, __m256 *hi) {
    *lo = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(v), zp)), s);
    *hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)), zp)), s);
}

ET_QS8_VADD_UKERNEL(et_qs8_vadd_ukernel_x16__avx2) {
    ET_QS8_VADD_REQUIRE();
    if (n == 0)
        return;
    const __m256 sa = _mm256_set1_ps(p->a_scale), sb = _mm256_set1_ps(p->b_scale);
    const __m256i za = _mm256_set1_epi32(p->a_zp), zb = _mm256_set1_epi32(p->b_zp);
    const __m256 lo = _mm256_set1_ps(p->out.out_lo), hi = _mm256_set1_ps(p->out.out_hi);
    const __m256i zy = _mm256_set1_epi16((short)p->out.out_zp);
    __m256 b_lo, b_hi;
    scaled(_mm_set1_epi8(b[0]), zb, sb, &b_lo, &b_hi);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a_lo, a_hi;
        scaled(_mm_loadu_si128((const __m128i *)(a + i)), za, sa, &a_lo, &a_hi);
        if (!b_scalar)
            scaled(_mm_loadu_si128((const __m128i *)(b + i)), zb, sb, &b_lo, &b_hi);
        const __m256 f_lo = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(a_lo, b_lo), lo), hi);
        const __m256 f_hi = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(a_hi, b_hi), lo), hi);
        __m256i v = _mm256_packs_epi32(_mm256_cvtps_epi32(f_lo), _mm256_cvtps_epi32(f_hi));
        v = _mm256_adds_epi16(_mm256_permute4x64_epi64(v, 0xD8), zy);
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
    }
    for (; i < n; i++) {
        const float fa = (float)((int32_t)a[i] - p->a_zp) * p->a_scale;
        const float fb = (float)((int32_t)b[b_scalar ? 0 : i] - p->b_zp) * p->b_scale;
        y[i] = et_qs8_round_clamp(fa + fb, &p->out);
    }
}
