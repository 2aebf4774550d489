/* qc8-igemm-4x16c4-neondot.c: NEON dot-product quantized indirect-GEMM kernel, 4 pixels x 16 output channels, k in
 * quads (see qc8-gemm.h). Its body is qc8-gemm-body-4x16c4-neondot.h, shared with the GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_qc8_igemm_ukernel_4x16c4__neondot
#define ET_BODY_INDIRECT 1
#include "engine/kernels/qc8-gemm/qc8-gemm-body-4x16c4-neondot.h"
