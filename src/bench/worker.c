/* worker.c: the measurement thread behind the workbench (see worker.h for what it does and why).
 *
 * Locking: one mutex guards the requests (want, want_gen, mark_req, stop), what the thread is busy with, and the
 * published snapshot. The cancel flag is written under it and read by the engine without it (between plan steps;
 * a stale read costs one more step). The session, the database connection and the baseline cache belong to the
 * worker thread alone. */
#include "bench/worker.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "db/db.h"
#include "db/report.h"
#include "stats/ab.h"
#include "util/thread.h"
#include "util/clock.h"

static const char *const state_names[] = {
#define ET_X(e, s) s,
    ET_WORKER_STATE_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof state_names / sizeof state_names[0] == ET_WORKER_STATE_COUNT, "worker state names");

const char *et_worker_state_name(et_worker_state s) {
    return (unsigned)s < ET_WORKER_STATE_COUNT ? state_names[s] : "?";
}

et_worker_options et_worker_options_default(void) {
    return (et_worker_options){.save = true,
                               .warmup = 5,
                               .chunk_seconds = 0.25,
                               .min_seconds = 1.0,
                               .max_seconds = 6.0,
                               .min_iters = 10,
                               .settle_rel = 0.02,
                               .profilers = true,
                               .fidelity = true,
                               .fidelity_first_s = 1.0,
                               .wake_fd = -1};
}

void et_worker_snapshot_init(et_worker_snapshot *s) {
    memset(s, 0, sizeof *s);
    et_result_init(&s->current);
    et_result_init(&s->baseline);
}

void et_worker_snapshot_free(et_worker_snapshot *s) {
    et_result_free(&s->current);
    et_result_free(&s->baseline);
    et_worker_snapshot_init(s);
}

typedef struct baseline_cache {
    bool valid;
    bool marked; /* the marked baseline holds for every thread count */
    int threads;
    int64_t run_id;
    et_result r;
    char why[ET_WHY_MAX];
} baseline_cache;

struct et_worker {
    et_session *session;
    et_worker_options opt;
    char db_path[ET_PATH_MAX];
    bool have_db_path;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* requests (under mu) */
    et_knobs want;
    uint64_t want_gen;
    bool mark_req, stop;
    /* what the thread is doing (under mu): set_knobs keeps a baseline measurement the new knobs need too */
    bool busy_baseline;
    int busy_threads;
    volatile int cancel;
    /* published (under mu) */
    et_worker_snapshot pub;
    /* worker thread only */
    et_db *db;
    baseline_cache base;
    bool last_ok;   /* the last measurement completed */
    et_result last; /* ... and this is it */
    int64_t last_run_id;
};

static void wake(et_worker *w) {
    if (w->opt.wake_fd >= 0) {
        ssize_t n = write(w->opt.wake_fd, "w", 1);
        (void)n; /* a full pipe already holds a wake-up */
    }
}

static void set_message(et_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_message(et_worker *w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&w->mu);
    vsnprintf(w->pub.message, sizeof w->pub.message, fmt, ap);
    w->pub.message_seq++;
    w->pub.seq++;
    pthread_mutex_unlock(&w->mu);
    va_end(ap);
    wake(w);
}

/* Publishes state, and the accumulated run when acc is not NULL. gen: the generation of the knobs measured (0 for
 * the baseline): when the UI has asked for other knobs since, the news is stale and dropped. */
