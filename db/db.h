/* db.h: the run database (README.md, Design: DB): every measured run is stored in SQLite, so runs can be listed,
 * shown, compared, labelled, removed and merged from other devices later.
 *
 * One et_db is one connection to one runs.db; it is not shared between threads (open one per thread: SQLite
 * serialises writers across connections and processes). The file is in WAL mode with foreign keys on and a
 * busy timeout of ET_DB_BUSY_TIMEOUT_MS, so the workbench and a `bench` in another terminal can both write.
 * Every write is one BEGIN IMMEDIATE transaction: a process killed at any point leaves either the whole run or
 * none of it.
 *
 * Interrupted runs. et_db_save_run() stores a finished run (status ok, or aborted when bench was stopped by a
 * signal) in one transaction. A front end that wants a trace of a run in flight calls et_db_begin_run() first
 * (a row with status 'running' and the writer's pid, boot id and process start time), then et_db_finish_run().
 * If the process dies in between, the next et_db_open() that can write finds the row's writer gone and marks
 * it 'aborted'.
 *
 * Errors: every function returns et_status and fills err with one line that names the database path (and the
 * run) and says what to do. A file that is not an edgetune database, a database from a newer edgetune, or a
 * corrupt file is refused with ET_E_INPUT / ET_E_UNSUPPORTED and never written to. */
#ifndef ET_DB_DB_H
#define ET_DB_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "record/result.h"
#include "record/sensitivity.h"
#include "record/train_record.h"
#include "util/status.h"

enum { ET_DB_BUSY_TIMEOUT_MS = 5000 };

typedef struct et_db et_db;

typedef enum {
    ET_DB_READ,      /* the file must exist; opened read-write when possible (to mark dead 'running' rows aborted and
                    apply migrations), read-only otherwise */
    ET_DB_WRITE,     /* created (with its directories) when missing; must be writable */
    ET_DB_READ_ONLY, /* the file must exist and is never written: no migration, no marking of dead runs (import
                        reads other databases this way) */
} et_db_mode;

/* Resolves the database path: cli_path (--db) if not NULL, else $EDGETUNE_DB, else $XDG_DATA_HOME/edgetune/runs.db
 * (when XDG_DATA_HOME is absolute), else $HOME/.local/share/edgetune/runs.db. Writes at most len bytes to out.
 * ET_E_USAGE when no path can be formed (no HOME) or it does not fit. */
et_status et_db_resolve_path(const char *cli_path, char *out, size_t len, et_err *err);

/* Opens (and for ET_DB_WRITE creates) the database at path (resolved with et_db_resolve_path; NULL means the
 * default). Applies pending schema migrations. On success *out owns the connection: close it with et_db_close.
 * Errors (nothing is written to the file in any of them): ET_E_IO (missing file in ET_DB_READ mode, cannot create
 * the directory, locked longer than the busy timeout), ET_E_PERMISSION (read-only file or directory in ET_DB_WRITE
 * mode), ET_E_INPUT (not an SQLite file, another program's SQLite database, corrupt), ET_E_UNSUPPORTED (written by
 * a newer edgetune). */
et_status et_db_open(const char *path, et_db_mode mode, et_db **out, et_err *err);

/* Closes the connection; NULL is fine. */
void et_db_close(et_db *db);

/* The resolved path of the open database (owned by db). */
const char *et_db_path(const et_db *db);

/* True when the connection is read-only (ET_DB_READ on a file this process cannot write). */
bool et_db_is_read_only(const et_db *db);

/* The schema version this build writes (PRAGMA user_version). */
int et_db_schema_version(void);

/* `PRAGMA integrity_check`: ET_OK when SQLite reports "ok", ET_E_INPUT with its first complaint otherwise. */
et_status et_db_check_integrity(et_db *db, et_err *err);

/* ---- storing runs (run_save.c) ---- */

/* Stores r in one transaction: its model and host (shared rows, found or added), the run with every knob, stats,
 * counters, thermal zones, layers, fidelity per output and the latency samples and power timeline as LZ4 blobs.
 * r->uuid identifies the run everywhere; when empty a fresh one is made. *run_id (may be NULL) gets the local id.
 * ET_E_INPUT when a run with that uuid is already stored; database errors as for et_db_open. */
et_status et_db_save_run(et_db *db, const et_result *r, int64_t *run_id, et_err *err);

/* Stores the run row of r (model, host, knobs, engine) with status 'running' and this process as its writer, in
 * its own transaction; *run_id gets its id. Finish it with et_db_finish_run. */
et_status et_db_begin_run(et_db *db, const et_result *r, int64_t *run_id, et_err *err);

/* Completes a run begun with et_db_begin_run: updates the row from r (status from r->status; 'running' is stored
 * as 'aborted') and stores everything else, in one transaction. A row that a sweep marked aborted meanwhile is
 * still completed (the writer was alive after all). ET_E_INPUT when run_id was finished already or removed. */
