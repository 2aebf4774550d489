/* qc8-gemm-4x16c4-neondot.c: NEON dot-product quantized GEMM kernel, 4 rows x 16 columns, k in quads (see
 * qc8-gemm.h). Its body is qc8-gemm-body-4x16c4-neondot.h, shared with the indirect-GEMM kernel (gemm-body.h). */
#define ET_BODY_NAME et_qc8_gemm_ukernel_4x16c4__neondot
#define ET_BODY_INDIRECT 0
#include "engine/kernels/qc8-gemm/qc8-gemm-body-4x16c4-neondot.h"
