/* teacher.c: the teacher's outputs, from batch-1 inference plans and a per-sample cache (teacher.h).
 *
 * Threads: a batch-1 plan of a small model split over threads spends most of a layer starting and joining it
 * (fmnist_resnet's teacher took twice the CPU time at 2 threads as at 1, for no wall time saved). So with more
 * than one thread the teacher holds one single-thread plan per thread and runs whole samples of a batch on its
 * pool, each sample on whichever plan is free. Each plan has its own weights and arena; where those copies
 * would pass REPLICA_BUDGET_BYTES (a large model), one plan runs each sample on all threads instead. */
#include "train/teacher.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "engine/threadpool.h"
#include "train/loss.h"
#include "util/mem.h"

enum { MAX_PLANS = 64 };
#define REPLICA_BUDGET_BYTES ((int64_t)64 << 20)

typedef struct batch_run batch_run;

struct et_teacher {
    batch_run *run;            /* a batch call's context (allocated once: it holds an error per plan) */
    et_plan *plans[MAX_PLANS]; /* plans[0] always; one per thread when the copies fit the budget */
    int n_plans;
    _Atomic int busy[MAX_PLANS];
    et_threadpool *pool; /* n_plans threads (NULL for one plan) */
    int64_t *todo;       /* batch positions whose outputs are computed (a batch call's work list) */
    int todo_cap;
    int n_in, n_out;
    int64_t *in_numel, *out_numel, out_stride; /* out_stride: floats of all outputs of one sample */
    bool *probs;                               /* per output: a final Softmax (probabilities -> log) */
    int64_t n_samples[2];
    float *cache[2]; /* n_samples x out_stride, or NULL when over the budget */
    uint8_t *have[2];
    int64_t cached, computed;
};

/* A batch call's context, shared by its tasks. */
struct batch_run {
    et_teacher *t;
    int set;
    const int64_t *index;
    const float *const *inputs;
    float *const *out;
    _Atomic int failed; /* 0, or 1 + the plan whose err holds the first failure */
    et_err errs[MAX_PLANS];
};

static bool is_softmax_output(const et_graph *g, int v) {
    int p = g->values[v].producer;
    return p >= 0 && g->nodes[p].op == ET_OP_SOFTMAX;
}

et_status et_teacher_create(const et_graph *g, int threads, const int64_t n_samples[2], size_t cache_bytes,
                            et_teacher **out, et_err *err) {
    *out = NULL;
    et_teacher *t = calloc(1, sizeof *t);
    if (!t || !(t->run = calloc(1, sizeof *t->run))) {
        free(t);
        return et_fail(err, ET_E_NOMEM, "out of memory for the teacher");
    }
    et_plan_options po = et_plan_options_default();
    threads = threads < 1 ? 1 : threads > MAX_PLANS ? MAX_PLANS : threads;
    po.threads = 1;
    et_status st = et_plan_create(g, &po, &t->plans[0], err);
    t->n_plans = st == ET_OK;
    if (st == ET_OK && threads > 1) {
        const et_plan_stats ps = et_plan_get_stats(t->plans[0]);
        if ((ps.arena_bytes + ps.weights_bytes) * (threads - 1) <= REPLICA_BUDGET_BYTES) {
            if (!(t->pool = et_threadpool_create(threads, err)))
                st = err && err->status != ET_OK ? err->status : ET_E_RUNTIME;
            while (st == ET_OK && t->n_plans < threads)
                if ((st = et_plan_create(g, &po, &t->plans[t->n_plans], err)) == ET_OK)
                    t->n_plans++;
        } else { /* a large model: one plan on all threads */
            et_plan_free(t->plans[0]);
            t->plans[0] = NULL, t->n_plans = 0;
            po.threads = threads;
            st = et_plan_create(g, &po, &t->plans[0], err);
            t->n_plans = st == ET_OK;
        }
    }
    if (st != ET_OK) {
        et_teacher_free(t);
        return st;
    }
    const et_plan *plan = t->plans[0];
    t->n_in = et_plan_n_inputs(plan);
    t->n_out = et_plan_n_outputs(plan);
    t->in_numel = calloc((size_t)t->n_in + 1, sizeof *t->in_numel);
    t->out_numel = calloc((size_t)t->n_out + 1, sizeof *t->out_numel);
    t->probs = calloc((size_t)t->n_out + 1, sizeof *t->probs);
    if (!t->in_numel || !t->out_numel || !t->probs) {
        et_teacher_free(t);
        return et_fail(err, ET_E_NOMEM, "out of memory for the teacher");
    }
    for (int i = 0; i < t->n_in; i++)
        t->in_numel[i] = et_shape_numel(&et_plan_input(t->plans[0], i)->shape);
    for (int i = 0; i < t->n_out; i++) {
        const et_tensor *o = et_plan_output(t->plans[0], i);
        if (o->dtype != ET_DT_F32) {
            et_teacher_free(t);
            return et_fail(err, ET_E_UNSUPPORTED, "the teacher's output '%s' is %s; distillation needs float32",
                           et_plan_output_name(t->plans[0], i), et_dtype_name(o->dtype));
        }
        t->out_numel[i] = et_shape_numel(&o->shape);
        t->out_stride += t->out_numel[i];
        t->probs[i] = is_softmax_output(g, g->outputs[i]);
    }
    for (int s = 0; s < 2; s++) {
        t->n_samples[s] = n_samples[s];
        size_t bytes = (size_t)n_samples[s] * (size_t)t->out_stride * sizeof(float);
        if (n_samples[s] > 0 && bytes <= cache_bytes) {
            t->cache[s] = malloc(bytes);
            t->have[s] = calloc((size_t)n_samples[s], 1);
            if (t->cache[s] && t->have[s])
                cache_bytes -= bytes;
            else { /* no room after all: computed every time */
                free(t->cache[s]), free(t->have[s]);
                t->cache[s] = NULL, t->have[s] = NULL;
            }
        }
    }
    *out = t;
    return ET_OK;
}

