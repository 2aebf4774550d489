/* qfc.h: the quantized fully-connected operator (ONNX Gemm / MatMul with a constant B, in QDQ form):
 *   y[rows][out] = requantize(x[rows][in] . W + bias), int8 in and out, int32 accumulation,
 * with the scheme of qconv2d.h (x per-tensor asymmetric, W per output column symmetric, int32 bias, fused clamp).
 * A 1x1 quantized convolution over `rows` pixels underneath, so it has that operator's kernels, tiling and
 * threading. Ownership: the operator owns its packed weights and scratch; tensors stay the caller's. */
#ifndef ET_ENGINE_OPERATORS_QFC_H
#define ET_ENGINE_OPERATORS_QFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/threadpool.h"
#include "util/status.h"

/* Zero-initialise, then set what applies (zero strides mean dense; weight_bits 0 means 8; clamp off). */
typedef struct et_qfully_connected_params {
    size_t in_features, out_features;
    bool weights_kn;                    /* W is [in][out] (MatMul B); default [out][in] (Gemm with transB=1) */
    size_t input_stride, output_stride; /* elements between rows; 0 = dense */
    float x_scale;
    int32_t x_zp;
    float y_scale;
    int32_t y_zp;
    bool clamp;
    int32_t qmin, qmax;
    int weight_bits;
} et_qfully_connected_params;

typedef struct et_qfully_connected et_qfully_connected;

/* Packs W (int8, |w| <= 2^(bits-1) - 1), its per-output scales w_scale[out_features] and int32 bias (NULL:
 * zeros); the caller may free them afterwards. Errors as et_qconv2d_nhwc_create. */
et_status et_qfully_connected_create(const et_qfully_connected_params *params, const int8_t *weights,
                                     const float *w_scale, const int32_t *bias, et_qfully_connected **out, et_err *err);

/* Frees the operator and what it owns; NULL is a no-op. */
void et_qfully_connected_destroy(et_qfully_connected *op);

/* Binds `rows` input rows and the output; ET_E_INPUT for NULL tensors or rows == 0, ET_E_NOMEM when scratch for
 * a converted input cannot grow. */
et_status et_qfully_connected_setup(et_qfully_connected *op, size_t rows, const int8_t *input, int8_t *output,
                                    et_err *err);

/* Runs on `pool` (NULL: the caller); ET_E_RUNTIME before a successful setup. Allocates nothing. */
et_status et_qfully_connected_run(et_qfully_connected *op, et_threadpool *pool, et_err *err);

/* The kernel that runs ("qc8-gemm-6x16c2-avx2"; static string), the bytes of packed weights, bias and scales,
 * and the bits one packed weight occupies (as et_qconv2d_nhwc_storage_bits). */
const char *et_qfully_connected_kernel_name(const et_qfully_connected *op);
size_t et_qfully_connected_packed_bytes(const et_qfully_connected *op);
int et_qfully_connected_storage_bits(const et_qfully_connected *op);

#endif
