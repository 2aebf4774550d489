/* search_worker.c: the search on its own thread (search_worker.h, util/job_thread.h). The thread does what
 * `edgetune search` does (search_job.h: sessions, et_search_run, storing, -o) and publishes each step into a
 * snapshot under the mutex; the UI copies the snapshot out. The result stays with the worker until freed, for
 * et_search_worker_write. */
#include "search/search_worker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "search/search_job.h"
#include "search/search_pred.h"
#include "util/clock.h"
#include "util/job_thread.h"

enum { MAX_SHAPES = 16 };

struct et_search_worker {
    et_search_worker_options o;
    char model[ET_PATH_MAX], eval[ET_PATH_MAX], calib[ET_PATH_MAX], labels[ET_PATH_MAX], db[ET_PATH_MAX],
        out[ET_PATH_MAX], cands[1024], u_bits[128], u_act[128], u_prune[128], u_methods[128];
    et_input_shape shapes[MAX_SHAPES];
    char shape_names[MAX_SHAPES][ET_NAME_MAX];
    char cand[ET_SENS_MAX_CANDIDATES][ET_SENS_CAND_BYTES];
    et_job_thread jt;       /* its cancel flag: 1 asked; the search sets 2 for a phase out of time (search.h) */
    double sens_t0;         /* when the sensitivity's first point started (its time left), 0 before */
    et_search_snapshot pub; /* under jt's mutex */
    et_search_result res;   /* the thread's until it finishes, then read by et_search_worker_write */
    bool have_res;
    char model_name[ET_NAME_MAX];
};

et_search_worker_options et_search_worker_options_default(void) {
    et_search_config c = et_search_config_default();
    return (et_search_worker_options){.knobs = et_knobs_default(),
                                      .max_drop_pp = 1.0,
                                      .objective = ET_SEARCH_LATENCY,
                                      .iters = c.iters,
                                      .warmup = c.warmup,
                                      .sens_iters = c.sens_iters,
                                      .rounds = c.rounds,
                                      .n_finalists = c.n_finalists,
                                      .point_s = c.point_s};
}

static void copy_snapshot(void *dst, const void *src) { *(et_search_snapshot *)dst = *(const et_search_snapshot *)src; }

/* The points of res into the snapshot (under mu). */
static void copy_points(et_search_snapshot *s, const et_search_result *res) {
    const et_search_point *ref = res->n_pts > 0 ? &res->pts[0] : NULL;
    s->n_pts = res->n_pts < ET_SEARCH_SNAP_POINTS ? res->n_pts : ET_SEARCH_SNAP_POINTS;
    s->n_measured = 0;
    for (int i = 0; i < s->n_pts; i++) {
        const et_search_point *p = &res->pts[i];
        et_search_snap_point *q = &s->pts[i];
        q->kind = p->kind;
        snprintf(q->name, sizeof q->name, "%s", p->name);
        q->measured = p->measured;
        q->failed = p->error[0] != '\0';
        q->p50_ms = p->measured ? p->r.latency.p50_ms : NAN;
        q->bytes = p->measured ? p->bytes : 0;
        bool ok = p->measured && ref && ref->measured;
        q->drop_search_pp = ok ? 100.0 * (ref->q_search - p->q_search) : NAN;
        q->drop_heldout_pp = ok ? 100.0 * (ref->q_heldout - p->q_heldout) : NAN;
        q->n_changed = p->n_changed;
        q->paired_p50_ms = p->paired_p50_ms;
        et_search_pred_check c;
        et_search_pred_latency(res, i, &c);
        q->pred_p50_ms = c.pred_ms, q->pred_err_pct = c.err_pct, q->pred_paired = c.paired;
        s->n_measured += p->measured;
    }
    s->is_accuracy = res->is_accuracy;
    s->n_search = res->n_search, s->n_heldout = res->n_heldout;
}

static void on_progress(void *ctx, const char *line) {
    et_search_worker *w = ctx;
    et_job_thread_lock(&w->jt);
    snprintf(w->pub.line, sizeof w->pub.line, "%s", line);
    w->pub.elapsed_s = et_job_thread_elapsed_s(&w->jt);
    et_job_thread_publish(&w->jt, &w->pub.seq);
}

