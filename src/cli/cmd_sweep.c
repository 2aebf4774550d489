/* cmd_sweep.c: `edgetune sweep MODEL --bits LIST --prune LIST [--prune-method LIST] [--act-bits LIST] ...`: every
 * point of the grid measured like `bench` (fp32 baseline first), one table with size, latency p50, speed-up
 * against the measured fp32 baseline, fidelity, and the Pareto-optimal rows marked; each point is saved as a run
 * unless --no-save.
 *
 * Rounds (--rounds N, default 20) measure the whole grid N times, row by row, each row --iters iterations (after
 * --warmup) per round: this VM runs the same work at two speeds for seconds at a time, and short rounds make such a
 * spell cover every row of the rounds it spans (or show as one round's spread) instead of one row's whole
 * measurement. Each row's speed-up against fp32 is the paired rule of src/stats/ab.h (et_ab_paired) on the
 * rounds' medians; its stored run holds the samples and power timelines of all rounds (laid end to end).
 * Fidelity is measured once per point (it does not depend on timing), in round 1, with deployed memory and the
 * counters. The grid and the Pareto front are tune/sweep.c; this file parses, runs the session and prints. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/deploy_memory.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/cli_db.h"
#include "db/report_svg.h"
#include "db/significance.h"
#include "record/metrics.h"
#include "stats/ab.h"
#include "stats/pareto.h"
#include "stats/stats.h"
#include "tune/sweep.h"

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: edgetune sweep MODEL --bits LIST [--act-bits LIST] [--prune LIST] [--prune-method LIST]\n"
            "                      [--recover LIST] [KNOBS] [--rounds N] [--iters N] [--warmup N]\n"
            "                      [--min-effect PCT] [--format FMT] [-o FILE] [--no-save] [--label TEXT]\n"
            "                      [--eval PATH] [--labels FILE] [--eval-limit N] [--calib PATH] [--profilers]\n"
            "                      [--progress]\n\n"
            "Measures every combination of the lists (plus the fp32 baseline, first) like 'edgetune bench' and\n"
            "prints one table: deployed memory (what the tuned model needs on edgetune's engine), stored weight\n"
            "size, latency p50, speed-up against the measured fp32 baseline, fidelity against fp32 (top-1\n"
            "agreement, cosine, SQNR; accuracy with labels) and the Pareto-optimal\n"
            "rows (pareto: no other row is both faster and at least as faithful; pareto_size: the same for size).\n"
            "Every speed-up is measured, never computed from MACs. Each point is saved as a run unless --no-save.\n"
            "The rows are measured in rounds, row by row (a round: each row --iters iterations after --warmup), so\n"
            "a slow spell of the machine hits every row of a round. Speed-up is the median per-round ratio fp32 p50 /\n"
            "row p50 (Hodges-Lehmann), with a Wilcoxon signed-rank test over the rounds: \"1.21x faster, p <0.001\",\n"
            "\"= same, p 0.41\"; p is the chance of per-round ratios this one-sided if both rows ran at one speed (at\n"
            "least 6 rounds are needed for p < 0.05). Accuracy by McNemar's test as in 'edgetune compare --help'\n"
            "(compare's two-run rule is for separate runs); csv and json carry p, interval and verdict.\n\n"
            "  --bits LIST          weight bits, e.g. 32,8,4 (default: the --bits knob)\n"
            "  --act-bits LIST      activation bits, e.g. 32,8 (8 needs integer weights; others are skipped)\n"
            "  --prune LIST         pruning ratios, e.g. 0,0.5,0.9\n"
            "  --prune-method LIST  unstructured, global, nm, channel (nm uses --nm and ignores the ratio)\n"
            "  --recover LIST       recovery modes, e.g. none,full (each compressed point once per mode)\n"
            "  --rounds N           rounds: the grid measured N times row by row, all rounds kept (default 20)\n"
            "  --iters N            timed iterations per point and round (default 5)\n"
            "  --warmup N           untimed iterations per point and round, first (default 2)\n"
            "  --min-effect PCT     smallest significant speed-up or energy change called a win (default 3 %%)\n"
            "  --format FMT         table (default), md, csv, json, latex or html (with inline SVG pictures, as\n"
            "                       for compare); --json is --format json\n"
            "  -o FILE              write the table to FILE (replaced atomically)\n"
            "  --no-save            do not store the runs\n"
            "  --label TEXT         label of the stored runs (default 'sweep')\n"
            "  --profilers          also read counters, power, memory and thermal (off: latency and fidelity)\n"
            "  --progress           progress (recovery's, each row's rounds) on stderr even when it is not a terminal\n"
            "\n");
    fputs(et_tensor_help, out);
    fputs(et_data_help, out);
    fputs(et_knob_help, out);
}

/* "fp32", "w8", "w8a8", "w4 + 50% channel", "fp32 + 2:4", "w4, recover full" */
static void point_name(const et_knobs *k, char *buf, size_t len) {
    char q[32], p[96] = "";
    if (k->weight_bits == 32 && k->act_bits == 32)
        snprintf(q, sizeof q, "fp32");
    else if (k->act_bits == 8)
        snprintf(q, sizeof q, "w%da8", k->weight_bits);
    else
        snprintf(q, sizeof q, "w%d", k->weight_bits);
    if (k->prune_ratio > 0.0f) {
        if (k->prune_method == ET_PRUNE_NM)
            snprintf(p, sizeof p, " + %d:%d", k->nm_n, k->nm_m);
        else
            snprintf(p, sizeof p, " + %.0f%% %s", k->prune_ratio * 100.0, et_prune_method_name(k->prune_method));
    }
    if (k->recover != ET_RECOVER_NONE) {
        size_t used = strlen(p);
        snprintf(p + used, sizeof p - used, ", recover %s", et_recover_name(k->recover));
    }
    snprintf(buf, len, "%s%s%s", q, p, k->layers[0] ? " +layers" : ""); /* per-layer overrides */
}

