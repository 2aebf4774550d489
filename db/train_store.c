/* train_store.c: the training record of a run (record/train_record.h) in train_runs and train_epochs (schema.c).
 * Saved whole (replacing the previous version) in one transaction, so the job can store it at its start, after
 * every epoch and at its end, and a run killed in the middle keeps the epochs it completed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

/* A fraction, with "not measured" (< 0) as NULL. */
static void bind_frac(sqlite3_stmt *st, int idx, double v) { et_db_bind_double(st, idx, v < 0 ? NAN : v); }
static double col_frac(sqlite3_stmt *st, int col) {
    double v = et_db_col_double(st, col);
    return isnan(v) ? -1.0 : v;
}

static et_status step_done(et_db *db, sqlite3_stmt *st, const char *what, et_err *err) {
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
}

static et_status save_run_row(et_db *db, int64_t run_id, const et_train_record *t, const char *what, et_err *err) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "INSERT OR REPLACE INTO train_runs(run_id, " ET_DB_TRAIN_COLS ") VALUES(?1, ?2, ?3, "
                                "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
                                "?22, ?23, ?24, ?25)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, db->path, rc, what, err);
    sqlite3_bind_int64(st, 1, run_id);
    const char *texts[] = {et_train_kind_name(t->kind),
                           t->parent_path,
                           t->parent_sha256,
                           t->student_path,
                           t->student_sha256,
                           t->output_path,
                           t->output_sha256,
                           t->data_path,
                           t->data_sha256};
    for (int i = 0; i < 9; i++)
        et_db_bind_text(st, 2 + i, texts[i]);
    sqlite3_bind_int64(st, 11, t->data_samples);
    sqlite3_bind_int(st, 12, t->data_labels ? 1 : 0);
    et_db_bind_text(st, 13, t->eval_source);
    et_db_bind_text(st, 14, t->resumed_from);
    et_db_bind_text(st, 15, t->settings);
    et_db_bind_text(st, 16, t->schedule);
    sqlite3_bind_int(st, 17, t->epochs);
    sqlite3_bind_int(st, 18, t->batch);
    et_db_bind_double(st, 19, t->seconds);
    const double fr[] = {t->acc_fp32, t->acc_before, t->acc_after, t->agree_before, t->agree_after};
    for (int i = 0; i < 5; i++)
        bind_frac(st, 20 + i, fr[i]);
    et_db_bind_text(st, 25, t->stop_why);
    et_status s = step_done(db, st, what, err);
    sqlite3_finalize(st);
    return s;
}

static et_status save_epochs(et_db *db, int64_t run_id, const et_train_record *t, const char *what, et_err *err) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "INSERT INTO train_epochs(run_id, " ET_DB_EPOCH_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
                                "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, db->path, rc, what, err);
    et_status s = ET_OK;
    for (int i = 0; i < t->n_epochs && s == ET_OK; i++) {
        const et_train_epoch *e = &t->epoch[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int(st, 2, e->epoch);
        sqlite3_bind_int64(st, 3, e->steps);
        sqlite3_bind_int64(st, 4, e->samples);
        et_db_bind_double(st, 5, e->loss);
        et_db_bind_double(st, 6, e->kd);
        et_db_bind_double(st, 7, e->ce);
        const double fr[] = {e->train_agree, e->train_acc, e->eval_agree, e->eval_acc};
        for (int k = 0; k < 4; k++)
            bind_frac(st, 8 + k, fr[k]);
        et_db_bind_double(st, 12, e->lr);
        et_db_bind_double(st, 13, e->sparsity);
        et_db_bind_double(st, 14, e->seconds);
        et_db_bind_double(st, 15, e->samples_per_s);
        s = step_done(db, st, what, err);
    }
    sqlite3_finalize(st);
    return s;
}

static bool run_exists(et_db *db, int64_t run_id) {
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM runs WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

et_status et_db_save_train(et_db *db, int64_t run_id, const et_train_record *t, et_err *err) {
    char what[96];
    snprintf(what, sizeof what, "saving the training record of run %lld", (long long)run_id);
    et_status s = et_db_begin(db, what, err);
    if (s != ET_OK)
        return s;
    if (!run_exists(db, run_id)) {
        et_db_rollback(db);
        return et_fail(err, ET_E_INPUT, "%s: no run %lld to attach a training record to", db->path, (long long)run_id);
    }
    sqlite3_stmt *del = NULL;
    int rc = sqlite3_prepare_v2(db->sql, "DELETE FROM train_epochs WHERE run_id = ?1", -1, &del, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(del, 1, run_id);
        rc = sqlite3_step(del) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db->sql);
    }
    sqlite3_finalize(del);
    s = rc == SQLITE_OK ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
    if (s == ET_OK)
        s = save_run_row(db, run_id, t, what, err);
    if (s == ET_OK)
        s = save_epochs(db, run_id, t, what, err);
    if (s == ET_OK)
        return et_db_commit(db, what, err);
    et_db_rollback(db);
    return s;
}

