/* compare.c: the comparison table: each run against a baseline, with absolute values, ratios and deltas.
 *
 * Baseline rules. With --baseline RUN every row is compared with that run (this is how runs of different models
 * compare: "ResNet-50 fp32 -> MobileNetV3 w8a8 prune 30%: 9.5x smaller, 6.1x faster, accuracy -1.2 pp"). Without
 * it each run meets its own default baseline (et_db_default_baseline): the run marked baseline for its model on
 * its host, else the newest finished fp32 run of the same model with the same threads on the same host. A run
 * with no baseline keeps its absolute values; its ratio cells are missing and a note says why.
 *
 * Directions: speed-up = baseline p50 / run p50 and size ratio = baseline size / run size, so above 1 is better
 * and the human formats say "2.10x faster" / "1.30x slower"; accuracy delta = run - baseline in percentage
 * points. Size is the deployed weight size at the run's bit-width (memory.weights_deploy_bytes), or the model
 * file for an fp32 run that did not report it; memory ratio = baseline deployed memory / run deployed memory
 * (et_deployed_memory: what each needs when deployed, not edgetune's own peak, which is only in machine formats). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "db/report.h"

static et_status first_id(et_db *db, const char *sql, int64_t run_id, int64_t *id, et_err *err) {
    sqlite3_stmt *st = NULL;
    *id = 0;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *id = sqlite3_column_int64(st, 0);
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ET_OK : et_db_fail_sql(db->sql, db->path, rc, "finding a baseline", err);
}

et_status et_db_default_baseline(et_db *db, int64_t run_id, int64_t *base_id, char *why, size_t why_len,
                                 et_err *err) {
    et_status s = first_id(db,
                           "SELECT id FROM runs WHERE is_baseline = 1 AND " ET_DB_SQL_SAME_MODEL_AS_P1
                           " AND " ET_DB_SQL_SAME_HOST_AS_P1 " ORDER BY started_unix_ms DESC, id DESC LIMIT 1",
                           run_id, base_id, err);
    if (s == ET_OK && *base_id) {
        if (why)
            snprintf(why, why_len, "marked baseline of this model on this host");
        return ET_OK;
    }
    if (s == ET_OK)
        s = first_id(db,
                     "SELECT id FROM runs WHERE status = 'ok' AND weight_bits = 32 AND act_bits = 32 "
                     "AND prune_ratio = 0 AND threads = (SELECT threads FROM runs WHERE id = ?1) AND "
                     ET_DB_SQL_SAME_MODEL_AS_P1 " AND " ET_DB_SQL_SAME_HOST_AS_P1
                     " ORDER BY started_unix_ms DESC, id DESC LIMIT 1",
                     run_id, base_id, err);
    if (s == ET_OK && why)
        snprintf(why, why_len, *base_id ? "newest fp32 run of the same model with the same threads on the same host"
                                        : "no finished fp32 run of the same model with the same threads on the same "
                                          "host; run one, or pass --baseline RUN");
    return s;
}

enum { K_RUN, K_UUID, K_BASE, K_VS, K_LABEL, K_MODEL, K_HOST, K_CONFIG, K_P50, K_P99, K_SPEEDUP, K_SIZE, K_SIZE_RATIO,
       K_DEPLOYED, K_MEM_RATIO, K_MEM, K_ENERGY, K_TOP1, K_ACC, K_ACC_DELTA, K_COUNT };

static const et_table_col cols[K_COUNT] = {
    [K_RUN] = {.key = "run", .header = "run", .kind = ET_COL_INT},
    [K_UUID] = {.key = "uuid", .header = "uuid", .kind = ET_COL_TEXT, .machine_only = true},
    [K_BASE] = {.key = "baseline", .header = "base", .kind = ET_COL_BOOL},
    [K_VS] = {.key = "vs", .header = "vs", .kind = ET_COL_INT},
    [K_LABEL] = {.key = "label", .header = "label", .kind = ET_COL_TEXT},
    [K_MODEL] = {.key = "model", .header = "model", .kind = ET_COL_TEXT},
    [K_HOST] = {.key = "host", .header = "host", .kind = ET_COL_TEXT},
    [K_CONFIG] = {.key = "config", .header = "config", .kind = ET_COL_TEXT},
    [K_P50] = {.key = "latency_p50_ms", .header = "p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 2,
               .better = ET_BETTER_LOWER},
    [K_P99] = {.key = "latency_p99_ms", .header = "p99", .unit = "ms", .kind = ET_COL_REAL, .decimals = 2,
               .better = ET_BETTER_LOWER},
    [K_SPEEDUP] = {.key = "speedup", .header = "speed-up", .unit = "x", .kind = ET_COL_RATIO, .decimals = 2,
                   .better = ET_BETTER_HIGHER, .up_word = "faster", .down_word = "slower"},
    [K_SIZE] = {.key = "size_mib", .header = "size", .unit = "MiB", .kind = ET_COL_REAL, .decimals = 2,
                .better = ET_BETTER_LOWER},
    [K_SIZE_RATIO] = {.key = "size_ratio", .header = "size ratio", .unit = "x", .kind = ET_COL_RATIO, .decimals = 2,
                      .better = ET_BETTER_HIGHER, .up_word = "smaller", .down_word = "larger"},
    [K_DEPLOYED] = {.key = "deployed_mib", .header = "deployed mem", .unit = "MiB", .kind = ET_COL_REAL,
                    .decimals = 1, .better = ET_BETTER_LOWER},
    [K_MEM_RATIO] = {.key = "memory_ratio", .header = "memory ratio", .unit = "x", .kind = ET_COL_RATIO,
                     .decimals = 2, .better = ET_BETTER_HIGHER, .up_word = "smaller", .down_word = "larger"},
    [K_MEM] = {.key = "peak_memory_mib", .header = "edgetune peak", .unit = "MiB", .kind = ET_COL_REAL,
               .decimals = 1, .better = ET_BETTER_LOWER, .machine_only = true},
    [K_ENERGY] = {.key = "energy_per_inf_mj", .header = "energy/inf", .unit = "mJ", .kind = ET_COL_REAL,
                  .decimals = 3, .better = ET_BETTER_LOWER},
    [K_TOP1] = {.key = "top1_agreement_pct", .header = "top-1 agree", .unit = "%", .kind = ET_COL_REAL,
                .decimals = 2, .better = ET_BETTER_HIGHER},
    [K_ACC] = {.key = "accuracy_pct", .header = "accuracy", .unit = "%", .kind = ET_COL_REAL, .decimals = 2,
               .better = ET_BETTER_HIGHER},
    [K_ACC_DELTA] = {.key = "accuracy_delta_pp", .header = "accuracy delta", .unit = "pp", .kind = ET_COL_DELTA,
                     .decimals = 2, .better = ET_BETTER_HIGHER},
};

static double p50_of(const et_result *r) { return r->iters > 0 && r->latency.p50_ms > 0 ? r->latency.p50_ms : NAN; }
static double p99_of(const et_result *r) { return r->iters > 0 && r->latency.p99_ms > 0 ? r->latency.p99_ms : NAN; }
static double size_of(const et_result *r) {
    if (r->memory.weights_deploy_bytes > 0)
        return (double)r->memory.weights_deploy_bytes;
    return et_knobs_is_fp32(&r->knobs) && r->model.file_bytes > 0 ? (double)r->model.file_bytes : NAN;
}
static double deployed_of(const et_result *r) {
    return r->deployed.status == ET_AVAIL_OK && r->deployed.peak_bytes > 0 ? (double)r->deployed.peak_bytes : NAN;
}
static double mem_of(const et_result *r) {
    return r->memory.status == ET_AVAIL_OK ? (double)r->memory.peak_rss_bytes : NAN;
}
static double energy_of(const et_result *r) {
    return r->power.status == ET_AVAIL_OK ? r->power.energy_per_inf_mj : NAN;
}
static double top1_of(const et_result *r) {
    const et_fidelity_info *f = &r->fidelity;
    return f->status == ET_AVAIL_OK && f->n_outputs > 0 && f->outputs[0].top1_agreement >= 0
               ? f->outputs[0].top1_agreement * 100.0
               : NAN;
}
static double acc_of(const et_result *r) {
    return r->fidelity.status == ET_AVAIL_OK && r->fidelity.accuracy >= 0 ? r->fidelity.accuracy * 100.0 : NAN;
}
static double ratio(double base, double x) { return base > 0 && x > 0 ? base / x : NAN; }

typedef struct row {
    int64_t id, base_id; /* base_id 0: none */
    bool is_base;
} row;

