/* f32-pool-config.c: which pooling kernels run on this CPU (chain by the chosen ISA, ending at scalar;
 * AVX-512 runs the AVX2 ones). */
#include "engine/kernels/f32-pool/f32-pool.h"

static const et_f32_pool_config scalar_config = {
    et_f32_maxpool_ukernel_xp1c__scalar, et_f32_avgpool_ukernel_xp1c__scalar, et_f32_gavgpool_ukernel_x1c__scalar,
    "f32-maxpool-xp1c-scalar", "f32-avgpool-xp1c-scalar", "f32-gavgpool-x1c-scalar", ET_ISA_SCALAR,
};
#if defined(__x86_64__)
static const et_f32_pool_config avx2_config = {
    et_f32_maxpool_ukernel_xp8c__avx2, et_f32_avgpool_ukernel_xp8c__avx2, et_f32_gavgpool_ukernel_x8c__avx2,
    "f32-maxpool-xp8c-avx2", "f32-avgpool-xp8c-avx2", "f32-gavgpool-x8c-avx2", ET_ISA_AVX2,
};
#endif
#if defined(__aarch64__)
static const et_f32_pool_config neon_config = {
    et_f32_maxpool_ukernel_xp4c__neon, et_f32_avgpool_ukernel_xp4c__neon, et_f32_gavgpool_ukernel_x4c__neon,
    "f32-maxpool-xp4c-neon", "f32-avgpool-xp4c-neon", "f32-gavgpool-x4c-neon", ET_ISA_NEON,
};
#endif

const et_f32_pool_config *et_f32_pool_config_for(et_cpu_isa isa) {
    switch (isa) {
    case ET_ISA_SCALAR: return &scalar_config;
#if defined(__x86_64__)
    case ET_ISA_AVX2:
    case ET_ISA_AVX512: return &avx2_config;
#endif
#if defined(__aarch64__)
    case ET_ISA_NEON:
    case ET_ISA_NEONDOT: return &neon_config;
#endif
    default: return NULL;
    }
}

const et_f32_pool_config *et_f32_pool_config_get(void) {
    const et_f32_pool_config *config = et_f32_pool_config_for(et_cpu_isa_get());
    return config ? config : &scalar_config;
}