enum { MAX_ROUNDS = 100 };

/* How each point is measured: --iters, --warmup, --rounds, --profilers; --progress shows recovery's progress. */
typedef struct sweep_plan {
    long iters, warmup, rounds;
    bool profilers, show_progress;
} sweep_plan;

typedef struct point {
    et_knobs k;
    et_result r; /* round 1's result with every round's latency samples and power timeline appended */
    bool measured;
    double round_ms[MAX_ROUNDS]; /* per round: median of its iterations (NaN: not measured) */
    char error[256];
} point;

// clang-format off
static const et_table_col COLS[] = {
    {.key = "config", .header = "config", .kind = ET_COL_TEXT},
    {.key = "exec", .header = "exec", .kind = ET_COL_TEXT},
    {.key = "deployed_mib", .header = "deployed mem", .unit = "MiB", .kind = ET_COL_REAL, .decimals = 1,
     .better = ET_BETTER_LOWER},
    {.key = "size_mib", .header = "size", .unit = "MiB", .kind = ET_COL_REAL, .decimals = 2, .better = ET_BETTER_LOWER},
    {.key = "latency_p50_ms", .header = "p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 3,
     .better = ET_BETTER_LOWER},
    {.key = "speedup", .header = "speed-up", .unit = "x", .kind = ET_COL_RATIO, .decimals = 2,
     .better = ET_BETTER_HIGHER, .up_word = "faster", .down_word = "slower"},
    {.key = "top1_agreement_pct", .header = "top-1", .unit = "%", .kind = ET_COL_REAL, .decimals = 1,
     .better = ET_BETTER_HIGHER},
    {.key = "cosine", .header = "cosine", .kind = ET_COL_REAL, .decimals = 4, .better = ET_BETTER_HIGHER},
    {.key = "sqnr_db", .header = "SQNR", .unit = "dB", .kind = ET_COL_REAL, .decimals = 1, .better = ET_BETTER_HIGHER},
    {.key = "accuracy_pct", .header = "accuracy", .unit = "%", .kind = ET_COL_REAL, .decimals = 2,
     .better = ET_BETTER_HIGHER},
    {.key = "energy_per_inf_mj", .header = "energy/inf", .unit = "mJ", .kind = ET_COL_REAL, .decimals = 3,
     .better = ET_BETTER_LOWER},
    {.key = "pareto", .header = "pareto", .kind = ET_COL_BOOL},
    {.key = "pareto_size", .header = "pareto size", .kind = ET_COL_BOOL},
    {.key = "run_id", .header = "run", .kind = ET_COL_INT, .machine_only = true},
    {.key = "notes", .header = "notes", .kind = ET_COL_TEXT, .machine_only = true},
    /* significance against the fp32 row (src/stats/ab.h), machine formats; humans read it in the cells */
    {.key = "speedup_p", .header = "speed-up p", .kind = ET_COL_REAL, .decimals = 4, .machine_only = true},
    {.key = "speedup_ci_low", .header = "speed-up 95% low", .unit = "x", .kind = ET_COL_REAL, .decimals = 4,
     .machine_only = true},
    {.key = "speedup_ci_high", .header = "speed-up 95% high", .unit = "x", .kind = ET_COL_REAL, .decimals = 4,
     .machine_only = true},
    {.key = "speedup_verdict", .header = "speed-up verdict", .kind = ET_COL_TEXT, .machine_only = true},
    {.key = "accuracy_delta_pp", .header = "accuracy delta", .unit = "pp", .kind = ET_COL_DELTA, .decimals = 2,
     .machine_only = true},
    {.key = "accuracy_delta_pp_p", .header = "accuracy delta p", .kind = ET_COL_REAL, .decimals = 4,
     .machine_only = true},
    {.key = "accuracy_delta_pp_verdict", .header = "accuracy delta verdict", .kind = ET_COL_TEXT,
     .machine_only = true},
    {.key = "energy_ratio", .header = "energy ratio", .unit = "x", .kind = ET_COL_RATIO, .decimals = 2,
     .better = ET_BETTER_HIGHER, .up_word = "less", .down_word = "more", .machine_only = true},
    {.key = "energy_ratio_p", .header = "energy ratio p", .kind = ET_COL_REAL, .decimals = 4, .machine_only = true},
    {.key = "energy_ratio_verdict", .header = "energy ratio verdict", .kind = ET_COL_TEXT, .machine_only = true},
};
// clang-format on
enum {
    C_CONFIG,
    C_EXEC,
    C_DEPLOYED,
    C_SIZE,
    C_P50,
    C_SPEEDUP,
    C_TOP1,
    C_COS,
    C_SQNR,
    C_ACC,
    C_ENERGY,
    C_PARETO,
    C_PARETO_SIZE,
    C_RUN,
    C_NOTES,
    C_SPEEDUP_P,
    C_SPEEDUP_LO,
    C_SPEEDUP_HI,
    C_SPEEDUP_VERDICT,
    C_ACC_DELTA,
    C_ACC_P,
    C_ACC_VERDICT,
    C_ENERGY_RATIO,
    C_ENERGY_P,
    C_ENERGY_VERDICT
};

