/* plan.c: graph -> executable steps over one arena. */
#include "engine/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/fuse_nhwc.h"
#include "engine/layout.h"
#include "engine/inplace.h"
#include "engine/memplan.h"
#include "engine/split_decide.h"
#include "engine/threadpool.h"
#include "util/mem.h"

typedef struct step {
    et_op_inst inst;
    double time_ns_total;
    int64_t runs;
    int64_t macs;
} step;

struct et_plan {
    et_graph *graph; /* the plan's own rewritten clone */
    step *steps;
    int n_steps;
    et_tensor *tensors; /* one per graph value: dtype, shape, data pointer */
    void *arena;
    int64_t arena_bytes;
    void **const_copies; /* aligned copies of constants, per value (NULL when borrowed or freed) */
    void *scratch;
    size_t scratch_bytes;
    et_threadpool *pool;
    bool profile;
    void (*observe)(void *ctx, const char *value_name, const et_tensor *t);
    void *observe_ctx;
    et_tensor *inputs, *outputs; /* views for the accessors */
    /* which steps get the pool (split_decide.h); decided from the start with 1 thread or fixed_splits */
    et_split_state splits;
    double *step_ns; /* per step, the last deciding run's times (allocated at create: a run allocates nothing) */
    bool *posted;    /* per step, whether it handed work to the pool in that run */
    bool fixed_splits;
};

