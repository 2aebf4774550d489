/* schema.c: the database schema as an ordered list of migration steps, and the migration runner.
 *
 * Step i takes PRAGMA user_version from i to i + 1; a database is at version N when steps 0..N-1 have run. Steps
 * are only ever appended: a released step is never edited, so every database reaches the same schema by the same
 * path. A database whose user_version is above et_db_schema_version() was written by a newer edgetune and is
 * refused by et_db_open without being touched.
 *
 * Design of version 1 (the tables README.md, Design: DB, names; every field of et_result has a home):
 *  - models and hosts are shared rows; runs point at them. A model is (sha256, name); a host is its whole
 *    identity, machine id included, so two devices with the same hostname stay apart after an import.
 *  - runs: one row per measurement with the full knob configuration as columns (filterable), engine facts,
 *    iterations, status, label, baseline mark and, for 'running' rows, the writer (pid, start time, boot id).
 *  - run_stats: 1:1 with runs: latency statistics and the scalar parts of memory, power, thermal and fidelity.
 *  - thermal_zones, counters, layers, fidelity_outputs: the per-run arrays, keyed (run_id, idx).
 *  - samples: per-run blobs (kind 'latency_ms' or 'power'), LZ4 with a checked header (samples_codec.c); codec,
 *    element type, count and raw size are columns too, so a reader can tell what it has without decoding.
 * Status-like fields are stored as their names ("ok", "no permission") so the file reads well in sqlite3 and
 * does not depend on enum order. NaN is stored as NULL (SQLite's own rule); +inf SQNR is stored as is. */
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