/* Row i's energy per inference against the fp32 row's, tested on their power timelines (db/significance.c): the
 * verdict beside the value ("0.412 (1.25x less, p <0.001)"), ratio, p and verdict in machine columns. */
static void fill_energy(et_table *t, int row, const point *bp, const point *rp, const et_ab_options *o) {
    const et_result *base = &bp->r, *r = &rp->r;
    double e = et_metric_value(r, ET_METRIC_ENERGY), be = et_metric_value(base, ET_METRIC_ENERGY);
    et_table_set_num(t, row, C_ENERGY, e);
    double ratio = et_metric_ratio(ET_METRIC_ENERGY, be, e);
    if (isnan(ratio))
        return;
    et_table_set_num(t, row, C_ENERGY_RATIO, ratio);
    et_ab ab;
    et_db_significance(base, r, ET_METRIC_ENERGY, o, &ab);
    et_table_set_text(t, row, C_ENERGY_VERDICT, et_ab_verdict_name(ab.verdict));
    if (ab.verdict == ET_AB_NA)
        return;
    char said[160], cell[200];
    et_ab shown = ab;
    shown.estimate = ratio; /* the column's ratio of the stored figures; the verdict is the test's */
    snprintf(cell, sizeof cell, "%.3f (%s)", e, et_ab_say(&shown, o, false, "less", "more", said, sizeof said));
    et_table_set_num_said(t, row, C_ENERGY, e, cell);
    et_table_set_num(t, row, C_ENERGY_P, ab.p);
}

/* Row i's speed-up and accuracy against the fp32 row, with their tests: speed-up by the paired rule over the
 * rounds (et_ab_paired), accuracy by McNemar's (db/significance.c). The verdict in the human cells ("1.21x faster,
 * p <0.001", "= same, p 0.41"), p, interval and verdict in machine columns. */
