/* f32-igemm-6x16-avx2.c: AVX2+FMA indirect-GEMM kernel, 6 pixels x 16 output channels (see f32-igemm.h). Its body
 * is f32-gemm-body-6x16-avx2.h, shared with the GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_f32_igemm_ukernel_6x16__avx2
#define ET_BODY_INDIRECT 1
#include "engine/kernels/f32-gemm/f32-gemm-body-6x16-avx2.h"
