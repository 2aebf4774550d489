/* qgemm-body-4xn-neon.h: the NEON quantized body of 4 rows, int8 A read as stored (ET_QA_S8), of four kernels
 * that differ only in how a weight is stored (ET_BODY_W_BITS) and in where a row of A starts. A template
 * (gemm-body.h): the kernel file names the kernel:
 *   qc8-gemm-4x8-neon.c, qc8-igemm-4x8-neon.c       8 columns of int8 weights [k][8];
 *   qc4-gemm-4x16-neon.c, qc4-igemm-4x16-neon.c    16 columns of 4-bit weights: per k, 8 bytes hold 16 nibbles (low: columns 0-7,
 *                                high: 8-15), sign-extended with shifts (vshl then vshr on int8 lanes).
 * Exact: weights and A widen to int16 and vmlal_lane_s16 accumulates int16 products into int32. Eight k at a
 * time: one 8-byte load per row, widened once, each lane multiplying a weight row. */

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/gemm-body.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-neon.h"

/* The weights of one k as int16: columns 0-7 in w0 and, for 4-bit weights, 8-15 in w1. */
#define ET_QNEON_LOAD_K()                                                               \
    int16x8_t w0, w1;                                                                   \
    if (W_BITS == 8) {                                                                  \
        w0 = vmovl_s8(vld1_s8(wk)), w1 = w0;                                            \
    } else {                                                                            \
        const int8x8_t wb = vld1_s8(wk);                                                \
        w0 = vmovl_s8(vshr_n_s8(vshl_n_s8(wb, 4), 4)), w1 = vmovl_s8(vshr_n_s8(wb, 4)); \
    }                                                                                   \
    wk += 8

/* acc[i] += the k's weights times lane L of row i's A values `half` (vget_low_s16 or vget_high_s16 of a_i). */
#define ET_QNEON_MLAL_ROW(i, half, L)                                                \
    do {                                                                             \
        acc[i][0] = vmlal_lane_s16(acc[i][0], vget_low_s16(w0), half(a##i), L);      \
        acc[i][1] = vmlal_lane_s16(acc[i][1], vget_high_s16(w0), half(a##i), L);     \
        if (W_BITS == 4) {                                                           \
            acc[i][2] = vmlal_lane_s16(acc[i][2], vget_low_s16(w1), half(a##i), L);  \
            acc[i][3] = vmlal_lane_s16(acc[i][3], vget_high_s16(w1), half(a##i), L); \
        }                                                                            \
    } while (0)

#define ET_QNEON_K(half, L)            \
    do {                               \
        ET_QNEON_LOAD_K();             \
        ET_QNEON_MLAL_ROW(0, half, L); \
        ET_QNEON_MLAL_ROW(1, half, L); \
        ET_QNEON_MLAL_ROW(2, half, L); \
        ET_QNEON_MLAL_ROW(3, half, L); \
    } while (0)

/* One k of the tail, A value by value. */
#define ET_QNEON_MLAL_N_ROW(i)                                                        \
    do {                                                                              \
        acc[i][0] = vmlal_n_s16(acc[i][0], vget_low_s16(w0), (int16_t)ar[i][k]);      \
        acc[i][1] = vmlal_n_s16(acc[i][1], vget_high_s16(w0), (int16_t)ar[i][k]);     \
        if (W_BITS == 4) {                                                            \
            acc[i][2] = vmlal_n_s16(acc[i][2], vget_low_s16(w1), (int16_t)ar[i][k]);  \
            acc[i][3] = vmlal_n_s16(acc[i][3], vget_high_s16(w1), (int16_t)ar[i][k]); \
        }                                                                             \
    } while (0)

/* The kernel: mr (1..4) rows x nc columns in panels of NR = 8 (W_BITS 8) or 16 (W_BITS 4), ks taps of kc int8
 * (ks = 1 for a GEMM). */
ET_QGEMM_BODY_SIGNATURE {
    ET_QGEMM_BODY_PROLOGUE(4, 1);
    const int W_BITS = ET_BODY_W_BITS;
    const size_t nr = W_BITS == 8 ? 8 : 16;
    int8_t *cr[4];
    const int8_t *rr[4];
    ET_QNEON_ROWS(4, int8_t *, c, cm_stride, cr);
    ET_QNEON_ROWS(4, const int8_t *, r, rm_stride, rr);
    const uint8_t *panel = w;
    const size_t weight_bytes = (ks * kc * nr * (size_t)W_BITS / 8 + 3) / 4 * 4;
    for (;;) {
        int32x4_t acc[4][4]; /* columns 4v..4v+3 in [i][v]; v < nr / 4 used */
        for (size_t v = 0; v < nr / 4; v++) {
            const int32x4_t b = vld1q_s32((const int32_t *)(const void *)panel + 4 * v);
            acc[0][v] = acc[1][v] = acc[2][v] = acc[3][v] = b;
        }
        const int8_t *wk = (const int8_t *)(panel + nr * 4);
        for (size_t t = 0; t < ks; t++) {
            const int8_t *const ar[4] = {ET_BODY_A_ROW(4, t, 0), ET_BODY_A_ROW(4, t, 1), ET_BODY_A_ROW(4, t, 2),
                                         ET_BODY_A_ROW(4, t, 3)};
            size_t k = 0;
            for (; k + 8 <= kc; k += 8) {
                const int16x8_t a0 = vmovl_s8(vld1_s8(ar[0] + k));
                const int16x8_t a1 = vmovl_s8(vld1_s8(ar[1] + k));
                const int16x8_t a2 = vmovl_s8(vld1_s8(ar[2] + k));
                const int16x8_t a3 = vmovl_s8(vld1_s8(ar[3] + k));
                ET_QNEON_K(vget_low_s16, 0);
                ET_QNEON_K(vget_low_s16, 1);
                ET_QNEON_K(vget_low_s16, 2);
                ET_QNEON_K(vget_low_s16, 3);
                ET_QNEON_K(vget_high_s16, 0);
                ET_QNEON_K(vget_high_s16, 1);
                ET_QNEON_K(vget_high_s16, 2);
                ET_QNEON_K(vget_high_s16, 3);
            }
            for (; k < kc; k++) {
                ET_QNEON_LOAD_K();
                ET_QNEON_MLAL_N_ROW(0);
                ET_QNEON_MLAL_N_ROW(1);
                ET_QNEON_MLAL_N_ROW(2);
                ET_QNEON_MLAL_N_ROW(3);
            }
        }
        const float *s = (const float *)(const void *)(panel + nr * 4 + weight_bytes);
        panel += nr * 8 + weight_bytes;
        et_qneon_store_4rows(acc, s, nr, nc, cr, rr, params);
        if (nc <= nr)
            return;
        nc -= nr;
    }
}

#undef ET_QNEON_LOAD_K
#undef ET_QNEON_MLAL_ROW
#undef ET_QNEON_K
#undef ET_QNEON_MLAL_N_ROW
