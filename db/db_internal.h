/* db_internal.h: what the files of db/ share and nothing outside db/ (and its tests) may use: the connection
 * struct, the prepared-statement cache, SQLite error mapping and the schema steps. */
#ifndef ET_DB_INTERNAL_H
#define ET_DB_INTERNAL_H

#include <sqlite3.h>

#include "db/db.h"

/* 'ETDB' in PRAGMA application_id: how we tell our databases from another program's SQLite file. */
enum { ET_DB_APPLICATION_ID = 0x45544442 };

/* Column lists of runs (after uuid) and run_stats (after run_id), in the order db_stmts.c binds and reads them. */
#define ET_DB_RUN_COLS "model_id, host_id, " ET_DB_RUN_COLS_REST
#define ET_DB_RUN_COLS_REST                                                                            \
    "model_path, started_unix_ms, saved_unix_ms, status, label, is_baseline, weight_bits, "            \
    "act_bits, granularity, symmetric, prune_ratio, prune_method, nm_n, nm_m, threads, quantize_all, " \
    "engine_version, engine_isa, engine_exec, engine_notes, warmup_iters, iters, prepare_ms, "         \
    "profiler_overhead_pct, clip, force_int8"

#define ET_DB_STATS_COLS                                                                                      \
    "lat_min_ms, lat_mean_ms, lat_p50_ms, lat_p90_ms, lat_p99_ms, lat_max_ms, lat_std_ms, lat_cv, "           \
    "throughput_ips, mem_status, mem_why, peak_rss_bytes, peak_rss_method, weights_bytes, "                   \
    "weights_deploy_bytes, arena_bytes, power_status, power_why, power_source, power_partial, avg_power_w, "  \
    "energy_j, energy_per_inf_mj, power_n_samples, thermal_status, thermal_why, cpu_mhz_start, cpu_mhz_end, " \
    "cpu_mhz_max, throttled, throttle_why, fid_status, fid_why, fid_n_inputs, fid_eval_source, accuracy, "    \
    "baseline_accuracy, dep_status, dep_why, dep_peak_bytes, dep_runtime_bytes, dep_load_peak_bytes, "        \
    "dep_weights_bytes, dep_arena_bytes, dep_method, fid_n_compared"

/* Columns of train_runs and train_epochs (after run_id), in the order train_store.c binds and reads them. */
#define ET_DB_TRAIN_COLS                                                                                      \
    "kind, parent_path, parent_sha256, student_path, student_sha256, output_path, output_sha256, data_path, " \
    "data_sha256, data_samples, data_labels, eval_source, resumed_from, settings, schedule, epochs, batch, "  \
    "seconds, acc_fp32, acc_before, acc_after, agree_before, agree_after, stop_why"
#define ET_DB_EPOCH_COLS                                                                                \
    "epoch, steps, samples, loss, kd, ce, train_agree, train_acc, eval_agree, eval_acc, lr, sparsity, " \
    "seconds, samples_per_s"

/* Columns of sensitivity_points after run_id and idx and before from_run, in the order sens_store.c binds them. */
#define ET_DB_SENS_COLS                                                                                          \
    "layer, candidate, eval_hash, eval_half, iters, measured, error, quality, quality_delta_pp, time_saved_ms, " \
    "layer_ms, p50_ms, bytes_saved, exec"

/* Statements prepared once per connection (SQLITE_PREPARE_PERSISTENT) and reused by every save and load. */
typedef enum {
    ET_ST_MODEL_INSERT,
    ET_ST_MODEL_ID,
    ET_ST_HOST_INSERT,
    ET_ST_HOST_ID,
    ET_ST_RUN_INSERT,
    ET_ST_RUN_FINISH,
    ET_ST_STATS_INSERT,
    ET_ST_ZONE_INSERT,
    ET_ST_COUNTER_INSERT,
    ET_ST_LAYER_INSERT,
    ET_ST_FIDOUT_INSERT,
    ET_ST_SAMPLES_INSERT,
    ET_ST_RUN_LOAD,
    ET_ST_ZONES_LOAD,
    ET_ST_COUNTERS_LOAD,
    ET_ST_LAYERS_LOAD,
    ET_ST_FIDOUT_LOAD,
    ET_ST_SAMPLES_LOAD,
    ET_ST_RUN_RECOVERY_SET, /* schema v3: recover, calib_method, and v6: layers (apart from the run row's statements) */
    ET_ST_RUN_RECOVERY_LOAD,
    ET_ST_COUNT
} et_stmt_id;

struct et_db {
    sqlite3 *sql;
    char path[ET_PATH_MAX];
    bool read_only;
    sqlite3_stmt *stmts[ET_ST_COUNT];
};

/* The cached statement id, prepared on first use and reset + unbound; NULL on failure (err filled). */
sqlite3_stmt *et_db_stmt(et_db *db, et_stmt_id id, et_err *err);

/* Maps an SQLite result code to a status and one line naming the path: busy/locked -> ET_E_IO ("locked"),
 * readonly -> ET_E_PERMISSION, corrupt/notadb -> ET_E_INPUT, full/ioerr/cantopen -> ET_E_IO, nomem -> ET_E_NOMEM,
 * anything else -> ET_E_RUNTIME. `what` says what was being done ("saving run <uuid>"). */
et_status et_db_fail_sql(sqlite3 *sql, const char *path, int rc, const char *what, et_err *err);