et_plan_options et_plan_options_default(void) {
    return (et_plan_options){.threads = 1, .channels_last = true, .profile_layers = false};
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Ops whose output is the input reinterpreted: they share the input's storage and run as no-ops. */
static bool is_alias_op(const et_graph *g, const et_node *n) {
    switch (n->op) {
    case ET_OP_RESHAPE:
    case ET_OP_FLATTEN:
    case ET_OP_SQUEEZE:
    case ET_OP_UNSQUEEZE:
    case ET_OP_IDENTITY: break;
    case ET_OP_DROPOUT:
        if (n->n_outputs > 1 && n->outputs[1] >= 0)
            return false; /* the mask output needs its own buffer */
        break;
    default: return false;
    }
    const et_value *in = et_node_cin(g, n, 0);
    return in && in->kind != ET_VAL_CONST && n->outputs[0] >= 0;
}

/* The run of a step whose work was done by others (an in-place Concat). */
static et_status run_nothing(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    (void)inst, (void)ctx, (void)err;
    return ET_OK;
}

void et_plan_free(et_plan *p) {
    if (!p)
        return;
    for (int i = 0; i < p->n_steps; i++) {
        et_op_inst_release(&p->steps[i].inst);
        free(p->steps[i].inst.in);
        free(p->steps[i].inst.out);
    }
    if (p->const_copies && p->graph)
        for (int i = 0; i < p->graph->n_values; i++)
            et_aligned_free(p->const_copies[i]);
    free(p->const_copies);
    free(p->steps);
    free(p->tensors);
    free(p->inputs);
    free(p->outputs);
    et_aligned_free(p->arena);
    et_aligned_free(p->scratch);
    et_threadpool_destroy(p->pool);
    et_split_state_free(&p->splits);
    free(p->step_ns), free(p->posted);
    et_graph_free(p->graph);
    free(p);
}

/* Binds constant value v: borrowed when suitably aligned, else copied into an aligned block. */
static et_status bind_constant(et_plan *p, int v, et_err *err) {
    const et_value *val = &p->graph->values[v];
    et_tensor *t = &p->tensors[v];
    size_t esize = et_dtype_size(val->dtype);
    if (val->nbytes == 0 || (esize && ((uintptr_t)val->data % esize) == 0 && ((uintptr_t)val->data % 16) == 0)) {
        t->data = (void *)val->data;
        return ET_OK;
    }
    void *copy = et_aligned_alloc(val->nbytes);
    if (!copy)
        return et_fail(err, ET_E_NOMEM, "out of memory copying constant '%s' (%zu bytes)", val->name, val->nbytes);
    memcpy(copy, val->data, val->nbytes);
    p->const_copies[v] = copy;
    t->data = copy;
    return ET_OK;
}

static et_status nomem(et_err *err) { return et_fail(err, ET_E_NOMEM, "out of memory creating a plan"); }

/* Phase 1: the plan's own clone of the graph, rewritten for the engine's layout (channels-last, then the fusions
 * that layout allows) and compacted; the thread pool for more than one thread. */
static et_status rewrite_graph(et_plan *p, const et_graph *src, const et_plan_options *o, et_err *err) {
    p->graph = et_graph_clone(src);
    if (!p->graph)
        return nomem(err);
    et_graph *g = p->graph;
    et_status st;
    if (o->channels_last && ((st = et_layout_channels_last(g, err)) != ET_OK || (st = et_fuse_nhwc(g, err)) != ET_OK))
        return st;
    if ((st = et_graph_compact(g, err)) != ET_OK)
        return st;
    if (o->threads > 1) {
        p->pool = et_threadpool_create(o->threads, err);
        if (!p->pool)
            return err ? err->status : ET_E_RUNTIME;
    }
    return ET_OK;
}

/* Phase 2: one tensor per value with its dtype and shape (every used value needs a known shape), constants
 * bound to their data. */
static et_status bind_values(et_plan *p, et_err *err) {
    const et_graph *g = p->graph;
    p->tensors = calloc((size_t)g->n_values + 1, sizeof *p->tensors);
    p->const_copies = calloc((size_t)g->n_values + 1, sizeof *p->const_copies);
    p->steps = calloc((size_t)g->n_nodes + 1, sizeof *p->steps);
    if (!p->tensors || !p->const_copies || !p->steps)
        return nomem(err);
    for (int v = 0; v < g->n_values; v++) {
        const et_value *val = &g->values[v];
        if (et_shape_numel(&val->shape) < 0 && (val->n_consumers > 0 || val->producer >= 0))
            return et_fail(err, ET_E_INPUT, "tensor '%s' has no known shape; give the input shapes with --shape",
                           val->name);
        p->tensors[v].dtype = val->dtype;
        p->tensors[v].shape = val->shape;
        et_status st;
        if (val->kind == ET_VAL_CONST && (st = bind_constant(p, v, err)) != ET_OK)
            return st;
    }
    return ET_OK;
}

/* Phase 3: prepares one step per node (kernels chosen, weights packed); concatenations whose inputs are written
 * in place (places, noop: inplace.h) run nothing. The shared scratch is the largest any step asks for. */
static et_status prepare_steps(et_plan *p, const et_inplace *places, const bool *noop, et_err *err) {
    const et_graph *g = p->graph;
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        step *s = &p->steps[p->n_steps];
        et_op_inst *inst = &s->inst;
        const et_op_impl *impl = et_op_impl_get(n->op);
        if (!impl || !impl->prepare)
            return et_fail(err, ET_E_UNSUPPORTED, "node '%s': operator %s has no implementation", n->name, n->op_type);
        inst->node = n;
        inst->threads = et_threadpool_size(p->pool);
        inst->n_in = n->n_inputs;
        inst->n_out = n->n_outputs;
        inst->in = calloc((size_t)(n->n_inputs ? n->n_inputs : 1), sizeof(et_tensor));
        inst->out = calloc((size_t)(n->n_outputs ? n->n_outputs : 1), sizeof(et_tensor));
        if (!inst->in || !inst->out)
            return nomem(err);
        p->n_steps++;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
                inst->in[j] = p->tensors[n->inputs[j]]; /* constants carry data; others get it after layout */
        for (int j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= 0)
                inst->out[j] = p->tensors[n->outputs[j]];
        snprintf(inst->kernel, sizeof inst->kernel, "ref");
        snprintf(inst->precision, sizeof inst->precision, "fp32");
        inst->out_pixel_stride = n->n_outputs > 0 && n->outputs[0] >= 0 ? places[n->outputs[0]].pixel_stride : 0;
        et_status st = impl->prepare(g, n, inst, err);
        if (st != ET_OK)
            return st;
        if (noop[i]) { /* its inputs were written into its output */
            inst->run = run_nothing;
            snprintf(inst->kernel, sizeof inst->kernel, "in-place");
        }
        s->macs = et_node_macs(g, n);
        if (inst->scratch_bytes > p->scratch_bytes)
            p->scratch_bytes = inst->scratch_bytes;
    }
    return ET_OK;
}

