/* f32-vunary-config.c: which elementwise unary kernel runs on this CPU (chain by the chosen ISA, ending at
 * scalar). */
#include "engine/kernels/f32-vunary/f32-vunary.h"

static const et_f32_vunary_config scalar_config = {et_f32_vunary_ukernel_x1__scalar, "f32-vunary-x1-scalar",
                                                   ET_ISA_SCALAR};
#if defined(__x86_64__)
static const et_f32_vunary_config avx2_config = {et_f32_vunary_ukernel_x16__avx2, "f32-vunary-x16-avx2",
                                                 ET_ISA_AVX2};
static const et_f32_vunary_config avx512_config = {et_f32_vunary_ukernel_x32__avx512f, "f32-vunary-x32-avx512f",
                                                   ET_ISA_AVX512};
#endif
#if defined(__aarch64__)
static const et_f32_vunary_config neon_config = {et_f32_vunary_ukernel_x8__neon, "f32-vunary-x8-neon", ET_ISA_NEON};
#endif

static const char *const op_names[] = {
#define ET_X(e, name) name,
    ET_UNARY_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof op_names / sizeof op_names[0] == ET_UNARY_COUNT, "one name per unary op");

const char *et_unary_op_name(et_unary_op op) { return (unsigned)op < ET_UNARY_COUNT ? op_names[op] : "?"; }

const et_f32_vunary_config *et_f32_vunary_config_for(et_cpu_isa isa) {
    switch (isa) {
    case ET_ISA_SCALAR: return &scalar_config;
#if defined(__x86_64__)
    case ET_ISA_AVX2: return &avx2_config;
    case ET_ISA_AVX512: return &avx512_config;
#endif
#if defined(__aarch64__)
    case ET_ISA_NEON:
    case ET_ISA_NEONDOT: return &neon_config;
#endif
    default: return NULL;
    }
}

const et_f32_vunary_config *et_f32_vunary_config_get(void) {
    const et_f32_vunary_config *config = et_f32_vunary_config_for(et_cpu_isa_get());
    return config ? config : &scalar_config;
}
