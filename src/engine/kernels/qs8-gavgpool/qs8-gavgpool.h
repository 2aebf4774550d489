/* qs8-gavgpool.h: global average pooling on int8, channels-last (et.QGap: the squeeze of a squeeze-excitation
 * block): for each of `channels` columns of x (x[p * x_stride + c], p < pixels)
 *   y[c] = clamp(lrintf((float)(sum_p x - pixels * zp_x) * mult) + zp_y)       mult = s_x / (s_y * pixels)
 * The sums are exact in int32 (up to 8.4 M pixels), so every ISA gives the bytes of qc8-ref's
 * et_qc8_gavgpool_ref. */
#ifndef ET_KERNELS_QS8_GAVGPOOL_H
#define ET_KERNELS_QS8_GAVGPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"
#include "engine/kernels/qparams.h"

typedef struct et_qs8_gavgpool_params {
    float mult;   /* s_x / (s_y * pixels) */
    int32_t x_zp; /* zp_x */
    et_qs8_requant_params out;
} et_qs8_gavgpool_params;

typedef void (*et_qs8_gavgpool_ukernel_fn)(size_t pixels, size_t channels, const int8_t *x, size_t x_stride, int8_t *y,
                                           const et_qs8_gavgpool_params *p);

#define ET_QS8_GAVGPOOL_UKERNEL(name)                                                      \
    void name(size_t pixels, size_t channels, const int8_t *x, size_t x_stride, int8_t *y, \
              const et_qs8_gavgpool_params *p)

/* What every pooling kernel checks on entry (precondition.h): rows at least `channels` apart. */
#define ET_QS8_GAVGPOOL_REQUIRE() \
    ET_KERNEL_REQUIRE(channels == 0 || (x != NULL && y != NULL && (pixels < 2 || x_stride >= channels)))

ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c1__scalar);
ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c64__avx512f);
ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c32__avx2);
ET_QS8_GAVGPOOL_UKERNEL(et_qs8_gavgpool_ukernel_c16__neon);

typedef struct et_qs8_gavgpool_config {
    et_qs8_gavgpool_ukernel_fn ukernel;
    et_kreq req;
    const char *name; /* "qs8-gavgpool-c32-avx2" */
} et_qs8_gavgpool_config;

/* Every config this build has, best first, scalar last (tests; check et_kreq_runnable before calling a kernel).
 * *count receives the number. */
const et_qs8_gavgpool_config *et_qs8_gavgpool_configs(size_t *count);

/* The config for the ISA path chosen at start (dispatch.h; never NULL: scalar at worst). */
const et_qs8_gavgpool_config *et_qs8_gavgpool_config_get(void);

/* Fills p for an input (s_x, zp_x) averaged over `pixels`, output (s_y, zp_y) clamped to [qmin, qmax]. */
void et_qs8_gavgpool_params_init(et_qs8_gavgpool_params *p, size_t pixels, float x_scale, int32_t x_zp, float y_scale,
                                 int32_t y_zp, int32_t qmin, int32_t qmax);

#endif
