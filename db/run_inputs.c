/* run_inputs.c: a run's per-input results on its evaluation set (top-1 class and, with labels, correctness, one
 * value per input in the set's order) in the run_inputs table: one row per run, the two arrays as checked LZ4
 * blobs (samples_codec.h, element type i32) beside the evaluation set's content hash and size, which say whether
 * two runs can be paired input by input (McNemar's test, src/stats/ab.h). */
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "db/samples_codec.h"

et_status et_db_save_inputs(et_db *db, int64_t run_id, const et_fidelity_info *f, et_err *err) {
    if (f->n_per_input <= 0 || !f->top1)
        return ET_OK;
    unsigned char *top1 = NULL, *ok = NULL;
    size_t top1_len = 0, ok_len = 0;
    et_status s = et_samples_encode_i32(f->top1, f->n_per_input, &top1, &top1_len, err);
    int32_t *flags = NULL;
    if (s == ET_OK && f->correct) {
        flags = malloc((size_t)f->n_per_input * sizeof *flags);
        if (!flags)
            s = et_fail(err, ET_E_NOMEM, "out of memory storing per-input results");
        for (int i = 0; flags && i < f->n_per_input; i++)
            flags[i] = f->correct[i] != 0;
        if (s == ET_OK)
            s = et_samples_encode_i32(flags, f->n_per_input, &ok, &ok_len, err);
        free(flags);
    }
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_OK;
    if (s == ET_OK) {
        rc = sqlite3_prepare_v2(db->sql,
                                "INSERT INTO run_inputs(run_id, eval_hash, count, codec, top1, correct) "
                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, run_id);
            et_db_bind_text(st, 2, f->eval_hash);
            sqlite3_bind_int(st, 3, f->n_per_input);
            et_db_bind_text(st, 4, et_samples_codec_name(ET_SAMPLES_CODEC_LZ4_PLANES));
            sqlite3_bind_blob(st, 5, top1, (int)top1_len, SQLITE_TRANSIENT);
            if (ok)
                sqlite3_bind_blob(st, 6, ok, (int)ok_len, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, 6);
            rc = sqlite3_step(st);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            s = et_db_fail_sql(db->sql, db->path, rc, "storing per-input results", err);
    }
    free(top1), free(ok);
    return s;
}

/* Decodes one i32 blob column into *out (n values); a damaged blob is ET_E_INPUT naming the run. */
static et_status decode_col(sqlite3_stmt *st, int col, int n, int32_t **out, int64_t run_id, const char *what,
                            et_err *err) {
    int got = 0;
    et_status s = et_samples_decode_i32(sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col), n, out,
                                        &got, err);
    if (s != ET_OK)
        et_err_prefix(err, "run %lld: stored %s: ", (long long)run_id, what);
    return s;
}

et_status et_db_load_inputs(et_db *db, int64_t run_id, et_fidelity_info *f, et_err *err) {
    free(f->top1), free(f->correct);
    f->top1 = NULL, f->correct = NULL, f->n_per_input = 0, f->eval_hash[0] = '\0';
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, "SELECT eval_hash, count, top1, correct FROM run_inputs WHERE run_id = ?1", -1,
                                &st, NULL);
    et_status s = ET_OK;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            int n = sqlite3_column_int(st, 1);
            int32_t *top1 = NULL, *ok = NULL;
            s = decode_col(st, 2, n, &top1, run_id, "per-input top-1", err);
            if (s == ET_OK && sqlite3_column_type(st, 3) != SQLITE_NULL)
                s = decode_col(st, 3, n, &ok, run_id, "per-input correctness", err);
            uint8_t *flags = s == ET_OK && ok ? malloc((size_t)(n > 0 ? n : 1)) : NULL;
            if (s == ET_OK && ok && !flags)
                s = et_fail(err, ET_E_NOMEM, "out of memory loading per-input results");
            for (int i = 0; flags && i < n; i++)
                flags[i] = ok[i] != 0;
            free(ok);
            if (s == ET_OK) {
                et_db_col_text(st, 0, f->eval_hash, sizeof f->eval_hash);
                f->n_per_input = n, f->top1 = top1, f->correct = flags;
            } else {
                free(top1), free(flags);
            }
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    if (s == ET_OK && rc != SQLITE_DONE)
        s = et_db_fail_sql(db->sql, db->path, rc, "loading per-input results", err);
    return s;
}
