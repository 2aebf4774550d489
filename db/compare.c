/* compare.c: the comparison table: each run against a baseline, with absolute values, ratios and deltas.
 *
 * Baselines. With --baseline RUN every row is compared with that run (this is how runs of different models
 * compare: "ResNet-50 fp32 -> MobileNetV3 w8a8 prune 30%: 9.5x smaller, 6.1x faster, accuracy -1.2 pp"). Without
 * it each run meets its own default baseline, by the one rule of baseline.c (et_db_default_baseline). A run with
 * no baseline keeps its absolute values; its ratio cells are missing and a note says why.
 *
 * Columns. The metrics, their values, units, directions and the comparisons against the baseline all come from
 * the metric table (src/record/metrics.h) that the workbench's comparison panel reads too: speed-up = baseline
 * p50 / run p50, memory ratio = baseline deployed memory / run deployed memory, size ratio = baseline size / run
 * size (above 1 is better; the human formats say "2.10x faster" / "1.30x slower"), accuracy delta = run -
 * baseline in percentage points. Metrics that are not headline metrics (p90, throughput, edgetune's own peak,
 * arena, power, IPC, cycles, top-5) are in the machine formats only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "record/layer_knobs.h"
#include "db/report.h"
#include "db/report_svg.h"
#include "db/significance.h"
#include "record/metrics.h"

enum { K_RUN, K_UUID, K_BASE, K_VS, K_LABEL, K_MODEL, K_HOST, K_CONFIG, K_LEAD };

static const et_table_col lead_cols[K_LEAD] = {
    [K_RUN] = {.key = "run", .header = "run", .kind = ET_COL_INT},
    [K_UUID] = {.key = "uuid", .header = "uuid", .kind = ET_COL_TEXT, .machine_only = true},
    [K_BASE] = {.key = "baseline", .header = "base", .kind = ET_COL_BOOL},
    [K_VS] = {.key = "vs", .header = "vs", .kind = ET_COL_INT},
    [K_LABEL] = {.key = "label", .header = "label", .kind = ET_COL_TEXT},
    [K_MODEL] = {.key = "model", .header = "model", .kind = ET_COL_TEXT},
    [K_HOST] = {.key = "host", .header = "host", .kind = ET_COL_TEXT},
    [K_CONFIG] = {.key = "config", .header = "config", .kind = ET_COL_TEXT},
};

/* Where each metric's columns are: its value, its comparison with the baseline (-1: none), and the first of the
 * four machine columns of that comparison's test (p, interval low and high, verdict; -1: not tested). */
typedef struct metric_cols {
    int value[ET_METRIC_COUNT], vs[ET_METRIC_COUNT], sig[ET_METRIC_COUNT];
    int pairs[ET_METRIC_COUNT]; /* a paired test's two discordant counts (lost, won); -1: not paired */
} metric_cols;

enum { SIG_P, SIG_LO, SIG_HI, SIG_VERDICT, SIG_COLS };

/* The machine columns of a tested comparison: <vs_key>_p, _ci_low, _ci_high (95 %, in the comparison's unit),
 * _verdict (same, small, better, worse, n/a). */
static void add_sig_columns(et_table *t, const et_metric *d, bool points) {
    static const char *const suffix[SIG_COLS] = {"_p", "_ci_low", "_ci_high", "_verdict"};
    static const char *const words[SIG_COLS] = {" p", " 95% low", " 95% high", " verdict"};
    for (int i = 0; i < SIG_COLS; i++) {
        char key[64], header[64];
        snprintf(key, sizeof key, "%s%s", d->vs_key, suffix[i]);
        snprintf(header, sizeof header, "%s%s", d->vs_header, words[i]);
        et_table_add_col(t, &(et_table_col){.key = key,
                                            .header = header,
                                            .unit = i == SIG_LO || i == SIG_HI ? (points ? "pp" : "x") : "",
                                            .kind = i == SIG_VERDICT ? ET_COL_TEXT : ET_COL_REAL,
                                            .decimals = 4,
                                            .machine_only = true});
    }
}

/* The machine columns of a paired test (McNemar): <vs_key>_lost, the inputs the baseline got right and the run
 * wrong, and _won, the other way round: the test's p comes from these two counts alone. */
