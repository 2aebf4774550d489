/* qwinograd.h: the int8 twin of winograd.h: a 3x3 stride-1 one-group quantized convolution by Winograd
 * F(2x2, 3x3) in integers (the kernels and the arithmetic: kernels/qs8-winograd/qs8-winograd.h), bit-identical
 * to the direct (igemm) path of qconv2d.c, which takes it when et_qwinograd_choose says so.
 *
 * A run takes the layer's 2x2 output blocks ("tiles") in blocks of tiles, each thread one block at a time through
 * three phases, with that block's transformed tiles in the thread's slot of caller-provided scratch:
 *   1. input transform:  each tile's 4x4 input, zero point subtracted -> V[16][n][kc] int16
 *   2. 16 GEMMs:         M[p] = V[p] (n x kc) x U'[p] (kc x K) -> int32
 *   3. output transform: M -> 2x2 output pixels, / 4, + bias, requantize (+ residual), int8
 * U' (16 packed int16 copies of 4 x the Winograd weights) is built at create: 16/9 of the igemm weights' size.
 *
 * Ownership: the object owns U', the bias and scale copies and the padding buffer; the caller owns every tensor
 * and the scratch. */
#ifndef ET_ENGINE_OPERATORS_QWINOGRAD_H
#define ET_ENGINE_OPERATORS_QWINOGRAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/qs8-winograd/qs8-winograd.h"
#include "engine/threadpool.h"
#include "util/status.h"

typedef struct et_qwinograd et_qwinograd;

/* Whether F(2x2) int8 is expected to beat the direct int8 path for c -> k channels on a batch x out_h x out_w
 * output, with the kernels `cfg` (NULL: the ones this CPU picks). False for scalar kernels (no CPU without a vector
 * path runs this one by itself: aarch64 keeps igemm), more than ET_QS8_WINO_MAX_CHANNELS input channels, fewer than
 * 32 channels either side (measured on a Zen 3, 28x28 outputs, 1 thread: 32 -> 24 and 24 -> 32 channels ran
 * 1.6-1.7x slower than igemm, 0.17-0.18 against 0.10-0.12 ms; at 32 -> 32 Winograd was ahead or even), and
 * outputs under 12 blocks of 4x4 (winograd.h's rule for fp32: the 16 weight copies would stream from memory for a
 * few tiles). */
bool et_qwinograd_choose(const et_qs8_wino_config *cfg, size_t batch, size_t out_h, size_t out_w, size_t c, size_t k);

/* Transforms and packs OIHW int8 weights [k][c][3][3]; bias [k] int32 (NULL: zeros) and the per-channel requant
 * scale [k] (s_x * s_w / s_y) are copied. x_zp is the input zero point (padding), rq the output side. Returns
 * ET_E_INPUT for c > ET_QS8_WINO_MAX_CHANNELS, ET_E_NOMEM, or ET_OK with *out owned by the caller. */
et_status et_qwinograd_create(const et_qs8_wino_config *cfg, size_t c, size_t k, const int8_t *weights,
                              const int32_t *bias, const float *scale, int32_t x_zp, const et_qs8_requant_params *rq,
                              et_qwinograd **out, et_err *err);
void et_qwinograd_destroy(et_qwinograd *w);

/* Bytes of U', bias, scales and padding buffer. */
size_t et_qwinograd_packed_bytes(const et_qwinograd *w);

/* Scratch bytes a run needs for this output size on up to `threads` threads (0 counts as 1): one block of tiles
 * (at most ET_TASK_L2_BUDGET_BYTES of V and M) per thread, not the whole layer's tiles; 0 when the size
 * overflows. */
size_t et_qwinograd_scratch_bytes(const et_qwinograd *w, size_t batch, size_t out_h, size_t out_w, size_t threads);

/* One run's geometry and tensors; pixel strides in elements (bytes), >= the channel counts. */
typedef struct et_qwinograd_args {
    size_t batch, in_h, in_w, out_h, out_w, pad_top, pad_left;
    const int8_t *input;
    size_t input_stride;
    int8_t *output;
    size_t output_stride;
    const int8_t *residual; /* NULL: none; may be the output (in place) */
    size_t residual_stride;
    void *scratch;          /* et_qwinograd_scratch_bytes for scratch_threads threads, 64-byte aligned */
    size_t scratch_threads; /* the threads the scratch was sized for (0 counts as 1) */
} et_qwinograd_args;

/* Runs the convolution on `pool` (NULL: this thread), on at most scratch_threads of its threads (each works in its
 * own slot of the scratch). Allocates nothing and cannot fail on valid arguments. */
void et_qwinograd_run(const et_qwinograd *w, const et_qwinograd_args *a, et_threadpool *pool);

/* "qs8-winograd-2x2-avx2" (static). */
const char *et_qwinograd_kernel_name(const et_qwinograd *w);

#endif
