/* qc4-gemm-4x16-neon.c: NEON 4-bit-weight GEMM kernel, 4 rows x 16 columns, int8 A as stored (see qc8-gemm.h):
 * per k, 8 bytes hold 16 nibbles (low: columns 0-7, high: 8-15), sign-extended with shifts (vshl then vshr on int8
 * lanes), widened to int16, and accumulated exactly with vmlal_lane_s16 as in the qc8 kernel. */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-neon.h"

ET_QGEMM_UKERNEL(et_qc4_gemm_ukernel_4x16__neon) {
    const int8_t *ar[4];
    ET_QNEON_ROWS(4, const int8_t *, a, a_stride, ar);
    int8_t *cr[4];
    const int8_t *rr[4];
    ET_QNEON_ROWS(4, int8_t *, c, cm_stride, cr);
    ET_QNEON_ROWS(4, const int8_t *, r, rm_stride, rr);
    const uint8_t *panel = w;
    const size_t weight_bytes = (kc * 16 / 2 + 3) / 4 * 4;
    for (;;) {
        int32x4_t acc[4][4];
        for (size_t v = 0; v < 4; v++) {
            const int32x4_t b = vld1q_s32((const int32_t *)(const void *)panel + 4 * v);
            acc[0][v] = acc[1][v] = acc[2][v] = acc[3][v] = b;
        }
        const int8_t *wk = (const int8_t *)(panel + 16 * 4);
        size_t k = 0;
        for (; k + 8 <= kc; k += 8) {
            const int16x8_t a0 = vmovl_s8(vld1_s8(ar[0] + k));
            const int16x8_t a1 = vmovl_s8(vld1_s8(ar[1] + k));
            const int16x8_t a2 = vmovl_s8(vld1_s8(ar[2] + k));
            const int16x8_t a3 = vmovl_s8(vld1_s8(ar[3] + k));
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 0);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 0);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_low_s16(a0), 0);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_low_s16(a0), 0);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 0);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 0);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_low_s16(a1), 0);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_low_s16(a1), 0);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 0);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 0);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_low_s16(a2), 0);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_low_s16(a2), 0);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 0);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 0);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_low_s16(a3), 0);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_low_s16(a3), 0);
            }
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 1);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 1);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_low_s16(a0), 1);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_low_s16(a0), 1);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 1);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 1);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_low_s16(a1), 1);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_low_s16(a1), 1);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 1);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 1);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_low_s16(a2), 1);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_low_s16(a2), 1);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 1);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 1);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_low_s16(a3), 1);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_low_s16(a3), 1);
            }
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 2);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 2);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_low_s16(a0), 2);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_low_s16(a0), 2);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 2);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 2);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_low_s16(a1), 2);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_low_s16(a1), 2);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 2);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 2);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_low_s16(a2), 2);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_low_s16(a2), 2);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 2);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 2);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_low_s16(a3), 2);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_low_s16(a3), 2);
            }
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_low_s16(a0), 3);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_low_s16(a0), 3);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_low_s16(a0), 3);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_low_s16(a0), 3);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_low_s16(a1), 3);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_low_s16(a1), 3);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_low_s16(a1), 3);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_low_s16(a1), 3);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_low_s16(a2), 3);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_low_s16(a2), 3);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_low_s16(a2), 3);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_low_s16(a2), 3);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_low_s16(a3), 3);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_low_s16(a3), 3);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_low_s16(a3), 3);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_low_s16(a3), 3);
            }
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 0);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 0);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_high_s16(a0), 0);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_high_s16(a0), 0);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 0);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 0);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_high_s16(a1), 0);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_high_s16(a1), 0);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 0);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 0);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_high_s16(a2), 0);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_high_s16(a2), 0);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 0);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 0);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_high_s16(a3), 0);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_high_s16(a3), 0);
            }
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 1);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 1);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_high_s16(a0), 1);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_high_s16(a0), 1);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 1);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 1);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_high_s16(a1), 1);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_high_s16(a1), 1);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 1);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 1);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_high_s16(a2), 1);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_high_s16(a2), 1);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 1);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 1);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_high_s16(a3), 1);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_high_s16(a3), 1);
            }
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 2);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 2);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_high_s16(a0), 2);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_high_s16(a0), 2);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 2);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 2);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_high_s16(a1), 2);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_high_s16(a1), 2);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 2);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 2);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_high_s16(a2), 2);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_high_s16(a2), 2);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 2);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 2);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_high_s16(a3), 2);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_high_s16(a3), 2);
            }
            {
                const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
                acc[0][0] = vmlal_lane_s16(acc[0][0], vget_low_s16(w0), vget_high_s16(a0), 3);
                acc[0][1] = vmlal_lane_s16(acc[0][1], vget_high_s16(w0), vget_high_s16(a0), 3);
                acc[0][2] = vmlal_lane_s16(acc[0][2], vget_low_s16(w1), vget_high_s16(a0), 3);
                acc[0][3] = vmlal_lane_s16(acc[0][3], vget_high_s16(w1), vget_high_s16(a0), 3);
                acc[1][0] = vmlal_lane_s16(acc[1][0], vget_low_s16(w0), vget_high_s16(a1), 3);
                acc[1][1] = vmlal_lane_s16(acc[1][1], vget_high_s16(w0), vget_high_s16(a1), 3);
                acc[1][2] = vmlal_lane_s16(acc[1][2], vget_low_s16(w1), vget_high_s16(a1), 3);
                acc[1][3] = vmlal_lane_s16(acc[1][3], vget_high_s16(w1), vget_high_s16(a1), 3);
                acc[2][0] = vmlal_lane_s16(acc[2][0], vget_low_s16(w0), vget_high_s16(a2), 3);
                acc[2][1] = vmlal_lane_s16(acc[2][1], vget_high_s16(w0), vget_high_s16(a2), 3);
                acc[2][2] = vmlal_lane_s16(acc[2][2], vget_low_s16(w1), vget_high_s16(a2), 3);
                acc[2][3] = vmlal_lane_s16(acc[2][3], vget_high_s16(w1), vget_high_s16(a2), 3);
                acc[3][0] = vmlal_lane_s16(acc[3][0], vget_low_s16(w0), vget_high_s16(a3), 3);
                acc[3][1] = vmlal_lane_s16(acc[3][1], vget_high_s16(w0), vget_high_s16(a3), 3);
                acc[3][2] = vmlal_lane_s16(acc[3][2], vget_low_s16(w1), vget_high_s16(a3), 3);
                acc[3][3] = vmlal_lane_s16(acc[3][3], vget_high_s16(w1), vget_high_s16(a3), 3);
            }
        }
        for (; k < kc; k++) {
            const int8x8_t wb = vld1_s8(wk); wk += 8; const int16x8_t w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4));
            acc[0][0] = vmlal_n_s16(acc[0][0], vget_low_s16(w0), (int16_t)ar[0][k]);
            acc[0][1] = vmlal_n_s16(acc[0][1], vget_high_s16(w0), (int16_t)ar[0][k]);
            acc[0][2] = vmlal_n_s16(acc[0][2], vget_low_s16(w1), (int16_t)ar[0][k]);
            acc[0][3] = vmlal_n_s16(acc[0][3], vget_high_s16(w1), (int16_t)ar[0][k]);
            acc[1][0] = vmlal_n_s16(acc[1][0], vget_low_s16(w0), (int16_t)ar[1][k]);
            acc[1][1] = vmlal_n_s16(acc[1][1], vget_high_s16(w0), (int16_t)ar[1][k]);
            acc[1][2] = vmlal_n_s16(acc[1][2], vget_low_s16(w1), (int16_t)ar[1][k]);
            acc[1][3] = vmlal_n_s16(acc[1][3], vget_high_s16(w1), (int16_t)ar[1][k]);
            acc[2][0] = vmlal_n_s16(acc[2][0], vget_low_s16(w0), (int16_t)ar[2][k]);
            acc[2][1] = vmlal_n_s16(acc[2][1], vget_high_s16(w0), (int16_t)ar[2][k]);
            acc[2][2] = vmlal_n_s16(acc[2][2], vget_low_s16(w1), (int16_t)ar[2][k]);
            acc[2][3] = vmlal_n_s16(acc[2][3], vget_high_s16(w1), (int16_t)ar[2][k]);
            acc[3][0] = vmlal_n_s16(acc[3][0], vget_low_s16(w0), (int16_t)ar[3][k]);
            acc[3][1] = vmlal_n_s16(acc[3][1], vget_high_s16(w0), (int16_t)ar[3][k]);
            acc[3][2] = vmlal_n_s16(acc[3][2], vget_low_s16(w1), (int16_t)ar[3][k]);
            acc[3][3] = vmlal_n_s16(acc[3][3], vget_high_s16(w1), (int16_t)ar[3][k]);
        }
        const float *s = (const float *)(const void *)(panel + 16 * 4 + weight_bytes);
        panel += 16 * 8 + weight_bytes;
        et_qneon_store_4rows(acc, s, 16, nc, cr, rr, params);
        if (nc <= 16)
            return;
        nc -= 16;
    }
}