static void on_step(void *ctx, const et_search_step *st) {
    et_search_worker *w = ctx;
    et_job_thread_lock(&w->jt);
    et_search_snapshot *s = &w->pub;
    snprintf(s->phase, sizeof s->phase, "%s", st->phase);
    s->done = st->done, s->total = st->total, s->round = st->round, s->rounds = st->rounds;
    s->left_s = st->left_s;
    s->elapsed_s = et_job_thread_elapsed_s(&w->jt);
    if (strcmp(st->phase, "sensitivity") == 0) { /* the search gives no estimate here: from the pace so far */
        if (w->sens_t0 == 0.0 || st->done == 0)
            w->sens_t0 = et_clock_s();
        else if (st->done < st->total)
            s->left_s = (et_clock_s() - w->sens_t0) / st->done * (st->total - st->done);
    }
    if (st->res)
        copy_points(s, st->res);
    et_job_thread_publish(&w->jt, &s->seq);
}

static void set_phase(et_search_worker *w, const char *phase) {
    et_job_thread_lock(&w->jt);
    snprintf(w->pub.phase, sizeof w->pub.phase, "%s", phase);
    et_job_thread_publish(&w->jt, &w->pub.seq);
}

/* The search and what follows it; returns the status the snapshot reports (err says why). */
static et_status run(et_search_worker *w, et_db **db, et_search_sessions *ss, et_err *err) {
    const et_search_worker_options *o = &w->o;
    et_search_config cfg = et_search_config_default();
    int n_cand = 0;
    et_status st = et_sens_parse_candidates(o->candidates, w->cand, &n_cand, err);
    if (st != ET_OK)
        return st;
    for (int i = 0; i < n_cand; i++)
        if (strstr(w->cand[i], "recover="))
            return et_fail(err, ET_E_USAGE,
                           "candidate '%s': recover= as a search candidate is not yet supported; the recovery "
                           "row applies to every point",
                           w->cand[i]);
    if ((st = et_sweep_parse(o->uniform_bits, o->uniform_act_bits, o->uniform_prune, o->uniform_methods, &cfg.uniform,
                             err)) != ET_OK)
        return st;
    if (o->db_path && (st = et_db_open(o->db_path, ET_DB_WRITE, db, err)) != ET_OK)
        return st;
    et_session_options so = {.model_path = o->model_path,
                             .shapes = o->shapes,
                             .n_shapes = o->n_shapes,
                             .eval_dir = o->eval_dir,
                             .calib_dir = o->calib_dir,
                             .labels_path = o->labels_path,
                             .eval_limit = o->eval_limit};
    if ((st = et_search_sessions_open(&so, o->knobs.recover != ET_RECOVER_NONE, ss, err)) != ET_OK)
        return st;
    snprintf(w->model_name, sizeof w->model_name, "%s", et_session_model(ss->s)->name);
    et_job_thread_lock(&w->jt);
    snprintf(w->pub.fidelity, sizeof w->pub.fidelity, "%s", ss->fidelity);
    et_job_thread_unlock(&w->jt);
    cfg.max_drop_pp = o->max_drop_pp;
    cfg.objective = o->objective;
    cfg.budget_s = o->budget_s;
    cfg.iters = o->iters, cfg.warmup = o->warmup, cfg.sens_iters = o->sens_iters, cfg.rounds = o->rounds;
    cfg.n_finalists = o->n_finalists, cfg.point_s = o->point_s;
    cfg.cand = w->cand, cfg.n_cand = n_cand;
    cfg.cancel = &w->jt.cancel;
    cfg.progress = on_progress, cfg.on_step = on_step, cfg.progress_ctx = w;
    cfg.db = *db;
    et_session_set_progress(ss->s, NULL, NULL, (const volatile int *)&w->jt.cancel);
    et_session_set_progress(ss->prof, NULL, NULL, (const volatile int *)&w->jt.cancel);
    cfg.sens_max_points = o->sens_max_points;
    if (o->fail_at)
        cfg.fail_at = o->fail_at; /* else EDGETUNE_SEARCH_FAIL_AT's, from et_search_config_default */
    st = et_search_run(ss->prof, ss->s, &o->knobs, &cfg, &w->res, err);
    /* finished, stopped, or failed in a later phase: the points measured are kept and stored (finish) as the CLI
       does; the snapshot's status and error say why it ended */
    w->have_res = true;
    return st;
}

