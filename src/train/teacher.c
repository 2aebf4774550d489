/* teacher.c: the teacher's outputs, from a batch-1 inference plan and a per-sample cache (teacher.h). */
#include "train/teacher.h"

#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "train/loss.h"
#include "util/mem.h"

struct et_teacher {
    et_plan *plan;
    int n_in, n_out;
    int64_t *in_numel, *out_numel, out_stride; /* out_stride: floats of all outputs of one sample */
    bool *probs;                               /* per output: a final Softmax (probabilities -> log) */
    int64_t n_samples[2];
    float *cache[2]; /* n_samples x out_stride, or NULL when over the budget */
    uint8_t *have[2];
    int64_t cached, computed;
};

static bool is_softmax_output(const et_graph *g, int v) {
    int p = g->values[v].producer;
    return p >= 0 && g->nodes[p].op == ET_OP_SOFTMAX;
}

et_status et_teacher_create(const et_graph *g, int threads, const int64_t n_samples[2], size_t cache_bytes,
                            et_teacher **out, et_err *err) {
    *out = NULL;
    et_teacher *t = calloc(1, sizeof *t);
    if (!t)
        return et_fail(err, ET_E_NOMEM, "out of memory for the teacher");
    et_plan_options po = et_plan_options_default();
    po.threads = threads > 0 ? threads : 1;
    et_status st = et_plan_create(g, &po, &t->plan, err);
    if (st != ET_OK) {
        et_teacher_free(t);
        return st;
    }
    t->n_in = et_plan_n_inputs(t->plan);
    t->n_out = et_plan_n_outputs(t->plan);
    t->in_numel = calloc((size_t)t->n_in + 1, sizeof *t->in_numel);
    t->out_numel = calloc((size_t)t->n_out + 1, sizeof *t->out_numel);
    t->probs = calloc((size_t)t->n_out + 1, sizeof *t->probs);
    if (!t->in_numel || !t->out_numel || !t->probs) {
        et_teacher_free(t);
        return et_fail(err, ET_E_NOMEM, "out of memory for the teacher");
    }
    for (int i = 0; i < t->n_in; i++)
        t->in_numel[i] = et_shape_numel(&et_plan_input(t->plan, i)->shape);
    for (int i = 0; i < t->n_out; i++) {
        const et_tensor *o = et_plan_output(t->plan, i);
        if (o->dtype != ET_DT_F32) {
            et_teacher_free(t);
            return et_fail(err, ET_E_UNSUPPORTED, "the teacher's output '%s' is %s; distillation needs float32",
                           et_plan_output_name(t->plan, i), et_dtype_name(o->dtype));
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
    et_plan_free(t->plan);
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

et_status et_teacher_outputs(et_teacher *t, int set, int64_t index, const float *const *inputs, float *const *out,
                             et_err *err) {
    float *slot = t->cache[set] && index >= 0 && index < t->n_samples[set] ? t->cache[set] + index * t->out_stride
                                                                           : NULL;
    if (slot && t->have[set][index]) {
        for (int i = 0, at = 0; i < t->n_out; at += (int)t->out_numel[i], i++)
            memcpy(out[i], slot + at, (size_t)t->out_numel[i] * sizeof(float));
        t->cached++;
        return ET_OK;
    }
    for (int i = 0; i < t->n_in; i++)
        memcpy(et_plan_input(t->plan, i)->data, inputs[i], (size_t)t->in_numel[i] * sizeof(float));
    et_status st = et_plan_run(t->plan, NULL, err);
    if (st != ET_OK) {
        et_err_prefix(err, "the teacher: ");
        return st;
    }
    for (int i = 0, at = 0; i < t->n_out; at += (int)t->out_numel[i], i++) {
        memcpy(out[i], et_plan_output(t->plan, i)->data, (size_t)t->out_numel[i] * sizeof(float));
        if (t->probs[i])
            et_loss_probs_to_logits(out[i], t->out_numel[i], false);
        if (slot)
            memcpy(slot + at, out[i], (size_t)t->out_numel[i] * sizeof(float));
    }
    if (slot)
        t->have[set][index] = 1;
    t->computed++;
    return ET_OK;
}

void et_teacher_counts(const et_teacher *t, int64_t *cached, int64_t *computed) {
    *cached = t->cached;
    *computed = t->computed;
}
