/* tk-config.c: which training kernels run on this CPU (by the ISA the engine chose, ending at scalar). */
#include "train/kernels/tk.h"

const et_tk_config *et_tk_config_for(et_cpu_isa isa) {
    switch (isa) {
    case ET_ISA_SCALAR: return &et_tk_scalar;
#if defined(__x86_64__)
    case ET_ISA_AVX2:
    case ET_ISA_AVX512: return &et_tk_avx2; /* 8-float vectors serve AVX-512 CPUs well enough for these loops */
#endif
#if defined(__aarch64__)
    case ET_ISA_NEON:
    case ET_ISA_NEONDOT: return &et_tk_neon;
#endif
    default: return NULL;
    }
}

const et_tk_config *et_tk_config_get(void) {
    const et_tk_config *c = et_tk_config_for(et_cpu_isa_get());
    return c ? c : &et_tk_scalar;
}