static void publish(et_worker *w, uint64_t gen, et_worker_state state, const et_knobs *k, const et_result *acc,
                    int64_t run_id, double seconds, bool is_baseline) {
    pthread_mutex_lock(&w->mu);
    if (gen && gen != w->want_gen) {
        pthread_mutex_unlock(&w->mu);
        return;
    }
    w->pub.state = state;
    if (k)
        w->pub.knobs = *k;
    if (state == ET_WORKER_PREPARING) { /* numbers of other knobs must not stand beside these */
        w->pub.prep_done = w->pub.prep_total = 0;
        w->pub.prep_elapsed_ms = 0, w->pub.prep_left_ms = -1;
        et_result_free(&w->pub.current);
        w->pub.have_current = false;
        w->pub.current_run_id = 0;
        w->pub.current_seconds = 0;
    }
    if (acc) {
        et_result_free(&w->pub.current);
        w->pub.have_current = et_result_copy(&w->pub.current, acc);
        w->pub.current_run_id = run_id;
        w->pub.current_seconds = seconds;
        w->pub.current_is_baseline = is_baseline;
    }
    if (state != ET_WORKER_FAILED)
        w->pub.error[0] = '\0';
    w->pub.seq++;
    pthread_mutex_unlock(&w->mu);
    wake(w);
}

static void publish_failed(et_worker *w, uint64_t gen, const et_knobs *k, const char *why) {
    pthread_mutex_lock(&w->mu);
    if (gen != w->want_gen) {
        pthread_mutex_unlock(&w->mu);
        return;
    }
    w->pub.state = ET_WORKER_FAILED;
    w->pub.knobs = *k;
    snprintf(w->pub.error, sizeof w->pub.error, "%s", why);
    w->pub.have_current = false;
    w->pub.current_run_id = 0;
    w->pub.mark_pending = false;
    et_result_free(&w->pub.current);
    w->pub.seq++;
    pthread_mutex_unlock(&w->mu);
    wake(w);
}

static void publish_db_error(et_worker *w, const char *what, const et_err *err) {
    pthread_mutex_lock(&w->mu);
    snprintf(w->pub.db_error, sizeof w->pub.db_error, "%s: %s", what, err->msg);
    w->pub.seq++;
    pthread_mutex_unlock(&w->mu);
    wake(w);
}

static void publish_baseline(et_worker *w) {
    pthread_mutex_lock(&w->mu);
    et_result_free(&w->pub.baseline);
    w->pub.have_baseline = w->base.valid && et_result_copy(&w->pub.baseline, &w->base.r);
    w->pub.baseline_run_id = w->base.valid ? w->base.run_id : 0;
    snprintf(w->pub.baseline_why, sizeof w->pub.baseline_why, "%s", w->base.valid ? w->base.why : "");
    w->pub.baseline_seq++;
    w->pub.seq++;
    pthread_mutex_unlock(&w->mu);
    wake(w);
}

static void set_baseline(et_worker *w, const et_result *r, int64_t run_id, bool marked, const char *why) {
    if (&w->base.r != r) {
        et_result_free(&w->base.r);
        if (!et_result_copy(&w->base.r, r)) {
            w->base.valid = false;
            publish_baseline(w);
            return;
        }
    }
    w->base.valid = true;
    w->base.marked = marked;
    w->base.threads = r->knobs.threads;
    w->base.run_id = run_id;
    snprintf(w->base.why, sizeof w->base.why, "%s", why);
    publish_baseline(w);
}

static bool baseline_fits(const et_worker *w, int threads) {
    return w->base.valid && (w->base.marked || w->base.threads == threads);
}

/* How the panel names a baseline: "run 11 (marked baseline)", "run 12 (newest fp32, 4 threads)". */
static void baseline_text(bool marked, int64_t run_id, int threads, char *buf, size_t len) {
    if (marked)
        snprintf(buf, len, "run %lld (marked baseline)", (long long)run_id);
    else
        snprintf(buf, len, "run %lld (newest fp32, %d thread%s)", (long long)run_id, threads, threads == 1 ? "" : "s");
}

