/* db_util.c: SQLite error mapping, transactions and column helpers shared by the files of db/. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_internal.h"

et_status et_db_fail_sql(sqlite3 *sql, const char *path, int rc, const char *what, et_err *err) {
    const char *msg = sql ? sqlite3_errmsg(sql) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return et_fail(err, ET_E_IO,
                       "the run database %s stayed locked by another process for more than %d s while %s; try again "
                       "when the other edgetune has finished",
                       path, ET_DB_BUSY_TIMEOUT_MS / 1000, what);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return et_fail(err, ET_E_PERMISSION,
                       "the run database %s is read-only (%s while %s); make it and its directory writable or pass "
                       "--db PATH",
                       path, msg, what);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
        return et_fail(err, ET_E_INPUT,
                       "the run database %s is corrupt or not a database (%s while %s); it was left as it is: keep a "
                       "copy and try 'sqlite3 %s .recover', or pass --db PATH to use another file",
                       path, msg, what, path);
    case SQLITE_FULL:
        return et_fail(err, ET_E_IO, "the disk holding the run database %s is full (while %s); free some space", path,
                       what);
    case SQLITE_CANTOPEN:
        return et_fail(err, ET_E_IO,
                       "cannot open the run database %s (%s while %s); check the path and its "
                       "permissions, or pass --db PATH",
                       path, msg, what);
    case SQLITE_IOERR: return et_fail(err, ET_E_IO, "i/o error on the run database %s (%s while %s)", path, msg, what);
    case SQLITE_NOMEM: return et_fail(err, ET_E_NOMEM, "out of memory while %s (run database %s)", what, path);
    default: return et_fail(err, ET_E_RUNTIME, "run database %s: %s while %s", path, msg, what);
    }
}

et_status et_db_exec(et_db *db, const char *sql, const char *what, et_err *err) {
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
}

et_status et_db_begin(et_db *db, const char *what, et_err *err) {
    if (db->read_only)
        return et_fail(err, ET_E_PERMISSION,
                       "the run database %s is read-only for this process (while %s); make it and its directory "
                       "writable or pass --db PATH",
                       db->path, what);
    return et_db_exec(db, "BEGIN IMMEDIATE", what, err);
}

et_status et_db_commit(et_db *db, const char *what, et_err *err) {
    et_status s = et_db_exec(db, "COMMIT", what, err);
    if (s != ET_OK)
        et_db_rollback(db);
    return s;
}

void et_db_rollback(et_db *db) {
    if (!sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

void et_db_col_text(sqlite3_stmt *st, int col, char *out, size_t len) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

double et_db_col_double(sqlite3_stmt *st, int col) {
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

int et_db_bind_double(sqlite3_stmt *st, int idx, double v) {
    return isnan(v) ? sqlite3_bind_null(st, idx) : sqlite3_bind_double(st, idx, v);
}

int et_db_bind_text(sqlite3_stmt *st, int idx, const char *s) {
    return sqlite3_bind_text(st, idx, s ? s : "", -1, SQLITE_TRANSIENT);
}

et_db_binder et_db_binder_at(sqlite3_stmt *st, int first) { return (et_db_binder){st, first}; }

void et_db_put_int(et_db_binder *b, int64_t v) { sqlite3_bind_int64(b->st, b->next++, v); }

void et_db_put_bool(et_db_binder *b, bool v) { sqlite3_bind_int(b->st, b->next++, v ? 1 : 0); }

void et_db_put_real(et_db_binder *b, double v) { et_db_bind_double(b->st, b->next++, v); }

void et_db_put_frac(et_db_binder *b, double v) { et_db_bind_double(b->st, b->next++, v < 0 ? NAN : v); }

void et_db_put_text(et_db_binder *b, const char *s) { et_db_bind_text(b->st, b->next++, s); }

bool et_db_bound_all(const et_db_binder *b) { return b->next - 1 == sqlite3_bind_parameter_count(b->st); }

et_status et_db_prepare_insert(et_db *db, const char *head, const char *cols, sqlite3_stmt **st, const char *what,
                               et_err *err) {
    int n = 1;
    for (const char *c = cols; *c; c++)
        n += *c == ',';
    size_t len = strlen(head) + strlen(cols) + 16 + 3 * (size_t)n;
    char *sql = malloc(len);
    if (!sql)
        return et_fail(err, ET_E_NOMEM, "out of memory %s", what);
    int k = snprintf(sql, len, "%s(%s) VALUES(", head, cols);
    for (int i = 0; i < n; i++)
        k += snprintf(sql + k, len - (size_t)k, i ? ", ?" : "?");
    snprintf(sql + k, len - (size_t)k, ")");
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);
    free(sql);
    return rc == SQLITE_OK ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
}

et_avail et_db_avail_parse(const char *s) {
    for (int i = 0; i < ET_AVAIL_COUNT; i++)
        if (strcmp(s, et_avail_name((et_avail)i)) == 0)
            return (et_avail)i;
    return ET_AVAIL_ERROR;
}

et_run_status et_db_run_status_parse(const char *s) {
    static const et_run_status all[] = {ET_RUN_OK, ET_RUN_ABORTED, ET_RUN_FAILED, ET_RUN_RUNNING};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, et_run_status_name(all[i])) == 0)
            return all[i];
    return ET_RUN_FAILED;
}

int64_t et_db_now_unix_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void et_db_uri(const char *path, const char *query, char *out, size_t len) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = (size_t)snprintf(out, len, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("/._-~", *p)) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%', out[n++] = hex[*p >> 4], out[n++] = hex[*p & 15];
        }
    }
    snprintf(out + n, len - n, "?%s", query);
}

int et_db_col_knobs(sqlite3_stmt *st, int c, et_knobs *k) {
    char text[32];
    k->weight_bits = sqlite3_column_int(st, c++);
    k->act_bits = sqlite3_column_int(st, c++);
    et_db_col_text(st, c++, text, sizeof text);
    int g = et_granularity_parse(text);
    k->granularity = g < 0 ? ET_GRAN_CHANNEL : (et_granularity)g;
    k->symmetric = sqlite3_column_int(st, c++) != 0;
    k->prune_ratio = (float)sqlite3_column_double(st, c++);
    et_db_col_text(st, c++, text, sizeof text);
    int pm = et_prune_method_parse(text);
    k->prune_method = pm < 0 ? ET_PRUNE_UNSTRUCTURED : (et_prune_method)pm;
    k->nm_n = sqlite3_column_int(st, c++);
    k->nm_m = sqlite3_column_int(st, c++);
    k->threads = sqlite3_column_int(st, c++);
    k->quantize_all = sqlite3_column_int(st, c++) != 0;
    return c;
}
