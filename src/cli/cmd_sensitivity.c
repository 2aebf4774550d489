/* cmd_sensitivity.c: `edgetune sensitivity MODEL [KNOBS] [--candidates LIST]`: for each weight layer and each
 * candidate setting, the accuracy (or top-1 agreement) change when only that layer changes, and the time and bytes
 * it saves (bench/sensitivity.c does the work; this file parses, shows progress and prints the table). Ctrl-C
 * stops between points and prints what was measured. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/sensitivity.h"
#include "bench/sensitivity_store.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/cli_db.h"

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: edgetune sensitivity MODEL [KNOBS] [--candidates LIST] [--iters N] [--warmup N]\n"
            "                            [--fresh] [--no-save]\n"
            "                            [--format FMT | --json] [-o FILE] [--eval PATH] [--labels FILE]\n"
            "                            [--eval-limit N] [--calib PATH] [--input NAME=FILE.npy]...\n"
            "                            [--shape NAME=DIMS]...\n\n"
            "For each weight layer and each candidate setting, only that layer changes from the KNOBS (the base):\n"
            "the accuracy change in percentage points (with labels; else the change of top-1 agreement with fp32)\n"
            "on the evaluation set, the time the change saves per inference (the per-layer profile of bench\n"
            "--layers: the base's time minus the candidate's on every step the change moved, chosen by the two\n"
            "plans' facts, not times: steps only one has, such as added quantize/dequantize steps, and steps whose\n"
            "kernel, MACs, activation elements or packed weights differ, such as a channel-pruned layer's whole\n"
            "channel group and the steps reading its channels) and the bytes of weights it saves. A change that\n"
            "moves no step saves 0. Progress goes to stderr; Ctrl-C\n"
            "stops between points and prints what was measured (exit 1, as when a point failed: its error is in\n"
            "the table). The base is stored as a run labelled 'sensitivity <time>' and every point under it; a\n"
            "point an earlier analysis measured on the same model, host, knobs, evaluation set and --iters is\n"
            "taken from there instead of measured again (its run is named; --fresh measures everything).\n"
            "A candidate that only prunes channels, on a layer whose channels cannot shrink (a depthwise or the\n"
            "first layer, a channel group that reaches an output), changes nothing and is not measured: 'not\n"
            "applicable' in the table (not a failure).\n\n"
            "  --candidates LIST  ';'-separated per-layer settings, each a ','-separated key=value list of the\n"
            "                     --layer keys (bits, act-bits, prune, method, recover) (default '%s')\n"
            "  --iters N          timed iterations per point (default 20)\n"
            "  --warmup N         untimed iterations first (default 3)\n"
            "  --format FMT       table (default), md, csv, json, latex or html; --json is --format json\n"
            "  -o FILE            write the table to FILE (replaced atomically)\n"
            "  --fresh            measure every point, even those stored by an earlier analysis\n"
            "  --no-save          store nothing (and reuse nothing) in the run database\n"
            "\n",
            ET_SENS_DEFAULT_CANDIDATES);
    fputs(et_tensor_help, out);
    fputs(et_data_help, out);
    fputs(et_knob_help, out);
}

static void progress(void *ctx, int done, int total, const et_sens_point *p) {
    (void)ctx;
    if (!p) {
        fprintf(stderr, "sensitivity: base measured; %d points to go\n", total);
        return;
    }
    if (p->measured && p->from_run > 0)
        fprintf(stderr, "sensitivity: %d/%d %s %s: %+.2f pp, saves %.4f ms, %.1f KiB (stored: run %lld)\n", done, total,
                p->layer, p->candidate, p->quality_delta_pp, p->time_saved_ms, (double)p->bytes_saved / 1024.0,
                (long long)p->from_run);
    else if (p->measured)
        fprintf(stderr, "sensitivity: %d/%d %s %s: %+.2f pp, saves %.4f ms, %.1f KiB\n", done, total, p->layer,
                p->candidate, p->quality_delta_pp, p->time_saved_ms, (double)p->bytes_saved / 1024.0);
    else
        fprintf(stderr, "sensitivity: %d/%d %s %s: %s%s\n", done, total, p->layer, p->candidate,
                p->not_applicable ? "" : "failed: ", p->error);
}

// clang-format off
static const et_table_col COLS[] = {
    {.key = "layer", .header = "layer", .kind = ET_COL_TEXT},
    {.key = "candidate", .header = "candidate", .kind = ET_COL_TEXT},
    {.key = "quality_change_pp",
     .header = "change",
     .unit = "pp",
     .kind = ET_COL_DELTA,
     .decimals = 2,
     .better = ET_BETTER_HIGHER},
    {.key = "layer_ms", .header = "layer time", .unit = "ms", .kind = ET_COL_REAL, .decimals = 4},
    {.key = "time_saved_ms",
     .header = "time saved",
     .unit = "ms",
     .kind = ET_COL_REAL,
     .decimals = 4,
     .better = ET_BETTER_HIGHER},
    {.key = "bytes_saved_kib",
     .header = "bytes saved",
     .unit = "KiB",
     .kind = ET_COL_REAL,
     .decimals = 1,
     .better = ET_BETTER_HIGHER},
    {.key = "latency_p50_ms", .header = "model p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 3},
    {.key = "exec", .header = "exec", .kind = ET_COL_TEXT},
    {.key = "measured_in_run", .header = "from run", .kind = ET_COL_INT},
    {.key = "error", .header = "error", .kind = ET_COL_TEXT, .machine_only = true},
};
// clang-format on
enum { C_LAYER, C_CAND, C_CHANGE, C_LAYER_MS, C_SAVED_MS, C_SAVED_KIB, C_P50, C_EXEC, C_FROM, C_ERROR };

static et_table *build_table(const char *model, const et_knobs *k, const et_sens_base *b, const et_sens_point *pts,
                             int n, int total, const et_sens_store *store) {
    char title[512], desc[256];
    snprintf(title, sizeof title, "sensitivity of %s", model);
    et_table *t = et_table_new(title);
    if (!t)
        return NULL;
    for (size_t c = 0; c < sizeof COLS / sizeof COLS[0]; c++)
        et_table_add_col(t, &COLS[c]);
    for (int i = 0; i < n; i++) {
        const et_sens_point *p = &pts[i];
        int row = et_table_add_row(t);
        et_table_set_text(t, row, C_LAYER, p->layer);
        et_table_set_text(t, row, C_CAND, p->candidate);
        et_table_set_num(t, row, C_LAYER_MS, p->layer_ms);
        if (!p->measured) {
            et_table_set_text(t, row, C_EXEC, p->not_applicable ? "n/a" : "failed");
            et_table_set_text(t, row, C_ERROR, p->error);
            et_table_add_note(t, "%s %s: %s", p->layer, p->candidate, p->error);
            continue;
        }
        et_table_set_num(t, row, C_CHANGE, p->quality_delta_pp);
        et_table_set_num(t, row, C_SAVED_MS, p->time_saved_ms);
        et_table_set_num(t, row, C_SAVED_KIB, (double)p->bytes_saved / 1024.0);
        et_table_set_num(t, row, C_P50, p->p50_ms);
        et_table_set_text(t, row, C_EXEC, p->exec);
        if (p->from_run > 0)
            et_table_set_num(t, row, C_FROM, (double)p->from_run);
    }
    et_table_add_note(t, "base: %s; %s %.2f %%, p50 %.3f ms, weights %.1f KiB as stored",
                      et_knobs_describe(k, desc, sizeof desc),
                      b->is_accuracy ? "accuracy" : "top-1 agreement with fp32", 100.0 * b->quality, b->p50_ms,
                      (double)b->weights_bytes / 1024.0);
    et_table_add_note(t,
                      "change: %s with only that layer changed minus the base's, in percentage points, on %d inputs "
                      "from %s (one input is %.3f pp: smaller changes cannot be resolved)",
                      b->is_accuracy ? "accuracy" : "top-1 agreement with fp32", b->n_eval, b->eval_source,
                      b->n_eval > 0 ? 100.0 / b->n_eval : NAN);
    et_table_add_note(
        t, "layer time: the layer's step in the base (per inference on this machine: the median of "
           "--iters iterations, each timed alone); time saved: "
           "the base's time minus the candidate's on every step the change moved (steps only one "
           "plan has, such as quantize/dequantize; steps whose kernel, MACs, activation elements or "
           "packed weights differ, such as a pruned layer's channel group and readers; chosen by "
           "those facts, not by time; the base and the candidate timed alternately, 4 rounds each, "
           "the candidate's times at the base's speed, told by the steps it did not move; a round in which the "
           "base ran over 1.2x its fastest time in the analysis, both sides scaled back to that speed); "
           "model p50: the whole model with the candidate");
    et_table_add_note(t, "bytes saved: the base's weights as stored minus the candidate's; a candidate that changes "
                         "nothing in the plan (e.g. bits=8 on a w8 base) saves 0");
    if (k->act_bits == 8 && !k->force_int8)
        et_table_add_note(t, "act-bits 8: the speed guard decides every layer's precision for each point anew; "
                             "--force-int8 keeps the other layers as in the base");
    if (k->recover != ET_RECOVER_NONE && et_sens_config_default().recover_from_base)
        et_table_add_note(t, "recovery: each point from the base's (EDGETUNE_SENS_RECOVER=base): only the layers whose "
                             "solve changed solved again, on the base's statistics; the layers after the changed one "
                             "keep the base's weights (an approximation: a full recovery refits them)");
    if (n < total)
        et_table_add_note(t, "stopped: %d of %d points measured", n, total);
    if (store->n_reused > 0)
        et_table_add_note(t,
                          "%d of %d points taken from run %lld (an earlier analysis of the same model, host, knobs, "
                          "evaluation set and --iters; 'from run'); --fresh measures them again",
                          store->n_reused, n, (long long)store->known_run);
    if (store->base_run > 0 && !store->error[0])
        et_table_add_note(t, "stored: the base as run %lld (label '%s') with its points, in %s",
                          (long long)store->base_run, store->label, et_db_path(store->db));
    else if (store->error[0])
        et_table_add_note(t, "not stored: %s", store->error);
    return t;
}

int et_cmd_sensitivity(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    et_args a = et_args_start("sensitivity", argc, argv);
    et_tensor_args targs = {0};
    et_knobs knobs = et_knobs_default();
    et_data_args data = {0};
    const char *model = NULL, *out = NULL, *cands = ET_SENS_DEFAULT_CANDIDATES, *v;
    et_table_format fmt = ET_TABLE_TEXT;
    et_sens_config cfg = et_sens_config_default();
    long iters = cfg.iters, warmup = cfg.warmup;
    bool save = true, fresh = false;
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, &targs)) != 0 || (r = et_args_knob_flag(&a, &knobs)) != 0 ||
            (r = et_args_data_flag(&a, &data)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_value(&a, "--candidates", &cands) || et_args_value(&a, "-o", &out)) {
        } else if (et_args_value(&a, "--iters", &v)) {
            if (!et_cli_parse_long("sensitivity", "--iters", v, 1, 100000, &iters))
                return 2;
        } else if (et_args_value(&a, "--warmup", &v)) {
            if (!et_cli_parse_long("sensitivity", "--warmup", v, 0, 100000, &warmup))
                return 2;
        } else if (et_args_value(&a, "--format", &v)) {
            if (et_cli_table_format("sensitivity", v, &fmt) != 0)
                return 2;
        } else if (et_args_flag(&a, "--json")) {
            fmt = ET_TABLE_JSON;
        } else if (et_args_flag(&a, "--no-save")) {
            save = false;
        } else if (et_args_flag(&a, "--fresh")) {
            fresh = true;
        } else if (!et_args_positional(&a, &model)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!model)
        return et_cli_usage_error("sensitivity", "give the model file");
    char cand[ET_SENS_MAX_CANDIDATES][ET_SENS_CAND_BYTES];
    int n_cand = 0;
    et_err err = {0};
    if (et_sens_parse_candidates(cands, cand, &n_cand, &err) != ET_OK)
        return et_cli_usage_error("sensitivity", "%s", err.msg);
    et_session_input_file files[ET_MAX_CLI_TENSORS];
    et_session_options so = {.model_path = model, .profile_layers = true};
    et_args_session(&targs, &data, files, &so);
    et_db *db = NULL;
    if (save && et_db_open(cli->db_path, ET_DB_WRITE, &db, &err) != ET_OK)
        return et_cli_report(&err);
    et_session *s = NULL;
    if (et_session_open(&so, &s, &err) != ET_OK) {
        et_db_close(db);
        return et_cli_report(&err);
    }
    et_cli_note(et_session_notes(s));
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    et_session_set_progress(s, NULL, NULL, (const volatile int *)&stop_requested);
    cfg.iters = (int)iters;
    cfg.warmup = (int)warmup;
    cfg.cancel = (const volatile int *)&stop_requested;
    cfg.progress = progress;
    char label[64];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(label, sizeof label, "sensitivity %Y%m%dT%H%M%S", gmtime_r(&now, &tmv));
    et_sens_store store;
    et_sens_store_attach(&store, db, !fresh, label, &cfg);
    et_sens_base base;
    et_sens_point *pts = NULL;
    int n = 0;
    et_status st = et_sensitivity_run(s, &knobs, cand, n_cand, &cfg, &base, &pts, &n, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    et_sens_store_finish(&store, pts, n, NULL); /* a problem shows in the table's notes; the table still prints */
    int rc = 0;
    if (st != ET_OK && st != ET_E_CANCELLED) {
        rc = et_cli_report(&err);
    } else {
        if (st == ET_E_CANCELLED)
            fprintf(stderr, "edgetune: %s\n", err.msg);
        et_table *t = base.measured ? build_table(model, &knobs, &base, pts, n, base.n_points, &store) : NULL;
        rc = t ? et_cli_write_table(t, fmt, out) : 0;
        et_table_free(t);
        for (int i = 0; i < n && rc == 0; i++)
            rc = pts[i].measured || pts[i].not_applicable ? 0 : 1; /* like sweep: a point that failed is a failure
                                                                       (its error is in the table) */
        rc = rc ? rc : st == ET_E_CANCELLED ? 1 : 0;
    }
    free(pts);
    et_sens_store_free(&store);
    et_session_free(s);
    et_db_close(db);
    return rc;
}