/* Phase 4: aligned copies of constants that every consumer packed into its own storage are not read at run
 * time: free them now, so the weights are held once (packed), not twice. */
static et_status free_packed_constants(et_plan *p, et_err *err) {
    const et_graph *g = p->graph;
    char *needed = calloc((size_t)g->n_values + 1, 1);
    if (!needed)
        return nomem(err);
    for (int i = 0; i < p->n_steps; i++) {
        const et_op_inst *inst = &p->steps[i].inst;
        for (int j = 0; j < inst->node->n_inputs; j++) {
            int v = inst->node->inputs[j];
            if (v >= 0 && !(j < 32 && (inst->packed_inputs >> j & 1)))
                needed[v] = 1;
        }
    }
    for (int v = 0; v < g->n_values; v++)
        if (p->const_copies[v] && !needed[v] && !g->values[v].is_output) {
            et_aligned_free(p->const_copies[v]);
            p->const_copies[v] = NULL;
            p->tensors[v].data = NULL;
        }
    free(needed);
    return ET_OK;
}

/* Phase 5a: which storage each value lives in (aliases share their input's, in-place concatenation inputs their
 * output's; constants none: -1) and the size and lifetime, in steps, of each storage. */
static void storage_lifetimes(const et_plan *p, const et_inplace *places, int64_t *storage_of, et_mem_req *reqs) {
    const et_graph *g = p->graph;
    for (int v = 0; v < g->n_values; v++) {
        storage_of[v] = g->values[v].kind == ET_VAL_CONST ? -1 : v;
        reqs[v].first = 1 << 30;
        reqs[v].last = -1;
    }
    for (int i = 0; i < p->n_steps; i++) {
        const et_node *n = &g->nodes[i];
        if (is_alias_op(g, n))
            storage_of[n->outputs[0]] = storage_of[n->inputs[0]];
    }
    for (int v = 0; v < g->n_values; v++)
        if (places[v].into >= 0)
            storage_of[v] = storage_of[places[v].into];
    for (int v = 0; v < g->n_values; v++) {
        int64_t s = storage_of[v];
        if (s < 0)
            continue;
        int64_t numel = et_shape_numel(&g->values[v].shape);
        int64_t bytes = numel > 0 ? numel * (int64_t)et_dtype_size(g->values[v].dtype) : 0;
        if (bytes > reqs[s].bytes)
            reqs[s].bytes = bytes;
        if (g->values[v].kind == ET_VAL_INPUT) {
            /* inputs are written once and read by every run: their buffer is never reused */
            reqs[s].first = -1;
            reqs[s].last = p->n_steps;
        }
        if (g->values[v].is_output)
            reqs[s].last = p->n_steps;
    }
    for (int i = 0; i < p->n_steps; i++) {
        const et_node *n = &g->nodes[i];
        for (int j = 0; j < n->n_outputs; j++) {
            int v = n->outputs[j];
            if (v >= 0 && storage_of[v] >= 0) {
                et_mem_req *r = &reqs[storage_of[v]];
                if (i < r->first)
                    r->first = i;
                if (i > r->last)
                    r->last = i;
            }
        }
        for (int j = 0; j < n->n_inputs; j++) {
            int v = n->inputs[j];
            if (v >= 0 && storage_of[v] >= 0 && i > reqs[storage_of[v]].last)
                reqs[storage_of[v]].last = i;
        }
    }
    for (int v = 0; v < g->n_values; v++)
        if (reqs[v].first > reqs[v].last) /* unused storage (or an alias target): no space */
            reqs[v].first = reqs[v].last = -2, reqs[v].bytes = 0;
}

