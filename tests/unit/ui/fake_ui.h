/* fake_ui.h: fixed, made-up data for the UI tests and the golden screens: two runs (an fp32 baseline and a w8a8
 * run pruned 30 %) with every section filled, a history of runs, and a backend that records what the views ask
 * of it. Nothing comes from the machine (no host name, no clock), so the screens are the same everywhere. */
#ifndef ET_TEST_FAKE_UI_H
#define ET_TEST_FAKE_UI_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

/* variant 0: fp32 baseline; 1: w8 a8, 30 % pruned, faster and smaller. */
static inline void fake_ui_result(et_result *r, int variant) {
    et_result_free(r);
    et_result_init(r);
    bool q = variant == 1;
    snprintf(r->uuid, sizeof r->uuid,
             q ? "22222222-2222-4222-8222-222222222222" : "11111111-1111-4111-8111-111111111111");
    r->started_unix_ms = 1760000000000ll + variant * 60000;
    r->status = ET_RUN_OK;
    snprintf(r->model.name, sizeof r->model.name, "mobilenet_v2.onnx");
    snprintf(r->model.path, sizeof r->model.path, "/models/mobilenet_v2.onnx");
    snprintf(r->model.sha256, sizeof r->model.sha256, "%064d", 7);
    r->model.file_bytes = 14 << 20;
    r->model.params = 3500000;
    r->model.macs = 300000000;
    snprintf(r->host.hostname, sizeof r->host.hostname, "pi5");
    snprintf(r->host.cpu, sizeof r->host.cpu, "Cortex-A76");
    snprintf(r->host.arch, sizeof r->host.arch, "aarch64");
    snprintf(r->host.board, sizeof r->host.board, "Raspberry Pi 5 Model B Rev 1.0");
    r->host.cores = 4;
    r->knobs = et_knobs_default();
    r->knobs.threads = 4;
    if (q) {
        r->knobs.weight_bits = 8;
        r->knobs.act_bits = 8;
        r->knobs.prune_ratio = 0.3f;
    }
    snprintf(r->engine.isa, sizeof r->engine.isa, "neon+dot");
    snprintf(r->engine.exec, sizeof r->engine.exec, "native");
    r->warmup_iters = 5;
    r->prepare_ms = q ? 412.5 : 35.0;
    double base = q ? 4.1 : 9.8;
    int n = 240;
    r->samples_ms = malloc((size_t)n * sizeof *r->samples_ms);
    r->n_samples = r->iters = n;
    for (int i = 0; i < n; i++) /* a slow start that settles, a few outliers */
        r->samples_ms[i] = base * (1.0 + 0.04 * sin(i * 0.7) + (i < 20 ? 0.2 * (20 - i) / 20.0 : 0.0) +
                                   (i % 53 == 0 ? 0.35 : 0.0));
    et_latency_stats_compute(r->samples_ms, n, &r->latency);
    r->memory.status = ET_AVAIL_OK;
    r->memory.why[0] = '\0';
    r->memory.peak_rss_bytes = q ? 38 << 20 : 61 << 20;
    snprintf(r->memory.peak_rss_method, sizeof r->memory.peak_rss_method, "clear_refs+VmHWM");
    r->memory.weights_bytes = q ? 3670016 : 14 << 20;
    r->memory.weights_deploy_bytes = q ? 2569011 : 14 << 20;
    r->memory.arena_bytes = q ? 1 << 20 : 4 << 20;
    r->deployed.status = ET_AVAIL_OK;
    r->deployed.why[0] = '\0';
    r->deployed.weights_bytes = q ? 3670016 : 14 << 20;
    r->deployed.arena_bytes = r->memory.arena_bytes;
    r->deployed.runtime_bytes = 4 << 20;
    r->deployed.peak_bytes = r->deployed.weights_bytes + r->deployed.arena_bytes + r->deployed.runtime_bytes;
    r->deployed.load_peak_bytes = 2 * r->deployed.peak_bytes;
    snprintf(r->deployed.method, sizeof r->deployed.method, "separate process, VmHWM after clear_refs");
    r->n_counters = 3;
    r->counters = calloc(3, sizeof *r->counters);
    static const char *const labels[] = {"cycles", "instructions", "cache-misses (LLC)"};
    static const char *const names[] = {"perf::CYCLES", "perf::INSTRUCTIONS", "perf::CACHE-MISSES"};
    for (int i = 0; i < 3; i++) {
        et_counter *c = &r->counters[i];
        snprintf(c->name, sizeof c->name, "%s", names[i]);
        snprintf(c->label, sizeof c->label, "%s", labels[i]);
        c->status = ET_AVAIL_OK;
        c->enabled_ns = c->running_ns = 1000000000ull;
        double per = i == 0 ? base * 2.4e6 : i == 1 ? base * 2.4e6 * (q ? 2.9 : 2.1) : (q ? 1.2e4 : 3.1e4);
        c->value_per_inf = per;
        c->value = per * n;
        c->raw = (uint64_t)c->value;
    }
    r->power.status = ET_AVAIL_OK;
    r->power.why[0] = '\0';
    snprintf(r->power.source, sizeof r->power.source, "pi5-pmic");
    r->power.avg_power_w = q ? 5.1 : 5.9;
    r->power.energy_per_inf_mj = r->power.avg_power_w * base;
    r->power.energy_j = r->power.energy_per_inf_mj * n / 1000.0;
    r->thermal.status = ET_AVAIL_OK;
    r->thermal.why[0] = '\0';
    r->thermal.n_zones = 1;
    snprintf(r->thermal.zone[0], sizeof r->thermal.zone[0], "cpu-thermal");
    r->thermal.temp_start_c[0] = q ? 61.2 : 55.0;
    r->thermal.temp_end_c[0] = q ? 63.8 : 61.2;
    r->thermal.cpu_mhz_start = r->thermal.cpu_mhz_max = 2400;
    r->thermal.cpu_mhz_end = q ? 1800 : 2400;
    r->thermal.throttled = q;
    snprintf(r->thermal.throttle_why, sizeof r->thermal.throttle_why, "%s", q ? "soft temperature limit" : "");
    r->fidelity.status = ET_AVAIL_OK;
    r->fidelity.why[0] = '\0';
    r->fidelity.n_inputs = 64;
    snprintf(r->fidelity.eval_source, sizeof r->fidelity.eval_source, "/models/mobilenet_v2.eval");
    r->fidelity.accuracy = q ? 0.703 : 0.719;
    r->fidelity.baseline_accuracy = 0.719;
    r->fidelity.n_outputs = 1;
    r->fidelity.outputs = calloc(1, sizeof *r->fidelity.outputs);
    et_output_fidelity *o = &r->fidelity.outputs[0];
    snprintf(o->output, sizeof o->output, "logits");
    o->top1_agreement = q ? 0.953 : 1.0;
    o->top5_agreement = q ? 0.992 : 1.0;
    o->cosine = q ? 0.99412 : 1.0;
    o->sqnr_db = q ? 21.7 : INFINITY;
    o->max_abs_err = q ? 0.8125 : 0.0;
    static const char *const ops[] = {"Conv", "Conv", "Conv", "Conv", "Gemm", "GlobalAveragePool"};
    r->n_layers = 6;
    r->layers = calloc(6, sizeof *r->layers);
    double share[6] = {0.31, 0.22, 0.18, 0.14, 0.12, 0.03};
    for (int i = 0; i < 6; i++) {
        et_layer_profile *l = &r->layers[i];
        snprintf(l->name, sizeof l->name, i < 4 ? "/features/features.%d/conv/Conv" : "/classifier/layer_%d", i);
        snprintf(l->op, sizeof l->op, "%s", ops[i]);
        snprintf(l->kernel, sizeof l->kernel, "%s", q ? "qs8-igemm-4x16-neondot" : "f32-igemm-6x16-neon");
        snprintf(l->precision, sizeof l->precision, "%s", q && i > 0 && i < 4 ? "int8" : "fp32");
        l->time_ms = base * share[i];
        l->macs = (int64_t)(share[i] * 3e8);
        l->recon_err_before = l->recon_err_after = NAN; /* no recovery */
    }
}

