/* qc8-gemm-7x16c4-avx512vnni.c: AVX-512 VNNI quantized GEMM kernel, 7 rows x 16 columns, k in quads (see
 * qc8-gemm.h). Its body is qc8-gemm-body-7x16c4-avx512vnni.h, shared with the indirect-GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_qc8_gemm_ukernel_7x16c4__avx512vnni
#define ET_BODY_INDIRECT 0
#include "engine/kernels/qc8-gemm/qc8-gemm-body-7x16c4-avx512vnni.h"
