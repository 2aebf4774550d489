/* conv2d.h: the NHWC fp32 convolution operator: create -> setup -> run (XNNPACK's convolution-nhwc).
 *
 * Layout: activations are NHWC (channels last): a pixel's channels are contiguous, so a 1x1 convolution is a
 * GEMM over pixel rows with no copy, a KxK convolution is an indirect GEMM over pointers to pixels, and a
 * depthwise convolution vectorises over channels. Pixel strides may be wider than the channel count, which lets
 * a convolution read a slice of a wider tensor or write its channels into a slice of a concatenation.
 *
 *   create: packs the OIHW weights and bias once for this CPU's kernels and picks the path:
 *           gemm   (1x1, stride 1, no padding)          f32-gemm-6x16-avx2 ...
 *           dwconv (groups == in == out channels)         f32-dwconv-9p16c-avx2 ...
 *           winograd (3x3, stride 1, one group, when winograd.h expects it to win at the expected size)
 *                                                         f32-winograd-4x4-avx2 + f32-gemm-6x16-avx2 ...
 *           igemm  (everything else: KxK, strided, dilated, grouped)  f32-igemm-6x16-avx2 ...
 *   setup:  binds a batch and spatial size and the tensors; builds the indirection buffer when the spatial size
 *           changes (kept across setups otherwise: a moved input is an offset, not a rebuild).
 *   run:    computes output = post_op(clamp(conv(input) + bias [+ residual])) on a thread pool, in tiles of
 *           MR pixels x NR output channels; the residual add and the post-op run on each tile while it is in L1.
 *           With an int8 output (params.quantize: an fp32 layer feeding an int8 graph, e.g. a network's first
 *           convolution) each tile is also quantized there, by the qs8-vcvt quantize kernel, from a tile buffer on
 *           the stack: no fp32 output is written and no separate quantize pass runs. The Winograd path, and a
 *           depthwise layer wider than the tile buffer, write fp32 into the scratch and quantize it in one pass
 *           after (the same bytes either way: the kernels are elementwise and the tiles compute the same sums).
 *
 * Ownership: the operator owns its packed weights, indirection and zero buffers; the caller keeps ownership of
 * the weights it passed (they may be freed after create) and of the input, output and residual tensors, which
 * must stay valid from setup through run. One operator serves one run at a time. */
#ifndef ET_ENGINE_OPERATORS_CONV2D_H
#define ET_ENGINE_OPERATORS_CONV2D_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/params.h"
#include "engine/threadpool.h"
#include "util/status.h"

/* How a 3x3 stride-1 convolution is computed: direct (igemm) or Winograd F(2x2, 3x3) / F(4x4, 3x3). */
typedef enum {
    ET_CONV_ALGO_AUTO,
    ET_CONV_ALGO_DIRECT,
    ET_CONV_ALGO_WINOGRAD_2X2,
    ET_CONV_ALGO_WINOGRAD_4X4
} et_conv_algo;

/* Zero-initialise, then set what applies: zero strides, dilations and groups mean 1, zero pixel strides mean
 * dense, and clamp/post_op/residual are off until enabled. */
typedef struct et_conv2d_nhwc_params {
    size_t in_channels, out_channels, groups;
    size_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    size_t pad_top, pad_left, pad_bottom, pad_right;
    size_t input_pixel_stride, output_pixel_stride, residual_pixel_stride; /* floats; 0 = dense */
    bool clamp;                                                            /* Relu = [0, inf], Relu6 = [0, 6], Clip */
    float out_min, out_max;
    bool post; /* an activation after the clamp: hardswish, sigmoid, ... */
    et_unary_op post_op;
    et_f32_unary_params post_params; /* alpha/beta of hardsigmoid and leaky relu */
    bool residual;                   /* add a residual tensor (same shape as the output) before the clamp */
    /* The input size setup will mostly see (0: unknown). Winograd pays only at some sizes, and its weights are
     * transformed at create, so create needs the size to choose it; any size still runs correctly. */
    size_t expect_batch, expect_h, expect_w;
    et_conv_algo algo; /* AUTO (0): by cost at the expected size; the others force a path (tests, benches) */
    /* int8 output: y = clamp(lrintf(x / out_scale) + out_zp, -128, 127) of each value above (qs8-vcvt.h), written
     * as int8 with output_pixel_stride counted in elements */
    bool quantize;
    float out_scale; /* > 0 */
    int32_t out_zp;  /* in [-128, 127] */
} et_conv2d_nhwc_params;

