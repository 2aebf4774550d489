/* bench.c: the timed loop. Each timed iteration is one et_plan_run between two CLOCK_MONOTONIC reads; the inputs
 * stay in the plan, so nothing else happens inside the loop. Profilers start just before the first timed
 * iteration and stop right after the last; fidelity runs afterwards on the evaluation set. */
#include "bench/bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/threadpool.h"
#include "stats/ab.h"
#include "util/clock.h"

enum { MAX_ITERS = 100000, MAX_TIDS = 256 };

et_bench_config et_bench_config_default(void) {
    et_bench_config c =
        {.warmup = 5, .iters = 50, .fidelity = true, .profilers = true, .eval_half = -1, .stop_misses = -1};
    c.prof = et_profiler_config_all();
    return c;
}

/* The reconstruction errors recovery measured for layer `name` (NaN when it did not). */
static void recon_errors(const et_tune_report *rep, const char *name, double *before, double *after) {
    *before = *after = NAN;
    for (int i = 0; rep && i < rep->n_layer_errs; i++)
        if (strcmp(rep->layer_err[i].name, name) == 0) {
            *before = rep->layer_err[i].before;
            *after = rep->layer_err[i].after;
            return;
        }
}

static void copy_layers(et_plan *plan, const et_tune_report *rep, et_result *r) {
    et_plan_stats ps = et_plan_get_stats(plan);
    free(r->layers);
    r->layers = calloc((size_t)(ps.n_steps ? ps.n_steps : 1), sizeof *r->layers);
    r->n_layers = 0;
    if (!r->layers)
        return;
    for (int i = 0; i < ps.n_steps; i++) {
        et_step_info si;
        et_plan_step_info(plan, i, &si);
        et_layer_profile *l = &r->layers[r->n_layers++];
        snprintf(l->name, sizeof l->name, "%s", si.name);
        snprintf(l->op, sizeof l->op, "%s", si.op);
        snprintf(l->kernel, sizeof l->kernel, "%s", si.kernel);
        snprintf(l->precision, sizeof l->precision, "%s", si.precision);
        l->time_ms = si.time_ms;
        l->macs = si.macs;
        recon_errors(rep, si.name, &l->recon_err_before, &l->recon_err_after);
    }
}

/* --until-stable: true when the 95 % interval of the median of samples[0..n) is within +-rel of it; *half_rel gets
 * the half-width reached, relative to the median. */
static bool stable_enough(const double *samples, int n, double rel, double *half_rel) {
    et_ab_options o = et_ab_defaults();
    o.resamples = 1000; /* checked many times during a run: 1000 resamples keep each check to a few ms */
    double med, lo, hi;
    if (!et_ab_median_interval(samples, n, &o, &med, &lo, &hi) || !(med > 0))
        return false;
    *half_rel = (hi - lo) / 2.0 / med;
    return *half_rel <= rel;
}

static void append_note(et_result *r, const char *what) {
    size_t len = strlen(r->engine.notes);
    snprintf(r->engine.notes + len, sizeof r->engine.notes - len, "%s%s", len ? "; " : "", what);
}

/* Appends what the split decision chose (plan.h: et_plan_splits), so the user sees whether the threads paid. */
static void note_splits(et_result *r, et_plan_splits s) {
    if (!s.measured || !s.decided)
        return;
    char what[160];
    if (s.used > 1)
        snprintf(what, sizeof what, "threads %d (splits kept on %d of %d steps; %d split as modelled)", s.threads,
                 s.kept, s.n_steps, s.splitting);
    else if (s.splitting == 0)
        snprintf(what, sizeof what, "threads %d (1 used: no step is large enough to split)", s.threads);
    else
        snprintf(what, sizeof what, "threads %d (1 used: splitting was not faster on this model)", s.threads);
    append_note(r, what);
}

