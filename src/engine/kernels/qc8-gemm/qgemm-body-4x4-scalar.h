/* qgemm-body-4x4-scalar.h: the portable 4 x 4 quantized body (KR = 1) of the four scalar kernels, qc8 and qc4,
 * GEMM and IGEMM, which differ only in how a weight is stored (ET_BODY_W_BITS: 8 for int8, 4 for nibbles,
 * qc8-gemm.h) and in where a row of A starts. A template (gemm-body.h): the kernel file names the kernel. The
 * oracle the SIMD kernels are tested against, and the fallback without SIMD. */

#include <stdint.h>
#include <string.h>

#include "engine/kernels/gemm-body.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "util/mem.h"

enum { ET_QS_MR = 4, ET_QS_NR = 4 };

/* Weight j (< NR) of one k in a panel block: int8 when W_BITS is 8; when 4, element j of the two bytes that hold
 * the k's NR = 4 nibbles (qc8-gemm.h). */
static inline __attribute__((always_inline)) int32_t et_qs_weight(const int W_BITS, const uint8_t *wk, size_t j) {
    if (W_BITS == 8)
        return (int8_t)wk[j];
    const unsigned v = j < 2 ? wk[j] & 15u : wk[j - 2] >> 4;
    return (int32_t)(v ^ 8u) - 8;
}

/* Requantizes a tile of accumulators and stores its first nc (<= NR) columns. Every residual value is read
 * before any output is written, so r may equal c (an in-place residual add, rows aliased or not). */
static inline void et_qs_store_tile(size_t nc, int32_t acc[ET_QS_MR][ET_QS_NR], const float *scale, int8_t *cr[],
                                    const int8_t *rr[], const et_qs8_requant_params *params) {
    int8_t out[ET_QS_MR][ET_QS_NR];
    for (size_t i = 0; i < ET_QS_MR; i++)
        for (size_t j = 0; j < nc; j++)
            out[i][j] = rr[i] ? et_qs8_requantize_residual(acc[i][j], scale[j], rr[i][j], params)
                              : et_qs8_requantize(acc[i][j], scale[j], params);
    for (size_t i = ET_QS_MR; i-- > 0;)
        memcpy(cr[i], out[i], nc);
}

/* The kernel: mr (1..4) rows x nc columns, ks taps of kc int8 (ks = 1 for a GEMM). */
ET_QGEMM_BODY_SIGNATURE {
    ET_QGEMM_BODY_PROLOGUE(4, 1);
    const int W_BITS = ET_BODY_W_BITS;
    const int8_t *rr[ET_QS_MR];
    int8_t *cr[ET_QS_MR];
    for (size_t i = 0; i < ET_QS_MR; i++) {
        const size_t row = i < mr ? i : mr - 1;
        cr[i] = c + row * cm_stride;
        rr[i] = r ? r + row * rm_stride : NULL;
    }
    const size_t k_bytes = ET_QS_NR * (size_t)W_BITS / 8; /* weight bytes per k */
    const uint8_t *panel = w;
    const size_t weight_bytes = et_round_up(ks * kc * k_bytes, 4);
    for (;;) {
        int32_t acc[ET_QS_MR][ET_QS_NR], bias[ET_QS_NR];
        memcpy(bias, panel, sizeof bias);
        for (size_t i = 0; i < ET_QS_MR; i++)
            for (size_t j = 0; j < ET_QS_NR; j++)
                acc[i][j] = bias[j];
        const uint8_t *wk = panel + sizeof bias;
        for (size_t t = 0; t < ks; t++) {
            const int8_t *ar[ET_QS_MR];
            for (size_t i = 0; i < ET_QS_MR; i++)
                ar[i] = ET_BODY_A_ROW(ET_QS_MR, t, i);
            for (size_t k = 0; k < kc; k++, wk += k_bytes)
                for (size_t i = 0; i < ET_QS_MR; i++) {
                    const int32_t av = ar[i][k];
                    for (size_t j = 0; j < ET_QS_NR; j++)
                        acc[i][j] += av * et_qs_weight(W_BITS, wk, j);
                }
        }
        float scale[ET_QS_NR];
        memcpy(scale, panel + sizeof bias + weight_bytes, sizeof scale);
        panel += sizeof bias + weight_bytes + sizeof scale;
        const size_t cols = nc < ET_QS_NR ? nc : ET_QS_NR;
        et_qs_store_tile(cols, acc, scale, cr, rr, params);
        if (nc <= ET_QS_NR)
            return;
        nc -= ET_QS_NR;
        for (size_t i = 0; i < ET_QS_MR; i++) {
            cr[i] += ET_QS_NR;
            if (rr[i])
                rr[i] += ET_QS_NR;
        }
    }
}
