/* run_table.c: the `runs` listing as a table, and the short config and time texts the tables share. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/report.h"

char *et_db_config_short(const et_knobs *k, const char *exec, char *buf, size_t len) {
    char bits[32], prune[48] = "";
    if (et_knobs_is_fp32(k) || (k->weight_bits == 32 && k->act_bits == 32))
        snprintf(bits, sizeof bits, "fp32");
    else
        snprintf(bits, sizeof bits, "w%da%d", k->weight_bits, k->act_bits);
    if (k->prune_ratio > 0.0f) {
        if (k->prune_method == ET_PRUNE_NM)
            snprintf(prune, sizeof prune, " nm %d:%d", k->nm_n, k->nm_m);
        else
            snprintf(prune, sizeof prune, " prune %.0f%%%s%s", k->prune_ratio * 100.0,
                     k->prune_method == ET_PRUNE_UNSTRUCTURED ? "" : " ",
                     k->prune_method == ET_PRUNE_UNSTRUCTURED ? "" : et_prune_method_name(k->prune_method));
    }
    char rec[24] = ""; /* recovery, when on: "w4a32 rec full" */
    if (k->recover != ET_RECOVER_NONE && !et_knobs_is_fp32(k))
        snprintf(rec, sizeof rec, " rec %s", et_recover_name(k->recover));
    snprintf(buf, len, "%s%s%s%s, %d thr%s", bits, prune, rec, k->layers[0] ? " +layers" : "", k->threads,
             exec && strcmp(exec, "simulated") == 0 ? " (sim)" : "");
    return buf;
}

char *et_db_format_time(int64_t unix_ms, char *buf, size_t len) {
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "?");
    return buf;
}

enum {
    C_ID,
    C_UUID,
    C_STARTED,
    C_STARTED_MS,
    C_MODEL,
    C_HOST,
    C_CONFIG,
    C_ITERS,
    C_P50,
    C_P99,
    C_DEPLOYED,
    C_MEM,
    C_ENERGY,
    C_STATUS,
    C_BASE,
    C_LABEL,
    C_COUNT
};

// clang-format off
static const et_table_col runs_cols[C_COUNT] = {
    [C_ID] = {.key = "id", .header = "id", .kind = ET_COL_INT},
    [C_UUID] = {.key = "uuid", .header = "uuid", .kind = ET_COL_TEXT, .machine_only = true},
    [C_STARTED] = {.key = "started", .header = "started", .kind = ET_COL_TEXT},
    [C_STARTED_MS] = {.key = "started_unix_ms", .header = "started", .unit = "unix ms", .kind = ET_COL_INT,
                      .machine_only = true},
    [C_MODEL] = {.key = "model", .header = "model", .kind = ET_COL_TEXT},
    [C_HOST] = {.key = "host", .header = "host", .kind = ET_COL_TEXT},
    [C_CONFIG] = {.key = "config", .header = "config", .kind = ET_COL_TEXT},
    [C_ITERS] = {.key = "iterations", .header = "iters", .kind = ET_COL_INT},
    [C_P50] = {.key = "latency_p50_ms", .header = "p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 2,
               .better = ET_BETTER_LOWER},
    [C_P99] = {.key = "latency_p99_ms", .header = "p99", .unit = "ms", .kind = ET_COL_REAL, .decimals = 2,
               .better = ET_BETTER_LOWER},
    [C_DEPLOYED] = {.key = "deployed_mib", .header = "deployed mem", .unit = "MiB", .kind = ET_COL_REAL,
                    .decimals = 1, .better = ET_BETTER_LOWER},
    [C_MEM] = {.key = "peak_memory_mib", .header = "edgetune peak", .unit = "MiB", .kind = ET_COL_REAL,
               .decimals = 1, .better = ET_BETTER_LOWER, .machine_only = true},
    [C_ENERGY] = {.key = "energy_per_inf_mj", .header = "energy/inf", .unit = "mJ", .kind = ET_COL_REAL,
                  .decimals = 3, .better = ET_BETTER_LOWER},
    [C_STATUS] = {.key = "status", .header = "status", .kind = ET_COL_TEXT},
    [C_BASE] = {.key = "baseline", .header = "base", .kind = ET_COL_BOOL},
    [C_LABEL] = {.key = "label", .header = "label", .kind = ET_COL_TEXT},
};
// clang-format on

et_table *et_db_runs_table(const et_run_summary *runs, int n, const char *title) {
    et_table *t = et_table_new(title);
    if (!t)
        return NULL;
    for (int c = 0; c < C_COUNT; c++)
        et_table_add_col(t, &runs_cols[c]);
    char buf[160];
    for (int i = 0; i < n; i++) {
        const et_run_summary *s = &runs[i];
        int r = et_table_add_row(t);
        et_table_set_num(t, r, C_ID, (double)s->id);
        et_table_set_text(t, r, C_UUID, s->uuid);
        et_table_set_text(t, r, C_STARTED, et_db_format_time(s->started_unix_ms, buf, sizeof buf));
        et_table_set_num(t, r, C_STARTED_MS, (double)s->started_unix_ms);
        et_table_set_text(t, r, C_MODEL, s->model);
        et_table_set_text(t, r, C_HOST, s->hostname);
        et_db_config_short(&s->knobs, s->exec, buf, sizeof buf);
        if (s->trained[0]) { /* a training run: its result was trained, not only tuned */
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof buf - l, ", %s %d ep", s->trained, s->train_epochs);
        }
        et_table_set_text(t, r, C_CONFIG, buf);
        et_table_set_num(t, r, C_ITERS, s->iters);
        et_table_set_num(t, r, C_P50, s->p50_ms);
        et_table_set_num(t, r, C_P99, s->p99_ms);
        et_table_set_num(t, r, C_DEPLOYED, s->deployed_bytes / (1024.0 * 1024.0));
        et_table_set_num(t, r, C_MEM, s->peak_rss_bytes / (1024.0 * 1024.0));
        et_table_set_num(t, r, C_ENERGY, s->energy_per_inf_mj);
        et_table_set_text(t, r, C_STATUS, et_run_status_name(s->status));
        et_table_set_num(t, r, C_BASE, s->is_baseline ? 1 : 0);
        et_table_set_text(t, r, C_LABEL, s->label);
    }
    return t;
}