static void read_run_row(sqlite3_stmt *st, et_train_record *t) {
    char kind[32];
    et_db_col_text(st, 0, kind, sizeof kind);
    int k = et_train_kind_parse(kind);
    t->kind = k < 0 ? ET_TRAIN_FINETUNE : (et_train_kind)k;
    et_db_col_text(st, 1, t->parent_path, sizeof t->parent_path);
    et_db_col_text(st, 2, t->parent_sha256, sizeof t->parent_sha256);
    et_db_col_text(st, 3, t->student_path, sizeof t->student_path);
    et_db_col_text(st, 4, t->student_sha256, sizeof t->student_sha256);
    et_db_col_text(st, 5, t->output_path, sizeof t->output_path);
    et_db_col_text(st, 6, t->output_sha256, sizeof t->output_sha256);
    et_db_col_text(st, 7, t->data_path, sizeof t->data_path);
    et_db_col_text(st, 8, t->data_sha256, sizeof t->data_sha256);
    t->data_samples = sqlite3_column_int64(st, 9);
    t->data_labels = sqlite3_column_int(st, 10) != 0;
    et_db_col_text(st, 11, t->eval_source, sizeof t->eval_source);
    et_db_col_text(st, 12, t->resumed_from, sizeof t->resumed_from);
    et_db_col_text(st, 13, t->settings, sizeof t->settings);
    et_db_col_text(st, 14, t->schedule, sizeof t->schedule);
    t->epochs = sqlite3_column_int(st, 15);
    t->batch = sqlite3_column_int(st, 16);
    t->seconds = et_db_col_double(st, 17);
    t->acc_fp32 = col_frac(st, 18), t->acc_before = col_frac(st, 19), t->acc_after = col_frac(st, 20);
    t->agree_before = col_frac(st, 21), t->agree_after = col_frac(st, 22);
    et_db_col_text(st, 23, t->stop_why, sizeof t->stop_why);
}

static et_status load_epochs(et_db *db, int64_t run_id, et_train_record *t, et_err *err) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT " ET_DB_EPOCH_COLS " FROM train_epochs WHERE run_id = ?1 ORDER BY epoch", -1,
                                &st, NULL);
    if (rc == SQLITE_OK)
        sqlite3_bind_int64(st, 1, run_id);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        et_train_epoch e = {.epoch = sqlite3_column_int(st, 0),
                            .steps = sqlite3_column_int64(st, 1),
                            .samples = sqlite3_column_int64(st, 2),
                            .loss = et_db_col_double(st, 3),
                            .kd = et_db_col_double(st, 4),
                            .ce = et_db_col_double(st, 5),
                            .train_agree = col_frac(st, 6),
                            .train_acc = col_frac(st, 7),
                            .eval_agree = col_frac(st, 8),
                            .eval_acc = col_frac(st, 9),
                            .lr = et_db_col_double(st, 10),
                            .sparsity = et_db_col_double(st, 11),
                            .seconds = et_db_col_double(st, 12),
                            .samples_per_s = et_db_col_double(st, 13)};
        if (!et_train_record_add_epoch(t, &e)) {
            sqlite3_finalize(st);
            return et_fail(err, ET_E_NOMEM, "out of memory loading run %lld", (long long)run_id);
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, "loading training epochs", err);
}

et_status et_db_load_train(et_db *db, int64_t run_id, et_train_record *out, bool *found, et_err *err) {
    et_train_record_free(out);
    et_train_record_init(out);
    *found = false;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, "SELECT " ET_DB_TRAIN_COLS " FROM train_runs WHERE run_id = ?1", -1, &st,
                                NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            read_run_row(st, out);
            *found = true;
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return et_db_fail_sql(db->sql, db->path, rc, "loading a training record", err);
    return *found ? load_epochs(db, run_id, out, err) : ET_OK;
}