et_status et_db_finish_run(et_db *db, int64_t run_id, const et_result *r, et_err *err);

typedef enum {
    ET_DB_LOAD_ALL = 0,
    ET_DB_LOAD_NO_SAMPLES = 1, /* skip the latency samples, power timeline and per-input results (n_samples stays 0) */
} et_db_load_flags;

/* Fills out (which must be initialised with et_result_init, and is freed and re-initialised first) with run
 * run_id. Blobs are checked: a truncated or corrupt blob gives ET_E_INPUT naming the run and what to do.
 * ET_E_INPUT when there is no such run. On failure out is left initialised and empty. */
et_status et_db_load_run(et_db *db, int64_t run_id, et_db_load_flags flags, et_result *out, et_err *err);

/* A run's per-input results on its evaluation set (db/run_inputs.c): save stores f's top1/correct arrays (nothing
 * when f->n_per_input is 0), inside the caller's transaction; load replaces f's arrays and eval_hash (none stored:
 * n_per_input 0, ET_OK). A damaged blob is ET_E_INPUT naming the run. */
et_status et_db_save_inputs(et_db *db, int64_t run_id, const et_fidelity_info *f, et_err *err);
et_status et_db_load_inputs(et_db *db, int64_t run_id, et_fidelity_info *f, et_err *err);

/* What et_db_load_run leaves out of et_result: blob sizes of a run's samples, for `show`. */
typedef struct et_db_blob_info {
    bool present;
    int count;
    char codec[16];
    int64_t raw_bytes;    /* before compression */
    int64_t stored_bytes; /* the blob as stored, header included */
} et_db_blob_info;
typedef struct et_db_run_meta {
    int64_t id;
    int64_t saved_unix_ms;
    char model_path[ET_PATH_MAX];
    char machine_id[64];
    et_db_blob_info latency, power;
} et_db_run_meta;

/* Storage facts of run run_id. ET_E_INPUT when there is no such run. */
et_status et_db_run_meta_get(et_db *db, int64_t run_id, et_db_run_meta *out, et_err *err);

/* Sets the label (empty clears it). ET_E_INPUT when there is no such run. */
et_status et_db_set_label(et_db *db, int64_t run_id, const char *label, et_err *err);

/* Marks run_id as the baseline of its model on its host (unmarking any other run of that model and host; the
 * id of the previously marked run, or 0, goes to *previous, which may be NULL), or with on == false clears the
 * mark. `compare` prefers a marked baseline over the default rule. */
et_status et_db_set_baseline(et_db *db, int64_t run_id, bool on, int64_t *previous, et_err *err);

/* Deletes a run and everything stored with it. ET_E_INPUT when there is no such run. */
et_status et_db_delete_run(et_db *db, int64_t run_id, et_err *err);

/* ---- stored sensitivities (sens_store.c) ---- */

/* What, besides the base run's model, host and knobs, decides whether stored points can stand for new ones. */
typedef struct et_db_sens_set {
    char eval_hash[17]; /* the evaluation set's content hash (et_fidelity_info.eval_hash); "" unknown */
    int eval_half;      /* -1 every input, 0 or 1 the even or odd positions (a search's halves) */
    int iters;          /* timed iterations per point; finding: <= 0 matches any */
    int saved_rule;     /* the rule time_saved_ms was measured by (record/sensitivity.h ET_SENS_SAVED_RULE; 0 the
                           first: the layer's own step only): points of another rule are never found */
    bool from_base;     /* under recovery, each point recovered from the base's recovery (bench/sensitivity.h
                           recover_from_base), an approximation: such points and fully recovered ones never stand
                           for each other */
} et_db_sens_set;

/* Stores n points of an analysis under base_run (the run of its base measurement), replacing points stored there
 * with the same index; one transaction. */
et_status et_db_save_sensitivity(et_db *db, int64_t base_run, const et_db_sens_set *set, const et_sens_point *pts,
                                 int n, et_err *err);

/* The measured points of the newest other analysis with the same model, host, knobs (per-layer overrides, threads
 * and the kernels' ISA included) as base_run and the same set; *pts (caller frees) NULL and *n 0 when there is
 * none. Each point's from_run names the run it was measured under. */
et_status et_db_find_sensitivity(et_db *db, int64_t base_run, const et_db_sens_set *set, et_sens_point **pts, int *n,
                                 et_err *err);

/* ---- training runs (train_store.c) ---- */

/* Stores the training record of run run_id (replacing an earlier one: the job stores it when it starts, after
 * every epoch and at the end), epochs included, in one transaction. ET_E_INPUT when there is no such run. */
et_status et_db_save_train(et_db *db, int64_t run_id, const et_train_record *t, et_err *err);

