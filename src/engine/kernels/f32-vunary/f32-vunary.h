/* f32-vunary.h: fp32 elementwise unary kernels (activations): y[i] = op(x[i]) for i < n, y may equal x.
 *
 * One kernel per ISA takes the operation as an argument and runs a loop specialised for it, so the switch costs
 * one branch per call. Sigmoid and tanh share one exp approximation (range reduction by ln 2 in two parts, a
 * degree-5 polynomial, 2^n built in the exponent bits; XNNPACK's rr2_p5), then divide exactly: about 2-3 ulp over
 * the whole range, with 0 below the point where exp underflows. tanh uses an odd polynomial below |x| = 0.5
 * where 1 - 2/(e^2x + 1) would cancel. */
#ifndef ET_KERNELS_F32_VUNARY_H
#define ET_KERNELS_F32_VUNARY_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/params.h"
#include "engine/kernels/precondition.h"

typedef void (*et_f32_vunary_ukernel_fn)(et_unary_op op, size_t n, const float *x, float *y,
                                         const et_f32_unary_params *params);

#define ET_F32_VUNARY_UKERNEL(name) \
    void name(et_unary_op op, size_t n, const float *x, float *y, const et_f32_unary_params *params)

/* What every unary kernel checks on entry (precondition.h): an operation it has a loop for and the operands it
 * reads and writes when there is an element. */
#define ET_F32_VUNARY_REQUIRE()                                \
    do {                                                       \
        ET_KERNEL_REQUIRE((unsigned)op < ET_UNARY_COUNT);      \
        ET_KERNEL_REQUIRE(n == 0 || (x != NULL && y != NULL)); \
    } while (0)

ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x1__scalar);
ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x16__avx2);
ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x32__avx512f);
ET_F32_VUNARY_UKERNEL(et_f32_vunary_ukernel_x8__neon);

typedef struct et_f32_vunary_config {
    et_f32_vunary_ukernel_fn ukernel;
    const char *name; /* "f32-vunary-x16-avx2" */
    et_kreq req;      /* what the CPU must have (dispatch.h) */
} et_f32_vunary_config;

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_vunary_config *et_f32_vunary_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_vunary_config *et_f32_vunary_configs(size_t *count);

/* The name of an operation ("sigmoid"), "?" out of range. */
const char *et_unary_op_name(et_unary_op op);

/* The constants of the exp and tanh approximations, shared by every ISA so that all compute the same thing. */
#define ET_EXP_MAGIC_BIAS 0x1.8000FEp23f /* 1.5 * 2^23 + 127: round to integer, exponent bias included */
#define ET_EXP_LOG2E 0x1.715476p+0f
#define ET_EXP_MINUS_LN2_HI -0x1.62E400p-1f
#define ET_EXP_MINUS_LN2_LO -0x1.7F7D1Cp-20f
#define ET_EXP_C5 0x1.0F9F9Cp-7f
#define ET_EXP_C4 0x1.573A1Ap-5f
#define ET_EXP_C3 0x1.555A80p-3f
#define ET_EXP_C2 0x1.FFFDC6p-2f
#define ET_EXP_C1 0x1.FFFFF6p-1f
#define ET_EXP_DENORM_CUTOFF -0x1.5D589Ep+6f /* below this exp(z) is denormal: treated as 0 */
#define ET_TANH_SMALL 0.5f                   /* |x| below: odd polynomial */
#define ET_TANH_P1 -0x1.555552p-2f
#define ET_TANH_P2 0x1.110f6ep-3f
#define ET_TANH_P3 -0x1.b99b2cp-5f
#define ET_TANH_P4 0x1.5d9eacp-6f
#define ET_TANH_P5 -0x1.b879a2p-8f

#endif
