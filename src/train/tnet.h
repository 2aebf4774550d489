/* tnet.h: the inside of a training network (train.h is its interface), shared by the files of src/train.
 *
 * A network is built from a graph with batch-1 shapes: every activation's first dim is 1, and the network runs
 * `batch` samples through the graph as given, each on its own (the first dim becomes the sample index), so
 * a per-sample shape is the graph's shape without its first dim. Values are the graph's (same indices) plus
 * internal ones the build adds (a fused activation's input, a fake-quantized copy); steps are the graph's
 * nodes in order, each a forward and a backward (et_top below; op_*.c).
 *
 * Buffers: a value owns its data and gradient, or shares its owner's (Reshape, Flatten, Identity... alias
 * their input: their steps do nothing). Activations hold batch x numel floats and stay alive from forward to
 * backward; a gradient buffer exists only where a gradient flows (towards a parameter). Parameters' data is
 * what the forward reads (the effective weights: masked and fake-quantized, see params.c) and their gradient
 * is with respect to it.
 *
 * Gradients accumulate: a value used by several steps receives a contribution from each. The first backward
 * step to write a buffer in a pass overwrites it (et_tnet_grad_begin says which), later ones add, so no
 * buffer is cleared that is then fully written. */
#ifndef ET_TRAIN_TNET_H
#define ET_TRAIN_TNET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "train/train.h"

typedef struct et_tval {
    const char *name;
    et_shape shape;    /* the graph's shape: dim 0 is 1 for activations */
    int64_t numel;     /* per sample (activations), or in all (constants and parameters) */
    bool batched;      /* an activation: one row per sample; else shared by every sample */
    bool needs_grad;   /* a gradient flows into it (it depends on a parameter) */
    int param;         /* index in net->params, or -1 */
    int owner;         /* the value whose buffers it uses (itself unless an alias) */
    float *data;       /* owner: batch x numel (activations) or numel floats; NULL until allocated */
    float *grad;       /* owner: same size as data, or NULL when no gradient flows */
    bool grad_written; /* owner: written by a backward step in this pass */
    bool owns_data;    /* data was allocated for it (else borrowed: a parameter's, a constant copy) */
} et_tval;

typedef struct et_tstep et_tstep;
typedef struct et_tnet et_tnet;

/* An operator of the training engine: forward over net->batch_now samples (training or not), backward from the
 * output's gradient into the inputs' (those that need one), and release of its state. */
typedef struct et_top {
    const char *name;
    et_status (*forward)(et_tnet *net, et_tstep *s, et_err *err);
    void (*backward)(et_tnet *net, et_tstep *s);
    void (*release)(et_tstep *s);
} et_top;

struct et_tstep {
    const et_top *op;
    const et_node *node; /* the graph node (for names); NULL for internal steps */
    const char *name;    /* node name, or the value it makes for internal steps */
    int n_in;
    int *in;                        /* value indices; -1 for an omitted optional input */
    int out;                        /* the value it writes */
    void *state;                    /* the operator's own (freed by release) */
    size_t scratch_bytes;           /* per worker slot, while the step runs */
    double forward_ms, backward_ms; /* with opt.profile: time spent so far */
};

/* Scratch memory for tasks on the pool: one slot per thread that may run a task at once. */
typedef struct et_tslots {
    int n;
    size_t bytes; /* per slot, 64-byte multiple */
    char *mem;
    atomic_int *busy;
} et_tslots;

struct et_tnet {
    et_graph *g; /* the graph the network was built from (borrowed; outlives the network) */
    et_tnet_options opt;
    int n_values, cap_values;
    et_tval *values;
    int n_steps;
    et_tstep *steps;
    int n_params;
    et_tparam *params;
    int n_buffers;
    et_tbuffer *buffers;
    int n_inputs, n_outputs;
    int *inputs, *outputs; /* value indices of the graph inputs and of the loss targets (see train.h) */
    bool *output_log_prob; /* per output: the model's output was a Softmax/LogSoftmax of it (dropped) */
    int batch_now;
    bool training;
    bool calibrating; /* fake quantization passes values through and widens its ranges (train_quant.c) */
    int n_fq;
    et_tstep **fq_steps; /* the fake-quantization steps, in order (their ranges are checkpointed) */
    bool weights_dirty;  /* master weights changed: effective weights are recomputed before a forward */
    et_tslots slots;
    /* gradients added into values by the next backward (et_tnet_add_value_grads), then forgotten */
    int n_extra;
    const int *extra_value;
    const float *const *extra_grad;
    int64_t activation_bytes, gradient_bytes, param_bytes;
    et_arena arena; /* names of internal values */
};