static const char schema_v1[] =
    "CREATE TABLE models("
    "  id INTEGER PRIMARY KEY,"
    "  sha256 TEXT NOT NULL," /* hex of the file bytes; '' when unknown */
    "  name TEXT NOT NULL,"
    "  file_bytes INTEGER NOT NULL,"
    "  params INTEGER NOT NULL,"
    "  macs INTEGER NOT NULL,"
    "  UNIQUE(sha256, name));"
    "CREATE TABLE hosts("
    "  id INTEGER PRIMARY KEY,"
    "  hostname TEXT NOT NULL, cpu TEXT NOT NULL, arch TEXT NOT NULL, board TEXT NOT NULL,"
    "  kernel TEXT NOT NULL, cores INTEGER NOT NULL,"
    "  machine_id TEXT NOT NULL," /* /etc/machine-id of the device, '' when unknown */
    "  UNIQUE(hostname, cpu, arch, board, kernel, cores, machine_id));"
    "CREATE TABLE runs("
    "  id INTEGER PRIMARY KEY,"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  model_id INTEGER NOT NULL REFERENCES models(id),"
    "  host_id INTEGER NOT NULL REFERENCES hosts(id),"
    "  model_path TEXT NOT NULL,"
    "  started_unix_ms INTEGER NOT NULL,"
    "  saved_unix_ms INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK(status IN ('ok','aborted','failed','running')),"
    "  label TEXT NOT NULL DEFAULT '',"
    "  is_baseline INTEGER NOT NULL DEFAULT 0 CHECK(is_baseline IN (0,1)),"
    "  weight_bits INTEGER NOT NULL, act_bits INTEGER NOT NULL, granularity TEXT NOT NULL,"
    "  symmetric INTEGER NOT NULL, prune_ratio REAL NOT NULL, prune_method TEXT NOT NULL,"
    "  nm_n INTEGER NOT NULL, nm_m INTEGER NOT NULL, threads INTEGER NOT NULL, quantize_all INTEGER NOT NULL,"
    "  engine_version TEXT NOT NULL, engine_isa TEXT NOT NULL, engine_exec TEXT NOT NULL,"
    "  engine_notes TEXT NOT NULL,"
    "  warmup_iters INTEGER NOT NULL, iters INTEGER NOT NULL,"
    "  prepare_ms REAL, profiler_overhead_pct REAL,"
    "  clip TEXT NOT NULL DEFAULT 'minmax', force_int8 INTEGER NOT NULL DEFAULT 0,"
    "  writer_pid INTEGER, writer_start_ticks INTEGER, writer_boot_id TEXT);"
    "CREATE INDEX runs_by_time ON runs(started_unix_ms, id);"
    "CREATE INDEX runs_by_model ON runs(model_id, threads, started_unix_ms);"
    /* compare's default baseline: a marked run, else the newest fp32 run, of a model on a host */
    "CREATE INDEX runs_baselines ON runs(model_id, host_id) WHERE is_baseline = 1;"
    "CREATE INDEX runs_fp32 ON runs(model_id, host_id, threads, started_unix_ms) WHERE status = 'ok' "
    "AND weight_bits = 32 AND act_bits = 32 AND prune_ratio = 0;"
    "CREATE INDEX runs_running ON runs(status) WHERE status = 'running';"
    "CREATE TABLE run_stats("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    "  lat_min_ms REAL, lat_mean_ms REAL, lat_p50_ms REAL, lat_p90_ms REAL, lat_p99_ms REAL,"
    "  lat_max_ms REAL, lat_std_ms REAL, lat_cv REAL, throughput_ips REAL,"
    "  mem_status TEXT NOT NULL, mem_why TEXT NOT NULL, peak_rss_bytes INTEGER, peak_rss_method TEXT NOT NULL,"
    "  weights_bytes INTEGER, weights_deploy_bytes INTEGER, arena_bytes INTEGER,"
    "  power_status TEXT NOT NULL, power_why TEXT NOT NULL, power_source TEXT NOT NULL,"
    "  power_partial INTEGER NOT NULL, avg_power_w REAL, energy_j REAL, energy_per_inf_mj REAL,"
    "  power_n_samples INTEGER NOT NULL,"
    "  thermal_status TEXT NOT NULL, thermal_why TEXT NOT NULL, cpu_mhz_start REAL, cpu_mhz_end REAL,"
    "  cpu_mhz_max REAL, throttled INTEGER NOT NULL, throttle_why TEXT NOT NULL,"
    "  fid_status TEXT NOT NULL, fid_why TEXT NOT NULL, fid_n_inputs INTEGER NOT NULL,"
    "  fid_eval_source TEXT NOT NULL, accuracy REAL, baseline_accuracy REAL);"
    "CREATE TABLE thermal_zones("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    "  zone TEXT NOT NULL, temp_start_c REAL, temp_end_c REAL,"
    "  PRIMARY KEY(run_id, idx));"
    "CREATE TABLE counters("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL, label TEXT NOT NULL, status TEXT NOT NULL, why TEXT NOT NULL,"
    "  value REAL, value_per_inf REAL, raw INTEGER NOT NULL, enabled_ns INTEGER NOT NULL,"
    "  running_ns INTEGER NOT NULL,"
    "  PRIMARY KEY(run_id, idx));"
    "CREATE TABLE layers("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL, op TEXT NOT NULL, kernel TEXT NOT NULL, precision TEXT NOT NULL,"
    "  time_ms REAL, macs INTEGER NOT NULL,"
    "  PRIMARY KEY(run_id, idx));"
    "CREATE TABLE fidelity_outputs("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    "  output TEXT NOT NULL, top1_agreement REAL, top5_agreement REAL, cosine REAL, sqnr_db REAL,"
    "  max_abs_err REAL,"
    "  PRIMARY KEY(run_id, idx));"
    "CREATE TABLE samples("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK(kind IN ('latency_ms','power')),"
    "  codec TEXT NOT NULL, elem TEXT NOT NULL, count INTEGER NOT NULL, raw_bytes INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  UNIQUE(run_id, kind));";

/* Version 2: the memory headline, what the tuned model needs when deployed (et_deployed_memory: a
 * separate process holding only the plan), beside edgetune's own peak; and how many evaluation inputs fidelity
 * compared output by output (a seeded subset when the baseline's outputs exceed their memory cap). Runs stored
 * before have no deployed measurement: 'not measured', with the reason. */
