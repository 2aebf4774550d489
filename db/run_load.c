/* run_load.c: reading a stored run back into an et_result (the inverse of run_save.c), and the storage facts
 * (blob sizes, codec) that `show` reports. Columns are read in the order of ET_ST_RUN_LOAD in db_stmts.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "db/samples_codec.h"

static et_status no_such_run(et_db *db, int64_t id, et_err *err) {
    return et_fail(err, ET_E_INPUT, "no run %lld in %s; see 'edgetune runs'", (long long)id, db->path);
}

/* Reads one row of ET_ST_RUN_LOAD. */
static void read_run_row(sqlite3_stmt *st, et_result *r) {
    int c = 0;
    et_knobs *k = &r->knobs;
    char text[64];
    et_db_col_text(st, c++, r->uuid, sizeof r->uuid);
    c += 2; /* model_id, host_id */
    et_db_col_text(st, c++, r->model.path, sizeof r->model.path);
    r->started_unix_ms = sqlite3_column_int64(st, c++);
    c++; /* saved_unix_ms */
    et_db_col_text(st, c++, text, sizeof text);
    r->status = et_db_run_status_parse(text);
    et_db_col_text(st, c++, r->label, sizeof r->label);
    r->is_baseline = sqlite3_column_int(st, c++) != 0;
    c = et_db_col_knobs(st, c, k);
    et_db_col_text(st, c++, r->engine.version, sizeof r->engine.version);
    et_db_col_text(st, c++, r->engine.isa, sizeof r->engine.isa);
    et_db_col_text(st, c++, r->engine.exec, sizeof r->engine.exec);
    et_db_col_text(st, c++, r->engine.notes, sizeof r->engine.notes);
    r->warmup_iters = sqlite3_column_int(st, c++);
    r->iters = sqlite3_column_int(st, c++);
    r->prepare_ms = et_db_col_double(st, c++);
    r->profiler_overhead_pct = et_db_col_double(st, c++);
    et_db_col_text(st, c++, text, sizeof text);
    int clip = et_clip_parse(text);
    k->clip = clip < 0 ? ET_CLIP_MINMAX : (et_clip)clip;
    k->force_int8 = sqlite3_column_int(st, c++) != 0;
    /* model */
    et_db_col_text(st, c++, r->model.sha256, sizeof r->model.sha256);
    et_db_col_text(st, c++, r->model.name, sizeof r->model.name);
    r->model.file_bytes = sqlite3_column_int64(st, c++);
    r->model.params = sqlite3_column_int64(st, c++);
    r->model.macs = sqlite3_column_int64(st, c++);
    /* host */
    et_db_col_text(st, c++, r->host.hostname, sizeof r->host.hostname);
    et_db_col_text(st, c++, r->host.cpu, sizeof r->host.cpu);
    et_db_col_text(st, c++, r->host.arch, sizeof r->host.arch);
    et_db_col_text(st, c++, r->host.board, sizeof r->host.board);
    et_db_col_text(st, c++, r->host.kernel, sizeof r->host.kernel);
    r->host.cores = sqlite3_column_int(st, c++);
    /* stats: absent for a run still 'running' (or aborted before it finished): keep et_result_init's values */
    if (sqlite3_column_type(st, c++) == SQLITE_NULL)
        return;
    et_latency_stats *l = &r->latency;
    double *lat[] = {&l->min_ms, &l->mean_ms, &l->p50_ms, &l->p90_ms,        &l->p99_ms,
                     &l->max_ms, &l->std_ms,  &l->cv,     &l->throughput_ips};
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++)
        *lat[i] = et_db_col_double(st, c++);
    et_memory_info *m = &r->memory;
    et_db_col_text(st, c++, text, sizeof text);
    m->status = et_db_avail_parse(text);
    et_db_col_text(st, c++, m->why, sizeof m->why);
    m->peak_rss_bytes = sqlite3_column_int64(st, c++);
    et_db_col_text(st, c++, m->peak_rss_method, sizeof m->peak_rss_method);
    m->weights_bytes = sqlite3_column_int64(st, c++);
    m->weights_deploy_bytes = sqlite3_column_int64(st, c++);
    m->arena_bytes = sqlite3_column_int64(st, c++);
    et_power_info *p = &r->power;
    et_db_col_text(st, c++, text, sizeof text);
    p->status = et_db_avail_parse(text);
    et_db_col_text(st, c++, p->why, sizeof p->why);
    et_db_col_text(st, c++, p->source, sizeof p->source);
    p->partial = sqlite3_column_int(st, c++) != 0;
    p->avg_power_w = et_db_col_double(st, c++);
    p->energy_j = et_db_col_double(st, c++);
    p->energy_per_inf_mj = et_db_col_double(st, c++);
    c++; /* power_n_samples: n_samples is set when the timeline is loaded */
    et_thermal_info *t = &r->thermal;
    et_db_col_text(st, c++, text, sizeof text);
    t->status = et_db_avail_parse(text);
    et_db_col_text(st, c++, t->why, sizeof t->why);
    t->cpu_mhz_start = et_db_col_double(st, c++);
    t->cpu_mhz_end = et_db_col_double(st, c++);
    t->cpu_mhz_max = et_db_col_double(st, c++);
    t->throttled = sqlite3_column_int(st, c++) != 0;
    et_db_col_text(st, c++, t->throttle_why, sizeof t->throttle_why);
    et_fidelity_info *f = &r->fidelity;
    et_db_col_text(st, c++, text, sizeof text);
    f->status = et_db_avail_parse(text);
    et_db_col_text(st, c++, f->why, sizeof f->why);
    f->n_inputs = sqlite3_column_int(st, c++);
    et_db_col_text(st, c++, f->eval_source, sizeof f->eval_source);
    f->accuracy = et_db_col_double(st, c++);
    f->baseline_accuracy = et_db_col_double(st, c++);
    et_deployed_memory *d = &r->deployed;
    et_db_col_text(st, c++, text, sizeof text);
    d->status = et_db_avail_parse(text);
    et_db_col_text(st, c++, d->why, sizeof d->why);
    int64_t *dep[] = {&d->peak_bytes, &d->runtime_bytes, &d->load_peak_bytes, &d->weights_bytes, &d->arena_bytes};
    for (size_t i = 0; i < sizeof dep / sizeof dep[0]; i++)
        *dep[i] = sqlite3_column_int64(st, c++);
    et_db_col_text(st, c++, d->method, sizeof d->method);
    f->n_compared = sqlite3_column_type(st, c) == SQLITE_NULL ? f->n_inputs : sqlite3_column_int(st, c);
    c++;
}