static void fill_significance(et_table *t, int row, const point *bp, const point *rp, long rounds,
                              const et_ab_options *o) {
    const et_result *base = &bp->r, *r = &rp->r;
    et_ab ab;
    char said[160];
    et_ab_paired(bp->round_ms, rp->round_ms, (int)rounds, o, &ab);
    et_table_set_text(t, row, C_SPEEDUP_VERDICT, et_ab_verdict_name(ab.verdict));
    if (ab.verdict != ET_AB_NA) {
        et_ab_say(&ab, o, false, "faster", "slower", said, sizeof said);
        et_table_set_num_said(t, row, C_SPEEDUP, ab.estimate, said);
        et_table_set_num(t, row, C_SPEEDUP_P, ab.p);
        et_table_set_num(t, row, C_SPEEDUP_LO, ab.ci_lo);
        et_table_set_num(t, row, C_SPEEDUP_HI, ab.ci_hi);
    }
    if (!(r->fidelity.accuracy >= 0) || !(base->fidelity.accuracy >= 0))
        return;
    double acc = 100.0 * r->fidelity.accuracy;
    et_table_set_num(t, row, C_ACC_DELTA, acc - 100.0 * base->fidelity.accuracy);
    et_db_significance(base, r, ET_METRIC_ACCURACY, o, &ab);
    et_table_set_text(t, row, C_ACC_VERDICT, et_ab_verdict_name(ab.verdict));
    if (ab.verdict == ET_AB_NA)
        return;
    char cell[200];
    snprintf(cell, sizeof cell, "%.2f (%s)", acc, et_ab_say(&ab, o, true, NULL, NULL, said, sizeof said));
    et_table_set_num_said(t, row, C_ACC, acc, cell);
    et_table_set_num(t, row, C_ACC_P, ab.p);
}

/* The quality a row is judged by: accuracy with labels, else top-1 agreement, else cosine (first output). */
static double quality(const et_result *r, bool *is_acc) {
    *is_acc = false;
    if (r->fidelity.status != ET_AVAIL_OK || r->fidelity.n_outputs < 1)
        return NAN;
    if (r->fidelity.accuracy >= 0) {
        *is_acc = true;
        return r->fidelity.accuracy;
    }
    const et_output_fidelity *o = &r->fidelity.outputs[0];
    return o->top1_agreement >= 0 ? o->top1_agreement : o->cosine;
}

