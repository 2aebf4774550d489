/* sens_store.c: the points of a per-layer sensitivity analysis (record/sensitivity.h) in sensitivity_points
 * (schema.c, version 7), under the run of the analysis's base measurement. The base run carries the model, the
 * host, the knobs (per-layer overrides and threads included), so finding an earlier analysis of the same setting
 * is a join against the new base run's row; the points add the evaluation set's hash, the half of it the quality
 * counted and the timed iterations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"

/* The eval_hash column's value: the set's hash, followed by "+t<rule>" for a time_saved_ms rule after the first
 * and "+rb" for points recovered from the base's recovery. Both are part of what decides whether stored points can
 * stand for new ones (a saving counted on the layer's step alone is not one counted on every step the change
 * moved; a point whose later layers kept the base's recovery is not a fully recovered one); kept in that column so
 * that no schema step is needed: points stored before the rule changed keep the bare hash and are never found by a
 * newer analysis. */
static void eval_key(const et_db_sens_set *set, char *out, size_t n) {
    snprintf(out, n, "%s", set->eval_hash);
    if (set->saved_rule > 0)
        snprintf(out + strlen(out), n - strlen(out), "+t%d", set->saved_rule);
    if (set->from_base)
        snprintf(out + strlen(out), n - strlen(out), "+rb");
}

static et_status out_of_step(const char *what, et_err *err) {
    return et_fail(err, ET_E_RUNTIME, "internal error %s: the sensitivity columns and their values are out of step",
                   what);
}

et_status et_db_save_sensitivity(et_db *db, int64_t base_run, const et_db_sens_set *set, const et_sens_point *pts,
                                 int n, et_err *err) {
    char what[96];
    snprintf(what, sizeof what, "saving the sensitivity points of run %lld", (long long)base_run);
    et_status s = et_db_begin(db, what, err);
    if (s != ET_OK)
        return s;
    char key[40];
    eval_key(set, key, sizeof key);
    sqlite3_stmt *st = NULL;
    s = et_db_prepare_insert(db, "INSERT OR REPLACE INTO sensitivity_points",
                             "run_id, idx, " ET_DB_SENS_COLS ", from_run", &st, what, err);
    for (int i = 0; s == ET_OK && i < n; i++) {
        const et_sens_point *p = &pts[i];
        sqlite3_reset(st);
        et_db_binder b = et_db_binder_at(st, 1); /* in the order of the column list above */
        et_db_put_int(&b, base_run);
        et_db_put_int(&b, i);
        et_db_put_text(&b, p->layer);
        et_db_put_text(&b, p->candidate);
        et_db_put_text(&b, key);
        et_db_put_int(&b, set->eval_half);
        et_db_put_int(&b, set->iters);
        et_db_put_bool(&b, p->measured);
        et_db_put_text(&b, p->error);
        et_db_put_real(&b, p->quality);
        et_db_put_real(&b, p->quality_delta_pp);
        et_db_put_real(&b, p->time_saved_ms);
        et_db_put_real(&b, p->layer_ms);
        et_db_put_real(&b, p->p50_ms);
        et_db_put_int(&b, p->bytes_saved);
        et_db_put_text(&b, p->exec);
        if (p->from_run > 0)
            et_db_put_int(&b, p->from_run);
        else
            et_db_put_real(&b, NAN); /* NULL */
        if (!et_db_bound_all(&b)) {
            s = out_of_step(what, err);
            break;
        }
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = et_db_fail_sql(db->sql, db->path, rc, what, err);
    }
    sqlite3_finalize(st);
    if (s == ET_OK)
        return et_db_commit(db, what, err);
    et_db_rollback(db);
    return s;
}

/* The newest other run with sensitivity points on the same model, host and knobs as base_run (every knob column,
 * the per-layer overrides and threads), the same evaluation set, half and iterations. */
