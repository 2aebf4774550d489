/* dispatch.h: how every kernel family picks its kernels. One style for all of them:
 *
 *   - each family's config file (f32-gemm-config.c, ...) holds one table, `configs`, of the configs this build has: best first,
 *     scalar last, each entry naming what the CPU must have to run it (et_kreq);
 *   - et_<family>_config_get() returns &configs[ET_KREQ_PICK(configs)]: the first entry whose requirement the
 *     CPU meets and the ISA path chosen at start allows. Walking the table in order is the chain
 *     "avx512 ? avx2 ? scalar" written as data, and it ends at scalar;
 *   - et_<family>_configs(&count) hands the whole table to tests and benchmarks, which run every entry
 *     et_kreq_runnable allows (not only the one the engine picks).
 * CPU features are detected once (cpu.h); the walk only reads those cached flags. qc8-gemm's choice also filters
 * by weight width, with the same walk. */
#ifndef ET_KERNELS_DISPATCH_H
#define ET_KERNELS_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/cpu.h"

/* What a kernel needs. X(enum, name, the ISA path it belongs to). A kernel runs when the CPU has the features
 * (et_kreq_runnable) and is used when, in addition, it lies within the path EDGETUNE_ISA chose
 * (et_kreq_selected): AVX-512 kernels need the avx512 path (forcing avx2 turns them off), NEON dot product
 * kernels the neondot path. */
#define ET_KREQ_LIST(X)                                \
    X(ET_KREQ_SCALAR, "scalar", ET_ISA_SCALAR)         \
    X(ET_KREQ_AVX2, "avx2", ET_ISA_AVX2)               \
    X(ET_KREQ_AVX512F, "avx512f", ET_ISA_AVX512)       \
    X(ET_KREQ_AVX512VNNI, "avx512vnni", ET_ISA_AVX512) \
    X(ET_KREQ_AVX512VBMI, "avx512vbmi", ET_ISA_AVX512) \
    X(ET_KREQ_NEON, "neon", ET_ISA_NEON)               \
    X(ET_KREQ_NEONDOT, "neondot", ET_ISA_NEONDOT)

typedef enum {
#define ET_X(e, name, isa) e,
    ET_KREQ_LIST(ET_X)
#undef ET_X
        ET_KREQ_COUNT
} et_kreq;

/* True when this CPU can execute kernels that need `req`. */
bool et_kreq_runnable(et_kreq req);

/* True when kernels that need `req` may be chosen: runnable, and within the path et_cpu_isa_get() chose. */
bool et_kreq_selected(et_kreq req);

/* "avx512vnni" etc. (static string; "?" out of range). */
const char *et_kreq_name(et_kreq req);

/* The ISA path a requirement belongs to (its vector width; ET_ISA_SCALAR out of range). */
et_cpu_isa et_kreq_isa(et_kreq req);

/* The index of the first of `count` table entries (entry_bytes apart, each with an et_kreq at req_offset) whose
 * requirement is selected; the last entry (scalar) when none is. Use ET_KREQ_PICK. */
size_t et_kreq_pick(const void *table, size_t count, size_t entry_bytes, size_t req_offset);

#define ET_KREQ_PICK(table)                                                       \
    et_kreq_pick((table), sizeof(table) / sizeof((table)[0]), sizeof((table)[0]), \
                 (size_t)((const char *)&(table)[0].req - (const char *)&(table)[0]))

#define ET_KREQ_COUNT_OF(table) (sizeof(table) / sizeof((table)[0]))

#endif