static et_table *build_table(const char *model, point *pts, int n, const int64_t *ids, const sweep_plan *plan,
                             const et_ab_options *ab) {
    long rounds = plan->rounds, iters = plan->iters;
    char title[512];
    snprintf(title, sizeof title, "sweep of %s", model);
    et_table *t = et_table_new(title);
    for (size_t c = 0; c < sizeof COLS / sizeof COLS[0]; c++)
        et_table_add_col(t, &COLS[c]);
    double *lat = calloc((size_t)n, sizeof *lat), *size = calloc((size_t)n, sizeof *size),
           *qual = calloc((size_t)n, sizeof *qual);
    bool *po = calloc((size_t)n, sizeof *po), *ps = calloc((size_t)n, sizeof *ps);
    if (!lat || !size || !qual || !po || !ps) {
        free(lat), free(size), free(qual), free(po), free(ps);
        return t;
    }
    bool acc_metric = false;
    for (int i = 0; i < n; i++) {
        bool a = false;
        lat[i] = pts[i].measured ? pts[i].r.latency.p50_ms : NAN;
        size[i] = pts[i].measured ? et_metric_value(&pts[i].r, ET_METRIC_SIZE) : NAN;
        qual[i] = pts[i].measured ? quality(&pts[i].r, &a) : NAN;
        acc_metric |= a;
    }
    et_pareto(lat, qual, n, po);
    et_pareto(size, qual, n, ps);
    double base = pts[0].measured ? pts[0].r.latency.p50_ms : NAN;
    for (int i = 0; i < n; i++) {
        const et_result *r = &pts[i].r;
        int row = et_table_add_row(t);
        char name[96];
        point_name(&pts[i].k, name, sizeof name);
        et_table_set_text(t, row, C_CONFIG, name);
        if (!pts[i].measured) {
            et_table_set_text(t, row, C_EXEC, "failed");
            et_table_set_text(t, row, C_NOTES, pts[i].error);
            et_table_add_note(t, "%s: %s", name, pts[i].error);
            continue;
        }
        et_table_set_text(t, row, C_EXEC, r->engine.exec);
        et_table_set_num(t, row, C_DEPLOYED, et_metric_value(r, ET_METRIC_DEPLOYED) / 1048576.0);
        et_table_set_num(t, row, C_SIZE, et_metric_value(r, ET_METRIC_SIZE) / 1048576.0); /* compare's size rule */
        et_table_set_num(t, row, C_P50, r->latency.p50_ms);
        et_table_set_num(t, row, C_SPEEDUP, i == 0 && base > 0 ? 1.0 : NAN); /* others: fill_significance */
        if (r->fidelity.status == ET_AVAIL_OK && r->fidelity.n_outputs > 0) {
            const et_output_fidelity *o = &r->fidelity.outputs[0];
            et_table_set_num(t, row, C_TOP1, o->top1_agreement >= 0 ? 100.0 * o->top1_agreement : NAN);
            et_table_set_num(t, row, C_COS, o->cosine);
            et_table_set_num(t, row, C_SQNR, isinf(o->sqnr_db) ? NAN : o->sqnr_db);
            et_table_set_num(t, row, C_ACC, r->fidelity.accuracy >= 0 ? 100.0 * r->fidelity.accuracy : NAN);
        }
        if (i > 0 && pts[0].measured)
            fill_energy(t, row, &pts[0], &pts[i], ab);
        else
            et_table_set_num(t, row, C_ENERGY, et_metric_value(r, ET_METRIC_ENERGY));
        et_table_set_num(t, row, C_PARETO, po[i]);
        et_table_set_num(t, row, C_PARETO_SIZE, ps[i]);
        et_table_set_num(t, row, C_RUN, ids && ids[i] > 0 ? (double)ids[i] : NAN);
        if (i > 0 && pts[0].measured)
            fill_significance(t, row, &pts[0], &pts[i], rounds, ab);
        et_table_set_text(t, row, C_NOTES, r->engine.notes);
        if (r->engine.notes[0] && i > 0)
            et_table_add_note(t, "%s: %s", name, r->engine.notes);
    }
    et_table_add_note(t,
                      "p50: over all %ld rounds; speed-up: the median per-round ratio fp32 p50 / row p50 on this "
                      "machine (Hodges-Lehmann over the rounds); pareto: no other row is faster (pareto) "
                      "or smaller (pareto size) and at least as good in %s",
                      rounds, acc_metric ? "accuracy" : "top-1 agreement with fp32");
    et_table_add_note(
        t,
        "significance against the fp32 row: speed-up by a Wilcoxon signed-rank test on the per-round log ratios "
        "(rows measured row by row in each of the %ld rounds of %ld iterations; at least 6 rounds for p < 0.05), "
        "energy by a Mann-Whitney U test on energy per inference per interval of the power timelines, "
        "accuracy by McNemar's test on per-input correctness; \"= same\": not "
        "significant at p < %.2f; a significant speed-up or energy ratio under %.1f %% (--min-effect) is shown with ~ "
        "(man edgetune, sweep and compare)",
        rounds, iters, ab->alpha, ab->min_effect * 100.0);
    et_table_add_note(t, "deployed mem: peak resident memory of a separate process holding only the tuned plan "
                         "(packed weights, arena, scratch, threads, runtime code); size: the weights as stored");
    if (pts[0].measured && pts[0].r.fidelity.status == ET_AVAIL_OK)
        et_table_add_note(t, "fidelity on %d inputs from %s", pts[0].r.fidelity.n_inputs,
                          pts[0].r.fidelity.eval_source);
    free(lat), free(size), free(qual), free(po), free(ps);
    return t;
}

/* The points of the grid of lists around knobs, in *pts (room for ET_SWEEP_MAX), and room for their run ids in
 * *ids; the caller frees both (either may be NULL). Returns the number of points, or -1 with err filled (a grid
 * that cannot be made, out of memory). */
static int make_points(const et_sweep_lists *lists, const et_knobs *knobs, point **pts, int64_t **ids, et_err *err) {
    *pts = calloc(ET_SWEEP_MAX, sizeof **pts);
    *ids = calloc(ET_SWEEP_MAX, sizeof **ids);
    et_knobs *grid = calloc(ET_SWEEP_MAX, sizeof *grid);
    int n = -1;
    if (!*pts || !*ids || !grid)
        et_fail(err, ET_E_NOMEM, "out of memory");
    else
        n = et_sweep_grid(lists, knobs, grid, ET_SWEEP_MAX, err);
    for (int i = 0; i < n; i++) {
        (*pts)[i].k = grid[i];
        et_result_init(&(*pts)[i].r);
        for (int r = 0; r < MAX_ROUNDS; r++)
            (*pts)[i].round_ms[r] = NAN;
    }
    free(grid);
    return n;
}

