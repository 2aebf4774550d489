/* train_store.c: the training record of a run (record/train_record.h) in train_runs and train_epochs (schema.c).
 * Saved whole (replacing the previous version) in one transaction, so the job can store it at its start, after
 * every epoch and at its end, and a run killed in the middle keeps the epochs it completed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

/* A fraction, with "not measured" (NULL) as -1. */
static double col_frac(sqlite3_stmt *st, int col) {
    double v = et_db_col_double(st, col);
    return isnan(v) ? -1.0 : v;
}

static et_status step_done(et_db *db, sqlite3_stmt *st, const char *what, et_err *err) {
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
}

/* An internal error: the column list and the binder below it are out of step. */
static et_status out_of_step(const char *what, et_err *err) {
    return et_fail(err, ET_E_RUNTIME, "internal error %s: the training columns and their values are out of step", what);
}

static et_status save_run_row(et_db *db, int64_t run_id, const et_train_record *t, const char *what, et_err *err) {
    sqlite3_stmt *st = NULL;
    et_status s = et_db_prepare_insert(db, "INSERT OR REPLACE INTO train_runs", "run_id, " ET_DB_TRAIN_COLS, &st, what,
                                       err);
    if (s != ET_OK)
        return s;
    et_db_binder b = et_db_binder_at(st, 1); /* in the order of ET_DB_TRAIN_COLS */
    et_db_put_int(&b, run_id);
    et_db_put_text(&b, et_train_kind_name(t->kind));
    et_db_put_text(&b, t->parent_path);
    et_db_put_text(&b, t->parent_sha256);
    et_db_put_text(&b, t->student_path);
    et_db_put_text(&b, t->student_sha256);
    et_db_put_text(&b, t->output_path);
    et_db_put_text(&b, t->output_sha256);
    et_db_put_text(&b, t->data_path);
    et_db_put_text(&b, t->data_sha256);
    et_db_put_int(&b, t->data_samples);
    et_db_put_bool(&b, t->data_labels);
    et_db_put_text(&b, t->eval_source);
    et_db_put_text(&b, t->resumed_from);
    et_db_put_text(&b, t->settings);
    et_db_put_text(&b, t->schedule);
    et_db_put_int(&b, t->epochs);
    et_db_put_int(&b, t->batch);
    et_db_put_real(&b, t->seconds);
    et_db_put_frac(&b, t->acc_fp32);
    et_db_put_frac(&b, t->acc_before);
    et_db_put_frac(&b, t->acc_after);
    et_db_put_frac(&b, t->agree_before);
    et_db_put_frac(&b, t->agree_after);
    et_db_put_text(&b, t->stop_why);
    s = et_db_bound_all(&b) ? step_done(db, st, what, err) : out_of_step(what, err);
    sqlite3_finalize(st);
    return s;
}

static et_status save_epochs(et_db *db, int64_t run_id, const et_train_record *t, const char *what, et_err *err) {
    sqlite3_stmt *st = NULL;
    et_status s = et_db_prepare_insert(db, "INSERT INTO train_epochs", "run_id, " ET_DB_EPOCH_COLS, &st, what, err);
    for (int i = 0; s == ET_OK && i < t->n_epochs; i++) {
        const et_train_epoch *e = &t->epoch[i];
        sqlite3_reset(st);
        et_db_binder b = et_db_binder_at(st, 1); /* in the order of ET_DB_EPOCH_COLS */
        et_db_put_int(&b, run_id);
        et_db_put_int(&b, e->epoch);
        et_db_put_int(&b, e->steps);
        et_db_put_int(&b, e->samples);
        et_db_put_real(&b, e->loss);
        et_db_put_real(&b, e->kd);
        et_db_put_real(&b, e->ce);
        et_db_put_frac(&b, e->train_agree);
        et_db_put_frac(&b, e->train_acc);
        et_db_put_frac(&b, e->eval_agree);
        et_db_put_frac(&b, e->eval_acc);
        et_db_put_real(&b, e->lr);
        et_db_put_real(&b, e->sparsity);
        et_db_put_real(&b, e->seconds);
        et_db_put_real(&b, e->samples_per_s);
        s = et_db_bound_all(&b) ? step_done(db, st, what, err) : out_of_step(what, err);
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
