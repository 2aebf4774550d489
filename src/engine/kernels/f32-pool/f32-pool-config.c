/* f32-pool-config.c: the pooling kernels this build has, best first; et_f32_pool_config_get picks the first one
 * this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. AVX-512 runs the AVX2 ones. */
#include "engine/kernels/f32-pool/f32-pool.h"

static const et_f32_pool_config configs[] = {
#if defined(__x86_64__)
    {et_f32_maxpool_ukernel_xp8c__avx2, et_f32_avgpool_ukernel_xp8c__avx2, et_f32_gavgpool_ukernel_x8c__avx2,
     "f32-maxpool-xp8c-avx2", "f32-avgpool-xp8c-avx2", "f32-gavgpool-x8c-avx2", ET_KREQ_AVX2},
#endif
#if defined(__aarch64__)
    {et_f32_maxpool_ukernel_xp4c__neon, et_f32_avgpool_ukernel_xp4c__neon, et_f32_gavgpool_ukernel_x4c__neon,
     "f32-maxpool-xp4c-neon", "f32-avgpool-xp4c-neon", "f32-gavgpool-x4c-neon", ET_KREQ_NEON},
#endif
    {et_f32_maxpool_ukernel_xp1c__scalar, et_f32_avgpool_ukernel_xp1c__scalar, et_f32_gavgpool_ukernel_x1c__scalar,
     "f32-maxpool-xp1c-scalar", "f32-avgpool-xp1c-scalar", "f32-gavgpool-x1c-scalar", ET_KREQ_SCALAR},
};

const et_f32_pool_config *et_f32_pool_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_f32_pool_config *et_f32_pool_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}
