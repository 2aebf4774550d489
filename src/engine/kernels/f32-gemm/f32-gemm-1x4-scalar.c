/* f32-gemm-1x4-scalar.c: the portable GEMM kernel, one row x 4 columns, for tiles of one row (see f32-gemm.h). Its
 * body is f32-gemm-body-4x4-scalar.h, shared with the other scalar kernels (gemm-body.h). */
#define ET_BODY_NAME et_f32_gemm_ukernel_1x4__scalar
#define ET_BODY_INDIRECT 0
#define ET_BODY_MR 1
#include "engine/kernels/f32-gemm/f32-gemm-body-4x4-scalar.h"
