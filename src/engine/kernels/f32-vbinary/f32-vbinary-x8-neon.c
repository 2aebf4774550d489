/* f32-vbinary-x8-neon.c: aarch64 NEON elementwise binary kernel, 8 elements per step (see f32-vbinary.h). One
 * loop per operation and operand form; the last n % 4 elements go one at a time through the same vector code
 * (lane 0), so nothing outside the operands is touched. */
#include <arm_neon.h>

#include "engine/kernels/f32-vbinary/f32-vbinary.h"

#define CLAMP(v) vmaxq_f32(vminq_f32(v, vmax), vmin)

#define DEFINE_LOOP(name, EXPR)                                                                          \
    static void name(size_t n, const float *a, const float *b, int b_scalar, float *y, float32x4_t vmin, \
                     float32x4_t vmax) {                                                                 \
        size_t i = 0;                                                                                    \
        if (b_scalar) {                                                                                  \
            const float32x4_t vb = vld1q_dup_f32(b);                                                     \
            for (; i + 4 <= n; i += 4) {                                                                 \
                const float32x4_t va = vld1q_f32(a + i);                                                 \
                vst1q_f32(y + i, CLAMP(EXPR));                                                           \
            }                                                                                            \
            for (; i < n; i++) {                                                                         \
                const float32x4_t va = vld1q_dup_f32(a + i);                                             \
                vst1q_lane_f32(y + i, CLAMP(EXPR), 0);                                                   \
            }                                                                                            \
            return;                                                                                      \
        }                                                                                                \
        for (; i + 8 <= n; i += 8) {                                                                     \
            float32x4_t va = vld1q_f32(a + i), vb = vld1q_f32(b + i);                                    \
            const float32x4_t v0 = CLAMP(EXPR);                                                          \
            va = vld1q_f32(a + i + 4);                                                                   \
            vb = vld1q_f32(b + i + 4);                                                                   \
            const float32x4_t v1 = CLAMP(EXPR);                                                          \
            vst1q_f32(y + i, v0);                                                                        \
            vst1q_f32(y + i + 4, v1);                                                                    \
        }                                                                                                \
        for (; i + 4 <= n; i += 4) {                                                                     \
            const float32x4_t va = vld1q_f32(a + i), vb = vld1q_f32(b + i);                              \
            vst1q_f32(y + i, CLAMP(EXPR));                                                               \
        }                                                                                                \
        for (; i < n; i++) {                                                                             \
            const float32x4_t va = vld1q_dup_f32(a + i), vb = vld1q_dup_f32(b + i);                      \
            vst1q_lane_f32(y + i, CLAMP(EXPR), 0);                                                       \
        }                                                                                                \
    }

DEFINE_LOOP(loop_add, vaddq_f32(va, vb))
DEFINE_LOOP(loop_sub, vsubq_f32(va, vb))
DEFINE_LOOP(loop_mul, vmulq_f32(va, vb))
DEFINE_LOOP(loop_div, vdivq_f32(va, vb))
DEFINE_LOOP(loop_max, vmaxq_f32(va, vb))
DEFINE_LOOP(loop_min, vminq_f32(va, vb))
DEFINE_LOOP(loop_rsub, vsubq_f32(vb, va))
DEFINE_LOOP(loop_rdiv, vdivq_f32(vb, va))

ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x8__neon) {
    ET_F32_VBINARY_REQUIRE();
    const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
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