/* Loads the training record of run run_id into out (initialised by the caller with et_train_record_init; freed
 * and re-initialised first). *found is false for a run that is not a training run (out stays empty). */
et_status et_db_load_train(et_db *db, int64_t run_id, et_train_record *out, bool *found, et_err *err);

/* ---- the baseline of a run (baseline.c) ---- */

/* Which rule chose a default baseline. */
typedef enum {
    ET_BASELINE_NONE,        /* no run fits: no marked run, no finished fp32 run with these threads */
    ET_BASELINE_MARKED,      /* the run marked baseline of the model on the host (any thread count) */
    ET_BASELINE_NEWEST_FP32, /* the newest finished fp32 run of the model on the host with the same threads */
    ET_BASELINE_KIND_COUNT
} et_baseline_kind;

/* The default baseline of run_id: the run marked baseline for its model on its host, else the newest finished fp32
 * run of the same model with the same threads on the same host (possibly run_id itself). *base_id gets 0 when
 * there is none (or no such run); *kind (may be NULL) the rule that chose it. Database errors as usual. */
et_status et_db_default_baseline(et_db *db, int64_t run_id, int64_t *base_id, et_baseline_kind *kind, et_err *err);

/* The same rule for a model measured on a host with threads, before any run of them is stored (the workbench
 * measures the baseline first when this finds none). The host's machine id is taken as et_db_save_run stores it. */
et_status et_db_baseline_for(et_db *db, const et_model_info *model, const et_host_info *host, int threads,
                             int64_t *base_id, et_baseline_kind *kind, et_err *err);

/* One line saying why a baseline of this kind was chosen, or for ET_BASELINE_NONE why none was and what to do:
 * "marked baseline of this model on this host". Static text. */
const char *et_db_baseline_why(et_baseline_kind kind);

/* ---- finding and listing (run_query.c) ---- */

/* Resolves a RUN reference given by a user: a decimal number is the local run id; "last" is the newest run;
 * anything else (at least 4 characters) is a uuid prefix. A number that is no run id is tried as a uuid prefix.
 * ET_E_INPUT with one line for an unknown run or an ambiguous prefix (naming the candidates). */
et_status et_db_find_run(et_db *db, const char *ref, int64_t *run_id, et_err *err);

typedef struct et_run_filter {
    const char *model;  /* substring of the model name, or a sha256 prefix; NULL: any */
    const char *host;   /* substring of the hostname; NULL: any */
    const char *label;  /* substring of the label; NULL: any */
    int weight_bits;    /* 0: any */
    int act_bits;       /* 0: any */
    int threads;        /* 0: any */
    double prune_ratio; /* < 0: any; else equal within 0.0005 */
    int prune_method;   /* < 0: any; else an et_prune_method */
    bool baselines_only;
    int limit; /* <= 0: no limit */
} et_run_filter;

/* A filter that matches every run. */
et_run_filter et_run_filter_any(void);

/* One line of `edgetune runs`. Unmeasured values are NaN. */
typedef struct et_run_summary {
    int64_t id;
    char uuid[ET_UUID_LEN + 1];
    int64_t started_unix_ms;
    et_run_status status;
    bool is_baseline;
    char label[ET_NAME_MAX];
    char model[ET_NAME_MAX];
    char hostname[ET_NAME_MAX];
    et_knobs knobs;
    char exec[32];
    int iters;
    double p50_ms, p99_ms;
    double deployed_bytes; /* what the tuned model needs when deployed (the memory headline) */
    double peak_rss_bytes; /* edgetune's own peak while measuring */
    double energy_per_inf_mj;
    char trained[16]; /* a training run: "finetune" or "distill" (train_store.c); "" otherwise */
    int train_epochs; /* a training run's completed epochs */
} et_run_summary;

/* Lists the runs matching f, newest first. *out (free() it) gets *n summaries. */
et_status et_db_list_runs(et_db *db, const et_run_filter *f, et_run_summary **out, int *n, et_err *err);

/* Number of stored runs. */
et_status et_db_count_runs(et_db *db, int64_t *n, et_err *err);

/* ---- merging (import.c) ---- */

typedef struct et_import_stats {
    int runs_added, runs_skipped; /* skipped: the uuid was already here */
    int models_added, hosts_added;
} et_import_stats;

/* Copies every run of the database at other_path whose uuid is not in db yet (with its model, host and all its
 * data) in one transaction. Hosts are matched by their whole identity (hostname, cpu, arch, board, kernel,
 * cores, machine id), so two devices never merge. Importing the same file again adds nothing. other_path is
 * opened read-only and never written. ET_E_INPUT / ET_E_UNSUPPORTED / ET_E_IO for a bad other file (as for
 * et_db_open), ET_E_USAGE when it is the same database. */
et_status et_db_import(et_db *db, const char *other_path, et_import_stats *stats, et_err *err);

#endif
