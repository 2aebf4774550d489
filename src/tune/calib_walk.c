/* calib_walk.c: the graph over the calibration set, one segment at a time (calib_walk.h).
 *
 * A segment [b, upto) becomes a graph of its own: a clone of g whose other nodes are dead, whose inputs are the
 * boundary values it reads (graph inputs for the plan, in the graph's layout) and whose outputs are the values
 * live at upto that it makes. The engine plans and runs it like any model, so every operator and kernel the
 * engine has is available, and the layer inputs are exactly what the tuned model computes. */
#include "tune/calib_walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "util/mem.h"

struct et_calib_walk {
    const et_calib_set *calib;
    int n_sets, threads;
    int64_t cap;
    int n_nodes, n_values;
    int *last_use; /* per value: the last live node that reads it, -1 for none */
    int *producer; /* per value: its live producer, -1 for inputs and constants */
    int n_inputs;
    int *inputs; /* the graph inputs (the first boundary) */
    /* the boundary */
    int b;
    int n_live;
    int *live;     /* values live at b */
    void **data;   /* n_sets x n_live buffers */
    bool borrowed; /* b == 0: data points into the calibration sets */
    int64_t held, peak;
};

static int64_t value_bytes(const et_graph *g, int v) {
    int64_t n = et_shape_numel(&g->values[v].shape);
    return n > 0 ? n * (int64_t)et_dtype_size(g->values[v].dtype) : 0;
}

static void free_data(et_calib_walk *w) {
    if (w->data && !w->borrowed)
        for (int i = 0; i < w->n_sets * w->n_live; i++)
            et_aligned_free(w->data[i]);
    free(w->data);
    free(w->live);
    w->data = NULL;
    w->live = NULL;
    w->n_live = 0;
    w->held = 0;
}

void et_calib_walk_free(et_calib_walk *w) {
    if (!w)
        return;
    free_data(w);
    free(w->last_use);
    free(w->producer);
    free(w->inputs);
    free(w);
}

int64_t et_calib_walk_held_bytes(const et_calib_walk *w) { return w->held; }

/* Makes the graph inputs the boundary again, read from the calibration sets in place; false (and the boundary
 * unchanged) when memory runs out. */
static bool reset_to_inputs(et_calib_walk *w) {
    int *live = malloc(((size_t)w->n_inputs + 1) * sizeof *live);
    void **data = calloc((size_t)w->n_sets * (size_t)(w->n_inputs + 1), sizeof *data);
    if (!live || !data) {
        free(live);
        free(data);
        return false;
    }
    free_data(w);
    for (int i = 0; i < w->n_inputs; i++) {
        live[i] = w->inputs[i];
        for (int s = 0; s < w->n_sets; s++)
            data[s * w->n_inputs + i] = w->calib->sets[s * w->calib->n_inputs + i].data;
    }
    w->live = live;
    w->data = data;
    w->n_live = w->n_inputs;
    w->borrowed = true;
    w->b = 0;
    return true;
}

void et_calib_walk_set_cap(et_calib_walk *w, int64_t cap_bytes) {
    w->cap = cap_bytes > 0 ? cap_bytes : 0;
    /* a boundary over the new cap is dropped: the next segment runs from the inputs again (time, not memory) */
    if (!w->borrowed && w->held > w->cap)
        reset_to_inputs(w);
}
int64_t et_calib_walk_peak_bytes(const et_calib_walk *w) { return w->peak; }

