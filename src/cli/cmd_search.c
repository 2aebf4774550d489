/* cmd_search.c: `edgetune search MODEL --max-drop PP [--objective latency|size] [--budget MINUTES] [-o FILE]
 * [--candidates LIST] [KNOBS]`: a per-layer configuration for this machine (search/search.h does the work; this
 * file parses, shows progress, stores the measured points as runs and prints the front). Ctrl-C stops at the next
 * point, prints and stores what was measured, and exits 130. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/cli_db.h"
#include "db/db.h"
#include "profilers/profilers.h"
#include "record/layer_knobs.h"
#include "search/search.h"
#include "search/search_job.h"
#include "search/search_pred.h"
#include "stats/pareto.h"

static volatile int stop_requested; /* 1: a signal; 2: the search's phase ran out of time (search.h) */
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

#define UNIFORM_BITS ET_SEARCH_UNIFORM_BITS
#define UNIFORM_ACT ET_SEARCH_UNIFORM_ACT
#define UNIFORM_PRUNE ET_SEARCH_UNIFORM_PRUNE
#define UNIFORM_METHODS ET_SEARCH_UNIFORM_METHODS

static void usage(FILE *out) {
    fprintf(out,
            "usage: edgetune search MODEL --max-drop PP [--objective latency|size] [--budget MINUTES] [-o FILE]\n"
            "                       [--candidates LIST] [--finalists N] [--iters N] [--warmup N] [--rounds N]\n"
            "                       [--seconds S] [--sens-iters N] [--sens-max-points N] [--paired-rounds N]\n"
            "                       [--uniform-bits LIST]\n"
            "                       [--uniform-act-bits LIST] [--uniform-prune LIST] [--uniform-methods LIST]\n"
            "                       [--format FMT | --json]\n"
            "                       [--no-save] [--fresh] [--eval PATH] [--labels FILE] [--eval-limit N]\n"
            "                       [--calib PATH]\n"
            "                       [--input NAME=FILE.npy]... [--shape NAME=DIMS]... [KNOBS]\n\n"
            "A per-layer configuration for this machine: the KNOBS are the base; each weight layer may take one of\n"
            "the candidates instead. The evaluation set is split by position in its order (file names sorted):\n"
            "even positions are the SEARCH half, odd ones the HELD-OUT half. Steps: the fp32 reference; the\n"
            "sensitivity of every layer x candidate on the search half (on every k-th input of it, k the smallest\n"
            "that leaves at most 256: a 1,000-input half is screened on 250; accuracy change, or top-1 agreement\n"
            "change without labels; time saved from the per-layer profile, on every step the change moved: a pruned\n"
            "layer's channel group and their readers, added conversions; bytes saved); the base and the uniform grid\n"
            "(bits x act-bits x prune ratio x method, the base's other knobs) measured for real, once each as the\n"
            "search adds them, the other --rounds of every point at the end while --budget lasts, the fastest\n"
            "kept. The drop model: a configuration's drop = the base's + scale x its layers' summed\n"
            "drops (each changed layer at least one input of the half, or --max-drop / layers), the scale fitted\n"
            "to the measured points whose sum is known (measured / summed: the uniform points whose setting is a\n"
            "candidate first) and refitted after every measured round, so drops need not add. A knapsack over the\n"
            "layers maximises the time (or bytes) saved with the modelled drop within --max-drop, at 4/4, 3/4, 2/4\n"
            "and 1/4 of it (the finalists), measured; twice more the model is refitted with them and the knapsack\n"
            "run at the whole room and 3/4 of it (new choices only). Then moves from the best uniform setting\n"
            "within the drop: it, written per layer, is a finalist ('the start'), and a knapsack over moves from it\n"
            "(layers further compressed or back towards the base, a move back freeing drop for others; drops\n"
            "scaled by the refitted model) gives finalists at the whole room and half of it; a second round moves\n"
            "around the best measured one (or, when none met the drop, from the start with the model refitted).\n"
            "With --objective size a configuration's bytes are computed exactly (a tune of its knobs without\n"
            "recovery: shapes and widths only): the knapsack's byte gains are recomputed with the other layers\n"
            "as its last pick has them until the pick repeats (a pruned layer's reader, pruned or 4-bit itself,\n"
            "is not counted twice), the moves' gains against the start. With either objective a finalist's\n"
            "predicted size is its own weights, computed so.\n"
            "Last, the paired timing: every finalist, the 2 fastest uniform points within the drop and the points\n"
            "the finalists' predictions start from timed again in --paired-rounds alternating rounds (each round\n"
            "every point once, so a slow spell of the machine hits all alike); with --objective latency the winner\n"
            "and the best uniform are the fastest within the drop by the median of their rounds, compared by the\n"
            "paired rule (sweep's); each latency prediction is checked on the same rounds (its start's paired p50\n"
            "minus the saving against the finalist's), and a note counts those within 10 %%. The winner is never\n"
            "worse than the best uniform setting on the search half. --recover applies to every point, the same on\n"
            "both sides.\n"
            "With --act-bits 8, --force-int8 keeps each layer's precision fixed (the speed guard re-decides it at\n"
            "every point from timings otherwise, which a loaded machine makes noisy). The winner is\n"
            "the finalist with the best measured objective whose measured drop on the SEARCH half (all of it) is\n"
            "within --max-drop less its noise: a drop d of n inputs counts when d + sqrt(200 d / n) <= --max-drop\n"
            "(one standard deviation of the difference between two halves' drops; 1 pp on 1,000 inputs a half:\n"
            "0.64 pp, on 256: 0.42), so that it holds on the held-out half; the knapsack, the moves and the best\n"
            "uniform setting use that bar too; the held-out half is only reported. Prints the\n"
            "measured points with the Pareto front, predicted vs measured for each finalist (predicted from a point\n"
            "measured in the same run: the predicted from column; the drop model's and the additive sum's drop\n"
            "beside the measured), and the winner against the best uniform setting; stores every measured point\n"
            "as a run labelled 'search <time>: <point>'.\n"
            "Progress on stderr; Ctrl-C stops at the next point, prints and stores what was measured (exit 130).\n"
            "Exit 1 when no finalist met the drop or a point failed. An error after the reference was measured (a\n"
            "move's or a finalist's knobs, ...) still prints and stores the points measured before it (-o only with\n"
            "a winner), then says the error in one line and exits 2 for bad input, 1 otherwise.\n"
            "Fidelity mode: without an evaluation set (no --eval, no MODEL.eval/) the quality is top-1 agreement\n"
            "with fp32 over the calibration inputs (--calib or MODEL.calib/; recovery fits on the same inputs), else\n"
            "over 64 seeded random inputs; either split even/odd, and the output says which.\n\n"
            "  --max-drop PP        the accuracy drop allowed against fp32, percentage points (required)\n"
            "  --objective O        latency (p50, default) or size (weights as stored); energy: exit 2, 'no power\n"
            "                       sensor on this machine' where edgetune doctor finds none, else not yet\n"
            "  --budget MINUTES     stop measuring after this long (sensitivity: at most half of it; the uniform\n"
            "                       grid's first round: until 70 %% of it); what was measured is used\n"
            "  -o FILE              write the winner as a --layers-config file (the model-wide KNOBS in a\n"
            "                       comment: give them to bench with --layers-config FILE)\n"
            "  --candidates LIST    ';'-separated per-layer settings, each a ','-separated list of --layer keys,\n"
            "                       default with --objective latency:\n"
            "                       '%s';\n"
            "                       with --objective size, combinations (a layer 4-bit and channel-pruned, as\n"
            "                       uniform w4 + channel is):\n"
            "                       '%s';\n"
            "                       one setting per layer (the latency default has no layer both 4-bit and pruned);\n"
            "                       channel pruning of one layer shrinks its whole channel group (residual\n"
            "                       Adds); recover= as a candidate: not yet (--layer and --layers-config take\n"
            "                       it); --recover applies to every point, sensitivities and uniform grid alike\n"
            "  --finalists N        knapsack budgets tried, 1..%d (default 4)\n"
            "  --iters N, --warmup N  per measured point (default 50, 5)\n"
            "  --rounds N           latency rounds over the measured points, fastest kept (default 2); rounds\n"
            "                       after the first run after the moves, while --budget lasts\n"
            "  --seconds S          time each measured point for at least S seconds per round, --iters being the\n"
            "                       minimum (default 0.25; 0: exactly --iters): a 40 us model otherwise gets 2 ms;\n"
            "                       each sensitivity profile likewise, --sens-iters the minimum\n"
            "  --sens-iters N       timed iterations per sensitivity point (default 20)\n"
            "  --sens-max-points N  stop the sensitivity after N layer x candidate points (layer order), as half of\n"
            "                       --budget does: later layers stay as the base, the search goes on\n"
            "  --paired-rounds N    alternating rounds of the paired timing, 0..%d (default 9; 0: none, the\n"
            "                       winner by the fastest of --rounds; under 6 rounds the paired rule cannot call\n"
            "                       a difference significant); it runs after --budget too (about --seconds per\n"
            "                       point and round; each point prepared once, its plan kept for every round)\n"
            "  --uniform-bits LIST, --uniform-act-bits LIST, --uniform-prune LIST, --uniform-methods LIST\n"
            "                       the uniform grid (default %s; %s; %s; %s)\n"
            "  --format FMT         table (default), md, csv, json, latex or html; --json is --format json\n"
            "  --no-save            do not store the measured points (nor the sensitivities, nor reuse them)\n"
            "  --fresh              measure every sensitivity point, even those an earlier analysis of the same\n"
            "                       setting stored (by default they are taken from there, as `sensitivity` does)\n"
            "The workbench runs the same search (P: the search view).\n"
            "Not yet: --objective energy, recover= as a candidate.\n\n",
            ET_SEARCH_DEFAULT_CANDIDATES, ET_SEARCH_SIZE_CANDIDATES, ET_SEARCH_MAX_FINALISTS,
            ET_SEARCH_PAIRED_MAX_ROUNDS, UNIFORM_BITS, UNIFORM_ACT, UNIFORM_PRUNE, UNIFORM_METHODS);
    fputs(et_tensor_help, out);
    fputs(et_data_help, out);
    fputs(et_knob_help, out);
}