static void add_pair_columns(et_table *t, const et_metric *d) {
    static const char *const suffix[2] = {"_lost", "_won"};
    static const char *const words[2] = {" lost (inputs)", " won (inputs)"};
    for (int i = 0; i < 2; i++) {
        char key[64], header[64];
        snprintf(key, sizeof key, "%s%s", d->vs_key, suffix[i]);
        snprintf(header, sizeof header, "%s%s", d->vs_header, words[i]);
        et_table_add_col(t, &(et_table_col){.key = key, .header = header, .kind = ET_COL_INT, .machine_only = true});
    }
}

/* The columns: the lead ones, then each metric of src/record/metrics.h in its order, followed by its comparison
 * with the baseline where it has one. Metrics that are not headline metrics are in machine formats only. */
static void add_columns(et_table *t, metric_cols *mc) {
    for (int c = 0; c < K_LEAD; c++)
        et_table_add_col(t, &lead_cols[c]);
    int n = K_LEAD;
    for (int m = 0; m < ET_METRIC_COUNT; m++) {
        const et_metric *d = &et_metrics[m];
        et_better better = d->better == ET_METRIC_LOWER_IS_BETTER    ? ET_BETTER_LOWER
                           : d->better == ET_METRIC_HIGHER_IS_BETTER ? ET_BETTER_HIGHER
                                                                     : ET_BETTER_NONE;
        et_table_add_col(t, &(et_table_col){.key = d->key,
                                            .header = d->header,
                                            .unit = d->col_unit,
                                            .kind = ET_COL_REAL,
                                            .decimals = d->col_decimals,
                                            .better = better,
                                            .machine_only = !d->headline});
        mc->value[m] = n++;
        mc->vs[m] = mc->sig[m] = mc->pairs[m] = -1;
        if (!d->vs_key)
            continue;
        bool points = d->change == ET_CHANGE_POINTS;
        et_table_add_col(t, &(et_table_col){.key = d->vs_key,
                                            .header = d->vs_header,
                                            .unit = points ? "pp" : "x",
                                            .kind = points ? ET_COL_DELTA : ET_COL_RATIO,
                                            .decimals = 2,
                                            .better = ET_BETTER_HIGHER,
                                            .up_word = d->up_word,
                                            .down_word = d->down_word,
                                            .machine_only = !d->headline});
        mc->vs[m] = n++;
        if (d->test == ET_TEST_NONE)
            continue;
        add_sig_columns(t, d, points);
        mc->sig[m] = n;
        n += SIG_COLS;
        mc->pairs[m] = -1;
        if (d->test == ET_TEST_PAIRED_CORRECTNESS) {
            add_pair_columns(t, d);
            mc->pairs[m] = n;
            n += 2;
        }
    }
}