/* Phase 5b: the arena (offsets from the lifetimes, memplan.c) and the shared scratch, allocated; every
 * non-constant value's tensor points into the arena. */
static et_status place_in_arena(et_plan *p, const et_inplace *places, et_err *err) {
    const et_graph *g = p->graph;
    et_status st = ET_OK;
    int64_t *storage_of = malloc(((size_t)g->n_values + 1) * sizeof *storage_of);
    et_mem_req *reqs = calloc((size_t)g->n_values + 1, sizeof *reqs);
    int64_t *offsets = calloc((size_t)g->n_values + 1, sizeof *offsets);
    if (!storage_of || !reqs || !offsets) {
        st = nomem(err);
        goto done;
    }
    storage_lifetimes(p, places, storage_of, reqs);
    p->arena_bytes = et_memplan(reqs, g->n_values, offsets);
    if (p->arena_bytes < 0) {
        st = et_fail(err, ET_E_NOMEM, "out of memory planning the arena");
        goto done;
    }
    if (p->arena_bytes > ((int64_t)64 << 30)) {
        st = et_fail(err, ET_E_INPUT, "the model's activations would need %.1f GiB; check the input shapes (--shape)",
                     (double)p->arena_bytes / (1 << 30));
        goto done;
    }
    p->arena = et_aligned_alloc((size_t)p->arena_bytes);
    p->scratch = p->scratch_bytes ? et_aligned_alloc(p->scratch_bytes) : NULL;
    if (!p->arena || (p->scratch_bytes && !p->scratch)) {
        st = et_fail(err, ET_E_NOMEM, "out of memory: the arena needs %lld bytes", (long long)p->arena_bytes);
        goto done;
    }
    for (int v = 0; v < g->n_values; v++)
        if (storage_of[v] >= 0)
            p->tensors[v].data = (char *)p->arena + offsets[storage_of[v]] + places[v].byte_offset;
done:
    free(storage_of), free(reqs), free(offsets);
    return st;
}

/* Phase 6: every step sees its tensors' data and the shared scratch, then binds (indirection buffers); the
 * accessors' views of inputs and outputs. */
static et_status bind_steps(et_plan *p, et_err *err) {
    const et_graph *g = p->graph;
    for (int i = 0; i < p->n_steps; i++) {
        const et_node *n = &g->nodes[i];
        et_op_inst *inst = &p->steps[i].inst;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
                inst->in[j].data = p->tensors[n->inputs[j]].data;
        for (int j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= 0)
                inst->out[j].data = p->tensors[n->outputs[j]].data;
    }
    for (int i = 0; i < p->n_steps; i++) {
        et_op_inst *inst = &p->steps[i].inst;
        inst->scratch = p->scratch;
        et_status st;
        if (inst->bind && (st = inst->bind(inst, err)) != ET_OK)
            return st;
    }
    p->inputs = calloc((size_t)g->n_inputs + 1, sizeof *p->inputs);
    p->outputs = calloc((size_t)g->n_outputs + 1, sizeof *p->outputs);
    if (!p->inputs || !p->outputs)
        return nomem(err);
    return ET_OK;
}

/* Phase 7: the split decision's state (split_decide.h). With a pool it starts undecided, or decided as modelled
 * with fixed_splits; with 1 thread it is decided serial from the start. */
static et_status plan_splits(et_plan *p, const et_plan_options *o, et_err *err) {
    if (!p->pool) {
        p->splits = (et_split_state){.decided = true, .final = ET_SPLIT_SERIAL};
        return ET_OK;
    }
    p->step_ns = calloc((size_t)p->n_steps + 1, sizeof *p->step_ns);
    p->posted = calloc((size_t)p->n_steps + 1, sizeof *p->posted);
    if (!p->step_ns || !p->posted || !et_split_state_init(&p->splits, p->n_steps))
        return nomem(err);
    if (o->fixed_splits) {
        p->splits.decided = true;
        p->splits.final = ET_SPLIT_MODELLED;
    }
    p->fixed_splits = o->fixed_splits;
    return ET_OK;
}