static void progress(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "search: %s\n", line);
}

// clang-format off
static const et_table_col COLS[] = {
    {.key = "point", .header = "point", .kind = ET_COL_TEXT},
    {.key = "kind", .header = "kind", .kind = ET_COL_TEXT},
    {.key = "p50_ms", .header = "p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 4, .better = ET_BETTER_LOWER},
    {.key = "paired_p50_ms", .header = "paired p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 4},
    {.key = "pred_p50_ms", .header = "predicted p50", .unit = "ms", .kind = ET_COL_REAL, .decimals = 4},
    {.key = "p50_error_pct", .header = "p50 error", .unit = "%", .kind = ET_COL_DELTA, .decimals = 1},
    {.key = "p50_error_basis", .header = "error basis", .kind = ET_COL_TEXT, .machine_only = true},
    {.key = "pred_p50_rounds_ms", .header = "predicted p50 (rounds)", .unit = "ms", .kind = ET_COL_REAL, .decimals = 4, .machine_only = true},
    {.key = "size_kib", .header = "size", .unit = "KiB", .kind = ET_COL_REAL, .decimals = 1, .better = ET_BETTER_LOWER},
    {.key = "pred_size_kib", .header = "predicted size", .unit = "KiB", .kind = ET_COL_REAL, .decimals = 1},
    {.key = "drop_search_pp", .header = "drop search", .unit = "pp", .kind = ET_COL_REAL, .decimals = 2},
    {.key = "pred_drop_search_pp", .header = "predicted drop", .unit = "pp", .kind = ET_COL_REAL, .decimals = 2},
    {.key = "additive_drop_search_pp", .header = "additive drop", .unit = "pp", .kind = ET_COL_REAL, .decimals = 2},
    {.key = "drop_scale", .header = "drop scale", .kind = ET_COL_REAL, .decimals = 2, .machine_only = true},
    {.key = "drop_heldout_pp", .header = "drop held-out", .unit = "pp", .kind = ET_COL_REAL, .decimals = 2},
    {.key = "heldout_pct", .header = "held-out", .unit = "%", .kind = ET_COL_REAL, .decimals = 2},
    {.key = "pareto", .header = "pareto", .kind = ET_COL_TEXT},
    {.key = "pred_from", .header = "predicted from", .kind = ET_COL_TEXT},
    {.key = "run", .header = "run", .kind = ET_COL_INT},
    {.key = "layers", .header = "layers", .kind = ET_COL_TEXT, .machine_only = true},
    {.key = "error", .header = "error", .kind = ET_COL_TEXT, .machine_only = true},
};
// clang-format on
enum {
    C_POINT,
    C_KIND,
    C_P50,
    C_PAIRED,
    C_PRED_P50,
    C_P50_ERR,
    C_ERR_BASIS,
    C_PRED_ROUNDS,
    C_SIZE,
    C_PRED_SIZE,
    C_DROP_S,
    C_PRED_DROP,
    C_ADD_DROP,
    C_SCALE,
    C_DROP_H,
    C_HELD,
    C_PARETO,
    C_PRED_FROM,
    C_RUN,
    C_LAYERS,
    C_ERROR
};

static const char *kind_name(const et_search_point *p, const et_search_result *res, int i) {
    if (i == res->winner)
        return "WINNER";
    if (i == res->best_uniform)
        return "best uniform";
    return p->kind == ET_SP_FINALIST  ? "finalist"
           : p->kind == ET_SP_UNIFORM ? "uniform"
           : p->kind == ET_SP_BASE    ? "base"
                                      : "fp32 reference";
}

/* The drop model's notes: its scale from the uniform points and at the end, and how far its predictions and the
 * additive sum's were from the measured drops of the finalists (mean |predicted - measured| on the search half). */
static void add_model_notes(et_table *t, const et_search_result *res) {
    const et_search_point *ref = &res->pts[0];
    double err_model = 0.0, err_add = 0.0, base_drop = 100.0 * (ref->q_search - res->sens_base.quality);
    int n = 0, n_model = 0;
    for (int i = 0; i < res->n_pts; i++) {
        const et_search_point *p = &res->pts[i];
        if (p->kind != ET_SP_FINALIST || !p->measured || isnan(p->additive_pp))
            continue;
        double meas = 100.0 * (ref->q_search - p->q_search);
        err_add += fabs(base_drop + p->additive_pp - meas);
        n++;
        /* the moves' finalists have no drop-model prediction (n/a in the table): they count for the sum only */
        if (!isnan(p->pred_q_search)) {
            err_model += fabs(100.0 * (ref->q_search - p->pred_q_search) - meas);
            n_model++;
        }
    }
    et_table_add_note(t,
                      "drop model: a point's drop = the base's + scale x its layers' summed drops, the scale "
                      "refitted after every measured round (measured / summed over the points whose sum is known, "
                      "within 3 x --max-drop; 1 with none): %.2f from the %d uniform points whose setting is a "
                      "candidate, %.2f at the end (%d points)",
                      res->drop_first.scale, res->drop_first.n_obs, res->drop_final.scale, res->drop_final.n_obs);
    if (n > 0 && n_model > 0)
        et_table_add_note(t,
                          "drop predictions of the measured finalists, mean |predicted - measured| on the search "
                          "half: %.2f pp by the drop model (predicted drop, %d finalists), %.2f pp by the additive "
                          "sum (additive drop, %d)",
                          err_model / n_model, n_model, err_add / n, n);
    else if (n > 0)
        et_table_add_note(t,
                          "drop predictions of the %d measured finalists, mean |predicted - measured| on the search "
                          "half: %.2f pp by the additive sum (additive drop; none has a drop-model prediction)",
                          n, err_add / n);
}

/* The winner against the best uniform setting: by the paired timing when both were timed in it (latency), else by
 * the first timing or size. */
static void add_winner_note(et_table *t, const et_search_config *cfg, const et_search_result *res) {
    const et_search_point *ref = &res->pts[0], *w = &res->pts[res->winner], *u = &res->pts[res->best_uniform];
    bool size = cfg->objective == ET_SEARCH_SIZE, paired = !size && res->paired.verdict != ET_AB_NA;
    double vw = paired ? w->paired_p50_ms : et_search_objective_value(w, cfg->objective);
    double vu = paired ? u->paired_p50_ms : et_search_objective_value(u, cfg->objective);
    et_table_add_note(t,
                      "winner: %s: %s %.4g %s, %.1f %% %s than the best uniform setting within the drop (%s: "
                      "%.4g %s); held-out drop %.2f pp (best uniform %.2f pp)",
                      w->name,
                      size     ? "size"
                      : paired ? "paired p50"
                               : "p50",
                      size ? vw / 1024.0 : vw, size ? "KiB" : "ms", 100.0 * fabs(1.0 - vw / vu),
                      vw <= vu ? (size ? "smaller" : "lower") : "worse", u->name, size ? vu / 1024.0 : vu,
                      size ? "KiB" : "ms", 100.0 * (ref->q_heldout - w->q_heldout),
                      100.0 * (ref->q_heldout - u->q_heldout));
    char say[160];
    et_ab_options o = et_ab_defaults();
    if (res->paired.verdict != ET_AB_NA)
        et_table_add_note(
            t,
            "paired timing: %d points (every finalist, the fastest uniform points within the drop, the points "
            "the predictions start from) timed again in %d alternating rounds, %.1f s (each round "
            "every point once; paired p50: the median of its rounds); winner against the best uniform "
            "setting by the paired rule: %s (the typical per-round ratio best uniform / winner, 95 %% "
            "interval %.3f-%.3f)",
            res->n_paired, res->paired_done, res->paired_s,
            et_ab_say(&res->paired, &o, false, "faster", "slower", say, sizeof say), res->paired.ci_lo,
            res->paired.ci_hi);
    else
        et_table_add_note(t, "paired timing: %s", res->paired.why);
}

/* A finalist's predictions: p50 (checked against the measured one, search_pred.h), size and drop. */
static void set_prediction(et_table *t, int row, const et_search_result *res, int i) {
    const et_search_point *p = &res->pts[i], *ref = &res->pts[0];
    int n = res->n_pts;
    et_search_pred_check chk;
    et_search_pred_latency(res, i, &chk); /* NaN when unknown */
    et_table_set_num(t, row, C_PRED_P50, !isnan(chk.pred_ms) ? chk.pred_ms : p->pred_p50_ms);
    et_table_set_num(t, row, C_PRED_ROUNDS, p->pred_p50_ms);
    if (!isnan(chk.err_pct)) {
        et_table_set_num(t, row, C_P50_ERR, chk.err_pct);
        et_table_set_text(t, row, C_ERR_BASIS, chk.paired ? "paired" : "rounds");
    }
    if (!isnan(p->pred_p50_ms)) /* NaN: the point it is predicted from was not measured (--budget) */
        et_table_set_num(t, row, C_PRED_SIZE, (double)p->pred_bytes / 1024.0);
    et_table_set_num(t, row, C_PRED_DROP, 100.0 * (ref->q_search - p->pred_q_search));
    /* what the additive model (scale 1 from the base) said: the drop model's baseline */
    et_table_set_num(t, row, C_ADD_DROP, 100.0 * (ref->q_search - res->sens_base.quality) + p->additive_pp);
    et_table_set_num(t, row, C_SCALE, p->model_scale);
    if (p->pred_from >= 0 && p->pred_from < n)
        et_table_set_text(t, row, C_PRED_FROM, res->pts[p->pred_from].name);
}

/* The notes on the bar a drop must meet on the search half (et_search_bar_pp) and on the screening of the
 * sensitivity points (search.c SCREEN_INPUTS). */
static void add_bar_notes(et_table *t, const et_search_config *cfg, const et_search_result *res) {
    et_table_add_note(t,
                      "within %.2f pp: at most %.2f pp on the search half, --max-drop less the noise of a drop on %d "
                      "inputs a half (one standard deviation of the difference of two halves), so that the winner "
                      "and the best uniform setting hold on the held-out half",
                      cfg->max_drop_pp, res->bar_pp, res->n_search);
    if (res->n_screen < res->n_search)
        et_table_add_note(t,
                          "sensitivity points screened on %d inputs of the search half (every %d-th); the grid and "
                          "the finalists measured on all of it",
                          res->n_screen, res->n_screen > 0 ? (res->n_search + res->n_screen - 1) / res->n_screen : 0);
}

static et_table *build_table(const char *model, const et_search_config *cfg, const et_search_result *res,
                             const int64_t *ids) {
    char title[512];
    snprintf(title, sizeof title, "search of %s: %s within %.2f pp", model,
             cfg->objective == ET_SEARCH_SIZE ? "smallest" : "fastest", cfg->max_drop_pp);
    et_table *t = et_table_new(title);
    if (!t)
        return NULL;
    for (size_t c = 0; c < sizeof COLS / sizeof COLS[0]; c++)
        et_table_add_col(t, &COLS[c]);
    int n = res->n_pts;
    double *cost = calloc((size_t)n + 1, sizeof *cost), *qual = calloc((size_t)n + 1, sizeof *qual);
    bool *front = calloc((size_t)n + 1, sizeof *front);
    if (cost && qual && front) {
        for (int i = 0; i < n; i++) {
            cost[i] = et_search_objective_value(&res->pts[i], cfg->objective);
            qual[i] = res->pts[i].measured ? res->pts[i].q_heldout : NAN;
        }
        et_pareto(cost, qual, n, front);
    }
    const et_search_point *ref = &res->pts[0];
    for (int i = 0; i < n; i++) {
        const et_search_point *p = &res->pts[i];
        if (!p->measured && !p->error[0])
            continue; /* not reached */
        int row = et_table_add_row(t);
        et_table_set_text(t, row, C_POINT, p->name);
        et_table_set_text(t, row, C_KIND, kind_name(p, res, i));
        et_table_set_text(t, row, C_LAYERS, p->k.layers);
        if (p->kind == ET_SP_FINALIST)
            set_prediction(t, row, res, i);
        if (!p->measured) {
            et_table_set_text(t, row, C_ERROR, p->error);
            et_table_add_note(t, "%s: %s", p->name, p->error);
            continue;
        }
        et_table_set_num(t, row, C_P50, p->r.latency.p50_ms);
        if (!isnan(p->paired_p50_ms))
            et_table_set_num(t, row, C_PAIRED, p->paired_p50_ms);
        et_table_set_num(t, row, C_SIZE, (double)p->bytes / 1024.0);
        et_table_set_num(t, row, C_DROP_S, 100.0 * (ref->q_search - p->q_search));
        et_table_set_num(t, row, C_DROP_H, 100.0 * (ref->q_heldout - p->q_heldout));
        et_table_set_num(t, row, C_HELD, 100.0 * p->q_heldout);
        et_table_set_text(t, row, C_PARETO, front && front[i] ? "yes" : "");
        if (ids && ids[i] > 0)
            et_table_set_num(t, row, C_RUN, (double)ids[i]);
    }
    const char *q = res->is_accuracy ? "accuracy" : "top-1 agreement with fp32";
    et_table_add_note(t,
                      "evaluation set: %d inputs from %s; search half: the %d at even positions (the sensitivity, "
                      "the knapsack and the choice of winner and best uniform use it), held-out half: the %d at odd "
                      "positions (only reported; one input is %.3f pp of it)",
                      res->n_eval, res->eval_source, res->n_search, res->n_heldout,
                      res->n_heldout ? 100.0 / res->n_heldout : NAN);
    add_bar_notes(t, cfg, res);
    et_table_add_note(t,
                      "drop: the fp32 reference's %s minus the point's, percentage points, on each half; "
                      "held-out: the point's %s on the held-out half",
                      q, q);
    et_table_add_note(
        t,
        "predicted (finalists): from the point named under 'predicted from' (the base for "
        "the knapsack's finalists, the start or the best move for moves, the uniform point for the start): p50 = "
        "that point's paired p50 (its fastest of the rounds when it was not timed in the paired rounds) minus the "
        "time the changed layers save against its settings (per-layer "
        "profile, sensitivity: every step a layer's change moved; two changes moving one step combine as "
        "fractions of its work, (1 - a)(1 - b)); size = the finalist's own weights, "
        "exactly (a tune of its knobs without recovery: bytes depend on shapes and widths only; where that tune "
        "fails, that point's measured size minus the bytes saved, each channel group counted once); drop = its drop plus the drop model's scale (when the finalist was chosen) x the "
        "layers' drops (each at least one input of the search half, or --max-drop / layers when less); "
        "additive drop: the base's drop plus the layers' drops unscaled; p50 error: (predicted - measured) / "
        "measured, measured = the finalist's paired p50 when it and the point predicted from were both timed in "
        "the paired rounds (the same rounds: the machine's state alike on both sides), else both the fastest of "
        "the rounds");
    char pred_line[256];
    et_search_pred_summary ps = et_search_pred_summarize(res, ET_SEARCH_PRED_TOL_PCT);
    et_table_add_note(t, "%s", et_search_pred_say(&ps, pred_line, sizeof pred_line));
    char timing[96];
    if (cfg->point_s > 0)
        snprintf(timing, sizeof timing, "%d rounds, each at least %g s and %d iterations", cfg->rounds, cfg->point_s,
                 cfg->iters);
    else
        snprintf(timing, sizeof timing, "%d rounds of %d iterations", cfg->rounds, cfg->iters);
    et_table_add_note(t,
                      "p50: per inference on this machine, the fastest of %s; size: the weights as stored; pareto: "
                      "no other measured point is %s and at least as good on the held-out half",
                      timing, cfg->objective == ET_SEARCH_SIZE ? "smaller" : "faster");
    add_model_notes(t, res);
    if (res->winner >= 0 && res->best_uniform >= 0) {
        add_winner_note(t, cfg, res);
    } else if (res->winner < 0) {
        et_table_add_note(t, "no finalist measured within %.2f pp on the search half", res->bar_pp);
    }
    if (res->n_sens < res->sens_base.n_points)
        et_table_add_note(t,
                          "sensitivity: %d of %d layer x candidate points measured (stopped); the others were "
                          "not candidates",
                          res->n_sens, res->sens_base.n_points);
    if (res->uniform_skipped > 0)
        et_table_add_note(t,
                          "uniform grid: %d points not measured (the grid stops at 70 %% of --budget so that "
                          "finalists are measured; the base's precision first); the best uniform is the best of "
                          "those measured",
                          res->uniform_skipped);
    if (res->out_of_time)
        et_table_add_note(t, "--budget reached: points not measured are left out");
    else if (res->rounds_cut)
        et_table_add_note(t, "--budget reached in the later latency rounds: some points have fewer than %d rounds",
                          cfg->rounds);
    if (res->cancelled)
        et_table_add_note(t, "stopped: the points measured so far");
    if (res->failed)
        et_table_add_note(t, "ended by an error: the points measured before it (no paired timing): %s", res->error);
    et_table_add_note(t, "search took %.1f s", res->elapsed_s);
    free(cost), free(qual), free(front);
    return t;
}

/* Writes the winner's overrides as a --layers-config file (search_job.h); returns 0 or 2, said on stderr. */
static int write_config(const char *path, const char *model, const et_search_point *w, const et_search_point *ref) {
    et_err e = {0};
    if (et_search_write_config(path, model, w, ref, &e) != ET_OK) {
        fprintf(stderr, "edgetune: %s\n", e.msg);
        return 2;
    }
    return 0;
}

/* What the command line asks for; cand holds the parsed candidates (cfg.cand points into it). */
typedef struct search_args {
    const char *model, *out;
    et_tensor_args targs;
    et_data_args data;
    et_knobs knobs;
    et_table_format fmt;
    et_search_config cfg;
    bool save;
    char cand[ET_SENS_MAX_CANDIDATES][ET_SENS_CAND_BYTES];
    char fidelity[512]; /* fidelity mode: what it measures on ("" with an evaluation set) */
} search_args;

/* --objective energy: on a machine without a power sensor (edgetune doctor's probes; EDGETUNE_SYSROOT for a fixture
 * tree) it cannot be measured at all; with one, the objective is not implemented yet. Exit 2 either way, one line. */
static int energy_refused(void) {
    et_doctor_report *r = calloc(1, sizeof *r);
    et_err e = {0};
    if (!r || et_doctor_collect(NULL, r, &e) != ET_OK) {
        free(r);
        return et_cli_usage_error("search",
                                  "--objective energy: cannot probe the power sensors (%s); use --objective "
                                  "latency",
                                  e.msg[0] ? e.msg : "out of memory");
    }
    int rc =
        r->power_source[0]
            ? et_cli_usage_error("search",
                                 "--objective energy is not yet supported (power sensor here: %s); use "
                                 "--objective latency or size",
                                 r->power_source)
            : et_cli_usage_error("search",
                                 "no power sensor on this machine: --objective energy cannot be measured (no RAPL, "
                                 "hwmon power/energy, Jetson INA3221 or Raspberry Pi 5 PMIC; see 'edgetune "
                                 "doctor'); use --objective latency");
    free(r);
    return rc;
}

/* Parses argv into *sa; returns 0, or the exit code of a usage error (2, said on stderr). */
static int parse(int argc, char **argv, search_args *sa) {
    et_args a = et_args_start("search", argc, argv);
    et_tensor_args *targs = &sa->targs;
    et_knobs *knobs = &sa->knobs;
    et_data_args *data = &sa->data;
    *knobs = et_knobs_default();
    const char *cands = NULL, *v, *max_drop = NULL; /* NULL: the objective's default */
    const char *u_bits = UNIFORM_BITS, *u_act = UNIFORM_ACT, *u_prune = UNIFORM_PRUNE, *u_methods = UNIFORM_METHODS;
    sa->fmt = ET_TABLE_TEXT;
    sa->cfg = et_search_config_default();
    et_search_config cfg = sa->cfg;
    long iters = cfg.iters, warmup = cfg.warmup, rounds = cfg.rounds, sens_iters = cfg.sens_iters;
    long paired_rounds = cfg.paired_rounds, sens_max = 0;
    long finalists = cfg.n_finalists;
    double budget_min = 0.0;
    sa->save = true;
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, targs)) != 0 || (r = et_args_knob_flag(&a, knobs)) != 0 ||
            (r = et_args_data_flag(&a, data)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_value(&a, "--candidates", &cands) || et_args_value(&a, "-o", &sa->out) ||
                   et_args_value(&a, "--max-drop", &max_drop) || et_args_value(&a, "--uniform-bits", &u_bits) ||
                   et_args_value(&a, "--uniform-act-bits", &u_act) || et_args_value(&a, "--uniform-prune", &u_prune) ||
                   et_args_value(&a, "--uniform-methods", &u_methods)) {
        } else if (et_args_value(&a, "--objective", &v)) {
            if (strcmp(v, "latency") == 0)
                cfg.objective = ET_SEARCH_LATENCY;
            else if (strcmp(v, "size") == 0)
                cfg.objective = ET_SEARCH_SIZE;
            else if (strcmp(v, "energy") == 0)
                return energy_refused();
            else
                return et_cli_usage_error("search", "--objective '%s': give latency or size", v);
        } else if (et_args_value(&a, "--budget", &v)) {
            if (!et_cli_parse_double("search", "--budget", v, 0.01, 100000, &budget_min))
                return 2;
        } else if (et_args_value(&a, "--iters", &v)) {
            if (!et_cli_parse_long("search", "--iters", v, 1, 100000, &iters))
                return 2;
        } else if (et_args_value(&a, "--sens-max-points", &v)) {
            if (!et_cli_parse_long("search", "--sens-max-points", v, 1, 1000000, &sens_max))
                return 2;
        } else if (et_args_value(&a, "--sens-iters", &v)) {
            if (!et_cli_parse_long("search", "--sens-iters", v, 1, 100000, &sens_iters))
                return 2;
        } else if (et_args_value(&a, "--warmup", &v)) {
            if (!et_cli_parse_long("search", "--warmup", v, 0, 100000, &warmup))
                return 2;
        } else if (et_args_value(&a, "--seconds", &v)) {
            if (!et_cli_parse_double("search", "--seconds", v, 0.0, 3600.0, &cfg.point_s))
                return 2;
        } else if (et_args_value(&a, "--paired-rounds", &v)) {
            if (!et_cli_parse_long("search", "--paired-rounds", v, 0, ET_SEARCH_PAIRED_MAX_ROUNDS, &paired_rounds))
                return 2;
        } else if (et_args_value(&a, "--rounds", &v)) {
            if (!et_cli_parse_long("search", "--rounds", v, 1, 100, &rounds))
                return 2;
        } else if (et_args_value(&a, "--finalists", &v)) {
            if (!et_cli_parse_long("search", "--finalists", v, 1, ET_SEARCH_MAX_FINALISTS, &finalists))
                return 2;
        } else if (et_args_value(&a, "--format", &v)) {
            if (et_cli_table_format("search", v, &sa->fmt) != 0)
                return 2;
        } else if (et_args_flag(&a, "--json")) {
            sa->fmt = ET_TABLE_JSON;
        } else if (et_args_flag(&a, "--no-save")) {
            sa->save = false;
        } else if (et_args_flag(&a, "--fresh")) {
            cfg.fresh_sens = true;
        } else if (!et_args_positional(&a, &sa->model)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!sa->model)
        return et_cli_usage_error("search", "give the model file");
    if (!max_drop)
        return et_cli_usage_error("search", "give --max-drop PP (the accuracy drop allowed, percentage points)");
    if (!et_cli_parse_double("search", "--max-drop", max_drop, 0.0, 100.0, &cfg.max_drop_pp))
        return 2;
    char(*cand)[ET_SENS_CAND_BYTES] = sa->cand;
    int n_cand = 0;
    et_err err = {0};
    if (!cands)
        cands = et_search_default_candidates(cfg.objective);
    if (et_sens_parse_candidates(cands, cand, &n_cand, &err) != ET_OK)
        return et_cli_usage_error("search", "%s", err.msg);
    for (int i = 0; i < n_cand; i++)
        if (strstr(cand[i], "recover="))
            return et_cli_usage_error("search",
                                      "--candidates '%s': recover= as a search candidate is not yet supported; "
                                      "give --recover none|bias|full for every point (--layer NAME:recover=M "
                                      "sets one layer's in the base knobs)",
                                      cand[i]);
    if (et_sweep_parse(u_bits, u_act, u_prune, u_methods, &cfg.uniform, &err) != ET_OK)
        return et_cli_report(&err);
    cfg.iters = (int)iters, cfg.warmup = (int)warmup, cfg.rounds = (int)rounds, cfg.sens_iters = (int)sens_iters;
    cfg.paired_rounds = (int)paired_rounds;
    cfg.sens_max_points = (int)sens_max;
    cfg.n_finalists = (int)finalists;
    cfg.budget_s = budget_min * 60.0;
    cfg.cand = cand;
    cfg.n_cand = n_cand;
    cfg.cancel = &stop_requested;
    cfg.progress = progress;

    sa->cfg = cfg;
    return 0;
}

