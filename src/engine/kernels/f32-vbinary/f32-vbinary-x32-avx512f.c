/* f32-vbinary-x32-avx512f.c: AVX-512F elementwise binary kernel, 32 elements per step (see f32-vbinary.h). One
 * loop per operation and operand form; the last n % 16 elements use masked loads and a masked store. */
#include <immintrin.h>

#include "engine/kernels/f32-vbinary/f32-vbinary.h"

#define CLAMP(v) _mm512_max_ps(_mm512_min_ps(v, vmax), vmin)

#define DEFINE_LOOP(name, EXPR)                                                                                    \
    static void name(size_t n, const float *a, const float *b, int b_scalar, float *y, __m512 vmin, __m512 vmax) { \
        size_t i = 0;                                                                                              \
        if (b_scalar) {                                                                                            \
            const __m512 vb = _mm512_set1_ps(b[0]);                                                                \
            for (; i + 16 <= n; i += 16) {                                                                         \
                const __m512 va = _mm512_loadu_ps(a + i);                                                          \
                _mm512_storeu_ps(y + i, CLAMP(EXPR));                                                              \
            }                                                                                                      \
            if (i < n) {                                                                                           \
                const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);                                              \
                const __m512 va = _mm512_maskz_loadu_ps(m, a + i);                                                 \
                _mm512_mask_storeu_ps(y + i, m, CLAMP(EXPR));                                                      \
            }                                                                                                      \
            return;                                                                                                \
        }                                                                                                          \
        for (; i + 32 <= n; i += 32) {                                                                             \
            __m512 va = _mm512_loadu_ps(a + i), vb = _mm512_loadu_ps(b + i);                                       \
            const __m512 v0 = CLAMP(EXPR);                                                                         \
            va = _mm512_loadu_ps(a + i + 16);                                                                      \
            vb = _mm512_loadu_ps(b + i + 16);                                                                      \
            const __m512 v1 = CLAMP(EXPR);                                                                         \
            _mm512_storeu_ps(y + i, v0);                                                                           \
            _mm512_storeu_ps(y + i + 16, v1);                                                                      \
        }                                                                                                          \
        for (; i + 16 <= n; i += 16) {                                                                             \
            const __m512 va = _mm512_loadu_ps(a + i), vb = _mm512_loadu_ps(b + i);                                 \
            _mm512_storeu_ps(y + i, CLAMP(EXPR));                                                                  \
        }                                                                                                          \
        if (i < n) {                                                                                               \
            const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);                                                  \
            const __m512 va = _mm512_maskz_loadu_ps(m, a + i), vb = _mm512_maskz_loadu_ps(m, b + i);               \
            _mm512_mask_storeu_ps(y + i, m, CLAMP(EXPR));                                                          \
        }                                                                                                          \
    }

DEFINE_LOOP(loop_add, _mm512_add_ps(va, vb))
DEFINE_LOOP(loop_sub, _mm512_sub_ps(va, vb))
DEFINE_LOOP(loop_mul, _mm512_mul_ps(va, vb))
DEFINE_LOOP(loop_div, _mm512_div_ps(va, vb))
DEFINE_LOOP(loop_max, _mm512_max_ps(va, vb))
DEFINE_LOOP(loop_min, _mm512_min_ps(va, vb))
DEFINE_LOOP(loop_rsub, _mm512_sub_ps(vb, va))
DEFINE_LOOP(loop_rdiv, _mm512_div_ps(vb, va))

ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x32__avx512f) {
    ET_F32_VBINARY_REQUIRE();
    const __m512 vmin = _mm512_set1_ps(params->min), vmax = _mm512_set1_ps(params->max);
    switch (op) {
    case ET_BINARY_ADD: loop_add(n, a, b, b_scalar, y, vmin, vmax); break;
    case ET_BINARY_SUB: loop_sub(n, a, b, b_scalar, y, vmin, vmax); break;
    case ET_BINARY_MUL: loop_mul(n, a, b, b_scalar, y, vmin, vmax); break;
    case ET_BINARY_DIV: loop_div(n, a, b, b_scalar, y, vmin, vmax); break;
    case ET_BINARY_MAX: loop_max(n, a, b, b_scalar, y, vmin, vmax); break;
    case ET_BINARY_MIN: loop_min(n, a, b, b_scalar, y, vmin, vmax); break;
    case ET_BINARY_RSUB: loop_rsub(n, a, b, b_scalar, y, vmin, vmax); break;
    case ET_BINARY_RDIV: loop_rdiv(n, a, b, b_scalar, y, vmin, vmax); break;
    default: break;
    }
}
