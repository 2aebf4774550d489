/* session.c: the plan for the current knobs, the fidelity passes and the run's identity (see session.h); opening
 * (model, inputs, data sets) is session_open.c.
 *
 * The evaluation set streams (dataset.h): each fidelity pass reads one sample at a time into the plan's input.
 * What is kept between passes is what fidelity needs from the fp32 baseline: its outputs per sample (for cosine,
 * SQNR, agreement) and its top-1 class (for baseline accuracy). Outputs are kept for every sample while they fit
 * in ET_BASELINE_MAX_BYTES; beyond that, for a seeded subset of the samples that fits, and the result says how many
 * were compared (accuracy still counts every sample). */
#include "bench/session.h"
#include "bench/session_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench/dataset.h"
#include "bench/deploy_memory.h"
#include "engine/cpu.h"
#include "model/model_info.h"
#include "model/passes.h"
#include "profilers/profilers.h"
#include "tune/fidelity.h"
#include "util/fnv.h"
#include "util/mem.h"
#include "util/clock.h"

/* The fp32 baseline's outputs kept for fidelity. */
#define ET_BASELINE_MAX_BYTES ((size_t)256 << 20)

static void free_sets(et_npy *sets, int n) {
    if (!sets)
        return;
    for (int i = 0; i < n; i++)
        et_npy_free(&sets[i]);
    free(sets);
}

static void free_baseline(et_session *s) {
    free(s->out_numel);
    free(s->out_classes);
    free(s->base_top1);
    free(s->kept_slot);
    free(s->base_out);
    s->out_numel = s->out_classes = NULL;
    s->base_top1 = NULL;
    s->kept_slot = NULL;
    s->base_out = NULL;
    s->n_kept = 0;
    s->have_baseline = false;
}

void et_session_free(et_session *s) {
    if (!s)
        return;
    et_plan_free(s->plan);
    et_graph_free(s->tuned);
    et_tune_cache_free(s->tune_cache);
    free_sets(s->inputs, s->n_in);
    free_sets(s->calib, s->n_calib * (s->n_in ? s->n_in : 1));
    et_dataset_free(s->eval);
    free_baseline(s);
    et_model_free(s->model);
    free(s);
}

void et_session_set_progress(et_session *s, et_tune_progress_fn fn, void *ctx, const volatile int *cancel) {
    s->progress = fn;
    s->progress_ctx = ctx;
    s->cancel = cancel;
}

const et_model *et_session_model(const et_session *s) { return s->model; }
double et_session_prepare_ms(const et_session *s) { return s->prepare_ms; }
const et_tune_report *et_session_tune_report(const et_session *s) { return &s->report; }
et_plan *et_session_plan(et_session *s) { return s->plan; }
const et_graph *et_session_tuned(const et_session *s) { return s->tuned; }
const et_knobs *et_session_knobs(const et_session *s) { return &s->knobs; }
const char *et_session_notes(const et_session *s) { return s->notes; }
int64_t et_session_eval_count(const et_session *s) { return s->n_eval; }
const char *et_session_eval_source(const et_session *s) { return s->eval_source; }
const char *et_session_calib_source(const et_session *s) { return s->calib_source; }

et_calib_set et_session_calib(const et_session *s) {
    et_calib_set c = {.n_sets = s->n_calib, .n_inputs = s->n_in, .sets = s->calib};
    snprintf(c.source, sizeof c.source, "%s", s->calib_source);
    return c;
}

static void load_set(et_plan *plan, const et_npy *set, int n_in) {
    for (int i = 0; i < n_in; i++) {
        et_tensor *t = et_plan_input(plan, i);
        if (set[i].nbytes)
            memcpy(t->data, set[i].data, set[i].nbytes);
    }
}

void et_session_load_inputs(et_session *s) { load_set(s->plan, s->inputs, s->n_in); }

/* Writes evaluation sample k into plan's inputs: the data set's sample for its input and the session's inputs for
 * the others, or the k-th seeded random set. */