static int find_row(const row *rows, int n, int64_t id) {
    for (int i = 0; i < n; i++)
        if (rows[i].id == id)
            return i;
    return -1;
}

static void describe(const et_result *r, int64_t id, char *buf, size_t len) {
    char cfg[96], when[32];
    snprintf(buf, len, "run %lld: %s %s on %s, %s", (long long)id, r->model.name,
             et_db_config_short(&r->knobs, r->engine.exec, cfg, sizeof cfg), r->host.hostname,
             et_db_format_time(r->started_unix_ms, when, sizeof when));
}

/* Loads (once) the run of row i into res[i]. */
static et_status load(et_db *db, const row *rows, et_result *res, bool *loaded, int i, et_err *err) {
    if (loaded[i])
        return ET_OK;
    et_status s = et_db_load_run(db, rows[i].id, ET_DB_LOAD_NO_SAMPLES, &res[i], err);
    loaded[i] = s == ET_OK;
    return s;
}

static void fill_row(et_table *t, const row *rw, const et_result *r, const et_result *b) {
    char cfg[96];
    int k = et_table_add_row(t);
    et_table_set_num(t, k, K_RUN, (double)rw->id);
    et_table_set_text(t, k, K_UUID, r->uuid);
    et_table_set_num(t, k, K_BASE, rw->is_base ? 1 : 0);
    et_table_set_num(t, k, K_VS, b ? (double)rw->base_id : NAN);
    et_table_set_text(t, k, K_LABEL, r->label);
    et_table_set_text(t, k, K_MODEL, r->model.name);
    et_table_set_text(t, k, K_HOST, r->host.hostname);
    et_table_set_text(t, k, K_CONFIG, et_db_config_short(&r->knobs, r->engine.exec, cfg, sizeof cfg));
    et_table_set_num(t, k, K_P50, p50_of(r));
    et_table_set_num(t, k, K_P99, p99_of(r));
    et_table_set_num(t, k, K_SIZE, size_of(r) / (1024.0 * 1024.0));
    et_table_set_num(t, k, K_DEPLOYED, deployed_of(r) / (1024.0 * 1024.0));
    et_table_set_num(t, k, K_MEM, mem_of(r) / (1024.0 * 1024.0));
    et_table_set_num(t, k, K_ENERGY, energy_of(r));
    et_table_set_num(t, k, K_TOP1, top1_of(r));
    et_table_set_num(t, k, K_ACC, acc_of(r));
    if (b) {
        et_table_set_num(t, k, K_SPEEDUP, ratio(p50_of(b), p50_of(r)));
        et_table_set_num(t, k, K_SIZE_RATIO, ratio(size_of(b), size_of(r)));
        et_table_set_num(t, k, K_MEM_RATIO, ratio(deployed_of(b), deployed_of(r)));
        et_table_set_num(t, k, K_ACC_DELTA, acc_of(r) - acc_of(b));
    }
}

