/* qc8-igemm-6x16c4-avx2.c: AVX2 quantized indirect-GEMM kernel for weights of at most 7 bits, 6 pixels x 16 output
 * channels, k in quads (see qc8-gemm.h). Its body is qc8-gemm-body-6x16c4-avx2.h, shared with the GEMM kernel
 * (gemm-body.h). */
#define ET_BODY_NAME et_qc8_igemm_ukernel_6x16c4__avx2
#define ET_BODY_INDIRECT 1
#include "engine/kernels/qc8-gemm/qc8-gemm-body-6x16c4-avx2.h"