et_status et_calib_walk_new(const et_graph *g, const et_calib_set *calib, int threads, int64_t cap_bytes,
                            et_calib_walk **out, et_err *err) {
    *out = NULL;
    if (!calib || calib->n_sets < 1 || calib->n_inputs != g->n_inputs)
        return et_fail(err, ET_E_INPUT, "recovery needs calibration inputs (--calib DIR of .npy files)");
    et_calib_walk *w = calloc(1, sizeof *w);
    if (!w)
        return et_fail(err, ET_E_NOMEM, "out of memory walking the calibration set");
    w->calib = calib;
    w->n_sets = calib->n_sets;
    w->threads = threads > 0 ? threads : 1;
    w->cap = cap_bytes;
    w->n_nodes = g->n_nodes;
    w->n_values = g->n_values;
    w->last_use = malloc(((size_t)g->n_values + 1) * sizeof *w->last_use);
    w->producer = malloc(((size_t)g->n_values + 1) * sizeof *w->producer);
    w->n_inputs = g->n_inputs;
    w->inputs = malloc(((size_t)g->n_inputs + 1) * sizeof *w->inputs);
    w->live = malloc(((size_t)g->n_inputs + 1) * sizeof *w->live);
    w->data = calloc((size_t)calib->n_sets * (size_t)(g->n_inputs + 1), sizeof *w->data);
    if (!w->last_use || !w->producer || !w->inputs || !w->live || !w->data) {
        et_calib_walk_free(w);
        return et_fail(err, ET_E_NOMEM, "out of memory walking the calibration set");
    }
    for (int v = 0; v < g->n_values; v++)
        w->last_use[v] = -1, w->producer[v] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
                w->last_use[n->inputs[j]] = i;
        for (int j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= 0)
                w->producer[n->outputs[j]] = i;
    }
    /* the first boundary: the graph inputs, read from the calibration sets in place */
    w->b = 0;
    w->borrowed = true;
    w->n_live = g->n_inputs;
    for (int i = 0; i < g->n_inputs; i++) {
        int v = g->inputs[i];
        w->live[i] = w->inputs[i] = v;
        for (int s = 0; s < w->n_sets; s++) {
            const et_npy *x = &calib->sets[s * calib->n_inputs + i];
            if (x->dtype != g->values[v].dtype || (int64_t)x->nbytes != value_bytes(g, v)) {
                char a[96], b[96];
                et_calib_walk_free(w);
                return et_fail(err, ET_E_INPUT, "calibration input %d: %s %s, but the model's input '%s' is %s %s",
                               s + 1, et_dtype_name(x->dtype), et_shape_str(&x->shape, a, sizeof a), g->values[v].name,
                               et_dtype_name(g->values[v].dtype), et_shape_str(&g->values[v].shape, b, sizeof b));
            }
            w->data[s * g->n_inputs + i] = x->data;
        }
    }
    *out = w;
    return ET_OK;
}

static int index_in(const int *list, int n, int v) {
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return i;
    return -1;
}

/* The segment as a graph: nodes [b, upto) of g, reading seg_in, writing seg_out. NULL on out-of-memory. */
static et_graph *segment_graph(const et_graph *g, int b, int upto, const int *seg_in, int n_in, const int *seg_out,
                               int n_out) {
    et_graph *sg = et_graph_clone(g);
    if (!sg)
        return NULL;
    for (int i = 0; i < sg->n_nodes; i++)
        if (i < b || i >= upto)
            sg->nodes[i].dead = true;
    for (int v = 0; v < sg->n_values; v++)
        if (sg->values[v].kind == ET_VAL_INPUT && index_in(seg_in, n_in, v) < 0)
            sg->values[v].kind = ET_VAL_INTERMEDIATE; /* an input this segment does not read */
    free(sg->inputs);
    free(sg->outputs);
    sg->inputs = malloc(((size_t)n_in + 1) * sizeof *sg->inputs);
    sg->outputs = malloc(((size_t)n_out + 1) * sizeof *sg->outputs);
    if (!sg->inputs || !sg->outputs) {
        et_graph_free(sg);
        return NULL;
    }
    for (int i = 0; i < n_in; i++) {
        sg->inputs[i] = seg_in[i];
        sg->values[seg_in[i]].kind = ET_VAL_INPUT;
    }
    memcpy(sg->outputs, seg_out, (size_t)n_out * sizeof *sg->outputs);
    sg->n_inputs = n_in;
    sg->n_outputs = n_out;
    et_graph_count_uses(sg);
    /* drop the other nodes now: the planner's layout pass must not see them (it would give the segment's
     * inputs channels-last twins made by nodes that never run) */
    if (et_graph_compact(sg, NULL) != ET_OK) {
        et_graph_free(sg);
        return NULL;
    }
    return sg;
}

/* One segment of one walk, being run over the sets. */
typedef struct seg {
    et_calib_walk *w;
    const et_graph *g;
    int upto, n_want;
    const int *want;
    int *live, *seg_in, *seg_out, *out_of; /* out_of: per value, its plan output index or -1 */
    int n_live, n_in, n_out;
    int64_t live_bytes;
    bool store;
    et_graph *sg;
    et_plan *plan;
    void **next;            /* the new boundary's values, per set */
    const et_tensor **vals; /* the wanted values of the current set */
    et_tensor *held_t;
} seg;

static void seg_free(seg *S) {
    if (S->next) {
        for (int i = 0; i < S->w->n_sets * S->n_live; i++)
            et_aligned_free(S->next[i]);
        free(S->next);
    }
    et_plan_free(S->plan);
    et_graph_free(S->sg);
    free(S->live), free(S->seg_in), free(S->seg_out), free(S->vals), free(S->held_t), free(S->out_of);
    memset(S, 0, sizeof *S);
}

