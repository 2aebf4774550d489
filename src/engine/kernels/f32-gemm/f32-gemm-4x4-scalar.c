/* f32-gemm-4x4-scalar.c: the portable GEMM kernel, 4 rows x 4 columns of accumulators (see f32-gemm.h). Its body is
 * f32-gemm-body-4x4-scalar.h, shared with the other scalar kernels (gemm-body.h). */
#define ET_BODY_NAME et_f32_gemm_ukernel_4x4__scalar
#define ET_BODY_INDIRECT 0
#define ET_BODY_MR 4
#include "engine/kernels/f32-gemm/f32-gemm-body-4x4-scalar.h"
