/* qgemm-scalar.h: the pieces the portable qc8/qc4 GEMM and IGEMM kernels share (4 x 4 tiles, KR = 1): the
 * panel walk and the requantizing store. Only the scalar kernel files include it. */
#ifndef ET_KERNELS_QGEMM_SCALAR_H
#define ET_KERNELS_QGEMM_SCALAR_H

#include <stdint.h>
#include <string.h>

#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "util/mem.h"

enum { ET_QS_MR = 4, ET_QS_NR = 4 };

/* A weight of a 4-bit panel block: element x of the NR = 4 elements of one k (two bytes, qc8-gemm.h). */
static inline int32_t et_qs4_weight(const uint8_t *block, size_t x) {
    const unsigned v = x < 2 ? block[x] & 15u : block[x - 2] >> 4;
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

/* Loads a panel's bias into every row of the tile; returns the panel's weights. */
static inline const uint8_t *et_qs_load_bias(const uint8_t *panel, int32_t acc[ET_QS_MR][ET_QS_NR]) {
    int32_t bias[ET_QS_NR];
    memcpy(bias, panel, sizeof bias);
    for (size_t i = 0; i < ET_QS_MR; i++)
        for (size_t j = 0; j < ET_QS_NR; j++)
            acc[i][j] = bias[j];
    return panel + sizeof bias;
}

#endif
