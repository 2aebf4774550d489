/* backend.c: the real et_ui_backend: the measurement worker (src/bench/worker.h), the training job
 * (src/bench/train_worker.h) and the UI thread's own database connection for the history and compare views (one
 * connection per thread, db.h). Opening another model starts a new session and worker first and stops the old
 * one only when that worked. */
#include "ui/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/train_data.h"
#include "db/report.h"

static void set_knobs(void *ctx, const et_knobs *k) {
    et_backend *b = ctx;
    b->knobs = *k;
    et_worker_set_knobs(b->worker, k);
}

static void remeasure(void *ctx) { et_worker_remeasure(((et_backend *)ctx)->worker); }
static void mark_baseline(void *ctx) { et_worker_mark_baseline(((et_backend *)ctx)->worker); }

static et_status list_runs(void *ctx, et_run_summary **out, int *n, et_err *err) {
    et_backend *b = ctx;
    et_run_filter f = et_run_filter_any();
    return et_db_list_runs(b->db, &f, out, n, err);
}

static et_status compare(void *ctx, const int64_t *ids, int n, et_table **out, et_err *err) {
    return et_db_compare(((et_backend *)ctx)->db, ids, n, 0, out, err);
}

static et_status sensitivity(void *ctx, int64_t run_id, const char *eval_hash, et_sens_point **out, int *n,
                             et_err *err) {
    et_db_sens_set set = {.eval_half = -1, .iters = 0, .saved_rule = ET_SENS_SAVED_RULE}; /* this build's points only */
    snprintf(set.eval_hash, sizeof set.eval_hash, "%s", eval_hash);
    return et_db_find_sensitivity(((et_backend *)ctx)->db, run_id, &set, out, n, err);
}

/* A new session and worker on so; the old ones stop only when that worked. */
static et_status open_with(et_backend *b, const et_session_options *so, et_err *err) {
    et_session *s = NULL;
    et_status st = et_session_open(so, &s, err);
    if (st != ET_OK)
        return st;
    et_worker *w = NULL;
    if ((st = et_worker_start(s, &b->knobs, &b->wopt, &w, err)) != ET_OK)
        return st;
    et_worker_stop(b->worker);
    b->worker = w;
    return ET_OK;
}

static et_status open_model(void *ctx, const char *path, et_err *err) {
    et_backend *b = ctx;
    et_session_options so = {.model_path = path, .profile_layers = true};
    et_status st = open_with(b, &so, err);
    if (st == ET_OK)
        b->have_sets = false; /* the workbench's --eval and --calib were for the other model */
    return st;
}

/* "" -> NULL */
static const char *or_null(const char *s) { return s[0] ? s : NULL; }

/* The trained file: the same inputs and outputs as the model it came from, measured on that model's sets. */
static et_status open_trained(void *ctx, const char *path, et_err *err) {
    et_backend *b = ctx;
    if (!b->have_sets)
        return open_model(ctx, path, err);
    et_session_options so = {.model_path = path,
                             .profile_layers = true,
                             .shapes = b->shapes,
                             .n_shapes = b->n_shapes,
                             .eval_dir = or_null(b->eval_dir),
                             .calib_dir = or_null(b->calib_dir),
                             .labels_path = or_null(b->labels_path),
                             .eval_limit = b->eval_limit};
    return open_with(b, &so, err);
}

void et_backend_keep_sets(et_backend *b, const et_session_options *so) {
    const char *model = so->model_path ? so->model_path : "";
    b->have_sets = true;
    if (so->eval_dir)
        snprintf(b->eval_dir, sizeof b->eval_dir, "%s", so->eval_dir);
    else if (!et_train_default_set(model, "eval", b->eval_dir, sizeof b->eval_dir))
        b->eval_dir[0] = '\0';
    if (so->calib_dir)
        snprintf(b->calib_dir, sizeof b->calib_dir, "%s", so->calib_dir);
    else if (!et_train_default_set(model, "calib", b->calib_dir, sizeof b->calib_dir))
        b->calib_dir[0] = '\0';
    snprintf(b->labels_path, sizeof b->labels_path, "%s", so->labels_path ? so->labels_path : "");
    b->eval_limit = so->eval_limit;
    b->shapes = so->shapes;
    b->n_shapes = so->n_shapes;
}