/* Loads stored run id and makes it the baseline (a database error goes to the message line). */
static void adopt_baseline(et_worker *w, int64_t id, et_baseline_kind kind, int threads) {
    et_result r;
    et_result_init(&r);
    et_err err = {0};
    if (et_db_load_run(w->db, id, ET_DB_LOAD_ALL, &r, &err) != ET_OK) {
        publish_db_error(w, "loading the baseline", &err);
    } else {
        char why[ET_WHY_MAX];
        baseline_text(kind == ET_BASELINE_MARKED, id, threads, why, sizeof why);
        set_baseline(w, &r, id, kind == ET_BASELINE_MARKED, why);
    }
    et_result_free(&r);
}

/* The stored baseline for threads, by the database's one rule (db/baseline.c), for the model and host measured
 * here before a run of them is stored. */
static void lookup_baseline(et_worker *w, int threads) {
    if (!w->db)
        return;
    int64_t id = 0;
    et_baseline_kind kind = ET_BASELINE_NONE;
    et_err err = {0};
    if (et_db_baseline_for(w->db, &w->pub.model, &w->pub.host, threads, &id, &kind, &err) != ET_OK)
        publish_db_error(w, "looking for a baseline", &err);
    else if (id)
        adopt_baseline(w, id, kind, threads);
}

/* After storing run_id: if the rule now names another baseline (another process stored or marked one
 * meanwhile), follow it. */
static void check_baseline_rule(et_worker *w, int64_t run_id, int threads) {
    int64_t id = 0;
    et_baseline_kind kind = ET_BASELINE_NONE;
    et_err err = {0};
    if (w->db && et_db_default_baseline(w->db, run_id, &id, &kind, &err) == ET_OK && id != 0 && id != w->base.run_id)
        adopt_baseline(w, id, kind, threads);
}

static et_knobs fp32_of(const et_knobs *k) {
    et_knobs b = et_knobs_default();
    b.threads = k->threads;
    return b;
}

/* Requests that arrived while measuring: `b` turns into a mark when this run completes. */
static void take_mark_request(et_worker *w) {
    pthread_mutex_lock(&w->mu);
    if (w->mark_req) {
        w->mark_req = false;
        w->pub.mark_pending = true;
        w->pub.seq++;
    }
    pthread_mutex_unlock(&w->mu);
}

static void mark_baseline_now(et_worker *w, const et_result *r, int64_t run_id) {
    if (w->db && run_id > 0) {
        et_err err = {0};
        int64_t prev = 0;
        if (et_db_set_baseline(w->db, run_id, true, &prev, &err) != ET_OK) {
            publish_db_error(w, "marking the baseline", &err);
            return;
        }
        char why[ET_WHY_MAX];
        baseline_text(true, run_id, r->knobs.threads, why, sizeof why);
        set_baseline(w, r, run_id, true, why);
        set_message(w, "run %lld is now the baseline of %s on this host", (long long)run_id, r->model.name);
    } else {
        set_baseline(w, r, 0, true, "marked in this session (not stored)");
        set_message(w, "this run is now the baseline (not stored: runs are not being saved)");
    }
}

typedef enum { M_DONE, M_SUPERSEDED, M_STOPPED, M_FAILED } measure_end;

/* Recovery's progress while configuring (session.h), published for the status line. */
static void on_prepare_progress(void *ctx, int done, int total, double elapsed_ms, double left_ms, const char *layer) {
    (void)layer;
    et_worker *w = ctx;
    pthread_mutex_lock(&w->mu);
    if (w->pub.state == ET_WORKER_PREPARING) {
        w->pub.prep_done = done;
        w->pub.prep_total = total;
        w->pub.prep_elapsed_ms = elapsed_ms;
        w->pub.prep_left_ms = left_ms;
        w->pub.seq++;
    }
    pthread_mutex_unlock(&w->mu);
    wake(w);
}

