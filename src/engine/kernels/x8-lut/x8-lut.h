/* x8-lut.h: int8 -> int8 through a 256-entry table (et.QLut: HardSwish, HardSigmoid, Sigmoid on int8):
 *   y[i] = table[x[i] + 128]
 * The table comes from qc8-ref's et_qc8_lut_init; qc8-ref's et_qc8_lut_ref is the reference every kernel here
 * gives the same bytes as. y may equal x. */
#ifndef ET_KERNELS_X8_LUT_H
#define ET_KERNELS_X8_LUT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"

typedef void (*et_x8_lut_ukernel_fn)(size_t n, const int8_t *x, int8_t *y, const int8_t table[256]);

#define ET_X8_LUT_UKERNEL(name) void name(size_t n, const int8_t *x, int8_t *y, const int8_t table[256])

/* What every table kernel checks on entry (precondition.h). */
#define ET_X8_LUT_REQUIRE() ET_KERNEL_REQUIRE(n == 0 || (x != NULL && y != NULL && table != NULL))

ET_X8_LUT_UKERNEL(et_x8_lut_ukernel_x1__scalar);
ET_X8_LUT_UKERNEL(et_x8_lut_ukernel_x32__avx2);
ET_X8_LUT_UKERNEL(et_x8_lut_ukernel_x64__avx512vbmi);
ET_X8_LUT_UKERNEL(et_x8_lut_ukernel_x16__neon);

typedef struct et_x8_lut_config {
    et_x8_lut_ukernel_fn ukernel;
    et_kreq req;
    const char *name; /* "x8-lut-x32-avx2" */
} et_x8_lut_config;

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_x8_lut_config *et_x8_lut_configs(size_t *count);

/* The config for the ISA path chosen at start (dispatch.h; never NULL: scalar at worst). */
const et_x8_lut_config *et_x8_lut_config_get(void);

#endif