static et_status train_start(void *ctx, et_train_job_options *o, et_err *err) {
    et_backend *b = ctx;
    et_train_snapshot s;
    et_train_snapshot_init(&s);
    et_train_worker_snapshot(b->train, &s);
    bool running = b->train && !s.finished;
    et_train_snapshot_free(&s);
    if (running)
        return et_fail(err, ET_E_USAGE, "a training is running: wait for it or cancel it first");
    o->save = b->wopt.save;
    o->db_path = b->wopt.save ? b->wopt.db_path : NULL;
    o->deploy_exe = b->wopt.deploy_exe;
    if (b->have_sets) {
        o->eval_path = or_null(b->eval_dir);
        o->eval_labels = or_null(b->labels_path);
        o->eval_limit = b->eval_limit;
        o->calib_path = or_null(b->calib_dir);
        o->shapes = b->shapes;
        o->n_shapes = b->n_shapes;
    }
    /* what the job would refuse before training (a student with other inputs or outputs, no checkpoint to
     * resume, ...) is refused here, in the form, with the job's line */
    et_status st = et_train_job_check(o, err);
    et_train_worker *w = NULL;
    if (st == ET_OK)
        st = et_train_worker_start(o, b->wopt.wake_fd, &w, err);
    if (st != ET_OK)
        return st;
    et_train_worker_free(b->train); /* after: o may point into the previous job's options (train_resume) */
    b->train = w;
    return ET_OK;
}

/* The last job again, from its checkpoint: its own options (model, student, knobs, data, epochs, sets) with resume
 * set, so the checkpoint's settings match and the run records the aborted one as its parent. */
static et_status train_resume(void *ctx, et_err *err) {
    et_backend *b = ctx;
    const et_train_job_options *last = et_train_worker_options(b->train);
    if (!last)
        return et_fail(err, ET_E_USAGE, "no training to resume: start one from the form");
    et_train_job_options o = *last;
    o.resume = true;
    return train_start(ctx, &o, err);
}

static bool train_checkpoint(void *ctx, const char *out_path) {
    (void)ctx;
    char ckpt[ET_PATH_MAX];
    return et_train_job_checkpoint(out_path, ckpt, sizeof ckpt);
}

static void train_cancel(void *ctx) { et_train_worker_cancel(((et_backend *)ctx)->train); }

static void train_close(void *ctx) {
    et_backend *b = ctx;
    et_train_worker_free(b->train);
    b->train = NULL;
}

static et_status search_start(void *ctx, et_search_worker_options *o, et_err *err) {
    et_backend *b = ctx;
    et_search_snapshot *s = malloc(sizeof *s);
    if (!s)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    s->seq = 0;
    bool running = et_search_worker_snapshot(b->search, s) && !s->finished;
    free(s);
    if (running)
        return et_fail(err, ET_E_USAGE, "a search is running: wait for it or cancel it first");
    et_search_worker_free(b->search);
    b->search = NULL;
    o->db_path = b->wopt.save ? b->wopt.db_path : NULL;
    if (b->have_sets) {
        o->eval_dir = or_null(b->eval_dir);
        o->labels_path = or_null(b->labels_path);
        o->eval_limit = b->eval_limit;
        o->calib_dir = or_null(b->calib_dir);
        o->shapes = b->shapes;
        o->n_shapes = b->n_shapes;
    }
    return et_search_worker_start(o, b->wopt.wake_fd, &b->search, err);
}

static void search_cancel(void *ctx) { et_search_worker_cancel(((et_backend *)ctx)->search); }

static void search_close(void *ctx) {
    et_backend *b = ctx;
    et_search_worker_free(b->search);
    b->search = NULL;
}

static et_status search_write(void *ctx, const char *path, et_err *err) {
    return et_search_worker_write(((et_backend *)ctx)->search, path, err);
}

et_status et_backend_start(et_backend *b, et_session *s, const et_knobs *k, const et_worker_options *wopt,
                           et_err *err) {
    b->knobs = *k;
    b->wopt = *wopt;
    if (wopt->db_path) {
        snprintf(b->db_path, sizeof b->db_path, "%s", wopt->db_path);
        b->wopt.db_path = b->db_path;
    }
    b->ops = (et_ui_backend){.ctx = b,
                             .set_knobs = set_knobs,
                             .remeasure = remeasure,
                             .mark_baseline = mark_baseline,
                             .open_model = open_model,
                             .open_trained = open_trained,
                             .train_start = train_start,
                             .train_resume = train_resume,
                             .train_checkpoint = train_checkpoint,
                             .train_cancel = train_cancel,
                             .train_close = train_close,
                             .search_start = search_start,
                             .search_cancel = search_cancel,
                             .search_close = search_close,
                             .search_write = search_write};
    if (b->db) {
        b->ops.list_runs = list_runs;
        b->ops.compare = compare;
        b->ops.sensitivity = sensitivity;
    }
    return et_worker_start(s, k, &b->wopt, &b->worker, err);
}

void et_backend_stop(et_backend *b) {
    search_close(b);
    train_close(b);
    et_worker_stop(b->worker);
    b->worker = NULL;
}
