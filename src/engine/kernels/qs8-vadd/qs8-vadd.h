/* qs8-vadd.h: int8 addition with two input scales (a quantized Add, and the skip connections a convolution
 * could not fuse):
 *   y[i] = clamp(lrintf((float)(a[i] - zp_a) * (s_a / s_y) + (float)(b[i] - zp_b) * (s_b / s_y)) + zp_y)
 * (b[0] for every i when b_scalar != 0). Two products and one sum, no FMA, then et_qs8_round_clamp: every ISA
 * gives the same bytes. y may equal a or b. */
#ifndef ET_KERNELS_QS8_VADD_H
#define ET_KERNELS_QS8_VADD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"
#include "engine/kernels/qparams.h"

typedef struct et_qs8_add_params {
    float a_scale, b_scale; /* s_a / s_y, s_b / s_y */
    int32_t a_zp, b_zp;
    et_qs8_requant_params out; /* zp_y and the clamp */
} et_qs8_add_params;

typedef void (*et_qs8_vadd_ukernel_fn)(size_t n, const int8_t *a, const int8_t *b, int b_scalar, int8_t *y,
                                       const et_qs8_add_params *p);

#define ET_QS8_VADD_UKERNEL(name) \
    void name(size_t n, const int8_t *a, const int8_t *b, int b_scalar, int8_t *y, const et_qs8_add_params *p)

/* What every add kernel checks on entry (precondition.h): the operands it reads and writes when there is an
 * element. */
#define ET_QS8_VADD_REQUIRE() ET_KERNEL_REQUIRE(n == 0 || (a != NULL && b != NULL && y != NULL))

ET_QS8_VADD_UKERNEL(et_qs8_vadd_ukernel_x1__scalar);
ET_QS8_VADD_UKERNEL(et_qs8_vadd_ukernel_x16__avx2);
ET_QS8_VADD_UKERNEL(et_qs8_vadd_ukernel_x16__neon);

typedef struct et_qs8_vadd_config {
    et_qs8_vadd_ukernel_fn ukernel;
    et_kreq req;
    const char *name; /* "qs8-vadd-x16-avx2" */
} et_qs8_vadd_config;

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_qs8_vadd_config *et_qs8_vadd_configs(size_t *count);

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_qs8_vadd_config *et_qs8_vadd_config_get(void);

/* Fills p for inputs (s_a, zp_a), (s_b, zp_b) and output (s_y, zp_y) clamped to [qmin, qmax]. */
void et_qs8_add_params_init(et_qs8_add_params *p, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                            float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax);

#endif
