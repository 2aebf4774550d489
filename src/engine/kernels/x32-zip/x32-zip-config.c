/* x32-zip-config.c: the zip kernels this build has, best first; et_x32_zip3_config_get picks the first one this
 * CPU and the chosen ISA path allow (dispatch.h), scalar at worst. (AVX2 and NEON take the scalar loop: measured
 * only on AVX-512, where the scalar loop was 0.03 ms of MobileNetV3-Small's ~1 ms.) */
#include "engine/kernels/x32-zip/x32-zip.h"

static const et_x32_zip3_config configs[] = {
#if defined(__x86_64__)
    {et_x32_zip3_ukernel_x16__avx512f, ET_KREQ_AVX512F, "x32-zip3-x16-avx512f"},
#endif
    {et_x32_zip3_ukernel_x1__scalar, ET_KREQ_SCALAR, "x32-zip3-x1-scalar"},
};

const et_x32_zip3_config *et_x32_zip3_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_x32_zip3_config *et_x32_zip3_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}
