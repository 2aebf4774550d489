/* run_query.c: finding a run from what a user typed, and listing runs newest first with filters.
 *
 * The list query drives from the runs_by_time index (CROSS JOIN keeps runs as the outer loop), so `runs --limit
 * 50` reads about 50 rows however long the history is; a filter that matches few runs scans further. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

et_run_filter et_run_filter_any(void) { return (et_run_filter){.prune_ratio = -1.0, .prune_method = -1}; }

static et_status query_id(et_db *db, const char *sql, const char *bind_text, int64_t bind_int, int64_t *id, bool *found,
                          et_err *err) {
    sqlite3_stmt *st = NULL;
    *found = false;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        if (bind_text)
            et_db_bind_text(st, 1, bind_text);
        else if (strchr(sql, '?'))
            sqlite3_bind_int64(st, 1, bind_int);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *id = sqlite3_column_int64(st, 0);
            *found = true;
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, "finding a run", err);
}

/* Looks up a uuid prefix with a range scan of the uuid index. */
static et_status find_prefix(et_db *db, const char *ref, const char *prefix, int64_t *run_id, et_err *err) {
    char upper[ET_UUID_LEN + 2];
    snprintf(upper, sizeof upper, "%s", prefix);
    upper[strlen(upper) - 1]++; /* the smallest string above every string with this prefix */
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT id, uuid FROM runs WHERE uuid >= ?1 AND uuid < ?2 ORDER BY uuid LIMIT 4", -1,
                                &st, NULL);
    int n = 0;
    char cands[200] = "";
    if (rc == SQLITE_OK) {
        et_db_bind_text(st, 1, prefix);
        et_db_bind_text(st, 2, upper);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == 0)
                *run_id = sqlite3_column_int64(st, 0);
            size_t used = strlen(cands);
            snprintf(cands + used, sizeof cands - used, "%s%lld (%.13s)", n ? ", " : "",
                     (long long)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
            n++;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return et_db_fail_sql(db->sql, db->path, rc, "finding a run", err);
    if (n == 0)
        return et_fail(err, ET_E_INPUT,
                       "no run '%s' in %s (neither a run id nor the start of a run uuid); see "
                       "'edgetune runs'",
                       ref, db->path);
    if (n > 1)
        return et_fail(err, ET_E_INPUT,
                       "run '%s' is ambiguous in %s: it starts %s%s; give more of the uuid or the "
                       "run id",
                       ref, db->path, cands, n > 3 ? ", ..." : "");
    return ET_OK;
}

et_status et_db_find_run(et_db *db, const char *ref, int64_t *run_id, et_err *err) {
    bool found = false;
    if (!ref || !*ref)
        return et_fail(err, ET_E_USAGE, "empty RUN: give a run id, 'last', or the start of a run uuid");
    if (strcmp(ref, "last") == 0) {
        et_status s = query_id(db, "SELECT id FROM runs ORDER BY started_unix_ms DESC, id DESC LIMIT 1", NULL, 0,
                               run_id, &found, err);
        if (s == ET_OK && !found)
            return et_fail(err, ET_E_INPUT, "no runs in %s yet, so no 'last' run", db->path);
        return s;
    }
    size_t len = strlen(ref);
    bool digits = len <= 18;
    for (size_t i = 0; i < len && digits; i++)
        digits = isdigit((unsigned char)ref[i]) != 0;
    if (digits) {
        et_status s = query_id(db, "SELECT id FROM runs WHERE id = ?1", NULL, strtoll(ref, NULL, 10), run_id, &found,
                               err);
        if (s != ET_OK || found)
            return s;
        if (len < 4)
            return et_fail(err, ET_E_INPUT, "no run %s in %s; see 'edgetune runs'", ref, db->path);
    }
    char prefix[ET_UUID_LEN + 1];
    if (len < 4 || len > ET_UUID_LEN)
        return et_fail(err, ET_E_INPUT,
                       "RUN '%s': give a run id, 'last', or 4 to 36 characters of a run uuid; see 'edgetune runs'",
                       ref);
    for (size_t i = 0; i <= len; i++) {
        char c = (char)tolower((unsigned char)ref[i]);
        if (c && !isxdigit((unsigned char)c) && c != '-')
            return et_fail(err, ET_E_INPUT, "RUN '%s': a run uuid has only hex digits and '-'; see 'edgetune runs'",
                           ref);
        prefix[i] = c;
    }
    return find_prefix(db, ref, prefix, run_id, err);
}

et_status et_db_count_runs(et_db *db, int64_t *n, et_err *err) {
    bool found;
    *n = 0;
    return query_id(db, "SELECT count(*) FROM runs", NULL, 0, n, &found, err);
}

