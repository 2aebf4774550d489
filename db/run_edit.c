/* run_edit.c: the small edits a user makes to stored runs: label, baseline mark, removal. Each is one
 * transaction; a run id that does not exist is ET_E_INPUT naming it. */
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

/* Runs sql with ?1 = run_id (and ?2 = text when not NULL); *changes gets the number of rows changed. */
static et_status exec_run(et_db *db, const char *sql, int64_t run_id, const char *text, int *changes, const char *what,
                          et_err *err) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        if (text)
            et_db_bind_text(st, 2, text);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return et_db_fail_sql(db->sql, db->path, rc == SQLITE_OK ? SQLITE_ERROR : rc, what, err);
    if (changes)
        *changes = sqlite3_changes(db->sql);
    return ET_OK;
}

static et_status no_such_run(et_db *db, int64_t id, et_err *err) {
    return et_fail(err, ET_E_INPUT, "no run %lld in %s; see 'edgetune runs'", (long long)id, db->path);
}

/* One statement in its own transaction, failing when it touched no row. */
static et_status edit_one(et_db *db, const char *sql, int64_t run_id, const char *text, const char *what, et_err *err) {
    et_status s = et_db_begin(db, what, err);
    if (s != ET_OK)
        return s;
    int changes = 0;
    s = exec_run(db, sql, run_id, text, &changes, what, err);
    if (s == ET_OK && changes == 0)
        s = no_such_run(db, run_id, err);
    if (s == ET_OK)
        return et_db_commit(db, what, err);
    et_db_rollback(db);
    return s;
}

et_status et_db_set_label(et_db *db, int64_t run_id, const char *label, et_err *err) {
    if (label && strlen(label) >= ET_NAME_MAX)
        return et_fail(err, ET_E_USAGE, "label is %zu bytes; at most %d fit", strlen(label), ET_NAME_MAX - 1);
    return edit_one(db, "UPDATE runs SET label = ?2 WHERE id = ?1", run_id, label ? label : "", "labelling a run", err);
}

et_status et_db_delete_run(et_db *db, int64_t run_id, et_err *err) {
    return edit_one(db, "DELETE FROM runs WHERE id = ?1", run_id, NULL, "removing a run", err);
}

et_status et_db_set_baseline(et_db *db, int64_t run_id, bool on, int64_t *previous, et_err *err) {
    if (previous)
        *previous = 0;
    if (!on)
        return edit_one(db, "UPDATE runs SET is_baseline = 0 WHERE id = ?1", run_id, NULL, "clearing a baseline", err);
    const char *what = "marking a baseline";
    et_status s = et_db_begin(db, what, err);
    if (s != ET_OK)
        return s;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT id FROM runs WHERE is_baseline = 1 AND id <> ?1 AND " ET_DB_SQL_SAME_MODEL_AS_P1
                                " AND " ET_DB_SQL_SAME_HOST_AS_P1 " ORDER BY started_unix_ms DESC LIMIT 1",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && previous)
            *previous = sqlite3_column_int64(st, 0);
        rc = rc == SQLITE_ROW ? SQLITE_DONE : rc;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        s = et_db_fail_sql(db->sql, db->path, rc, what, err);
    int changes = 0;
    if (s == ET_OK)
        s = exec_run(
            db,
            "UPDATE runs SET is_baseline = 0 WHERE is_baseline = 1 AND id <> ?1 AND " ET_DB_SQL_SAME_MODEL_AS_P1
            " AND " ET_DB_SQL_SAME_HOST_AS_P1,
            run_id, NULL, NULL, what, err);
    if (s == ET_OK)
        s = exec_run(db, "UPDATE runs SET is_baseline = 1 WHERE id = ?1", run_id, NULL, &changes, what, err);
    if (s == ET_OK && changes == 0)
        s = no_such_run(db, run_id, err);
    if (s == ET_OK)
        return et_db_commit(db, what, err);
    et_db_rollback(db);
    return s;
}
