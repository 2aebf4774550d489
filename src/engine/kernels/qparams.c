/* qparams.c: which quantized-kernel feature sets this CPU runs and the chosen ISA path allows (see qparams.h).
 * Reads the flags cpu.c detected once; holds no state of its own. */
#include "engine/kernels/qparams.h"

#include "engine/cpu.h"

static const char *const kreq_names[] = {
#define ET_X(e, name) name,
    ET_KREQ_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof kreq_names / sizeof kreq_names[0] == ET_KREQ_COUNT, "one name per kernel requirement");

const char *et_kreq_name(et_kreq req) { return (unsigned)req < ET_KREQ_COUNT ? kreq_names[req] : "?"; }

bool et_kreq_runnable(et_kreq req) {
    const et_cpu_features *f = et_cpu_features_get();
    switch (req) {
    case ET_KREQ_SCALAR: return true;
    case ET_KREQ_AVX2: return et_cpu_can_run(ET_ISA_AVX2);
    case ET_KREQ_AVX512VNNI: return et_cpu_can_run(ET_ISA_AVX512) && f->avx512vnni;
    case ET_KREQ_NEON: return et_cpu_can_run(ET_ISA_NEON);
    case ET_KREQ_NEONDOT: return et_cpu_can_run(ET_ISA_NEONDOT);
    default: return false;
    }
}

bool et_kreq_selected(et_kreq req) {
    if (!et_kreq_runnable(req))
        return false;
    const et_cpu_isa isa = et_cpu_isa_get();
    switch (req) {
    case ET_KREQ_SCALAR: return true;
    case ET_KREQ_AVX2: return isa == ET_ISA_AVX2 || isa == ET_ISA_AVX512;
    case ET_KREQ_AVX512VNNI: return isa == ET_ISA_AVX512;
    case ET_KREQ_NEON: return isa == ET_ISA_NEON || isa == ET_ISA_NEONDOT;
    case ET_KREQ_NEONDOT: return isa == ET_ISA_NEONDOT;
    default: return false;
    }
}
