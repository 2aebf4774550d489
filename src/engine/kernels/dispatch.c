/* dispatch.c: which kernel requirements this CPU meets and the chosen ISA path allows (see dispatch.h). Reads
 * the flags cpu.c detected once; holds no state of its own. */
#include "engine/kernels/dispatch.h"

#include <string.h>

static const char *const kreq_names[] = {
#define ET_X(e, name, isa) name,
    ET_KREQ_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof kreq_names / sizeof kreq_names[0] == ET_KREQ_COUNT, "one name per kernel requirement");

static const et_cpu_isa kreq_isas[] = {
#define ET_X(e, name, isa) isa,
    ET_KREQ_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof kreq_isas / sizeof kreq_isas[0] == ET_KREQ_COUNT, "one ISA path per kernel requirement");

const char *et_kreq_name(et_kreq req) { return (unsigned)req < ET_KREQ_COUNT ? kreq_names[req] : "?"; }

et_cpu_isa et_kreq_isa(et_kreq req) { return (unsigned)req < ET_KREQ_COUNT ? kreq_isas[req] : ET_ISA_SCALAR; }

bool et_kreq_runnable(et_kreq req) {
    if ((unsigned)req >= ET_KREQ_COUNT)
        return false;
    if (req == ET_KREQ_AVX512VNNI && !et_cpu_features_get()->avx512vnni)
        return false;
    if (req == ET_KREQ_AVX512VBMI && !et_cpu_features_get()->avx512vbmi)
        return false;
    return et_cpu_can_run(kreq_isas[req]);
}

bool et_kreq_selected(et_kreq req) {
    if (!et_kreq_runnable(req))
        return false;
    const et_cpu_isa isa = et_cpu_isa_get();
    switch (kreq_isas[req]) {
    case ET_ISA_SCALAR: return true;
    case ET_ISA_AVX2: return isa == ET_ISA_AVX2 || isa == ET_ISA_AVX512;
    case ET_ISA_AVX512: return isa == ET_ISA_AVX512;
    case ET_ISA_NEON: return isa == ET_ISA_NEON || isa == ET_ISA_NEONDOT;
    case ET_ISA_NEONDOT: return isa == ET_ISA_NEONDOT;
    default: return false;
    }
}

size_t et_kreq_pick(const void *table, size_t count, size_t entry_bytes, size_t req_offset) {
    const char *entry = table;
    for (size_t i = 0; i + 1 < count; i++, entry += entry_bytes) {
        et_kreq req;
        memcpy(&req, entry + req_offset, sizeof req);
        if (et_kreq_selected(req))
            return i;
    }
    return count - 1;
}
