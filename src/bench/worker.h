/* worker.h: the workbench's measurement thread (README.md, Design: UI). It owns the et_session and its own
 * database connection; the UI only posts requests (the knobs it wants, re-measure, mark baseline, stop) and reads
 * snapshots. It never touches the terminal.
 *
 * What it does for the knobs it was given last:
 *   1. the baseline: fp32 with the same threads. The run marked baseline for this model on this host, else the
 *      newest finished fp32 run with those threads (the database's one rule, et_db_baseline_for, that `compare`
 *      uses too), else it measures one first;
 *   2. derives the tuned model (et_session_configure); a failure (e.g. knobs this build cannot run) is published
 *      as state FAILED with the reason, and the worker waits for other knobs;
 *   3. fidelity against fp32 (accuracy with labels) first, published before any latency, when one pass over the
 *      evaluation set is expected to be quick: its size times the baseline's median latency at most
 *      opt.fidelity_first_s (the demo's 500 images: about 0.4 s here), so a knob change shows its accuracy within
 *      about a second; a slower set (or the baseline's own run, with no latency to estimate from) is checked in
 *      step 5 instead, so its latency is not held up;
 *   4. measures in short chunks back to back (et_bench_run), accumulating samples, counters, energy and layer
 *      times for these knobs, publishing a snapshot after each chunk, until the median settles (its 95 % interval
 *      within +-settle_rel, et_ab_median_interval) or a time cap; the run's notes say which;
 *   5. the memory the tuned model needs when deployed (a separate process, deploy_memory.h), fidelity against
 *      fp32 unless step 3 did it, then the run is stored (et_db_begin_run before measuring, et_db_finish_run
 *      after), and the worker sleeps until the next request.
 * A knob change cancels the measurement in flight at once (between two plan steps) and discards it: it was
 * superseded, not completed. Stopping (quit, signal) keeps it: the part measured is stored as aborted.
 *
 * Wake-up: after each publish the worker writes one byte to options.wake_fd (non-blocking; a full pipe is fine),
 * so the UI can sleep in poll() and redraw only when something changed.
 *
 * Threads: every function here is called from one other thread (the UI); the worker thread starts with every
 * signal blocked, so SIGINT, SIGTERM, SIGHUP and SIGWINCH reach the UI thread only. */
#ifndef ET_BENCH_WORKER_H
#define ET_BENCH_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/session.h"
#include "record/result.h"
#include "util/status.h"

/* X(enum, text shown in the UI) */
#define ET_WORKER_STATE_LIST(X)                                                         \
    X(ET_WORKER_STARTING, "starting")                                                   \
    X(ET_WORKER_PREPARING, "preparing")         /* deriving the tuned model and plan */ \
    X(ET_WORKER_BASELINE, "measuring baseline") /* fp32 first: none stored yet */       \
    X(ET_WORKER_MEASURING, "measuring")                                                 \
    X(ET_WORKER_FIDELITY, "fidelity") /* comparing outputs with fp32 */                 \
    X(ET_WORKER_SETTLED, "settled")   /* done, stored; idle */                          \
    X(ET_WORKER_FAILED, "n/a")        /* these knobs cannot run: see error */           \
    X(ET_WORKER_STOPPED, "stopped")
typedef enum {
#define ET_X(e, s) e,
    ET_WORKER_STATE_LIST(ET_X)
#undef ET_X
        ET_WORKER_STATE_COUNT
} et_worker_state;
const char *et_worker_state_name(et_worker_state s);

typedef struct et_worker_options {
    bool save;               /* store every completed measurement as a run */
    const char *db_path;     /* NULL: $EDGETUNE_DB or the default (et_db_resolve_path); copied */
    int warmup;              /* untimed iterations after each configure (default 5) */
    double chunk_seconds;    /* one et_bench_run of at least this long (default 0.25) */
    double min_seconds;      /* timed seconds before the median may count as settled (default 1) */
    double max_seconds;      /* stop there even if it has not settled (default 6) */
    int min_iters;           /* timed iterations before it may settle (default 10) */
    double settle_rel;       /* settled: the 95 % interval of the median is within +- this fraction of it (default 0.02;
                              et_ab_median_interval, as `bench --until-stable`) */
    bool profilers;          /* counters, power, memory, thermal (default true) */
    bool fidelity;           /* default true */
    double fidelity_first_s; /* fidelity before timing when a pass is expected to take at most this (default 1);
                                0: always after timing */
    const char *deploy_exe;  /* the edgetune binary that measures deployed memory (deploy_memory.h); NULL: not
                               measured (the default: tests are not edgetune) */
    int wake_fd;             /* write end of the UI's wake-up pipe, or -1 */
} et_worker_options;

