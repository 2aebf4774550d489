/* tune_test.h: helpers for the tune tests: fixture models, seeded calibration sets, running a graph. */
#ifndef ET_TUNE_TEST_H
#define ET_TUNE_TEST_H

#include <dirent.h>
#include <unistd.h>

#include "engine/plan.h"
#include "et_test.h"
#include "model/model.h"
#include "tune/tune.h"
#include "util/mem.h"

static inline const char *tt_src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

/* Loads fixtures/<rel> (e.g. "models/digits.onnx"); NULL when absent (large fixtures are optional). */
static inline et_model *tt_load(const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/%s", tt_src_dir(), rel);
    if (access(path, R_OK) != 0)
        return NULL;
    et_model *m = NULL;
    et_err err = {0};
    if (et_model_load(path, NULL, &m, &err) != ET_OK) {
        fprintf(stderr, "load %s: %s\n", path, err.msg);
        return NULL;
    }
    return m;
}

/* n seeded sets for a single-float-input graph (values roughly uniform in [-1, 1], or [0, 1] when unit). */
static inline et_calib_set tt_calib(const et_graph *g, int n, bool unit) {
    et_calib_set c = {.n_sets = n, .n_inputs = g->n_inputs};
    et_npy *sets = calloc((size_t)n * (size_t)g->n_inputs, sizeof *sets);
    uint64_t x = 88172645463325252ull;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < g->n_inputs; i++) {
            const et_value *v = &g->values[g->inputs[i]];
            et_npy *t = &sets[s * g->n_inputs + i];
            t->dtype = v->dtype;
            t->shape = v->shape;
            int64_t ne = et_shape_numel(&v->shape);
            t->nbytes = (size_t)ne * et_dtype_size(v->dtype);
            t->data = et_aligned_calloc(t->nbytes);
            for (int64_t e = 0; v->dtype == ET_DT_F32 && e < ne; e++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                float u = (float)(x >> 40) / (float)(1 << 24);
                ((float *)t->data)[e] = unit ? u : 2.0f * u - 1.0f;
            }
        }
    c.sets = sets;
    snprintf(c.source, sizeof c.source, "test sets");
    return c;
}

static inline void tt_calib_free(et_calib_set *c) {
    for (int i = 0; i < c->n_sets * c->n_inputs; i++)
        et_npy_free((et_npy *)&c->sets[i]);
    free((void *)c->sets);
}

/* Runs g (channels-last or not) on input set `in` (n_inputs tensors) and copies output 0 into out (n floats
 * max); returns the element count, -1 on failure. */
static inline int64_t tt_run(const et_graph *g, const et_npy *in, bool channels_last, int threads, float *out,
                             int64_t max) {
    et_plan_options po = et_plan_options_default();
    po.channels_last = channels_last;
    po.threads = threads;
    et_plan *p = NULL;
    et_err err = {0};
    if (et_plan_create(g, &po, &p, &err) != ET_OK) {
        fprintf(stderr, "plan: %s\n", err.msg);
        return -1;
    }
    for (int i = 0; i < et_plan_n_inputs(p); i++)
        memcpy(et_plan_input(p, i)->data, in[i].data, in[i].nbytes);
    int64_t n = -1;
    if (et_plan_run(p, NULL, &err) == ET_OK) {
        const et_tensor *t = et_plan_output(p, 0);
        n = et_shape_numel(&t->shape);
        for (int64_t e = 0; e < n && e < max; e++)
            out[e] = (float)et_dtype_load(t->dtype, t->data, (size_t)e);
    } else {
        fprintf(stderr, "run: %s\n", err.msg);
    }
    et_plan_free(p);
    return n;
}

static inline double tt_cosine(const float *a, const float *b, int64_t n) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < n; i++)
        ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : (aa == bb ? 1.0 : 0.0);
}

/* Count of nodes with op in g. */
/* FNV-1a over every constant the graph's nodes use, in node order (weights, quantization scales, zero points). */
static inline uint64_t tt_consts_hash(const et_graph *g) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++) {
            int v = g->nodes[i].inputs[j];
            if (v < 0 || g->values[v].kind != ET_VAL_CONST)
                continue;
            const unsigned char *p = g->values[v].data;
            for (size_t b = 0; b < g->values[v].nbytes; b++)
                h = (h ^ p[b]) * 1099511628211ull;
        }
    return h;
}

static inline int tt_count_op(const et_graph *g, et_op op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i].dead && g->nodes[i].op == op;
    return n;
}

#endif
