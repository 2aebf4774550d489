/* qconv2d.h: the NHWC quantized convolution operator: int8 in, int8 out (create -> setup -> run), the int8
 * twin of et_conv2d_nhwc (conv2d.h), on the qc8/qc4 kernels (src/engine/kernels/qparams.h has the scheme).
 *
 *   input   int8, per-tensor scale x_scale and zero point x_zp (asymmetric)
 *   weights int8 OIHW, symmetric per output channel: scale w_scale[o], zero point 0, |w| <= 2^(bits-1) - 1
 *   bias    int32, bias[o] = round(b[o] / (x_scale * w_scale[o])) (the usual QDQ convention), or NULL
 *   output  y = clamp(lrintf(acc * x_scale * w_scale[o] / y_scale [+ (r - residual_zp) * residual_scale /
 *           y_scale]) + y_zp, qmin, qmax), acc the exact int32 sum; a fused Relu/Relu6/Clip is just a narrower
 *           [qmin, qmax] (Relu: [y_zp, 127]).
 *
 * Paths (chosen at create, like the fp32 operator):
 *   gemm    1x1, stride 1, no padding                       qc8-gemm-6x16c2-avx2 ...
 *   dwconv  groups == in == out channels                    qc8-dwconv-9p32c-avx512f, -xp16c-avx2 ...
 *   winograd 3x3, stride 1, one group, 8-bit weights, when qwinograd.h expects it to win at the expected size
 *           and the direct 8-bit kernel is AVX2's vpmaddwd one (aarch64 has no vector kernels for it and AVX-512
 *           VNNI's direct kernel was not measured against it: both stay on igemm)  qs8-winograd-2x2-avx2
 *           integer F(2x2, 3x3), bit-identical to igemm (qs8-winograd.h says why)
 *   igemm   everything else (KxK, strided, dilated, grouped) qc8-igemm-6x16c2-avx2 ...
 * Weight bits pick the kernel: <= 4 the nibble-packed qc4 kernels (two weights per byte; gemm and igemm paths),
 * 5..7 kernels exact for narrower weights where the ISA has faster ones (AVX2 vpmaddubsw), 8 the exact int8
 * kernels. Depthwise layers use the int8 dwconv kernel at every width.
 *
 * Some kernels read their A operand in another format (int16, or uint8 = x ^ 0x80; qparams.h): the operator
 * then converts the input once per run into scratch, which the caller may supply (scratch_bytes) or leave to the
 * operator. Ownership as et_conv2d_nhwc: the operator owns its packed weights, indirection and scratch; the
 * caller's weights may be freed after create; tensors stay the caller's and must stay valid from setup to run. */
#ifndef ET_ENGINE_OPERATORS_QCONV2D_H
#define ET_ENGINE_OPERATORS_QCONV2D_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/operators/conv2d.h"
#include "engine/threadpool.h"
#include "util/status.h"

/* Zero-initialise, then set what applies: zero strides, dilations and groups mean 1, zero pixel strides dense,
 * weight_bits 0 means 8; clamp and residual are off until enabled. Scales must be positive and finite, zero
 * points and clamp bounds within [-128, 127]. */
typedef struct et_qconv2d_nhwc_params {
    size_t in_channels, out_channels, groups;
    size_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    size_t pad_top, pad_left, pad_bottom, pad_right;
    size_t input_pixel_stride, output_pixel_stride, residual_pixel_stride; /* elements (= bytes); 0 = dense */
    float x_scale;
    int32_t x_zp;
    float y_scale;
    int32_t y_zp;
    bool clamp; /* output range [qmin, qmax] instead of [-128, 127] */
    int32_t qmin, qmax;
    int weight_bits; /* 2..8 (0: 8): weights must satisfy |w| <= 2^(bits-1) - 1 */
    bool residual;   /* add an int8 residual (same shape as the output) before rounding */
    float residual_scale;
    int32_t residual_zp;
    size_t expect_batch, expect_h, expect_w; /* the input size runs will have (0: unknown, no Winograd by cost) */
    size_t expect_threads; /* the most threads runs will have (0: 1): the Winograd path's scratch holds one block of
                            * tiles per thread, and a run on a bigger pool uses only this many threads */
    const int8_t *table;   /* 256 entries applied to every output byte after requantization, y = table[y + 128] (a
                          * HardSwish, HardSigmoid or Sigmoid fused from et.QLut: x8-lut.h), or NULL; copied at
                          * create. It runs on each output tile while it is in cache, not as a pass of its own */
    et_conv_algo algo;     /* AUTO: by cost; DIRECT: never Winograd; WINOGRAD_2X2: wherever the shape allows (tests,
                        * benches, also on scalar kernels); WINOGRAD_4X4: ET_E_UNSUPPORTED (no int8 F(4x4)) */
} et_qconv2d_nhwc_params;

