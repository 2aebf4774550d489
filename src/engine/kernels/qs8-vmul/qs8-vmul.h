/* qs8-vmul.h: int8 multiplication with one output multiplier (et.QMul: the squeeze-excitation channel scaling of
 * MobileNetV3, a channels-last row of x times the int8 gate of each channel):
 *   y[i] = clamp(lrintf((float)((a[i] - zp_a) * (b[i] - zp_b)) * mult) + zp_y)      mult = s_a s_b / s_y
 * (b[0] for every i when b_scalar != 0). The product is exact in int32 and in float (|.| <= 255^2 < 2^24), then
 * one float product and et_qs8_round_clamp: every ISA gives the bytes of qc8-ref's et_qc8_mul_ref. y may equal a
 * or b. */
#ifndef ET_KERNELS_QS8_VMUL_H
#define ET_KERNELS_QS8_VMUL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"
#include "engine/kernels/qparams.h"

typedef struct et_qs8_mul_params {
    float mult; /* s_a s_b / s_y */
    int32_t a_zp, b_zp;
    et_qs8_requant_params out; /* zp_y and the clamp */
} et_qs8_mul_params;

typedef void (*et_qs8_vmul_ukernel_fn)(size_t n, const int8_t *a, const int8_t *b, int b_scalar, int8_t *y,
                                       const et_qs8_mul_params *p);

#define ET_QS8_VMUL_UKERNEL(name) \
    void name(size_t n, const int8_t *a, const int8_t *b, int b_scalar, int8_t *y, const et_qs8_mul_params *p)

/* The same rule over `rows` rows of n: a and y hold rows x n elements one row after the other, b is one row of n
 * that every row is multiplied by (the gate of the SE blocks: x [1,H,W,C] times [1,1,1,C] is H*W rows of C). One
 * call for the whole run instead of one per row, which for 16 channels over 56x56 was mostly call and setup. y may
 * equal a; y may equal b only when rows == 1. */
typedef void (*et_qs8_vmul_rows_fn)(size_t rows, size_t n, const int8_t *a, const int8_t *b, int8_t *y,
                                    const et_qs8_mul_params *p);

#define ET_QS8_VMUL_ROWS(name) \
    void name(size_t rows, size_t n, const int8_t *a, const int8_t *b, int8_t *y, const et_qs8_mul_params *p)

/* What every mul kernel checks on entry (precondition.h). */
#define ET_QS8_VMUL_REQUIRE() ET_KERNEL_REQUIRE(n == 0 || (a != NULL && b != NULL && y != NULL))
#define ET_QS8_VMUL_ROWS_REQUIRE() ET_KERNEL_REQUIRE(rows == 0 || n == 0 || (a != NULL && b != NULL && y != NULL))

ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x1__scalar);
ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x32__avx512f);
ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x16__avx2);
ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x16__neon);
ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x1__scalar);
ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x32__avx512f);
ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x16__avx2);
ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x16__neon);

typedef struct et_qs8_vmul_config {
    et_qs8_vmul_ukernel_fn ukernel;
    et_qs8_vmul_rows_fn rows; /* the same bytes as ukernel on each row */
    et_kreq req;
    const char *name; /* "qs8-vmul-x16-avx2" */
} et_qs8_vmul_config;

/* Every config this build has, best first, scalar last (tests; check et_kreq_runnable before calling a kernel).
 * *count receives the number. */
const et_qs8_vmul_config *et_qs8_vmul_configs(size_t *count);

/* The config for the ISA path chosen at start (dispatch.h; never NULL: scalar at worst). */
const et_qs8_vmul_config *et_qs8_vmul_config_get(void);

/* Fills p for inputs (s_a, zp_a), (s_b, zp_b) and output (s_y, zp_y) clamped to [qmin, qmax]. */
void et_qs8_mul_params_init(et_qs8_mul_params *p, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                            float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax);

#endif
