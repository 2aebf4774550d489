/* f32-gemm-config.c: the GEMM kernels this build has, best first; et_f32_gemm_config_get picks the first one this
 * CPU and the chosen ISA path allow (dispatch.h), scalar at worst. */
#include "engine/kernels/f32-gemm/f32-gemm.h"

static const et_f32_gemm_config configs[] = {
#if defined(__x86_64__)
    {et_f32_gemm_ukernel_6x32__avx512f, et_f32_gemm_ukernel_1x32__avx512f, 6, 32, "f32-gemm-6x32-avx512f",
     "f32-gemm-1x32-avx512f", ET_KREQ_AVX512F},
    {et_f32_gemm_ukernel_6x16__avx2, et_f32_gemm_ukernel_1x16__avx2, 6, 16, "f32-gemm-6x16-avx2", "f32-gemm-1x16-avx2",
     ET_KREQ_AVX2},
#endif
#if defined(__aarch64__) /* fp32 has no dot-product kernel: neon+dot runs the NEON ones */
    {et_f32_gemm_ukernel_6x8__neon, et_f32_gemm_ukernel_1x8__neon, 6, 8, "f32-gemm-6x8-neon", "f32-gemm-1x8-neon",
     ET_KREQ_NEON},
#endif
    {et_f32_gemm_ukernel_4x4__scalar, et_f32_gemm_ukernel_1x4__scalar, 4, 4, "f32-gemm-4x4-scalar",
     "f32-gemm-1x4-scalar", ET_KREQ_SCALAR},
};

const et_f32_gemm_config *et_f32_gemm_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_f32_gemm_config *et_f32_gemm_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}