et_status et_plan_create(const et_graph *src, const et_plan_options *opt, et_plan **out, et_err *err) {
    *out = NULL;
    et_plan_options o = opt ? *opt : et_plan_options_default();
    et_plan *p = calloc(1, sizeof *p);
    if (!p)
        return nomem(err);
    et_inplace *places = NULL;
    bool *noop = NULL;
    p->profile = o.profile_layers;
    p->observe = o.observe;
    p->observe_ctx = o.observe_ctx;
    et_status st = rewrite_graph(p, src, &o, err);
    if (st == ET_OK)
        st = bind_values(p, err);
    if (st == ET_OK) {
        /* concatenations written in place by their producers (not while observing: see inplace.h) */
        const et_graph *g = p->graph;
        places = malloc(((size_t)g->n_values + 1) * sizeof *places);
        noop = calloc((size_t)g->n_nodes + 1, sizeof *noop);
        if (!places || !noop)
            st = nomem(err);
        else if (o.channels_last && !o.observe)
            et_inplace_concats(p->graph, places, noop);
        else
            for (int v = 0; v < g->n_values; v++)
                places[v] = (et_inplace){.into = -1};
    }
    if (st == ET_OK)
        st = prepare_steps(p, places, noop, err);
    if (st == ET_OK)
        st = free_packed_constants(p, err);
    if (st == ET_OK)
        st = place_in_arena(p, places, err);
    if (st == ET_OK)
        st = bind_steps(p, err);
    if (st == ET_OK)
        st = plan_splits(p, &o, err);
    free(places), free(noop);
    if (st != ET_OK) {
        et_plan_free(p);
        return st;
    }
    *out = p;
    return ET_OK;
}

int et_plan_n_inputs(const et_plan *p) { return p->graph->n_inputs; }
int et_plan_n_outputs(const et_plan *p) { return p->graph->n_outputs; }

et_tensor *et_plan_input(et_plan *p, int i) {
    p->inputs[i] = p->tensors[p->graph->inputs[i]];
    return &p->inputs[i];
}
const char *et_plan_input_name(const et_plan *p, int i) { return p->graph->values[p->graph->inputs[i]].name; }

const et_tensor *et_plan_output(const et_plan *p, int i) { return &p->tensors[p->graph->outputs[i]]; }
const char *et_plan_output_name(const et_plan *p, int i) { return p->graph->values[p->graph->outputs[i]].name; }

et_status et_plan_run(et_plan *p, const volatile int *cancel, et_err *err) {
    const bool deciding = !p->splits.decided;
    const et_split_mode mode = et_split_next_mode(&p->splits);
    const double run0 = deciding ? now_ns() : 0;
    et_exec_ctx ctx = {.pool = mode == ET_SPLIT_SERIAL ? NULL : p->pool, .scratch = p->scratch};
    for (int i = 0; i < p->n_steps; i++) {
        if (cancel && *cancel)
            return et_fail(err, ET_E_CANCELLED, "cancelled");
        step *s = &p->steps[i];
        if (mode == ET_SPLIT_MIXED)
            ctx.pool = et_split_step_pooled(&p->splits, mode, i) ? p->pool : NULL;
        const uint64_t jobs = deciding ? et_threadpool_jobs(p->pool) : 0;
        double t0 = p->profile || deciding ? now_ns() : 0;
        et_status st = s->inst.run(&s->inst, &ctx, err);
        if (st != ET_OK)
            return st;
        if (p->profile || deciding) {
            const double t = now_ns() - t0;
            if (p->profile) {
                s->time_ns_total += t;
                s->runs++;
            }
            if (deciding) {
                p->step_ns[i] = t;
                p->posted[i] = et_threadpool_jobs(p->pool) != jobs;
            }
        }
        if (p->observe)
            for (int j = 0; j < s->inst.node->n_outputs; j++) {
                int v = s->inst.node->outputs[j];
                if (v >= 0)
                    p->observe(p->observe_ctx, p->graph->values[v].name, &p->tensors[v]);
            }
    }
    if (deciding)
        et_split_record(&p->splits, mode, p->step_ns, p->posted, now_ns() - run0);
    return ET_OK;
}

