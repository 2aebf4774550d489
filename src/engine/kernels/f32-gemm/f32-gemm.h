/* f32-gemm.h: fp32 GEMM microkernels, C[m x n] = clamp(A[m x k] * W + bias), XNNPACK style.
 *
 * A is unpacked: row i starts at a + i * a_stride (elements), so NHWC pixels feed a 1x1 convolution directly.
 * W is packed once into panels of NR output columns: for each panel, NR bias values, then for each k the NR
 * weights of that row (panels past n are zero-padded). A call computes mr <= MR rows and nc >= 1 columns: it
 * walks the panels of W in order, NR columns each, keeping the MR rows of A hot in L1; rows i >= mr alias row
 * mr - 1 (computed twice, stored to the same place). C row i starts at c + i * cm_stride (elements).
 *
 * Layout of a packed W (et_f32_gemm_packed_floats floats, 64-byte aligned by the caller):
 *   panel p (columns p*NR .. p*NR+NR-1): [bias x NR][k=0: w x NR][k=1: w x NR] ... [k=kc-1: w x NR] */
#ifndef ET_KERNELS_F32_GEMM_H
#define ET_KERNELS_F32_GEMM_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/params.h"
#include "engine/kernels/precondition.h"

typedef void (*et_f32_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride, const float *w,
                                       float *c, size_t cm_stride, const et_f32_minmax_params *params);

#define ET_F32_GEMM_UKERNEL(name)                                                                         \
    void name(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride, const float *w, float *c, \
              size_t cm_stride, const et_f32_minmax_params *params)

/* What every GEMM kernel of MR rows checks on entry (precondition.h): 1..MR rows (row mr - 1 is read and written)
 * and at least one column (a call reads a whole panel of W, which n = 0 columns do not have). */
#define ET_F32_GEMM_REQUIRE(MR)                   \
    do {                                          \
        ET_KERNEL_REQUIRE(mr >= 1 && mr <= (MR)); \
        ET_KERNEL_REQUIRE(nc >= 1);               \
    } while (0)

ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_4x4__scalar);
ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x4__scalar);
ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_6x16__avx2);
ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x16__avx2);
ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_6x32__avx512f);
ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x32__avx512f);
ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_6x8__neon);
ET_F32_GEMM_UKERNEL(et_f32_gemm_ukernel_1x8__neon);

/* One ISA's GEMM: the MR x NR kernel and the 1 x NR kernel used when a tile has a single row. */
typedef struct et_f32_gemm_config {
    et_f32_gemm_ukernel_fn ukernel, ukernel1;
    size_t mr, nr;
    const char *name, *name1; /* "f32-gemm-6x16-avx2", "f32-gemm-1x16-avx2" */
    et_kreq req;              /* what the CPU must have (dispatch.h) */
} et_f32_gemm_config;

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_gemm_config *et_f32_gemm_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_gemm_config *et_f32_gemm_configs(size_t *count);

/* Floats in a packed W for n columns and depth k with panels of nr: round_up(n, nr) * (k + 1). */
size_t et_f32_gemm_packed_floats(size_t nr, size_t n, size_t k);

/* Packs W for the kernels. Element (column j, depth i) of the source is w[j * w_stride_n + i * w_stride_k], so
 * a row-major K x N matrix is (w_stride_n = 1, w_stride_k = N) and an O x I 1x1 convolution weight is
 * (w_stride_n = I, w_stride_k = 1). bias may be NULL (zeros). packed holds et_f32_gemm_packed_floats floats. */
void et_f32_gemm_pack(size_t nr, size_t n, size_t k, const float *w, size_t w_stride_n, size_t w_stride_k,
                      const float *bias, float *packed);

#endif