et_status et_db_compare(et_db *db, const int64_t *ids, int n, int64_t baseline_id, et_table **out, et_err *err) {
    *out = NULL;
    /* at most one baseline row per run, plus the runs */
    row *rows = calloc((size_t)(2 * n + 1), sizeof *rows);
    et_result *res = calloc((size_t)(2 * n + 1), sizeof *res);
    bool *loaded = calloc((size_t)(2 * n + 1), sizeof *loaded);
    char (*why)[160] = calloc((size_t)(2 * n + 1), sizeof *why);
    et_table *t = NULL;
    int nr = 0;
    et_status s = rows && res && loaded && why ? ET_OK : et_fail(err, ET_E_NOMEM, "out of memory comparing runs");
    for (int i = 0; s == ET_OK && i < 2 * n + 1; i++)
        et_result_init(&res[i]);
    if (s == ET_OK && baseline_id) {
        snprintf(why[nr], sizeof why[nr], "given with --baseline");
        rows[nr++] = (row){baseline_id, baseline_id, true};
    }
    for (int i = 0; s == ET_OK && i < n; i++) {
        if (find_row(rows, nr, ids[i]) >= 0)
            continue;
        int64_t base = baseline_id;
        char reason[160] = "given with --baseline";
        if (!base)
            s = et_db_default_baseline(db, ids[i], &base, reason, sizeof reason, err);
        if (s != ET_OK)
            break;
        if (base && base != ids[i] && find_row(rows, nr, base) < 0) {
            snprintf(why[nr], sizeof why[nr], "%s", reason);
            rows[nr++] = (row){base, base, true};
        }
        if (!base)
            snprintf(why[nr], sizeof why[nr], "%s", reason);
        else if (base == ids[i])
            snprintf(why[nr], sizeof why[nr], "%s", reason);
        rows[nr++] = (row){ids[i], base, base == ids[i]};
    }
    for (int i = 0; s == ET_OK && i < nr; i++) {
        s = load(db, rows, res, loaded, i, err);
        if (s == ET_OK && rows[i].base_id) {
            int b = find_row(rows, nr, rows[i].base_id);
            s = b >= 0 ? load(db, rows, res, loaded, b, err) : ET_OK;
        }
    }
    if (s == ET_OK) {
        char title[256], desc[400];
        if (baseline_id)
            snprintf(title, sizeof title, "edgetune compare: %d run%s vs baseline run %lld", n, n == 1 ? "" : "s",
                     (long long)baseline_id);
        else
            snprintf(title, sizeof title, "edgetune compare: %d run%s, each vs its model's baseline", n,
                     n == 1 ? "" : "s");
        t = et_table_new(title);
        for (int c = 0; t && c < K_COUNT; c++)
            et_table_add_col(t, &cols[c]);
        for (int i = 0; t && i < nr; i++) {
            int b = rows[i].base_id ? find_row(rows, nr, rows[i].base_id) : -1;
            fill_row(t, &rows[i], &res[i], b >= 0 ? &res[b] : NULL);
            describe(&res[i], rows[i].id, desc, sizeof desc);
            if (rows[i].is_base && why[i][0])
                et_table_add_note(t, "baseline %s (%s)", desc, why[i]);
            else if (rows[i].is_base)
                et_table_add_note(t, "baseline %s", desc);
            else if (b < 0)
                et_table_add_note(t, "no baseline for run %lld: %s", (long long)rows[i].id, why[i]);
            if (res[i].status != ET_RUN_OK)
                et_table_add_note(t, "run %lld is %s: its numbers cover the %d iterations it completed",
                                  (long long)rows[i].id, et_run_status_name(res[i].status), res[i].iters);
        }
        if (t)
            et_table_add_note(t, "speed-up = baseline p50 / run p50; size ratio = baseline size / run size (deployed "
                                 "weights); memory ratio = baseline deployed memory / run deployed memory (peak "
                                 "resident memory of a process holding only the tuned plan); accuracy delta = run - "
                                 "baseline in percentage points; top-1 agreement is with the run's own model in fp32");
        else
            s = et_fail(err, ET_E_NOMEM, "out of memory comparing runs");
    }
    for (int i = 0; res && i < 2 * n + 1; i++)
        et_result_free(&res[i]);
    free(rows), free(res), free(loaded), free(why);
    if (s != ET_OK) {
        et_table_free(t);
        return s;
    }
    *out = t;
    return ET_OK;
}
