/* train.h: the training engine: a graph made trainable, forward in training mode and backward (README.md,
 * Design: Train; src/train/README.md says how it is built and why).
 *
 *   et_tnet_create   builds a network from a float graph with batch-1 shapes (a pristine model, or the tuned
 *                    graph tune makes from it: pruned weights, channel-pruned shapes): every node gets a
 *                    forward and a backward; an operator without a backward is refused by name. The
 *                    trainable parameters are the weights and biases of Conv, Gemm and MatMul and the scale
 *                    and shift of BatchNormalization.
 *   et_tnet_forward  runs `batch` samples written to the inputs; the outputs then hold the loss targets.
 *   et_tnet_backward from the gradients written to the outputs (loss.h) into every parameter's gradient.
 *   et_tnet_export   the graph again with the trained values (train_export.c).
 *
 * Loss targets: a graph output made by a Softmax or LogSoftmax is trained through its input (the logits),
 * since the distillation loss takes logits; et_tnet_output_is_log_prob says which (the teacher's outputs are
 * turned into logits the same way).
 *
 * Ownership: the network borrows the graph, which must outlive it; it owns every buffer. One thread at a time
 * uses a network; its steps split work over the pool given in the options. */
#ifndef ET_TRAIN_TRAIN_H
#define ET_TRAIN_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/threadpool.h"
#include "model/graph.h"
#include "record/knobs.h"
#include "tune/qmath.h"

/* How BatchNormalization nodes run while training: with their running statistics, their scale and shift
 * trained (fine-tuning a trained model), or with the statistics of each batch, the running ones updated (a
 * network trained from random weights). Evaluation always uses the running statistics. */
typedef enum { ET_BN_RUNNING, ET_BN_BATCH } et_bn_mode;

typedef struct et_tnet_options {
    int batch;           /* most samples per pass (>= 1) */
    et_threadpool *pool; /* NULL: the calling thread */
    et_bn_mode bn;
    /* quantization-aware training: weights of the nodes marked in quant_nodes (indexed by node, NULL: none)
     * are fake-quantized on this grid with a straight-through gradient; act_bits 8 also fake-quantizes the
     * activations where the int8 graph quantizes them (train_quant.c) */
    bool fake_quant_weights;
    et_wq_config wq; /* bits 2..8; bits 16 = fp16 rounding */
    int act_bits;    /* 32 or 8 */
    const bool *quant_nodes;
    bool input_grads; /* also compute the gradient of the inputs (tests; et_tnet_input_grad) */
    bool profile;     /* CPU time of every step's forward and backward (et_tnet_step_profile) */
} et_tnet_options;

et_tnet_options et_tnet_options_default(void);

typedef enum { ET_TPARAM_WEIGHT, ET_TPARAM_BIAS, ET_TPARAM_BN_SCALE, ET_TPARAM_BN_SHIFT } et_tparam_kind;

/* A trainable tensor: a float constant of the graph. */
typedef struct et_tparam {
    const char *name; /* the graph value's name */
    int value;        /* its index in the graph */
    int node;         /* the node that uses it (its layer) */
    et_tparam_kind kind;
    int64_t numel;
    et_shape shape;
    float *w;      /* the master values the optimizer updates */
    float *grad;   /* d loss / d (effective values) after a backward */
    float *w_eff;  /* what the forward reads: w, or a masked and fake-quantized copy */
    uint8_t *mask; /* weights only; NULL: dense. 0 = pruned: the value stays 0 */
    bool quant;    /* fake-quantized in the forward */
    et_wview view; /* weights: seen as output channels (qmath.h), for the quantization grid */
} et_tparam;

/* State that is not trained but changes in training (BatchNormalization's running mean and variance). */
typedef struct et_tbuffer {
    const char *name;
    int value;
    int64_t numel;
    float *data;
} et_tbuffer;

typedef struct et_tnet et_tnet;

/* Builds the network. ET_E_UNSUPPORTED naming the node for an operator without a backward or a shape it cannot
 * train (an activation whose first dim is not the batch), ET_E_INPUT for a graph without float inputs or
 * outputs, ET_E_NOMEM. The caller frees *out with et_tnet_free. */
et_status et_tnet_create(et_graph *g, const et_tnet_options *opt, et_tnet **out, et_err *err);
void et_tnet_free(et_tnet *n);

