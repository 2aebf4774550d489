/* qc8-igemm-4x8-neon.c: NEON quantized indirect-GEMM kernel, 4 pixels x 8 output channels, int8 A as stored and
 * int8 weights (see qc8-gemm.h). Its body is qgemm-body-4xn-neon.h, shared with the other NEON qc8/qc4 kernels
 * (gemm-body.h). */
#define ET_BODY_NAME et_qc8_igemm_ukernel_4x8__neon
#define ET_BODY_INDIRECT 1
#define ET_BODY_W_BITS 8
#include "engine/kernels/qc8-gemm/qgemm-body-4xn-neon.h"
