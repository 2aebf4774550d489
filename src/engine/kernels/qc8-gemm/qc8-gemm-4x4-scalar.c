/* qc8-gemm-4x4-scalar.c: the portable quantized GEMM kernel, 4 rows x 4 columns, int8 A and weights (see
 * qc8-gemm.h). Its body is qgemm-body-4x4-scalar.h, shared with the other scalar qc8/qc4 kernels (gemm-body.h). */
#define ET_BODY_NAME et_qc8_gemm_ukernel_4x4__scalar
#define ET_BODY_INDIRECT 0
#define ET_BODY_W_BITS 8
#include "engine/kernels/qc8-gemm/qgemm-body-4x4-scalar.h"