/* Works out the segment [boundary, upto) and plans it. */
static et_status seg_begin(seg *S, et_calib_walk *w, const et_graph *g, int upto, const int *want, int n_want,
                           et_err *err) {
    memset(S, 0, sizeof *S);
    S->w = w, S->g = g, S->upto = upto, S->want = want, S->n_want = n_want;
    if (upto < w->b || upto > w->n_nodes || g->n_nodes != w->n_nodes || g->n_values < w->n_values)
        return et_fail(err, ET_E_RUNTIME, "calibration walk: node %d is behind the boundary %d", upto, w->b);
    int nv = w->n_values; /* values added since (a new bias) are constants: never live */
    S->live = malloc(((size_t)nv + 1) * sizeof *S->live);
    S->seg_in = malloc(((size_t)nv + 1) * sizeof *S->seg_in);
    S->seg_out = malloc(((size_t)nv + 1) * sizeof *S->seg_out);
    S->vals = calloc((size_t)n_want + 1, sizeof *S->vals);
    S->held_t = calloc((size_t)n_want + 1, sizeof *S->held_t);
    S->out_of = malloc(((size_t)nv + 1) * sizeof *S->out_of);
    bool *in_seg_in = calloc((size_t)nv + 1, sizeof *in_seg_in);
    if (!S->live || !S->seg_in || !S->seg_out || !S->vals || !S->held_t || !S->out_of || !in_seg_in) {
        free(in_seg_in);
        return et_fail(err, ET_E_NOMEM, "out of memory walking the calibration set");
    }
    for (int v = 0; v < nv; v++) {
        S->out_of[v] = -1;
        const et_value *val = &g->values[v];
        if (val->kind == ET_VAL_CONST)
            continue;
        bool made = val->kind == ET_VAL_INPUT || (w->producer[v] >= 0 && w->producer[v] < upto);
        if (made && w->last_use[v] >= upto) {
            S->live[S->n_live++] = v;
            S->live_bytes += value_bytes(g, v);
        }
    }
    bool any_node = false;
    for (int i = w->b; i < upto; i++) {
        const et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        any_node = true;
        for (int j = 0; j < n->n_inputs; j++) {
            int v = n->inputs[j];
            if (v < 0 || v >= nv || g->values[v].kind == ET_VAL_CONST || in_seg_in[v])
                continue;
            if (w->producer[v] >= w->b && g->values[v].kind != ET_VAL_INPUT)
                continue; /* made inside the segment */
            if (index_in(w->live, w->n_live, v) < 0) {
                free(in_seg_in);
                return et_fail(err, ET_E_RUNTIME, "calibration walk: '%s' is not held at node %d", g->values[v].name,
                               w->b);
            }
            in_seg_in[v] = true;
            S->seg_in[S->n_in++] = v;
        }
    }
    free(in_seg_in);
    for (int k = 0; k < S->n_live; k++) {
        int v = S->live[k];
        if (g->values[v].kind != ET_VAL_INPUT && w->producer[v] >= w->b) {
            S->out_of[v] = S->n_out;
            S->seg_out[S->n_out++] = v;
        }
    }
    for (int k = 0; k < n_want; k++)
        if (index_in(S->live, S->n_live, want[k]) < 0)
            return et_fail(err, ET_E_RUNTIME, "calibration walk: '%s' is not live at node %d", g->values[want[k]].name,
                           upto);
    S->store = S->live_bytes * w->n_sets <= w->cap;
    if (any_node && S->n_out > 0) {
        if (!(S->sg = segment_graph(g, w->b, upto, S->seg_in, S->n_in, S->seg_out, S->n_out)))
            return et_fail(err, ET_E_NOMEM, "out of memory walking the calibration set");
        et_plan_options po = et_plan_options_default();
        po.threads = w->threads;
        et_status st = et_plan_create(S->sg, &po, &S->plan, err);
        if (st != ET_OK)
            return st;
    }
    if (S->store && !(S->next = calloc((size_t)w->n_sets * (size_t)(S->n_live + 1), sizeof *S->next)))
        return et_fail(err, ET_E_NOMEM, "out of memory walking the calibration set");
    return ET_OK;
}

/* Runs set s and points vals at the wanted values. */
static et_status seg_run(seg *S, int s, const volatile int *cancel, et_err *err) {
    et_calib_walk *w = S->w;
    if (S->plan) {
        for (int i = 0; i < S->n_in; i++) {
            et_tensor *t = et_plan_input(S->plan, i);
            int at = index_in(w->live, w->n_live, S->seg_in[i]);
            memcpy(t->data, w->data[s * w->n_live + at], (size_t)value_bytes(S->g, S->seg_in[i]));
        }
        et_status st = et_plan_run(S->plan, cancel, err);
        if (st != ET_OK)
            return st;
    }
    for (int k = 0; k < S->n_want; k++) {
        int v = S->want[k];
        if (S->plan && S->out_of[v] >= 0) {
            S->vals[k] = et_plan_output(S->plan, S->out_of[v]);
        } else {
            int at = index_in(w->live, w->n_live, v);
            S->held_t[k] = (et_tensor){.dtype = S->g->values[v].dtype,
                                       .shape = S->g->values[v].shape,
                                       .data = w->data[s * w->n_live + at]};
            S->vals[k] = &S->held_t[k];
        }
    }
    return ET_OK;
}

