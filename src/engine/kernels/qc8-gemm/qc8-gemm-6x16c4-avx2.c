/* qc8-gemm-6x16c4-avx2.c: AVX2 quantized GEMM kernel for weights of at most 7 bits, 6 rows x 16 columns, k in quads
 * (see qc8-gemm.h). Its body is qc8-gemm-body-6x16c4-avx2.h, shared with the indirect-GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_qc8_gemm_ukernel_6x16c4__avx2
#define ET_BODY_INDIRECT 0
#include "engine/kernels/qc8-gemm/qc8-gemm-body-6x16c4-avx2.h"
