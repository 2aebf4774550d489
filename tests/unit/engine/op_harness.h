/* op_harness.h: building one-node (or few-node) graphs in unit tests, running them through shape inference
 * and a plan, and naive reference helpers. Header-only; included by the engine operator tests.
 *
 *   oh_graph t = oh_new(13);
 *   int x = oh_input(&t, "x", ET_DT_F32, SHAPE(1, 3, 8, 8));
 *   int w = oh_const(&t, "w", ET_DT_F32, SHAPE(4, 3, 3, 3), wdata);
 *   int y = oh_value(&t, "y");
 *   int n = oh_node(&t, ET_OP_CONV, (int[]){x, w}, 2, (int[]){y}, 1);
 *   et_node_set_attr_ints(t.g, n, "pads", ...);
 *   oh_output(&t, y);
 *   et_plan *plan = oh_plan(&t, threads, (const void *[]){xdata}, &err);   // infer + fold + plan + run
 *   const et_tensor *out = et_plan_output(plan, 0);
 */
#ifndef ET_TEST_OP_HARNESS_H
#define ET_TEST_OP_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "model/graph.h"
#include "model/passes.h"
#include "util/arena.h"

#define SHAPE(...) ((et_shape){.rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .dim = {__VA_ARGS__}})
#define SCALAR_SHAPE ((et_shape){.rank = 0})

enum { OH_MAX_IO = 8 };

typedef struct oh_graph {
    et_graph *g;
    int inputs[OH_MAX_IO], n_inputs;
    int outputs[OH_MAX_IO], n_outputs;
} oh_graph;

static inline oh_graph oh_new(int64_t opset) {
    oh_graph t = {.g = et_graph_new()};
    t.g->opset = opset;
    return t;
}

static inline int oh_input(oh_graph *t, const char *name, et_dtype dt, et_shape s) {
    int v = et_graph_add_value(t->g, name, ET_VAL_INPUT, NULL);
    t->g->values[v].dtype = dt;
    t->g->values[v].shape = s;
    t->g->values[v].producer = -1;
    t->inputs[t->n_inputs++] = v;
    return v;
}

static inline int oh_const(oh_graph *t, const char *name, et_dtype dt, et_shape s, const void *data) {
    return et_graph_add_const(t->g, name, dt, &s, data, NULL);
}

static inline int oh_value(oh_graph *t, const char *name) {
    return et_graph_add_value(t->g, name, ET_VAL_INTERMEDIATE, NULL);
}

static inline int oh_node(oh_graph *t, et_op op, const int *ins, int n_ins, const int *outs, int n_outs) {
    return et_graph_add_node(t->g, op, NULL, ins, n_ins, outs, n_outs, NULL);
}

static inline void oh_output(oh_graph *t, int v) {
    t->outputs[t->n_outputs++] = v;
    t->g->values[v].is_output = true;
}

/* Sets the graph's input/output lists and runs shape inference and constant folding. */
static inline et_status oh_infer(oh_graph *t, et_err *err) {
    et_graph *g = t->g;
    free(g->inputs), free(g->outputs); /* malloc-owned by the graph */
    g->inputs = calloc(OH_MAX_IO, sizeof(int));
    g->outputs = calloc(OH_MAX_IO, sizeof(int));
    memcpy(g->inputs, t->inputs, sizeof t->inputs);
    memcpy(g->outputs, t->outputs, sizeof t->outputs);
    g->n_inputs = t->n_inputs;
    g->n_outputs = t->n_outputs;
    return et_pass_infer_and_fold(g, err);
}

/* Infers, plans with `threads` and runs with the given input data (one buffer per graph input, in order).
 * NULL on failure (err says why). The caller frees the plan and then the graph (oh_free). */
static inline et_plan *oh_plan(oh_graph *t, int threads, const void *const *data, et_err *err) {
    if (oh_infer(t, err) != ET_OK)
        return NULL;
    et_plan_options o = et_plan_options_default();
    o.threads = threads;
    o.channels_last = false;
    et_plan *p = NULL;
    if (et_plan_create(t->g, &o, &p, err) != ET_OK)
        return NULL;
    for (int i = 0; i < et_plan_n_inputs(p); i++) {
        et_tensor *in = et_plan_input(p, i);
        int64_t n = et_shape_numel(&in->shape);
        if (n > 0)
            memcpy(in->data, data[i], (size_t)n * et_dtype_size(in->dtype));
    }
    if (et_plan_run(p, NULL, err) != ET_OK) {
        et_plan_free(p);
        return NULL;
    }
    return p;
}

static inline void oh_free(oh_graph *t) { et_graph_free(t->g); }

/* Deterministic pseudo-random floats in [-1, 1). */
static inline void oh_fill(float *x, int64_t n, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 12345u;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

/* Largest |a - b| / (1 + |b|) over n values (NaN if any is NaN where the other is not). */
static inline double oh_max_rel_err(const float *a, const float *b, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i]))
            return NAN;
        if (isnan(a[i]))
            continue;
        double e = fabs((double)a[i] - (double)b[i]) / (1.0 + fabs((double)b[i]));
        if (e > m)
            m = e;
    }
    return m;
}

/* The reference activation (same definitions as the ONNX operators). */
static inline float oh_act(const et_activation *a, float x) {
    switch (a->kind) {
    case ET_ACT_RELU: return x > 0 ? x : 0;
    case ET_ACT_CLIP: return x < a->alpha ? a->alpha : (x > a->beta ? a->beta : x);
    case ET_ACT_LEAKY_RELU: return x < 0 ? a->alpha * x : x;
    case ET_ACT_SIGMOID: return (float)(1.0 / (1.0 + exp(-(double)x)));
    case ET_ACT_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, a->alpha * x + a->beta));
    case ET_ACT_HARD_SWISH: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case ET_ACT_TANH: return (float)tanh((double)x);
    default: return x;
    }
}

#endif
