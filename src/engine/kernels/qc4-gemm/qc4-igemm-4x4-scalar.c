/* qc4-igemm-4x4-scalar.c: the portable 4-bit-weight indirect-GEMM kernel, 4 pixels x 4 output channels (see
 * qc8-gemm.h). Its body is qgemm-body-4x4-scalar.h, shared with the other scalar qc8/qc4 kernels (gemm-body.h). */
#define ET_BODY_NAME et_qc4_igemm_ukernel_4x4__scalar
#define ET_BODY_INDIRECT 1
#define ET_BODY_W_BITS 4
#include "engine/kernels/qc8-gemm/qgemm-body-4x4-scalar.h"