static const char schema_v2[] = "ALTER TABLE run_stats ADD COLUMN dep_status TEXT NOT NULL DEFAULT 'not measured';"
                                "ALTER TABLE run_stats ADD COLUMN dep_why TEXT NOT NULL DEFAULT "
                                "'stored by an edgetune that did not measure deployed memory';"
                                "ALTER TABLE run_stats ADD COLUMN dep_peak_bytes INTEGER;"
                                "ALTER TABLE run_stats ADD COLUMN dep_runtime_bytes INTEGER;"
                                "ALTER TABLE run_stats ADD COLUMN dep_load_peak_bytes INTEGER;"
                                "ALTER TABLE run_stats ADD COLUMN dep_weights_bytes INTEGER;"
                                "ALTER TABLE run_stats ADD COLUMN dep_arena_bytes INTEGER;"
                                "ALTER TABLE run_stats ADD COLUMN dep_method TEXT NOT NULL DEFAULT '';"
                                "ALTER TABLE run_stats ADD COLUMN fid_n_compared INTEGER;";

/* Version 3 (recovery): the recovery mode and the activation calibration method of a run, and each
 * profiled layer's reconstruction error on the calibration set without and with recovery (fractions of the
 * output's energy; NULL when not measured). Runs stored before have recover 'none' and calib_method 'minmax',
 * which is what they ran. */
static const char schema_v3[] = "ALTER TABLE runs ADD COLUMN recover TEXT NOT NULL DEFAULT 'none';"
                                "ALTER TABLE runs ADD COLUMN calib_method TEXT NOT NULL DEFAULT 'minmax';"
                                "ALTER TABLE layers ADD COLUMN recon_err_before REAL;"
                                "ALTER TABLE layers ADD COLUMN recon_err_after REAL;";

/* Version 4 (per-input results): per evaluation input, the
 * run's top-1 class and (with labels) whether it was right, as i32 LZ4 blobs (samples_codec.h), with the
 * evaluation set's content hash and size, so that McNemar's test can pair two runs input by input
 * (db/run_inputs.c). Runs stored before have no row: their accuracy cannot be tested, and compare says so. */
static const char schema_inputs[] =
    "CREATE TABLE run_inputs("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    "  eval_hash TEXT NOT NULL," /* FNV-1a 64 hex of the inputs' bytes and labels; '' when unknown */
    "  count INTEGER NOT NULL,"  /* evaluation inputs */
    "  codec TEXT NOT NULL,"
    "  top1 BLOB NOT NULL," /* i32 per input: arg-max of output 0 */
    "  correct BLOB);";     /* i32 0/1 per input; NULL without labels */

/* Training (record/train_record.h, db/train_store.c): a finetune or distill run is a run like any other (its
 * model, knobs and the measurement of the trained result), plus one train_runs row (data set and its hash,
 * settings, lineage: parent, student and output files with their hashes, accuracies before and after, why it
 * stopped) and a train_epochs row per completed epoch (loss, accuracy, time). Self-contained: it only adds
 * tables. Version 5. */
