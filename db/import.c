/* import.c: merging the runs of another runs.db (from another device) into this one.
 *
 * The other file is first opened on its own with ET_DB_READ_ONLY, which applies every check of et_db_open (an
 * SQLite file, ours, not newer, not corrupt) without writing to it; then it is ATTACHed read-only (mode=ro URI)
 * and copied with set-based INSERT ... SELECT statements in one transaction:
 *   1. temp.import_new: the other's runs whose uuid is not here (the uuid is a run's identity everywhere);
 *   2. their models and hosts, INSERT OR IGNORE on the unique identities (a host's includes its machine id, so
 *      two devices called "raspberrypi" stay two hosts);
 *   3. the runs, with model and host ids mapped to ours; temp.import_map pairs old and new run ids;
 *   4. every child table through the map.
 * Importing the same file twice finds nothing new the second time. Rows left 'running' by the other device keep
 * their writer; the next open here sees a foreign boot id and marks them aborted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db/db_internal.h"

static et_status exec_count(et_db *db, const char *sql, int *changes, et_err *err) {
    et_status s = et_db_exec(db, sql, "importing runs", err);
    if (s == ET_OK && changes)
        *changes = sqlite3_changes(db->sql);
    return s;
}

static const char *const copy_children[] = {
    "INSERT INTO main.run_stats(run_id, " ET_DB_STATS_COLS ") SELECT m.new_id, " ET_DB_STATS_COLS
    " FROM other.run_stats s JOIN temp.import_map m ON m.old_id = s.run_id",
    "INSERT INTO main.thermal_zones(run_id, idx, zone, temp_start_c, temp_end_c) SELECT m.new_id, idx, zone, "
    "temp_start_c, temp_end_c FROM other.thermal_zones c JOIN temp.import_map m ON m.old_id = c.run_id",
    "INSERT INTO main.counters(run_id, idx, name, label, status, why, value, value_per_inf, raw, enabled_ns, "
    "running_ns) SELECT m.new_id, idx, name, label, status, why, value, value_per_inf, raw, enabled_ns, running_ns "
    "FROM other.counters c JOIN temp.import_map m ON m.old_id = c.run_id",
    "INSERT INTO main.layers(run_id, idx, name, op, kernel, precision, time_ms, macs, recon_err_before, "
    "recon_err_after) SELECT m.new_id, idx, name, op, kernel, precision, time_ms, macs, recon_err_before, "
    "recon_err_after FROM other.layers c JOIN temp.import_map m ON m.old_id = c.run_id",
    /* schema v2's run columns (the run row's own list is shared with the save statements) */
    "UPDATE main.runs SET recover = (SELECT o.recover FROM other.runs o JOIN temp.import_map m ON m.old_id = o.id "
    "WHERE m.new_id = main.runs.id), calib_method = (SELECT o.calib_method FROM other.runs o JOIN temp.import_map m "
    "ON m.old_id = o.id WHERE m.new_id = main.runs.id), layers = (SELECT o.layers FROM other.runs o JOIN "
    "temp.import_map m ON m.old_id = o.id WHERE m.new_id = main.runs.id) WHERE id IN (SELECT new_id FROM "
    "temp.import_map)",
    "INSERT INTO main.fidelity_outputs(run_id, idx, output, top1_agreement, top5_agreement, cosine, sqnr_db, "
    "max_abs_err) SELECT m.new_id, idx, output, top1_agreement, top5_agreement, cosine, sqnr_db, max_abs_err "
    "FROM other.fidelity_outputs c JOIN temp.import_map m ON m.old_id = c.run_id",
    "INSERT INTO main.samples(run_id, kind, codec, elem, count, raw_bytes, data) SELECT m.new_id, kind, codec, "
    "elem, count, raw_bytes, data FROM other.samples c JOIN temp.import_map m ON m.old_id = c.run_id",
    "INSERT INTO main.run_inputs(run_id, eval_hash, count, codec, top1, correct) SELECT m.new_id, eval_hash, count, "
    "codec, top1, correct FROM other.run_inputs c JOIN temp.import_map m ON m.old_id = c.run_id",
    "INSERT INTO main.train_runs(run_id, " ET_DB_TRAIN_COLS ") SELECT m.new_id, " ET_DB_TRAIN_COLS
    " FROM other.train_runs c JOIN temp.import_map m ON m.old_id = c.run_id",
    "INSERT INTO main.train_epochs(run_id, " ET_DB_EPOCH_COLS ") SELECT m.new_id, " ET_DB_EPOCH_COLS
    " FROM other.train_epochs c JOIN temp.import_map m ON m.old_id = c.run_id",
    /* from_run named a run of the other file: mapped when that run came along, else dropped */
    "INSERT INTO main.sensitivity_points(run_id, idx, " ET_DB_SENS_COLS
    ", from_run) SELECT m.new_id, idx, " ET_DB_SENS_COLS
    ", (SELECT f.new_id FROM temp.import_map f WHERE f.old_id = c.from_run) FROM "
    "other.sensitivity_points c JOIN temp.import_map m ON m.old_id = c.run_id",
};

