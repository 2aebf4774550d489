/* qc8-igemm-7x16c4-avx512vnni.c: AVX-512 VNNI quantized indirect-GEMM kernel, 7 pixels x 16 output channels, k in
 * quads (see qc8-gemm.h). Its body is qc8-gemm-body-7x16c4-avx512vnni.h, shared with the GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_qc8_igemm_ukernel_7x16c4__avx512vnni
#define ET_BODY_INDIRECT 1
#include "engine/kernels/qc8-gemm/qc8-gemm-body-7x16c4-avx512vnni.h"
