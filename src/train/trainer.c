/* trainer.c: the training loop (trainer.h): epochs, steps, losses, stops, evaluation, calibration, checkpoints. */
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/checkpoint.h"
#include "train/tnet.h"
#include "util/mem.h"
#include "util/clock.h"

et_train_config et_train_config_default(void) {
    return (et_train_config){.epochs = 1,
                             .batch = 64,
                             .optim = et_optim_config_default(ET_OPTIM_ADAMW),
                             .lr = 1e-3f,
                             .min_lr = 0.0f,
                             .warmup_frac = 0.05f,
                             .loss = {.temperature = 2.0f, .kd_weight = 1.0f},
                             .seed = 1,
                             .prune_end_frac = 0.67f,
                             .calib_samples = 256,
                             .max_loss_factor = 100.0,
                             .progress_every_s = 0.25};
}

typedef struct run_ctx {
    et_tnet *net;
    et_optim *opt;
    et_teacher *teacher;
    const et_train_source *train, *eval, *calib;
    const et_train_config *cfg;
    et_train_state *st;
    et_train_outcome *out;
    et_err *err;
    int n_in, n_out;
    float **rows;     /* per input: the row of the sample being read */
    float **tout;     /* per output: batch x numel teacher logits */
    int64_t *classes; /* per output: class count of a [1, C] output, 0: matched by mean squared error */
    int64_t *labels;  /* batch */
    int64_t *perm;    /* the epoch's order */
    int64_t steps_per_epoch, total_steps;
    et_schedule sched;
    et_prune_schedule prune;
    float **snap_params, **snap_buffers; /* the weights of the last completed epoch */
    double last_progress, epoch_t0;
    float lr;
} run_ctx;

/* ---- data ---------------------------------------------------------------------------------------------------- */

/* Reads samples idx[0..count) of src into the network's input rows and, with teacher set >= 0, the teacher's
 * logits for them into rc->tout. */
static et_status load_batch(run_ctx *rc, const et_train_source *src, int set, const int64_t *idx, int count) {
    for (int b = 0; b < count; b++) {
        for (int i = 0; i < rc->n_in; i++)
            rc->rows[i] = et_tnet_input(rc->net, i) + (int64_t)b * et_tnet_input_numel(rc->net, i);
        et_status st = src->read(src->ctx, idx[b], rc->rows, rc->err);
        if (st != ET_OK)
            return st;
        rc->labels[b] = src->label ? src->label(src->ctx, idx[b]) : -1;
    }
    if (set < 0)
        return ET_OK;
    for (int i = 0; i < rc->n_in; i++) /* the whole batch: the teacher runs its samples side by side */
        rc->rows[i] = et_tnet_input(rc->net, i);
    return et_teacher_outputs_batch(rc->teacher, set, idx, count, (const float *const *)rc->rows, rc->tout, rc->err);
}

