/* qs8-vcvt.h: elementwise conversions at the edges of quantized regions, and the operand formats the GEMM
 * kernels read (qparams.h):
 *   quantize    fp32 -> int8   y = clamp(lrintf(x / s_y) + zp_y)          (ONNX QuantizeLinear; x / s, not x * (1/s))
 *   dequantize  int8 -> fp32   y = (float)(x - zp_x) * s_x                (exact: one rounding)
 *   requantize  int8 -> int8   y = clamp(lrintf((float)(x - zp_x) * (s_x / s_y)) + zp_y)
 *   to_s16      int8 -> int16  (ET_QA_S16)        to_u8  int8 -> x ^ 0x80 (ET_QA_U8)
 *   pad_rows    rows of n int8 (x_stride apart) -> rows of y_stride elements in an A format, zero past n: the
 *               GEMM operand of a layer whose channel count is not a multiple of the kernel's KR (an RGB
 *               image's 3 channels padded to 4, done with one shuffle per 4 pixels on AVX2)
 * Rounding and clamping follow et_qs8_round_clamp exactly (clamp in float before lrintf; NaN maps to qmin), so
 * every ISA produces the same bytes. y may not overlap x except exactly (in place) for same-size types. */
#ifndef ET_KERNELS_QS8_VCVT_H
#define ET_KERNELS_QS8_VCVT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"
#include "engine/kernels/qparams.h"

typedef struct et_qs8_quantize_params {
    float scale;               /* s_y: x is divided by it */
    et_qs8_requant_params out; /* zp_y and the clamp (residual fields unused) */
} et_qs8_quantize_params;

typedef struct et_qs8_dequantize_params {
    float scale; /* s_x */
    int32_t zp;  /* zp_x */
} et_qs8_dequantize_params;

typedef struct et_qs8_requantize_params {
    float scale;               /* s_x / s_y */
    int32_t in_zp;             /* zp_x */
    et_qs8_requant_params out; /* zp_y and the clamp */
} et_qs8_requantize_params;

typedef struct et_qs8_vcvt_config {
    void (*quantize)(size_t n, const float *x, int8_t *y, const et_qs8_quantize_params *p);
    void (*dequantize)(size_t n, const int8_t *x, float *y, const et_qs8_dequantize_params *p);
    void (*requantize)(size_t n, const int8_t *x, int8_t *y, const et_qs8_requantize_params *p);
    void (*to_s16)(size_t n, const int8_t *x, int16_t *y);
    void (*to_u8)(size_t n, const int8_t *x, uint8_t *y);
    void (*pad_rows)(et_qa_format f, size_t rows, size_t n, const int8_t *x, size_t x_stride, void *y, size_t y_stride);
    et_kreq req;
    const char *name; /* "qs8-vcvt-x32-avx2" */
} et_qs8_vcvt_config;

/* What the conversion kernels check on entry (precondition.h): the operands they read and write when there is an
 * element; pad_rows, a format it knows and rows at least as long as the values they receive. */
#define ET_QS8_VCVT_REQUIRE() ET_KERNEL_REQUIRE(n == 0 || (x != NULL && y != NULL))
#define ET_QS8_PAD_ROWS_REQUIRE()                            \
    do {                                                     \
        ET_KERNEL_REQUIRE((unsigned)f < ET_QA_FORMAT_COUNT); \
        ET_KERNEL_REQUIRE(y_stride >= n);                    \
    } while (0)

#define ET_QS8_VCVT_DECLARE(suffix)                                                                                   \
    void et_qs8_quantize_ukernel_##suffix(size_t n, const float *x, int8_t *y, const et_qs8_quantize_params *p);      \
    void et_qs8_dequantize_ukernel_##suffix(size_t n, const int8_t *x, float *y, const et_qs8_dequantize_params *p);  \
    void et_qs8_requantize_ukernel_##suffix(size_t n, const int8_t *x, int8_t *y, const et_qs8_requantize_params *p); \
    void et_qs8_to_s16_ukernel_##suffix(size_t n, const int8_t *x, int16_t *y);                                       \
    void et_qs8_to_u8_ukernel_##suffix(size_t n, const int8_t *x, uint8_t *y);                                        \
    void et_qs8_pad_rows_ukernel_##suffix(et_qa_format f, size_t rows, size_t n, const int8_t *x, size_t x_stride,    \
                                          void *y, size_t y_stride);

ET_QS8_VCVT_DECLARE(x1__scalar)
ET_QS8_VCVT_DECLARE(x32__avx2)
ET_QS8_VCVT_DECLARE(x16__neon)

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_qs8_vcvt_config *et_qs8_vcvt_configs(size_t *count);

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_qs8_vcvt_config *et_qs8_vcvt_config_get(void);

/* Fills quantize parameters for scale s_y > 0, zero point zp_y and clamp [qmin, qmax] (in [-128, 127]). */
void et_qs8_quantize_params_init(et_qs8_quantize_params *p, float y_scale, int32_t y_zp, int32_t qmin, int32_t qmax);

/* Fills requantize parameters (x: s_x, zp_x; y: s_y, zp_y, clamp [qmin, qmax]). */
void et_qs8_requantize_params_init(et_qs8_requantize_params *p, float x_scale, int32_t x_zp, float y_scale,
                                   int32_t y_zp, int32_t qmin, int32_t qmax);

#endif