/* Opens the model with the --shape, --input and data-set flags; how given inputs were taken goes to stderr. */
static et_status open_session(const char *model, const et_tensor_args *targs, const et_data_args *data, et_session **s,
                              et_err *err) {
    et_session_input_file files[ET_MAX_CLI_TENSORS];
    et_session_options so = {.model_path = model};
    et_args_session(targs, data, files, &so);
    et_status st = et_session_open(&so, s, err);
    if (st == ET_OK)
        et_cli_note(et_session_notes(*s));
    return st;
}

/* Warms the machine on the baseline first: the first point measured must not pay for a cold CPU. */
static void warm_up(et_session *s, const et_knobs *k, const sweep_plan *plan) {
    et_err e = {0};
    et_bench_config cfg = et_bench_config_default();
    cfg.iters = (int)(plan->iters > 10 ? plan->iters : 10);
    cfg.warmup = (int)plan->warmup;
    cfg.profilers = cfg.fidelity = false;
    et_result r;
    et_result_init(&r);
    if (et_cli_configure(s, k, plan->show_progress, (const volatile int *)&stop_requested, &e) == ET_OK)
        et_bench_run(s, &cfg, &r, &e);
    et_result_free(&r);
}

/* Appends round power timeline `add` to `to` (the rounds' timed loops laid end to end: add's times shifted by
 * to's last one, which is where the energy rule lays the appended iterations) and recomputes energy per
 * inference over the n iterations of all rounds. Returns false when out of memory (to unchanged). */
static bool append_power(et_power_info *to, const et_power_info *add, int n) {
    if (to->status != ET_AVAIL_OK || add->status != ET_AVAIL_OK || add->n_samples < 1 || to->n_samples < 1)
        return true; /* nothing to append: energy stays round 1's */
    et_power_sample *all = realloc(to->samples, (size_t)(to->n_samples + add->n_samples) * sizeof *all);
    if (!all)
        return false;
    int64_t shift = all[to->n_samples - 1].t_ns;
    for (int i = 0; i < add->n_samples; i++)
        all[to->n_samples + i] = (et_power_sample){add->samples[i].t_ns + shift, add->samples[i].power_mw};
    to->samples = all;
    to->n_samples += add->n_samples;
    to->energy_j += add->energy_j;
    to->energy_per_inf_mj = n > 0 ? to->energy_j * 1000.0 / n : to->energy_per_inf_mj;
    double span_s = (double)all[to->n_samples - 1].t_ns * 1e-9;
    if (span_s > 0)
        to->avg_power_w = to->energy_j / span_s;
    return true;
}

/* Adds round `round` (r, which is consumed) to p: its median to p->round_ms; round 0's result becomes p's
 * (fidelity, deployed memory, counters), later rounds' latency samples and power timelines are appended to it and its latency
 * statistics recomputed over all. Out of memory for the samples: the round still counts in the test. */
static void add_round(point *p, long round, et_result *r) {
    double *scratch = malloc((size_t)(r->n_samples > 0 ? r->n_samples : 1) * sizeof *scratch);
    if (scratch && r->n_samples > 0) {
        memcpy(scratch, r->samples_ms, (size_t)r->n_samples * sizeof *scratch);
        p->round_ms[round] = et_stats_median_inplace(scratch, r->n_samples);
    }
    free(scratch);
    if (!p->measured) {
        et_result_free(&p->r);
        p->r = *r;
        p->measured = true;
        return;
    }
    int n = p->r.n_samples + r->n_samples;
    double *all = r->n_samples > 0 ? realloc(p->r.samples_ms, (size_t)n * sizeof *all) : NULL;
    if (all) {
        memcpy(all + p->r.n_samples, r->samples_ms, (size_t)r->n_samples * sizeof *all);
        p->r.samples_ms = all;
        p->r.n_samples = n;
        p->r.iters += r->iters; /* timed iterations completed, over all rounds */
        et_latency_stats_compute(all, n, &p->r.latency);
        if (!append_power(&p->r.power, &r->power, n))
            p->r.power.status = ET_AVAIL_ERROR, snprintf(p->r.power.why, sizeof p->r.power.why, "out of memory");
    }
    et_result_free(r);
}

/* Point i of n in round `round` (fidelity and deployed memory in round 0 only), added to its rounds. A failure is kept in p->error
 * (round 0) and said on stderr; ET_E_CANCELLED when a signal stopped it. */