/* Stores the points (as `search` does, a cancelled or failed search's too) and writes the out file (only with a
 * winner); into the snapshot. */
static void finish(et_search_worker *w, et_db *db) {
    et_search_result *res = &w->res;
    char group[48] = "", note[ET_ERR_MSG_MAX] = "";
    int n_stored = 0;
    et_err e = {0};
    if (db) {
        set_phase(w, "storing");
        int64_t *ids = calloc((size_t)res->n_pts + 1, sizeof *ids);
        if (!ids || et_search_store(db, res, group, sizeof group, ids, &e) != ET_OK)
            snprintf(note, sizeof note, "not stored: %s", ids ? e.msg : "out of memory");
        for (int i = 0; ids && i < res->n_pts; i++)
            n_stored += ids[i] > 0;
        free(ids);
    }
    if (w->o.out_path && res->winner >= 0) {
        if (et_search_write_config(w->o.out_path, w->o.model_path, &res->pts[res->winner], &res->pts[0], &e) == ET_OK)
            snprintf(note + strlen(note), sizeof note - strlen(note), "%swrote %s", note[0] ? "; " : "", w->o.out_path);
        else
            snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s", note[0] ? "; " : "", e.msg);
    } else if (w->o.out_path) {
        snprintf(note + strlen(note), sizeof note - strlen(note), "%sno winner: %s not written", note[0] ? "; " : "",
                 w->o.out_path);
    }
    et_job_thread_lock(&w->jt);
    et_search_snapshot *s = &w->pub;
    copy_points(s, res);
    et_search_pred_summary ps = et_search_pred_summarize(res, ET_SEARCH_PRED_TOL_PCT);
    et_search_pred_say(&ps, s->pred_line, sizeof s->pred_line);
    s->winner = res->winner < ET_SEARCH_SNAP_POINTS ? res->winner : -1;
    s->best_uniform = res->best_uniform < ET_SEARCH_SNAP_POINTS ? res->best_uniform : -1;
    if (res->winner >= 0)
        s->winner_knobs = res->pts[res->winner].k;
    s->cancelled = res->cancelled;
    s->out_of_time = res->out_of_time;
    snprintf(s->group, sizeof s->group, "%s", n_stored > 0 ? group : "");
    s->n_stored = n_stored;
    snprintf(s->out_note, sizeof s->out_note, "%s", note);
    et_job_thread_unlock(&w->jt);
}

static void *thread_main(void *arg) {
    et_search_worker *w = arg;
    et_err err = {0};
    et_db *db = NULL;
    et_search_sessions ss = {0};
    et_status st = run(w, &db, &ss, &err);
    if (w->have_res)
        finish(w, db);
    et_search_sessions_close(&ss);
    et_db_close(db);
    et_job_thread_lock(&w->jt);
    et_search_snapshot *s = &w->pub;
    s->finished = true;
    snprintf(s->phase, sizeof s->phase, "done");
    s->status = st;
    snprintf(s->error, sizeof s->error, "%s", st == ET_OK ? "" : err.msg);
    s->elapsed_s = et_job_thread_elapsed_s(&w->jt);
    et_job_thread_publish(&w->jt, &s->seq);
    return NULL;
}

/* *dst = a copy of src in buf (NULL stays NULL, or def when given). */
static void keep(const char **dst, const char *src, const char *def, char *buf, size_t len) {
    if (!src)
        src = def;
    if (!src) {
        *dst = NULL;
        return;
    }
    snprintf(buf, len, "%s", src);
    *dst = buf;
}