/* A snapshot: the w8a8 run settled and stored as run 12 against the fp32 baseline run 11 (marked). */
static inline void fake_ui_snapshot(et_worker_snapshot *s) {
    et_worker_snapshot_free(s);
    fake_ui_result(&s->current, 1);
    fake_ui_result(&s->baseline, 0);
    s->have_current = s->have_baseline = true;
    s->state = ET_WORKER_SETTLED;
    s->knobs = s->current.knobs;
    s->model = s->current.model;
    s->host = s->current.host;
    s->current_run_id = 12;
    s->current_seconds = 3.2;
    s->baseline_run_id = 11;
    snprintf(s->baseline_why, sizeof s->baseline_why, "run 11 (marked baseline)");
    s->runs_saved = 2;
    s->last_saved_run_id = 12;
    s->seq = 1;
}

/* A history of n runs (newest first). */
static inline et_run_summary *fake_ui_runs(int n) {
    et_run_summary *runs = calloc((size_t)n, sizeof *runs);
    static const int bits[] = {32, 8, 4, 8, 16, 32, 6};
    static const float prune[] = {0.0f, 0.3f, 0.0f, 0.5f, 0.0f, 0.0f, 0.2f};
    for (int i = 0; i < n; i++) {
        et_run_summary *r = &runs[i];
        int k = i % 7;
        r->id = n - i;
        snprintf(r->uuid, sizeof r->uuid, "%08d-0000-4000-8000-%012d", n - i, n - i);
        r->started_unix_ms = 1760000000000ll - (int64_t)i * 3600000;
        r->status = i == 3 ? ET_RUN_ABORTED : ET_RUN_OK;
        r->is_baseline = i == 5;
        snprintf(r->label, sizeof r->label, "%s", i == 1 ? "candidate" : "");
        snprintf(r->model, sizeof r->model, "%s", i % 3 == 2 ? "resnet18.onnx" : "mobilenet_v2.onnx");
        snprintf(r->hostname, sizeof r->hostname, "%s", i % 4 == 3 ? "jetson" : "pi5");
        r->knobs = et_knobs_default();
        r->knobs.weight_bits = bits[k];
        r->knobs.act_bits = bits[k] <= 8 ? 8 : 32;
        r->knobs.prune_ratio = prune[k];
        r->knobs.threads = 4;
        snprintf(r->exec, sizeof r->exec, "%s", bits[k] == 6 ? "simulated" : "native");
        r->iters = 200 + 10 * i;
        r->p50_ms = 9.8 * (bits[k] >= 16 ? 1.0 : 0.45) * (1.0 - 0.3 * prune[k]) + 0.01 * i;
        r->p99_ms = r->p50_ms * 1.3;
        r->peak_rss_bytes = (bits[k] >= 16 ? 61.0 : 38.0) * 1048576.0;
        r->deployed_bytes = (bits[k] >= 16 ? 22.0 : bits[k] >= 8 ? 9.5 : 7.0) * 1048576.0;
        r->energy_per_inf_mj = i == 3 ? NAN : r->p50_ms * 5.5;
    }
    return runs;
}

