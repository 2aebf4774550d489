/* qs8-vcvt-config.c: the conversion kernels this build has, best first; et_qs8_vcvt_config_get picks the first
 * one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. Also the parameter helpers. */
#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"

#define CFG(suffix, req, name)                                                                                         \
    {                                                                                                                  \
        et_qs8_quantize_ukernel_##suffix, et_qs8_dequantize_ukernel_##suffix, et_qs8_requantize_ukernel_##suffix,      \
            et_qs8_to_s16_ukernel_##suffix, et_qs8_to_u8_ukernel_##suffix, et_qs8_pad_rows_ukernel_##suffix, req, name \
    }

static const et_qs8_vcvt_config configs[] = {
#if defined(__x86_64__)
    CFG(x32__avx2, ET_KREQ_AVX2, "qs8-vcvt-x32-avx2"),
#endif
#if defined(__aarch64__)
    CFG(x16__neon, ET_KREQ_NEON, "qs8-vcvt-x16-neon"),
#endif
    CFG(x1__scalar, ET_KREQ_SCALAR, "qs8-vcvt-x1-scalar"),
};

const et_qs8_vcvt_config *et_qs8_vcvt_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_qs8_vcvt_config *et_qs8_vcvt_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

void et_qs8_quantize_params_init(et_qs8_quantize_params *p, float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax) {
    p->scale = y_scale;
    et_qs8_requant_params_init(&p->out, y_zp, qmin, qmax, 0.0f, 0);
}

void et_qs8_requantize_params_init(et_qs8_requantize_params *p, float x_scale, int32_t x_zp, float y_scale,
                                   int32_t y_zp, int32_t qmin, int32_t qmax) {
    p->scale = x_scale / y_scale;
    p->in_zp = x_zp;
    et_qs8_requant_params_init(&p->out, y_zp, qmin, qmax, 0.0f, 0);
}
