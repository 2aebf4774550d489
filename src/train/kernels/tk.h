/* tk.h: the training engine's own kernels, for the loops that are not GEMMs and where its time went: depthwise
 * convolutions on pixel-major blocks of channels (forward, weight gradient, input gradient) and the transposes of
 * NCHW planes into and out of those blocks, activation masks (the backward of Relu/Clip, the forward clamp); and,
 * on AVX2 only, a GEMM whose B rows are read in place at offsets (gemm_boff: the padded planes' im2col rows). One
 * body (tk-impl.h) on GCC vectors, compiled once per ISA by file name (tk-scalar.c, tk-avx2.c with -mavx2 -mfma,
 * tk-neon.c), chosen at run time by the engine's CPU features (tk-config.c); the scalar table is the oracle of
 * tests/unit/train/test_tk.c.
 *
 * Arrays may be unaligned; outputs never overlap inputs. */
#ifndef ET_TRAIN_KERNELS_TK_H
#define ET_TRAIN_KERNELS_TK_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/cpu.h"

/* A depthwise convolution over blocks of ET_TK_CB channels in pixel-major order ("HWC" blocks: pixel p of a
 * block holds its ET_TK_CB channels side by side, so one vector is one pixel of every channel and each tap is one
 * multiply-add of whole vectors, at any stride and dilation, with no taps wasted on padding). The input block is
 * zero-padded: hp rows of wp pixels, input pixel (iy, ix) at padded (iy + pt, ix + pl); output pixel (oy, ox) of
 * tap (ky, kx) reads padded pixel (oy sh + ky dh, ox sw + kx dw). Weights are [kh kw][ET_TK_CB]. */
enum { ET_TK_CB = 8 };
typedef struct et_tk_dw {
    size_t oh, ow, kh, kw, sh, sw, dh, dw;
    size_t wp; /* pixels per padded row */
} et_tk_dw;

/* tk's GEMM with B rows at offsets (et_tk_config's gemm_boff) */
typedef void (*et_tk_gemm_boff_fn)(size_t mr, size_t nc, size_t kc, const float *a, size_t lda, const float *b,
                                   const ptrdiff_t *boff, size_t ldr, float *c, size_t ldc);

/* tk's dot-product GEMM over segments (et_tk_config's gemm_nt) */
typedef void (*et_tk_gemm_nt_fn)(size_t mr, size_t nc, size_t kc, size_t ns, const float *a, size_t lda, size_t sa,
                                 const float *b, size_t sb, const ptrdiff_t *boff, float *c, size_t csi, size_t csj,
                                 bool acc);

typedef struct et_tk_config {
    /* transposes nch (<= CB) planes of rows x cols pixels (plane l at x + l plane, rows contiguous) into a block:
     * xp[r ldr + c CB + l] = x[l plane + r cols + c], and 0 in lanes nch..CB-1 */
    void (*hwc_in)(float *xp, ptrdiff_t ldr, const float *x, ptrdiff_t plane, size_t nch, size_t rows, size_t cols);
    /* and out of one: y[l plane + r cols + c] = (acc ? y[...] : 0) + xp[r ldr + c CB + l] for l < nch */
    void (*hwc_out)(float *y, ptrdiff_t plane, const float *xp, ptrdiff_t ldr, size_t nch, size_t rows, size_t cols,
                    bool acc);
    /* forward: out[(oy ow + ox) CB + l] = b[l] + sum over taps k = (ky, kx) in order of w[k CB + l] times the padded
     * pixel the tap reads (b NULL: 0) */
    void (*dw_fwd)(float *out, const float *xp, const float *w, const float *b, const et_tk_dw *g);
    /* weight gradient: dw[k CB + l] += sum over output pixels p of gy[p CB + l] times the padded pixel tap k reads
     * for p; db[l] += sum_p gy[p CB + l] (db NULL: skipped) */
    void (*dw_wgrad)(float *dw, float *db, const float *gy, const float *xp, const et_tk_dw *g);
    /* input gradient on the padded block: for every output pixel p and tap k, dxp[pixel tap k reads for p] +=
     * w[k CB + l] gy[p CB + l] */
    void (*dw_dgrad)(float *dxp, const float *gy, const float *w, const et_tk_dw *g);
    /* dx[i] = (acc ? dx[i] : 0) + (lo < x[i] < hi ? dy[i] : 0): the backward of Relu (0, inf) and Clip */
    void (*mask)(float *dx, const float *dy, const float *x, float lo, float hi, size_t n, bool acc);
    /* y[i] = min(max(x[i], lo), hi) */
    void (*clamp)(float *y, const float *x, float lo, float hi, size_t n);
    /* y[i] += x[i] */
    void (*add)(float *y, const float *x, size_t n);
    /* A GEMM whose B rows are read in place at offsets (the padded planes' im2col rows, instead of packing them):
     * for i < mr (1..6) and j < nc (1..16), c[i ldc + j] = a[i lda + kc] + sum over k < kc of a[i lda + k] times
     * B[k][j]: row i of a holds kc weights and then its bias. B[k][j] = b[boff[k] + j] when ldr is 0 (reads 16
     * floats at every b + boff[k], whatever nc is: the caller's buffer must have them); else the 16 columns are 4
     * rows of 4 (a 4x4 output plane on the padded grid), B[k][j] = b[boff[k] + (j / 4) ldr + j % 4]. NULL where
     * this ISA has none (the caller packs B instead). */
    et_tk_gemm_boff_fn gemm_boff;
    /* Dot products of rows (both operands contiguous along k, no transpose): for i < mr (1..4) and j < nc (1..3),
     * c[i csi + j csj] = (acc ? c[...] : 0) + sum over segments s < ns and k < kc (a multiple of 8) of
     * a[s sa + i lda + k] times b[s sb + boff[j] + k]. The weight gradient of a grid convolution: a = dY spread on
     * the grid, b = the padded planes (im2col row j at boff[j]), a segment per image. NULL where this ISA has none. */
    et_tk_gemm_nt_fn gemm_nt;
    const char *name;
    et_cpu_isa isa;
} et_tk_config;

const et_tk_config *et_tk_config_get(void);
/* The table of one ISA, or NULL when this build has none (tests; check et_cpu_can_run before calling). */
const et_tk_config *et_tk_config_for(et_cpu_isa isa);

extern const et_tk_config et_tk_scalar, et_tk_avx2, et_tk_neon;

#endif
