/* f32-igemm-4x4-scalar.c: the portable indirect-GEMM kernel, 4 pixels x 4 output channels (see f32-igemm.h). Its
 * body is f32-gemm-body-4x4-scalar.h, shared with the scalar GEMM kernels (gemm-body.h). */
#define ET_BODY_NAME et_f32_igemm_ukernel_4x4__scalar
#define ET_BODY_INDIRECT 1
#define ET_BODY_MR 4
#include "engine/kernels/f32-gemm/f32-gemm-body-4x4-scalar.h"
