/* f32-igemm-6x32-avx512f.c: AVX-512F indirect-GEMM kernel, 6 pixels x 32 output channels (see f32-igemm.h). Its
 * body is f32-gemm-body-6x32-avx512f.h, shared with the GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_f32_igemm_ukernel_6x32__avx512f
#define ET_BODY_INDIRECT 1
#include "engine/kernels/f32-gemm/f32-gemm-body-6x32-avx512f.h"
