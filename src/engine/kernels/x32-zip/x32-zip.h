/* x32-zip.h: three planes of 32-bit values interleaved into one (an RGB image's NCHW -> NHWC, the transpose in
 * front of every torchvision model's stem):
 *   y[3 * i + j] = xj[i]   for i < n, j = 0, 1, 2
 * A copy: every kernel gives the same bytes as the scalar one. y must not overlap the planes. */
#ifndef ET_KERNELS_X32_ZIP_H
#define ET_KERNELS_X32_ZIP_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"

typedef void (*et_x32_zip3_ukernel_fn)(size_t n, const float *x0, const float *x1, const float *x2, float *y);

#define ET_X32_ZIP3_UKERNEL(name) void name(size_t n, const float *x0, const float *x1, const float *x2, float *y)

/* What every zip kernel checks on entry (precondition.h). */
#define ET_X32_ZIP3_REQUIRE() ET_KERNEL_REQUIRE(n == 0 || (x0 != NULL && x1 != NULL && x2 != NULL && y != NULL))

ET_X32_ZIP3_UKERNEL(et_x32_zip3_ukernel_x1__scalar);
ET_X32_ZIP3_UKERNEL(et_x32_zip3_ukernel_x16__avx512f);

typedef struct et_x32_zip3_config {
    et_x32_zip3_ukernel_fn ukernel;
    et_kreq req;
    const char *name; /* "x32-zip3-x16-avx512f" */
} et_x32_zip3_config;

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_x32_zip3_config *et_x32_zip3_configs(size_t *count);

/* The config for the ISA path chosen at start (dispatch.h; never NULL: scalar at worst). */
const et_x32_zip3_config *et_x32_zip3_config_get(void);

#endif