et_worker_options et_worker_options_default(void);

/* What the UI shows. Filled by et_worker_snapshot_get; free with et_worker_snapshot_free. */
typedef struct et_worker_snapshot {
    const void *source; /* the worker this copy came from (another worker: everything is copied) */
    uint64_t seq;       /* changes with every publish */
    et_worker_state state;
    et_knobs knobs;                /* the knobs being measured (the latest requested ones) */
    char error[ET_ERR_MSG_MAX];    /* state FAILED: why these knobs cannot be measured */
    char db_error[ET_ERR_MSG_MAX]; /* "" or why runs are not being stored */
    et_model_info model;           /* of the session, from the start */
    et_host_info host;
    bool have_current;
    et_result current;        /* the measurement for `knobs`, accumulated so far (status running until done) */
    int64_t current_run_id;   /* its run id in the database once begun, else 0 */
    double current_seconds;   /* timed seconds accumulated */
    bool current_is_baseline; /* current is the baseline itself (fp32 with the baseline's threads) */
    bool mark_pending;        /* `b` was pressed while measuring: marked when it completes */
    uint64_t baseline_seq;    /* changes when the baseline changes */
    bool have_baseline;
    et_result baseline;
    int64_t baseline_run_id;       /* 0 when not stored (--no-save) */
    char baseline_why[ET_WHY_MAX]; /* how it was chosen, e.g. "run 12 (newest fp32, 4 threads)" */
    bool measuring_baseline;       /* state BASELINE: the fp32 run is being measured before `knobs` */
    int runs_saved;                /* runs stored by this worker */
    int64_t last_saved_run_id;
    char message[ET_WHY_MAX]; /* last event for the status line ("baseline is now run 7"), or "" */
    uint64_t message_seq;
    /* state PREPARING with recovery: layers done of total, the time spent and left (ms; left < 0: unknown) */
    int prep_done, prep_total;
    double prep_elapsed_ms, prep_left_ms;
} et_worker_snapshot;

void et_worker_snapshot_init(et_worker_snapshot *s);
void et_worker_snapshot_free(et_worker_snapshot *s);

typedef struct et_worker et_worker;

/* Starts the thread. The worker takes ownership of session (also on failure) and starts measuring knobs at once.
 * ET_E_NOMEM / ET_E_RUNTIME when the thread cannot start. Database problems are not errors here: they show in
 * the snapshot's db_error, and measuring goes on. */
et_status et_worker_start(et_session *session, const et_knobs *knobs, const et_worker_options *opt, et_worker **out,
                          et_err *err);

/* The knobs to measure next. Equal knobs are ignored; others cancel the measurement in flight (unless it is the
 * baseline the new knobs need as well) and start the new one. */
void et_worker_set_knobs(et_worker *w, const et_knobs *knobs);

/* Measures the current knobs again (a new run). */
void et_worker_remeasure(et_worker *w);

/* Makes the current run the baseline of this model on this host (marked in the database, so `compare` uses it
 * too). A run still measuring is marked when it completes; knobs that cannot run leave a message instead. */
void et_worker_mark_baseline(et_worker *w);

/* Copies the latest snapshot into *s (which holds the previous copy, or was just initialised). Returns false,
 * leaving *s as it is, when nothing changed since that copy. The baseline is copied only when it changed. */
bool et_worker_snapshot_get(et_worker *w, et_worker_snapshot *s);

/* Cancels the measurement in flight, stores what it measured as an aborted run, closes the database, joins the
 * thread and frees everything (the session too). NULL is fine. */
void et_worker_stop(et_worker *w);

/* For tests: folds one measured chunk c into the accumulated run acc (samples appended, statistics recomputed,
 * counters and energy summed, peak memory the largest, layer times weighted by iterations). The first chunk is
 * copied. Returns false when out of memory (acc then holds what it had). */
bool et_worker_accumulate(et_result *acc, const et_result *c);

#endif
