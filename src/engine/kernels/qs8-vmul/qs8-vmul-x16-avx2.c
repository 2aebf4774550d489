/* qs8-vmul-x16-avx2.c: AVX2 int8 multiply (see qs8-vmul.h): 16 elements per step, the steps of the scalar rule
 * (exact int32 product, one float product, clamp, cvtps_epi32 = lrintf).
 *
 * The zero points are subtracted in int16 (|a - zp_a| <= 255), and the exact int32 products come from
 * vpmullw / vpmulhw interleaved (vpunpck{l,h}wd): elements 0-3, 8-11 in one vector and 4-7, 12-15 in the other,
 * the order vpackssdw puts back in order for free (no vpmulld, no lane permute). The lower clamp comes after the
 * saturating packs (one vpmaxsb; see qc8-dwconv-9p16c-avx2.c: the bounds are integers, so it gives the same int8).
 * A tail of n % 16 elements (n >= 16) is the last 16 elements, computed before the loop and stored after it: the
 * overlap gets the same bytes twice, and loading it first keeps y == a or y == b correct. Under 16 elements, or a
 * zero point outside int8 (which no int8 tensor has; a - zp_a would leave int16): the scalar rule, one at a time
 * (the SE blocks of MobileNetV3 have 16 channels or more). The rows form builds the constants once for all rows;
 * with 16 channels the gate is centred once and every row is one block. */
#include <immintrin.h>

#include "engine/kernels/qs8-vmul/qs8-vmul.h"

typedef struct {
    __m256i za, zb, zy;
    __m256 m, hi;
    __m128i qmin;
} consts;

/* The int8 results of a[0..15] times b16 (16 centred int16 values of b). */
static inline __m128i mul16(const int8_t *a, __m256i b16, const consts *k) {
    const __m256i a16 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)a)), k->za);
    const __m256i lo = _mm256_mullo_epi16(a16, b16), hi = _mm256_mulhi_epi16(a16, b16);
    const __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_unpacklo_epi16(lo, hi)), k->m); /* 0-3, 8-11 */
    const __m256 f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_unpackhi_epi16(lo, hi)), k->m); /* 4-7, 12-15 */
    const __m256i v = _mm256_adds_epi16(_mm256_packs_epi32(_mm256_cvtps_epi32(_mm256_min_ps(f0, k->hi)),
                                                           _mm256_cvtps_epi32(_mm256_min_ps(f1, k->hi))),
                                        k->zy);
    return _mm_max_epi8(_mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)), k->qmin);
}

static inline __m256i centred_b(const int8_t *b, const consts *k) {
    return _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b)), k->zb);
}

/* Every element, b a vector (b_scalar 0) or b_one for all (inlined with a constant b_scalar). */
static inline __attribute__((always_inline)) void mul_all(size_t n, const int8_t *a, const int8_t *b, int b_scalar,
                                                          __m256i b_one, int8_t *y, const consts *k) {
    const size_t last = n - 16; /* the tail block, computed before anything is stored */
    __m128i tail = _mm_setzero_si128();
    if (n % 16)
        tail = mul16(a + last, b_scalar ? b_one : centred_b(b + last, k), k);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(y + i), mul16(a + i, b_scalar ? b_one : centred_b(b + i, k), k));
    if (i < n)
        _mm_storeu_si128((__m128i *)(y + last), tail);
}

/* Whether n elements take the vector path: at least one block, int8 zero points. */
static inline int vector_path(size_t n, const et_qs8_mul_params *p) {
    return n >= 16 && p->a_zp >= -128 && p->a_zp <= 127 && p->b_zp >= -128 && p->b_zp <= 127;
}

static inline consts make_consts(const et_qs8_mul_params *p) {
    return (consts){.za = _mm256_set1_epi16((short)p->a_zp),
                    .zb = _mm256_set1_epi16((short)p->b_zp),
                    .zy = _mm256_set1_epi16((short)p->out.out_zp),
                    .m = _mm256_set1_ps(p->mult),
                    .hi = _mm256_set1_ps(p->out.out_hi),
                    .qmin = _mm_set1_epi8((char)((int32_t)p->out.out_lo + p->out.out_zp))};
}

ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x16__avx2) {
    ET_QS8_VMUL_REQUIRE();
    if (!vector_path(n, p)) {
        for (size_t i = 0; i < n; i++) {
            const int32_t prod = ((int32_t)a[i] - p->a_zp) * ((int32_t)b[b_scalar ? 0 : i] - p->b_zp);
            y[i] = et_qs8_round_clamp((float)prod * p->mult, &p->out);
        }
        return;
    }
    const consts k = make_consts(p);
    if (b_scalar)
        mul_all(n, a, b, 1, _mm256_set1_epi16((short)((int32_t)b[0] - p->b_zp)), y, &k);
    else
        mul_all(n, a, b, 0, _mm256_setzero_si256(), y, &k);
}

ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x16__avx2) {
    ET_QS8_VMUL_ROWS_REQUIRE();
    if (!vector_path(n, p)) {
        for (size_t r = 0; r < rows; r++)
            et_qs8_vmul_ukernel_x16__avx2(n, a + r * n, b, 0, y + r * n, p);
        return;
    }
    const consts k = make_consts(p);
    if (n == 16) {
        const __m256i b16 = centred_b(b, &k);
        for (size_t r = 0; r < rows; r++)
            _mm_storeu_si128((__m128i *)(y + r * 16), mul16(a + r * 16, b16, &k));
        return;
    }
    for (size_t r = 0; r < rows; r++)
        mul_all(n, a + r * n, b, 0, _mm256_setzero_si256(), y + r * n, &k);
}