/* Runs a per-run array query, growing *arr by elem bytes per row; row() fills one element. */
static et_status load_array(et_db *db, et_stmt_id id, int64_t run_id, size_t elem, void **arr, int *n,
                            void (*row)(sqlite3_stmt *, void *), et_err *err) {
    sqlite3_stmt *st = et_db_stmt(db, id, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    sqlite3_bind_int64(st, 1, run_id);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            void *grown = realloc(*arr, (size_t)cap * elem);
            if (!grown) {
                sqlite3_reset(st);
                return et_fail(err, ET_E_NOMEM, "out of memory loading run %lld", (long long)run_id);
            }
            *arr = grown;
        }
        void *e = (char *)*arr + (size_t)*n * elem;
        memset(e, 0, elem);
        row(st, e);
        (*n)++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, "loading a run", err);
}

static void counter_row(sqlite3_stmt *st, void *e) {
    et_counter *c = e;
    char text[32];
    et_db_col_text(st, 0, c->name, sizeof c->name);
    et_db_col_text(st, 1, c->label, sizeof c->label);
    et_db_col_text(st, 2, text, sizeof text);
    c->status = et_db_avail_parse(text);
    et_db_col_text(st, 3, c->why, sizeof c->why);
    c->value = et_db_col_double(st, 4);
    c->value_per_inf = et_db_col_double(st, 5);
    c->raw = (uint64_t)sqlite3_column_int64(st, 6);
    c->enabled_ns = (uint64_t)sqlite3_column_int64(st, 7);
    c->running_ns = (uint64_t)sqlite3_column_int64(st, 8);
}