static et_status load_eval(et_session *s, et_plan *plan, int64_t k, et_err *err) {
    if (!s->eval) {
        for (int i = 0; i < s->n_in; i++) {
            et_tensor *t = et_plan_input(plan, i);
            et_session_random_fill(t->dtype, et_shape_numel(&t->shape), et_session_random_set_seed((int)k, i, false),
                                   t->data);
        }
        return ET_OK;
    }
    for (int i = 0; i < s->n_in; i++)
        if (i != s->eval_input && s->inputs[i].nbytes)
            memcpy(et_plan_input(plan, i)->data, s->inputs[i].data, s->inputs[i].nbytes);
    return et_dataset_read(s->eval, k, et_plan_input(plan, s->eval_input)->data, err);
}

/* Derives the tuned graph from `start` with knobs `apply` and plans it; the session then reports knobs `k`. */
static et_status configure(et_session *s, const et_graph *start, const et_knobs *apply, const et_knobs *k, bool cached,
                           et_err *err) {
    double t0 = et_clock_ms();
    et_plan_free(s->plan);
    et_graph_free(s->tuned);
    s->plan = NULL;
    s->tuned = NULL;
    s->configured = false;
    et_calib_set calib = et_session_calib(s);
    if (cached && !s->tune_cache)
        s->tune_cache = et_tune_cache_new(); /* NULL only caches nothing */
    et_tune_options to = et_tune_options_default();
    to.cache = cached ? s->tune_cache : NULL;
    to.progress = s->progress;
    to.progress_ctx = s->progress_ctx;
    to.cancel = s->cancel;
    to.recover_base = s->has_recover_base ? &s->recover_base : NULL;
    et_status st = et_tune_apply_ex(start, apply, &calib, &to, &s->tuned, &s->report, err);
    if (st != ET_OK)
        return st;
    et_plan_options po = et_plan_options_default();
    po.threads = k->threads;
    po.profile_layers = s->profile_layers;
    if ((st = et_plan_create(s->tuned, &po, &s->plan, err)) != ET_OK)
        return st;
    /* the plan holds its packed weights: the file's pages need not stay resident beside them */
    et_model_drop_pages(s->model);
    s->knobs = *k;
    s->configured = true;
    s->prepare_ms = et_clock_ms() - t0;
    et_session_load_inputs(s);
    return ET_OK;
}

void et_session_set_recover_base(et_session *s, const et_knobs *base) {
    s->has_recover_base = base != NULL;
    if (base)
        s->recover_base = *base;
    et_plan_free(s->plan);
    et_graph_free(s->tuned);
    s->plan = NULL;
    s->tuned = NULL;
    s->configured = false;
}

void et_session_detach(et_session *s, et_plan **plan, et_graph **tuned) {
    *plan = s->plan;
    *tuned = s->tuned;
    s->plan = NULL;
    s->tuned = NULL;
    s->configured = false;
}

et_status et_session_configure(et_session *s, const et_knobs *k, et_err *err) {
    if (s->configured && !s->from_other && memcmp(&s->knobs, k, sizeof *k) == 0)
        return ET_OK;
    s->from_other = false;
    return configure(s, s->model->graph, k, k, true, err);
}

et_status et_session_configure_from(et_session *s, const et_graph *start, const et_knobs *k, et_err *err) {
    et_knobs apply = *k;
    apply.prune_ratio = 0.0f;        /* the weights come pruned already */
    apply.recover = ET_RECOVER_NONE; /* and trained on the grid: rounding them is what training saw */
    s->from_other = true;
    return configure(s, start, &apply, k, false, err);
}

et_status et_session_infer(et_session *s, const volatile int *cancel, et_err *err) {
    if (!s->plan)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    return et_plan_run(s->plan, cancel, err);
}

/* The samples whose baseline outputs are kept: all when they fit in ET_BASELINE_MAX_BYTES, else a seeded subset
 * of as many as fit (kept_slot[k] >= 0 for those). */
