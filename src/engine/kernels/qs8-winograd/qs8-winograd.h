/* qs8-winograd.h: the pieces of an int8 Winograd F(2x2, 3x3) convolution (Lavin & Gray, 2015) that stay integer
 * from end to end, for NHWC int8 tensors (the scheme of qparams.h).
 *
 *   input   V = B^T (d - zp_x) B per 4x4 input tile and channel: int8 with the zero point subtracted (|d - zp| <=
 *           255), each 1D pass adds or subtracts two values, so |V| <= 4 * 255 = 1020: int16.
 *   weights U' = (2G) g (2G)^T = 4 G g G^T, at create: 2G = [2 0 0; 1 1 1; 1 -1 1; 0 0 2] is integer, so U' is
 *           the exact Winograd weight times 4, in int16 (|U'| <= 9 * 127 = 1143). No rounding, no per-position
 *           scale: nothing is lost against the direct convolution.
 *   GEMMs   M[p] = V[p] (tiles x C) x U'[p] (C x K) for the 16 positions p: int16 x int16 -> int32 (vpmaddwd on
 *           AVX2). Every sum is taken modulo 2^32 (the vector adds wrap; the scalar code uses uint32_t).
 *   output  S = A^T M A (adds only) equals 4 x the exact int32 convolution sum modulo 2^32; that sum times 4 fits
 *           int32 when C <= ET_QS8_WINO_MAX_CHANNELS (4 * 9 * 1024 * 255 * 127 < 2^31), so S is exact and S / 4
 *           (an exact division) is the accumulator the direct kernels compute; + bias, then the requantization
 *           rule of qparams.h. The result is therefore bit-identical to the igemm path's.
 *
 * Layouts: V is [16][tiles][kc] int16 with kc = channels rounded up to 2 (the pad is zero); the packed weights are,
 * per position, panels of 16 output channels: for each k pair, 16 x 2 int16 (column j's two values adjacent, the
 * layout vpmaddwd multiplies against a broadcast pair of A), columns past K zero. M is [16][tiles][K] int32.
 *
 * Every kernel handles any channel count (whole vectors, then a scalar tail) and needs no alignment. */
#ifndef ET_KERNELS_QS8_WINOGRAD_H
#define ET_KERNELS_QS8_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/qparams.h"

enum {
    ET_QS8_WINO_POSITIONS = 16,     /* 4 x 4 tile positions: 16 GEMMs */
    ET_QS8_WINO_NR = 16,            /* output channels per packed panel */
    ET_QS8_WINO_MR = 6,             /* most tile rows a GEMM call takes */
    ET_QS8_WINO_MAX_CHANNELS = 1024 /* input channels for which 4 x the int32 sum cannot overflow */
};

/* Input transform of one tile: d[16] are the tile's input pixels row by row (padding pixels point at zp_x
 * values), `channels` int8 each. Writes kc int16 per position to v + p * v_stride (kc >= channels, even; the
 * channels past `channels` are written as zero). */
typedef void (*et_qs8_wino_input_fn)(size_t channels, size_t kc, const int8_t *const *d, int32_t x_zp, int16_t *v,
                                     size_t v_stride);

/* One GEMM: mr (1..6) rows of a (kc int16 each, a_stride apart) times nc columns of packed weights w (panels of
 * 16 columns, kc/2 pairs each) -> c (int32, c_stride apart; only the first nc columns are written). */
typedef void (*et_qs8_wino_gemm_fn)(size_t mr, size_t nc, size_t kc, const int16_t *a, size_t a_stride,
                                    const int16_t *w, int32_t *c, size_t c_stride);

/* Output transform of one tile: m + p * m_stride holds position p's `channels` int32; y[4] are the 2x2 output
 * pixels row by row (NULL: outside the image, skipped), r[4] their residual pixels (r NULL: no residual).
 * acc = (A^T M A) / 4 + bias[c], requantized with scale[c] and p. */
typedef void (*et_qs8_wino_output_fn)(size_t channels, const int32_t *m, size_t m_stride, const int32_t *bias,
                                      const float *scale, int8_t *const *y, const int8_t *const *r,
                                      const et_qs8_requant_params *p);

typedef struct et_qs8_wino_config {
    et_qs8_wino_input_fn input;
    et_qs8_wino_gemm_fn gemm;
    et_qs8_wino_output_fn output;
    const char *name; /* "qs8-winograd-2x2-avx2" */
    et_kreq req;      /* what the CPU must have (dispatch.h) */
} et_qs8_wino_config;

/* The config for the ISA path chosen at start (never NULL: scalar at worst; dispatch.h). */
const et_qs8_wino_config *et_qs8_wino_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks). *count receives the number. */
const et_qs8_wino_config *et_qs8_wino_configs(size_t *count);

/* int16 elements of one position's packed weights for c input and k output channels. */
size_t et_qs8_wino_packed_elems(size_t c, size_t k);

/* Transforms int8 OIHW weights [k][c][3][3] into U' = (2G) g (2G)^T and packs them: 16 positions of
 * et_qs8_wino_packed_elems(c, k) int16 each at out. Cannot fail. */
void et_qs8_wino_pack_weights(size_t c, size_t k, const int8_t *weights, int16_t *out);

#define ET_QS8_WINO_DECLARE(isa)                                                                                     \
    void et_qs8_wino_input_2x2__##isa(size_t, size_t, const int8_t *const *, int32_t, int16_t *, size_t);            \
    void et_qs8_wino_gemm_6x16c2__##isa(size_t, size_t, size_t, const int16_t *, size_t, const int16_t *, int32_t *, \
                                        size_t);                                                                     \
    void et_qs8_wino_output_2x2__##isa(size_t, const int32_t *, size_t, const int32_t *, const float *,              \
                                       int8_t *const *, const int8_t *const *, const et_qs8_requant_params *);
ET_QS8_WINO_DECLARE(scalar)
ET_QS8_WINO_DECLARE(avx2)

#endif