int et_tnet_n_inputs(const et_tnet *n);
/* Input i's buffer: batch x et_tnet_input_numel floats, sample after sample. */
float *et_tnet_input(et_tnet *n, int i);
int64_t et_tnet_input_numel(const et_tnet *n, int i);
/* Input i's gradient after a backward (with opt.input_grads; else NULL). */
const float *et_tnet_input_grad(et_tnet *n, int i);
int et_tnet_n_outputs(const et_tnet *n);
/* Output i (a loss target) after a forward: batch_now x numel floats. */
const float *et_tnet_output(et_tnet *n, int i);
int64_t et_tnet_output_numel(const et_tnet *n, int i);
/* Its gradient, written by the loss before et_tnet_backward (same size). */
float *et_tnet_output_grad(et_tnet *n, int i);
/* True when the model's output i is a Softmax (false: LogSoftmax or none) or LogSoftmax of the target. */
bool et_tnet_output_is_log_prob(const et_tnet *n, int i);
bool et_tnet_output_was_softmax(const et_tnet *n, int i);
const char *et_tnet_output_name(const et_tnet *n, int i);

/* Forward over `batch` samples (1..opt.batch). training: BatchNormalization per et_bn_mode, activation ranges
 * of fake quantization updated, everything the backward needs kept; else evaluation. ET_E_RUNTIME naming the
 * node for a failure. */
et_status et_tnet_forward(et_tnet *n, int batch, bool training, et_err *err);
/* Backward of the last training forward, from the output gradients. Fills every parameter's grad. */
void et_tnet_backward(et_tnet *n);
/* For the next backward only: grads[i] (batch_now x the value's numel floats, borrowed until then) is added to
 * the gradient of graph value values[i] as if one more step read it (a loss on an inner activation:
 * feature_kd.h). A value that takes no gradient is skipped. */
void et_tnet_add_value_grads(et_tnet *n, int count, const int *values, const float *const *grads);

int et_tnet_n_params(const et_tnet *n);
et_tparam *et_tnet_param(et_tnet *n, int i);
int et_tnet_n_buffers(const et_tnet *n);
et_tbuffer *et_tnet_buffer(et_tnet *n, int i);
/* The master values changed (optimizer step, checkpoint load, new masks): the effective weights are derived
 * again before the next forward, and pruned weights are set to 0. */
void et_tnet_weights_changed(et_tnet *n);
/* Gives weight parameter i a pruning mask (numel bytes, 1 = keep; copied), or removes it (NULL).
 * ET_E_NOMEM. */
et_status et_tnet_set_mask(et_tnet *n, int i, const uint8_t *mask, et_err *err);

/* Fake-quantization steps of activations (act_bits 8): how many, and the running range of each (lo, hi; NaN
 * before any data), which checkpoints keep. */
int et_tnet_n_act_ranges(const et_tnet *n);
float *et_tnet_act_range(et_tnet *n, int i);

/* Calibration of the activation ranges (act_bits 8): between begin and end, evaluation forwards leave values
 * unrounded and each range becomes the min/max of what it saw (as tune calibrates); the ranges are then fixed. */
void et_tnet_calibrate_begin(et_tnet *n);
void et_tnet_calibrate_end(et_tnet *n);
/* The ranges were written from outside (a checkpoint): derive their scales again. */
void et_tnet_act_ranges_changed(et_tnet *n);

/* Quantization-aware training for knobs k on graph g (train_quant.c): which nodes tune quantizes (a weight-only
 * derivation at the knobs' bits, no pruning; its quantized weights name their layers) into quant_nodes (one per
 * node of g), how many into *count; and the grid tune rounds their weights to (symmetric whenever activations
 * are 8-bit, as the int8 kernels take). Errors of et_tune_apply. */
et_status et_train_quant_layers(const et_graph *g, const et_knobs *k, bool *quant_nodes, int *count, et_err *err);
et_wq_config et_train_weight_grid(const et_knobs *k);

/* Steps of the network and, with opt.profile, the CPU time (the process's, all threads: on a shared machine wall
 * time mostly measures the neighbours) each spent in forward and backward since creation. */
int et_tnet_n_steps(const et_tnet *n);
void et_tnet_step_profile(const et_tnet *n, int i, const char **name, const char **op, double *forward_ms,
                          double *backward_ms);

/* Memory the network holds: activations and their gradients at opt.batch, parameters with gradients and
 * effective copies, scratch. */
typedef struct et_tnet_memory {
    int64_t activation_bytes, gradient_bytes, param_bytes, scratch_bytes;
} et_tnet_memory;
et_tnet_memory et_tnet_memory_use(const et_tnet *n);

/* The graph it was built from with the trained values (master weights with pruned entries 0, BatchNorm scale,
 * shift and running statistics) in place of the original constants: a clone of that graph owning the new
 * data. Fake quantization is not applied (tune applies the grid to the trained weights, as it did in
 * training). NULL on out-of-memory (err says so). The graph the network borrows must outlive the result. */
et_graph *et_tnet_export(et_tnet *n, et_err *err);

#endif
