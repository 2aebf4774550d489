/* f32-gemm-config.c: which GEMM kernels run on this CPU. One table entry per ISA this build has kernels for;
 * et_f32_gemm_config_get picks by the path et_cpu_isa_get() chose, in one chain that ends at scalar. */
#include "engine/kernels/f32-gemm/f32-gemm.h"

static const et_f32_gemm_config scalar_config = {
    et_f32_gemm_ukernel_4x4__scalar, et_f32_gemm_ukernel_1x4__scalar, 4, 4,
    "f32-gemm-4x4-scalar", "f32-gemm-1x4-scalar", ET_ISA_SCALAR,
};
#if defined(__x86_64__)
static const et_f32_gemm_config avx2_config = {
    et_f32_gemm_ukernel_6x16__avx2, et_f32_gemm_ukernel_1x16__avx2, 6, 16,
    "f32-gemm-6x16-avx2", "f32-gemm-1x16-avx2", ET_ISA_AVX2,
};
static const et_f32_gemm_config avx512_config = {
    et_f32_gemm_ukernel_6x32__avx512f, et_f32_gemm_ukernel_1x32__avx512f, 6, 32,
    "f32-gemm-6x32-avx512f", "f32-gemm-1x32-avx512f", ET_ISA_AVX512,
};
#endif
#if defined(__aarch64__)
static const et_f32_gemm_config neon_config = {
    et_f32_gemm_ukernel_6x8__neon, et_f32_gemm_ukernel_1x8__neon, 6, 8,
    "f32-gemm-6x8-neon", "f32-gemm-1x8-neon", ET_ISA_NEON,
};
#endif

const et_f32_gemm_config *et_f32_gemm_config_for(et_cpu_isa isa) {
    switch (isa) {
    case ET_ISA_SCALAR: return &scalar_config;
#if defined(__x86_64__)
    case ET_ISA_AVX2: return &avx2_config;
    case ET_ISA_AVX512: return &avx512_config;
#endif
#if defined(__aarch64__)
    case ET_ISA_NEON: /* fp32 has no dot-product kernel: neon+dot runs the NEON ones */
    case ET_ISA_NEONDOT: return &neon_config;
#endif
    default: return NULL;
    }
}

const et_f32_gemm_config *et_f32_gemm_config_get(void) {
    const et_f32_gemm_config *config = et_f32_gemm_config_for(et_cpu_isa_get());
    return config ? config : &scalar_config;
}