typedef struct et_qconv2d_nhwc et_qconv2d_nhwc;

/* Creates a convolution from int8 OIHW weights [out_channels][in_channels / groups][kernel_h][kernel_w], their
 * per-output-channel scales w_scale[out_channels] (> 0 and finite; 0 is allowed for an all-zero channel) and
 * int32 bias[out_channels] (NULL: zeros). Returns ET_E_INPUT for inconsistent parameters, a scale or zero point
 * out of range, or a weight outside the declared bit-width (the message names it); ET_E_UNSUPPORTED when
 * kernel_h * kernel_w * in_channels / groups > 66000 (an int32 sum could overflow); ET_E_NOMEM. On success *out
 * owns a packed copy; free it with et_qconv2d_nhwc_destroy. */
et_status et_qconv2d_nhwc_create(const et_qconv2d_nhwc_params *params, const int8_t *weights, const float *w_scale,
                                 const int32_t *bias, et_qconv2d_nhwc **out, et_err *err);

/* Same, from weights laid out as a GEMM operand: element (output channel o, input channel i) at
 * w[o * w_stride_o + i * w_stride_i] (ONNX Gemm B^T: (K, 1); MatMul B [K][N]: (1, N)). Requires a 1x1 kernel,
 * stride 1, no padding, one group (the quantized fully-connected operator, qfc.h, is built on it). */
et_status et_qconv2d_nhwc_create_gemm(const et_qconv2d_nhwc_params *params, const int8_t *weights, size_t w_stride_o,
                                      size_t w_stride_i, const float *w_scale, const int32_t *bias,
                                      et_qconv2d_nhwc **out, et_err *err);

/* Frees the operator and everything it owns; NULL is a no-op. */
void et_qconv2d_nhwc_destroy(et_qconv2d_nhwc *op);

/* The output size for an in_h x in_w input; false (and zeros) when the padded input is smaller than the kernel. */
bool et_qconv2d_nhwc_output_size(const et_qconv2d_nhwc *op, size_t in_h, size_t in_w, size_t *out_h, size_t *out_w);

/* Bytes of scratch a setup of this shape uses for the converted input, or for the transformed tiles on the
 * Winograd path (one block of tiles per thread, for params.expect_threads threads; 0 when the kernels read the
 * input as it is). A caller that shares one arena between operators passes that much, 64-byte aligned, to setup. */
size_t et_qconv2d_nhwc_scratch_bytes(const et_qconv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w);

/* Binds shapes and tensors: input [batch][in_h][in_w][input_pixel_stride] int8, output [batch][out_h][out_w]
 * [output_pixel_stride] int8, residual like the output (required iff params.residual; it may be the output
 * itself, an in-place add), scratch (scratch_bytes bytes, or NULL: the operator keeps its own, grown here).
 * Returns ET_E_INPUT for a NULL tensor, batch 0 or an input smaller than the kernel, ET_E_NOMEM when a buffer
 * cannot grow (the operator is then unusable until a successful setup). Allocates only when shapes grow. */
et_status et_qconv2d_nhwc_setup(et_qconv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w, const int8_t *input,
                                int8_t *output, const int8_t *residual, void *scratch, et_err *err);

/* Runs on `pool` (NULL: the calling thread). ET_E_RUNTIME before a successful setup. Allocates nothing. */
et_status et_qconv2d_nhwc_run(et_qconv2d_nhwc *op, et_threadpool *pool, et_err *err);

/* The kernel that runs, e.g. "qc8-igemm-6x16c2-avx2" (static string, for per-layer profiles). */
const char *et_qconv2d_nhwc_kernel_name(const et_qconv2d_nhwc *op);

et_conv_path et_qconv2d_nhwc_path(const et_qconv2d_nhwc *op);

/* Bits one weight occupies in the packed form: 4 (nibbles), 8, or 16 (int16 for AVX2 vpmaddwd, and the
 * Winograd path's transformed weights). Weights of
 * 8 bits, and of 4 bits in nibbles, run natively; other widths run on a wider container (`exec: simulated`). */
int et_qconv2d_nhwc_storage_bits(const et_qconv2d_nhwc *op);

/* Bytes of packed weights, bias and scales the operator holds. */
size_t et_qconv2d_nhwc_packed_bytes(const et_qconv2d_nhwc *op);

/* Multiply-adds of one run at the current setup (0 before setup). */
size_t et_qconv2d_nhwc_macs(const et_qconv2d_nhwc *op);

#endif
