/* backend.c: the real et_ui_backend: the measurement worker (src/bench/worker.h) and the UI thread's own
 * database connection for the history and compare views (one connection per thread, db.h). Opening another
 * model starts a new session and worker first and stops the old one only when that worked. */
#include "ui/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    et_db_sens_set set = {.eval_half = -1, .iters = 0};
    snprintf(set.eval_hash, sizeof set.eval_hash, "%s", eval_hash);
    return et_db_find_sensitivity(((et_backend *)ctx)->db, run_id, &set, out, n, err);
}

static et_status open_model(void *ctx, const char *path, et_err *err) {
    et_backend *b = ctx;
    et_session_options so = {.model_path = path, .profile_layers = true};
    et_session *s = NULL;
    et_status st = et_session_open(&so, &s, err);
    if (st != ET_OK)
        return st;
    et_worker *w = NULL;
    if ((st = et_worker_start(s, &b->knobs, &b->wopt, &w, err)) != ET_OK)
        return st;
    et_worker_stop(b->worker);
    b->worker = w;
    return ET_OK;
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
                             .open_model = open_model};
    if (b->db) {
        b->ops.list_runs = list_runs;
        b->ops.compare = compare;
        b->ops.sensitivity = sensitivity;
    }
    return et_worker_start(s, k, &b->wopt, &b->worker, err);
}

void et_backend_stop(et_backend *b) {
    et_worker_stop(b->worker);
    b->worker = NULL;
}