et_status et_db_list_runs(et_db *db, const et_run_filter *f, et_run_summary **out, int *n, et_err *err) {
    *out = NULL, *n = 0;
    char sql[2048];
    int len = snprintf(sql, sizeof sql,
                       "SELECT r.id, r.uuid, r.started_unix_ms, r.status, r.is_baseline, r.label, m.name, h.hostname, "
                       "r.weight_bits, r.act_bits, r.granularity, r.symmetric, r.prune_ratio, r.prune_method, r.nm_n, "
                       "r.nm_m, r.threads, r.quantize_all, r.engine_exec, r.iters, s.lat_p50_ms, s.lat_p99_ms, "
                       "s.mem_status, s.peak_rss_bytes, s.power_status, s.energy_per_inf_mj, s.dep_status, "
                       "s.dep_peak_bytes, r.recover, r.calib_method, r.layers, t.kind, "
                       "(SELECT count(*) FROM train_epochs e WHERE e.run_id = r.id) "
                       "FROM runs r CROSS JOIN models m ON m.id = r.model_id CROSS JOIN hosts h ON h.id = r.host_id "
                       "LEFT JOIN run_stats s ON s.run_id = r.id LEFT JOIN train_runs t ON t.run_id = r.id WHERE 1");
    /* Parameters are numbered so each filter binds the same slot whether or not the others are present. */
    if (f->model)
        len += snprintf(sql + len, sizeof sql - (size_t)len,
                        " AND (instr(m.name, ?1) > 0 OR (length(?1) >= 8 AND substr(m.sha256, 1, length(?1)) = "
                        "lower(?1)))");
    if (f->host)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND instr(h.hostname, ?2) > 0");
    if (f->label)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND instr(r.label, ?3) > 0");
    if (f->weight_bits > 0)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND r.weight_bits = ?4");
    if (f->act_bits > 0)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND r.act_bits = ?5");
    if (f->threads > 0)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND r.threads = ?6");
    if (f->prune_ratio >= 0)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND abs(r.prune_ratio - ?7) < 0.0005");
    if (f->prune_method >= 0)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND r.prune_method = ?8");
    if (f->baselines_only)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND r.is_baseline = 1");
    snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY r.started_unix_ms DESC, r.id DESC LIMIT ?9");

    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, db->path, rc, "listing runs", err);
    if (f->model)
        et_db_bind_text(st, 1, f->model);
    if (f->host)
        et_db_bind_text(st, 2, f->host);
    if (f->label)
        et_db_bind_text(st, 3, f->label);
    sqlite3_bind_int(st, 4, f->weight_bits);
    sqlite3_bind_int(st, 5, f->act_bits);
    sqlite3_bind_int(st, 6, f->threads);
    sqlite3_bind_double(st, 7, f->prune_ratio);
    if (f->prune_method >= 0)
        et_db_bind_text(st, 8, et_prune_method_name((et_prune_method)f->prune_method));
    sqlite3_bind_int64(st, 9, f->limit > 0 ? f->limit : -1);

    et_run_summary *rows = NULL;
    int count = 0, cap = 0;
    et_status s = ET_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            et_run_summary *grown = realloc(rows, (size_t)cap * sizeof *rows);
            if (!grown) {
                s = et_fail(err, ET_E_NOMEM, "out of memory listing runs");
                break;
            }
            rows = grown;
        }
        et_run_summary *r = &rows[count++];
        memset(r, 0, sizeof *r);
        char text[32];
        int c = 0;
        r->id = sqlite3_column_int64(st, c++);
        et_db_col_text(st, c++, r->uuid, sizeof r->uuid);
        r->started_unix_ms = sqlite3_column_int64(st, c++);
        et_db_col_text(st, c++, text, sizeof text);
        r->status = et_db_run_status_parse(text);
        r->is_baseline = sqlite3_column_int(st, c++) != 0;
        et_db_col_text(st, c++, r->label, sizeof r->label);
        et_db_col_text(st, c++, r->model, sizeof r->model);
        et_db_col_text(st, c++, r->hostname, sizeof r->hostname);
        et_knobs *k = &r->knobs;
        c = et_db_col_knobs(st, c, k);
        et_db_col_text(st, c++, r->exec, sizeof r->exec);
        r->iters = sqlite3_column_int(st, c++);
        r->p50_ms = r->iters > 0 ? et_db_col_double(st, c) : NAN;
        c++;
        r->p99_ms = r->iters > 0 ? et_db_col_double(st, c) : NAN;
        c++;
        et_db_col_text(st, c++, text, sizeof text);
        r->peak_rss_bytes = strcmp(text, "ok") == 0 ? (double)sqlite3_column_int64(st, c) : NAN;
        c++;
        et_db_col_text(st, c++, text, sizeof text);
        r->energy_per_inf_mj = strcmp(text, "ok") == 0 ? et_db_col_double(st, c) : NAN;
        c++;
        et_db_col_text(st, c++, text, sizeof text);
        r->deployed_bytes = strcmp(text, "ok") == 0 ? (double)sqlite3_column_int64(st, c) : NAN;
        c++;
        et_db_col_text(st, c++, text, sizeof text);
        int v = et_recover_parse(text);
        k->recover = v < 0 ? ET_RECOVER_NONE : (et_recover)v;
        et_db_col_text(st, c++, text, sizeof text);
        v = et_calib_method_parse(text);
        k->calib_method = v < 0 ? ET_CALIB_MINMAX : (et_calib_method)v;
        memset(k->layers, 0, sizeof k->layers);
        et_db_col_text(st, c++, k->layers, sizeof k->layers);
        et_db_col_text(st, c++, r->trained, sizeof r->trained); /* NULL (no training record) reads "" */
        r->train_epochs = sqlite3_column_int(st, c++);
    }
    if (s == ET_OK && rc != SQLITE_DONE)
        s = et_db_fail_sql(db->sql, db->path, rc, "listing runs", err);
    sqlite3_finalize(st);
    if (s != ET_OK) {
        free(rows);
        return s;
    }
    *out = rows, *n = count;
    return ET_OK;
}