/* Keeps set s's values live at upto for the new boundary (when it is stored). */
static et_status seg_keep(seg *S, int s, et_err *err) {
    if (!S->store)
        return ET_OK;
    et_calib_walk *w = S->w;
    for (int k = 0; k < S->n_live; k++) {
        int v = S->live[k];
        size_t bytes = (size_t)value_bytes(S->g, v);
        void *copy = et_aligned_alloc(bytes ? bytes : 1);
        if (!copy)
            return et_fail(err, ET_E_NOMEM, "out of memory holding calibration activations");
        const void *src;
        if (S->plan && S->out_of[v] >= 0)
            src = et_plan_output(S->plan, S->out_of[v])->data;
        else
            src = w->data[s * w->n_live + index_in(w->live, w->n_live, v)];
        memcpy(copy, src, bytes);
        S->next[s * S->n_live + k] = copy;
    }
    return ET_OK;
}

/* Set s of the old boundary is not needed any more once the new one holds it: freed at once, so that the two
 * boundaries never coexist in full (the most held is the larger of them plus one set). */
static void seg_release(seg *S, int s) {
    et_calib_walk *w = S->w;
    if (!S->store || w->borrowed)
        return;
    for (int k = 0; k < w->n_live; k++) {
        et_aligned_free(w->data[s * w->n_live + k]);
        w->data[s * w->n_live + k] = NULL;
    }
}

/* Makes upto the boundary (when ok and stored), and frees the segment. */
static void seg_end(seg *S, bool ok) {
    et_calib_walk *w = S->w;
    if (ok && S->store && w) {
        int64_t old = w->held, new_bytes = S->live_bytes * w->n_sets;
        int64_t both = (old > new_bytes ? old : new_bytes) + (old + new_bytes) / (w->n_sets > 0 ? w->n_sets : 1);
        w->peak = both > w->peak ? both : w->peak;
        free_data(w);
        w->live = S->live;
        S->live = NULL;
        w->n_live = S->n_live;
        w->data = S->next;
        S->next = NULL;
        w->borrowed = false;
        w->b = S->upto;
        w->held = S->live_bytes * w->n_sets;
    }
    seg_free(S);
}

et_status et_calib_walk_to_pair(et_calib_walk *w, const et_graph *g, et_calib_walk *ref, const et_graph *ref_g,
                                int upto, const int *want, int n_want, et_calib_walk_pair_fn fn, void *ctx,
                                const volatile int *cancel, et_err *err) {
    seg a, b;
    memset(&b, 0, sizeof b);
    et_status st = seg_begin(&a, w, g, upto, want, n_want, err);
    if (st == ET_OK && ref) {
        if (ref->n_sets != w->n_sets)
            st = et_fail(err, ET_E_RUNTIME, "calibration walks over different sets");
        else
            st = seg_begin(&b, ref, ref_g, upto, want, n_want, err);
    }
    for (int s = 0; s < w->n_sets && st == ET_OK; s++) {
        if (cancel && *cancel) {
            st = et_fail(err, ET_E_CANCELLED, "cancelled");
            break;
        }
        if ((st = seg_run(&a, s, cancel, err)) != ET_OK || (ref && (st = seg_run(&b, s, cancel, err)) != ET_OK))
            break;
        if (fn && (st = fn(ctx, s, a.vals, ref ? b.vals : NULL, err)) != ET_OK)
            break;
        if ((st = seg_keep(&a, s, err)) != ET_OK || (ref && (st = seg_keep(&b, s, err)) != ET_OK))
            break;
        seg_release(&a, s);
        if (ref)
            seg_release(&b, s);
    }
    seg_end(&a, st == ET_OK);
    if (ref)
        seg_end(&b, st == ET_OK);
    return st;
}

typedef struct single_ctx {
    et_calib_walk_fn fn;
    void *ctx;
} single_ctx;

static et_status single(void *ctx, int set, const et_tensor *const *vals, const et_tensor *const *ref_vals,
                        et_err *err) {
    (void)ref_vals;
    const single_ctx *c = ctx;
    return c->fn ? c->fn(c->ctx, set, vals, err) : ET_OK;
}

et_status et_calib_walk_to(et_calib_walk *w, const et_graph *g, int upto, const int *want, int n_want,
                           et_calib_walk_fn fn, void *ctx, const volatile int *cancel, et_err *err) {
    single_ctx c = {fn, ctx};
    return et_calib_walk_to_pair(w, g, NULL, NULL, upto, want, n_want, single, &c, cancel, err);
}