/* Fisher-Yates over [0, n) with a generator seeded by (seed, epoch). */
static void shuffle(int64_t *perm, int64_t n, uint64_t seed, int epoch) {
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + (uint64_t)epoch * 0xBF58476D1CE4E5B9ull + 1;
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        int64_t j = (int64_t)((x * 0x2545F4914F6CDD1Dull) % (uint64_t)(i + 1));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

static int64_t argmax(const float *x, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        best = x[j] > x[best] ? j : best;
    return best;
}

/* ---- snapshots ---------------------------------------------------------------------------------------------- */

static void snapshot(run_ctx *rc, bool restore) {
    for (int i = 0; i < et_tnet_n_params(rc->net); i++) {
        et_tparam *p = et_tnet_param(rc->net, i);
        size_t bytes = (size_t)p->numel * sizeof(float);
        restore ? memcpy(p->w, rc->snap_params[i], bytes) : memcpy(rc->snap_params[i], p->w, bytes);
    }
    for (int i = 0; i < et_tnet_n_buffers(rc->net); i++) {
        et_tbuffer *b = et_tnet_buffer(rc->net, i);
        size_t bytes = (size_t)b->numel * sizeof(float);
        restore ? memcpy(b->data, rc->snap_buffers[i], bytes) : memcpy(rc->snap_buffers[i], b->data, bytes);
    }
    if (restore)
        et_tnet_weights_changed(rc->net);
}

/* ---- a step --------------------------------------------------------------------------------------------------- */

/* The losses of the outputs after a training forward, gradients written. */
static double losses(run_ctx *rc, int count, et_loss_parts *sum) {
    *sum = (et_loss_parts){0};
    for (int o = 0; o < rc->n_out; o++) {
        const float *s = et_tnet_output(rc->net, o);
        float *g = et_tnet_output_grad(rc->net, o);
        if (!g)
            continue;
        if (rc->classes[o] > 0) {
            et_loss_parts p;
            et_loss_classes(s, rc->tout[o], o == 0 && rc->train->label ? rc->labels : NULL, count, rc->classes[o],
                            &rc->cfg->loss, g, &p);
            sum->total += p.total, sum->kd += p.kd, sum->ce += p.ce;
            if (o == 0)
                sum->agree = p.agree, sum->correct = p.correct, sum->bad_labels = p.bad_labels;
        } else {
            double l = et_loss_mse(s, rc->tout[o], count, et_tnet_output_numel(rc->net, o), g);
            sum->total += l, sum->kd += l;
        }
    }
    return sum->total;
}

/* Why training must stop after this loss and gradient norm, or NULL. */
static const char *stop_reason(run_ctx *rc, double loss, double norm, char *buf, size_t len) {
    if (!isfinite(loss))
        return "the loss is not a number";
    if (!isfinite(norm))
        return "a gradient is not a number";
    const double f = rc->cfg->max_loss_factor;
    if (rc->st->global_step >= 10 && f > 0 && loss > 10.0 && loss > f * rc->st->first_loss) {
        snprintf(buf, len, "the loss exploded (%.4g, over %.0fx the first steps' %.4g)", loss, f, rc->st->first_loss);
        return buf;
    }
    return NULL;
}

/* Masks for the schedule's sparsity at `step`: per-layer shares scaled by its progress, or one ratio. */
static et_status prune_to(run_ctx *rc, int64_t step) {
    const et_train_config *c = rc->cfg;
    float sparsity = et_prune_sparsity_at(&rc->prune, step);
    if (c->prune_shares)
        return et_prune_magnitude_shares(rc->net, c->prunable, c->prune_shares,
                                         c->prune_target > 0 ? sparsity / c->prune_target : 0.0f, c->prune_compensate,
                                         c->prune_comp_stats, rc->err);
    return et_prune_magnitude(rc->net, c->prunable, sparsity, c->prune_global, rc->err);
}

/* One step on samples idx[0..count). ET_E_RUNTIME (with rc->out->why) when training must stop. */
static et_status step(run_ctx *rc, const int64_t *idx, int count) {
    const double t0 = et_clock_s();
    et_status st = load_batch(rc, rc->train, 0, idx, count);
    if (st == ET_OK)
        st = et_tnet_forward(rc->net, count, true, rc->err);
    if (st != ET_OK)
        return st;
    et_loss_parts parts;
    double loss = losses(rc, count, &parts), fkd = 0.0;
    if (rc->cfg->feature_kd && (st = et_feature_kd_step(rc->cfg->feature_kd, count, &fkd, rc->err)) != ET_OK)
        return st;
    loss += fkd, parts.kd += fkd;
    et_tnet_backward(rc->net);
    double norm = et_optim_grad_norm(rc->opt);
    char buf[160];
    const char *why = stop_reason(rc, loss, norm, buf, sizeof buf);
    if (why) {
        rc->out->stop_step = rc->st->global_step + 1;
        snprintf(rc->out->why, sizeof rc->out->why, "%s at step %lld (epoch %d, batch %lld of %lld)", why,
                 (long long)rc->out->stop_step, rc->st->epochs_done + 1, (long long)rc->st->step_in_epoch + 1,
                 (long long)rc->steps_per_epoch);
        return ET_E_RUNTIME;
    }
    rc->lr = et_schedule_lr(&rc->sched, rc->st->global_step);
    et_optim_step(rc->opt, rc->lr);
    et_train_state *s = rc->st;
    s->global_step++, s->step_in_epoch++;
    if (s->global_step <= 10)
        s->first_loss += loss / 10.0;
    s->sum_loss += loss * count, s->sum_kd += parts.kd * count, s->sum_ce += parts.ce * count;
    s->sum_samples += count, s->sum_agree += parts.agree, s->sum_correct += parts.correct;
    s->sum_labelled += rc->train->label ? count - parts.bad_labels : 0;
    if (rc->cfg->prunable && et_prune_due(&rc->prune, s->global_step))
        st = prune_to(rc, s->global_step);
    s->sum_seconds += et_clock_s() - t0;
    return st;
}

/* ---- progress ----------------------------------------------------------------------------------------------- */

static void report(run_ctx *rc, et_train_phase phase, bool force) {
    if (!rc->cfg->progress)
        return;
    double t = et_clock_s();
    if (!force && t - rc->last_progress < rc->cfg->progress_every_s)
        return;
    rc->last_progress = t;
    const et_train_state *s = rc->st;
    et_train_progress p = {.phase = phase,
                           .epoch = s->epochs_done + 1,
                           .epochs = rc->cfg->epochs,
                           .step_in_epoch = s->step_in_epoch,
                           .steps_per_epoch = rc->steps_per_epoch,
                           .global_step = s->global_step,
                           .total_steps = rc->total_steps,
                           .lr = rc->lr,
                           .state = s};
    p.loss = s->sum_samples ? s->sum_loss / (double)s->sum_samples : NAN;
    p.samples_per_s = s->sum_seconds > 0 ? (double)s->sum_samples / s->sum_seconds : 0;
    if (p.samples_per_s > 0) {
        int64_t left = (rc->total_steps - s->global_step) * rc->cfg->batch;
        p.eta_s = (double)left / p.samples_per_s;
    }
    p.sparsity = et_train_sparsity(rc->net, rc->cfg->prunable);
    rc->cfg->progress(rc->cfg->progress_ctx, &p);
}

/* ---- evaluation and calibration ------------------------------------------------------------------------------ */

et_status et_train_evaluate(et_tnet *net, et_teacher *teacher, const et_train_source *src, const volatile int *cancel,
                            double *acc, double *agree, et_err *err) {
    *acc = *agree = -1.0;
    const int n_out = et_tnet_n_outputs(net), batch = net->opt.batch;
    float **tout = calloc((size_t)n_out, sizeof *tout), **rows = calloc((size_t)et_tnet_n_inputs(net), sizeof *rows);
    int64_t *idx = malloc((size_t)batch * sizeof *idx), *labels = malloc((size_t)batch * sizeof *labels);
    int64_t classes = n_out > 0 && net->values[net->outputs[0]].shape.rank == 2
                          ? net->values[net->outputs[0]].shape.dim[1]
                          : 0;
    et_status st = tout && rows && idx && labels ? ET_OK : et_fail(err, ET_E_NOMEM, "out of memory evaluating");
    for (int o = 0; st == ET_OK && o < n_out; o++)
        if (!(tout[o] = malloc((size_t)(batch * et_tnet_output_numel(net, o)) * sizeof(float))))
            st = et_fail(err, ET_E_NOMEM, "out of memory evaluating");
    run_ctx rc = {.net = net,
                  .teacher = teacher,
                  .n_in = et_tnet_n_inputs(net),
                  .n_out = n_out,
                  .rows = rows,
                  .tout = tout,
                  .labels = labels,
                  .err = err};
    int64_t correct = 0, labelled = 0, same = 0, done = 0;
    for (int64_t at = 0; st == ET_OK && classes > 0 && at < src->n; at += batch) {
        int count = (int)(src->n - at < batch ? src->n - at : batch);
        for (int b = 0; b < count; b++)
            idx[b] = at + b;
        if ((st = load_batch(&rc, src, teacher ? 1 : -1, idx, count)) != ET_OK ||
            (st = et_tnet_forward(net, count, false, err)) != ET_OK)
            break;
        const float *y = et_tnet_output(net, 0);
        for (int b = 0; b < count; b++) {
            int64_t top = argmax(y + b * classes, classes);
            if (labels[b] >= 0)
                correct += top == labels[b], labelled++;
            if (teacher)
                same += top == argmax(tout[0] + b * classes, classes);
        }
        done += count;
        if (cancel && *cancel)
            st = et_fail(err, ET_E_CANCELLED, "cancelled while evaluating");
    }
    if (st == ET_OK && done > 0) {
        *acc = labelled ? (double)correct / (double)labelled : -1.0;
        *agree = teacher ? (double)same / (double)done : -1.0;
    }
    for (int o = 0; tout && o < n_out; o++)
        free(tout[o]);
    free(tout), free(rows), free(idx), free(labels);
    return st;
}

/* Activation ranges of fake quantization from the calibration samples (nothing to do without any). */
static et_status calibrate(run_ctx *rc) {
    if (et_tnet_n_act_ranges(rc->net) == 0)
        return ET_OK;
    report(rc, ET_TRAIN_CALIBRATING, true);
    const et_train_source *src = rc->calib ? rc->calib : rc->train;
    int64_t n = src->n < rc->cfg->calib_samples ? src->n : rc->cfg->calib_samples;
    int64_t *idx = malloc((size_t)rc->cfg->batch * sizeof *idx);
    if (!idx)
        return et_fail(rc->err, ET_E_NOMEM, "out of memory calibrating");
    et_status st = ET_OK;
    et_tnet_calibrate_begin(rc->net);
    for (int64_t at = 0; st == ET_OK && at < n; at += rc->cfg->batch) {
        int count = (int)(n - at < rc->cfg->batch ? n - at : rc->cfg->batch);
        for (int b = 0; b < count; b++)
            idx[b] = at + b;
        if ((st = load_batch(rc, src, -1, idx, count)) == ET_OK)
            st = et_tnet_forward(rc->net, count, false, rc->err);
    }
    et_tnet_calibrate_end(rc->net);
    free(idx);
    return st;
}

/* ---- epochs ------------------------------------------------------------------------------------------------- */

static et_status finish_epoch(run_ctx *rc) {
    et_train_state *s = rc->st;
    et_epoch_record *e = &s->history[s->n_history];
    *e = (et_epoch_record){.epoch = s->epochs_done + 1,
                           .steps = s->step_in_epoch,
                           .samples = s->sum_samples,
                           .lr = rc->lr,
                           .seconds = s->sum_seconds,
                           .eval_acc = -1,
                           .eval_agree = -1};
    double n = s->sum_samples ? (double)s->sum_samples : 1.0;
    e->loss = s->sum_loss / n, e->kd = s->sum_kd / n, e->ce = s->sum_ce / n;
    e->train_agree = (double)s->sum_agree / n;
    e->train_acc = s->sum_labelled ? (double)s->sum_correct / (double)s->sum_labelled : -1.0;
    e->samples_per_s = s->sum_seconds > 0 ? (double)s->sum_samples / s->sum_seconds : 0;
    e->sparsity = et_train_sparsity(rc->net, rc->cfg->prunable);
    if (rc->eval && rc->eval->n > 0) {
        report(rc, ET_TRAIN_EVALUATING, true);
        et_status st = et_train_evaluate(rc->net, rc->teacher, rc->eval, rc->cfg->cancel, &e->eval_acc, &e->eval_agree,
                                         rc->err);
        if (st != ET_OK)
            return st;
    }
    s->n_history++;
    s->epochs_done++;
    s->step_in_epoch = 0;
    s->sum_loss = s->sum_kd = s->sum_ce = s->sum_seconds = 0;
    s->sum_samples = s->sum_agree = s->sum_correct = s->sum_labelled = 0;
    snapshot(rc, false);
    return ET_OK;
}

static et_status save(run_ctx *rc) {
    if (!rc->cfg->checkpoint_path)
        return ET_OK;
    report(rc, ET_TRAIN_CHECKPOINT, true);
    et_status st = et_checkpoint_write(rc->cfg->checkpoint_path, rc->cfg->checkpoint_tag, rc->net, rc->opt, rc->st,
                                       rc->err);
    if (st != ET_OK)
        snprintf(rc->out->why, sizeof rc->out->why, "%s", rc->err->msg);
    return st;
}

static et_status run_epoch(run_ctx *rc) {
    et_train_state *s = rc->st;
    const int64_t n = rc->train->n, batch = rc->cfg->batch;
    et_status st = calibrate(rc);
    shuffle(rc->perm, n, rc->cfg->seed, s->epochs_done);
    for (int64_t b = s->step_in_epoch; st == ET_OK && b < rc->steps_per_epoch; b++) {
        if (rc->cfg->cancel && *rc->cfg->cancel) {
            snprintf(rc->out->why, sizeof rc->out->why, "stopped at step %lld (epoch %d, batch %lld of %lld)",
                     (long long)s->global_step, s->epochs_done + 1, (long long)b, (long long)rc->steps_per_epoch);
            rc->out->stop_step = s->global_step;
            return save(rc) == ET_OK ? ET_E_CANCELLED : ET_E_IO;
        }
        int64_t at = b * batch;
        st = step(rc, rc->perm + at, (int)(n - at < batch ? n - at : batch));
        report(rc, ET_TRAIN_TRAINING, false);
    }
    if (st == ET_OK)
        st = finish_epoch(rc);
    if (st == ET_E_CANCELLED) { /* while evaluating: the epoch's steps are done, the checkpoint keeps them (a
                                   resume evaluates and closes the epoch); without it the stop would leave none */
        snprintf(rc->out->why, sizeof rc->out->why,
                 "stopped at step %lld while evaluating epoch %d (its steps are done)", (long long)s->global_step,
                 s->epochs_done + 1);
        rc->out->stop_step = s->global_step;
        return save(rc) == ET_OK ? ET_E_CANCELLED : ET_E_IO;
    }
    if (st == ET_OK)
        st = save(rc);
    return st;
}

/* ---- setup -------------------------------------------------------------------------------------------------- */

static et_status setup(run_ctx *rc) {
    et_tnet *net = rc->net;
    const int batch = rc->cfg->batch;
    rc->n_in = et_tnet_n_inputs(net);
    rc->n_out = et_tnet_n_outputs(net);
    rc->rows = calloc((size_t)rc->n_in + 1, sizeof *rc->rows);
    rc->tout = calloc((size_t)rc->n_out + 1, sizeof *rc->tout);
    rc->classes = calloc((size_t)rc->n_out + 1, sizeof *rc->classes);
    rc->labels = calloc((size_t)batch, sizeof *rc->labels);
    rc->perm = malloc((size_t)(rc->train->n > 0 ? rc->train->n : 1) * sizeof *rc->perm);
    rc->snap_params = calloc((size_t)et_tnet_n_params(net) + 1, sizeof *rc->snap_params);
    rc->snap_buffers = calloc((size_t)et_tnet_n_buffers(net) + 1, sizeof *rc->snap_buffers);
    if (!rc->rows || !rc->tout || !rc->classes || !rc->labels || !rc->perm || !rc->snap_params || !rc->snap_buffers)
        return et_fail(rc->err, ET_E_NOMEM, "out of memory for training");
    for (int o = 0; o < rc->n_out; o++) {
        const et_tval *v = &net->values[net->outputs[o]];
        rc->classes[o] = v->shape.rank == 2 ? v->shape.dim[1] : 0;
        if (!(rc->tout[o] = malloc((size_t)(batch * v->numel) * sizeof(float))))
            return et_fail(rc->err, ET_E_NOMEM, "out of memory for training");
    }
    for (int i = 0; i < et_tnet_n_params(net); i++)
        if (!(rc->snap_params[i] = malloc((size_t)et_tnet_param(net, i)->numel * sizeof(float))))
            return et_fail(rc->err, ET_E_NOMEM, "out of memory for training");
    for (int i = 0; i < et_tnet_n_buffers(net); i++)
        if (!(rc->snap_buffers[i] = malloc((size_t)et_tnet_buffer(net, i)->numel * sizeof(float))))
            return et_fail(rc->err, ET_E_NOMEM, "out of memory for training");
    rc->steps_per_epoch = (rc->train->n + batch - 1) / batch;
    rc->total_steps = rc->steps_per_epoch * rc->cfg->epochs;
    rc->sched = (et_schedule){.lr = rc->cfg->lr,
                              .min_lr = rc->cfg->min_lr,
                              .total = rc->total_steps,
                              .warmup = (int64_t)(rc->cfg->warmup_frac * (float)rc->total_steps)};
    int64_t window = (int64_t)(rc->cfg->prune_end_frac * (float)rc->total_steps);
    rc->prune = (et_prune_schedule){.target = rc->cfg->prune_target,
                                    .global = rc->cfg->prune_global,
                                    .end_step = window > 1 ? window : 1,
                                    .every = window / 50 > 1 ? window / 50 : 1};
    return ET_OK;
}

static void teardown(run_ctx *rc) {
    for (int o = 0; rc->tout && o < rc->n_out; o++)
        free(rc->tout[o]);
    for (int i = 0; rc->snap_params && i < et_tnet_n_params(rc->net); i++)
        free(rc->snap_params[i]);
    for (int i = 0; rc->snap_buffers && i < et_tnet_n_buffers(rc->net); i++)
        free(rc->snap_buffers[i]);
    free(rc->rows), free(rc->tout), free(rc->classes), free(rc->labels), free(rc->perm);
    free(rc->snap_params), free(rc->snap_buffers);
}

et_status et_train_run(et_tnet *net, et_optim *opt, et_teacher *teacher, const et_train_source *train,
                       const et_train_source *eval, const et_train_source *calib, const et_train_config *cfg,
                       et_train_state *state, et_train_outcome *out, et_err *err) {
    *out = (et_train_outcome){0};
    if (cfg->epochs < 1 || cfg->epochs > ET_TRAIN_MAX_EPOCHS || cfg->batch < 1 || cfg->batch > net->opt.batch)
        return et_fail(err, ET_E_USAGE, "epochs must be 1..%d and the batch 1..%d", ET_TRAIN_MAX_EPOCHS,
                       net->opt.batch);
    if (train->n < 1)
        return et_fail(err, ET_E_INPUT, "no training samples");
    run_ctx rc = {.net = net,
                  .opt = opt,
                  .teacher = teacher,
                  .train = train,
                  .eval = eval,
                  .calib = calib,
                  .cfg = cfg,
                  .st = state,
                  .out = out,
                  .err = err};
    et_status st = setup(&rc);
    if (st == ET_OK && cfg->prunable && state->global_step == 0)
        st = prune_to(&rc, 0);
    if (st == ET_OK)
        snapshot(&rc, false);
    rc.lr = et_schedule_lr(&rc.sched, state->global_step);
    while (st == ET_OK && state->epochs_done < cfg->epochs)
        st = run_epoch(&rc);
    if (st == ET_E_RUNTIME)
        snapshot(&rc, true); /* the weights of the last completed epoch, not the broken ones */
    if (st == ET_OK)
        report(&rc, ET_TRAIN_TRAINING, true);
    teardown(&rc);
    return st;
}
