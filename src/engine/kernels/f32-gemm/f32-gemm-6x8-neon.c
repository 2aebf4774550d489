/* f32-gemm-6x8-neon.c: aarch64 NEON GEMM kernel, 6 rows x 8 columns (see f32-gemm.h). Its body is
 * f32-gemm-body-6x8-neon.h, shared with the indirect-GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_f32_gemm_ukernel_6x8__neon
#define ET_BODY_INDIRECT 0
#include "engine/kernels/f32-gemm/f32-gemm-body-6x8-neon.h"