static const char schema_train[] =
    "CREATE TABLE train_runs("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK(kind IN ('finetune','distill')),"
    "  parent_path TEXT NOT NULL, parent_sha256 TEXT NOT NULL,"
    "  student_path TEXT NOT NULL, student_sha256 TEXT NOT NULL,"
    "  output_path TEXT NOT NULL, output_sha256 TEXT NOT NULL,"
    "  data_path TEXT NOT NULL, data_sha256 TEXT NOT NULL, data_samples INTEGER NOT NULL,"
    "  data_labels INTEGER NOT NULL, eval_source TEXT NOT NULL, resumed_from TEXT NOT NULL,"
    "  settings TEXT NOT NULL, schedule TEXT NOT NULL, epochs INTEGER NOT NULL, batch INTEGER NOT NULL,"
    "  seconds REAL, acc_fp32 REAL, acc_before REAL, acc_after REAL, agree_before REAL, agree_after REAL,"
    "  stop_why TEXT NOT NULL);"
    "CREATE INDEX train_runs_by_output ON train_runs(output_sha256);"
    "CREATE TABLE train_epochs("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,"
    "  steps INTEGER NOT NULL, samples INTEGER NOT NULL, loss REAL, kd REAL, ce REAL, train_agree REAL,"
    "  train_acc REAL, eval_agree REAL, eval_acc REAL, lr REAL, sparsity REAL, seconds REAL, samples_per_s REAL,"
    "  PRIMARY KEY(run_id, epoch));";

/* Version 6 (per-layer configuration): a run's per-layer
 * knob overrides, the canonical text of record/layer_knobs.h ('' for none, which is what
 * every run stored before ran). */
static const char schema_v6[] = "ALTER TABLE runs ADD COLUMN layers TEXT NOT NULL DEFAULT '';";

/* Version 7 (stored sensitivities, db/sens_store.c): the points of a per-layer sensitivity analysis, under the
 * run of its base measurement (which holds the model, host, knobs and threads), with the evaluation set's hash,
 * the half of it the quality counted (-1 all, 0 even, 1 odd positions) and the timed iterations, so that an
 * analysis or a search of the same setting can take them instead of measuring again. from_run: the base run an
 * earlier analysis measured the point under, when this one took it from there (else NULL). */
static const char schema_sens[] =
    "CREATE TABLE sensitivity_points("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    "  layer TEXT NOT NULL, candidate TEXT NOT NULL, eval_hash TEXT NOT NULL, eval_half INTEGER NOT NULL,"
    "  iters INTEGER NOT NULL, measured INTEGER NOT NULL, error TEXT NOT NULL, quality REAL,"
    "  quality_delta_pp REAL, time_saved_ms REAL, layer_ms REAL, p50_ms REAL, bytes_saved INTEGER,"
    "  exec TEXT NOT NULL, from_run INTEGER,"
    "  PRIMARY KEY(run_id, idx));";

static const char *const steps[] = {
    schema_v1, schema_v2, schema_v3, schema_inputs, schema_train, schema_v6, schema_sens,
};

int et_db_schema_step_count(void) { return (int)(sizeof steps / sizeof steps[0]); }
const char *et_db_schema_step(int i) { return i >= 0 && i < et_db_schema_step_count() ? steps[i] : NULL; }
int et_db_schema_version(void) { return et_db_schema_step_count(); }

static int read_user_version(sqlite3 *sql, int *out) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

et_status et_db_migrate(sqlite3 *sql, const char *path, const char *const *list, int n, et_err *err) {
    for (;;) {
        int rc = sqlite3_exec(sql, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            return et_db_fail_sql(sql, path, rc, "upgrading the schema", err);
        int version = 0;
        rc = read_user_version(sql, &version);
        if (rc != SQLITE_OK) {
            sqlite3_exec(sql, "ROLLBACK", NULL, NULL, NULL);
            return et_db_fail_sql(sql, path, rc, "reading the schema version", err);
        }
        if (version >= n) { /* done, possibly by another process while we waited for the lock */
            sqlite3_exec(sql, "ROLLBACK", NULL, NULL, NULL);
            return ET_OK;
        }
        char tail[96];
        snprintf(tail, sizeof tail, ";PRAGMA application_id=%d;PRAGMA user_version=%d;", ET_DB_APPLICATION_ID,
                 version + 1);
        rc = sqlite3_exec(sql, list[version], NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(sql, tail, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(sql, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "upgrading the schema to version %d", version + 1);
            et_status s = et_db_fail_sql(sql, path, rc, what, err);
            sqlite3_exec(sql, "ROLLBACK", NULL, NULL, NULL);
            return s;
        }
    }
}