static void layer_row(sqlite3_stmt *st, void *e) {
    et_layer_profile *l = e;
    et_db_col_text(st, 0, l->name, sizeof l->name);
    et_db_col_text(st, 1, l->op, sizeof l->op);
    et_db_col_text(st, 2, l->kernel, sizeof l->kernel);
    et_db_col_text(st, 3, l->precision, sizeof l->precision);
    l->time_ms = et_db_col_double(st, 4);
    l->macs = sqlite3_column_int64(st, 5);
    l->recon_err_before = et_db_col_double(st, 6);
    l->recon_err_after = et_db_col_double(st, 7);
}

static void fidout_row(sqlite3_stmt *st, void *e) {
    et_output_fidelity *o = e;
    et_db_col_text(st, 0, o->output, sizeof o->output);
    o->top1_agreement = et_db_col_double(st, 1);
    o->top5_agreement = et_db_col_double(st, 2);
    o->cosine = et_db_col_double(st, 3);
    o->sqnr_db = et_db_col_double(st, 4);
    o->max_abs_err = et_db_col_double(st, 5);
}

static et_status load_zones(et_db *db, int64_t run_id, et_thermal_info *t, et_err *err) {
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_ZONES_LOAD, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    t->n_zones = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && t->n_zones < ET_MAX_ZONES) {
        int i = t->n_zones++;
        et_db_col_text(st, 0, t->zone[i], sizeof t->zone[i]);
        t->temp_start_c[i] = et_db_col_double(st, 1);
        t->temp_end_c[i] = et_db_col_double(st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, "loading a run", err);
}

/* Loads and checks one sample blob; a bad blob is ET_E_INPUT naming the run. */
static et_status load_blob(et_db *db, int64_t run_id, const char *uuid, const char *kind, et_result *r, et_err *err) {
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_SAMPLES_LOAD, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    sqlite3_bind_int64(st, 1, run_id);
    et_db_bind_text(st, 2, kind);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return ET_OK;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return et_db_fail_sql(db->sql, db->path, rc, "loading samples", err);
    }
    int count = sqlite3_column_int(st, 0);
    const void *data = sqlite3_column_blob(st, 1);
    size_t len = (size_t)sqlite3_column_bytes(st, 1);
    et_status s = strcmp(kind, "power") == 0
                      ? et_samples_decode_power(data, len, count, &r->power.samples, &r->power.n_samples, err)
                      : et_samples_decode_f64(data, len, count, &r->samples_ms, &r->n_samples, err);
    sqlite3_reset(st);
    if (s != ET_OK)
        et_err_prefix(err, "run %lld (%s) in %s: %s: ", (long long)run_id, uuid, db->path,
                      strcmp(kind, "power") == 0 ? "power timeline" : "latency samples");
    if (s == ET_E_INPUT && err)
        snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                 "; its other results are intact: 'edgetune show %lld --no-samples' shows them, 'edgetune rm %lld' "
                 "removes the run",
                 (long long)run_id, (long long)run_id);
    return s;
}