/* Is the measurement of k (generation gen, or the baseline for its threads) still wanted? */
static bool still_wanted(et_worker *w, uint64_t gen, bool baseline, int threads) {
    pthread_mutex_lock(&w->mu);
    bool ok = !w->stop && (baseline ? w->want.threads == threads : w->want_gen == gen);
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* Settled: the 95 % interval of the median (et_ab_median_interval, the same as `bench --until-stable`) is within
 * +-settle_rel of it (*stable, *half_rel the width reached), or the time cap is reached. */
static bool settled(const et_worker *w, double elapsed_s, const et_result *acc, bool *stable, double *half_rel) {
    *stable = false;
    if (elapsed_s >= w->opt.min_seconds && acc->iters >= w->opt.min_iters) {
        et_ab_options o = et_ab_defaults();
        o.resamples = 1000;
        double med, lo, hi;
        if (et_ab_median_interval(acc->samples_ms, acc->n_samples, &o, &med, &lo, &hi) && med > 0) {
            *half_rel = (hi - lo) / 2.0 / med;
            *stable = *half_rel <= w->opt.settle_rel;
        }
    }
    return *stable || elapsed_s >= w->opt.max_seconds;
}

/* The timed loop of one measurement: chunks of opt.chunk_seconds, each accumulated into acc and published, until
 * the median settles (or a stop or knob change cancels it: ET_E_CANCELLED). *elapsed_s gets the time it took. */
static et_status time_until_settled(et_worker *w, uint64_t pgen, et_worker_state busy, bool shown_as_baseline,
                                    et_result *acc, int64_t run_id, double *elapsed_s, et_err *err) {
    et_bench_config cfg = et_bench_config_default();
    cfg.warmup = w->opt.warmup;
    cfg.iters = 1;
    cfg.seconds = w->opt.chunk_seconds;
    cfg.fidelity = false;
    cfg.profilers = w->opt.profilers;
    cfg.layers = true;
    cfg.cancel = &w->cancel;
    /* the split decision (plan.h et_plan_settle) before the clock starts: its 0.25-1.2 s of deciding runs are not
       the measurement, and counted in it they reached a short time cap with the first chunk */
    et_plan *plan = et_session_plan(w->session);
    et_status st = plan ? et_plan_settle(plan, &w->cancel, err) : ET_OK;
    double t0 = et_clock_s(), half_rel = NAN;
    *elapsed_s = 0.0;
    if (st != ET_OK)
        return st;
    for (;;) {
        et_result chunk;
        et_result_init(&chunk);
        st = et_bench_run(w->session, &cfg, &chunk, err);
        if (!et_worker_accumulate(acc, &chunk) && st == ET_OK)
            st = et_fail(err, ET_E_NOMEM, "out of memory accumulating samples");
        et_result_free(&chunk);
        cfg.warmup = 0;
        *elapsed_s = et_clock_s() - t0;
        if (st != ET_OK)
            break;
        take_mark_request(w);
        bool stable = false;
        bool done = settled(w, *elapsed_s, acc, &stable, &half_rel) || acc->iters >= 100000;
        if (done) { /* the stored run says which stop it met */
            size_t len = strlen(acc->engine.notes);
            snprintf(acc->engine.notes + len, sizeof acc->engine.notes - len,
                     stable ? "%ssettled: median's 95 %% interval within +-%.2f %% after %d iterations"
                            : "%stime cap reached: median's 95 %% interval +-%.2f %% after %d iterations",
                     len ? "; " : "", half_rel * 100.0, acc->iters);
        }
        publish(w, pgen, busy, NULL, acc, run_id, *elapsed_s, shown_as_baseline);
        if (done)
            break;
    }
    return st;
}

/* Fidelity against fp32 into acc. A fidelity that fails is noted in the run, which still counts; returns
 * ET_E_CANCELLED on a cancel, else ET_OK. */
static et_status check_fidelity(et_worker *w, uint64_t pgen, et_result *acc, et_err *err) {
    publish(w, pgen, ET_WORKER_FIDELITY, NULL, NULL, 0, 0, false);
    et_status fs = et_session_fidelity(w->session, &w->cancel, &acc->fidelity, err);
    if (fs == ET_E_CANCELLED)
        return fs;
    if (fs != ET_OK) {
        acc->fidelity.status = ET_AVAIL_ERROR;
        snprintf(acc->fidelity.why, sizeof acc->fidelity.why, "%s", err->msg);
    }
    return ET_OK;
}

/* Whether fidelity goes before the timed loop (worker.h, step 3): one pass over the evaluation set, estimated at
 * the baseline's median latency, takes at most opt.fidelity_first_s. False without a measured baseline. */
static bool fidelity_first(const et_worker *w) {
    if (!w->opt.fidelity || !(w->opt.fidelity_first_s > 0) || !w->base.valid || w->base.r.iters <= 0)
        return false;
    double p50_s = w->base.r.latency.p50_ms / 1e3;
    return p50_s > 0 && (double)et_session_eval_count(w->session) * p50_s <= w->opt.fidelity_first_s;
}

/* After the timed loop: deployed memory (in a separate process), then fidelity unless it was checked first. Only
 * a cancel or a failed deployed-memory measurement is returned. */
static et_status measure_after_timing(et_worker *w, uint64_t pgen, bool fidelity, et_result *acc, et_err *err) {
    et_status st = ET_OK;
    if (w->opt.deploy_exe)
        st = et_session_deployed_memory(w->session, w->opt.deploy_exe, &w->cancel, &acc->deployed, err);
    if (st == ET_OK && fidelity)
        st = check_fidelity(w, pgen, acc, err);
    return st;
}

/* How a measurement that returned st ended, with acc's status set to match: cancelled by stop or by a knob
 * change (aborted), failed, or done. */
static measure_end end_of(et_worker *w, et_status st, et_result *acc) {
    if (st == ET_E_CANCELLED) {
        pthread_mutex_lock(&w->mu);
        measure_end end = w->stop ? M_STOPPED : M_SUPERSEDED;
        pthread_mutex_unlock(&w->mu);
        acc->status = ET_RUN_ABORTED;
        return end;
    }
    acc->status = st == ET_OK ? ET_RUN_OK : ET_RUN_FAILED;
    return st == ET_OK ? M_DONE : M_FAILED;
}

/* Completes the stored run row, or removes it when a knob change superseded the measurement (not a measurement
 * anyone asked to keep). Returns the id of the run that stands: run_id, or 0 when there is none. */
static int64_t store_run(et_worker *w, int64_t run_id, const et_result *acc, measure_end end) {
    if (!w->db || run_id <= 0)
        return run_id;
    et_err err = {0};
    et_status ds = end == M_SUPERSEDED ? et_db_delete_run(w->db, run_id, &err)
                                       : et_db_finish_run(w->db, run_id, acc, &err);
    if (ds != ET_OK) {
        publish_db_error(w, "storing the run", &err);
    } else if (end != M_SUPERSEDED) {
        pthread_mutex_lock(&w->mu);
        w->pub.runs_saved++;
        w->pub.last_saved_run_id = run_id;
        pthread_mutex_unlock(&w->mu);
    }
    return end == M_SUPERSEDED ? 0 : run_id;
}

/* A measurement that completed: an fp32 run is the baseline unless one is marked; `b` pressed meanwhile marks
 * it; otherwise the database's rule may name another baseline. Then it is the last run, and settled. */
static void on_completed(et_worker *w, const et_knobs *k, uint64_t pgen, bool as_baseline, const et_result *acc,
                         int64_t run_id, double elapsed_s) {
    bool is_fp32 = et_knobs_is_fp32(k);
    bool mark;
    pthread_mutex_lock(&w->mu);
    mark = w->pub.mark_pending || w->mark_req;
    w->pub.mark_pending = false;
    w->mark_req = false;
    pthread_mutex_unlock(&w->mu);
    if (is_fp32 && !(w->base.valid && w->base.marked)) {
        char why[ET_WHY_MAX];
        if (run_id > 0)
            baseline_text(false, run_id, k->threads, why, sizeof why);
        else
            snprintf(why, sizeof why, "fp32, %d thread%s, this session (not stored)", k->threads,
                     k->threads == 1 ? "" : "s");
        set_baseline(w, acc, run_id, false, why);
    }
    if (mark)
        mark_baseline_now(w, acc, run_id);
    else if (run_id > 0)
        check_baseline_rule(w, run_id, k->threads);
    if (!as_baseline) {
        et_result_free(&w->last);
        w->last_ok = et_result_copy(&w->last, acc);
        w->last_run_id = run_id;
    }
    publish(w, pgen, as_baseline ? ET_WORKER_BASELINE : ET_WORKER_SETTLED, NULL, as_baseline ? NULL : acc, run_id,
            elapsed_s, as_baseline || is_fp32);
}

/* One measurement of k: configure, chunks until settled, deployed memory and fidelity, store. */
static measure_end measure(et_worker *w, const et_knobs *k, uint64_t gen, bool as_baseline) {
    pthread_mutex_lock(&w->mu);
    bool wanted = !w->stop && (as_baseline ? w->want.threads == k->threads : w->want_gen == gen);
    if (wanted)
        w->cancel = 0;
    w->busy_baseline = as_baseline;
    w->busy_threads = k->threads;
    w->pub.measuring_baseline = as_baseline;
    pthread_mutex_unlock(&w->mu);
    if (!wanted)
        return M_SUPERSEDED;
    bool is_fp32 = et_knobs_is_fp32(k);
    uint64_t pgen = as_baseline ? 0 : gen;
    publish(w, pgen, ET_WORKER_PREPARING, as_baseline ? NULL : k, NULL, 0, 0, false);

    et_err err = {0};
    et_session_set_progress(w->session, on_prepare_progress, w, &w->cancel); /* a knob change cancels recovery */
    et_status cst = et_session_configure(w->session, k, &err);
    et_session_set_progress(w->session, NULL, NULL, NULL);
    if (cst == ET_E_CANCELLED)
        return M_SUPERSEDED;
    if (cst != ET_OK) {
        if (as_baseline) {
            set_message(w, "the fp32 baseline cannot run: %s", err.msg);
            return M_FAILED;
        }
        publish_failed(w, gen, k, err.msg);
        return M_FAILED;
    }
    if (!still_wanted(w, gen, as_baseline, k->threads))
        return M_SUPERSEDED;

    et_result acc;
    et_result_init(&acc);
    et_session_describe(w->session, &acc);
    acc.status = ET_RUN_RUNNING;
    int64_t run_id = 0;
    if (w->db && et_db_begin_run(w->db, &acc, &run_id, &err) != ET_OK) {
        publish_db_error(w, "storing the run", &err);
        run_id = 0;
    }
    et_worker_state busy = as_baseline ? ET_WORKER_BASELINE : ET_WORKER_MEASURING;
    publish(w, pgen, busy, as_baseline ? NULL : k, &acc, run_id, 0, as_baseline || is_fp32);

    double elapsed = 0;
    et_status st = ET_OK;
    bool first = !as_baseline && fidelity_first(w);
    if (first && (st = check_fidelity(w, pgen, &acc, &err)) == ET_OK)
        publish(w, pgen, busy, NULL, &acc, run_id, 0, is_fp32); /* accuracy shows now, latency follows */
    if (st == ET_OK)
        st = time_until_settled(w, pgen, busy, as_baseline || is_fp32, &acc, run_id, &elapsed, &err);
    if (st == ET_OK)
        st = measure_after_timing(w, pgen, w->opt.fidelity && !first, &acc, &err);
    measure_end end = end_of(w, st, &acc);
    run_id = store_run(w, run_id, &acc, end);
    if (end == M_DONE) {
        on_completed(w, k, pgen, as_baseline, &acc, run_id, elapsed);
    } else if (end == M_SUPERSEDED || end == M_FAILED) {
        pthread_mutex_lock(&w->mu);
        w->pub.mark_pending = false;
        pthread_mutex_unlock(&w->mu);
    }
    if (end == M_FAILED && !as_baseline) {
        char why[ET_ERR_MSG_MAX];
        snprintf(why, sizeof why, "measuring failed: %s", err.msg);
        publish_failed(w, gen, k, why);
    } else if (end == M_STOPPED) {
        publish(w, 0, ET_WORKER_STOPPED, NULL, &acc, run_id, elapsed, as_baseline || is_fp32);
    }
    et_result_free(&acc);
    return end;
}

/* Everything for the knobs of generation gen: the baseline they need, then themselves. */
static void run_knobs(et_worker *w, const et_knobs *k, uint64_t gen) {
    w->last_ok = false;
    if (!baseline_fits(w, k->threads)) {
        lookup_baseline(w, k->threads);
        if (!baseline_fits(w, k->threads) && !et_knobs_is_fp32(k)) {
            et_knobs b = fp32_of(k);
            pthread_mutex_lock(&w->mu);
            w->pub.knobs = *k; /* the panel shows what the user asked for while the baseline runs */
            pthread_mutex_unlock(&w->mu);
            measure_end e = measure(w, &b, gen, true);
            pthread_mutex_lock(&w->mu);
            w->busy_baseline = false;
            w->pub.measuring_baseline = false;
            pthread_mutex_unlock(&w->mu);
            if (e == M_STOPPED)
                return;
        }
    }
    measure(w, k, gen, false);
    pthread_mutex_lock(&w->mu);
    w->busy_baseline = false;
    pthread_mutex_unlock(&w->mu);
}

static void open_db(et_worker *w) {
    if (!w->opt.save)
        return;
    et_err err = {0};
    if (et_db_open(w->have_db_path ? w->db_path : NULL, ET_DB_WRITE, &w->db, &err) != ET_OK) {
        w->db = NULL;
        publish_db_error(w, "runs are not being stored", &err);
    }
}

static void *thread_main(void *arg) {
    et_worker *w = arg;
    open_db(w);
    if (et_session_notes(w->session)[0]) /* how the given inputs were taken: said once, as the CLI says it */
        set_message(w, "%s", et_session_notes(w->session));
    uint64_t done_gen = 0;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->stop && w->want_gen == done_gen && !w->mark_req)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        bool mark = w->mark_req && w->want_gen == done_gen;
        if (mark)
            w->mark_req = false;
        et_knobs k = w->want;
        uint64_t gen = w->want_gen;
        pthread_mutex_unlock(&w->mu);
        if (mark) {
            if (w->last_ok)
                mark_baseline_now(w, &w->last, w->last_run_id);
            else
                set_message(w, "nothing to mark as baseline: the current knobs have no completed run");
        }
        if (gen != done_gen) {
            done_gen = gen;
            run_knobs(w, &k, gen);
        }
    }
    et_db_close(w->db);
    w->db = NULL;
    pthread_mutex_lock(&w->mu);
    w->pub.state = ET_WORKER_STOPPED;
    w->pub.seq++;
    pthread_mutex_unlock(&w->mu);
    wake(w);
    return NULL;
}