/* Runs one or more statements without results; errors as et_db_fail_sql. */
et_status et_db_exec(et_db *db, const char *sql, const char *what, et_err *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. et_db_rollback never fails (a failed rollback leaves SQLite's own). */
et_status et_db_begin(et_db *db, const char *what, et_err *err);
et_status et_db_commit(et_db *db, const char *what, et_err *err);
void et_db_rollback(et_db *db);

/* Schema (schema.c): the ordered migration steps; step i brings user_version from i to i + 1. */
int et_db_schema_step_count(void);
const char *et_db_schema_step(int i);

/* Applies steps [current, n) of `steps` to sql, each in its own BEGIN IMMEDIATE transaction that re-reads
 * user_version first (another process may have migrated meanwhile) and sets user_version and application_id.
 * Used by et_db_open with the real steps and by tests with their own. */
et_status et_db_migrate(sqlite3 *sql, const char *path, const char *const *steps, int n, et_err *err);

/* Writer identity of this process, recorded in 'running' rows (writer.c). */
typedef struct et_db_writer {
    int64_t pid;
    int64_t start_ticks; /* /proc/self/stat field 22; 0 when unknown */
    char boot_id[40];    /* /proc/sys/kernel/random/boot_id; "" when unknown */
} et_db_writer;
void et_db_writer_self(et_db_writer *w);
/* True when the process that wrote w is still alive on this boot (same pid, same start time). */
bool et_db_writer_alive(const et_db_writer *w);
/* Marks 'running' rows whose writer is gone as 'aborted' (one transaction; nothing to do is the common case). */
et_status et_db_sweep_dead_runs(et_db *db, int *n_marked, et_err *err);

/* This machine's /etc/machine-id (or "" when unreadable), stored with hosts measured here (host.c). */
void et_db_local_machine_id(char *out, size_t len);
/* The machine id to store with h: the local one when h->hostname is this machine's hostname, else "". */
void et_db_host_machine_id(const et_host_info *h, char *out, size_t len);

/* Helpers for reading columns: text copied into a fixed buffer (truncated, always terminated); doubles with
 * NULL read as NaN (SQLite stores NaN as NULL). */
void et_db_col_text(sqlite3_stmt *st, int col, char *out, size_t len);
double et_db_col_double(sqlite3_stmt *st, int col);
/* Reads the 10 knob columns starting at col (weight_bits, act_bits, granularity, symmetric, prune_ratio,
 * prune_method, nm_n, nm_m, threads, quantize_all: the order of the runs table); returns the next column. */
int et_db_col_knobs(sqlite3_stmt *st, int col, et_knobs *k);
/* Binds a double, NaN as NULL. */
int et_db_bind_double(sqlite3_stmt *st, int idx, double v);
int et_db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Binding a row in column order: each put takes the next parameter (?first, then ?first+1, ...), so a column
 * added to a list is bound by adding one line in the same place, with no numbers to shift. */
typedef struct et_db_binder {
    sqlite3_stmt *st;
    int next;
} et_db_binder;
et_db_binder et_db_binder_at(sqlite3_stmt *st, int first);
void et_db_put_int(et_db_binder *b, int64_t v);
void et_db_put_bool(et_db_binder *b, bool v);
void et_db_put_real(et_db_binder *b, double v); /* NaN as NULL */
void et_db_put_frac(et_db_binder *b, double v); /* a fraction with "not measured" (< 0) as NULL */
void et_db_put_text(et_db_binder *b, const char *s);
/* Whether every parameter of the statement was bound, no more and no fewer (a column list and its binder out of
 * step is a bug that would otherwise store values in the wrong columns). */
bool et_db_bound_all(const et_db_binder *b);

/* Prepares "<head>(<cols>) VALUES(?, ..., ?)" with one parameter per comma-separated name in cols. ET_OK, or
 * the SQLite error via err naming `what`. The caller finalizes *st. */
et_status et_db_prepare_insert(et_db *db, const char *head, const char *cols, sqlite3_stmt **st, const char *what,
                               et_err *err);

/* Name <-> enum for the text columns. Unknown names parse to the given fallback. */
et_avail et_db_avail_parse(const char *s);
et_run_status et_db_run_status_parse(const char *s);

/* SQL conditions on a `runs` row: same model as run ?1 (same sha256, or same name when the hash is unknown),
 * same host as run ?1 (same device: hostname, cpu, arch, board and machine id; a new kernel is the same host). */
#define ET_DB_SQL_SAME_MODEL_AS_P1                                                                            \
    "model_id IN (SELECT m2.id FROM models m1 JOIN models m2 ON (m1.sha256 <> '' AND m2.sha256 = m1.sha256) " \
    "OR (m1.sha256 = '' AND m2.sha256 = '' AND m2.name = m1.name) "                                           \
    "WHERE m1.id = (SELECT model_id FROM runs WHERE id = ?1))"
#define ET_DB_SQL_SAME_HOST_AS_P1                                                                            \
    "host_id IN (SELECT h2.id FROM hosts h1 JOIN hosts h2 ON h2.hostname = h1.hostname AND h2.cpu = h1.cpu " \
    "AND h2.arch = h1.arch AND h2.board = h1.board AND h2.machine_id = h1.machine_id "                       \
    "WHERE h1.id = (SELECT host_id FROM runs WHERE id = ?1))"

/* "file:" URI of path with the given query ("mode=ro"); characters URIs reserve are %-escaped. */
void et_db_uri(const char *path, const char *query, char *out, size_t len);

/* Milliseconds since the epoch. */
int64_t et_db_now_unix_ms(void);

#endif
