/* winograd.h: 3x3 stride-1 convolution by Winograd F(2x2, 3x3) or F(4x4, 3x3), the path conv2d.h takes when it
 * needs fewer multiply-adds than the direct (igemm) one at the expected size.
 *
 * A run is three parallel phases over the whole layer, with the transformed tiles in caller-provided scratch:
 *   1. input transform:  every m x m output block's t x t input tile -> V[t*t][tiles][C]
 *   2. t*t GEMMs:        M[p] = V[p] (tiles x C) x U[p] (C x K), the engine's f32-gemm kernels and task grid
 *   3. output transform: M -> m x m output pixels, + bias, + residual, clamp, then the post-op per pixel
 * U (the transformed weights, t*t packed GEMM operands) is built at create: t*t/9 of the direct weights' size.
 *
 * Ownership: the object owns U, the bias copy and a zero buffer; the caller owns every tensor and the scratch. */
#ifndef ET_ENGINE_OPERATORS_WINOGRAD_H
#define ET_ENGINE_OPERATORS_WINOGRAD_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/kernels/f32-winograd/f32-winograd.h"
#include "engine/kernels/params.h"
#include "engine/threadpool.h"
#include "util/status.h"

typedef struct et_winograd et_winograd;

/* The tile size that runs a 3x3 stride-1 convolution of c -> k channels on a batch x out_h x out_w output in
 * fewer estimated cycles than the direct path, or -1 when the direct path is expected to win (small spatial
 * sizes, where the t*t weight copies are streamed for a few tiles, and few channels). */
int et_winograd_choose(size_t batch, size_t out_h, size_t out_w, size_t c, size_t k);

/* Transforms and packs OIHW weights [k][c][3][3] and bias [k] (NULL: zeros). Returns ET_E_NOMEM, or ET_OK with
 * *out owned by the caller (et_winograd_destroy). */
et_status et_winograd_create(et_wino_tile f, size_t c, size_t k, const float *weights, const float *bias,
                             et_winograd **out, et_err *err);
void et_winograd_destroy(et_winograd *w);

/* Bytes of U, bias and zero buffer (the engine's weight-memory figure). */
size_t et_winograd_packed_bytes(const et_winograd *w);

/* Scratch bytes a run needs for this output size; 0 when the size overflows. */
size_t et_winograd_scratch_bytes(const et_winograd *w, size_t batch, size_t out_h, size_t out_w);

/* One run's geometry and tensors. Pixel strides are in floats (>= the channel counts). */
typedef struct et_winograd_args {
    size_t batch, in_h, in_w, out_h, out_w, pad_top, pad_left;
    const float *input;
    size_t input_stride;
    float *output;
    size_t output_stride;
    const float *residual; /* NULL: none */
    size_t residual_stride;
    float out_min, out_max; /* clamp after bias and residual */
    bool post;
    et_unary_op post_op;
    et_f32_unary_params post_params;
    void *scratch; /* et_winograd_scratch_bytes, 64-byte aligned */
} et_winograd_args;

/* Runs the convolution on `pool` (NULL: this thread). Allocates nothing and cannot fail on valid arguments. */
void et_winograd_run(const et_winograd *w, const et_winograd_args *a, et_threadpool *pool);

/* "f32-winograd-4x4-avx2" (static). */
const char *et_winograd_kernel_name(const et_winograd *w);

/* Multiply-adds of the GEMM phase for this size (the transforms not counted). */
size_t et_winograd_macs(const et_winograd *w, size_t batch, size_t out_h, size_t out_w);

#endif
