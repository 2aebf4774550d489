/* qs8-vmul-config.c: the int8 multiply kernels this build has, best first; et_qs8_vmul_config_get picks the first
 * one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. Also the parameter helper. */
#include "engine/kernels/qs8-vmul/qs8-vmul.h"

static const et_qs8_vmul_config configs[] = {
#if defined(__x86_64__)
    {et_qs8_vmul_ukernel_x32__avx512f, et_qs8_vmul_rows_x32__avx512f, ET_KREQ_AVX512F, "qs8-vmul-x32-avx512f"},
    {et_qs8_vmul_ukernel_x16__avx2, et_qs8_vmul_rows_x16__avx2, ET_KREQ_AVX2, "qs8-vmul-x16-avx2"},
#endif
#if defined(__aarch64__)
    {et_qs8_vmul_ukernel_x16__neon, et_qs8_vmul_rows_x16__neon, ET_KREQ_NEON, "qs8-vmul-x16-neon"},
#endif
    {et_qs8_vmul_ukernel_x1__scalar, et_qs8_vmul_rows_x1__scalar, ET_KREQ_SCALAR, "qs8-vmul-x1-scalar"},
};

const et_qs8_vmul_config *et_qs8_vmul_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_qs8_vmul_config *et_qs8_vmul_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

void et_qs8_mul_params_init(et_qs8_mul_params *p, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                            float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax) {
    p->mult = a_scale * b_scale / y_scale; /* the same float expression as qc8-ref's callers */
    p->a_zp = a_zp;
    p->b_zp = b_zp;
    et_qs8_requant_params_init(&p->out, y_zp, qmin, qmax, 0.0f, 0);
}
