/* baseline.c: the default baseline of a run, decided here once for `compare` (compare.c) and the workbench's
 * measurement thread (src/bench/worker.c): the run marked baseline for the model on the host, else the newest
 * finished fp32 run of the same model with the same threads on the same host.
 *
 * Both forms ask the same two queries of an identity (model, host, threads): et_db_default_baseline reads it from
 * a stored run, et_db_baseline_for takes it from the model and host being measured, before any run of them is
 * stored. Same model: the same sha256, or the same name when the hash is unknown. Same host: the same hostname,
 * CPU, architecture, board and machine id (a new kernel is the same host), as ET_DB_SQL_SAME_HOST_AS_P1 says. */
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

/* What decided the baseline, for notes and messages. */
static const char *const why_text[] = {
    [ET_BASELINE_NONE] = "no finished fp32 run of the same model with the same threads on the same host; run one, "
                         "or pass --baseline RUN",
    [ET_BASELINE_MARKED] = "marked baseline of this model on this host",
    [ET_BASELINE_NEWEST_FP32] = "newest fp32 run of the same model with the same threads on the same host",
};
_Static_assert(sizeof why_text / sizeof why_text[0] == ET_BASELINE_KIND_COUNT, "one text per baseline kind");

const char *et_db_baseline_why(et_baseline_kind kind) {
    return (unsigned)kind < ET_BASELINE_KIND_COUNT ? why_text[kind] : "?";
}

typedef struct identity {
    char sha256[65], model[ET_NAME_MAX];
    char hostname[ET_NAME_MAX], cpu[ET_NAME_MAX], arch[32], board[ET_NAME_MAX], machine_id[64];
    int threads;
} identity;

/* ?1 sha256, ?2 model name, ?3..?7 hostname, cpu, arch, board, machine id, ?8 threads */
#define SAME_MODEL_AND_HOST                                                                                \
    "model_id IN (SELECT id FROM models WHERE (?1 <> '' AND sha256 = ?1) OR (?1 = '' AND sha256 = '' "     \
    "AND name = ?2)) AND host_id IN (SELECT id FROM hosts WHERE hostname = ?3 AND cpu = ?4 AND arch = ?5 " \
    "AND board = ?6 AND machine_id = ?7)"

static const char *const rule_sql[] = {
    [ET_BASELINE_MARKED] = "SELECT id FROM runs WHERE is_baseline = 1 AND " SAME_MODEL_AND_HOST
                           " ORDER BY started_unix_ms DESC, id DESC LIMIT 1",
    [ET_BASELINE_NEWEST_FP32] = "SELECT id FROM runs WHERE status = 'ok' AND weight_bits = 32 AND act_bits = 32 "
                                "AND prune_ratio = 0 AND layers = '' AND threads = ?8 AND " SAME_MODEL_AND_HOST
                                " ORDER BY started_unix_ms DESC, id DESC LIMIT 1",
};

/* The first id rule_sql[kind] finds for who, or 0. */
static et_status first_id(et_db *db, et_baseline_kind kind, const identity *who, int64_t *id, et_err *err) {
    sqlite3_stmt *st = NULL;
    *id = 0;
    int rc = sqlite3_prepare_v2(db->sql, rule_sql[kind], -1, &st, NULL);
    if (rc == SQLITE_OK) {
        const char *text[] = {who->sha256, who->model, who->hostname, who->cpu, who->arch, who->board, who->machine_id};
        for (int i = 0; i < 7; i++)
            et_db_bind_text(st, i + 1, text[i]);
        sqlite3_bind_int(st, 8, who->threads);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *id = sqlite3_column_int64(st, 0);
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, "finding a baseline", err);
}

/* The rule itself: marked, else newest fp32 with these threads, else none. */
static et_status apply_rule(et_db *db, const identity *who, int64_t *base_id, et_baseline_kind *kind, et_err *err) {
    et_baseline_kind k = ET_BASELINE_NONE;
    et_status s = first_id(db, ET_BASELINE_MARKED, who, base_id, err);
    if (s == ET_OK && *base_id)
        k = ET_BASELINE_MARKED;
    else if (s == ET_OK)
        s = first_id(db, ET_BASELINE_NEWEST_FP32, who, base_id, err);
    if (s == ET_OK && !k && *base_id)
        k = ET_BASELINE_NEWEST_FP32;
    if (kind)
        *kind = s == ET_OK ? k : ET_BASELINE_NONE;
    return s;
}

et_status et_db_baseline_for(et_db *db, const et_model_info *model, const et_host_info *host, int threads,
                             int64_t *base_id, et_baseline_kind *kind, et_err *err) {
    identity who = {.threads = threads};
    snprintf(who.sha256, sizeof who.sha256, "%s", model->sha256);
    snprintf(who.model, sizeof who.model, "%s", model->name);
    snprintf(who.hostname, sizeof who.hostname, "%s", host->hostname);
    snprintf(who.cpu, sizeof who.cpu, "%s", host->cpu);
    snprintf(who.arch, sizeof who.arch, "%s", host->arch);
    snprintf(who.board, sizeof who.board, "%s", host->board);
    et_db_host_machine_id(host, who.machine_id, sizeof who.machine_id); /* as a run saved from here stores it */
    return apply_rule(db, &who, base_id, kind, err);
}

et_status et_db_default_baseline(et_db *db, int64_t run_id, int64_t *base_id, et_baseline_kind *kind, et_err *err) {
    *base_id = 0;
    if (kind)
        *kind = ET_BASELINE_NONE;
    sqlite3_stmt *st = NULL;
    identity who = {0};
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT m.sha256, m.name, h.hostname, h.cpu, h.arch, h.board, h.machine_id, r.threads "
                                "FROM runs r JOIN models m ON m.id = r.model_id JOIN hosts h ON h.id = r.host_id "
                                "WHERE r.id = ?1",
                                -1, &st, NULL);
    bool found = false;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            found = true;
            et_db_col_text(st, 0, who.sha256, sizeof who.sha256);
            et_db_col_text(st, 1, who.model, sizeof who.model);
            et_db_col_text(st, 2, who.hostname, sizeof who.hostname);
            et_db_col_text(st, 3, who.cpu, sizeof who.cpu);
            et_db_col_text(st, 4, who.arch, sizeof who.arch);
            et_db_col_text(st, 5, who.board, sizeof who.board);
            et_db_col_text(st, 6, who.machine_id, sizeof who.machine_id);
            who.threads = sqlite3_column_int(st, 7);
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return et_db_fail_sql(db->sql, db->path, rc, "finding a baseline", err);
    return found ? apply_rule(db, &who, base_id, kind, err) : ET_OK; /* no such run: no baseline */
}
