/* f32-igemm-config.c: which indirect-GEMM kernel runs on this CPU (chain by the chosen ISA, ending at scalar). */
#include "engine/kernels/f32-igemm/f32-igemm.h"

static const et_f32_igemm_config scalar_config = {
    et_f32_igemm_ukernel_4x4__scalar, 4, 4, "f32-igemm-4x4-scalar", ET_ISA_SCALAR,
};
#if defined(__x86_64__)
static const et_f32_igemm_config avx2_config = {
    et_f32_igemm_ukernel_6x16__avx2, 6, 16, "f32-igemm-6x16-avx2", ET_ISA_AVX2,
};
static const et_f32_igemm_config avx512_config = {
    et_f32_igemm_ukernel_6x32__avx512f, 6, 32, "f32-igemm-6x32-avx512f", ET_ISA_AVX512,
};
#endif
#if defined(__aarch64__)
static const et_f32_igemm_config neon_config = {
    et_f32_igemm_ukernel_6x8__neon, 6, 8, "f32-igemm-6x8-neon", ET_ISA_NEON,
};
#endif

const et_f32_igemm_config *et_f32_igemm_config_for(et_cpu_isa isa) {
    switch (isa) {
    case ET_ISA_SCALAR: return &scalar_config;
#if defined(__x86_64__)
    case ET_ISA_AVX2: return &avx2_config;
    case ET_ISA_AVX512: return &avx512_config;
#endif
#if defined(__aarch64__)
    case ET_ISA_NEON:
    case ET_ISA_NEONDOT: return &neon_config;
#endif
    default: return NULL;
    }
}

const et_f32_igemm_config *et_f32_igemm_config_get(void) {
    const et_f32_igemm_config *config = et_f32_igemm_config_for(et_cpu_isa_get());
    return config ? config : &scalar_config;
}
