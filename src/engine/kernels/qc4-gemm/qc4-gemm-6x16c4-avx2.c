/* qc4-gemm-6x16c4-avx2.c: AVX2 4-bit-weight GEMM kernel, 6 rows x 16 columns, k in quads (see qc8-gemm.h). Its body
 * is qc4-gemm-body-6x16c4-avx2.h, shared with the indirect-GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_qc4_gemm_ukernel_6x16c4__avx2
#define ET_BODY_INDIRECT 0
#include "engine/kernels/qc4-gemm/qc4-gemm-body-6x16c4-avx2.h"
