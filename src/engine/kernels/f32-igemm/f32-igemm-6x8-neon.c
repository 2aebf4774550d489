/* f32-igemm-6x8-neon.c: aarch64 NEON indirect-GEMM kernel, 6 pixels x 8 output channels (see f32-igemm.h). Its body
 * is f32-gemm-body-6x8-neon.h, shared with the GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_f32_igemm_ukernel_6x8__neon
#define ET_BODY_INDIRECT 1
#include "engine/kernels/f32-gemm/f32-gemm-body-6x8-neon.h"
