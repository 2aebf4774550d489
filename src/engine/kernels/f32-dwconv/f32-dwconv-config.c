/* f32-dwconv-config.c: which depthwise kernels run on this CPU (chain by the chosen ISA, ending at scalar). */
#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static const et_f32_dwconv_config scalar_config = {
    NULL, et_f32_dwconv_ukernel_xp1c__scalar, 1, NULL, "f32-dwconv-xp1c-scalar", ET_ISA_SCALAR,
};
#if defined(__x86_64__)
static const et_f32_dwconv_config avx2_config = {
    et_f32_dwconv_ukernel_9p16c__avx2, et_f32_dwconv_ukernel_xp16c__avx2, 16,
    "f32-dwconv-9p16c-avx2", "f32-dwconv-xp16c-avx2", ET_ISA_AVX2,
};
static const et_f32_dwconv_config avx512_config = {
    et_f32_dwconv_ukernel_9p32c__avx512f, et_f32_dwconv_ukernel_xp32c__avx512f, 32,
    "f32-dwconv-9p32c-avx512f", "f32-dwconv-xp32c-avx512f", ET_ISA_AVX512,
};
#endif
#if defined(__aarch64__)
static const et_f32_dwconv_config neon_config = {
    et_f32_dwconv_ukernel_9p8c__neon, et_f32_dwconv_ukernel_xp8c__neon, 8,
    "f32-dwconv-9p8c-neon", "f32-dwconv-xp8c-neon", ET_ISA_NEON,
};
#endif

const et_f32_dwconv_config *et_f32_dwconv_config_for(et_cpu_isa isa) {
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

const et_f32_dwconv_config *et_f32_dwconv_config_get(void) {
    const et_f32_dwconv_config *config = et_f32_dwconv_config_for(et_cpu_isa_get());
    return config ? config : &scalar_config;
}
