/* run_save.c: writing a run: et_db_save_run (one transaction), and et_db_begin_run + et_db_finish_run for a run
 * that should leave a trace while it is measured. Reading is in run_load.c; the SQL in db_stmts.c.
 *
 * Every write goes through step() below, which turns any SQLite failure into one line naming the run; the caller
 * rolls the whole transaction back, so a failure never leaves half a run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "db/samples_codec.h"

/* Steps an INSERT/UPDATE; ET_OK when done. */
static et_status step(et_db *db, sqlite3_stmt *st, const char *what, et_err *err) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
}

static et_status model_id(et_db *db, const et_model_info *m, int64_t *id, const char *what, et_err *err) {
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_MODEL_INSERT, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    et_db_bind_text(st, 1, m->sha256);
    et_db_bind_text(st, 2, m->name);
    sqlite3_bind_int64(st, 3, m->file_bytes);
    sqlite3_bind_int64(st, 4, m->params);
    sqlite3_bind_int64(st, 5, m->macs);
    et_status s = step(db, st, what, err);
    if (s != ET_OK || !(st = et_db_stmt(db, ET_ST_MODEL_ID, err)))
        return s != ET_OK ? s : err ? err->status : ET_E_RUNTIME;
    et_db_bind_text(st, 1, m->sha256);
    et_db_bind_text(st, 2, m->name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
}

static void bind_host(sqlite3_stmt *st, const et_host_info *h, const char *machine_id) {
    et_db_bind_text(st, 1, h->hostname);
    et_db_bind_text(st, 2, h->cpu);
    et_db_bind_text(st, 3, h->arch);
    et_db_bind_text(st, 4, h->board);
    et_db_bind_text(st, 5, h->kernel);
    sqlite3_bind_int(st, 6, h->cores);
    et_db_bind_text(st, 7, machine_id);
}

static et_status host_id(et_db *db, const et_host_info *h, int64_t *id, const char *what, et_err *err) {
    char machine[64];
    et_db_host_machine_id(h, machine, sizeof machine);
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_HOST_INSERT, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    bind_host(st, h, machine);
    et_status s = step(db, st, what, err);
    if (s != ET_OK || !(st = et_db_stmt(db, ET_ST_HOST_ID, err)))
        return s != ET_OK ? s : err ? err->status : ET_E_RUNTIME;
    bind_host(st, h, machine);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, what, err);
}

/* Binds ?2..?29 of ET_ST_RUN_INSERT / ET_ST_RUN_FINISH, in the order of their column list. */
static void bind_run_cols(sqlite3_stmt *st, const et_result *r, int64_t mid, int64_t hid, et_run_status status) {
    const et_knobs *k = &r->knobs;
    et_db_binder b = et_db_binder_at(st, 2);
    et_db_put_int(&b, mid);
    et_db_put_int(&b, hid);
    et_db_put_text(&b, r->model.path);
    et_db_put_int(&b, r->started_unix_ms);
    et_db_put_int(&b, et_db_now_unix_ms());
    et_db_put_text(&b, et_run_status_name(status));
    et_db_put_text(&b, r->label);
    et_db_put_bool(&b, r->is_baseline);
    et_db_put_int(&b, k->weight_bits);
    et_db_put_int(&b, k->act_bits);
    et_db_put_text(&b, et_granularity_name(k->granularity));
    et_db_put_bool(&b, k->symmetric);
    et_db_put_real(&b, (double)k->prune_ratio);
    et_db_put_text(&b, et_prune_method_name(k->prune_method));
    et_db_put_int(&b, k->nm_n);
    et_db_put_int(&b, k->nm_m);
    et_db_put_int(&b, k->threads);
    et_db_put_bool(&b, k->quantize_all);
    et_db_put_text(&b, r->engine.version);
    et_db_put_text(&b, r->engine.isa);
    et_db_put_text(&b, r->engine.exec);
    et_db_put_text(&b, r->engine.notes);
    et_db_put_int(&b, r->warmup_iters);
    et_db_put_int(&b, r->iters);
    et_db_put_real(&b, r->prepare_ms);
    et_db_put_real(&b, r->profiler_overhead_pct);
    et_db_put_text(&b, et_clip_name(k->clip));
    et_db_put_bool(&b, k->force_int8);
}