static et_status copy_runs(et_db *db, et_import_stats *st, et_err *err) {
    int total = 0;
    et_status s = exec_count(db,
                             "DROP TABLE IF EXISTS temp.import_new; DROP TABLE IF EXISTS temp.import_map;"
                             "CREATE TEMP TABLE import_new(old_id INTEGER PRIMARY KEY, uuid TEXT NOT NULL);"
                             "INSERT INTO temp.import_new SELECT id, uuid FROM other.runs "
                             "WHERE uuid NOT IN (SELECT uuid FROM main.runs)",
                             &st->runs_added, err);
    if (s == ET_OK) {
        sqlite3_stmt *q = NULL;
        int rc = sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM other.runs", -1, &q, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
            total = sqlite3_column_int(q, 0), rc = SQLITE_OK;
        sqlite3_finalize(q);
        if (rc != SQLITE_OK)
            s = et_db_fail_sql(db->sql, db->path, rc, "importing runs", err);
        st->runs_skipped = total - st->runs_added;
    }
    if (s == ET_OK)
        s = exec_count(db,
                       "INSERT OR IGNORE INTO main.models(sha256, name, file_bytes, params, macs) "
                       "SELECT sha256, name, file_bytes, params, macs FROM other.models WHERE id IN "
                       "(SELECT model_id FROM other.runs WHERE id IN (SELECT old_id FROM temp.import_new))",
                       &st->models_added, err);
    if (s == ET_OK)
        s = exec_count(db,
                       "INSERT OR IGNORE INTO main.hosts(hostname, cpu, arch, board, kernel, cores, machine_id) "
                       "SELECT hostname, cpu, arch, board, kernel, cores, machine_id FROM other.hosts WHERE id IN "
                       "(SELECT host_id FROM other.runs WHERE id IN (SELECT old_id FROM temp.import_new))",
                       &st->hosts_added, err);
    if (s == ET_OK)
        s = exec_count(
            db,
            "INSERT INTO main.runs(uuid, model_id, host_id, " ET_DB_RUN_COLS_REST
            ", writer_pid, writer_start_ticks, writer_boot_id) "
            "SELECT o.uuid, "
            "(SELECT m.id FROM main.models m JOIN other.models om ON om.sha256 = m.sha256 "
            " AND om.name = m.name WHERE om.id = o.model_id), "
            "(SELECT h.id FROM main.hosts h JOIN other.hosts oh ON oh.hostname = h.hostname "
            " AND oh.cpu = h.cpu AND oh.arch = h.arch AND oh.board = h.board AND oh.kernel = h.kernel "
            " AND oh.cores = h.cores AND oh.machine_id = h.machine_id WHERE oh.id = o.host_id), " ET_DB_RUN_COLS_REST
            ", writer_pid, writer_start_ticks, writer_boot_id "
            "FROM other.runs o JOIN temp.import_new n ON n.old_id = o.id "
            "ORDER BY o.started_unix_ms, o.id;"
            "CREATE TEMP TABLE import_map(old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL);"
            "INSERT INTO temp.import_map SELECT n.old_id, r.id FROM temp.import_new n "
            "JOIN main.runs r ON r.uuid = n.uuid",
            NULL, err);
    for (size_t i = 0; s == ET_OK && i < sizeof copy_children / sizeof copy_children[0]; i++)
        s = exec_count(db, copy_children[i], NULL, err);
    return s;
}

et_status et_db_import(et_db *db, const char *other_path, et_import_stats *stats, et_err *err) {
    memset(stats, 0, sizeof *stats);
    struct stat a, b;
    if (stat(db->path, &a) == 0 && stat(other_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return et_fail(err, ET_E_USAGE, "%s is the run database itself; give another device's runs.db", other_path);
    et_db *other = NULL;
    et_status s = et_db_open(other_path, ET_DB_READ_ONLY, &other, err);
    if (s != ET_OK)
        return s;
    char path[ET_PATH_MAX];
    snprintf(path, sizeof path, "%s", et_db_path(other));
    et_db_close(other);

    char uri[3 * ET_PATH_MAX + 32];
    et_db_uri(path, "mode=ro", uri, sizeof uri);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, "ATTACH DATABASE ?1 AS other", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, path, rc, "attaching it for import", err);
    /* A damaged page in the other file would otherwise surface mid-copy as an error about this database. */
    char check[256] = "";
    rc = sqlite3_prepare_v2(db->sql, "PRAGMA other.quick_check(1)", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        et_db_col_text(st, 0, check, sizeof check);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK || strcmp(check, "ok") != 0) {
        s = rc != SQLITE_OK ? et_db_fail_sql(db->sql, path, rc, "checking it before import", err)
                            : et_fail(err, ET_E_INPUT,
                                      "%s fails its integrity check (%s); nothing was imported: "
                                      "keep a copy and try 'sqlite3 %s .recover'",
                                      path, check, path);
        sqlite3_exec(db->sql, "DETACH DATABASE other", NULL, NULL, NULL);
        return s;
    }
    char what[ET_PATH_MAX + 32];
    snprintf(what, sizeof what, "importing %s", path);
    s = et_db_begin(db, what, err);
    if (s == ET_OK) {
        s = copy_runs(db, stats, err);
        if (s == ET_OK)
            s = et_db_commit(db, what, err);
        else
            et_db_rollback(db);
    }
    sqlite3_exec(db->sql, "DROP TABLE IF EXISTS temp.import_new; DROP TABLE IF EXISTS temp.import_map", NULL, NULL,
                 NULL);
    sqlite3_exec(db->sql, "DETACH DATABASE other", NULL, NULL, NULL);
    if (s != ET_OK)
        memset(stats, 0, sizeof *stats);
    return s;
}
