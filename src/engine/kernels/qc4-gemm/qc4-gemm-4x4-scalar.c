/* qc4-gemm-4x4-scalar.c: the portable 4-bit-weight GEMM kernel, 4 rows x 4 columns: int8 A, weights packed two
 * per byte (qc8-gemm.h, format S4) and unpacked to int8 here; the oracle of the SIMD qc4 kernels. */
#include "engine/kernels/qc8-gemm/qgemm-scalar.h"

ET_QGEMM_UKERNEL(et_qc4_gemm_ukernel_4x4__scalar) {
    const int8_t *ar[ET_QS_MR], *rr[ET_QS_MR];
    int8_t *cr[ET_QS_MR];
    for (size_t i = 0; i < ET_QS_MR; i++) {
        const size_t row = i < mr ? i : mr - 1;
        ar[i] = (const int8_t *)a + row * a_stride;
        cr[i] = c + row * cm_stride;
        rr[i] = r ? r + row * rm_stride : NULL;
    }
    const uint8_t *panel = w;
    const size_t weight_bytes = et_round_up(kc * ET_QS_NR / 2, 4);
    for (;;) {
        int32_t acc[ET_QS_MR][ET_QS_NR];
        const uint8_t *wk = et_qs_load_bias(panel, acc);
        for (size_t k = 0; k < kc; k++, wk += ET_QS_NR / 2)
            for (size_t i = 0; i < ET_QS_MR; i++) {
                const int32_t av = ar[i][k];
                for (size_t j = 0; j < ET_QS_NR; j++)
                    acc[i][j] += av * et_qs4_weight(wk, j);
            }
        float scale[ET_QS_NR];
        memcpy(scale, panel + ET_QS_NR * sizeof(int32_t) + weight_bytes, sizeof scale);
        panel += ET_QS_NR * sizeof(int32_t) + weight_bytes + sizeof scale;
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