void et_teacher_free(et_teacher *t) {
    if (!t)
        return;
    for (int i = 0; i < t->n_plans; i++)
        et_plan_free(t->plans[i]);
    et_threadpool_destroy(t->pool);
    free(t->todo);
    free(t->run);
    for (int s = 0; s < 2; s++)
        free(t->cache[s]), free(t->have[s]);
    free(t->in_numel);
    free(t->out_numel);
    free(t->probs);
    free(t);
}

int et_teacher_n_inputs(const et_teacher *t) { return t->n_in; }
int64_t et_teacher_input_numel(const et_teacher *t, int i) { return t->in_numel[i]; }
int et_teacher_n_outputs(const et_teacher *t) { return t->n_out; }
int64_t et_teacher_output_numel(const et_teacher *t, int i) { return t->out_numel[i]; }

/* The cache slot of sample `index` of `set`, or NULL (not cached, or no cache). */
static float *cache_slot(const et_teacher *t, int set, int64_t index) {
    return t->cache[set] && index >= 0 && index < t->n_samples[set] ? t->cache[set] + index * t->out_stride : NULL;
}

/* Runs plan p on sample b of a batch (inputs[i] + b input_numel), its logits to out[i] + b output_numel and into
 * the cache. Errors of et_plan_run, prefixed. */
static et_status run_sample(et_teacher *t, et_plan *p, int set, int64_t index, int64_t b, const float *const *inputs,
                            float *const *out, et_err *err) {
    for (int i = 0; i < t->n_in; i++)
        memcpy(et_plan_input(p, i)->data, inputs[i] + b * t->in_numel[i], (size_t)t->in_numel[i] * sizeof(float));
    et_status st = et_plan_run(p, NULL, err);
    if (st != ET_OK) {
        et_err_prefix(err, "the teacher: ");
        return st;
    }
    float *slot = cache_slot(t, set, index);
    for (int i = 0, at = 0; i < t->n_out; at += (int)t->out_numel[i], i++) {
        float *o = out[i] + b * t->out_numel[i];
        memcpy(o, et_plan_output(p, i)->data, (size_t)t->out_numel[i] * sizeof(float));
        if (t->probs[i])
            et_loss_probs_to_logits(o, t->out_numel[i], false);
        if (slot)
            memcpy(slot + at, o, (size_t)t->out_numel[i] * sizeof(float));
    }
    if (slot)
        t->have[set][index] = 1;
    return ET_OK;
}


static void batch_task(void *arg, size_t begin, size_t end) {
    batch_run *r = arg;
    et_teacher *t = r->t;
    int p = 0;
    for (;; p = (p + 1) % t->n_plans) { /* a free plan: at most one task per thread runs, so one is */
        int expected = 0;
        if (atomic_compare_exchange_strong(&t->busy[p], &expected, 1))
            break;
    }
    for (size_t k = begin; k < end && !atomic_load(&r->failed); k++) {
        const int64_t b = t->todo[k];
        if (run_sample(t, t->plans[p], r->set, r->index ? r->index[b] : -1, b, r->inputs, r->out, &r->errs[p]) !=
            ET_OK) {
            int none = 0;
            atomic_compare_exchange_strong(&r->failed, &none, p + 1);
        }
    }
    atomic_store(&t->busy[p], 0);
}

et_status et_teacher_outputs_batch(et_teacher *t, int set, const int64_t *index, int count, const float *const *inputs,
                                   float *const *out, et_err *err) {
    if (count > t->todo_cap) {
        int64_t *todo = realloc(t->todo, (size_t)count * sizeof *todo);
        if (!todo)
            return et_fail(err, ET_E_NOMEM, "out of memory for the teacher's batch of %d samples", count);
        t->todo = todo, t->todo_cap = count;
    }
    int n_todo = 0;
    for (int b = 0; b < count; b++) {
        const float *slot = index ? cache_slot(t, set, index[b]) : NULL;
        if (!slot || !t->have[set][index[b]]) {
            t->todo[n_todo++] = b;
            continue;
        }
        for (int i = 0, at = 0; i < t->n_out; at += (int)t->out_numel[i], i++)
            memcpy(out[i] + b * t->out_numel[i], slot + at, (size_t)t->out_numel[i] * sizeof(float));
        t->cached++;
    }
    batch_run *r = t->run;
    r->t = t, r->set = set, r->index = index, r->inputs = inputs, r->out = out;
    atomic_store(&r->failed, 0);
    if (n_todo > 1 && t->n_plans > 1)
        et_threadpool_parallel_for_chunked(t->pool, (size_t)n_todo, 1, batch_task, r);
    else if (n_todo > 0)
        batch_task(r, 0, (size_t)n_todo);
    const int failed = atomic_load(&r->failed);
    if (failed && err)
        *err = r->errs[failed - 1];
    else
        t->computed += n_todo;
    return failed ? r->errs[failed - 1].status : ET_OK;
}

et_status et_teacher_outputs(et_teacher *t, int set, int64_t index, const float *const *inputs, float *const *out,
                             et_err *err) {
    return et_teacher_outputs_batch(t, set, &index, 1, inputs, out, err);
}

void et_teacher_counts(const et_teacher *t, int64_t *cached, int64_t *computed) {
    *cached = t->cached;
    *computed = t->computed;
}
