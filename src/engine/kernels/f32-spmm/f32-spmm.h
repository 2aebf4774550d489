/* f32-spmm.h: fp32 sparse x dense microkernels for 1x1 convolutions and fully-connected layers whose weights are
 * mostly zero (unstructured pruning), XNNPACK's f32-spmm adapted to NHWC.
 *
 * XNNPACK's spmm reads NCHW, where one channel's pixels are contiguous and a nonzero weight w[n][k] scales a
 * whole row of pixels. In NHWC a pixel's channels are contiguous instead, so a tile of MR pixels is first packed
 * channel-major (xt[k][0..MR), the `pack` kernel: an 8x8 transpose on SIMD ISAs); then, for each output channel
 * n, the kernel walks n's nonzeros (CSR by output channel) and accumulates value * xt[k] over the MR pixels in
 * vector registers, vectorised over pixels. Results of 8 channels at a time are transposed back so that each
 * pixel's 8 outputs land in one contiguous store.
 *
 * Sparse weights (et_f32_spmm_weights): per output channel the count of its nonzeros; per nonzero its value and
 * the byte offset of its input channel's row in xt (k * MR * sizeof(float), so the kernel adds, not multiplies).
 * The kernel computes C[p][n] = clamp(bias[n] + sum_j value_j * xt[k_j][p]) for p < mr (<= MR), n < nc; C pixel
 * p starts at c + p * cm_stride (floats). Rows p >= mr of xt must be zero or finite garbage (they are computed
 * and dropped). */
#ifndef ET_KERNELS_F32_SPMM_H
#define ET_KERNELS_F32_SPMM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/params.h"
#include "engine/kernels/precondition.h"

typedef void (*et_f32_spmm_ukernel_fn)(size_t mr, size_t nc, const float *xt, const float *values,
                                       const int32_t *offsets, const uint32_t *nnz, const float *bias, float *c,
                                       size_t cm_stride, const et_f32_minmax_params *params);

/* Packs mr (<= MR) pixels of k channels, pixel p at x + p * x_stride (floats), into xt[k][MR]; pixels mr..MR-1
 * are zero. */
typedef void (*et_f32_spmm_pack_fn)(size_t mr, size_t k, const float *x, size_t x_stride, float *xt);

#define ET_F32_SPMM_UKERNEL(name)                                                                                      \
    void name(size_t mr, size_t nc, const float *xt, const float *values, const int32_t *offsets, const uint32_t *nnz, \
              const float *bias, float *c, size_t cm_stride, const et_f32_minmax_params *params)
#define ET_F32_SPMM_PACK(name) void name(size_t mr, size_t k, const float *x, size_t x_stride, float *xt)

/* What the sparse kernels of MR pixels check on entry (precondition.h): 1..MR pixels (pack: at most MR), and
 * the CSR arrays they walk when there is an output channel. */
#define ET_F32_SPMM_REQUIRE(MR)                                      \
    do {                                                             \
        ET_KERNEL_REQUIRE(mr >= 1 && mr <= (MR));                    \
        ET_KERNEL_REQUIRE(nc == 0 || (nnz != NULL && bias != NULL)); \
    } while (0)
#define ET_F32_SPMM_PACK_REQUIRE(MR) ET_KERNEL_REQUIRE(mr <= (MR))

ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_32x1__scalar);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_16x1__scalar);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_8x1__scalar);
ET_F32_SPMM_PACK(et_f32_spmm_pack_32__scalar);
ET_F32_SPMM_PACK(et_f32_spmm_pack_16__scalar);
ET_F32_SPMM_PACK(et_f32_spmm_pack_8__scalar);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_32x1__avx2);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_16x1__avx2);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_8x1__avx2);
ET_F32_SPMM_PACK(et_f32_spmm_pack_32__avx2);
ET_F32_SPMM_PACK(et_f32_spmm_pack_16__avx2);
ET_F32_SPMM_PACK(et_f32_spmm_pack_8__avx2);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_32x1__neon);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_16x1__neon);
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_8x1__neon);
ET_F32_SPMM_PACK(et_f32_spmm_pack_32__neon);
ET_F32_SPMM_PACK(et_f32_spmm_pack_16__neon);
ET_F32_SPMM_PACK(et_f32_spmm_pack_8__neon);

enum { ET_F32_SPMM_TILES = 3 }; /* MR = 32, 16, 8 */

/* One ISA's kernels: tile[i] has MR = 32 >> i. Larger MR reuses each loaded weight over more pixels; smaller MR
 * keeps xt (MR x k floats) small when k is large. */
typedef struct et_f32_spmm_config {
    et_f32_spmm_ukernel_fn ukernel[ET_F32_SPMM_TILES];
    et_f32_spmm_pack_fn pack[ET_F32_SPMM_TILES];
    const char *name[ET_F32_SPMM_TILES]; /* "f32-spmm-32x1-avx2" */
    et_kreq req;
    /* Cost model, measured on this ISA (tests/bench/qkernel_bench.c, section 4) in units of one dense GEMM
     * multiply-add: one nonzero x one pixel costs nnz_cost[tile] (more for small tiles, which load a weight per
     * fewer pixels, and for xt spilling out of L1), packing one input value and storing one output value
     * pack_cost. Sparse wins when nnz * nnz_cost + (k + n) * pack_cost < k * n, per pixel. */
    float nnz_cost[ET_F32_SPMM_TILES], pack_cost;
} et_f32_spmm_config;

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_spmm_config *et_f32_spmm_configs(size_t *count);

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_spmm_config *et_f32_spmm_config_get(void);

/* The tile (index into ukernel[], MR = 32 >> tile) for k input channels: the largest whose xt fits in
 * ET_F32_SPMM_XT_BYTES; -1 when k is too large for every tile (use the dense kernels). */
enum { ET_F32_SPMM_XT_BYTES = 64 * 1024 };
int et_f32_spmm_tile_for(size_t k);

#endif