static et_status measure_point(et_session *s, point *p, long round, int i, int n, const sweep_plan *plan) {
    char name[96];
    point_name(&p->k, name, sizeof name);
    et_err e = {0};
    et_bench_config cfg = et_bench_config_default();
    cfg.iters = (int)plan->iters;
    cfg.warmup = (int)plan->warmup;
    cfg.profilers = plan->profilers;
    cfg.fidelity = round == 0;
    cfg.deploy_exe = round == 0 ? ET_DEPLOY_SELF_EXE : NULL;
    cfg.cancel = (const volatile int *)&stop_requested;
    et_result r;
    et_result_init(&r);
    et_status st = et_cli_configure(s, &p->k, plan->show_progress, (const volatile int *)&stop_requested, &e);
    if (st == ET_OK)
        st = et_bench_run(s, &cfg, &r, &e);
    if (st != ET_OK) {
        if (st != ET_E_CANCELLED && round == 0)
            snprintf(p->error, sizeof p->error, "%s", e.msg);
        et_result_free(&r);
        if (st != ET_E_CANCELLED)
            fprintf(stderr, "sweep: %s failed: %s\n", name, e.msg);
        return st;
    }
    if (isatty(STDERR_FILENO) || plan->show_progress)
        fprintf(stderr, "sweep: round %ld/%ld, %d/%d %-28s p50 %.3f ms\n", round + 1, plan->rounds, i + 1, n, name,
                r.latency.p50_ms);
    add_round(p, round, &r);
    return ET_OK;
}

/* The grid, round after round (a point that failed once is not tried again), until done or a signal stops it. */
static void measure_grid(et_session *s, point *pts, int n, const sweep_plan *plan) {
    for (long round = 0; round < plan->rounds && !stop_requested; round++)
        for (int i = 0; i < n && !stop_requested; i++) {
            if (round > 0 && !pts[i].measured)
                continue; /* failed once: it fails again */
            if (measure_point(s, &pts[i], round, i, n, plan) == ET_E_CANCELLED)
                break;
        }
}

/* The report's pictures of the measured points (db/report_svg.h), for `--format html`; the fp32 point is the
 * baseline. */
static void attach_figures(et_table *t, const point *pts, int n) {
    et_report_run *runs = calloc((size_t)(n ? n : 1), sizeof *runs);
    char(*names)[96] = calloc((size_t)(n ? n : 1), sizeof *names);
    int k = 0;
    for (int i = 0; runs && names && i < n; i++) {
        if (!pts[i].measured)
            continue;
        point_name(&pts[i].k, names[k], sizeof names[k]);
        runs[k] = (et_report_run){.r = &pts[i].r, .name = names[k], .is_baseline = i == 0};
        k++;
    }
    char *html = runs && names ? et_report_svg_figures(runs, k) : NULL;
    if (html)
        et_table_set_html_figures(t, html);
    free(html), free(runs), free(names);
}

/* Saves the measured points as runs (db may be NULL: --no-save; ids[i] gets each id) and writes the table to out
 * in fmt. Returns the exit code: 1 when a point failed, that of a failed save or write. */
static int save_and_print(et_db *db, const char *model, point *pts, int n, int64_t *ids, const char *label,
                          et_table_format fmt, const char *out, const sweep_plan *plan, const et_ab_options *ab) {
    for (int i = 0; db && i < n; i++) {
        if (!pts[i].measured)
            continue;
        et_err err = {0};
        snprintf(pts[i].r.label, sizeof pts[i].r.label, "%s", label);
        if (et_db_save_run(db, &pts[i].r, &ids[i], &err) != ET_OK)
            return et_cli_report(&err);
    }
    et_table *t = build_table(model, pts, n, db ? ids : NULL, plan, ab);
    if (fmt == ET_TABLE_HTML)
        attach_figures(t, pts, n);
    int64_t lo = 0, hi = 0;
    for (int i = 0; db && i < n; i++)
        if (ids[i] > 0) {
            lo = lo && lo < ids[i] ? lo : ids[i];
            hi = hi > ids[i] ? hi : ids[i];
        }
    if (db && hi > 0)
        et_table_add_note(t, "saved as runs %lld to %lld in %s", (long long)lo, (long long)hi, et_db_path(db));
    int rc = et_cli_write_table(t, fmt, out);
    et_table_free(t);
    for (int i = 0; i < n; i++)
        rc = rc ? rc : (pts[i].measured ? 0 : 1);
    return rc;
}