static const char find_sql[] =
    "SELECT r.id FROM runs r JOIN runs b ON b.id = ?1 "
    "WHERE r.id != b.id AND r.model_id = b.model_id AND r.host_id = b.host_id "
    "AND r.weight_bits = b.weight_bits AND r.act_bits = b.act_bits AND r.granularity = b.granularity "
    "AND r.symmetric = b.symmetric AND r.prune_ratio = b.prune_ratio AND r.prune_method = b.prune_method "
    "AND r.nm_n = b.nm_n AND r.nm_m = b.nm_m AND r.threads = b.threads AND r.quantize_all = b.quantize_all "
    "AND r.clip = b.clip AND r.force_int8 = b.force_int8 AND r.recover = b.recover "
    "AND r.calib_method = b.calib_method AND r.layers = b.layers AND r.engine_isa = b.engine_isa "
    "AND EXISTS (SELECT 1 FROM sensitivity_points p WHERE p.run_id = r.id AND p.eval_hash = ?2 "
    "AND p.eval_half = ?3 AND (?4 <= 0 OR p.iters = ?4)) "
    "ORDER BY r.started_unix_ms DESC, r.id DESC LIMIT 1";

static const char points_sql[] = "SELECT " ET_DB_SENS_COLS ", from_run FROM sensitivity_points WHERE run_id = ?1 "
                                 "AND eval_hash = ?2 AND eval_half = ?3 AND (?4 <= 0 OR iters = ?4) AND measured = 1 "
                                 "ORDER BY idx";

static void bind_set(sqlite3_stmt *st, int64_t run, const et_db_sens_set *set) {
    sqlite3_bind_int64(st, 1, run);
    char key[40];
    eval_key(set, key, sizeof key);
    et_db_bind_text(st, 2, key);
    sqlite3_bind_int(st, 3, set->eval_half);
    sqlite3_bind_int(st, 4, set->iters);
}

static void read_point(sqlite3_stmt *st, int64_t run, et_sens_point *p) {
    memset(p, 0, sizeof *p);
    int c = 0;
    et_db_col_text(st, c++, p->layer, sizeof p->layer);
    et_db_col_text(st, c++, p->candidate, sizeof p->candidate);
    c += 3; /* eval_hash, eval_half, iters: what the query matched */
    p->measured = sqlite3_column_int(st, c++) != 0;
    et_db_col_text(st, c++, p->error, sizeof p->error);
    p->quality = et_db_col_double(st, c++);
    p->quality_delta_pp = et_db_col_double(st, c++);
    p->time_saved_ms = et_db_col_double(st, c++);
    p->layer_ms = et_db_col_double(st, c++);
    p->p50_ms = et_db_col_double(st, c++);
    p->bytes_saved = sqlite3_column_int64(st, c++);
    et_db_col_text(st, c++, p->exec, sizeof p->exec);
    /* a point an earlier analysis had itself taken keeps the run that measured it */
    p->from_run = sqlite3_column_type(st, c) == SQLITE_NULL ? run : sqlite3_column_int64(st, c);
}

et_status et_db_find_sensitivity(et_db *db, int64_t base_run, const et_db_sens_set *set, et_sens_point **pts, int *n,
                                 et_err *err) {
    *pts = NULL;
    *n = 0;
    const char *what = "looking for stored sensitivity points";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, find_sql, -1, &st, NULL);
    int64_t found = 0;
    if (rc == SQLITE_OK) {
        bind_set(st, base_run, set);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            found = sqlite3_column_int64(st, 0), rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return et_db_fail_sql(db->sql, db->path, rc, what, err);
    if (!found)
        return ET_OK;
    st = NULL;
    rc = sqlite3_prepare_v2(db->sql, points_sql, -1, &st, NULL);
    int cap = 0;
    et_status s = ET_OK;
    if (rc == SQLITE_OK) {
        bind_set(st, found, set);
        while (s == ET_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                et_sens_point *grown = realloc(*pts, (size_t)cap * sizeof *grown);
                if (!grown) {
                    s = et_fail(err, ET_E_NOMEM, "out of memory %s", what);
                    break;
                }
                *pts = grown;
            }
            read_point(st, found, &(*pts)[(*n)++]);
        }
    }
    sqlite3_finalize(st);
    if (s == ET_OK && rc != SQLITE_DONE)
        s = et_db_fail_sql(db->sql, db->path, rc, what, err);
    if (s != ET_OK) {
        free(*pts);
        *pts = NULL;
        *n = 0;
    }
    return s;
}