/* Appends the until-stable outcome to the run's engine notes, so the stored run says which stop it met. */
static void note_stability(et_result *r, bool stable, double half_rel, double rel, double cap_s, int n) {
    char what[160];
    if (stable)
        snprintf(what, sizeof what,
                 "until-stable: median's 95 %% interval within +-%.2f %% (target %.2f %%) after %d "
                 "iterations",
                 half_rel * 100.0, rel * 100.0, n);
    else
        snprintf(what, sizeof what,
                 "until-stable: time cap %.0f s reached, median's 95 %% interval +-%.2f %% (target "
                 "%.2f %%) after %d iterations",
                 cap_s, half_rel * 100.0, rel * 100.0, n);
    append_note(r, what);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median latency of n iterations (timings into buf). ET_OK or the run's error. */
static et_status timed_median(et_plan *plan, int n, double *buf, const volatile int *cancel, double *median,
                              et_err *err) {
    for (int i = 0; i < n; i++) {
        double t0 = et_clock_ms();
        et_status st = et_plan_run(plan, cancel, err);
        if (st != ET_OK)
            return st;
        buf[i] = et_clock_ms() - t0;
    }
    qsort(buf, (size_t)n, sizeof *buf, cmp_double);
    *median = buf[n / 2];
    return ET_OK;
}

/* The cost of the profilers on latency: rounds of n iterations with them off, then on, alternating so that
 * drift (clocks, neighbours) hits both; the result is the median over rounds of on/off - 1, in percent. */
static et_status measure_overhead(et_plan *plan, et_profilers *prof, const pid_t *tids, int n_tids, int n, int rounds,
                                  const volatile int *cancel, double *pct, et_err *err) {
    double *buf = malloc((size_t)n * sizeof *buf), *ratios = malloc((size_t)rounds * sizeof *ratios);
    et_status st = ET_OK;
    if (!buf || !ratios) {
        st = et_fail(err, ET_E_NOMEM, "out of memory");
        goto done;
    }
    et_result scratch;
    et_result_init(&scratch);
    for (int k = 0; k < rounds && st == ET_OK; k++) {
        /* alternate which half goes first, so a drift within a round favours neither */
        double t[2] = {0, 0}; /* [0] off, [1] on */
        for (int half = 0; half < 2 && st == ET_OK; half++) {
            bool on = (half ^ (k & 1)) != 0;
            if (on)
                et_profilers_start(prof, tids, n_tids);
            st = timed_median(plan, n, buf, cancel, &t[on], err);
            if (on) {
                et_profilers_stop(prof);
                et_profilers_read(prof, n, &scratch);
            }
        }
        ratios[k] = t[0] > 0 ? (t[1] / t[0] - 1.0) * 100.0 : 0.0;
    }
    et_result_free(&scratch);
    if (st == ET_OK) {
        qsort(ratios, (size_t)rounds, sizeof *ratios, cmp_double);
        *pct = ratios[rounds / 2];
    }
done:
    free(buf);
    free(ratios);
    return st;
}

/* The timed part of a run on plan, whose inputs are written: the split decision (plan.h), warm-up, the timed loop
 * with the profilers around it, the overhead rounds; r's iters, samples, latency and profiler readings. ET_OK or the
 * first error (a profiler that fails to open: nothing timed). */
static et_status timed_loop(et_plan *plan, const et_bench_config *cfg, et_result *r, et_err *err) {
    r->warmup_iters = cfg->warmup;
    /* the split decision first (plan.h), so that the warm-up and every timed iteration run the decided plan */
    et_status st = et_plan_settle(plan, cfg->cancel, err);
    if (st == ET_OK)
        note_splits(r, et_plan_get_splits(plan));
    for (int i = 0; i < cfg->warmup && st == ET_OK; i++)
        st = et_plan_run(plan, cfg->cancel, err);

    et_profilers *prof = NULL;
    if (st == ET_OK && cfg->profilers && (st = et_profilers_open(&cfg->prof, &prof, err)) != ET_OK)
        return st;
    int cap = cfg->seconds > 0 ? 1024 : (cfg->iters > 0 ? cfg->iters : 1);
    double *samples = st == ET_OK ? malloc((size_t)cap * sizeof *samples) : NULL;
    if (st == ET_OK && !samples)
        st = et_fail(err, ET_E_NOMEM, "out of memory for latency samples");
    int n = 0;
    if (st == ET_OK) {
        et_plan_reset_profile(plan);
        pid_t tids[MAX_TIDS];
        int n_tids = 0;
        et_threadpool *pool = et_plan_threadpool(plan);
        if (pool)
            n_tids = et_threadpool_tids(pool, tids, MAX_TIDS);
        if (n_tids == 0)
            tids[n_tids++] = (pid_t)syscall(SYS_gettid);
        if (prof)
            et_profilers_start(prof, tids, n_tids);
        double start = et_clock_ms();
        bool until_stable = cfg->stable_rel > 0 && cfg->seconds > 0, stable = false;
        int next_check = cfg->iters > 40 ? cfg->iters : 40;
        double half_rel = NAN;
        for (;;) {
            if (until_stable && n >= next_check) {
                stable = stable_enough(samples, n, cfg->stable_rel, &half_rel);
                next_check = n + (n / 10 > 20 ? n / 10 : 20); /* checks grow with the run: their cost stays small */
                if (stable)
                    break;
            }
            if (until_stable       ? et_clock_ms() - start >= cfg->seconds * 1e3 || n >= MAX_ITERS
                : cfg->seconds > 0 ? (n >= cfg->iters && et_clock_ms() - start >= cfg->seconds * 1e3) || n >= MAX_ITERS
                                   : n >= cfg->iters)
                break;
            if (n == cap) {
                double *grown = realloc(samples, (size_t)cap * 2 * sizeof *samples);
                if (!grown) {
                    st = et_fail(err, ET_E_NOMEM, "out of memory for latency samples");
                    break;
                }
                samples = grown;
                cap *= 2;
            }
            double t0 = et_clock_ms();
            st = et_plan_run(plan, cfg->cancel, err);
            double t1 = et_clock_ms();
            if (st != ET_OK)
                break;
            samples[n++] = t1 - t0;
            if (cfg->progress)
                cfg->progress(cfg->progress_ctx, n, cfg->seconds > 0 ? 0 : cfg->iters, t1 - t0);
        }
        if (prof) {
            et_profilers_stop(prof);
            et_profilers_read(prof, n, r);
        }
        if (until_stable && st == ET_OK) {
            if (!stable && n >= 2)
                stable_enough(samples, n, cfg->stable_rel, &half_rel);
            note_stability(r, stable, half_rel, cfg->stable_rel, cfg->seconds, n);
        }
        if (st == ET_OK && prof && cfg->overhead_rounds > 0)
            st = measure_overhead(plan, prof, tids, n_tids, cfg->iters > 10 ? cfg->iters : 10, cfg->overhead_rounds,
                                  cfg->cancel, &r->profiler_overhead_pct, err);
    }
    et_profilers_close(prof);
    r->iters = n;
    free(r->samples_ms);
    r->samples_ms = samples;
    r->n_samples = n;
    et_latency_stats_compute(samples, n, &r->latency);
    return st;
}

static et_run_status run_status(et_status st) {
    return st == ET_OK ? ET_RUN_OK : st == ET_E_CANCELLED ? ET_RUN_ABORTED : ET_RUN_FAILED;
}

et_status et_bench_plan(et_plan *plan, const et_bench_config *cfg, et_result *r, et_err *err) {
    r->status = ET_RUN_RUNNING;
    et_status st = timed_loop(plan, cfg, r, err);
    r->status = run_status(st);
    return st;
}

et_status et_bench_run(et_session *s, const et_bench_config *cfg, et_result *r, et_err *err) {
    et_plan *plan = et_session_plan(s);
    if (!plan)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    et_session_describe(s, r);
    r->status = ET_RUN_RUNNING;
    et_session_load_inputs(s);
    et_status st = timed_loop(plan, cfg, r, err);
    if (cfg->layers && r->n_samples > 0)
        copy_layers(plan, et_session_tune_report(s), r);
    if (st == ET_OK) { /* after the timed loop: the child process never competes with it */
        st = et_session_deployed_memory(s, cfg->deploy_exe, cfg->cancel, &r->deployed, err);
    }
    if (st == ET_OK && cfg->fidelity) {
        bool half = cfg->eval_half >= 0;
        int step = half ? 2 * (cfg->eval_thin > 1 ? cfg->eval_thin : 1) : 1;
        et_status fs = et_session_fidelity_until(s, half ? cfg->eval_half : 0, step, cfg->stop_misses, cfg->cancel,
                                                 &r->fidelity, err);
        if (fs == ET_E_CANCELLED) {
            st = fs;
        } else if (fs != ET_OK) {
            r->fidelity.status = ET_AVAIL_ERROR;
            snprintf(r->fidelity.why, sizeof r->fidelity.why, "%s", err ? err->msg : "failed");
        }
    }
    r->status = run_status(st);
    return st;
}