static et_status choose_kept(et_session *s, et_err *err) {
    size_t per = (size_t)(s->out_stride ? s->out_stride : 1) * sizeof(float);
    int64_t fit = (int64_t)(ET_BASELINE_MAX_BYTES / per);
    if (fit < 1)
        fit = 1;
    s->kept_slot = malloc((size_t)s->n_eval * sizeof *s->kept_slot);
    if (!s->kept_slot)
        return et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
    if (fit >= s->n_eval) {
        for (int64_t k = 0; k < s->n_eval; k++)
            s->kept_slot[k] = k;
        s->n_kept = s->n_eval;
        return ET_OK;
    }
    /* a partial Fisher-Yates draw of `fit` samples, seeded; slots in sample order */
    int64_t *all = malloc((size_t)s->n_eval * sizeof *all);
    if (!all)
        return et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
    for (int64_t k = 0; k < s->n_eval; k++)
        all[k] = k, s->kept_slot[k] = -1;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (int64_t i = 0; i < fit; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        int64_t j = i + (int64_t)((x * 0x2545F4914F6CDD1Dull) % (uint64_t)(s->n_eval - i));
        int64_t t = all[i];
        all[i] = all[j];
        all[j] = t;
        s->kept_slot[all[i]] = 0;
    }
    free(all);
    s->n_kept = 0;
    for (int64_t k = 0; k < s->n_eval; k++)
        if (s->kept_slot[k] == 0)
            s->kept_slot[k] = s->n_kept++;
    return ET_OK;
}

/* Runs the evaluation set through the pristine fp32 plan once and keeps what fidelity needs. */
static et_status compute_baseline(et_session *s, const volatile int *cancel, et_err *err) {
    et_plan_options po = et_plan_options_default();
    po.threads = s->knobs.threads > 0 ? s->knobs.threads : 1;
    et_plan *bp = NULL;
    float *tmp = NULL;
    et_status st = et_plan_create(s->model->graph, &po, &bp, err);
    if (st != ET_OK)
        return st;
    s->out_numel = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *s->out_numel);
    s->out_classes = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *s->out_classes);
    s->base_top1 = calloc((size_t)s->n_eval, sizeof *s->base_top1);
    if (!s->out_numel || !s->out_classes || !s->base_top1) {
        st = et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
        goto done;
    }
    s->out_stride = 0;
    for (int o = 0; o < s->n_out; o++) {
        const et_tensor *t = et_plan_output(bp, o);
        s->out_numel[o] = et_shape_numel(&t->shape);
        s->out_classes[o] = t->shape.rank ? t->shape.dim[t->shape.rank - 1] : 1;
        s->out_stride += s->out_numel[o];
    }
    if ((st = choose_kept(s, err)) != ET_OK)
        goto done;
    if (!(tmp = malloc((size_t)(s->n_out && s->out_numel[0] > 0 ? s->out_numel[0] : 1) * sizeof *tmp))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
        goto done;
    }
    size_t bytes = (size_t)(s->n_kept ? s->n_kept : 1) * (size_t)(s->out_stride ? s->out_stride : 1) * sizeof(float);
    if (!(s->base_out = malloc(bytes))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs (%zu bytes)", bytes);
        goto done;
    }
    for (int64_t k = 0; k < s->n_eval && st == ET_OK; k++) {
        if ((st = load_eval(s, bp, k, err)) != ET_OK || (st = et_plan_run(bp, cancel, err)) != ET_OK)
            break;
        float *dst = s->kept_slot[k] >= 0 ? s->base_out + s->kept_slot[k] * s->out_stride : NULL;
        for (int o = 0; o < s->n_out; o++) {
            const et_tensor *t = et_plan_output(bp, o);
            float *to = dst ? dst : o == 0 ? tmp : NULL;
            for (int64_t e = 0; to && e < s->out_numel[o]; e++)
                to[e] = (float)et_dtype_load(t->dtype, t->data, (size_t)e);
            if (o == 0)
                s->base_top1[k] = (int32_t)et_argmax_f32(to, s->out_numel[0]);
            if (dst)
                dst += s->out_numel[o];
        }
    }
done:
    free(tmp);
    et_plan_free(bp);
    if (st != ET_OK)
        free_baseline(s);
    else
        s->have_baseline = true;
    return st;
}

/* The bytes of the evaluation input of plan (the one the set feeds, or every input of seeded random sets). */
static uint64_t hash_eval_input(et_session *s, et_plan *plan, uint64_t h) {
    for (int i = 0; i < s->n_in; i++) {
        if (s->eval && i != s->eval_input)
            continue;
        const et_tensor *t = et_plan_input(plan, i);
        h = et_fnv64(h, t->data, (size_t)et_shape_numel(&t->shape) * et_dtype_size(t->dtype));
    }
    return h;
}