et_status et_worker_start(et_session *session, const et_knobs *knobs, const et_worker_options *opt, et_worker **out,
                          et_err *err) {
    *out = NULL;
    et_worker *w = calloc(1, sizeof *w);
    if (!w) {
        et_session_free(session);
        return et_fail(err, ET_E_NOMEM, "out of memory starting the measurement thread");
    }
    w->session = session;
    w->opt = opt ? *opt : et_worker_options_default();
    if (w->opt.db_path) {
        snprintf(w->db_path, sizeof w->db_path, "%s", w->opt.db_path);
        w->have_db_path = true;
    }
    w->opt.db_path = NULL;
    w->want = *knobs;
    w->want_gen = 1;
    et_worker_snapshot_init(&w->pub);
    et_result_init(&w->base.r);
    et_result_init(&w->last);
    w->pub.knobs = *knobs;
    w->pub.state = ET_WORKER_STARTING;
    et_result id;
    et_result_init(&id);
    et_session_describe(session, &id);
    w->pub.model = id.model;
    w->pub.host = id.host;
    et_result_free(&id);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int rc = et_thread_start_masked(&w->thread, thread_main, w); /* signals stay with the UI thread */
    if (rc != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        et_worker_snapshot_free(&w->pub);
        et_session_free(session);
        free(w);
        return et_fail(err, ET_E_RUNTIME, "cannot start the measurement thread: %s", strerror(rc));
    }
    *out = w;
    return ET_OK;
}

