/* db_stmts.c: the SQL of the statements that every save and load runs, prepared once per connection.
 *
 * Parameter numbers and column orders here are a contract with run_save.c and run_load.c, which bind and read
 * them in the order written below. */
#include "db/db_internal.h"

static const char *const sql_text[ET_ST_COUNT] = {
    [ET_ST_MODEL_INSERT] = "INSERT OR IGNORE INTO models(sha256, name, file_bytes, params, macs) "
                           "VALUES(?1, ?2, ?3, ?4, ?5)",
    [ET_ST_MODEL_ID] = "SELECT id FROM models WHERE sha256 = ?1 AND name = ?2",
    [ET_ST_HOST_INSERT] = "INSERT OR IGNORE INTO hosts(hostname, cpu, arch, board, kernel, cores, machine_id) "
                          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ET_ST_HOST_ID] = "SELECT id FROM hosts WHERE hostname = ?1 AND cpu = ?2 AND arch = ?3 AND board = ?4 "
                      "AND kernel = ?5 AND cores = ?6 AND machine_id = ?7",
    /* ?1 uuid, ?2..?29 RUN_COLS, ?30..?32 writer */
    [ET_ST_RUN_INSERT] = "INSERT INTO runs(uuid, " ET_DB_RUN_COLS ", writer_pid, writer_start_ticks, writer_boot_id) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                         "?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)",
    /* ?2..?29 as above, ?33 the run id */
    [ET_ST_RUN_FINISH] = "UPDATE runs SET model_id = ?2, host_id = ?3, model_path = ?4, started_unix_ms = ?5, "
                         "saved_unix_ms = ?6, status = ?7, label = ?8, is_baseline = ?9, weight_bits = ?10, "
                         "act_bits = ?11, granularity = ?12, symmetric = ?13, prune_ratio = ?14, prune_method = ?15, "
                         "nm_n = ?16, nm_m = ?17, threads = ?18, quantize_all = ?19, engine_version = ?20, "
                         "engine_isa = ?21, engine_exec = ?22, engine_notes = ?23, warmup_iters = ?24, iters = ?25, "
                         "prepare_ms = ?26, profiler_overhead_pct = ?27, clip = ?28, force_int8 = ?29, "
                         "writer_pid = NULL, "
                         "writer_start_ticks = NULL, writer_boot_id = NULL "
                         /* 'aborted' too: a sweep may have judged a live writer dead (another pid namespace);
                            a run is finished once, while it has no stats */
                         "WHERE id = ?33 AND status IN ('running', 'aborted') "
                         "AND id NOT IN (SELECT run_id FROM run_stats)",
    [ET_ST_STATS_INSERT] = "INSERT INTO run_stats(run_id, " ET_DB_STATS_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                           "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
                           "?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42, ?43, "
                           "?44, ?45, ?46, ?47)",
    [ET_ST_ZONE_INSERT] = "INSERT INTO thermal_zones(run_id, idx, zone, temp_start_c, temp_end_c) "
                          "VALUES(?1, ?2, ?3, ?4, ?5)",
    [ET_ST_COUNTER_INSERT] = "INSERT INTO counters(run_id, idx, name, label, status, why, value, value_per_inf, raw, "
                             "enabled_ns, running_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ET_ST_LAYER_INSERT] = "INSERT INTO layers(run_id, idx, name, op, kernel, precision, time_ms, macs, "
                           "recon_err_before, recon_err_after) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ET_ST_FIDOUT_INSERT] = "INSERT INTO fidelity_outputs(run_id, idx, output, top1_agreement, top5_agreement, "
                            "cosine, sqnr_db, max_abs_err) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ET_ST_SAMPLES_INSERT] = "INSERT INTO samples(run_id, kind, codec, elem, count, raw_bytes, data) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* read in this order by run_load.c */
    [ET_ST_RUN_LOAD] = "SELECT r.uuid, " ET_DB_RUN_COLS ", m.sha256, m.name, m.file_bytes, m.params, m.macs, "
                       "h.hostname, h.cpu, h.arch, h.board, h.kernel, h.cores, s.run_id, " ET_DB_STATS_COLS " "
                       "FROM runs r JOIN models m ON m.id = r.model_id JOIN hosts h ON h.id = r.host_id "
                       "LEFT JOIN run_stats s ON s.run_id = r.id WHERE r.id = ?1",
    [ET_ST_ZONES_LOAD] = "SELECT zone, temp_start_c, temp_end_c FROM thermal_zones WHERE run_id = ?1 ORDER BY idx",
    [ET_ST_COUNTERS_LOAD] = "SELECT name, label, status, why, value, value_per_inf, raw, enabled_ns, running_ns "
                            "FROM counters WHERE run_id = ?1 ORDER BY idx",
    [ET_ST_LAYERS_LOAD] = "SELECT name, op, kernel, precision, time_ms, macs, recon_err_before, recon_err_after "
                          "FROM layers WHERE run_id = ?1 ORDER BY idx",
    [ET_ST_FIDOUT_LOAD] = "SELECT output, top1_agreement, top5_agreement, cosine, sqnr_db, max_abs_err "
                          "FROM fidelity_outputs WHERE run_id = ?1 ORDER BY idx",
    [ET_ST_SAMPLES_LOAD] = "SELECT count, data FROM samples WHERE run_id = ?1 AND kind = ?2",
    [ET_ST_RUN_RECOVERY_SET] = "UPDATE runs SET recover = ?2, calib_method = ?3, layers = ?4 WHERE id = ?1",
    [ET_ST_RUN_RECOVERY_LOAD] = "SELECT recover, calib_method, layers FROM runs WHERE id = ?1",
};

sqlite3_stmt *et_db_stmt(et_db *db, et_stmt_id id, et_err *err) {
    sqlite3_stmt *st = db->stmts[id];
    if (!st) {
        int rc = sqlite3_prepare_v3(db->sql, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            et_db_fail_sql(db->sql, db->path, rc, "preparing a statement", err);
            return NULL;
        }
        db->stmts[id] = st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}
