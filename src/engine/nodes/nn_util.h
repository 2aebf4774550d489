/* nn_util.h: pieces shared by the neural-network operator implementations (conv, conv_transpose, gemm, pool,
 * norm, softmax, reduce, resize): sliding-window geometry, a reference f32 GEMM, and a
 * parallel-for that runs inline when the plan has no pool.
 *
 * Sliding windows are normalised to three spatial dimensions: a 1-D or 2-D operator gets leading dimensions of
 * size 1 (kernel 1, stride 1, no padding), so every kernel is one triple loop instead of an N-d odometer. */
#ifndef ET_ENGINE_NODES_NN_UTIL_H
#define ET_ENGINE_NODES_NN_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/op.h"
#include "engine/nodes/activation.h"
#include "engine/threadpool.h"

enum { ET_WIN_MAX_SP = 3 };

/* Geometry of one sliding-window operator. Arrays are in the normalised 3-D form: index 3 - n_sp is the first
 * real spatial dimension. pad0/pad1 are the padding before/after each dimension (may be negative only for
 * ConvTranspose, where they crop or extend the full output). */
typedef struct et_window {
    int n_sp;
    int64_t in[ET_WIN_MAX_SP], out[ET_WIN_MAX_SP], k[ET_WIN_MAX_SP];
    int64_t stride[ET_WIN_MAX_SP], dil[ET_WIN_MAX_SP], pad0[ET_WIN_MAX_SP], pad1[ET_WIN_MAX_SP];
} et_window;

static inline int64_t et_window_in_size(const et_window *w) { return w->in[0] * w->in[1] * w->in[2]; }
static inline int64_t et_window_out_size(const et_window *w) { return w->out[0] * w->out[1] * w->out[2]; }
static inline int64_t et_window_k_size(const et_window *w) { return w->k[0] * w->k[1] * w->k[2]; }

typedef enum { ET_PAD_NOTSET, ET_PAD_SAME_UPPER, ET_PAD_SAME_LOWER, ET_PAD_VALID } et_auto_pad;

/* The node's auto_pad attribute (NOTSET when absent or empty). ET_E_INPUT naming the node for other values. */
et_status et_auto_pad_of(const et_node *n, et_auto_pad *out, et_err *err);

/* Checks the operands of Conv / ConvTranspose: float32 X, W and optional B (else ET_E_UNSUPPORTED), equal ranks
 * >= 3, a non-empty W, kernel_shape (when given) equal to W's spatial dims, and B a vector of `m` values
 * (m < 0: not checked). ET_E_INPUT naming the node otherwise. */
et_status et_conv_check_operands(const et_node *n, const et_value *x, const et_value *w, const et_value *b, int64_t m,
                                 et_err *err);

/* Geometry of Conv / MaxPool / AveragePool on input x (N, C, spatial...) with the given kernel sizes (n_sp
 * of them, from W or kernel_shape): reads strides, dilations, pads and auto_pad from the node. ceil_mode
 * rounds the output size up (pools); a last window that would start inside the end padding is dropped.
 * ET_E_INPUT naming the node for bad attributes (non-positive strides or dilations, negative pads, wrong
 * counts, a kernel larger than the padded input, absurd values); ET_E_UNSUPPORTED beyond 3 spatial dims. */
et_status et_window_init(const et_node *n, const et_shape *x, const int64_t *kernel, bool ceil_mode, et_window *w,
                         et_err *err);

/* Reads an optional ints attribute of exactly `count` values into out (filled with `def` when absent), each
 * within [lo, hi]. ET_E_INPUT naming the node and attribute otherwise. */
et_status et_attr_ints_checked(const et_node *n, const char *name, int count, int64_t def, int64_t lo, int64_t hi,
                               int64_t *out, et_err *err);

/* Checks a node's fused activation is one et_act_apply_f32 (activation.h) knows. ET_E_UNSUPPORTED naming the
 * node otherwise. */
et_status et_act_check(const et_node *n, et_err *err);

/* Reference f32 GEMM: C = alpha * A * B + (accumulate ? C : 0), with C row-major (ldc) and A, B given by
 * element strides: A(i, k) = a[i * a_rs + k * a_cs], B(k, j) = b[k * b_rs + j * b_cs]. Register-blocked
 * 4x8 tiles spread over the pool (pool may be NULL). Never allocates. */
void et_sgemm(et_threadpool *pool, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t a_rs,
              int64_t a_cs, const float *b, int64_t b_rs, int64_t b_cs, float *c, int64_t ldc, bool accumulate);

/* Runs fn over [0, n) on the pool, or inline when there is no pool or only one task. */
static inline void et_par_for(et_threadpool *pool, size_t n, et_task_fn fn, void *arg) {
    if (pool && n > 1)
        et_threadpool_parallel_for(pool, n, fn, arg);
    else if (n)
        fn(arg, 0, n);
}


#endif
