/* passes.h: the graph passes of the load pipeline (model.c runs them in this order). Each works in place on a
 * graph whose nodes are topologically sorted, and leaves it sorted. */
#ifndef ET_MODEL_PASSES_H
#define ET_MODEL_PASSES_H

#include "model/model.h"

/* A graph input turned into a constant before inference (inputs whose values define shapes, e.g. Reshape's shape
 * given as a graph input). Data is copied. */
typedef struct et_input_binding {
    const char *name;
    et_dtype dtype;
    et_shape shape;
    const void *data;
} et_input_binding;

/* et_model_load with bindings (inputs turned into constants). */
et_status et_model_load_bound(const char *path, const et_load_options *opt, const et_input_binding *bind, int n_bind,
                              et_model **out, et_err *err);

/* Given inputs at most this many elements may be bound as constants: a value that defines a shape is a short
 * list of numbers (a shape, pads, scales, starts, a scalar limit); anything larger is data. */
enum { ET_BIND_MAX_ELEMS = 64 };

/* Loads a model to run it on given input values (`run --input`, the conformance runner: one function, so that both
 * do the same). The given inputs' shapes fix their dims (as --shape does, for inputs opt->shapes leaves out).
 * When the model does not load with them as runtime inputs, because planning needs a value (a Reshape's shape,
 * Pad's pads, Resize's scales or sizes, Slice's starts, Range's limits, ...) or a given shape contradicts a
 * declared one that only matters through its value, given inputs of at most ET_BIND_MAX_ELEMS elements are
 * bound as constants: all of them first, then each is unbound again when the model loads without it, so the
 * fewest stay bound. bound[i] (may be NULL; n_given entries) says which were; note (may be NULL) gets one line
 * naming them, or "" when none was bound. Errors: those of et_model_load for the model as given; when binding was
 * tried and did not help, the error of the bound model (it got further). The caller owns *out. */
et_status et_model_load_given(const char *path, const et_load_options *opt, const et_input_binding *given, int n_given,
                              bool *bound, char *note, size_t note_len, et_model **out, et_err *err);

/* ET_E_UNSUPPORTED listing every operator the engine lacks with its count, in one line:
 * "<model>: unsupported operators: LSTM (2 nodes), com.microsoft.FusedConv (1 node)". Writes the same list
 * to `list` (may be NULL) without failing when `fail` is false. */
et_status et_pass_check_ops(const et_graph *g, const char *model_name, bool fail, char *list, size_t list_len,
                            et_err *err);

/* Applies --shape values and defaults: an unknown first dim (batch) becomes 1; any other unknown dim is
 * ET_E_USAGE naming the input and the flag to give. Bindings turn inputs into constants. */
et_status et_pass_input_shapes(et_graph *g, const et_input_shape *shapes, int n_shapes, const et_input_binding *bind,
                               int n_bind, et_err *err);

/* Shape inference and constant folding in one walk: each node's outputs get dtypes and shapes; nodes whose
 * inputs are all constant (and Shape, which needs only a shape) are executed now and become constants. */
et_status et_pass_infer_and_fold(et_graph *g, et_err *err);

/* Removes Identity and inference-mode Dropout, then nodes whose outputs nobody uses; compacts. */
et_status et_pass_dce(et_graph *g, et_err *err);

/* Folds a zero constant-mode Pad (spatial dims only) into the Conv it feeds. */
et_status et_pass_fuse_pad(et_graph *g, et_err *err);

/* Folds BatchNormalization into the Conv (or ConvTranspose) that feeds it when that Conv has no other user. */
et_status et_pass_fold_batchnorm(et_graph *g, et_err *err);

/* Fuses Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish (also x * HardSigmoid(x)) and Tanh into the
 * Conv or Gemm that produces their input when it has no other user. */
et_status et_pass_fuse_activations(et_graph *g, et_err *err);

#endif
