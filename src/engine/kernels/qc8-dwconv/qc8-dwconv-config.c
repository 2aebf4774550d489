/* qc8-dwconv-config.c: the quantized depthwise kernels this build has, best first; et_qdwconv_config_get picks
 * the first one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. */
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

static const et_qdwconv_config configs[] = {
#if defined(__x86_64__)
    {et_qc8_dwconv_ukernel_9p32c__avx512f, et_qc8_dwconv_ukernel_xp32c__avx512f, 32, ET_QDW_S16_PAIRS, ET_KREQ_AVX512F,
     "qc8-dwconv-9p32c-avx512f", "qc8-dwconv-xp32c-avx512f"},
    {et_qc8_dwconv_ukernel_9p16c__avx2, et_qc8_dwconv_ukernel_xp16c__avx2, 16, ET_QDW_S16_PAIRS, ET_KREQ_AVX2,
     "qc8-dwconv-9p16c-avx2", "qc8-dwconv-xp16c-avx2"},
#endif
#if defined(__aarch64__)
    {NULL, et_qc8_dwconv_ukernel_xp16c__neon, 16, ET_QDW_S8_TAPS, ET_KREQ_NEON, NULL, "qc8-dwconv-xp16c-neon"},
#endif
    {NULL, et_qc8_dwconv_ukernel_xp1c__scalar, 1, ET_QDW_S8_TAPS, ET_KREQ_SCALAR, NULL, "qc8-dwconv-xp1c-scalar"},
};

const et_qdwconv_config *et_qdwconv_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_qdwconv_config *et_qdwconv_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}
