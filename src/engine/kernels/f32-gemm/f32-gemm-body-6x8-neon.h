/* f32-gemm-body-6x8-neon.h: the aarch64 NEON 6 x 8 body of f32-gemm-6x8-neon.c and f32-igemm-6x8-neon.c, which
 * differ only in where a row of A starts. A template (gemm-body.h): the kernel file names the kernel.
 *
 * 12 accumulators (6 rows x 2 q registers). A is loaded 4 k at a time per row (one 128-bit load) and used by
 * lane with fmla (vfmaq_laneq_f32), so each load of A feeds 8 FMAs; 12 + 6 + 2 = 20 of the 32 q registers. The
 * loop runs once per tap with that tap's 6 rows (a GEMM has one tap). */

#include <arm_neon.h>
#include <stddef.h>

#include "engine/kernels/f32-gemm/f32-gemm-store-neon.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/kernels/gemm-body.h"
#include "engine/kernels/params.h"

#define ET_F32_NEON_FMA_LANE(L)                                     \
    do {                                                            \
        const float32x4_t bl = vld1q_f32(w), bh = vld1q_f32(w + 4); \
        w += 8;                                                     \
        acc0l = vfmaq_laneq_f32(acc0l, bl, va0, L);                 \
        acc0h = vfmaq_laneq_f32(acc0h, bh, va0, L);                 \
        acc1l = vfmaq_laneq_f32(acc1l, bl, va1, L);                 \
        acc1h = vfmaq_laneq_f32(acc1h, bh, va1, L);                 \
        acc2l = vfmaq_laneq_f32(acc2l, bl, va2, L);                 \
        acc2h = vfmaq_laneq_f32(acc2h, bh, va2, L);                 \
        acc3l = vfmaq_laneq_f32(acc3l, bl, va3, L);                 \
        acc3h = vfmaq_laneq_f32(acc3h, bh, va3, L);                 \
        acc4l = vfmaq_laneq_f32(acc4l, bl, va4, L);                 \
        acc4h = vfmaq_laneq_f32(acc4h, bh, va4, L);                 \
        acc5l = vfmaq_laneq_f32(acc5l, bl, va5, L);                 \
        acc5h = vfmaq_laneq_f32(acc5h, bh, va5, L);                 \
    } while (0)

/* The kernel: mr (1..6) rows x nc columns, ks taps of kc (ks = 1 for a GEMM). */
ET_F32_GEMM_BODY_SIGNATURE {
    ET_F32_GEMM_BODY_PROLOGUE(6);
    float *cr[6];
    for (size_t i = 0; i < 6; i++)
        cr[i] = c + (i < mr ? i : mr - 1) * cm_stride;
    const float32x4_t vmin = vdupq_n_f32(params->min);
    const float32x4_t vmax = vdupq_n_f32(params->max);
    for (;;) {
        float32x4_t acc0l = vld1q_f32(w), acc0h = vld1q_f32(w + 4);
        float32x4_t acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        float32x4_t acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h;
        float32x4_t acc5l = acc0l, acc5h = acc0h;
        w += 8;
        for (size_t t = 0; t < ks; t++) {
            const float *a0 = ET_BODY_A_ROW(6, t, 0), *a1 = ET_BODY_A_ROW(6, t, 1), *a2 = ET_BODY_A_ROW(6, t, 2);
            const float *a3 = ET_BODY_A_ROW(6, t, 3), *a4 = ET_BODY_A_ROW(6, t, 4), *a5 = ET_BODY_A_ROW(6, t, 5);
            size_t k = 0;
            for (; k + 4 <= kc; k += 4) {
                const float32x4_t va0 = vld1q_f32(a0 + k), va1 = vld1q_f32(a1 + k), va2 = vld1q_f32(a2 + k);
                const float32x4_t va3 = vld1q_f32(a3 + k), va4 = vld1q_f32(a4 + k), va5 = vld1q_f32(a5 + k);
                ET_F32_NEON_FMA_LANE(0);
                ET_F32_NEON_FMA_LANE(1);
                ET_F32_NEON_FMA_LANE(2);
                ET_F32_NEON_FMA_LANE(3);
            }
            for (; k < kc; k++) {
                const float32x4_t va0 = vld1q_dup_f32(a0 + k), va1 = vld1q_dup_f32(a1 + k);
                const float32x4_t va2 = vld1q_dup_f32(a2 + k), va3 = vld1q_dup_f32(a3 + k);
                const float32x4_t va4 = vld1q_dup_f32(a4 + k), va5 = vld1q_dup_f32(a5 + k);
                ET_F32_NEON_FMA_LANE(0);
            }
        }
        float32x4_t acc[12] = {acc0l, acc0h, acc1l, acc1h, acc2l, acc2h, acc3l, acc3h, acc4l, acc4h, acc5l, acc5h};
        for (size_t i = 0; i < 12; i++)
            acc[i] = vmaxq_f32(vminq_f32(acc[i], vmax), vmin);
        if (nc >= 8) {
            for (size_t i = 6; i-- > 0;) {
                vst1q_f32(cr[i], acc[2 * i]);
                vst1q_f32(cr[i] + 4, acc[2 * i + 1]);
                cr[i] += 8;
            }
            nc -= 8;
            if (nc == 0)
                return;
        } else {
            for (size_t i = 6; i-- > 0;)
                et_f32_neon_store_tail(cr[i], acc[2 * i], acc[2 * i + 1], nc);
            return;
        }
    }
}
