/* cpu.c: one-time CPU feature detection (see cpu.h).
 *
 * x86-64: cpuid leaves 1 and 7 give the instruction bits; xgetbv(0) says whether the OS saves the YMM (bits 1-2)
 * and ZMM/opmask (bits 5-7) state, without which the instructions fault. aarch64: getauxval(AT_HWCAP). */
#include "engine/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_FPHP
#define HWCAP_FPHP (1UL << 9)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1UL << 10)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif

static const char *const isa_names[] = {
#define ET_X(e, name, env) name,
    ET_CPU_ISA_LIST(ET_X)
#undef ET_X
};
static const char *const isa_env_names[] = {
#define ET_X(e, name, env) env,
    ET_CPU_ISA_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof isa_names / sizeof isa_names[0] == ET_ISA_COUNT, "one name per ISA path");

static et_cpu_features features; /* the one allowed global: written once under pthread_once */
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
static unsigned long long xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static void detect_x86(et_cpu_features *f) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return;
    const bool osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    const bool fma = (ecx >> 12) & 1, f16c = (ecx >> 29) & 1;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    const bool ymm_ok = (xcr0 & 0x6) == 0x6;
    const bool zmm_ok = ymm_ok && (xcr0 & 0xe0) == 0xe0;
    f->avx = avx && ymm_ok;
    f->fma = fma && ymm_ok;
    f->f16c = f16c && ymm_ok;
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    f->avx2 = ((ebx >> 5) & 1) && ymm_ok;
    f->avx512f = ((ebx >> 16) & 1) && zmm_ok;
    f->avx512dq = ((ebx >> 17) & 1) && zmm_ok;
    f->avx512bw = ((ebx >> 30) & 1) && zmm_ok;
    f->avx512vl = ((ebx >> 31) & 1) && zmm_ok;
    f->avx512vnni = ((ecx >> 11) & 1) && zmm_ok;
    f->avx512vbmi = ((ecx >> 1) & 1) && zmm_ok;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    f->avxvnni = ((eax >> 4) & 1) && ymm_ok;
}
#endif

/* detect() calls this before its once-block has finished, so it takes the flags instead of asking for them. */
static bool can_run(const et_cpu_features *f, et_cpu_isa isa) {
    switch (isa) {
    case ET_ISA_SCALAR: return true;
    case ET_ISA_AVX2: return f->best == ET_ISA_AVX2 || f->best == ET_ISA_AVX512;
    case ET_ISA_AVX512: return f->best == ET_ISA_AVX512;
    case ET_ISA_NEON: return f->best == ET_ISA_NEON || f->best == ET_ISA_NEONDOT;
    case ET_ISA_NEONDOT: return f->best == ET_ISA_NEONDOT;
    default: return false;
    }
}

static et_cpu_isa parse_env(const char *s, bool *ok) {
    *ok = true;
    for (int i = 0; i < ET_ISA_COUNT; i++)
        if (strcmp(s, isa_env_names[i]) == 0)
            return (et_cpu_isa)i;
    *ok = false;
    return ET_ISA_SCALAR;
}

static void detect(void) {
    et_cpu_features *f = &features;
    memset(f, 0, sizeof *f);
    f->best = ET_ISA_SCALAR;
#if defined(__x86_64__)
    detect_x86(f);
    if (f->avx2 && f->fma)
        f->best = ET_ISA_AVX2;
    /* The AVX-512 kernels use F, plus BW/DQ/VL for masks and 256-bit forms; demand all four. */
    if (f->best == ET_ISA_AVX2 && f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl)
        f->best = ET_ISA_AVX512;
#elif defined(__aarch64__)
    const unsigned long hwcap = getauxval(AT_HWCAP);
    f->asimd = (hwcap & HWCAP_ASIMD) != 0;
    f->asimddp = (hwcap & HWCAP_ASIMDDP) != 0;
    f->fphp = (hwcap & HWCAP_FPHP) != 0;
    f->asimdhp = (hwcap & HWCAP_ASIMDHP) != 0;
    if (f->asimd)
        f->best = f->asimddp ? ET_ISA_NEONDOT : ET_ISA_NEON;
#endif
    char note[160];
    f->chosen = et_cpu_choose(f, getenv("EDGETUNE_ISA"), note, sizeof note);
    if (note[0])
        fprintf(stderr, "edgetune: %s\n", note);
}

et_cpu_isa et_cpu_choose(const et_cpu_features *f, const char *request, char *note, size_t note_size) {
    if (note_size)
        note[0] = 0;
    if (!request || !*request)
        return f->best;
    bool ok;
    const et_cpu_isa want = parse_env(request, &ok);
    if (!ok) {
        snprintf(note, note_size, "EDGETUNE_ISA=%s is not one of scalar, avx2, avx512, neon, neondot; using %s",
                 request, isa_names[f->best]);
        return f->best;
    }
    if (!can_run(f, want)) {
        snprintf(note, note_size, "EDGETUNE_ISA=%s is not available on this CPU; using %s", request,
                 isa_names[f->best]);
        return f->best;
    }
    return want;
}

const et_cpu_features *et_cpu_features_get(void) {
    pthread_once(&features_once, detect);
    return &features;
}

et_cpu_isa et_cpu_isa_get(void) { return et_cpu_features_get()->chosen; }

const char *et_cpu_isa_name(void) { return isa_names[et_cpu_isa_get()]; }

const char *et_cpu_isa_label(et_cpu_isa isa) { return (unsigned)isa < ET_ISA_COUNT ? isa_names[isa] : "?"; }

bool et_cpu_can_run(et_cpu_isa isa) { return can_run(et_cpu_features_get(), isa); }