static void bind_stats(sqlite3_stmt *st, int64_t run_id, const et_result *r) {
    const et_latency_stats *l = &r->latency;
    const et_memory_info *m = &r->memory;
    const et_power_info *p = &r->power;
    const et_thermal_info *t = &r->thermal;
    const et_fidelity_info *f = &r->fidelity;
    int i = 1;
    sqlite3_bind_int64(st, i++, run_id);
    const double lat[] = {l->min_ms, l->mean_ms, l->p50_ms, l->p90_ms,        l->p99_ms,
                          l->max_ms, l->std_ms,  l->cv,     l->throughput_ips};
    for (size_t k = 0; k < sizeof lat / sizeof lat[0]; k++)
        et_db_bind_double(st, i++, lat[k]);
    et_db_bind_text(st, i++, et_avail_name(m->status));
    et_db_bind_text(st, i++, m->why);
    sqlite3_bind_int64(st, i++, m->peak_rss_bytes);
    et_db_bind_text(st, i++, m->peak_rss_method);
    sqlite3_bind_int64(st, i++, m->weights_bytes);
    sqlite3_bind_int64(st, i++, m->weights_deploy_bytes);
    sqlite3_bind_int64(st, i++, m->arena_bytes);
    et_db_bind_text(st, i++, et_avail_name(p->status));
    et_db_bind_text(st, i++, p->why);
    et_db_bind_text(st, i++, p->source);
    sqlite3_bind_int(st, i++, p->partial ? 1 : 0);
    et_db_bind_double(st, i++, p->avg_power_w);
    et_db_bind_double(st, i++, p->energy_j);
    et_db_bind_double(st, i++, p->energy_per_inf_mj);
    sqlite3_bind_int(st, i++, p->n_samples);
    et_db_bind_text(st, i++, et_avail_name(t->status));
    et_db_bind_text(st, i++, t->why);
    et_db_bind_double(st, i++, t->cpu_mhz_start);
    et_db_bind_double(st, i++, t->cpu_mhz_end);
    et_db_bind_double(st, i++, t->cpu_mhz_max);
    sqlite3_bind_int(st, i++, t->throttled ? 1 : 0);
    et_db_bind_text(st, i++, t->throttle_why);
    et_db_bind_text(st, i++, et_avail_name(f->status));
    et_db_bind_text(st, i++, f->why);
    sqlite3_bind_int(st, i++, f->n_inputs);
    et_db_bind_text(st, i++, f->eval_source);
    et_db_bind_double(st, i++, f->accuracy);
    et_db_bind_double(st, i++, f->baseline_accuracy);
    const et_deployed_memory *d = &r->deployed;
    bool measured = d->status == ET_AVAIL_OK;
    et_db_bind_text(st, i++, et_avail_name(d->status));
    et_db_bind_text(st, i++, d->why);
    const int64_t dep[] = {d->peak_bytes, d->runtime_bytes, d->load_peak_bytes, d->weights_bytes, d->arena_bytes};
    for (size_t k = 0; k < sizeof dep / sizeof dep[0]; k++) {
        if (measured)
            sqlite3_bind_int64(st, i++, dep[k]);
        else
            sqlite3_bind_null(st, i++);
    }
    et_db_bind_text(st, i++, d->method);
    sqlite3_bind_int(st, i++, f->n_compared > 0 ? f->n_compared : f->n_inputs);
}

static et_status save_blob(et_db *db, int64_t run_id, const char *kind, et_samples_elem elem, unsigned char *blob,
                           size_t len, int count, const char *what, et_err *err) {
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_SAMPLES_INSERT, err);
    if (!st) {
        free(blob);
        return err ? err->status : ET_E_RUNTIME;
    }
    et_samples_header h = {.codec = ET_SAMPLES_CODEC_LZ4_PLANES};
    et_samples_peek(blob, len, &h, NULL); /* our own blob: always valid */
    sqlite3_bind_int64(st, 1, run_id);
    et_db_bind_text(st, 2, kind);
    et_db_bind_text(st, 3, et_samples_codec_name(h.codec));
    et_db_bind_text(st, 4, et_samples_elem_name(elem));
    sqlite3_bind_int(st, 5, count);
    sqlite3_bind_int64(st, 6, (int64_t)count * (elem == ET_SAMPLES_F64 ? 8 : 16));
    sqlite3_bind_blob(st, 7, blob, (int)len, free); /* SQLite frees the blob */
    return step(db, st, what, err);
}

