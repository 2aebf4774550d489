/* qs8-vmul-x32-avx512f.c: AVX-512 (F+BW) int8 multiply (see qs8-vmul.h): the steps of the AVX2 kernel on 32
 * elements per step. The zero points are subtracted in int16, the exact int32 products come from vpmullw /
 * vpmulhw interleaved within each 128-bit lane (vpunpck{l,h}wd), which vpackssdw puts back in order lane by lane;
 * then one float product, vcvtps2dq (= lrintf), the upper clamp in float and the lower one after the saturating
 * packs, as in qs8-vmul-x16-avx2.c: the same bytes as qc8-ref's et_qc8_mul_ref. A tail of n % 32 elements (and
 * any n under 32) is one masked block: masked lanes are neither loaded nor stored, so y == a or y == b stays
 * correct. A zero point outside int8 (which no int8 tensor has) takes the scalar rule. The rows form with 16
 * channels (MobileNetV3-Small's first SE block, 56x56 rows of 16) does two rows per block with the gate repeated. */
#include <immintrin.h>

#include "engine/kernels/qs8-vmul/qs8-vmul.h"

typedef struct {
    __m512i za, zb, zy;
    __m512 m, hi;
    __m256i qmin;
} consts;

/* The int8 results of the 32 int8 values a32 times b32 (32 centred int16 values of b). */
static inline __m256i mul32(__m256i a32, __m512i b32, const consts *k) {
    const __m512i a16 = _mm512_sub_epi16(_mm512_cvtepi8_epi16(a32), k->za);
    const __m512i lo = _mm512_mullo_epi16(a16, b32), hi = _mm512_mulhi_epi16(a16, b32);
    const __m512 f0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_unpacklo_epi16(lo, hi)), k->m);
    const __m512 f1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_unpackhi_epi16(lo, hi)), k->m);
    const __m512i v = _mm512_adds_epi16(_mm512_packs_epi32(_mm512_cvtps_epi32(_mm512_min_ps(f0, k->hi)),
                                                           _mm512_cvtps_epi32(_mm512_min_ps(f1, k->hi))),
                                        k->zy);
    return _mm256_max_epi8(_mm512_cvtsepi16_epi8(v), k->qmin);
}

static inline __m512i centred_b(__m256i b32, const consts *k) {
    return _mm512_sub_epi16(_mm512_cvtepi8_epi16(b32), k->zb);
}

/* Every element, b a vector (b_scalar 0) or b_one for all (inlined with a constant b_scalar). */
static inline __attribute__((always_inline)) void mul_all(size_t n, const int8_t *a, const int8_t *b, int b_scalar,
                                                          __m512i b_one, int8_t *y, const consts *k) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512i bv = b_scalar ? b_one : centred_b(_mm256_loadu_si256((const __m256i *)(b + i)), k);
        _mm256_storeu_si256((__m256i *)(y + i), mul32(_mm256_loadu_si256((const __m256i *)(a + i)), bv, k));
    }
    if (i < n) {
        const __mmask32 m = (__mmask32)((1ull << (n - i)) - 1);
        const __m512i bv = b_scalar ? b_one : centred_b(_mm256_maskz_loadu_epi8(m, b + i), k);
        _mm256_mask_storeu_epi8(y + i, m, mul32(_mm256_maskz_loadu_epi8(m, a + i), bv, k));
    }
}

/* Whether the zero points are int8 (a - zp_a then fits int16). */
static inline int vector_path(const et_qs8_mul_params *p) {
    return p->a_zp >= -128 && p->a_zp <= 127 && p->b_zp >= -128 && p->b_zp <= 127;
}

static inline consts make_consts(const et_qs8_mul_params *p) {
    return (consts){.za = _mm512_set1_epi16((short)p->a_zp),
                    .zb = _mm512_set1_epi16((short)p->b_zp),
                    .zy = _mm512_set1_epi16((short)p->out.out_zp),
                    .m = _mm512_set1_ps(p->mult),
                    .hi = _mm512_set1_ps(p->out.out_hi),
                    .qmin = _mm256_set1_epi8((char)((int32_t)p->out.out_lo + p->out.out_zp))};
}

ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x32__avx512f) {
    ET_QS8_VMUL_REQUIRE();
    if (!vector_path(p)) {
        for (size_t i = 0; i < n; i++) {
            const int32_t prod = ((int32_t)a[i] - p->a_zp) * ((int32_t)b[b_scalar ? 0 : i] - p->b_zp);
            y[i] = et_qs8_round_clamp((float)prod * p->mult, &p->out);
        }
        return;
    }
    if (n == 0)
        return;
    const consts k = make_consts(p);
    if (b_scalar)
        mul_all(n, a, b, 1, _mm512_set1_epi16((short)((int32_t)b[0] - p->b_zp)), y, &k);
    else
        mul_all(n, a, b, 0, _mm512_setzero_si512(), y, &k);
}

ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x32__avx512f) {
    ET_QS8_VMUL_ROWS_REQUIRE();
    if (!vector_path(p)) {
        for (size_t r = 0; r < rows; r++)
            et_qs8_vmul_ukernel_x32__avx512f(n, a + r * n, b, 0, y + r * n, p);
        return;
    }
    if (rows == 0 || n == 0)
        return;
    const consts k = make_consts(p);
    if (n == 16) { /* two rows per block: the gate's 16 values twice */
        const __m128i g = _mm_loadu_si128((const __m128i *)b);
        const __m512i b32 = centred_b(_mm256_inserti128_si256(_mm256_castsi128_si256(g), g, 1), &k);
        size_t r = 0;
        for (; r + 2 <= rows; r += 2)
            _mm256_storeu_si256((__m256i *)(y + r * 16),
                                mul32(_mm256_loadu_si256((const __m256i *)(a + r * 16)), b32, &k));
        if (r < rows)
            _mm256_mask_storeu_epi8(y + r * 16, 0xffff, mul32(_mm256_maskz_loadu_epi8(0xffff, a + r * 16), b32, &k));
        return;
    }
    for (size_t r = 0; r < rows; r++)
        mul_all(n, a + r * n, b, 0, _mm512_setzero_si512(), y + r * n, &k);
}
