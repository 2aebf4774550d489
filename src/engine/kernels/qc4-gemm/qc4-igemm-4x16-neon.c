/* qc4-igemm-4x16-neon.c: NEON 4-bit-weight indirect-GEMM kernel, 4 pixels x 16 output channels, int8 A as stored
 * (see qc8-gemm.h). Its body is qgemm-body-4xn-neon.h, shared with the other NEON qc8/qc4 kernels (gemm-body.h). */
#define ET_BODY_NAME et_qc4_igemm_ukernel_4x16__neon
#define ET_BODY_INDIRECT 1
#define ET_BODY_W_BITS 4
#include "engine/kernels/qc8-gemm/qgemm-body-4xn-neon.h"
