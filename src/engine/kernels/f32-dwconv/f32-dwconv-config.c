/* f32-dwconv-config.c: the depthwise kernels this build has, best first; et_f32_dwconv_config_get picks the first
 * one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. */
#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static const et_f32_dwconv_config configs[] = {
#if defined(__x86_64__)
    {et_f32_dwconv_ukernel_9p32c__avx512f, et_f32_dwconv_ukernel_xp32c__avx512f, 32, "f32-dwconv-9p32c-avx512f",
     "f32-dwconv-xp32c-avx512f", ET_KREQ_AVX512F},
    {et_f32_dwconv_ukernel_9p16c__avx2, et_f32_dwconv_ukernel_xp16c__avx2, 16, "f32-dwconv-9p16c-avx2",
     "f32-dwconv-xp16c-avx2", ET_KREQ_AVX2},
#endif
#if defined(__aarch64__)
    {et_f32_dwconv_ukernel_9p8c__neon, et_f32_dwconv_ukernel_xp8c__neon, 8, "f32-dwconv-9p8c-neon",
     "f32-dwconv-xp8c-neon", ET_KREQ_NEON},
#endif
    {NULL, et_f32_dwconv_ukernel_xp1c__scalar, 1, NULL, "f32-dwconv-xp1c-scalar", ET_KREQ_SCALAR},
};

const et_f32_dwconv_config *et_f32_dwconv_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_f32_dwconv_config *et_f32_dwconv_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}
