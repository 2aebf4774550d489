/* qc8-gemm-body-4x16c4-neondot.h: the NEON dot-product 4 x 16 body, k in quads, of qc8-gemm-4x16c4-neondot.c and
 * qc8-igemm-4x16c4-neondot.c, which differ only in where a row of A starts. A template (gemm-body.h): the kernel
 * file names the kernel; built with +dotprod.
 *
 * A int8 as stored (ET_QA_S8), weights int8 in blocks of 16 columns x 4 k (four q registers of 4 columns each);
 * sdot multiplies 4 signed bytes of A (one lane) by 4 of each column and adds them into int32: exact, 16 MACs per
 * instruction. Sixteen k per step: one 16-byte load per row feeds four sdot lanes. */

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/kernels/gemm-body.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-neon.h"

/* The 16 columns x 4 k block at wk, as four q registers of 4 columns. */
#define ET_QDOT_LOAD_BLOCK()                                                                                   \
    const int8x16_t w0 = vld1q_s8(wk), w1 = vld1q_s8(wk + 16), w2 = vld1q_s8(wk + 32), w3 = vld1q_s8(wk + 48); \
    wk += 64

/* Row i's 16 columns += the block times lane L (4 bytes) of the row's A values a_i. */
#define ET_QDOT_LANE_ROW(i, L)                               \
    do {                                                     \
        acc[i][0] = vdotq_laneq_s32(acc[i][0], w0, a##i, L); \
        acc[i][1] = vdotq_laneq_s32(acc[i][1], w1, a##i, L); \
        acc[i][2] = vdotq_laneq_s32(acc[i][2], w2, a##i, L); \
        acc[i][3] = vdotq_laneq_s32(acc[i][3], w3, a##i, L); \
    } while (0)

#define ET_QDOT_LANE(L)         \
    do {                        \
        ET_QDOT_LOAD_BLOCK();   \
        ET_QDOT_LANE_ROW(0, L); \
        ET_QDOT_LANE_ROW(1, L); \
        ET_QDOT_LANE_ROW(2, L); \
        ET_QDOT_LANE_ROW(3, L); \
    } while (0)

/* One k quad of the tail for row i: its 4 A bytes broadcast to every lane. */
#define ET_QDOT_QUAD_ROW(i)                                        \
    do {                                                           \
        int32_t q;                                                 \
        memcpy(&q, ar[i] + k, 4);                                  \
        const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(q)); \
        acc[i][0] = vdotq_s32(acc[i][0], w0, av);                  \
        acc[i][1] = vdotq_s32(acc[i][1], w1, av);                  \
        acc[i][2] = vdotq_s32(acc[i][2], w2, av);                  \
        acc[i][3] = vdotq_s32(acc[i][3], w3, av);                  \
    } while (0)

/* The kernel: mr (1..4) rows x nc columns, ks taps of kc int8 (kc a multiple of 4; ks = 1 for a GEMM). */
ET_QGEMM_BODY_SIGNATURE {
    ET_QGEMM_BODY_PROLOGUE(4, 4);
    int8_t *cr[4];
    const int8_t *rr[4];
    ET_QNEON_ROWS(4, int8_t *, c, cm_stride, cr);
    ET_QNEON_ROWS(4, const int8_t *, r, rm_stride, rr);
    const uint8_t *panel = w;
    for (;;) {
        int32x4_t acc[4][4];
        for (size_t v = 0; v < 4; v++) {
            const int32x4_t b = vld1q_s32((const int32_t *)(const void *)panel + 4 * v);
            acc[0][v] = acc[1][v] = acc[2][v] = acc[3][v] = b;
        }
        const int8_t *wk = (const int8_t *)(panel + 64);
        for (size_t t = 0; t < ks; t++) {
            const int8_t *const ar[4] = {ET_BODY_A_ROW(4, t, 0), ET_BODY_A_ROW(4, t, 1), ET_BODY_A_ROW(4, t, 2),
                                         ET_BODY_A_ROW(4, t, 3)};
            size_t k = 0;
            for (; k + 16 <= kc; k += 16) {
                const int8x16_t a0 = vld1q_s8(ar[0] + k);
                const int8x16_t a1 = vld1q_s8(ar[1] + k);
                const int8x16_t a2 = vld1q_s8(ar[2] + k);
                const int8x16_t a3 = vld1q_s8(ar[3] + k);
                ET_QDOT_LANE(0);
                ET_QDOT_LANE(1);
                ET_QDOT_LANE(2);
                ET_QDOT_LANE(3);
            }
            for (; k < kc; k += 4) {
                ET_QDOT_LOAD_BLOCK();
                ET_QDOT_QUAD_ROW(0);
                ET_QDOT_QUAD_ROW(1);
                ET_QDOT_QUAD_ROW(2);
                ET_QDOT_QUAD_ROW(3);
            }
        }
        const float *s = (const float *)(const void *)wk;
        panel = (const uint8_t *)wk + 64;
        et_qneon_store_4rows(acc, s, 16, nc, cr, rr, params);
        if (nc <= 16)
            return;
        nc -= 16;
    }
}

#undef ET_QDOT_LOAD_BLOCK
#undef ET_QDOT_LANE_ROW
#undef ET_QDOT_LANE
#undef ET_QDOT_QUAD_ROW
