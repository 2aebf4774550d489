/* tk.h: the training engine's own kernels, for the loops that are not GEMMs and where its time went: the taps of
 * depthwise convolutions over padded planes (forward, input gradient, weight gradient), activation masks (the
 * backward of Relu/Clip, the forward clamp) and the copies into and out of padded and stride-phase planes
 * (gather, scatter: a depthwise layer's planes are rows of 4 to 16 floats, which a scalar loop or a memcpy per row
 * spent more time on than the taps). One body (tk-impl.h) on GCC vectors of TK_WL floats, compiled
 * once per ISA by file name (tk-scalar.c, tk-avx2.c with -mavx2 -mfma, tk-neon.c), chosen at run time by the
 * engine's CPU features (tk-config.c); the scalar table is the oracle of tests/unit/train/test_tk.c.
 *
 * Arrays may be unaligned; y never overlaps x or dy. */
#ifndef ET_TRAIN_KERNELS_TK_H
#define ET_TRAIN_KERNELS_TK_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/cpu.h"

typedef struct et_tk_config {
    /* y[i] = (acc ? y[i] : 0) + sum_k w[k] x[i + off[k]] for i < n (off >= 0) */
    void (*taps)(float *y, const float *x, const ptrdiff_t *off, const float *w, int ntaps, size_t n, bool acc);
    /* out[k] += sum_i dy[i] x[i + off[k]] for k < ntaps */
    void (*dots)(const float *dy, const float *x, const ptrdiff_t *off, int ntaps, size_t n, float *out);
    /* dx[i] = (acc ? dx[i] : 0) + (lo < x[i] < hi ? dy[i] : 0): the backward of Relu (0, inf) and Clip */
    void (*mask)(float *dx, const float *dy, const float *x, float lo, float hi, size_t n, bool acc);
    /* y[i] = min(max(x[i], lo), hi) */
    void (*clamp)(float *y, const float *x, float lo, float hi, size_t n);
    /* y[i] += x[i] */
    void (*add)(float *y, const float *x, size_t n);
    /* y[r ldy + t] = x[r ldx + stride t] + b for r < rows, t < n: a block of rows copied, or the columns of one
     * stride phase picked (the depthwise phase planes, stride 2 by vector shuffles); b = 0 copies */
    void (*gather)(float *y, ptrdiff_t ldy, const float *x, ptrdiff_t ldx, size_t rows, size_t n, size_t stride,
                   float b);
    /* y[r ldy + stride t] = (acc ? y[r ldy + stride t] : 0) + x[r ldx + t]: gather's inverse (dX of a phase);
     * the other elements of y's rows keep their values */
    void (*scatter)(float *y, ptrdiff_t ldy, const float *x, ptrdiff_t ldx, size_t rows, size_t n, size_t stride,
                    bool acc);
    const char *name;
    et_cpu_isa isa;
} et_tk_config;

const et_tk_config *et_tk_config_get(void);
/* The table of one ISA, or NULL when this build has none (tests; check et_cpu_can_run before calling). */
const et_tk_config *et_tk_config_for(et_cpu_isa isa);

extern const et_tk_config et_tk_scalar, et_tk_avx2, et_tk_neon;

#endif
