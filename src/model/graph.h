/* graph.h: the graph IR every part of edgetune works on.
 *
 * A graph is a list of values (tensors: graph inputs, constants, intermediates) and a list of nodes in
 * topological order that connect them by index. Names, attribute arrays and small tables live in the graph's
 * arena; constant data is either borrowed (the model file's mapping, or the graph this one was cloned from) or
 * owned by the graph (et_graph_alloc_data). Ownership rule: a graph made by et_graph_clone borrows from its source,
 * so the source must outlive it. The loaded model's pristine graph is never mutated after loading; tune and the
 * planner work on clones.
 *
 * Shapes are static: after shape inference every value has known dims (dynamic model dims are fixed by the
 * user's --shape or default to batch 1). */
#ifndef ET_MODEL_GRAPH_H
#define ET_MODEL_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/dtype.h"
#include "model/op_types.h"
#include "util/arena.h"
#include "util/status.h"
#include "util/strmap.h"

enum { ET_MAX_RANK = 8 };

typedef struct et_shape {
    int rank;
    int64_t dim[ET_MAX_RANK]; /* -1: unknown (before shape inference) */
} et_shape;

/* Number of elements; -1 if a dim is unknown or negative, or on overflow past 2^62. */
int64_t et_shape_numel(const et_shape *s);
bool et_shape_equal(const et_shape *a, const et_shape *b);
/* "1x3x224x224" ("?" for unknown dims, "scalar" for rank 0). Returns buf. */
char *et_shape_str(const et_shape *s, char *buf, size_t len);

typedef enum { ET_VAL_INPUT, ET_VAL_CONST, ET_VAL_INTERMEDIATE } et_value_kind;

struct et_quant_info; /* model/quant_info.h, filled by tune: scale/zero-point of an integer value */

typedef struct et_value {
    const char *name;
    et_dtype dtype;
    et_shape shape;
    const char *dim_param[ET_MAX_RANK]; /* symbolic dim names of a graph input ("batch"), NULL when numeric */
    et_value_kind kind;
    const void *data; /* ET_VAL_CONST: elements in C order; may be unaligned */
    size_t nbytes;
    int producer;    /* producing node, -1 for inputs and constants */
    int n_consumers; /* uses by live nodes and graph outputs (et_graph_count_uses) */
    bool is_output;
    const struct et_quant_info *quant; /* NULL unless a tune pass quantized this value */
} et_value;

/* Attribute types, numbered as ONNX's AttributeProto.AttributeType. */
typedef enum {
    ET_ATTR_UNDEFINED = 0,
    ET_ATTR_FLOAT = 1,
    ET_ATTR_INT = 2,
    ET_ATTR_STRING = 3,
    ET_ATTR_TENSOR = 4,
    ET_ATTR_GRAPH = 5,
    ET_ATTR_FLOATS = 6,
    ET_ATTR_INTS = 7,
    ET_ATTR_STRINGS = 8,
    ET_ATTR_TENSORS = 9,
    ET_ATTR_GRAPHS = 10,
    ET_ATTR_SPARSE_TENSOR = 11,
    ET_ATTR_SPARSE_TENSORS = 12,
    ET_ATTR_TYPE_PROTO = 13,
    ET_ATTR_TYPE_PROTOS = 14,
} et_attr_type;

/* A tensor held by an attribute (Constant's value, ConstantOfShape's value). */
typedef struct et_const_tensor {
    et_dtype dtype;
    et_shape shape;
    const void *data; /* may be unaligned */
    size_t nbytes;
} et_const_tensor;

typedef struct et_attr {
    const char *name;
    et_attr_type type;
    int64_t i;
    float f;
    const char *s; /* NUL-terminated copy; s_len excludes the NUL */
    size_t s_len;
    int n; /* element count of ints/floats/strings */
    const int64_t *ints;
    const float *floats;
    const char *const *strings;
    et_const_tensor t;
} et_attr;

/* An activation fused into the node that produces the value (Conv, Gemm, MatMul, et.ConvNhwc, ...). */
#define ET_ACT_LIST(X)                                               \
    X(ET_ACT_NONE, "none")                                           \
    X(ET_ACT_RELU, "relu")                                           \
    X(ET_ACT_CLIP, "clip")             /* alpha = min, beta = max */ \
    X(ET_ACT_LEAKY_RELU, "leaky_relu") /* alpha */                   \
    X(ET_ACT_SIGMOID, "sigmoid")                                     \
    X(ET_ACT_HARD_SIGMOID, "hard_sigmoid") /* alpha, beta */         \
    X(ET_ACT_HARD_SWISH, "hard_swish")                               \
    X(ET_ACT_TANH, "tanh")
typedef enum {
#define ET_X(e, s) e,
    ET_ACT_LIST(ET_X)
#undef ET_X
        ET_ACT_COUNT
} et_act_kind;

typedef struct et_activation {
    et_act_kind kind;
    float alpha, beta;
} et_activation;
const char *et_act_name(et_act_kind k);

typedef struct et_node {
    et_op op;
    const char *op_type; /* as written in the model (kept for error messages about unknown ops) */
    const char *domain;  /* "" for the default domain */
    const char *name;    /* the model's node name, or "<op_type>_<index>" when it has none */
    int n_inputs, n_outputs;
    int *inputs; /* value indices; -1 marks an omitted optional input */
    int *outputs;
    int n_attrs;
    et_attr *attrs;
    et_activation act; /* fused activation; ET_ACT_NONE by default */
    bool dead;         /* removed by a pass; dropped by et_graph_compact */
} et_node;