et_status et_db_load_run(et_db *db, int64_t run_id, et_db_load_flags flags, et_result *out, et_err *err) {
    et_result_free(out);
    et_result_init(out);
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_RUN_LOAD, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_run_row(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return no_such_run(db, run_id, err);
    if (rc != SQLITE_ROW)
        return et_db_fail_sql(db->sql, db->path, rc, "loading a run", err);
    et_status s = load_zones(db, run_id, &out->thermal, err);
    if (s == ET_OK)
        s = load_array(db, ET_ST_COUNTERS_LOAD, run_id, sizeof(et_counter), (void **)&out->counters, &out->n_counters,
                       counter_row, err);
    if (s == ET_OK)
        s = load_array(db, ET_ST_LAYERS_LOAD, run_id, sizeof(et_layer_profile), (void **)&out->layers, &out->n_layers,
                       layer_row, err);
    if (s == ET_OK) { /* schema v2: the recovery knobs */
        sqlite3_stmt *rq = et_db_stmt(db, ET_ST_RUN_RECOVERY_LOAD, err);
        if (!rq) {
            s = err ? err->status : ET_E_RUNTIME;
        } else {
            sqlite3_bind_int64(rq, 1, run_id);
            int rrc = sqlite3_step(rq);
            if (rrc == SQLITE_ROW) {
                char text[32];
                et_db_col_text(rq, 0, text, sizeof text);
                int v = et_recover_parse(text);
                out->knobs.recover = v < 0 ? ET_RECOVER_NONE : (et_recover)v;
                et_db_col_text(rq, 1, text, sizeof text);
                v = et_calib_method_parse(text);
                out->knobs.calib_method = v < 0 ? ET_CALIB_MINMAX : (et_calib_method)v;
                memset(out->knobs.layers, 0, sizeof out->knobs.layers); /* schema v6: per-layer overrides */
                et_db_col_text(rq, 2, out->knobs.layers, sizeof out->knobs.layers);
            } else if (rrc != SQLITE_DONE) {
                s = et_db_fail_sql(db->sql, db->path, rrc, "loading a run", err);
            }
            sqlite3_reset(rq);
        }
    }
    if (s == ET_OK)
        s = load_array(db, ET_ST_FIDOUT_LOAD, run_id, sizeof(et_output_fidelity), (void **)&out->fidelity.outputs,
                       &out->fidelity.n_outputs, fidout_row, err);
    if (s == ET_OK && !(flags & ET_DB_LOAD_NO_SAMPLES))
        s = load_blob(db, run_id, out->uuid, "latency_ms", out, err);
    if (s == ET_OK && !(flags & ET_DB_LOAD_NO_SAMPLES))
        s = load_blob(db, run_id, out->uuid, "power", out, err);
    if (s == ET_OK && !(flags & ET_DB_LOAD_NO_SAMPLES))
        s = et_db_load_inputs(db, run_id, &out->fidelity, err);
    if (s != ET_OK) {
        et_result_free(out);
        et_result_init(out);
    }
    return s;
}

et_status et_db_run_meta_get(et_db *db, int64_t run_id, et_db_run_meta *out, et_err *err) {
    memset(out, 0, sizeof *out);
    out->id = run_id;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT r.saved_unix_ms, r.model_path, h.machine_id FROM runs r "
                                "JOIN hosts h ON h.id = r.host_id WHERE r.id = ?1",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->saved_unix_ms = sqlite3_column_int64(st, 0);
            et_db_col_text(st, 1, out->model_path, sizeof out->model_path);
            et_db_col_text(st, 2, out->machine_id, sizeof out->machine_id);
        }
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return no_such_run(db, run_id, err);
    if (rc != SQLITE_ROW)
        return et_db_fail_sql(db->sql, db->path, rc, "reading a run", err);
    rc = sqlite3_prepare_v2(db->sql,
                            "SELECT kind, count, codec, raw_bytes, length(data) FROM samples WHERE run_id = ?1", -1,
                            &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            char kind[16];
            et_db_col_text(st, 0, kind, sizeof kind);
            et_db_blob_info *b = strcmp(kind, "power") == 0 ? &out->power : &out->latency;
            b->present = true;
            b->count = sqlite3_column_int(st, 1);
            et_db_col_text(st, 2, b->codec, sizeof b->codec);
            b->raw_bytes = sqlite3_column_int64(st, 3);
            b->stored_bytes = sqlite3_column_int64(st, 4);
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, "reading a run's samples", err);
}
