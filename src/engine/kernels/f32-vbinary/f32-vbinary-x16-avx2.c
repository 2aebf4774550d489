/* f32-vbinary-x16-avx2.c: AVX2 elementwise binary kernel, 16 elements per step (see f32-vbinary.h). One loop
 * per operation and operand form; the last n % 8 elements go through masked loads and a masked store. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-vbinary/f32-vbinary.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

#define DEFINE_LOOP(name, EXPR)                                                                                    \
    static void name(size_t n, const float *a, const float *b, int b_scalar, float *y, __m256 vmin, __m256 vmax) { \
        size_t i = 0;                                                                                              \
        if (b_scalar) {                                                                                            \
            const __m256 vb = _mm256_broadcast_ss(b);                                                              \
            for (; i + 8 <= n; i += 8) {                                                                           \
                const __m256 va = _mm256_loadu_ps(a + i);                                                          \
                _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_min_ps(EXPR, vmax), vmin));                           \
            }                                                                                                      \
            if (i < n) {                                                                                           \
                const __m256i m = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (n - i)]);                   \
                const __m256 va = _mm256_maskload_ps(a + i, m);                                                    \
                _mm256_maskstore_ps(y + i, m, _mm256_max_ps(_mm256_min_ps(EXPR, vmax), vmin));                     \
            }                                                                                                      \
            return;                                                                                                \
        }                                                                                                          \
        for (; i + 16 <= n; i += 16) {                                                                             \
            __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);                                       \
            const __m256 v0 = _mm256_max_ps(_mm256_min_ps(EXPR, vmax), vmin);                                      \
            va = _mm256_loadu_ps(a + i + 8);                                                                       \
            vb = _mm256_loadu_ps(b + i + 8);                                                                       \
            const __m256 v1 = _mm256_max_ps(_mm256_min_ps(EXPR, vmax), vmin);                                      \
            _mm256_storeu_ps(y + i, v0);                                                                           \
            _mm256_storeu_ps(y + i + 8, v1);                                                                       \
        }                                                                                                          \
        for (; i + 8 <= n; i += 8) {                                                                               \
            const __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);                                 \
            _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_min_ps(EXPR, vmax), vmin));                               \
        }                                                                                                          \
        if (i < n) {                                                                                               \
            const __m256i m = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (n - i)]);                       \
            const __m256 va = _mm256_maskload_ps(a + i, m), vb = _mm256_maskload_ps(b + i, m);                     \
            _mm256_maskstore_ps(y + i, m, _mm256_max_ps(_mm256_min_ps(EXPR, vmax), vmin));                         \
        }                                                                                                          \
    }

DEFINE_LOOP(loop_add, _mm256_add_ps(va, vb))
DEFINE_LOOP(loop_sub, _mm256_sub_ps(va, vb))
DEFINE_LOOP(loop_mul, _mm256_mul_ps(va, vb))
DEFINE_LOOP(loop_div, _mm256_div_ps(va, vb))
DEFINE_LOOP(loop_max, _mm256_max_ps(va, vb))
DEFINE_LOOP(loop_min, _mm256_min_ps(va, vb))
DEFINE_LOOP(loop_rsub, _mm256_sub_ps(vb, va))
DEFINE_LOOP(loop_rdiv, _mm256_div_ps(vb, va))

ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x16__avx2) {
    ET_F32_VBINARY_REQUIRE();
    const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
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
