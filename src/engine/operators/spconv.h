/* spconv.h: the sparse NHWC 1x1 convolution / fully-connected operator (fp32): weights with most entries zero
 * (unstructured pruning) run on the f32-spmm kernels, which only multiply the nonzeros.
 *
 *   y[p][n] = post(clamp(bias[n] + sum_k x[p][k] * w[n][k] [+ residual[p][n]]))   for every pixel p
 *
 * Whether that beats the dense GEMM depends on the sparsity and the shape; et_spconv_nhwc_faster answers it from a
 * cost model measured on this ISA (f32-spmm.h; tests/bench/qkernel_bench.c section 4 prints the measurement and
 * whether the model picked the faster kernel). Measured on AVX2 (Zen 3, 1 thread): at 90 % zeros MobileNetV2 and
 * ResNet-50 1x1 layers run 1.3-2.9x faster than dense except the first, narrowest ones (32 -> 16 at 112x112,
 * 24 -> 144: packing and transposing dominate, they stay dense); at 70 % about even; at 50 % dense is 1.3-2.5x
 * faster, so 2:4 (50 %) stays dense: 2:4 is never slower than dense because it runs the dense kernel.
 *
 * Ownership as et_conv2d_nhwc: the operator owns its compressed weights; the caller's dense weights may be freed
 * after create; tensors stay the caller's and must stay valid from setup through run. */
#ifndef ET_ENGINE_OPERATORS_SPCONV_H
#define ET_ENGINE_OPERATORS_SPCONV_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/kernels/params.h"
#include "engine/threadpool.h"
#include "util/status.h"

/* Zero-initialise, then set what applies (zero pixel strides mean dense; clamp, post-op, residual off). */
typedef struct et_spconv_nhwc_params {
    size_t in_channels, out_channels;
    size_t input_pixel_stride, output_pixel_stride, residual_pixel_stride; /* floats; 0 = dense */
    bool clamp;
    float out_min, out_max;
    bool post;
    et_unary_op post_op;
    et_f32_unary_params post_params;
    bool residual;
} et_spconv_nhwc_params;

typedef struct et_spconv_nhwc et_spconv_nhwc;

/* True when the sparse kernels are expected to run a layer of `pixels` pixels, in_channels -> out_channels with
 * `nonzeros` nonzero weights, faster than the dense GEMM on this CPU (and false when in_channels is too large for
 * their tiles). */
bool et_spconv_nhwc_faster(size_t pixels, size_t in_channels, size_t out_channels, size_t nonzeros);

/* Counts the nonzero weights of an out x in matrix, element (o, i) at w[o * w_stride_o + i * w_stride_i]. */
size_t et_spconv_count_nonzeros(const float *w, size_t out_channels, size_t in_channels, size_t w_stride_o,
                                size_t w_stride_i);

/* Creates the operator from dense weights (zeros are dropped), element (output o, input i) at
 * w[o * w_stride_o + i * w_stride_i] (a 1x1 OIHW convolution: (in_channels, 1); ONNX Gemm B^T: (K, 1); MatMul
 * B [K][N]: (1, N)), and bias (NULL: zeros). Returns ET_E_INPUT for zero sizes or strides narrower than the
 * channels, ET_E_UNSUPPORTED when in_channels is beyond the sparse tiles (check et_spconv_nhwc_faster first),
 * ET_E_NOMEM. */
et_status et_spconv_nhwc_create(const et_spconv_nhwc_params *params, const float *weights, size_t w_stride_o,
                                size_t w_stride_i, const float *bias, et_spconv_nhwc **out, et_err *err);

/* Frees the operator and what it owns; NULL is a no-op. */
void et_spconv_nhwc_destroy(et_spconv_nhwc *op);

/* Binds `pixels` input pixels (all images and rows of a batch together: a 1x1 convolution does not care) and
 * the tensors (residual required iff params.residual). ET_E_INPUT for a NULL tensor or pixels == 0. */
et_status et_spconv_nhwc_setup(et_spconv_nhwc *op, size_t pixels, const float *input, float *output,
                               const float *residual, et_err *err);

/* Runs on `pool` (NULL: the calling thread); ET_E_RUNTIME before a successful setup. Allocates nothing (each
 * task packs its pixels into 64 KiB of stack). */
et_status et_spconv_nhwc_run(et_spconv_nhwc *op, et_threadpool *pool, et_err *err);

/* "f32-spmm-32x1-avx2" etc. (static string). */
const char *et_spconv_nhwc_kernel_name(const et_spconv_nhwc *op);

/* Bytes of compressed weights (values, offsets, counts) and bias. */
size_t et_spconv_nhwc_packed_bytes(const et_spconv_nhwc *op);

/* The number of nonzero weights kept. */
size_t et_spconv_nhwc_nonzeros(const et_spconv_nhwc *op);

#endif
