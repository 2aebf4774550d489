/* qc8-gemm-4x8-neon.c: NEON quantized GEMM kernel, 4 rows x 8 columns, int8 A as stored and int8 weights (see
 * qc8-gemm.h). Its body is qgemm-body-4xn-neon.h, shared with the other NEON qc8/qc4 kernels (gemm-body.h). */
#define ET_BODY_NAME et_qc8_gemm_ukernel_4x8__neon
#define ET_BODY_INDIRECT 0
#define ET_BODY_W_BITS 8
#include "engine/kernels/qc8-gemm/qgemm-body-4xn-neon.h"
