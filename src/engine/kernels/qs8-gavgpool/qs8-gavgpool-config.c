/* qs8-gavgpool-config.c: the int8 global pooling kernels this build has, best first; et_qs8_gavgpool_config_get
 * picks the first one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. Also the parameter
 * helper. */
#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"

static const et_qs8_gavgpool_config configs[] = {
#if defined(__x86_64__)
    {et_qs8_gavgpool_ukernel_c64__avx512f, ET_KREQ_AVX512F, "qs8-gavgpool-c64-avx512f"},
    {et_qs8_gavgpool_ukernel_c32__avx2, ET_KREQ_AVX2, "qs8-gavgpool-c32-avx2"},
#endif
#if defined(__aarch64__)
    {et_qs8_gavgpool_ukernel_c16__neon, ET_KREQ_NEON, "qs8-gavgpool-c16-neon"},
#endif
    {et_qs8_gavgpool_ukernel_c1__scalar, ET_KREQ_SCALAR, "qs8-gavgpool-c1-scalar"},
};

const et_qs8_gavgpool_config *et_qs8_gavgpool_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_qs8_gavgpool_config *et_qs8_gavgpool_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

void et_qs8_gavgpool_params_init(et_qs8_gavgpool_params *p, size_t pixels, float x_scale, int32_t x_zp, float y_scale,
                                 int32_t y_zp, int32_t qmin, int32_t qmax) {
    p->mult = x_scale / (y_scale * (float)(pixels ? pixels : 1)); /* the expression qgap.c gave the reference */
    p->x_zp = x_zp;
    et_qs8_requant_params_init(&p->out, y_zp, qmin, qmax, 0.0f, 0);
}