/* ---- values ------------------------------------------------------------------------------------------------ */

static inline et_tval *et_tv(et_tnet *n, int v) { return &n->values[n->values[v].owner]; }
/* The data of value v (its owner's buffer). */
static inline float *et_tv_data(et_tnet *n, int v) { return et_tv(n, v)->data; }
/* Floats per sample (activations), 0 for values shared by every sample. */
static inline int64_t et_tv_sample_stride(const et_tnet *n, int v) {
    return n->values[v].batched ? n->values[v].numel : 0;
}

/* The gradient buffer of v for a backward step to write, or NULL when v takes none. *accumulate says whether
 * another step already wrote it in this pass (add to it) or not (overwrite it). */
float *et_tnet_grad_begin(et_tnet *n, int v, bool *accumulate);
/* The gradient of v as written so far in this pass, or NULL when none was (it is then zero). */
const float *et_tnet_grad_of(et_tnet *n, int v);

/* Adds an internal value (a copy of value `like`'s shape and kind) named base + suffix; its index, or -1 on
 * out-of-memory. */
int et_tnet_add_value(et_tnet *n, int like, const char *suffix);

/* ---- parameters (params.c) ------------------------------------------------------------------------------- */

/* Channel views and effective-weight copies of the parameters, once the steps are built. ET_E_NOMEM. */
et_status et_tnet_prepare_params(et_tnet *n, et_err *err);
/* Derives the effective weights from the master weights when they changed (masks, fake quantization). */
et_status et_tnet_refresh_weights(et_tnet *n, et_err *err);
/* After a backward: the straight-through gradient of fake quantization, then masks (pruned weights get none). */
void et_tnet_finish_grads(et_tnet *n);

/* ---- scratch slots ----------------------------------------------------------------------------------------- */

/* A free slot's memory (at least the bytes asked for at build); *id is passed back to release. */
void *et_tslot_acquire(et_tslots *s, int *id);
void et_tslot_release(et_tslots *s, int id);

/* Runs fn over [0, n) on the network's pool, one item per chunk (uneven work), or inline without one. */
void et_tnet_par(et_tnet *n, size_t items, et_task_fn fn, void *ctx);
/* Same with chunks of up to `chunk` items (cheap, even work). */
void et_tnet_par_chunked(et_tnet *n, size_t items, size_t chunk, et_task_fn fn, void *ctx);

/* ---- operators (op_*.c): each builder sets s->op, s->state and s->scratch_bytes for node `node` ---------- */

typedef et_status (*et_top_build_fn)(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);

et_status et_top_build_conv(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);    /* op_conv.c */
et_status et_top_build_fc(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);      /* op_fc.c */
et_status et_top_build_bn(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);      /* op_bn.c */
et_status et_top_build_unary(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);   /* op_unary.c */
et_status et_top_build_binary(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);  /* op_binary.c */
et_status et_top_build_pool(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);    /* op_pool.c */
et_status et_top_build_concat(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);  /* op_shape.c */
et_status et_top_build_softmax(et_tnet *n, const et_node *node, et_tstep *s, et_err *err); /* op_softmax.c */
et_status et_top_build_reduce(et_tnet *n, const et_node *node, et_tstep *s, et_err *err);  /* op_pool.c */

/* An activation step y = act(x) for a fused activation (op_unary.c); x and y are values of n. */
et_status et_top_build_act(et_tnet *n, const et_activation *act, et_tstep *s, et_err *err);
/* A fake-quantization step of an 8-bit activation (op_fakequant.c). */
et_status et_top_build_fakequant(et_tnet *n, et_tstep *s, et_err *err);
/* The range of a fake-quantization step: {lo, hi}, NaN before calibration (for checkpoints). */
float *et_top_fakequant_range(et_tstep *s);

/* The aliasing operators (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout): true when node is one. */
bool et_top_is_alias(const et_node *node);

#endif
