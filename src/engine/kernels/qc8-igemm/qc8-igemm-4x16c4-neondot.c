/* qc8-igemm-4x16c4-neondot.c: NEON dot-product quantized indirect-GEMM kernel, 4 rows x 16 columns, k in quads
 * (see qc8-gemm.h). A int8 as stored (ET_QA_S8), weights int8 in blocks of 16 columns x 4 k (four q registers of
 * 4 columns each); sdot multiplies 4 signed bytes of A (one lane) by 4 of each column and adds them into int32:
 * exact, 16 MACs per instruction. Sixteen k per step: one 16-byte load per row feeds four sdot lanes. */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-neon.h"

ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_4x16c4__neondot) {
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
            const int8_t *ar[4];
            for (size_t i = 0; i < 4; i++)
                ar[i] = a[t * 4 + i] == zero ? (const int8_t *)zero : (const int8_t *)((uintptr_t)a[t * 4 + i] + a_offset);
            size_t k = 0;
            for (; k + 16 <= kc; k += 16) {
                const int8x16_t a0 = vld1q_s8(ar[0] + k);
                const int8x16_t a1 = vld1q_s8(ar[1] + k);
                const int8x16_t a2 = vld1q_s8(ar[2] + k);
                const int8x16_t a3 = vld1q_s8(ar[3] + k);
                {
                    const int8x16_t w0 = vld1q_s8(wk), w1 = vld1q_s8(wk + 16), w2 = vld1q_s8(wk + 32), w3 = vld1q_s8(wk + 48);
                    wk += 64;
                    acc[0][0] = vdotq_laneq_s32(acc[0][0], w0, a0, 0);
                    acc[0][1] = vdotq_laneq_s32(acc[0][1], w1, a0, 0);
                    acc[0][2] = vdotq_laneq_s32(acc[0][2], w2, a0, 0);
                    acc[0][3] = vdotq_laneq_s32(acc[0][3], w3, a0, 0);
                    acc[1][0] = vdotq_laneq_s32(acc[1][0], w0, a1, 0);
                    acc[1][1] = vdotq_laneq_s32(acc[1][1], w1, a1, 0);
                    acc[1][2] = vdotq_laneq_s32(acc[1][2], w2, a1, 0);
                    acc[1][3] = vdotq_laneq_s32(acc[1][3], w3, a1, 0);
                    acc[2][0] = vdotq_laneq_s32(acc[2][0], w0, a2, 0);
                    acc[2][1] = vdotq_laneq_s32(acc[2][1], w1, a2, 0);
                    acc[2][2] = vdotq_laneq_s32(acc[2][2], w2, a2, 0);
                    acc[2][3] = vdotq_laneq_s32(acc[2][3], w3, a2, 0);
                    acc[3][0] = vdotq_laneq_s32(acc[3][0], w0, a3, 0);
                    acc[3][1] = vdotq_laneq_s32(acc[3][1], w1, a3, 0);
                    acc[3][2] = vdotq_laneq_s32(acc[3][2], w2, a3, 0);
                    acc[3][3] = vdotq_laneq_s32(acc[3][3], w3, a3, 0);
                }
                {
                    const int8x16_t w0 = vld1q_s8(wk), w1 = vld1q_s8(wk + 16), w2 = vld1q_s8(wk + 32), w3 = vld1q_s8(wk + 48);
                    wk += 64;
                    acc[0][0] = vdotq_laneq_s32(acc[0][0], w0, a0, 1);
                    acc[0][1] = vdotq_laneq_s32(acc[0][1], w1, a0, 1);
                    acc[0][2] = vdotq_laneq_s32(acc[0][2], w2, a0, 1);
                    acc[0][3] = vdotq_laneq_s32(acc[0][3], w3, a0, 1);
                    acc[1][0] = vdotq_laneq_s32(acc[1][0], w0, a1, 1);
                    acc[1][1] = vdotq_laneq_s32(acc[1][1], w1, a1, 1);
                    acc[1][2] = vdotq_laneq_s32(acc[1][2], w2, a1, 1);
                    acc[1][3] = vdotq_laneq_s32(acc[1][3], w3, a1, 1);
                    acc[2][0] = vdotq_laneq_s32(acc[2][0], w0, a2, 1);
                    acc[2][1] = vdotq_laneq_s32(acc[2][1], w1, a2, 1);
                    acc[2][2] = vdotq_laneq_s32(acc[2][2], w2, a2, 1);
                    acc[2][3] = vdotq_laneq_s32(acc[2][3], w3, a2, 1);
                    acc[3][0] = vdotq_laneq_s32(acc[3][0], w0, a3, 1);
                    acc[3][1] = vdotq_laneq_s32(acc[3][1], w1, a3, 1);
                    acc[3][2] = vdotq_laneq_s32(acc[3][2], w2, a3, 1);
                    acc[3][3] = vdotq_laneq_s32(acc[3][3], w3, a3, 1);
                }
                {
                    const int8x16_t w0 = vld1q_s8(wk), w1 = vld1q_s8(wk + 16), w2 = vld1q_s8(wk + 32), w3 = vld1q_s8(wk + 48);
                    wk += 64;
                    acc[0][0] = vdotq_laneq_s32(acc[0][0], w0, a0, 2);
                    acc[0][1] = vdotq_laneq_s32(acc[0][1], w1, a0, 2);
                    acc[0][2] = vdotq_laneq_s32(acc[0][2], w2, a0, 2);
                    acc[0][3] = vdotq_laneq_s32(acc[0][3], w3, a0, 2);
                    acc[1][0] = vdotq_laneq_s32(acc[1][0], w0, a1, 2);
                    acc[1][1] = vdotq_laneq_s32(acc[1][1], w1, a1, 2);
                    acc[1][2] = vdotq_laneq_s32(acc[1][2], w2, a1, 2);
                    acc[1][3] = vdotq_laneq_s32(acc[1][3], w3, a1, 2);
                    acc[2][0] = vdotq_laneq_s32(acc[2][0], w0, a2, 2);
                    acc[2][1] = vdotq_laneq_s32(acc[2][1], w1, a2, 2);
                    acc[2][2] = vdotq_laneq_s32(acc[2][2], w2, a2, 2);
                    acc[2][3] = vdotq_laneq_s32(acc[2][3], w3, a2, 2);
                    acc[3][0] = vdotq_laneq_s32(acc[3][0], w0, a3, 2);
                    acc[3][1] = vdotq_laneq_s32(acc[3][1], w1, a3, 2);
                    acc[3][2] = vdotq_laneq_s32(acc[3][2], w2, a3, 2);
                    acc[3][3] = vdotq_laneq_s32(acc[3][3], w3, a3, 2);
                }
                {
                    const int8x16_t w0 = vld1q_s8(wk), w1 = vld1q_s8(wk + 16), w2 = vld1q_s8(wk + 32), w3 = vld1q_s8(wk + 48);
                    wk += 64;
                    acc[0][0] = vdotq_laneq_s32(acc[0][0], w0, a0, 3);
                    acc[0][1] = vdotq_laneq_s32(acc[0][1], w1, a0, 3);
                    acc[0][2] = vdotq_laneq_s32(acc[0][2], w2, a0, 3);
                    acc[0][3] = vdotq_laneq_s32(acc[0][3], w3, a0, 3);
                    acc[1][0] = vdotq_laneq_s32(acc[1][0], w0, a1, 3);
                    acc[1][1] = vdotq_laneq_s32(acc[1][1], w1, a1, 3);
                    acc[1][2] = vdotq_laneq_s32(acc[1][2], w2, a1, 3);
                    acc[1][3] = vdotq_laneq_s32(acc[1][3], w3, a1, 3);
                    acc[2][0] = vdotq_laneq_s32(acc[2][0], w0, a2, 3);
                    acc[2][1] = vdotq_laneq_s32(acc[2][1], w1, a2, 3);
                    acc[2][2] = vdotq_laneq_s32(acc[2][2], w2, a2, 3);
                    acc[2][3] = vdotq_laneq_s32(acc[2][3], w3, a2, 3);
                    acc[3][0] = vdotq_laneq_s32(acc[3][0], w0, a3, 3);
                    acc[3][1] = vdotq_laneq_s32(acc[3][1], w1, a3, 3);
                    acc[3][2] = vdotq_laneq_s32(acc[3][2], w2, a3, 3);
                    acc[3][3] = vdotq_laneq_s32(acc[3][3], w3, a3, 3);
                }
            }
            for (; k < kc; k += 4) { /* kc is a multiple of 4 */
                const int8x16_t w0 = vld1q_s8(wk), w1 = vld1q_s8(wk + 16), w2 = vld1q_s8(wk + 32), w3 = vld1q_s8(wk + 48);
                wk += 64;
                {
                    int32_t q;
                    memcpy(&q, ar[0] + k, 4);
                    const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(q));
                    acc[0][0] = vdotq_s32(acc[0][0], w0, av);
                    acc[0][1] = vdotq_s32(acc[0][1], w1, av);
                    acc[0][2] = vdotq_s32(acc[0][2], w2, av);
                    acc[0][3] = vdotq_s32(acc[0][3], w3, av);
                }
                {
                    int32_t q;
                    memcpy(&q, ar[1] + k, 4);
                    const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(q));
                    acc[1][0] = vdotq_s32(acc[1][0], w0, av);
                    acc[1][1] = vdotq_s32(acc[1][1], w1, av);
                    acc[1][2] = vdotq_s32(acc[1][2], w2, av);
                    acc[1][3] = vdotq_s32(acc[1][3], w3, av);
                }
                {
                    int32_t q;
                    memcpy(&q, ar[2] + k, 4);
                    const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(q));
                    acc[2][0] = vdotq_s32(acc[2][0], w0, av);
                    acc[2][1] = vdotq_s32(acc[2][1], w1, av);
                    acc[2][2] = vdotq_s32(acc[2][2], w2, av);
                    acc[2][3] = vdotq_s32(acc[2][3], w3, av);
                }
                {
                    int32_t q;
                    memcpy(&q, ar[3] + k, 4);
                    const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(q));
                    acc[3][0] = vdotq_s32(acc[3][0], w0, av);
                    acc[3][1] = vdotq_s32(acc[3][1], w1, av);
                    acc[3][2] = vdotq_s32(acc[3][2], w2, av);
                    acc[3][3] = vdotq_s32(acc[3][3], w3, av);
                }
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
