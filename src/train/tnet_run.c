/* tnet_run.c: running a training network: forward, backward, the gradient buffers' first-writer rule, scratch
 * slots for tasks on the pool, and the accessors of train.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/tnet.h"

int et_tnet_add_value(et_tnet *n, int like, const char *suffix) {
    if (n->n_values == n->cap_values) {
        int cap = n->cap_values * 2 + 16;
        et_tval *v = realloc(n->values, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        n->values = v;
        n->cap_values = cap;
    }
    int i = n->n_values++;
    et_tval *v = &n->values[i];
    *v = n->values[like];
    v->owner = i;
    v->param = -1;
    v->data = v->grad = NULL;
    v->owns_data = false;
    size_t len = strlen(n->values[like].name) + strlen(suffix) + 1;
    char *name = et_arena_alloc(&n->arena, len);
    if (!name)
        return -1;
    snprintf(name, len, "%s%s", n->values[like].name, suffix);
    v->name = name;
    return i;
}

float *et_tnet_grad_begin(et_tnet *n, int v, bool *accumulate) {
    if (v < 0 || !n->values[v].needs_grad)
        return NULL;
    et_tval *o = et_tv(n, v);
    if (!o->grad)
        return NULL;
    *accumulate = o->grad_written;
    o->grad_written = true;
    return o->grad;
}

const float *et_tnet_grad_of(et_tnet *n, int v) {
    et_tval *o = et_tv(n, v);
    return o->grad && o->grad_written ? o->grad : NULL;
}

void *et_tslot_acquire(et_tslots *s, int *id) {
    for (;;)
        for (int i = 0; i < s->n; i++) {
            int expected = 0;
            if (atomic_compare_exchange_strong(&s->busy[i], &expected, 1)) {
                *id = i;
                return s->mem + (size_t)i * s->bytes;
            }
        }
}

void et_tslot_release(et_tslots *s, int id) { atomic_store(&s->busy[id], 0); }

void et_tnet_par(et_tnet *n, size_t items, et_task_fn fn, void *ctx) {
    if (!items)
        return;
    if (et_threadpool_size(n->opt.pool) > 1 && items > 1)
        et_threadpool_parallel_for_chunked(n->opt.pool, items, 1, fn, ctx);
    else
        fn(ctx, 0, items);
}

void et_tnet_par_chunked(et_tnet *n, size_t items, size_t chunk, et_task_fn fn, void *ctx) {
    if (!items)
        return;
    if (et_threadpool_size(n->opt.pool) > 1 && items > chunk)
        et_threadpool_parallel_for_chunked(n->opt.pool, items, chunk, fn, ctx);
    else
        fn(ctx, 0, items);
}

/* the process's CPU time (train.h: et_tnet_step_profile) */
static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int et_tnet_n_steps(const et_tnet *n) { return n->n_steps; }

void et_tnet_step_profile(const et_tnet *n, int i, const char **name, const char **op, double *forward_ms,
                          double *backward_ms) {
    const et_tstep *s = &n->steps[i];
    *name = s->name;
    *op = s->node ? et_op_name(s->node->op) : s->op->name;
    *forward_ms = s->forward_ms;
    *backward_ms = s->backward_ms;
}

et_status et_tnet_forward(et_tnet *n, int batch, bool training, et_err *err) {
    if (batch < 1 || batch > n->opt.batch)
        return et_fail(err, ET_E_USAGE, "a pass of %d samples on a network built for %d", batch, n->opt.batch);
    et_status st = et_tnet_refresh_weights(n, err);
    if (st != ET_OK)
        return st;
    n->batch_now = batch;
    n->training = training;
    for (int k = 0; k < n->n_steps; k++) {
        et_tstep *s = &n->steps[k];
        double t0 = n->opt.profile ? now_ms() : 0;
        if ((st = s->op->forward(n, s, err)) != ET_OK)
            return st;
        if (n->opt.profile)
            s->forward_ms += now_ms() - t0;
    }
    return ET_OK;
}

void et_tnet_add_value_grads(et_tnet *n, int count, const int *values, const float *const *grads) {
    n->n_extra = count, n->extra_value = values, n->extra_grad = grads;
}

/* The extra gradients of value v (et_tnet_add_value_grads) into its buffer: every step that reads v comes later
 * in the forward, so their backward has run when v's own step is reached. */
static void add_extra_grads(et_tnet *n, int v) {
    for (int e = 0; e < n->n_extra; e++) {
        if (n->extra_value[e] != v)
            continue;
        bool acc;
        float *g = et_tnet_grad_begin(n, v, &acc);
        const float *x = n->extra_grad[e];
        int64_t len = (int64_t)n->batch_now * n->values[v].numel;
        for (int64_t i = 0; g && i < len; i++)
            g[i] = acc ? g[i] + x[i] : x[i];
    }
}

void et_tnet_backward(et_tnet *n) {
    for (int i = 0; i < n->n_values; i++)
        n->values[i].grad_written = false;
    for (int o = 0; o < n->n_outputs; o++) {
        et_tval *v = et_tv(n, n->outputs[o]);
        v->grad_written = v->grad != NULL;
    }
    for (int k = n->n_steps; k-- > 0;) {
        et_tstep *s = &n->steps[k];
        if (n->n_extra)
            add_extra_grads(n, s->out);
        if (!n->values[s->out].needs_grad || !et_tnet_grad_of(n, s->out))
            continue; /* nothing flows back through it */
        bool any = false;
        for (int j = 0; j < s->n_in; j++)
            any |= s->in[j] >= 0 && n->values[s->in[j]].needs_grad;
        double t0 = n->opt.profile ? now_ms() : 0;
        if (any)
            s->op->backward(n, s);
        if (n->opt.profile)
            s->backward_ms += now_ms() - t0;
    }
    n->n_extra = 0;
    et_tnet_finish_grads(n);
}

int et_tnet_n_inputs(const et_tnet *n) { return n->n_inputs; }
float *et_tnet_input(et_tnet *n, int i) { return et_tv_data(n, n->inputs[i]); }
int64_t et_tnet_input_numel(const et_tnet *n, int i) { return n->values[n->inputs[i]].numel; }
const float *et_tnet_input_grad(et_tnet *n, int i) { return et_tnet_grad_of(n, n->inputs[i]); }
int et_tnet_n_outputs(const et_tnet *n) { return n->n_outputs; }
const float *et_tnet_output(et_tnet *n, int i) { return et_tv_data(n, n->outputs[i]); }
int64_t et_tnet_output_numel(const et_tnet *n, int i) { return n->values[n->outputs[i]].numel; }
float *et_tnet_output_grad(et_tnet *n, int i) { return et_tv(n, n->outputs[i])->grad; }
bool et_tnet_output_is_log_prob(const et_tnet *n, int i) { return n->output_log_prob[2 * i]; }
bool et_tnet_output_was_softmax(const et_tnet *n, int i) { return n->output_log_prob[2 * i + 1]; }
const char *et_tnet_output_name(const et_tnet *n, int i) { return n->g->values[n->g->outputs[i]].name; }

et_tnet_memory et_tnet_memory_use(const et_tnet *n) {
    return (et_tnet_memory){.activation_bytes = n->activation_bytes,
                            .gradient_bytes = n->gradient_bytes,
                            .param_bytes = n->param_bytes,
                            .scratch_bytes = (int64_t)(n->slots.bytes * (size_t)n->slots.n)};
}
