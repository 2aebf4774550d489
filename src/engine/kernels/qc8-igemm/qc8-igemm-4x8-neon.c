/* qc8-igemm-4x8-neon.c: NEON quantized indirect-GEMM kernel, 4 rows x 8 columns, int8 A read as stored (ET_QA_S8) and
 * int8 weights [k][8] (see qc8-gemm.h). Exact: both widen to int16 and vmlal_lane_s16 accumulates int16 products
 * into int32. Eight k at a time: one 8-byte load per row, widened once, each lane multiplying a weight row. */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-neon.h"

ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_4x8__neon) {
    int8_t *cr[4];
    const int8_t *rr[4];
    ET_QNEON_ROWS(4, int8_t *, c, cm_stride, cr);
    ET_QNEON_ROWS(4, const int8_t *, r, rm_stride, rr);
    const uint8_t *panel = w;
    const size_t weight_bytes = (ks * kc * 8 + 3) / 4 * 4;
    for (;;) {
        int32x4_t acc[4][4]; /* columns 4v..4v+3 in [i][v]; only v < 2 used */
        for (size_t v = 0; v < 2; v++) {
            const int32x4_t b = vld1q_s32((const int32_t *)(const void *)panel + 4 * v);
            acc[0][v] = acc[1][v] = acc[2][v] = acc[3][v] = b;
        }
        const int8_t *wk = (const int8_t *)(panel + 8 * 4);
        for (size_t t = 0; t < ks; t++) {
            const int8_t *ar[4];
            for (size_t i = 0; i < 4; i++)
                ar[i] = a[t * 4 + i] == zero ? (const int8_t *)zero : (const int8_t *)((uintptr_t)a[t * 4 + i] + a_offset);
            size_t k = 0;
            for (; k + 8 <= kc; k += 8) {
                const int16x8_t a0 = vmovl_s8(vld1_s8(ar[0] + k));
                const int16x8_t a1 = vmovl_s8(vld1_s8(ar[1] + k));
                const int16x8_t a2 = vmovl_s8(vld1_s8(ar[2] + k));
                const int16x8_t a3 = vmovl_s8(vld1_s8(ar[3] + k));
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 0);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 0);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 0);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 0);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 0);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 0);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 0);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 0);
                }
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 1);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 1);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 1);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 1);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 1);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 1);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 1);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 1);
                }
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 2);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 2);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 2);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 2);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 2);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 2);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 2);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 2);
                }
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 3);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 3);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 3);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 3);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 3);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 3);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 3);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 3);
                }
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 0);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 0);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 0);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 0);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 0);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 0);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 0);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 0);
                }
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 1);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 1);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 1);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 1);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 1);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 1);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 1);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 1);
                }
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 2);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 2);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 2);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 2);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 2);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 2);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 2);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 2);
                }
                {
                    const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                    acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 3);
                    acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 3);
                    acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 3);
                    acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 3);
                    acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 3);
                    acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 3);
                    acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 3);
                    acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 3);
                }
            }
            for (; k < kc; k++) {
                const int16x8_t w0 = vmovl_s8(vld1_s8(wk)); wk += 8;
                acc[0][0] = vmlal_n_s16(acc[0][0], vget_low_s16(w0), (int16_t)ar[0][k]);
                acc[0][1] = vmlal_n_s16(acc[0][1], vget_high_s16(w0), (int16_t)ar[0][k]);
                acc[1][0] = vmlal_n_s16(acc[1][0], vget_low_s16(w0), (int16_t)ar[1][k]);
                acc[1][1] = vmlal_n_s16(acc[1][1], vget_high_s16(w0), (int16_t)ar[1][k]);
                acc[2][0] = vmlal_n_s16(acc[2][0], vget_low_s16(w0), (int16_t)ar[2][k]);
                acc[2][1] = vmlal_n_s16(acc[2][1], vget_high_s16(w0), (int16_t)ar[2][k]);
                acc[3][0] = vmlal_n_s16(acc[3][0], vget_low_s16(w0), (int16_t)ar[3][k]);
                acc[3][1] = vmlal_n_s16(acc[3][1], vget_high_s16(w0), (int16_t)ar[3][k]);
            }
        }
        const float *s = (const float *)(const void *)(panel + 8 * 4 + weight_bytes);
        panel += 8 * 8 + weight_bytes;
        et_qneon_store_4rows(acc, s, 8, nc, cr, rr, params);
        if (nc <= 8)
            return;
        nc -= 8;
    }
}