et_status et_session_fidelity(et_session *s, const volatile int *cancel, et_fidelity_info *out, et_err *err) {
    return et_session_fidelity_part(s, 0, 1, cancel, out, err);
}

et_status et_session_fidelity_part(et_session *s, int first, int step, const volatile int *cancel,
                                   et_fidelity_info *out, et_err *err) {
    return et_session_fidelity_until(s, first, step, -1, cancel, out, err);
}

et_status et_session_fidelity_until(et_session *s, int first, int step, int64_t max_miss, const volatile int *cancel,
                                    et_fidelity_info *out, et_err *err) {
    if (step < 1 || first < 0 || first >= step)
        return et_fail(err, ET_E_USAGE, "fidelity of inputs %d + %d k: give a step >= 1 and a first below it", first,
                       step);
    free(out->outputs);
    free(out->top1);
    free(out->correct);
    memset(out, 0, sizeof *out);
    out->accuracy = out->baseline_accuracy = -1.0;
    if (!s->plan)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    et_status st = ET_OK;
    if (!s->have_baseline && (st = compute_baseline(s, cancel, err)) != ET_OK)
        return st;
    et_fidelity_acc *acc = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *acc);
    int64_t max_numel = 1;
    for (int o = 0; o < s->n_out; o++)
        if (s->out_numel[o] > max_numel)
            max_numel = s->out_numel[o];
    float *tmp = malloc((size_t)max_numel * sizeof *tmp);
    if (!acc || !tmp) {
        free(acc), free(tmp);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    bool labels = s->eval && et_dataset_has_labels(s->eval) && s->n_out > 0;
    int64_t correct = 0, base_correct = 0, n_compared = 0, missed = 0;
    int64_t n = s->n_eval > first ? (s->n_eval - first + step - 1) / step : 0; /* the inputs evaluated */
    bool stopped = false;
    /* per input: top-1 and correctness, for McNemar's test between runs (a run that cannot hold them has none) */
    int32_t *top1 = s->n_out > 0 && n <= INT32_MAX ? malloc((size_t)(n ? n : 1) * sizeof *top1) : NULL;
    uint8_t *ok = top1 && labels ? malloc((size_t)(n ? n : 1)) : NULL;
    uint64_t hash = 0xCBF29CE484222325ull;
    /* the one loop over the evaluation inputs: every step-th from first (j counts the inputs evaluated) */
    for (int64_t k = first, j = 0; k < s->n_eval; k += step, j++) {
        if (max_miss >= 0 && missed > max_miss) { /* the inputs so far are the pass: n counts them */
            stopped = true;
            n = j;
            break;
        }
        if ((st = load_eval(s, s->plan, k, err)) != ET_OK || (st = et_plan_run(s->plan, cancel, err)) != ET_OK)
            break;
        hash = hash_eval_input(s, s->plan, hash);
        const float *b = s->kept_slot[k] >= 0 ? s->base_out + s->kept_slot[k] * s->out_stride : NULL;
        n_compared += b != NULL;
        for (int o = 0; o < s->n_out; o++) {
            const et_tensor *t = et_plan_output(s->plan, o);
            for (int64_t e = 0; e < s->out_numel[o]; e++)
                tmp[e] = (float)et_dtype_load(t->dtype, t->data, (size_t)e);
            if (b) {
                et_fidelity_add(&acc[o], b, tmp, s->out_numel[o], s->out_classes[o]);
                b += s->out_numel[o];
            }
            if (o != 0)
                continue;
            const int64_t arg = et_argmax_f32(tmp, s->out_numel[0]);
            if (top1)
                top1[j] = (int32_t)arg;
            /* what a hit is: the label, else the fp32 model's top-1 */
            const int64_t want = labels ? et_dataset_label(s->eval, k) : s->base_top1[k];
            missed += arg != want;
            if (labels) {
                hash = et_fnv64(hash, &want, sizeof want);
                correct += arg == want;
                base_correct += s->base_top1[k] == want;
                if (ok)
                    ok[j] = arg == want;
            }
        }
    }
    et_session_load_inputs(s);
    if (st == ET_OK) {
        out->outputs = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *out->outputs);
        if (!out->outputs) {
            st = et_fail(err, ET_E_NOMEM, "out of memory");
        } else {
            out->n_outputs = s->n_out;
            for (int o = 0; o < s->n_out; o++)
                et_fidelity_finish(&acc[o], et_plan_output_name(s->plan, o), &out->outputs[o]);
            out->status = ET_AVAIL_OK;
            out->why[0] = '\0';
            out->n_inputs = (int)n;
            out->n_compared = (int)n_compared;
            out->eval_first = first, out->eval_step = step;
            out->stopped = stopped;
            if (step == 1)
                snprintf(out->eval_source, sizeof out->eval_source, "%s", s->eval_source);
            else if (step == 2)
                snprintf(out->eval_source, sizeof out->eval_source, "%.900s, the %lld at %s positions", s->eval_source,
                         (long long)n, first == 0 ? "even" : "odd");
            else
                snprintf(out->eval_source, sizeof out->eval_source, "%.900s, the %lld at positions %d + %d k",
                         s->eval_source, (long long)n, first, step);
            if (labels && n > 0) {
                out->accuracy = (double)correct / (double)n;
                out->baseline_accuracy = (double)base_correct / (double)n;
            }
            if (top1 && (!labels || ok)) {
                out->n_per_input = (int)n;
                out->top1 = top1, out->correct = ok;
                top1 = NULL, ok = NULL;
                if (!stopped) /* a start of the set is not the set */
                    snprintf(out->eval_hash, sizeof out->eval_hash, "%016llx", (unsigned long long)hash);
            }
        }
    }
    free(top1);
    free(ok);
    free(acc);
    free(tmp);
    return st;
}

