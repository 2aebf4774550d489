/* qc4-gemm-4x4-scalar.c: the portable 4-bit-weight GEMM kernel, 4 rows x 4 columns, int8 A, weights packed two per
 * byte (see qc8-gemm.h). Its body is qgemm-body-4x4-scalar.h, shared with the other scalar qc8/qc4 kernels
 * (gemm-body.h). */
#define ET_BODY_NAME et_qc4_gemm_ukernel_4x4__scalar
#define ET_BODY_INDIRECT 0
#define ET_BODY_W_BITS 4
#include "engine/kernels/qc8-gemm/qgemm-body-4x4-scalar.h"