/* Called with mu held: a new generation of knobs. The snapshot says so at once (the UI's acknowledgement does
 * not wait for the thread to notice), unless the baseline these knobs need is being measured. */
static void new_generation(et_worker *w, const et_knobs *k) {
    w->want = *k;
    w->want_gen++;
    w->pub.knobs = *k;
    w->pub.mark_pending = false;
    if (!(w->busy_baseline && w->busy_threads == k->threads)) {
        w->cancel = 1;
        w->pub.state = ET_WORKER_PREPARING;
        w->pub.error[0] = '\0';
        w->pub.have_current = false;
        w->pub.current_run_id = 0;
        w->pub.current_seconds = 0;
        et_result_free(&w->pub.current);
    }
    w->pub.seq++;
    pthread_cond_signal(&w->cv);
}

void et_worker_set_knobs(et_worker *w, const et_knobs *k) {
    pthread_mutex_lock(&w->mu);
    bool changed = memcmp(&w->want, k, sizeof *k) != 0;
    if (changed)
        new_generation(w, k);
    pthread_mutex_unlock(&w->mu);
    if (changed)
        wake(w);
}

void et_worker_remeasure(et_worker *w) {
    pthread_mutex_lock(&w->mu);
    et_knobs k = w->want;
    new_generation(w, &k);
    pthread_mutex_unlock(&w->mu);
    wake(w);
}

