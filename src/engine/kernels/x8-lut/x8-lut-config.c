/* x8-lut-config.c: the table kernels this build has, best first; et_x8_lut_config_get picks the first one this
 * CPU and the chosen ISA path allow (dispatch.h), scalar at worst. */
#include "engine/kernels/x8-lut/x8-lut.h"

static const et_x8_lut_config configs[] = {
#if defined(__x86_64__)
    {et_x8_lut_ukernel_x64__avx512vbmi, ET_KREQ_AVX512VBMI, "x8-lut-x64-avx512vbmi"},
    {et_x8_lut_ukernel_x32__avx2, ET_KREQ_AVX2, "x8-lut-x32-avx2"},
#endif
#if defined(__aarch64__)
    {et_x8_lut_ukernel_x16__neon, ET_KREQ_NEON, "x8-lut-x16-neon"},
#endif
    {et_x8_lut_ukernel_x1__scalar, ET_KREQ_SCALAR, "x8-lut-x1-scalar"},
};

const et_x8_lut_config *et_x8_lut_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_x8_lut_config *et_x8_lut_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}
