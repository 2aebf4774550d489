/* bench.h: one measured run: warm-up, timed iterations, statistics, profilers around the timed loop only,
 * fidelity outside it (README.md, Design: Bench). Used by `edgetune bench`, `sweep` and the workbench. */
#ifndef ET_BENCH_BENCH_H
#define ET_BENCH_BENCH_H

#include "bench/session.h"
#include "profilers/profilers.h"
#include "record/result.h"

typedef struct et_bench_config {
    int warmup;             /* untimed iterations first (default 5) */
    int iters;              /* timed iterations (default 50); with seconds > 0, the minimum */
    double seconds;         /* > 0: keep timing until this many seconds have passed (capped at 100000 iterations);
                            with stable_rel > 0, the time cap */
    double stable_rel;      /* > 0 (`bench --until-stable`): keep timing (at least `iters`) until the 95 % interval of
                            the median (et_ab_median_interval) is within +-stable_rel of it, or `seconds` (the cap,
                            which must be > 0) pass; the run's engine notes say which, with the width reached */
    bool fidelity;          /* compare with the fp32 baseline on the evaluation set (default true) */
    int eval_half;          /* fidelity on every input (-1, default) or only those at even (0) or odd (1) positions
                               of the set's order (et_session_fidelity_part; a search's sensitivity, search.h) */
    int eval_thin;          /* with eval_half >= 0: only every eval_thin-th input of that half (positions eval_half +
                               2 eval_thin j; 0 or 1, default: all of it): a search screens on a subset (search.c) */
    int64_t stop_misses;    /* >= 0: the fidelity pass stops once more inputs than this missed (a search's
                               sensitivity point that has lost too much, et_session_fidelity_until); -1 (default) never */
    const char *deploy_exe; /* the edgetune binary that measures deployed memory (ET_DEPLOY_SELF_EXE from the
                               edgetune binary itself); NULL: not measured (default: library users and tests
                               are not edgetune) */
    bool profilers;         /* counters, power, memory, thermal around the timed loop (default true) */
    et_profiler_config prof;
    bool layers;                /* copy the per-layer profile (the session must time layers) */
    int overhead_rounds;        /* > 0: afterwards, alternate this many rounds of `iters` iterations with profilers off
                            and on, and store the latency cost of profiling in profiler_overhead_pct */
    const volatile int *cancel; /* non-zero stops the run between iterations: status "aborted" */
    /* called after each timed iteration from the measuring thread; may be NULL */
    void (*progress)(void *ctx, int done, int total, double last_ms);
    void *progress_ctx;
} et_bench_config;

et_bench_config et_bench_config_default(void);

/* Measures the session's current configuration into r (which the caller initialised with et_result_init and
 * later frees). Returns ET_OK with r->status ok; ET_E_CANCELLED with r->status aborted and the iterations done so
 * far; other errors with r->status failed and err naming the cause. */
et_status et_bench_run(et_session *s, const et_bench_config *cfg, et_result *r, et_err *err);

/* Times a prepared plan held outside a session (et_session_detach) with the same loop as et_bench_run: warm-up,
 * timed iterations (iters, seconds, until-stable), profilers around them when on; into r: status, iters, samples,
 * latency and profiler readings only (no identity, layer profile, deployed memory or fidelity). The plan runs on
 * the inputs already in it. Returns as et_bench_run. A search times its kept plans with it (search.c). */
et_status et_bench_plan(et_plan *plan, const et_bench_config *cfg, et_result *r, et_err *err);

#endif