/* Everything but the run row: stats, arrays, blobs. */
static et_status save_children(et_db *db, int64_t id, const et_result *r, const char *what, et_err *err) {
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_STATS_INSERT, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    bind_stats(st, id, r);
    et_status s = step(db, st, what, err);
    int n_zones = r->thermal.n_zones < 0 ? 0 : r->thermal.n_zones > ET_MAX_ZONES ? ET_MAX_ZONES : r->thermal.n_zones;
    for (int i = 0; s == ET_OK && i < n_zones; i++) {
        if (!(st = et_db_stmt(db, ET_ST_ZONE_INSERT, err)))
            return err ? err->status : ET_E_RUNTIME;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, i);
        et_db_bind_text(st, 3, r->thermal.zone[i]);
        et_db_bind_double(st, 4, r->thermal.temp_start_c[i]);
        et_db_bind_double(st, 5, r->thermal.temp_end_c[i]);
        s = step(db, st, what, err);
    }
    for (int i = 0; s == ET_OK && i < r->n_counters; i++) {
        const et_counter *c = &r->counters[i];
        if (!(st = et_db_stmt(db, ET_ST_COUNTER_INSERT, err)))
            return err ? err->status : ET_E_RUNTIME;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, i);
        et_db_bind_text(st, 3, c->name);
        et_db_bind_text(st, 4, c->label);
        et_db_bind_text(st, 5, et_avail_name(c->status));
        et_db_bind_text(st, 6, c->why);
        et_db_bind_double(st, 7, c->value);
        et_db_bind_double(st, 8, c->value_per_inf);
        sqlite3_bind_int64(st, 9, (int64_t)c->raw); /* bit pattern kept: read back as uint64_t */
        sqlite3_bind_int64(st, 10, (int64_t)c->enabled_ns);
        sqlite3_bind_int64(st, 11, (int64_t)c->running_ns);
        s = step(db, st, what, err);
    }
    for (int i = 0; s == ET_OK && i < r->n_layers; i++) {
        const et_layer_profile *l = &r->layers[i];
        if (!(st = et_db_stmt(db, ET_ST_LAYER_INSERT, err)))
            return err ? err->status : ET_E_RUNTIME;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, i);
        et_db_bind_text(st, 3, l->name);
        et_db_bind_text(st, 4, l->op);
        et_db_bind_text(st, 5, l->kernel);
        et_db_bind_text(st, 6, l->precision);
        et_db_bind_double(st, 7, l->time_ms);
        sqlite3_bind_int64(st, 8, l->macs);
        et_db_bind_double(st, 9, l->recon_err_before);
        et_db_bind_double(st, 10, l->recon_err_after);
        s = step(db, st, what, err);
    }
    for (int i = 0; s == ET_OK && i < r->fidelity.n_outputs; i++) {
        const et_output_fidelity *o = &r->fidelity.outputs[i];
        if (!(st = et_db_stmt(db, ET_ST_FIDOUT_INSERT, err)))
            return err ? err->status : ET_E_RUNTIME;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, i);
        et_db_bind_text(st, 3, o->output);
        et_db_bind_double(st, 4, o->top1_agreement);
        et_db_bind_double(st, 5, o->top5_agreement);
        et_db_bind_double(st, 6, o->cosine);
        et_db_bind_double(st, 7, o->sqnr_db);
        et_db_bind_double(st, 8, o->max_abs_err);
        s = step(db, st, what, err);
    }
    if (s == ET_OK)
        s = et_db_save_inputs(db, id, &r->fidelity, err);
    if (s == ET_OK && r->n_samples > 0 && r->samples_ms) {
        unsigned char *blob;
        size_t len;
        s = et_samples_encode_f64(r->samples_ms, r->n_samples, &blob, &len, err);
        if (s == ET_OK)
            s = save_blob(db, id, "latency_ms", ET_SAMPLES_F64, blob, len, r->n_samples, what, err);
    }
    if (s == ET_OK && r->power.n_samples > 0 && r->power.samples) {
        unsigned char *blob;
        size_t len;
        s = et_samples_encode_power(r->power.samples, r->power.n_samples, &blob, &len, err);
        if (s == ET_OK)
            s = save_blob(db, id, "power", ET_SAMPLES_POWER, blob, len, r->power.n_samples, what, err);
    }
    return s;
}

/* The knobs of schema v2 (recovery), on the run row id. */
static et_status save_recovery_knobs(et_db *db, int64_t id, const et_knobs *k, const char *what, et_err *err) {
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_RUN_RECOVERY_SET, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    sqlite3_bind_int64(st, 1, id);
    et_db_bind_text(st, 2, et_recover_name(k->recover));
    et_db_bind_text(st, 3, et_calib_method_name(k->calib_method));
    et_db_bind_text(st, 4, k->layers); /* schema v6: per-layer overrides */
    return step(db, st, what, err);
}

