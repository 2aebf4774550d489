/* f32-gemm-6x32-avx512f.c: AVX-512F GEMM kernel, 6 rows x 32 columns (see f32-gemm.h). Its body is
 * f32-gemm-body-6x32-avx512f.h, shared with the indirect-GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_f32_gemm_ukernel_6x32__avx512f
#define ET_BODY_INDIRECT 0
#include "engine/kernels/f32-gemm/f32-gemm-body-6x32-avx512f.h"
