/* f32-vbinary-config.c: the elementwise binary kernels this build has, best first; et_f32_vbinary_config_get picks the
 * first one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. Also the operation names. */
#include "engine/kernels/f32-vbinary/f32-vbinary.h"

static const et_f32_vbinary_config configs[] = {
#if defined(__x86_64__)
    {et_f32_vbinary_ukernel_x32__avx512f, "f32-vbinary-x32-avx512f", ET_KREQ_AVX512F},
    {et_f32_vbinary_ukernel_x16__avx2, "f32-vbinary-x16-avx2", ET_KREQ_AVX2},
#endif
#if defined(__aarch64__)
    {et_f32_vbinary_ukernel_x8__neon, "f32-vbinary-x8-neon", ET_KREQ_NEON},
#endif
    {et_f32_vbinary_ukernel_x1__scalar, "f32-vbinary-x1-scalar", ET_KREQ_SCALAR},
};

const et_f32_vbinary_config *et_f32_vbinary_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_f32_vbinary_config *et_f32_vbinary_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

static const char *const op_names[] = {
#define ET_X(e, name) name,
    ET_BINARY_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof op_names / sizeof op_names[0] == ET_BINARY_COUNT, "one name per binary op");

const char *et_binary_op_name(et_binary_op op) { return (unsigned)op < ET_BINARY_COUNT ? op_names[op] : "?"; }