int et_cmd_sweep(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    et_args a = et_args_start("sweep", argc, argv);
    et_tensor_args targs = {0};
    et_knobs knobs = et_knobs_default();
    const char *model = NULL, *label = "sweep", *out = NULL, *v;
    et_data_args data = {0};
    const char *l_bits = NULL, *l_act = NULL, *l_prune = NULL, *l_method = NULL, *l_recover = NULL;
    et_table_format fmt = ET_TABLE_TEXT;
    bool save = true, profilers = false, show_progress = false;
    long iters = 5, warmup = 2, rounds = 20;
    et_ab_options ab = et_ab_defaults();
    while (et_args_more(&a)) {
        int r;
        if (et_args_value(&a, "--bits", &l_bits) || et_args_value(&a, "--act-bits", &l_act) ||
            et_args_value(&a, "--prune", &l_prune) || et_args_value(&a, "--prune-method", &l_method) ||
            et_args_value(&a, "--recover", &l_recover)) {
        } else if ((r = et_args_tensor_flag(&a, &targs)) != 0 || (r = et_args_knob_flag(&a, &knobs)) != 0 ||
                   (r = et_args_data_flag(&a, &data)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_value(&a, "--iters", &v)) {
            if (!et_cli_parse_long("sweep", "--iters", v, 1, 100000, &iters))
                return 2;
        } else if (et_args_value(&a, "--warmup", &v)) {
            if (!et_cli_parse_long("sweep", "--warmup", v, 0, 100000, &warmup))
                return 2;
        } else if (et_args_value(&a, "--rounds", &v)) {
            if (!et_cli_parse_long("sweep", "--rounds", v, 1, MAX_ROUNDS, &rounds))
                return 2;
        } else if (et_args_value(&a, "--min-effect", &v)) {
            double pct = 0;
            if (!et_cli_parse_double("sweep", "--min-effect", v, 0, 100, &pct))
                return 2;
            ab.min_effect = pct / 100.0;
        } else if (et_args_value(&a, "--format", &v)) {
            if (et_cli_table_format("sweep", v, &fmt) != 0)
                return 2;
        } else if (et_args_flag(&a, "--json")) {
            fmt = ET_TABLE_JSON;
        } else if (et_args_value(&a, "-o", &out) || et_args_value(&a, "--label", &label)) {
        } else if (et_args_flag(&a, "--progress")) {
            show_progress = true;
        } else if (et_args_flag(&a, "--no-save")) {
            save = false;
        } else if (et_args_flag(&a, "--profilers")) {
            profilers = true;
        } else if (!et_args_positional(&a, &model)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!model)
        return et_cli_usage_error("sweep", "give the model file");
    if (!l_bits && !l_act && !l_prune && !l_method)
        return et_cli_usage_error("sweep", "give at least one list: --bits, --act-bits, --prune or --prune-method");
    et_err err = {0};
    et_sweep_lists lists = {0};
    if (et_sweep_parse(l_bits, l_act, l_prune, l_method, &lists, &err) != ET_OK ||
        et_sweep_parse_recover(l_recover, &lists, &err) != ET_OK)
        return et_cli_report(&err);
    if (l_method && !l_prune && knobs.prune_ratio == 0.0f) {
        lists.prune[0] = 0.5f; /* a method list alone means: each method at 50 % */
        lists.n_prune = 1;
    }
    point *pts = NULL;
    int64_t *ids = NULL;
    int n = make_points(&lists, &knobs, &pts, &ids, &err);
    int rc = 0;
    et_db *db = NULL;
    et_session *s = NULL;
    if (n < 0) {
        rc = et_cli_report(&err);
        goto done;
    }
    if (save && et_db_open(cli->db_path, ET_DB_WRITE, &db, &err) != ET_OK) {
        rc = et_cli_report(&err);
        goto done;
    }
    if (open_session(model, &targs, &data, &s, &err) != ET_OK) {
        rc = et_cli_report(&err);
        goto done;
    }
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sweep_plan plan = {.iters = iters,
                       .warmup = warmup,
                       .rounds = rounds,
                       .profilers = profilers,
                       .show_progress = show_progress};
    warm_up(s, &pts[0].k, &plan);
    measure_grid(s, pts, n, &plan);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (stop_requested) {
        fprintf(stderr, "edgetune: sweep stopped; nothing saved\n");
        rc = 1;
        goto done;
    }
    rc = save_and_print(db, et_session_model(s)->name, pts, n, ids, label, fmt, out, &plan, &ab);
done:
    for (int i = 0; i < n; i++)
        et_result_free(&pts[i].r);
    free(pts), free(ids);
    et_session_free(s);
    et_db_close(db);
    return rc;
}