typedef struct et_conv2d_nhwc et_conv2d_nhwc;

/* Which algorithm an operator runs. */
typedef enum { ET_CONV_PATH_GEMM, ET_CONV_PATH_IGEMM, ET_CONV_PATH_DWCONV, ET_CONV_PATH_WINOGRAD } et_conv_path;

/* Creates a convolution from OIHW weights [out_channels][in_channels / groups][kernel_h][kernel_w] and bias
 * [out_channels] (NULL: zeros). Returns ET_E_INPUT for inconsistent parameters (channels not divisible by
 * groups, a zero size), ET_E_NOMEM when the packed weights cannot be allocated. On success *out owns the packed
 * copy; free it with et_conv2d_nhwc_destroy. */
et_status et_conv2d_nhwc_create(const et_conv2d_nhwc_params *params, const float *weights, const float *bias,
                                et_conv2d_nhwc **out, et_err *err);

/* Same, from weights already laid out as a GEMM operand: element (output channel o, input channel i) at
 * w[o * w_stride_o + i * w_stride_i] (ONNX Gemm B^T: (K, 1); MatMul B [K][N]: (1, N)). Requires a 1x1 kernel,
 * stride 1, no padding and one group (the fully-connected operator). */
et_status et_conv2d_nhwc_create_gemm(const et_conv2d_nhwc_params *params, const float *weights, size_t w_stride_o,
                                     size_t w_stride_i, const float *bias, et_conv2d_nhwc **out, et_err *err);

/* Frees the operator and everything it owns; NULL is a no-op. */
void et_conv2d_nhwc_destroy(et_conv2d_nhwc *op);

/* The output size for an input of in_h x in_w; false (and zeros) when the input is smaller than the dilated
 * kernel after padding. */
bool et_conv2d_nhwc_output_size(const et_conv2d_nhwc *op, size_t in_h, size_t in_w, size_t *out_h, size_t *out_w);

/* Scratch bytes a run at this size needs (the Winograd path's transformed tiles, plus its fp32 output when the
 * output is int8; 0 for the others, whose indirection buffers are owned by the operator so that they survive
 * between runs). An engine hands every operator the same scratch. */
size_t et_conv2d_nhwc_scratch_bytes(const et_conv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w);

/* Binds shapes and tensors: input [batch][in_h][in_w][input_pixel_stride], output [batch][out_h][out_w]
 * [output_pixel_stride] (float, or int8 with params.quantize), residual like the output (required iff params.residual, else ignored), scratch of
 * et_conv2d_nhwc_scratch_bytes for this size, 64-byte aligned (may be NULL when that is 0), which every run until
 * the next setup uses (the caller owns it and may share it with other operators that do not run at the same
 * time). Returns ET_E_INPUT when the input is smaller than the kernel, a tensor is NULL or the
 * scratch is missing, ET_E_NOMEM when the indirection buffer cannot grow (the operator then stays unusable until a
 * successful setup). Allocates only when the spatial size changes. */
et_status et_conv2d_nhwc_setup(et_conv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w, const float *input,
                               void *output, const float *residual, void *scratch, et_err *err);

/* Runs the convolution on `pool` (NULL: the calling thread). Returns ET_E_RUNTIME when setup has not succeeded.
 * Allocates nothing. */
et_status et_conv2d_nhwc_run(et_conv2d_nhwc *op, et_threadpool *pool, et_err *err);

/* The kernel the operator runs, e.g. "f32-igemm-6x16-avx2" (static string, for per-layer profiles). */
const char *et_conv2d_nhwc_kernel_name(const et_conv2d_nhwc *op);

et_conv_path et_conv2d_nhwc_path(const et_conv2d_nhwc *op);

/* Bytes of packed weights and bias the operator holds (the engine's weight-memory figure). */
size_t et_conv2d_nhwc_packed_bytes(const et_conv2d_nhwc *op);

/* Multiply-adds of one run at the current setup, counted as a direct convolution (the work done, whichever path
 * does it; 0 before setup). */
size_t et_conv2d_nhwc_macs(const et_conv2d_nhwc *op);

#endif
