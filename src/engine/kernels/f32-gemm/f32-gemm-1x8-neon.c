/* f32-gemm-1x8-neon.c: aarch64 NEON GEMM kernel for one row x 8 columns (see f32-gemm.h), k split over 4 pairs
 * of partial sums so that a single row does not wait on the FMA latency. */
#include <arm_neon.h>

#include "engine/kernels/f32-gemm/f32-gemm-store-neon.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"

ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x8__neon) {
    ET_F32_GEMM_REQUIRE(1);
    (void)mr;
    (void)a_stride;
    (void)cm_stride;
    const float32x4_t vmin = vdupq_n_f32(params->min);
    const float32x4_t vmax = vdupq_n_f32(params->max);
    for (;;) {
        float32x4_t l0 = vld1q_f32(w), h0 = vld1q_f32(w + 4);
        float32x4_t l1 = vdupq_n_f32(0.0f), h1 = l1, l2 = l1, h2 = l1, l3 = l1, h3 = l1;
        w += 8;
        size_t k = 0;
        for (; k + 4 <= kc; k += 4) {
            const float32x4_t va = vld1q_f32(a + k);
            l0 = vfmaq_laneq_f32(l0, vld1q_f32(w), va, 0);
            h0 = vfmaq_laneq_f32(h0, vld1q_f32(w + 4), va, 0);
            l1 = vfmaq_laneq_f32(l1, vld1q_f32(w + 8), va, 1);
            h1 = vfmaq_laneq_f32(h1, vld1q_f32(w + 12), va, 1);
            l2 = vfmaq_laneq_f32(l2, vld1q_f32(w + 16), va, 2);
            h2 = vfmaq_laneq_f32(h2, vld1q_f32(w + 20), va, 2);
            l3 = vfmaq_laneq_f32(l3, vld1q_f32(w + 24), va, 3);
            h3 = vfmaq_laneq_f32(h3, vld1q_f32(w + 28), va, 3);
            w += 32;
        }
        for (; k < kc; k++) {
            const float32x4_t va = vld1q_dup_f32(a + k);
            l0 = vfmaq_f32(l0, vld1q_f32(w), va);
            h0 = vfmaq_f32(h0, vld1q_f32(w + 4), va);
            w += 8;
        }
        float32x4_t lo = vaddq_f32(vaddq_f32(l0, l1), vaddq_f32(l2, l3));
        float32x4_t hi = vaddq_f32(vaddq_f32(h0, h1), vaddq_f32(h2, h3));
        lo = vmaxq_f32(vminq_f32(lo, vmax), vmin);
        hi = vmaxq_f32(vminq_f32(hi, vmax), vmin);
        if (nc < 8) {
            et_f32_neon_store_tail(c, lo, hi, nc);
            return;
        }
        vst1q_f32(c, lo);
        vst1q_f32(c + 4, hi);
        if (nc == 8)
            return;
        c += 8;
        nc -= 8;
    }
}
