/* op.h: what a node implementation (engine/nodes/) provides. Every graph operator (ONNX or internal, such as
 * et.ConvNhwc) has one et_op_impl; the fast paths inside them call the channels-last operator layer
 * (engine/operators/), which calls the kernels (engine/kernels/):
 *
 *   infer    sets dtype and shape of each output from the inputs' dtypes and shapes, the attributes, and the
 *            data of constant inputs where the ONNX spec makes a shape depend on it (Reshape's shape, Slice's
 *            starts...). A shape-defining input that is not constant is ET_E_UNSUPPORTED ("data-dependent shape").
 *   prepare  builds an instance for the now-known shapes: parses attributes once, packs weights, picks kernels,
 *            sets `run`, `release`, `scratch_bytes`, `kernel`. It may read in[i].data of constant inputs only
 *            (the planner binds those before prepare; activation pointers are bound before run).
 *   run      computes out[] from in[] with the instance's parameters. It must not allocate; scratch memory of
 *            scratch_bytes is in ctx->scratch. Returns ET_OK, or ET_E_INPUT for data errors (e.g. a Gather index
 *            out of range) with a line naming the node.
 *
 * Constant folding uses the same prepare + run, so every operator's scalar path is exercised by folding, the
 * conformance suite and the fixtures; fast kernels are chosen inside prepare.
 *
 * Who owns what: the instance owns `params` (freed by `release`); tensors' data belongs to the plan's arena or to
 * the graph's constants. */
#ifndef ET_ENGINE_OP_H
#define ET_ENGINE_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/graph.h"

struct et_threadpool;

typedef struct et_tensor {
    et_dtype dtype;
    et_shape shape;
    void *data;
} et_tensor;

typedef struct et_exec_ctx {
    struct et_threadpool *pool; /* NULL: run on the calling thread */
    void *scratch;              /* the instance's scratch_bytes, 64-byte aligned */
} et_exec_ctx;

typedef struct et_op_inst et_op_inst;
struct et_op_inst {
    et_status (*run)(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err);
    void (*release)(et_op_inst *inst); /* frees params; may be NULL when params is NULL or plain malloc'd */
    /* Optional: called once after the planner bound every data pointer (before the first run), for work that
     * needs the tensors' addresses (indirection buffers). May allocate; run must not. */
    et_status (*bind)(et_op_inst *inst, et_err *err);
    void *params;
    size_t scratch_bytes;
    void *scratch;            /* bound by the planner before bind: the plan's shared scratch (ctx->scratch at run) */
    int threads;              /* set before prepare: the plan's thread count, for scratch sized per thread */
    int64_t out_pixel_stride; /* set before prepare: out[0] lives inside a wider tensor (inplace.h), pixels this
                               * many elements apart; 0: dense. Only et.ConvNhwc is ever given one. */
    char kernel[64];          /* which kernel runs, for the per-layer profile: "f32-igemm-6x16-avx2", "ref" */
    char precision[24];       /* "fp32", "int8", ... */
    int64_t packed_bytes;     /* weight bytes this instance holds (packed copies) */
    uint32_t packed_inputs;   /* bit i: constant input i was copied into packed_bytes and is not read by run */
    const et_node *node;      /* for error messages; valid while the plan's graph lives */
    int n_in, n_out;
    et_tensor *in, *out; /* bound by the planner; in[i].data NULL for omitted optional inputs */
};

typedef struct et_op_impl {
    et_status (*infer)(et_graph *g, et_node *n, et_err *err);
    et_status (*prepare)(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err);
} et_op_impl;

/* The implementation of an operator, or NULL when the engine has none. */
const et_op_impl *et_op_impl_get(et_op op);

/* Releases an instance's parameters (calls inst->release or free(params)) and clears it. */
void et_op_inst_release(et_op_inst *inst);

/* ---- helpers shared by operator implementations (op_util.c) ----------------------------------------------- */

/* Fails with "node 'NAME' (Op): <message>" as ET_E_INPUT. */
et_status et_op_fail(et_err *err, const et_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same with a chosen status (ET_E_UNSUPPORTED for valid models we do not handle). */
et_status et_op_failx(et_err *err, et_status st, const et_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fails with "data-dependent shape: input N must be a constant" (ET_E_UNSUPPORTED): edgetune plans static
 * shapes, so an input that defines a shape must be known at load time (the conformance runner then binds it). */
et_status et_op_fail_not_const(et_err *err, const et_node *n, int input);

/* C-order strides (in elements) of shape s into strides[0..rank). */
void et_shape_strides(const et_shape *s, int64_t *strides);

/* Checks the input count is within [min, max] and output count within [min_out, max_out]. */
et_status et_op_check_arity(const et_node *n, int min_in, int max_in, int min_out, int max_out, et_err *err);

/* Sets output `i` of n to dtype and shape. */
void et_op_set_output(et_graph *g, const et_node *n, int i, et_dtype dtype, const et_shape *shape);

/* Reads a constant integer input (int32/int64 tensor) into out[max]; returns the element count, or -1 when the
 * input is absent, -2 when it is not constant, -3 when it is not an integer tensor or too long. */
int et_op_const_ints(const et_graph *g, const et_node *n, int input, int64_t *out, int max);
/* Same for float-like tensors (f32/f16/f64). */
int et_op_const_floats(const et_graph *g, const et_node *n, int input, float *out, int max);

/* Normalises an axis in [-rank, rank) to [0, rank); false when out of range. */
bool et_op_axis(int64_t axis, int rank, int *out);

/* Multidirectional (numpy) broadcast of a and b into out; false when incompatible. */
bool et_shape_broadcast(const et_shape *a, const et_shape *b, et_shape *out);

/* Strides (in elements) of a C-order shape, padded to rank `rank` on the left with zeros for broadcasting:
 * a dimension of size 1 broadcast against a larger one gets stride 0. */
void et_broadcast_strides(const et_shape *s, const et_shape *out, int64_t strides[ET_MAX_RANK]);

#endif
