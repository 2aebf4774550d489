/* qc4-igemm-4x4-scalar.c: the portable 4-bit-weight indirect-GEMM kernel, 4 pixels x 4 output channels (see
 * qc8-gemm.h for the S4 packing, f32-igemm.h for the indirection buffer). */
#include "engine/kernels/qc8-gemm/qgemm-scalar.h"

ET_QIGEMM_UKERNEL(et_qc4_igemm_ukernel_4x4__scalar) {
    const int8_t *rr[ET_QS_MR];
    int8_t *cr[ET_QS_MR];
    for (size_t i = 0; i < ET_QS_MR; i++) {
        const size_t row = i < mr ? i : mr - 1;
        cr[i] = c + row * cm_stride;
        rr[i] = r ? r + row * rm_stride : NULL;
    }
    const uint8_t *panel = w;
    const size_t weight_bytes = et_round_up(ks * kc * ET_QS_NR / 2, 4);
    for (;;) {
        int32_t acc[ET_QS_MR][ET_QS_NR];
        const uint8_t *wk = et_qs_load_bias(panel, acc);
        for (size_t t = 0; t < ks; t++) {
            const int8_t *ar[ET_QS_MR];
            for (size_t i = 0; i < ET_QS_MR; i++) {
                ar[i] = a[t * ET_QS_MR + i];
                if (ar[i] != zero)
                    ar[i] = (const int8_t *)((uintptr_t)ar[i] + a_offset);
            }
            for (size_t k = 0; k < kc; k++, wk += ET_QS_NR / 2)
                for (size_t i = 0; i < ET_QS_MR; i++) {
                    const int32_t av = ar[i][k];
                    for (size_t j = 0; j < ET_QS_NR; j++)
                        acc[i][j] += av * et_qs4_weight(wk, j);
                }
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