et_status et_session_deployed_memory(et_session *s, const char *exe, const volatile int *cancel,
                                     et_deployed_memory *out, et_err *err) {
    if (!s->tuned)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    et_status st = et_deploy_measure(s->tuned, s->knobs.threads, exe, cancel, out, err);
    et_model_drop_pages(s->model); /* writing the image read the weights the tuned graph borrows */
    /* where the engine holds weights wider than the knobs say, the number is right and the user must know why */
    const et_knobs *k = &s->knobs;
    if (st == ET_OK && out->status == ET_AVAIL_OK && !out->why[0]) {
        if (k->act_bits == 32 && k->weight_bits < 32)
            snprintf(out->why, sizeof out->why,
                     "weight-only %d-bit weights run on fp32 kernels, which hold them as fp32: only their stored size "
                     "shrinks (--act-bits 8 runs int8 and packed 4-bit natively)",
                     k->weight_bits);
        else if (k->act_bits == 8 && s->report.n_guard_kept > 0)
            snprintf(out->why, sizeof out->why,
                     "%d layer%s kept fp32 by the speed guard (int8 measured slower here) hold fp32 weights "
                     "(--force-int8 changes that)",
                     s->report.n_guard_kept, s->report.n_guard_kept == 1 ? "" : "s");
    }
    return st;
}

void et_session_describe(et_session *s, et_result *r) {
    et_uuid_v4(r->uuid);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->started_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    const et_model *m = s->model;
    snprintf(r->model.name, sizeof r->model.name, "%s", m->name);
    snprintf(r->model.path, sizeof r->model.path, "%s", m->path);
    snprintf(r->model.sha256, sizeof r->model.sha256, "%s", m->sha256);
    r->model.file_bytes = (int64_t)m->file_bytes;
    r->model.params = et_graph_param_count(m->graph);
    r->model.macs = et_graph_macs(m->graph);
    et_host_info_read(&r->host);
    r->knobs = s->knobs;
    snprintf(r->engine.isa, sizeof r->engine.isa, "%s", et_cpu_isa_name());
    snprintf(r->engine.exec, sizeof r->engine.exec, "%s", s->report.exec[0] ? s->report.exec : "native");
    snprintf(r->engine.notes, sizeof r->engine.notes, "%s", s->report.notes);
    r->prepare_ms = s->prepare_ms;
    if (s->plan) {
        et_plan_stats ps = et_plan_get_stats(s->plan);
        r->memory.arena_bytes = ps.arena_bytes;
        r->memory.weights_bytes = ps.weights_bytes;
    }
    r->memory.weights_deploy_bytes = s->report.weights_deploy_bytes;
}
