/* f32-winograd.h: the tile transforms of Winograd convolution F(m x m, 3 x 3) (Lavin & Gray, 2015) for NHWC data.
 *
 * A 3x3 stride-1 convolution computes each m x m block of output pixels from a t x t block of input (t = m + 2)
 * with t*t element-wise products per channel pair instead of 9 m*m: the input tile d is transformed to
 * V = B^T d B, the 3x3 kernel g to U = G g G^T (once, at create), and Y = A^T (sum over channels of U . V) A.
 * The channel sum of each of the t*t positions is one GEMM, which the engine's GEMM kernels run; this family
 * only moves tiles in and out of that domain. Two tile sizes:
 *   F(2x2, 3x3): t = 4, 16 products for 36 multiply-adds (2.25x fewer), transforms of 0/+-1 only (exact)
 *   F(4x4, 3x3): t = 6, 36 products for 144 (4x fewer), transforms with small integers (rounding grows about 10x)
 *
 * Every kernel handles any channel count: whole vectors, then a scalar tail. Pointers need no alignment. */
#ifndef ET_KERNELS_F32_WINOGRAD_H
#define ET_KERNELS_F32_WINOGRAD_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"

typedef enum { ET_WINO_F2 = 0, ET_WINO_F4 = 1, ET_WINO_TILES } et_wino_tile;

/* Output block edge m and input tile edge t of a tile size. */
static inline size_t et_wino_m(et_wino_tile f) { return f == ET_WINO_F2 ? 2 : 4; }
static inline size_t et_wino_t(et_wino_tile f) { return et_wino_m(f) + 2; }

/* Input transform of one tile: d[i * t + j] points at the `channels` floats of input pixel (i, j) of the tile
 * (a buffer of zeros for padding). Writes position p = i * t + j of V, channels floats, at v + p * v_stride. */
typedef void (*et_f32_wino_input_fn)(size_t channels, const float *const *d, float *v, size_t v_stride);

/* Output transform of one tile: position p of the products is at mm + p * m_stride (channels floats).
 * Writes output pixel (i, j) of the block, i, j < m, to y[i * m + j] when that is not NULL (NULL: past the
 * output's edge) as clamp(A^T M A + bias [+ r[i * m + j]], min, max). r may be NULL (no residual); bias has
 * `channels` floats. */
typedef void (*et_f32_wino_output_fn)(size_t channels, const float *mm, size_t m_stride, const float *bias,
                                      float *const *y, const float *const *r, float min, float max);

typedef struct et_f32_wino_config {
    et_f32_wino_input_fn input[ET_WINO_TILES];
    et_f32_wino_output_fn output[ET_WINO_TILES];
    const char *name[ET_WINO_TILES]; /* "f32-winograd-4x4-avx2" */
    et_kreq req;                     /* what the CPU must have (dispatch.h) */
} et_f32_wino_config;

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_wino_config *et_f32_wino_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_wino_config *et_f32_wino_configs(size_t *count);

/* What the transforms check on entry (precondition.h): tile positions at least `channels` floats apart, so that
 * one position's values do not overwrite (input) or overlap (output) the next one's. */
#define ET_F32_WINO_INPUT_REQUIRE() ET_KERNEL_REQUIRE(v_stride >= channels)
#define ET_F32_WINO_OUTPUT_REQUIRE() ET_KERNEL_REQUIRE(m_stride >= channels)

#define ET_F32_WINO_DECLARE(isa)                                                                     \
    void et_f32_wino_input_2x2__##isa(size_t, const float *const *, float *, size_t);                \
    void et_f32_wino_input_4x4__##isa(size_t, const float *const *, float *, size_t);                \
    void et_f32_wino_output_2x2__##isa(size_t, const float *, size_t, const float *, float *const *, \
                                       const float *const *, float, float);                          \
    void et_f32_wino_output_4x4__##isa(size_t, const float *, size_t, const float *, float *const *, \
                                       const float *const *, float, float);
ET_F32_WINO_DECLARE(scalar)
ET_F32_WINO_DECLARE(avx2)
ET_F32_WINO_DECLARE(neon)

/* The kernel transform U = G g G^T of one 3x3 kernel g (row-major), computed in double: t*t values,
 * position p = i * t + j at u[p * u_stride]. */
void et_f32_wino_kernel_transform(et_wino_tile f, const float *g, float *u, size_t u_stride);

#endif