typedef struct et_data_block et_data_block;

typedef struct et_graph {
    et_arena arena;
    et_value *values;
    int n_values, cap_values;
    et_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs; /* graph inputs (not initializers), value indices */
    int n_inputs;
    int *outputs; /* graph outputs, value indices */
    int n_outputs;
    int64_t opset; /* opset of the default ONNX domain */
    et_strmap names;
    et_data_block *owned; /* data blocks owned by this graph */
    size_t owned_bytes;
    const struct et_graph *source; /* the graph this one was cloned from, or NULL */
} et_graph;

/* Returns a new empty graph, or NULL on out-of-memory. */
et_graph *et_graph_new(void);
/* Frees the graph, its arena and owned data (not borrowed data). NULL is fine. */
void et_graph_free(et_graph *g);

/* A copy whose values, nodes and input/output lists can be modified independently; constant data, names
 * and attribute arrays are borrowed from src, which must outlive the clone. NULL on out-of-memory. */
et_graph *et_graph_clone(const et_graph *src);

/* Adds a value named `name` (copied; must be unique) and returns its index, or -1 on out-of-memory or a
 * duplicate name (err says which). Fields other than name/kind start unknown. */
int et_graph_add_value(et_graph *g, const char *name, et_value_kind kind, et_err *err);
/* Adds a value with a generated unique name derived from `base` (e.g. "conv1.out" -> "conv1.out_et3"). */
int et_graph_add_value_unique(et_graph *g, const char *base, et_value_kind kind, et_err *err);
/* Adds a constant value with data owned by the graph (copied from `data` when not NULL, else zeroed). */
int et_graph_add_const(et_graph *g, const char *base, et_dtype dtype, const et_shape *shape, const void *data,
                       et_err *err);
/* Index of the value with that name, or -1. */
int et_graph_find_value(const et_graph *g, const char *name);

/* Appends a node with copies of the input/output index arrays; returns its index or -1 on out-of-memory.
 * The caller keeps topological order (or calls et_graph_toposort). Attributes may be added with
 * et_node_set_attr_* afterwards. */
int et_graph_add_node(et_graph *g, et_op op, const char *name, const int *inputs, int n_inputs, const int *outputs,
                      int n_outputs, et_err *err);
/* Inserts a node at position `pos` (moving later nodes up); returns pos or -1. */
int et_graph_insert_node(et_graph *g, int pos, et_op op, const char *name, const int *inputs, int n_inputs,
                         const int *outputs, int n_outputs, et_err *err);

/* Allocates n bytes of 64-byte-aligned data owned by the graph; NULL on out-of-memory. */
void *et_graph_alloc_data(et_graph *g, size_t nbytes);

/* Recomputes producer and n_consumers of every value from the live nodes and graph outputs. */
void et_graph_count_uses(et_graph *g);
/* Reorders live nodes topologically. ET_E_INPUT naming a node on the cycle when there is one. */
et_status et_graph_toposort(et_graph *g, et_err *err);
/* Drops dead nodes and values no live node, input or output refers to; renumbers indices. */
et_status et_graph_compact(et_graph *g, et_err *err);
/* Replaces every use of value `from` (node inputs and graph outputs) by `to`. */
void et_graph_replace_uses(et_graph *g, int from, int to);

/* Attribute lookup. The getters return the default when the attribute is absent. */
const et_attr *et_node_attr(const et_node *n, const char *name);
int64_t et_node_attr_int(const et_node *n, const char *name, int64_t def);
float et_node_attr_float(const et_node *n, const char *name, float def);
const char *et_node_attr_string(const et_node *n, const char *name, const char *def);
/* Returns the ints and their count (0 and NULL when absent). */
const int64_t *et_node_attr_ints(const et_node *n, const char *name, int *count);
const float *et_node_attr_floats(const et_node *n, const char *name, int *count);

/* Attribute setters (graph passes): replace or add an attribute on node `node`. false on out-of-memory. */
bool et_node_set_attr_int(et_graph *g, int node, const char *name, int64_t v);
bool et_node_set_attr_float(et_graph *g, int node, const char *name, float v);
bool et_node_set_attr_ints(et_graph *g, int node, const char *name, const int64_t *v, int n);
bool et_node_set_attr_string(et_graph *g, int node, const char *name, const char *s);

/* Convenience accessors. */
static inline et_value *et_node_in(et_graph *g, const et_node *n, int i) {
    return i < n->n_inputs && n->inputs[i] >= 0 ? &g->values[n->inputs[i]] : NULL;
}
static inline const et_value *et_node_cin(const et_graph *g, const et_node *n, int i) {
    return i < n->n_inputs && n->inputs[i] >= 0 ? &g->values[n->inputs[i]] : NULL;
}
static inline et_value *et_node_out(et_graph *g, const et_node *n, int i) {
    return i < n->n_outputs && n->outputs[i] >= 0 ? &g->values[n->outputs[i]] : NULL;
}

/* Counts: weights (elements of float constants consumed as Conv/Gemm/MatMul weights and biases) and MACs of the
 * whole graph with the current shapes (Conv, ConvTranspose, Gemm, MatMul). */
int64_t et_graph_param_count(const et_graph *g);
int64_t et_graph_macs(const et_graph *g);
int64_t et_node_macs(const et_graph *g, const et_node *n);

#endif