/* The backend the views drive in tests: it counts calls and keeps the last knobs. */
typedef struct fake_backend {
    et_ui_backend ops;
    int set_knobs_calls, remeasure_calls, mark_calls, compare_calls, open_calls;
    et_knobs last_knobs;
    int n_runs;
    int64_t compared[16];
    int n_compared;
    char opened[ET_PATH_MAX];
    /* training: what the training dialog asked for */
    int train_start_calls, train_cancel_calls, train_close_calls, train_resume_calls;
    char train_data[ET_PATH_MAX], train_out[ET_PATH_MAX], train_student[ET_PATH_MAX];
    int train_epochs;
    bool train_gradual, train_distill, train_resume;
    char train_ckpt_for[ET_PATH_MAX]; /* the output whose checkpoint "exists" ("" none) */
    float train_lr, train_fkd;
    et_knobs train_knobs;
    bool with_sens; /* sensitivity: two stored points for two layers (else none) */
    int sens_calls;
    /* search: what the search view asked for */
    int search_start_calls, search_cancel_calls, search_close_calls, search_write_calls;
    et_search_worker_options search_opts; /* its strings are not kept */
    char search_cands[256], search_written[ET_PATH_MAX];
} fake_backend;

static void fake_set_knobs(void *ctx, const et_knobs *k) {
    fake_backend *b = ctx;
    b->set_knobs_calls++;
    b->last_knobs = *k;
}
static void fake_remeasure(void *ctx) { ((fake_backend *)ctx)->remeasure_calls++; }
static void fake_mark(void *ctx) { ((fake_backend *)ctx)->mark_calls++; }
static et_status fake_list_runs(void *ctx, et_run_summary **out, int *n, et_err *err) {
    (void)err;
    fake_backend *b = ctx;
    *out = fake_ui_runs(b->n_runs);
    *n = b->n_runs;
    return ET_OK;
}
static et_status fake_compare(void *ctx, const int64_t *ids, int n, et_table **out, et_err *err) {
    (void)err;
    fake_backend *b = ctx;
    b->compare_calls++;
    b->n_compared = n < 16 ? n : 16;
    memcpy(b->compared, ids, (size_t)b->n_compared * sizeof *ids);
    et_table *t = et_table_new("compare");
    et_table_col run = {.key = "run", .header = "run", .kind = ET_COL_INT};
    et_table_col cfg = {.key = "config", .header = "config", .kind = ET_COL_TEXT};
    et_table_col speed = {.key = "speedup",
                          .header = "speed-up",
                          .kind = ET_COL_RATIO,
                          .decimals = 2,
                          .better = ET_BETTER_HIGHER,
                          .up_word = "faster",
                          .down_word = "slower"};
    et_table_col delta = {.key = "accuracy_delta_pp",
                          .header = "accuracy",
                          .unit = "pp",
                          .kind = ET_COL_DELTA,
                          .decimals = 1,
                          .better = ET_BETTER_HIGHER};
    /* for the scatter plot under the table: the baseline flag, p50 and accuracy */
    et_table_col base = {.key = "baseline", .header = "base", .kind = ET_COL_BOOL};
    et_table_col p50 = {.key = "latency_p50_ms", .header = "p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 2};
    et_table_col acc = {.key = "accuracy_pct", .header = "accuracy", .unit = "%", .kind = ET_COL_REAL, .decimals = 2};
    et_table_add_col(t, &run);
    et_table_add_col(t, &cfg);
    et_table_add_col(t, &speed);
    et_table_add_col(t, &delta);
    et_table_add_col(t, &base);
    et_table_add_col(t, &p50);
    et_table_add_col(t, &acc);
    for (int i = 0; i < n; i++) {
        int r = et_table_add_row(t);
        et_table_set_num(t, r, 0, (double)ids[i]);
        et_table_set_text(t, r, 1, i == 0 ? "fp32, 4 thr" : "w8a8 prune 30%, 4 thr");
        et_table_set_num(t, r, 2, i == 0 ? 1.0 : 2.39 - 0.7 * i);
        et_table_set_num(t, r, 3, i == 0 ? NAN : -1.6 + 2.0 * (i - 1));
        et_table_set_num(t, r, 4, i == 0);
        et_table_set_num(t, r, 5, i == 0 ? 9.87 : 9.87 / (2.39 - 0.7 * i));
        et_table_set_num(t, r, 6, i == 0 ? 71.9 : 71.9 - 1.6 + 2.0 * (i - 1));
    }
    et_table_add_note(t, "speed-up = baseline p50 / run p50");
    *out = t;
    return ET_OK;
}
static et_status fake_open(void *ctx, const char *path, et_err *err) {
    fake_backend *b = ctx;
    b->open_calls++;
    if (strstr(path, "missing"))
        return et_fail(err, ET_E_IO, "%s: no such file", path);
    snprintf(b->opened, sizeof b->opened, "%s", path);
    return ET_OK;
}

static et_status fake_train_start(void *ctx, et_train_job_options *o, et_err *err) {
    fake_backend *b = ctx;
    b->train_start_calls++;
    if (strstr(o->data_path, "missing"))
        return et_fail(err, ET_E_INPUT, "--data %s: no such file or folder", o->data_path);
    /* as et_train_job_check words it for a student with other outputs (tests/unit/bench checks the real one) */
    if (o->kind == ET_TRAIN_DISTILL && strstr(o->student_path, "digits"))
        return et_fail(err, ET_E_INPUT,
                       "the student %s: its output 0 is [1,10], the teacher's [1,1000]; distillation needs the same "
                       "inputs and outputs",
                       o->student_path);
    if (o->resume && strcmp(o->out_path, b->train_ckpt_for) != 0)
        return et_fail(err, ET_E_USAGE, "--resume: there is no checkpoint %s.ckpt to continue; train without --resume",
                       o->out_path);
    snprintf(b->train_data, sizeof b->train_data, "%s", o->data_path);
    snprintf(b->train_student, sizeof b->train_student, "%s", o->student_path ? o->student_path : "");
    b->train_distill = o->kind == ET_TRAIN_DISTILL;
    b->train_resume = o->resume;
    snprintf(b->train_out, sizeof b->train_out, "%s", o->out_path);
    b->train_epochs = o->epochs;
    b->train_gradual = o->gradual;
    b->train_lr = o->lr;
    b->train_fkd = o->feature_kd;
    b->train_knobs = o->knobs;
    return ET_OK;
}
static et_status fake_train_resume(void *ctx, et_err *err) {
    (void)err;
    fake_backend *b = ctx;
    b->train_resume_calls++;
    b->train_resume = true;
    return ET_OK;
}
static bool fake_train_checkpoint(void *ctx, const char *out_path) {
    fake_backend *b = ctx;
    return b->train_ckpt_for[0] && strcmp(out_path, b->train_ckpt_for) == 0;
}
static void fake_train_cancel(void *ctx) { ((fake_backend *)ctx)->train_cancel_calls++; }
static void fake_train_close(void *ctx) { ((fake_backend *)ctx)->train_close_calls++; }

/* A training job's snapshot: 3 epochs of 313 steps over 20,000 samples of a w8a8, 30 % pruned model; two epochs
 * done, the third at step 120 (finished: all three done, the file written and stored as run 13). */
static inline void fake_ui_train(et_train_snapshot *s, bool finished) {
    et_train_snapshot_free(s);
    s->seq = 7;
    s->epochs = 3;
    s->elapsed_s = finished ? 96.4 : 71.2;
    et_train_record *t = &s->record;
    snprintf(t->data_path, sizeof t->data_path, "/models/mobilenet_v2.train");
    snprintf(t->eval_source, sizeof t->eval_source, "/models/mobilenet_v2.eval (64 inputs)");
    t->data_samples = 20000;
    t->acc_fp32 = 0.719;
    t->acc_before = 0.612;
    static const double loss[3] = {0.3120, 0.0871, 0.0412}, acc[3] = {0.6720, 0.7030, 0.7110};
    for (int e = 0; e < (finished ? 3 : 2); e++) {
        et_train_epoch ep = {.epoch = e + 1,
                             .steps = 313,
                             .samples = 20000,
                             .loss = loss[e],
                             .kd = loss[e],
                             .eval_acc = acc[e],
                             .eval_agree = acc[e] + 0.2,
                             .train_acc = -1,
                             .train_agree = 0.9,
                             .lr = 0.001,
                             .sparsity = 0.3,
                             .seconds = 29.5 + e,
                             .samples_per_s = 20000 / (29.5 + e)};
        et_train_record_add_epoch(t, &ep);
    }
    if (finished) {
        s->finished = true;
        s->phase = ET_JOB_DONE;
        s->status = ET_OK;
        s->run_id = 13;
        t->acc_after = 0.711;
        snprintf(t->output_path, sizeof t->output_path, "mobilenet_v2-trained.onnx");
        snprintf(s->out_path, sizeof s->out_path, "mobilenet_v2-trained.onnx");
        return;
    }
    s->phase = ET_JOB_TRAINING;
    s->training = true;
    s->epoch = 3;
    s->step_in_epoch = 120, s->steps_per_epoch = 313;
    s->global_step = 746, s->total_steps = 939;
    s->loss = 0.0433;
    s->samples_per_s = 655.0;
    s->eta_s = 18.9;
    snprintf(s->note, sizeof s->note, "training data: /models/mobilenet_v2.train, 20000 samples (61.3 MiB in memory)");
}

static et_status fake_sensitivity(void *ctx, int64_t run_id, const char *eval_hash, et_sens_point **out, int *n,
                                  et_err *err) {
    (void)eval_hash, (void)err;
    fake_backend *b = ctx;
    b->sens_calls++;
    *out = NULL;
    *n = 0;
    if (!b->with_sens)
        return ET_OK;
    static const struct {
        const char *layer, *cand;
        double pp;
    } pts[] = {{"/features/features.1/conv/Conv", "bits=4", -0.25},
               {"/features/features.1/conv/Conv", "prune=0.5", -3.5},
               {"/classifier/layer_4", "bits=4", -1.0}};
    *out = calloc(3, sizeof **out);
    for (int i = 0; i < 3; i++) {
        et_sens_point *p = &(*out)[i];
        snprintf(p->layer, sizeof p->layer, "%s", pts[i].layer);
        snprintf(p->candidate, sizeof p->candidate, "%s", pts[i].cand);
        p->measured = true;
        p->quality_delta_pp = pts[i].pp;
        p->from_run = run_id - 2;
    }
    *n = 3;
    return ET_OK;
}

static et_status fake_search_start(void *ctx, et_search_worker_options *o, et_err *err) {
    fake_backend *b = ctx;
    b->search_start_calls++;
    if (o->candidates && strstr(o->candidates, "bogus"))
        return et_fail(err, ET_E_USAGE, "candidate 'bogus': give ','-separated --layer keys");
    b->search_opts = *o;
    snprintf(b->search_cands, sizeof b->search_cands, "%s", o->candidates ? o->candidates : "");
    return ET_OK;
}
static void fake_search_cancel(void *ctx) { ((fake_backend *)ctx)->search_cancel_calls++; }
static void fake_search_close(void *ctx) { ((fake_backend *)ctx)->search_close_calls++; }
static et_status fake_search_write(void *ctx, const char *path, et_err *err) {
    fake_backend *b = ctx;
    b->search_write_calls++;
    if (strstr(path, "/nonexistent"))
        return et_fail(err, ET_E_IO, "cannot write %s; give a path in a writable folder", path);
    snprintf(b->search_written, sizeof b->search_written, "%s", path);
    return ET_OK;
}

/* A search's snapshot: mobilenet_v2 at w8a8, latency within 1 pp; the reference, the base, a uniform grid of 8
 * and 4 finalists, measured in part (running: round 1, the grid's point 5 of 8, 9 of 14 points measured) or all
 * (finished: the winner finalist 2, 19.4 % faster than the best uniform w4a8; stored as 14 runs). */
static inline void fake_ui_search(et_search_snapshot *s, bool finished) {
    memset(s, 0, sizeof *s);
    s->seq = 7;
    s->objective = ET_SEARCH_LATENCY;
    s->max_drop_pp = 1.0;
    s->is_accuracy = true;
    s->n_search = s->n_heldout = 250;
    static const struct {
        et_search_kind kind;
        const char *name;
        double p50, kib, drop, held;
    } pts[] = {{ET_SP_REFERENCE, "fp32", 9.87, 13600.0, 0.0, 0.0},
               {ET_SP_BASE, "w8a8 + 30% unstructured", 4.12, 3400.0, 0.8, 1.2},
               {ET_SP_UNIFORM, "w8", 7.95, 3400.0, 0.0, 0.4},
               {ET_SP_UNIFORM, "w8a8", 3.98, 3400.0, 0.4, 0.4},
               {ET_SP_UNIFORM, "w4", 7.90, 1700.0, 2.8, 3.2},
               {ET_SP_UNIFORM, "w4a8", 3.61, 1700.0, 0.8, 1.2},
               {ET_SP_UNIFORM, "w8a8 + 25% channel", 3.02, 2550.0, 1.6, 2.0},
               {ET_SP_UNIFORM, "w8a8 + 50% channel", 2.21, 1700.0, 6.4, 7.6},
               {ET_SP_UNIFORM, "w4a8 + 25% channel", 2.84, 1275.0, 2.4, 2.8},
               {ET_SP_UNIFORM, "w4a8 + 50% channel", 2.05, 850.0, 9.6, 11.2},
               {ET_SP_FINALIST, "finalist 1 (12 layers, budget 1.00 pp)", 2.91, 1450.0, 1.2, 1.6},
               {ET_SP_FINALIST, "finalist 2 (9 layers, budget 0.75 pp)", 2.91, 1610.0, 0.8, 1.0},
               {ET_SP_FINALIST, "finalist 3 (5 layers, budget 0.50 pp)", 3.22, 2200.0, 0.4, 0.8},
               {ET_SP_FINALIST, "w4a8 per layer (the start)", 3.60, 1700.0, 0.8, 1.2}};
    s->n_pts = (int)(sizeof pts / sizeof pts[0]);
    int n_measured = finished ? s->n_pts : 9;
    for (int i = 0; i < s->n_pts; i++) {
        et_search_snap_point *p = &s->pts[i];
        p->kind = pts[i].kind;
        snprintf(p->name, sizeof p->name, "%s", pts[i].name);
        p->measured = i < n_measured;
        p->p50_ms = p->measured ? pts[i].p50 : NAN;
        p->bytes = p->measured ? (int64_t)(pts[i].kib * 1024.0) : 0;
        p->drop_search_pp = p->measured ? pts[i].drop : NAN;
        p->drop_heldout_pp = p->measured ? pts[i].held : NAN;
        p->n_changed = p->kind == ET_SP_FINALIST ? 9 : 0;
        p->paired_p50_ms = p->pred_p50_ms = p->pred_err_pct = NAN;
        if (finished && p->kind == ET_SP_FINALIST) { /* predicted 3 % over, the start 12 % under */
            p->paired_p50_ms = pts[i].p50;
            p->pred_err_pct = i == 13 ? -12.0 : 3.0;
            p->pred_p50_ms = pts[i].p50 * (1.0 + p->pred_err_pct / 100.0);
            p->pred_paired = true;
        }
    }
    s->n_measured = n_measured;
    s->winner = s->best_uniform = -1;
    s->rounds = 2;
    if (!finished) {
        snprintf(s->phase, sizeof s->phase, "uniform");
        s->done = 5, s->total = 8, s->round = 1;
        s->left_s = 41.0, s->elapsed_s = 73.4;
        snprintf(s->line, sizeof s->line, "round 1 of 2: uniform 5 of 8 (w4a8 + 25%% channel), time left ~41 s");
        return;
    }
    snprintf(s->phase, sizeof s->phase, "done");
    s->finished = true;
    s->winner = 11, s->best_uniform = 5;
    s->done = s->total = 4, s->round = 2;
    s->left_s = 0, s->elapsed_s = 161.2;
    snprintf(s->line, sizeof s->line, "round 2 of 2: finalist 4 of 4 (w4a8 per layer (the start)), time left ~0 s");
    s->winner_knobs = et_knobs_default();
    s->winner_knobs.weight_bits = 8, s->winner_knobs.act_bits = 8;
    snprintf(s->winner_knobs.layers, sizeof s->winner_knobs.layers,
             "/features/features.1/conv/Conv bits=4\n/features/features.2/conv/Conv prune=0.25,method=channel");
    s->status = ET_OK;
    snprintf(s->group, sizeof s->group, "search 20260315T101500");
    s->n_stored = 14;
    snprintf(s->pred_line, sizeof s->pred_line,
             "predicted p50 within 10 %% of measured: 3 of 4 finalists (mean |error| 5.2 %%, largest 12.0 %%; "
             "measured: the paired p50)");
}

static inline void fake_backend_init(fake_backend *b, int n_runs) {
    memset(b, 0, sizeof *b);
    b->n_runs = n_runs;
    b->ops = (et_ui_backend){.ctx = b,
                             .set_knobs = fake_set_knobs,
                             .remeasure = fake_remeasure,
                             .mark_baseline = fake_mark,
                             .list_runs = fake_list_runs,
                             .compare = fake_compare,
                             .open_model = fake_open,
                             .train_start = fake_train_start,
                             .train_resume = fake_train_resume,
                             .train_checkpoint = fake_train_checkpoint,
                             .train_cancel = fake_train_cancel,
                             .train_close = fake_train_close,
                             .sensitivity = fake_sensitivity,
                             .search_start = fake_search_start,
                             .search_cancel = fake_search_cancel,
                             .search_close = fake_search_close,
                             .search_write = fake_search_write};
}

/* A state as the program has it after start, with the fake snapshot. */
static inline void fake_ui_init(et_ui *ui, fake_backend *b, bool ascii) {
    et_knobs k = et_knobs_default();
    k.weight_bits = 8, k.act_bits = 8, k.prune_ratio = 0.3f, k.threads = 4;
    et_ui_init(ui, &b->ops, &k, ascii, 4, "neon+dot", "/data/runs.db");
    fake_ui_snapshot(&ui->snap);
    et_ui_snapshot_changed(ui);
}

#endif
