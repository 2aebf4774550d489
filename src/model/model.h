/* model.h: a loaded ONNX model: the file mappings and the pristine graph.
 *
 * et_model_load runs the whole load pipeline: read (onnx_reader.c), check operators, sort, infer shapes with
 * the user's dims, fold constants, remove dead nodes, fold BatchNormalization into Conv, fuse activations.
 * The resulting graph is "pristine": fp32, immutable from then on; every tuned variant is a clone. */
#ifndef ET_MODEL_MODEL_H
#define ET_MODEL_MODEL_H

#include <stdbool.h>

#include "model/graph.h"
#include "util/mapped_file.h"

/* A user-given shape for a graph input: --shape NAME=1x3x224x224. */
typedef struct et_input_shape {
    const char *name;
    et_shape shape;
} et_input_shape;

typedef struct et_load_options {
    const et_input_shape *shapes;
    int n_shapes;
    bool allow_unsupported; /* read and report even when ops are unsupported (info); no passes run then */
    bool no_fusion;         /* skip BN folding and activation fusion (tests compare with and without) */
    bool read_only;         /* stop after reading and checking operators: no shapes, no passes (info) */
} et_load_options;

typedef struct et_model {
    char path[1024];
    char name[256]; /* file name without directory */
    et_graph *graph;
    int64_t ir_version;
    char producer[128]; /* producer_name and version, e.g. "pytorch 1.13.0" */
    size_t file_bytes;
    char sha256[65];
    bool passes_done;      /* false when loaded with allow_unsupported and some op is unsupported */
    char unsupported[512]; /* "LSTM (2), NonMaxSuppression (1)" or "" */
    et_mapped_file file;
    int n_external;
    et_mapped_file *external;
    char **external_paths;
} et_model;

/* Loads and prepares a model. On failure *out is NULL and err says what is wrong with which file, node or input
 * (ET_E_IO for unreadable paths, ET_E_INPUT for malformed models, ET_E_UNSUPPORTED listing every unsupported op,
 * ET_E_USAGE for a --shape that names no input or leaves a dim unknown). The caller owns *out. */
et_status et_model_load(const char *path, const et_load_options *opt, et_model **out, et_err *err);
void et_model_free(et_model *m);

/* Lets the kernel reclaim the resident pages of the model file (and external data files). The mappings stay
 * valid: a later read faults the data back in from the page cache. Called once a plan has packed its weights,
 * so that the weights are not held twice in memory. */
void et_model_drop_pages(et_model *m);

/* Reader only (used by et_model_load and the fuzzer): parses the ONNX file already mapped in m->file into
 * m->graph (nodes in file order, shapes as declared). */
et_status et_onnx_read(et_model *m, et_err *err);

/* Parses one serialized TensorProto (a .pb file). Data is borrowed from `data` when stored raw, else decoded
 * into memory owned by `owner`. *name (may be NULL) receives the tensor's name or NULL. */
et_status et_onnx_read_tensor(const uint8_t *data, size_t len, const char *what, et_graph *owner, et_const_tensor *out,
                              const char **name, et_err *err);

/* Parses "1x3x224x224" (also "1,3,224,224") into shape; false when malformed or a dim is < 0 or > 2^31. */
bool et_parse_dims(const char *s, et_shape *shape);

#endif
