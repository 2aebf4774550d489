/* search_worker.h: a search (search.h, with the sessions, stored runs and -o file of search_job.h: what `edgetune
 * search` runs) on a thread of its own, for the workbench's search view. As train_worker.h does for training, it
 * turns the search's steps into snapshots the UI copies:
 *
 *   et_search_worker_start     copies the options, starts the thread, returns at once
 *   et_search_worker_snapshot  the latest: phase and step, time spent and left, the points measured so far
 *                              (kind, p50, bytes, drops), and at the end the winner, the stored runs, the outcome
 *   et_search_worker_cancel    stops at the next point; what was measured is stored, as the CLI does on Ctrl-C
 *                              (and as after an error of a later phase: the snapshot then has the points, the
 *                              stored runs and the error)
 *   et_search_worker_write     writes the winner as a --layers-config file (as `search -o FILE`)
 *   et_search_worker_free      cancels when still running, joins, frees
 *
 * After each published change the thread writes one byte to wake_fd (non-blocking). The thread starts with every
 * signal blocked. It opens its own sessions and database connection (one connection per thread, db.h). */
#ifndef ET_SEARCH_SEARCH_WORKER_H
#define ET_SEARCH_SEARCH_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "record/knobs.h"
#include "record/result.h"
#include "search/search.h"

typedef struct et_search_worker_options {
    const char *model_path; /* the model (required) */
    const et_input_shape *shapes;
    int n_shapes;
    const char *eval_dir, *calib_dir, *labels_path; /* NULL: beside the model, as for bench */
    int64_t eval_limit;
    et_knobs knobs;     /* the base: the model-wide knobs and overrides (recovery included) */
    double max_drop_pp; /* against fp32, percentage points */
    et_search_objective objective;
    const char *candidates; /* NULL: et_search_default_candidates(objective) */
    /* the measuring: the CLI's defaults from et_search_options_default (iters, seconds, rounds, ...) */
    int iters, warmup, sens_iters, rounds, n_finalists;
    double point_s, budget_s;
    const char *uniform_bits, *uniform_act_bits, *uniform_prune, *uniform_methods; /* NULL: search_job.h's */
    const char *db_path;  /* the run database (NULL: nothing stored nor reused) */
    const char *out_path; /* NULL: no file; else the winner is written there at the end (as -o) */
    int sens_max_points;  /* et_search_config.sens_max_points (0: every point) */
    const char *fail_at;  /* et_search_config.fail_at, the test hook (NULL: none; not copied: a string literal) */
} et_search_worker_options;

/* The CLI's defaults (`edgetune search` without flags): max drop 1 pp, latency, the default candidates. */
et_search_worker_options et_search_worker_options_default(void);

/* A measured point as the view shows it. */
typedef struct et_search_snap_point {
    et_search_kind kind;
    char name[96];
    bool measured, failed;
    double p50_ms;                          /* NaN until measured */
    int64_t bytes;                          /* weights as stored */
    double drop_search_pp, drop_heldout_pp; /* against the reference (fp32) */
    int n_changed;                          /* finalists: layers changed from the base */
    double paired_p50_ms;                   /* NaN unless timed in the paired rounds */
    /* finalists: the latency prediction's check (search_pred.h; NaN when unknown, pred_paired: on the paired p50) */
    double pred_p50_ms, pred_err_pct;
    bool pred_paired;
} et_search_snap_point;

enum { ET_SEARCH_SNAP_POINTS = 96 }; /* the points a snapshot holds (the default grid and every finalist fit) */

/* Plain data: copy by assignment. */
typedef struct et_search_snapshot {
    uint64_t seq;   /* changes with every publish; 0: nothing published yet */
    char phase[16]; /* "opening", "reference", "sensitivity", "base", "uniform", "finalist", "storing", "done" */
    int done, total, round, rounds;
    double left_s;    /* estimated time left in the phase (the sensitivity, or the measuring), < 0 unknown */
    double elapsed_s; /* since the job started */
    char line[256];   /* the search's latest progress line (as the CLI prints it) */
    et_search_snap_point pts[ET_SEARCH_SNAP_POINTS];
    int n_pts, n_measured;
    int winner, best_uniform; /* indices into pts, -1 none */
    bool is_accuracy;         /* accuracy on labels, else top-1 agreement with fp32 */
    int n_search, n_heldout;  /* inputs of the two halves */
    char fidelity[512];       /* fidelity mode: what the quality is measured on ("" with an evaluation set) */
    char pred_line[256];      /* how good the latency predictions were (et_search_pred_say), "" until finished */
    et_search_objective objective;
    double max_drop_pp;
    et_knobs winner_knobs; /* the winner's knobs (base knobs and per-layer overrides) when winner >= 0 */
    bool finished;         /* the job returned: status, error, group and stored hold its outcome */
    bool cancel_asked, cancelled, out_of_time;
    et_status status;
    char error[ET_ERR_MSG_MAX];
    char group[48]; /* the stored runs' label prefix ("search <time>"), "" when not stored */
    int n_stored;
    char out_note[ET_ERR_MSG_MAX]; /* "wrote FILE" or why not, when an out path was given */
} et_search_snapshot;

typedef struct et_search_worker et_search_worker;

/* Starts the search o (strings and shapes copied). ET_E_NOMEM / ET_E_RUNTIME when the thread cannot start;
 * problems with the options, files and database come back in the snapshot (finished, status, error). */
et_status et_search_worker_start(const et_search_worker_options *o, int wake_fd, et_search_worker **out, et_err *err);

/* Copies the latest snapshot into *s when it changed since s->seq; returns whether it did. NULL w: false. */
bool et_search_worker_snapshot(et_search_worker *w, et_search_snapshot *s);

/* Asks the search to stop at the next point (what was measured is kept and stored). */
void et_search_worker_cancel(et_search_worker *w);

/* Writes the finished search's winner as a --layers-config file. ET_E_USAGE while running or without a winner;
 * ET_E_IO naming the file. */
et_status et_search_worker_write(et_search_worker *w, const char *path, et_err *err);

/* Cancels a search still running, waits for it (its points stored), frees. NULL is fine. */
void et_search_worker_free(et_search_worker *w);

#endif
