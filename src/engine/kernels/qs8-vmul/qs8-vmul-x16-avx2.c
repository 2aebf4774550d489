/* qs8-vmul-x16-avx2.c: AVX2 int8 multiply (see qs8-vmul.h): 16 elements per step, the steps of the scalar rule
 * (exact int32 product, one float product, clamp, cvtps_epi32 = lrintf), the tail one element at a time. */
#include <immintrin.h>

#include "engine/kernels/qs8-vmul/qs8-vmul.h"

/* The 16 int8 of v minus zp, as two ymm of int32. */
static inline void centred(__m128i v, __m256i zp, __m256i *lo, __m256i *hi) {
    *lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(v), zp);
    *hi = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)), zp);
}

ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x16__avx2) {
    ET_QS8_VMUL_REQUIRE();
    if (n == 0)
        return;
    const __m256 m = _mm256_set1_ps(p->mult);
    const __m256i za = _mm256_set1_epi32(p->a_zp), zb = _mm256_set1_epi32(p->b_zp);
    const __m256 lo = _mm256_set1_ps(p->out.out_lo), hi = _mm256_set1_ps(p->out.out_hi);
    const __m256i zy = _mm256_set1_epi16((short)p->out.out_zp);
    __m256i b_lo, b_hi;
    centred(_mm_set1_epi8(b[0]), zb, &b_lo, &b_hi);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a_lo, a_hi;
        centred(_mm_loadu_si128((const __m128i *)(a + i)), za, &a_lo, &a_hi);
        if (!b_scalar)
            centred(_mm_loadu_si128((const __m128i *)(b + i)), zb, &b_lo, &b_hi);
        const __m256 f_lo = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(a_lo, b_lo)), m);
        const __m256 f_hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(a_hi, b_hi)), m);
        const __m256 c_lo = _mm256_min_ps(_mm256_max_ps(f_lo, lo), hi);
        const __m256 c_hi = _mm256_min_ps(_mm256_max_ps(f_hi, lo), hi);
        __m256i v = _mm256_packs_epi32(_mm256_cvtps_epi32(c_lo), _mm256_cvtps_epi32(c_hi));
        v = _mm256_adds_epi16(_mm256_permute4x64_epi64(v, 0xD8), zy);
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
    }
    for (; i < n; i++) {
        const int32_t prod = ((int32_t)a[i] - p->a_zp) * ((int32_t)b[b_scalar ? 0 : i] - p->b_zp);
        y[i] = et_qs8_round_clamp((float)prod * p->mult, &p->out);
    }
}
