/* f32-vunary-config.c: the elementwise unary kernels this build has, best first; et_f32_vunary_config_get picks the
 * first one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. Also the operation names. */
#include "engine/kernels/f32-vunary/f32-vunary.h"

static const et_f32_vunary_config configs[] = {
#if defined(__x86_64__)
    {et_f32_vunary_ukernel_x32__avx512f, "f32-vunary-x32-avx512f", ET_KREQ_AVX512F},
    {et_f32_vunary_ukernel_x16__avx2, "f32-vunary-x16-avx2", ET_KREQ_AVX2},
#endif
#if defined(__aarch64__)
    {et_f32_vunary_ukernel_x8__neon, "f32-vunary-x8-neon", ET_KREQ_NEON},
#endif
    {et_f32_vunary_ukernel_x1__scalar, "f32-vunary-x1-scalar", ET_KREQ_SCALAR},
};

const et_f32_vunary_config *et_f32_vunary_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_f32_vunary_config *et_f32_vunary_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

static const char *const op_names[] = {
#define ET_X(e, name) name,
    ET_UNARY_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof op_names / sizeof op_names[0] == ET_UNARY_COUNT, "one name per unary op");

const char *et_unary_op_name(et_unary_op op) { return (unsigned)op < ET_UNARY_COUNT ? op_names[op] : "?"; }
