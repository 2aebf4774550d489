/* f32-vunary-x32-avx512f.c: AVX-512F elementwise unary kernel, 32 elements per step (see f32-vunary.h). Each
 * operation is its own loop over 16-wide vectors, unrolled by 2; the last n % 16 elements use a masked load and
 * store, so nothing outside [x, x + n) is touched. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-vunary/f32-vunary.h"

/* exp(z) for z <= 0 lanes, 0 below the denormal cutoff. */
static inline __m512 exp_neg(__m512 z) {
    __m512 n = _mm512_fmadd_ps(z, _mm512_set1_ps(ET_EXP_LOG2E), _mm512_set1_ps(ET_EXP_MAGIC_BIAS));
    const __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(n), 23));
    n = _mm512_sub_ps(n, _mm512_set1_ps(ET_EXP_MAGIC_BIAS));
    __m512 t = _mm512_fmadd_ps(n, _mm512_set1_ps(ET_EXP_MINUS_LN2_HI), z);
    t = _mm512_fmadd_ps(n, _mm512_set1_ps(ET_EXP_MINUS_LN2_LO), t);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(ET_EXP_C5), t, _mm512_set1_ps(ET_EXP_C4));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(ET_EXP_C3));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(ET_EXP_C2));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(ET_EXP_C1));
    t = _mm512_mul_ps(t, s);
    const __m512 e = _mm512_fmadd_ps(t, p, s);
    const __mmask16 under = _mm512_cmp_ps_mask(z, _mm512_set1_ps(ET_EXP_DENORM_CUTOFF), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(under, e, _mm512_setzero_ps());
}

static inline __mmask16 negative(__m512 x) {
    return _mm512_movepi32_mask(_mm512_castps_si512(x)); /* the sign bits (AVX-512DQ) */
}

static inline __m512 op_clamp(__m512 x, const et_f32_unary_params *p) {
    return _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(p->min)), _mm512_set1_ps(p->max));
}

static inline __m512 op_hswish(__m512 x, const et_f32_unary_params *p) {
    (void)p;
    __m512 t = _mm512_add_ps(x, _mm512_set1_ps(3.0f));
    t = _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), _mm512_set1_ps(6.0f));
    return _mm512_mul_ps(x, _mm512_mul_ps(t, _mm512_set1_ps(1.0f / 6.0f)));
}

static inline __m512 op_hsigmoid(__m512 x, const et_f32_unary_params *p) {
    const __m512 t = _mm512_fmadd_ps(_mm512_set1_ps(p->alpha), x, _mm512_set1_ps(p->beta));
    return _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
}

static inline __m512 op_sigmoid(__m512 x, const et_f32_unary_params *p) {
    (void)p;
    const __m512 ax = _mm512_abs_ps(x);
    const __m512 e = exp_neg(_mm512_sub_ps(_mm512_setzero_ps(), ax));
    const __m512 f = _mm512_div_ps(e, _mm512_add_ps(e, _mm512_set1_ps(1.0f)));
    return _mm512_mask_blend_ps(negative(x), _mm512_sub_ps(_mm512_set1_ps(1.0f), f), f);
}

static inline __m512 op_tanh(__m512 x, const et_f32_unary_params *p) {
    (void)p;
    const __m512 ax = _mm512_abs_ps(x);
    const __m512 u = _mm512_mul_ps(ax, ax);
    __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(ET_TANH_P5), u, _mm512_set1_ps(ET_TANH_P4));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(ET_TANH_P3));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(ET_TANH_P2));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(ET_TANH_P1));
    const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(ax, u), q, ax);
    const __m512 e = exp_neg(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 large = _mm512_div_ps(_mm512_sub_ps(one, e), _mm512_add_ps(one, e));
    const __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(ET_TANH_SMALL), _CMP_LT_OQ);
    const __m512 r = _mm512_mask_blend_ps(is_small, large, small);
    const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}

static inline __m512 op_lrelu(__m512 x, const et_f32_unary_params *p) {
    return _mm512_mask_blend_ps(negative(x), x, _mm512_mul_ps(x, _mm512_set1_ps(p->alpha)));
}

#define DEFINE_LOOP(name, OP)                                                                         \
    static void name(size_t n, const float *x, float *y, const et_f32_unary_params *p) {              \
        size_t i = 0;                                                                                 \
        for (; i + 32 <= n; i += 32) {                                                                \
            const __m512 v0 = OP(_mm512_loadu_ps(x + i), p), v1 = OP(_mm512_loadu_ps(x + i + 16), p); \
            _mm512_storeu_ps(y + i, v0);                                                              \
            _mm512_storeu_ps(y + i + 16, v1);                                                         \
        }                                                                                             \
        for (; i + 16 <= n; i += 16)                                                                  \
            _mm512_storeu_ps(y + i, OP(_mm512_loadu_ps(x + i), p));                                   \
        if (i < n) {                                                                                  \
            const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);                                     \
            _mm512_mask_storeu_ps(y + i, m, OP(_mm512_maskz_loadu_ps(m, x + i), p));                  \
        }                                                                                             \
    }

DEFINE_LOOP(loop_clamp, op_clamp)
DEFINE_LOOP(loop_hswish, op_hswish)
DEFINE_LOOP(loop_hsigmoid, op_hsigmoid)
DEFINE_LOOP(loop_sigmoid, op_sigmoid)
DEFINE_LOOP(loop_tanh, op_tanh)
DEFINE_LOOP(loop_lrelu, op_lrelu)

ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x32__avx512f) {
    ET_F32_VUNARY_REQUIRE();
    switch (op) {
    case ET_UNARY_CLAMP: loop_clamp(n, x, y, params); break;
    case ET_UNARY_HSWISH: loop_hswish(n, x, y, params); break;
    case ET_UNARY_HSIGMOID: loop_hsigmoid(n, x, y, params); break;
    case ET_UNARY_SIGMOID: loop_sigmoid(n, x, y, params); break;
    case ET_UNARY_TANH: loop_tanh(n, x, y, params); break;
    case ET_UNARY_LRELU: loop_lrelu(n, x, y, params); break;
    default: break;
    }
}
