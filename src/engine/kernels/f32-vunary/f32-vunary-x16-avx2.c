/* f32-vunary-x16-avx2.c: AVX2+FMA elementwise unary kernel, 16 elements per step (see f32-vunary.h). Each
 * operation is its own loop over 8-wide vectors, unrolled by 2; the last n % 8 elements go through a masked
 * load and store, so nothing outside [x, x + n) is touched. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-vunary/f32-vunary.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* exp(z) for z <= 0 lanes, 0 below the denormal cutoff. */
static inline __m256 exp_neg(__m256 z) {
    __m256 n = _mm256_fmadd_ps(z, _mm256_set1_ps(ET_EXP_LOG2E), _mm256_set1_ps(ET_EXP_MAGIC_BIAS));
    const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(n), 23));
    n = _mm256_sub_ps(n, _mm256_set1_ps(ET_EXP_MAGIC_BIAS));
    __m256 t = _mm256_fmadd_ps(n, _mm256_set1_ps(ET_EXP_MINUS_LN2_HI), z);
    t = _mm256_fmadd_ps(n, _mm256_set1_ps(ET_EXP_MINUS_LN2_LO), t);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(ET_EXP_C5), t, _mm256_set1_ps(ET_EXP_C4));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(ET_EXP_C3));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(ET_EXP_C2));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(ET_EXP_C1));
    t = _mm256_mul_ps(t, s);
    const __m256 e = _mm256_fmadd_ps(t, p, s);
    return _mm256_andnot_ps(_mm256_cmp_ps(z, _mm256_set1_ps(ET_EXP_DENORM_CUTOFF), _CMP_LT_OQ), e);
}

static inline __m256 op_clamp(__m256 x, const et_f32_unary_params *p) {
    return _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(p->min)), _mm256_set1_ps(p->max));
}

static inline __m256 op_hswish(__m256 x, const et_f32_unary_params *p) {
    (void)p;
    __m256 t = _mm256_add_ps(x, _mm256_set1_ps(3.0f));
    t = _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), _mm256_set1_ps(6.0f));
    return _mm256_mul_ps(x, _mm256_mul_ps(t, _mm256_set1_ps(1.0f / 6.0f)));
}

static inline __m256 op_hsigmoid(__m256 x, const et_f32_unary_params *p) {
    const __m256 t = _mm256_fmadd_ps(_mm256_set1_ps(p->alpha), x, _mm256_set1_ps(p->beta));
    return _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
}

static inline __m256 op_sigmoid(__m256 x, const et_f32_unary_params *p) {
    (void)p;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 e = exp_neg(_mm256_or_ps(x, sign));
    const __m256 f = _mm256_div_ps(e, _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
    return _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), f), f, x);
}

static inline __m256 op_tanh(__m256 x, const et_f32_unary_params *p) {
    (void)p;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x);
    const __m256 u = _mm256_mul_ps(ax, ax);
    __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(ET_TANH_P5), u, _mm256_set1_ps(ET_TANH_P4));
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(ET_TANH_P3));
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(ET_TANH_P2));
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(ET_TANH_P1));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(ax, u), q, ax);
    const __m256 e = exp_neg(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 large = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    const __m256 r = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(ET_TANH_SMALL), _CMP_LT_OQ));
    return _mm256_or_ps(r, _mm256_and_ps(x, sign));
}

static inline __m256 op_lrelu(__m256 x, const et_f32_unary_params *p) {
    return _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(p->alpha)), x);
}

#define DEFINE_LOOP(name, OP)                                                                        \
    static void name(size_t n, const float *x, float *y, const et_f32_unary_params *p) {             \
        size_t i = 0;                                                                                \
        for (; i + 16 <= n; i += 16) {                                                               \
            const __m256 v0 = OP(_mm256_loadu_ps(x + i), p), v1 = OP(_mm256_loadu_ps(x + i + 8), p); \
            _mm256_storeu_ps(y + i, v0);                                                             \
            _mm256_storeu_ps(y + i + 8, v1);                                                         \
        }                                                                                            \
        for (; i + 8 <= n; i += 8)                                                                   \
            _mm256_storeu_ps(y + i, OP(_mm256_loadu_ps(x + i), p));                                  \
        if (i < n) {                                                                                 \
            const __m256i m = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (n - i)]);         \
            _mm256_maskstore_ps(y + i, m, OP(_mm256_maskload_ps(x + i, m), p));                      \
        }                                                                                            \
    }

DEFINE_LOOP(loop_clamp, op_clamp)
DEFINE_LOOP(loop_hswish, op_hswish)
DEFINE_LOOP(loop_hsigmoid, op_hsigmoid)
DEFINE_LOOP(loop_sigmoid, op_sigmoid)
DEFINE_LOOP(loop_tanh, op_tanh)
DEFINE_LOOP(loop_lrelu, op_lrelu)

ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x16__avx2) {
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
