/* matmul.h: fully-connected and matrix-multiply operators (create -> setup -> run), on the GEMM kernels.
 *
 * et_fully_connected: y[rows][out] = post(clamp(x[rows][in] . W + bias)) with W constant, packed once at
 *   create (ONNX Gemm with a constant B, MatMul with a constant B over any batch: rows = product of the leading
 *   dimensions). It is a 1x1 convolution over `rows` pixels, so it shares that operator's tiling and threading.
 * et_matmul_dynamic: C[b] = A[b] . B[b] with both operands computed at run time (attention: Q.K^T, P.V). B is
 *   packed into panels at run time, in parallel, then multiplied; B may be given transposed (K^T without a
 *   copy) and may be shared by every batch (stride 0).
 *
 * Ownership: operators own their packed weights and scratch; tensors stay the caller's and must stay valid
 * from setup through run. */
#ifndef ET_ENGINE_OPERATORS_MATMUL_H
#define ET_ENGINE_OPERATORS_MATMUL_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/kernels/params.h"
#include "engine/threadpool.h"
#include "util/status.h"

/* Zero-initialise, then set what applies (zero strides mean dense; clamp and post-op off until enabled). */
typedef struct et_fully_connected_params {
    size_t in_features, out_features;
    bool weights_kn;                    /* W is [in][out] (MatMul B); default [out][in] (Gemm with transB=1) */
    size_t input_stride, output_stride; /* floats between rows; 0 = dense */
    bool clamp;
    float out_min, out_max;
    bool post;
    et_unary_op post_op;
    et_f32_unary_params post_params;
} et_fully_connected_params;

typedef struct et_fully_connected et_fully_connected;

/* Packs W and bias (NULL: zeros); the caller may free them afterwards. Returns ET_E_INPUT for zero sizes,
 * ET_E_NOMEM when packing memory is short. */
et_status et_fully_connected_create(const et_fully_connected_params *params, const float *weights, const float *bias,
                                    et_fully_connected **out, et_err *err);
void et_fully_connected_destroy(et_fully_connected *op);
/* Binds `rows` input rows and the output; ET_E_INPUT for NULL tensors or rows == 0. */
et_status et_fully_connected_setup(et_fully_connected *op, size_t rows, const float *input, float *output, et_err *err);
/* Runs on `pool` (NULL: the caller); ET_E_RUNTIME before a successful setup. Allocates nothing. */
et_status et_fully_connected_run(et_fully_connected *op, et_threadpool *pool, et_err *err);
const char *et_fully_connected_kernel_name(const et_fully_connected *op);
size_t et_fully_connected_packed_bytes(const et_fully_connected *op);

/* Zero-initialise; clamp off until enabled. */
typedef struct et_matmul_dynamic_params {
    bool b_transposed; /* B[b] is given as [n][k] (e.g. K of attention, for Q.K^T) instead of [k][n] */
    bool clamp;
    float out_min, out_max;
} et_matmul_dynamic_params;

typedef struct et_matmul_dynamic et_matmul_dynamic;

et_status et_matmul_dynamic_create(const et_matmul_dynamic_params *params, et_matmul_dynamic **out, et_err *err);
void et_matmul_dynamic_destroy(et_matmul_dynamic *op);

/* Scratch for the packed B of `batch` products of k x n: what setup needs when the caller supplies it. */
size_t et_matmul_dynamic_scratch_bytes(const et_matmul_dynamic *op, size_t batch, size_t k, size_t n, bool b_shared);

/* Binds batch products C[i] (m x n, row stride n) = A[i] (m x k, row stride k) . B[i]; the i-th operands start
 * at a + i * a_batch_stride etc. (floats); b_batch_stride 0 shares one B. scratch (64-byte aligned,
 * scratch_bytes long) may be NULL: the operator then keeps its own, grown here when shapes grow. Returns
 * ET_E_INPUT for NULL tensors or zero sizes, ET_E_NOMEM when it cannot grow its scratch. */
et_status et_matmul_dynamic_setup(et_matmul_dynamic *op, size_t batch, size_t m, size_t k, size_t n, const float *a,
                                  size_t a_batch_stride, const float *b, size_t b_batch_stride, float *c,
                                  size_t c_batch_stride, void *scratch, et_err *err);
/* Packs B and multiplies on `pool`; ET_E_RUNTIME before a successful setup. Allocates nothing. */
et_status et_matmul_dynamic_run(et_matmul_dynamic *op, et_threadpool *pool, et_err *err);
const char *et_matmul_dynamic_kernel_name(const et_matmul_dynamic *op);

#endif