/* Stores the measured points (db NULL: --no-save) as runs labelled as one search, prints the table and writes
 * the -o file. Returns 0 or the exit code of a failed store or write. */
static int report(et_db *db, const search_args *sa, et_search_result *res, const char *model_name) {
    int rc = 0;
    int64_t *ids = calloc((size_t)res->n_pts + 1, sizeof *ids);
    char group[48] = "";
    et_err e = {0};
    if (db && ids && et_search_store(db, res, group, sizeof group, ids, &e) != ET_OK)
        rc = et_cli_report(&e);
    et_table *t = rc == 0 ? build_table(model_name, &sa->cfg, res, db ? ids : NULL) : NULL;
    if (t && sa->fidelity[0])
        et_table_add_note(t, "%s", sa->fidelity);
    if (t && db)
        et_table_add_note(t, "stored as runs labelled '%s: ...' in %s", group, et_db_path(db));
    rc = t ? et_cli_write_table(t, sa->fmt, NULL) : rc;
    et_table_free(t);
    free(ids);
    if (rc == 0 && sa->out && res->winner >= 0)
        rc = write_config(sa->out, sa->model, &res->pts[res->winner], &res->pts[0]);
    else if (rc == 0 && sa->out)
        fprintf(stderr, "edgetune: search: no winner; %s not written\n", sa->out);
    return rc;
}

