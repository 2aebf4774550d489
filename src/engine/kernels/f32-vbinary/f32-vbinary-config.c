/* f32-vbinary-config.c: which elementwise binary kernel runs on this CPU (chain by the chosen ISA, ending at
 * scalar). */
#include "engine/kernels/f32-vbinary/f32-vbinary.h"

static const et_f32_vbinary_config scalar_config = {et_f32_vbinary_ukernel_x1__scalar, "f32-vbinary-x1-scalar",
                                                   ET_ISA_SCALAR};
#if defined(__x86_64__)
static const et_f32_vbinary_config avx2_config = {et_f32_vbinary_ukernel_x16__avx2, "f32-vbinary-x16-avx2",
                                                 ET_ISA_AVX2};
static const et_f32_vbinary_config avx512_config = {et_f32_vbinary_ukernel_x32__avx512f, "f32-vbinary-x32-avx512f",
                                                   ET_ISA_AVX512};
#endif
#if defined(__aarch64__)
static const et_f32_vbinary_config neon_config = {et_f32_vbinary_ukernel_x8__neon, "f32-vbinary-x8-neon", ET_ISA_NEON};
#endif

static const char *const op_names[] = {
#define ET_X(e, name) name,
    ET_BINARY_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof op_names / sizeof op_names[0] == ET_BINARY_COUNT, "one name per binary op");

const char *et_binary_op_name(et_binary_op op) { return (unsigned)op < ET_BINARY_COUNT ? op_names[op] : "?"; }

const et_f32_vbinary_config *et_f32_vbinary_config_for(et_cpu_isa isa) {
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

const et_f32_vbinary_config *et_f32_vbinary_config_get(void) {
    const et_f32_vbinary_config *config = et_f32_vbinary_config_for(et_cpu_isa_get());
    return config ? config : &scalar_config;
}