static void copy_options(et_search_worker *w, const et_search_worker_options *o) {
    w->o = *o;
    keep(&w->o.model_path, o->model_path, "", w->model, sizeof w->model);
    keep(&w->o.eval_dir, o->eval_dir, NULL, w->eval, sizeof w->eval);
    keep(&w->o.calib_dir, o->calib_dir, NULL, w->calib, sizeof w->calib);
    keep(&w->o.labels_path, o->labels_path, NULL, w->labels, sizeof w->labels);
    keep(&w->o.db_path, o->db_path, NULL, w->db, sizeof w->db);
    keep(&w->o.out_path, o->out_path && o->out_path[0] ? o->out_path : NULL, NULL, w->out, sizeof w->out);
    keep(&w->o.candidates, o->candidates, et_search_default_candidates(o->objective), w->cands, sizeof w->cands);
    keep(&w->o.uniform_bits, o->uniform_bits, ET_SEARCH_UNIFORM_BITS, w->u_bits, sizeof w->u_bits);
    keep(&w->o.uniform_act_bits, o->uniform_act_bits, ET_SEARCH_UNIFORM_ACT, w->u_act, sizeof w->u_act);
    keep(&w->o.uniform_prune, o->uniform_prune, ET_SEARCH_UNIFORM_PRUNE, w->u_prune, sizeof w->u_prune);
    keep(&w->o.uniform_methods, o->uniform_methods, ET_SEARCH_UNIFORM_METHODS, w->u_methods, sizeof w->u_methods);
    w->o.n_shapes = o->n_shapes < MAX_SHAPES ? o->n_shapes : MAX_SHAPES;
    for (int i = 0; i < w->o.n_shapes; i++) {
        w->shapes[i] = o->shapes[i];
        keep(&w->shapes[i].name, o->shapes[i].name, NULL, w->shape_names[i], sizeof w->shape_names[i]);
    }
    w->o.shapes = w->o.n_shapes ? w->shapes : NULL;
}

et_status et_search_worker_start(const et_search_worker_options *o, int wake_fd, et_search_worker **out, et_err *err) {
    *out = NULL;
    et_search_worker *w = calloc(1, sizeof *w);
    if (!w)
        return et_fail(err, ET_E_NOMEM, "out of memory starting the search");
    copy_options(w, o);
    w->pub.seq = 1;
    w->pub.winner = w->pub.best_uniform = -1;
    w->pub.left_s = -1.0;
    w->pub.objective = o->objective;
    w->pub.max_drop_pp = o->max_drop_pp;
    snprintf(w->pub.phase, sizeof w->pub.phase, "opening");
    int rc = et_job_thread_start(&w->jt, wake_fd, 's', thread_main, w);
    if (rc != 0) {
        free(w);
        return et_fail(err, ET_E_RUNTIME, "cannot start the search thread: %s", strerror(rc));
    }
    *out = w;
    return ET_OK;
}

bool et_search_worker_snapshot(et_search_worker *w, et_search_snapshot *s) {
    return w && et_job_thread_take(&w->jt, s->seq, &w->pub.seq, copy_snapshot, s, &w->pub);
}

void et_search_worker_cancel(et_search_worker *w) {
    if (w)
        et_job_thread_cancel(&w->jt, &w->pub.cancel_asked, &w->pub.seq);
}

et_status et_search_worker_write(et_search_worker *w, const char *path, et_err *err) {
    if (!w)
        return et_fail(err, ET_E_USAGE, "no search: start one first");
    et_job_thread_lock(&w->jt);
    bool done = w->pub.finished;
    et_job_thread_unlock(&w->jt);
    if (!done)
        return et_fail(err, ET_E_USAGE, "the search is still running: wait for it or cancel it first");
    if (!w->have_res || w->res.winner < 0)
        return et_fail(err, ET_E_USAGE, "the search has no winner (no finalist measured within the drop)");
    return et_search_write_config(path, w->o.model_path, &w->res.pts[w->res.winner], &w->res.pts[0], err);
}

void et_search_worker_free(et_search_worker *w) {
    if (!w)
        return;
    et_job_thread_join(&w->jt);
    if (w->have_res)
        et_search_result_free(&w->res);
    free(w);
}
