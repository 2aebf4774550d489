/* f32-gemm-6x16-avx2.c: AVX2+FMA GEMM kernel, 6 rows x 16 columns (see f32-gemm.h). Its body is
 * f32-gemm-body-6x16-avx2.h, shared with the indirect-GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_f32_gemm_ukernel_6x16__avx2
#define ET_BODY_INDIRECT 0
#include "engine/kernels/f32-gemm/f32-gemm-body-6x16-avx2.h"