et_status et_plan_settle(et_plan *p, const volatile int *cancel, et_err *err) {
    et_status st = ET_OK;
    while (st == ET_OK && !p->splits.decided)
        st = et_plan_run(p, cancel, err);
    return st;
}

void et_plan_set_splits(et_plan *p, const bool *keep) {
    if (!p->pool)
        return;
    p->splits.decided = true;
    p->splits.final = ET_SPLIT_MIXED;
    p->splits.kept = 0;
    for (int i = 0; i < p->n_steps; i++)
        p->splits.kept += (p->splits.keep[i] = keep[i]);
}

et_plan_splits et_plan_get_splits(const et_plan *p) {
    return (et_plan_splits){.threads = et_threadpool_size(p->pool),
                            .decided = p->splits.decided,
                            .measured = p->pool && !p->fixed_splits,
                            .used = p->splits.final == ET_SPLIT_SERIAL ||
                                            (p->splits.final == ET_SPLIT_MIXED && p->splits.kept == 0)
                                        ? 1
                                        : et_threadpool_size(p->pool),
                            .splitting = p->splits.splitting,
                            .kept = p->splits.final == ET_SPLIT_SERIAL ? 0 : p->splits.kept,
                            .n_steps = p->n_steps};
}

et_plan_stats et_plan_get_stats(const et_plan *p) {
    et_plan_stats s = {.arena_bytes = p->arena_bytes + (int64_t)p->scratch_bytes, .n_steps = p->n_steps};
    const et_graph *g = p->graph;
    /* constants some step still reads at run time count as weights, next to the packed copies */
    char *read = calloc((size_t)g->n_values + 1, 1);
    for (int i = 0; i < p->n_steps; i++) {
        const et_op_inst *inst = &p->steps[i].inst;
        s.weights_bytes += inst->packed_bytes;
        s.macs += p->steps[i].macs;
        for (int j = 0; read && j < inst->node->n_inputs; j++) {
            int v = inst->node->inputs[j];
            if (v >= 0 && g->values[v].kind == ET_VAL_CONST && !(j < 32 && (inst->packed_inputs >> j & 1)))
                read[v] = 1;
        }
    }
    for (int v = 0; read && v < g->n_values; v++)
        if (read[v] && et_dtype_is_float(g->values[v].dtype))
            s.weights_bytes += (int64_t)g->values[v].nbytes;
    free(read);
    return s;
}

void et_plan_step_info(const et_plan *p, int i, et_step_info *out) {
    const step *s = &p->steps[i];
    out->name = s->inst.node->name;
    out->op = s->inst.node->op_type;
    out->kernel = s->inst.kernel;
    out->precision = s->inst.precision;
    out->macs = s->macs;
    out->packed_bytes = s->inst.packed_bytes;
    out->act_elems = 0;
    const et_node *n = s->inst.node;
    for (int j = 0; j < n->n_inputs + n->n_outputs; j++) {
        int v = j < n->n_inputs ? n->inputs[j] : n->outputs[j - n->n_inputs];
        int64_t e = v >= 0 && p->graph->values[v].kind != ET_VAL_CONST ? et_shape_numel(&p->graph->values[v].shape) : 0;
        out->act_elems += e > 0 ? e : 0;
    }
    out->time_ms = s->runs ? s->time_ns_total / (double)s->runs / 1e6 : 0.0;
}

void et_plan_reset_profile(et_plan *p) {
    for (int i = 0; i < p->n_steps; i++) {
        p->steps[i].time_ns_total = 0;
        p->steps[i].runs = 0;
    }
}

et_threadpool *et_plan_threadpool(et_plan *p) { return p->pool; }