/* Inserts the run row (and its model and host). */
static et_status insert_run(et_db *db, const et_result *r, const char *uuid, et_run_status status,
                            const et_db_writer *w, int64_t *id, const char *what, et_err *err) {
    int64_t mid = 0, hid = 0;
    et_status s = model_id(db, &r->model, &mid, what, err);
    if (s == ET_OK)
        s = host_id(db, &r->host, &hid, what, err);
    if (s != ET_OK)
        return s;
    sqlite3_stmt *st = et_db_stmt(db, ET_ST_RUN_INSERT, err);
    if (!st)
        return err ? err->status : ET_E_RUNTIME;
    et_db_bind_text(st, 1, uuid);
    bind_run_cols(st, r, mid, hid, status);
    if (w) {
        sqlite3_bind_int64(st, 30, w->pid);
        sqlite3_bind_int64(st, 31, w->start_ticks);
        et_db_bind_text(st, 32, w->boot_id);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        /* the only unique constraint a new run can meet is its uuid */
        return et_fail(err, ET_E_INPUT, "run %s is already stored in %s; nothing was changed", uuid, db->path);
    }
    if (rc != SQLITE_DONE)
        return et_db_fail_sql(db->sql, db->path, rc, what, err);
    *id = sqlite3_last_insert_rowid(db->sql);
    return save_recovery_knobs(db, *id, &r->knobs, what, err);
}

static void uuid_of(const et_result *r, char out[ET_UUID_LEN + 1]) {
    if (r->uuid[0])
        snprintf(out, ET_UUID_LEN + 1, "%s", r->uuid);
    else
        et_uuid_v4(out);
}

static et_run_status final_status(et_run_status s) { return s == ET_RUN_RUNNING ? ET_RUN_ABORTED : s; }

et_status et_db_save_run(et_db *db, const et_result *r, int64_t *run_id, et_err *err) {
    char uuid[ET_UUID_LEN + 1], what[96];
    uuid_of(r, uuid);
    snprintf(what, sizeof what, "saving run %s", uuid);
    int64_t id = 0;
    et_status s = et_db_begin(db, what, err);
    if (s != ET_OK)
        return s;
    s = insert_run(db, r, uuid, final_status(r->status), NULL, &id, what, err);
    if (s == ET_OK)
        s = save_children(db, id, r, what, err);
    if (s == ET_OK)
        s = et_db_commit(db, what, err);
    else
        et_db_rollback(db);
    if (s == ET_OK && run_id)
        *run_id = id;
    return s;
}

et_status et_db_begin_run(et_db *db, const et_result *r, int64_t *run_id, et_err *err) {
    char uuid[ET_UUID_LEN + 1], what[96];
    uuid_of(r, uuid);
    snprintf(what, sizeof what, "starting run %s", uuid);
    et_db_writer w;
    et_db_writer_self(&w);
    int64_t id = 0;
    et_status s = et_db_begin(db, what, err);
    if (s != ET_OK)
        return s;
    s = insert_run(db, r, uuid, ET_RUN_RUNNING, &w, &id, what, err);
    if (s == ET_OK)
        s = et_db_commit(db, what, err);
    else
        et_db_rollback(db);
    if (s == ET_OK)
        *run_id = id;
    return s;
}

et_status et_db_finish_run(et_db *db, int64_t run_id, const et_result *r, et_err *err) {
    char what[96];
    snprintf(what, sizeof what, "finishing run %lld", (long long)run_id);
    et_status s = et_db_begin(db, what, err);
    if (s != ET_OK)
        return s;
    int64_t mid = 0, hid = 0;
    s = model_id(db, &r->model, &mid, what, err);
    if (s == ET_OK)
        s = host_id(db, &r->host, &hid, what, err);
    sqlite3_stmt *st = s == ET_OK ? et_db_stmt(db, ET_ST_RUN_FINISH, err) : NULL;
    if (st) {
        bind_run_cols(st, r, mid, hid, final_status(r->status));
        sqlite3_bind_int64(st, 33, run_id);
        s = step(db, st, what, err);
        if (s == ET_OK && sqlite3_changes(db->sql) != 1)
            s = et_fail(err, ET_E_INPUT,
                        "run %lld in %s is not a run in progress (finished already, or removed); the result was "
                        "not stored",
                        (long long)run_id, db->path);
    } else if (s == ET_OK) {
        s = err ? err->status : ET_E_RUNTIME;
    }
    if (s == ET_OK)
        s = save_recovery_knobs(db, run_id, &r->knobs, what, err);
    if (s == ET_OK)
        s = save_children(db, run_id, r, what, err);
    if (s == ET_OK)
        s = et_db_commit(db, what, err);
    else
        et_db_rollback(db);
    return s;
}