int et_cmd_search(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    search_args sa;
    memset(&sa, 0, sizeof sa);
    int rc = parse(argc, argv, &sa);
    if (rc != 0)
        return rc;
    sa.cfg.cand = sa.cand;
    et_search_config cfg = sa.cfg;
    et_err err = {0};
    et_db *db = NULL;
    et_search_sessions ss = {0};
    if (sa.save && et_db_open(cli->db_path, ET_DB_WRITE, &db, &err) != ET_OK)
        return et_cli_report(&err);
    cfg.db = db;
    et_session_input_file files[ET_MAX_CLI_TENSORS];
    et_session_options so = {.model_path = sa.model};
    et_args_session(&sa.targs, &sa.data, files, &so);
    if (et_search_sessions_open(&so, sa.knobs.recover != ET_RECOVER_NONE, &ss, &err) != ET_OK) {
        rc = et_cli_report(&err);
        goto done;
    }
    et_session *s = ss.s, *prof = ss.prof;
    et_cli_note(et_session_notes(s));
    snprintf(sa.fidelity, sizeof sa.fidelity, "%s", ss.fidelity);
    if (sa.fidelity[0])
        fprintf(stderr, "search: %s\n", sa.fidelity);
    struct sigaction act = {0}, old_int, old_term;
    act.sa_handler = on_signal;
    sigaction(SIGINT, &act, &old_int);
    sigaction(SIGTERM, &act, &old_term);
    et_session_set_progress(s, NULL, NULL, (const volatile int *)&stop_requested);
    et_session_set_progress(prof, NULL, NULL, (const volatile int *)&stop_requested);
    et_search_result res;
    et_status st = et_search_run(prof, s, &sa.knobs, &cfg, &res, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (res.failed && et_search_measured(&res) == 0) { /* nothing measured (the reference failed): the error only */
        rc = et_cli_report(&err);
        et_search_result_free(&res);
        goto done;
    }
    if (st == ET_E_CANCELLED)
        fprintf(stderr, "edgetune: %s\n", err.msg);
    /* finished, stopped, or failed in a later phase: what was measured is printed and stored either way */
    rc = report(db, &sa, &res, et_session_model(s)->name);
    if (res.failed) { /* the one error line last, and its exit code (2 bad input, 1 otherwise) */
        int code = et_cli_report(&err);
        rc = rc != 0 ? rc : code;
    }
    if (rc == 0 && res.winner < 0)
        rc = 1;
    for (int i = 0; rc == 0 && i < res.n_pts; i++)
        rc = res.pts[i].error[0] ? 1 : 0;
    if (st == ET_E_CANCELLED && stop_requested == 1)
        rc = 130;
    et_search_result_free(&res);
done:
    et_search_sessions_close(&ss);
    et_db_close(db);
    return rc;
}
