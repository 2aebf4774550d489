/* qc8-igemm-4x4-scalar.c: the portable quantized indirect-GEMM kernel, 4 pixels x 4 output channels, int8 A and
 * weights (see qc8-gemm.h). Its body is qgemm-body-4x4-scalar.h, shared with the other scalar qc8/qc4 kernels
 * (gemm-body.h). */
#define ET_BODY_NAME et_qc8_igemm_ukernel_4x4__scalar
#define ET_BODY_INDIRECT 1
#define ET_BODY_W_BITS 8
#include "engine/kernels/qc8-gemm/qgemm-body-4x4-scalar.h"
