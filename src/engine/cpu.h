/* cpu.h: CPU features, detected once, and the ISA path the kernel tables are filled for.
 *
 * Detection runs on the first call of et_cpu_features_get() (cpuid + xgetbv on x86-64, getauxval(AT_HWCAP) on
 * aarch64) and is cached: this is the one piece of global mutable state the engine has. The environment
 * variable EDGETUNE_ISA=scalar|avx2|avx512|neon|neondot forces a lower path for tests and benchmarks; a request
 * the CPU cannot honour falls back to the best path it can and says so on stderr once. Every kernel family's
 * config (dispatch) reads et_cpu_isa_get() and nothing else, so one switch moves the whole engine. */
#ifndef ET_ENGINE_CPU_H
#define ET_ENGINE_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* X(enum, name printed, EDGETUNE_ISA spelling), from the lowest path up. */
#define ET_CPU_ISA_LIST(X)                \
    X(ET_ISA_SCALAR, "scalar", "scalar")  \
    X(ET_ISA_AVX2, "avx2+fma", "avx2")    \
    X(ET_ISA_AVX512, "avx512f", "avx512") \
    X(ET_ISA_NEON, "neon", "neon")        \
    X(ET_ISA_NEONDOT, "neon+dot", "neondot")

typedef enum {
#define ET_X(e, name, env) e,
    ET_CPU_ISA_LIST(ET_X)
#undef ET_X
        ET_ISA_COUNT
} et_cpu_isa;

typedef struct et_cpu_features {
    /* x86-64 (all false elsewhere). avx/avx2/fma/avx512* are true only when the OS saves the registers too. */
    bool avx, avx2, fma, f16c;
    bool avx512f, avx512bw, avx512dq, avx512vl, avx512vnni, avx512vbmi, avxvnni;
    /* aarch64 (all false elsewhere). */
    bool asimd, asimddp, fphp, asimdhp;
    et_cpu_isa best;   /* the best path this CPU can run */
    et_cpu_isa chosen; /* the path in use: best, or lower when EDGETUNE_ISA asked for it */
} et_cpu_features;

/* The detected flags (never NULL; detection happens once, thread-safely, on the first call). */
const et_cpu_features *et_cpu_features_get(void);

/* The ISA path every kernel table uses. */
et_cpu_isa et_cpu_isa_get(void);

/* The name of the chosen path: "avx512f", "avx2+fma", "neon", "neon+dot" or "scalar" (static string). */
const char *et_cpu_isa_name(void);

/* The name of any path (static string; "?" for a value out of range). */
const char *et_cpu_isa_label(et_cpu_isa isa);

/* True when this CPU can run `isa` (scalar always can). Tests use it to skip kernels the CPU lacks. */
bool et_cpu_can_run(et_cpu_isa isa);

/* The path a CPU with flags f runs when EDGETUNE_ISA is `request` (NULL or "": the best). When the request cannot
 * be honoured (unknown name, or an ISA this CPU lacks) it returns the best path and writes a one-line note
 * (note[0] == 0 otherwise). Detection uses it once at start; tests call it directly. */
et_cpu_isa et_cpu_choose(const et_cpu_features *f, const char *request, char *note, size_t note_size);

#endif