typedef struct row {
    int64_t id, base_id; /* base_id 0: none */
    bool is_base;
    const char *why; /* how the baseline was chosen (static text); NULL on a run that meets another's */
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

/* The comparison cell of tested metric m of r against b, with its test's columns; a comparison that cannot be
 * tested keeps its plain number, and a note says why. */
static void fill_tested(et_table *t, const metric_cols *mc, int k, et_metric_id m, double change, const row *rw,
                        const et_result *r, const et_result *b, const et_ab_options *o) {
    const et_metric *d = &et_metrics[m];
    bool points = d->change == ET_CHANGE_POINTS;
    et_ab ab;
    et_db_significance(b, r, m, o, &ab);
    et_table_set_text(t, k, mc->sig[m] + SIG_VERDICT, et_ab_verdict_name(ab.verdict));
    if (ab.verdict == ET_AB_NA) {
        et_table_set_num(t, k, mc->vs[m], change);
        et_table_add_note(t, "run %lld, %s against run %lld not tested: %s", (long long)rw->id, d->vs_header,
                          (long long)rw->base_id, ab.why);
        return;
    }
    char said[160];
    et_ab shown = ab;
    shown.estimate = change; /* the column's own number (p50 ratio); the verdict is the test's */
    et_ab_say(&shown, o, points, d->up_word, d->down_word, said, sizeof said);
    et_table_set_num_said(t, k, mc->vs[m], change, said);
    et_table_set_num(t, k, mc->sig[m] + SIG_P, ab.p);
    et_table_set_num(t, k, mc->sig[m] + SIG_LO, ab.ci_lo);
    et_table_set_num(t, k, mc->sig[m] + SIG_HI, ab.ci_hi);
    if (mc->pairs[m] >= 0) {
        et_table_set_num(t, k, mc->pairs[m], ab.lost);
        et_table_set_num(t, k, mc->pairs[m] + 1, ab.won);
    }
}

static void fill_row(et_table *t, const metric_cols *mc, const row *rw, const et_result *r, const et_result *b,
                     const et_ab_options *o) {
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
    for (int m = 0; m < ET_METRIC_COUNT; m++) {
        double v = et_metric_value(r, (et_metric_id)m);
        et_table_set_num(t, k, mc->value[m], v * et_metrics[m].col_scale);
        if (!b || mc->vs[m] < 0)
            continue;
        double bv = et_metric_value(b, (et_metric_id)m);
        double change = et_metrics[m].change == ET_CHANGE_POINTS ? et_metric_points(bv, v)
                                                                 : et_metric_ratio((et_metric_id)m, bv, v);
        if (mc->sig[m] >= 0 && !rw->is_base && !isnan(change))
            fill_tested(t, mc, k, (et_metric_id)m, change, rw, r, b, o);
        else
            et_table_set_num(t, k, mc->vs[m], change);
    }
}

/* The rows: the given baseline (or each run's default baseline, once, before the first run that meets it), then
 * each run once in the order given. rows has room for 2 * n + 1; *nr gets the count. */
static et_status choose_rows(et_db *db, const int64_t *ids, int n, int64_t baseline_id, row *rows, int *nr,
                             et_err *err) {
    static const char given[] = "given with --baseline";
    int k = 0;
    if (baseline_id)
        rows[k++] = (row){baseline_id, baseline_id, true, given};
    for (int i = 0; i < n; i++) {
        if (find_row(rows, k, ids[i]) >= 0)
            continue;
        int64_t base = baseline_id;
        et_baseline_kind kind = ET_BASELINE_NONE;
        if (!base) {
            et_status s = et_db_default_baseline(db, ids[i], &base, &kind, err);
            if (s != ET_OK)
                return s;
        }
        const char *why = baseline_id ? given : et_db_baseline_why(kind);
        if (base && base != ids[i] && find_row(rows, k, base) < 0)
            rows[k++] = (row){base, base, true, why};
        rows[k++] = (row){ids[i], base, base == ids[i], !base || base == ids[i] ? why : NULL};
    }
    *nr = k;
    return ET_OK;
}

/* Loads every row's run into res[i] (once each). */
static et_status load_rows(et_db *db, const row *rows, int nr, et_result *res, et_err *err) {
    for (int i = 0; i < nr; i++) {
        et_status s = et_db_load_run(db, rows[i].id, ET_DB_LOAD_ALL, &res[i], err); /* samples: for the tests */
        if (s != ET_OK)
            return s;
    }
    return ET_OK;
}

/* The table of the loaded rows, with a note per baseline, per run without one and per unfinished run. NULL when
 * out of memory. */
static et_table *build_table(const row *rows, int nr, const et_result *res, int n, int64_t baseline_id,
                             const et_ab_options *o) {
    char title[256], desc[400];
    if (baseline_id)
        snprintf(title, sizeof title, "edgetune compare: %d run%s vs baseline run %lld", n, n == 1 ? "" : "s",
                 (long long)baseline_id);
    else
        snprintf(title, sizeof title, "edgetune compare: %d run%s, each vs its model's baseline", n, n == 1 ? "" : "s");
    et_table *t = et_table_new(title);
    if (!t)
        return NULL;
    metric_cols mc;
    add_columns(t, &mc);
    for (int i = 0; i < nr; i++) {
        int b = rows[i].base_id ? find_row(rows, nr, rows[i].base_id) : -1;
        fill_row(t, &mc, &rows[i], &res[i], b >= 0 ? &res[b] : NULL, o);
        describe(&res[i], rows[i].id, desc, sizeof desc);
        if (rows[i].is_base)
            et_table_add_note(t, "baseline %s (%s)", desc, rows[i].why);
        else if (b < 0)
            et_table_add_note(t, "no baseline for run %lld: %s", (long long)rows[i].id, rows[i].why);
        if (et_knobs_has_layers(&res[i].knobs)) {
            char lay[1024];
            et_table_add_note(t, "run %lld has per-layer overrides (vs its model-wide knobs): %s",
                              (long long)rows[i].id, et_knobs_layers_describe(&res[i].knobs, lay, sizeof lay));
        }
        if (res[i].status != ET_RUN_OK)
            et_table_add_note(t, "run %lld is %s: its numbers cover the %d iterations it completed",
                              (long long)rows[i].id, et_run_status_name(res[i].status), res[i].iters);
    }
    et_table_add_note(t, "speed-up = baseline p50 / run p50; memory ratio = baseline deployed memory / run deployed "
                         "memory (peak resident memory of a process holding only the tuned plan); size ratio = "
                         "baseline size / run size (size: the weights as stored at the run's bit-width, or the model "
                         "file for an fp32 run that did not record them); accuracy delta = run - baseline in "
                         "percentage points; top-1 agreement is with the run's own model in fp32");
    char interval[96] = "in csv and json";
    if (o->resamples > 0)
        snprintf(interval, sizeof interval, "%d resamples, seed 0x%llX", o->resamples, (unsigned long long)o->seed);
    et_table_add_note(
        t,
        "significance: speed-up by a Mann-Whitney U test on the medians of blocks of %d consecutive "
        "iterations (at least %d, at most %d blocks a run), its 95 %% interval by a bootstrap of the "
        "ratio of block medians (%s), its estimate the Hodges-Lehmann ratio; "
        "energy ratio by the same test on energy per inference in each interval of the power timelines; "
        "accuracy by McNemar's test on per-input correctness of the same evaluation set. A change "
        "is called only when p < %.2f and, for speed-up and energy, it is at least %.1f %% (--min-effect); "
        "\"= same\" means the two runs' measurements cannot tell them apart, not that they are "
        "equal. Drift between runs on a busy or throttling machine is not in the test: repeat runs",
        o->block_iters, o->min_blocks, o->max_blocks, interval, o->alpha, o->min_effect * 100.0);
    return t;
}

et_status et_db_compare(et_db *db, const int64_t *ids, int n, int64_t baseline_id, et_table **out, et_err *err) {
    et_ab_options o = et_ab_defaults();
    return et_db_compare_ex(db, ids, n, baseline_id, &o, false, out, err);
}

/* The report's pictures of the loaded rows, attached to t for the html writer. */
static void attach_figures(et_table *t, const row *rows, int nr, const et_result *res) {
    et_report_run *runs = calloc((size_t)(nr ? nr : 1), sizeof *runs);
    char(*names)[128] = calloc((size_t)(nr ? nr : 1), sizeof *names);
    for (int i = 0; runs && names && i < nr; i++) {
        char cfg[96];
        snprintf(names[i], sizeof names[i], "run %lld %s", (long long)rows[i].id,
                 et_db_config_short(&res[i].knobs, res[i].engine.exec, cfg, sizeof cfg));
        runs[i] = (et_report_run){.r = &res[i], .name = names[i], .is_baseline = rows[i].is_base};
    }
    char *html = runs && names ? et_report_svg_figures(runs, nr) : NULL;
    if (html)
        et_table_set_html_figures(t, html);
    else
        et_table_add_note(t, "the pictures could not be drawn (out of memory)");
    free(html), free(runs), free(names);
}

et_status et_db_compare_ex(et_db *db, const int64_t *ids, int n, int64_t baseline_id, const et_ab_options *o,
                           bool html_figures, et_table **out, et_err *err) {
    *out = NULL;
    /* at most one baseline row per run, plus the runs */
    row *rows = calloc((size_t)(2 * n + 1), sizeof *rows);
    et_result *res = calloc((size_t)(2 * n + 1), sizeof *res);
    int nr = 0;
    et_status s = rows && res ? ET_OK : et_fail(err, ET_E_NOMEM, "out of memory comparing runs");
    for (int i = 0; s == ET_OK && i < 2 * n + 1; i++)
        et_result_init(&res[i]);
    if (s == ET_OK)
        s = choose_rows(db, ids, n, baseline_id, rows, &nr, err);
    if (s == ET_OK)
        s = load_rows(db, rows, nr, res, err);
    et_table *t = s == ET_OK ? build_table(rows, nr, res, n, baseline_id, o) : NULL;
    if (s == ET_OK && !t)
        s = et_fail(err, ET_E_NOMEM, "out of memory comparing runs");
    if (s == ET_OK && html_figures)
        attach_figures(t, rows, nr, res);
    for (int i = 0; res && i < 2 * n + 1; i++)
        et_result_free(&res[i]);
    free(rows), free(res);
    if (s == ET_OK)
        *out = t;
    return s;
}
