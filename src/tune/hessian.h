/* hessian.h: the statistics recovery needs from a weight layer's inputs on the calibration set: H = X X^T (the
 * Hessian of the layer's squared output error, up to the factor 2 that dampening makes irrelevant) and the sum
 * of X (for bias correction), where the columns of X are what one output value sees: an im2col patch of a
 * convolution (input channel, then kernel position: the order of the weights' OIHW rows) or a row of a
 * Gemm/MatMul input. A grouped convolution has one H per group over its own input channels (a depthwise 3x3
 * layer: a 9 x 9 H per channel).
 *
 * Sums are formed in fp32 over chunks of at most a few hundred rows on the GEMM kernels (tgemm.h) and added into
 * double accumulators, so millions of calibration rows lose nothing to fp32. Narrow problems (d <= 16, such as
 * depthwise layers) use direct dot products instead, one group per task. */
#ifndef ET_TUNE_HESSIAN_H
#define ET_TUNE_HESSIAN_H

#include <stdint.h>

#include "engine/threadpool.h"
#include "model/graph.h"
#include "util/status.h"

typedef struct et_hess {
    int64_t groups, d; /* problems and features per problem */
    int64_t rows;      /* rows (output positions times batch) seen per group */
    double *h;         /* groups x d x d; upper triangles while accumulating, full after et_hess_finish */
    double *sum;       /* groups x d */
    /* geometry of the layer */
    bool conv;
    int64_t c_in, cg, ksize; /* conv: input channels, per group, kernel elements */
    int64_t in[3], out[3], k[3], stride[3], dil[3], pad0[3];
    int64_t batch;   /* conv: N; fc: rows per tensor */
    int64_t row_len; /* fc: features per input row (d * groups) */
    /* against a reference (et_hess_set_reference): the pristine layer on the pristine model's inputs */
    const float *w_ref; /* groups x rows_g x d: the pristine weights, row-major per group */
    int64_t rows_g;
    double *cross;   /* groups x rows_g x d: sum over rows of (W_ref x_ref) x^T */
    double *sum_ref; /* groups x d: sum of x_ref */
    double *y2;      /* groups: sum of |W_ref x_ref|^2, the reference output's energy */
} et_hess;

/* Sets up the accumulators for weight layer `node` of g (Conv, Gemm or MatMul with constant weights) and its
 * input shape. With per_channel, only the diagonal blocks of H are kept, one per input channel (its kernel
 * elements; one feature for Gemm/MatMul), as if every input channel were a group of its own: what channel
 * selection needs. ET_E_NOMEM when the Hessians do not fit in memory (the message names the layer and the
 * size), ET_E_UNSUPPORTED for a layer shape it does not handle. */
et_status et_hess_init(et_hess *hs, const et_graph *g, int node, bool per_channel, et_err *err);

/* Adds one tensor of the layer's input (float32, in the graph's layout: NCHW for a convolution). ET_E_INPUT
 * when it holds NaN or an infinity (the message says so; the caller names the calibration file). */
et_status et_hess_add(et_hess *hs, const float *x, et_threadpool *pool, et_err *err);

/* Also accumulates, from et_hess_add_pair's reference inputs, what fitting the layer's output to the reference
 * output W_ref x_ref (instead of to W x on its own inputs) needs: cross, sum_ref and y2. w_ref (borrowed, groups x
 * rows_per_group x d) must outlive the accumulation. ET_E_NOMEM when they do not fit. */
et_status et_hess_set_reference(et_hess *hs, const float *w_ref, int64_t rows_per_group, et_err *err);

/* et_hess_add with the reference model's tensor for the same input (same shape). */
et_status et_hess_add_pair(et_hess *hs, const float *x, const float *x_ref, et_threadpool *pool, et_err *err);

/* Mirrors the upper triangles so that every H is symmetric and complete. */
void et_hess_finish(et_hess *hs);

void et_hess_free(et_hess *hs);

/* Bytes et_hess_init allocates for node (to plan memory before committing to it); -1 when not a layer. */
int64_t et_hess_bytes(const et_graph *g, int node, bool per_channel);

#endif