void et_worker_mark_baseline(et_worker *w) {
    pthread_mutex_lock(&w->mu);
    w->mark_req = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

bool et_worker_snapshot_get(et_worker *w, et_worker_snapshot *s) {
    pthread_mutex_lock(&w->mu);
    bool same_source = s->source == (const void *)w;
    if (same_source && s->seq == w->pub.seq) {
        pthread_mutex_unlock(&w->mu);
        return false;
    }
    const et_worker_snapshot *p = &w->pub;
    et_result cur = s->current, base = s->baseline;
    uint64_t had_baseline_seq = same_source ? s->baseline_seq : p->baseline_seq + 1;
    bool had_baseline = s->have_baseline;
    *s = *p; /* scalars and fixed-size text; the two results are redone below */
    s->source = w;
    s->current = cur;
    s->baseline = base;
    et_result_free(&s->current);
    s->have_current = p->have_current && et_result_copy(&s->current, &p->current);
    if (!s->have_current)
        et_result_init(&s->current);
    if (had_baseline_seq != p->baseline_seq || had_baseline != p->have_baseline) {
        et_result_free(&s->baseline);
        s->have_baseline = p->have_baseline && et_result_copy(&s->baseline, &p->baseline);
        if (!s->have_baseline)
            et_result_init(&s->baseline);
    }
    pthread_mutex_unlock(&w->mu);
    return true;
}

void et_worker_stop(et_worker *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    w->cancel = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    et_worker_snapshot_free(&w->pub);
    et_result_free(&w->base.r);
    et_result_free(&w->last);
    et_session_free(w->session);
    free(w);
}
