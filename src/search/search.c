/* search.c: the search over per-layer configurations (search.h): reference, sensitivity, knapsack, measured
 * finalists and uniform grid. The session `s` is reconfigured point after point; nothing here prints. */
#include "search/search.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "bench/sensitivity_store.h"
#include "bench/step_saved.h"
#include "record/layer_knobs.h"
#include "search/search_dp.h"
#include "search/search_paired.h"
#include "search/search_pred.h"
#include "search/size_model.h"
#include "tune/tune.h"
#include "util/clock.h"

/* The knapsack's unit: 0.01 pp, finer than any evaluation set resolves (10,000 inputs per half). */
#define DP_UNIT_PP 0.01

/* Refinement rounds after the first finalists: the drop model refitted, the knapsack again (two more finalists
 * each, new choices only). */
enum { REFINE = 2 };

/* Paired timing (search_paired.h): every finalist, and the fastest uniform points within the drop, timed again. */
enum { PAIRED_UNIFORM = 2 };

/* The paired timing keeps each point's plan and tuned graph between rounds while their weights (packed, and as
 * tuned) and arenas add up to at most this; a point beyond it is prepared again for each timing (an int8 ResNet-50
 * holds its 25 M weights twice, packed and as tuned: a dozen such points, ~0.6 GiB, estimated, is too much beside
 * a search on a 4 GiB board). */
#define PAIRED_KEEP_BYTES ((int64_t)512 << 20)

/* The drop model's observations count up to this many times --max-drop (drop_model.h says why). */
#define DROP_LIMIT 3.0
/* A sensitivity point's evaluation stops once it has lost more than this many times --max-drop (et_sens_config
 * stop_drop_pp): the knapsack from the base prices a point at its drop x the drop model's scale, at least
 * ET_DROP_SCALE_MIN (1/4), against a budget of at most --max-drop, so a point that loses more than 4 x --max-drop
 * never fitted; such a point is left out as a candidate (its drop is only a bound), in the moves too. Why: at
 * 224x224 a channel-pruned layer that loses 20-68 pp spent ~1.5 s of CPU evaluating 256 inputs it did not need. */
#define STOP_DROP (1.0 / ET_DROP_SCALE_MIN)

/* The sensitivity points are screened on about this many inputs of the search half (every k-th of it, k the
 * smallest that leaves at most this many); the reference, the base, the uniform grid and the finalists are evaluated
 * on the whole set. Why: a point costs its evaluation (~1.7 ms an input for int8 torchvision MobileNetV2 at 224x224
 * on 2 threads), and 159 points on a 1,000-input half did not fit half of a 10-minute --budget; 256 inputs did
 * (session 14: ~2 s a point). The finalists, measured on the whole half, are what the winner is chosen by. */
enum { SCREEN_INPUTS = 256 };

/* How many standard deviations of noise a measured drop on the search half is kept below --max-drop (bar_pp). */
#define BAR_Z 1.0

/* Finalists of the moves from the best uniform point: the start, two per round, two rounds (and room). */
enum { MOVES = 8 };

et_search_config et_search_config_default(void) {
    return (et_search_config){.iters = 50,
                              .point_s = 0.25,
                              .warmup = 5,
                              .sens_iters = 20,
                              .rounds = 2,
                              .paired_rounds = 9,
                              .n_finalists = 4,
                              .objective = ET_SEARCH_LATENCY,
                              .fail_at = getenv("EDGETUNE_SEARCH_FAIL_AT")}; /* the test hook; unset: NULL */
}

const char *et_search_default_candidates(et_search_objective o) {
    return o == ET_SEARCH_SIZE ? ET_SEARCH_SIZE_CANDIDATES : ET_SEARCH_DEFAULT_CANDIDATES;
}

double et_search_objective_value(const et_search_point *p, et_search_objective o) {
    if (!p->measured)
        return NAN;
    return o == ET_SEARCH_SIZE ? (double)p->bytes : p->r.latency.p50_ms;
}

int et_search_measured(const et_search_result *res) {
    int n = 0;
    for (int i = 0; res->pts && i < res->n_pts; i++)
        n += res->pts[i].measured;
    return n;
}

void et_search_result_free(et_search_result *out) {
    for (int i = 0; out->pts && i < out->n_pts; i++)
        et_result_free(&out->pts[i].r);
    free(out->pts);
    free(out->sens);
    memset(out, 0, sizeof *out);
}

typedef struct run_state {
    const et_search_config *cfg;
    double t0, deadline;  /* deadline 0: none */
    double grid_deadline; /* no uniform point's first measurement starts after it (0: none): GRID_SHARE */
    int32_t *ref_top1;    /* the reference's top-1 per input (owned) */
    int n_done_measures;
    double measure_s;    /* time spent measuring points so far (for "time left") */
    et_size_model *size; /* --objective size: exact bytes of a configuration (size_model.h); NULL otherwise */
    int screen_thin;     /* the sensitivity evaluates every screen_thin-th input of the search half (SCREEN_INPUTS) */
} run_state;

static void say(const run_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const run_state *st, const char *fmt, ...) {
    if (!st->cfg->progress)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    st->cfg->progress(st->cfg->progress_ctx, line);
}

/* The step for a view (cfg->on_step), when there is one. */
static void step(const run_state *st, const char *phase, int done, int total, int round, double left_s,
                 const et_search_result *res, int point) {
    if (!st->cfg->on_step)
        return;
    et_search_step s = {.phase = phase,
                        .done = done,
                        .total = total,
                        .round = round,
                        .rounds = st->cfg->rounds,
                        .left_s = left_s,
                        .res = res,
                        .point = point};
    st->cfg->on_step(st->cfg->progress_ctx, &s);
}

static bool user_stopped(const run_state *st) { return st->cfg->cancel && *st->cfg->cancel == 1; }

/* The test hook (et_search_config.fail_at): ET_E_RUNTIME at the start of `phase` when asked, else ET_OK. */
static et_status injected(const run_state *st, const char *phase, et_err *err) {
    if (!st->cfg->fail_at || strcmp(st->cfg->fail_at, phase) != 0)
        return ET_OK;
    return et_fail(err, ET_E_RUNTIME, "search: %s: a failure injected by the test hook (EDGETUNE_SEARCH_FAIL_AT)",
                   phase);
}
static bool out_of_time(const run_state *st) { return st->deadline > 0 && et_clock_s() > st->deadline; }

/* The share of --budget after which no uniform point is measured for the first time: with --recover full a uniform
 * point is a whole-model recovery (~20 s on torchvision MobileNetV2 at 224x224), and the grid took the rest of a
 * 10-minute budget after the sensitivity's half, so no finalist was ever measured (session 14). The points left
 * out are counted (et_search_result.uniform_skipped) and the best uniform is the best of those measured; the grid
 * runs the base's precision first (make_points), so those are the ones left out last. */
#define GRID_SHARE 0.7

/* Measures p in round `round` on s: configure, bench (fidelity in round 0), keep the faster latency. A failure
 * goes to p->error (round 0). ET_E_CANCELLED when stopped. */
static et_status measure_point(et_session *s, et_search_point *p, int round, run_state *st) {
    const et_search_config *cfg = st->cfg;
    et_err e = {0};
    et_status rc = et_session_configure(s, &p->k, &e);
    et_result r;
    et_result_init(&r);
    if (rc == ET_OK) {
        et_bench_config bc = et_bench_config_default();
        bc.iters = cfg->iters;
        bc.seconds = cfg->point_s; /* iters is then the minimum: a 40 us model gets thousands, not 2 ms of timing */
        bc.warmup = cfg->warmup;
        bc.profilers = false;
        bc.fidelity = round == 0;
        bc.cancel = (const volatile int *)cfg->cancel;
        rc = et_bench_run(s, &bc, &r, &e);
    }
    if (rc != ET_OK) {
        if (rc != ET_E_CANCELLED && round == 0)
            snprintf(p->error, sizeof p->error, "%s", e.msg);
        et_result_free(&r);
        return rc;
    }
    if (!p->measured) {
        p->r = r;
        p->measured = true;
        p->bytes = et_session_tune_report(s)->weights_deploy_bytes;
        bool acc;
        p->q_search = et_sens_quality(&r, ET_SEARCH_SEARCH_HALF, st->ref_top1, &acc);
        p->q_heldout = et_sens_quality(&r, 1 - ET_SEARCH_SEARCH_HALF, st->ref_top1, &acc);
    } else if (r.latency.p50_ms < p->r.latency.p50_ms) { /* the faster round's timing, round 0's fidelity */
        et_fidelity_info f = p->r.fidelity;
        p->r.fidelity = r.fidelity;
        r.fidelity = f;
        et_latency_stats lat = r.latency;
        double *samples = r.samples_ms;
        int n_samples = r.n_samples;
        r.samples_ms = p->r.samples_ms, r.n_samples = p->r.n_samples;
        p->r.samples_ms = samples, p->r.n_samples = n_samples;
        p->r.latency = lat;
        et_result_free(&r);
    } else {
        et_result_free(&r);
    }
    return ET_OK;
}

static void point_name(const et_knobs *k, char *buf, size_t len) {
    char q[32], p[48] = "";
    if (k->weight_bits == 32 && k->act_bits == 32)
        snprintf(q, sizeof q, "fp32");
    else if (k->act_bits == 8)
        snprintf(q, sizeof q, "w%da8", k->weight_bits);
    else
        snprintf(q, sizeof q, "w%d", k->weight_bits);
    if (k->prune_ratio > 0.0f)
        snprintf(p, sizeof p, " + %.0f%% %s", k->prune_ratio * 100.0, et_prune_method_name(k->prune_method));
    snprintf(buf, len, "%s%s", q, p);
}

/* The fields a new point has unknown until set: NaN. */
static void point_unknown(et_search_point *p) {
    p->budget_pp = p->pred_p50_ms = p->pred_q_search = NAN;
    p->additive_pp = p->model_scale = p->paired_p50_ms = NAN;
    p->pred_saved_ms = p->pred_paired_ms = NAN;
    for (int r = 0; r < ET_SEARCH_PAIRED_MAX_ROUNDS; r++)
        p->paired_ms[r] = NAN;
    p->pred_from = -1;
}

/* The reference (fp32) point: measured first; its top-1 per input is copied for agreement without labels. */
static et_status measure_reference(et_session *s, et_search_result *out, run_state *st, et_err *err) {
    et_search_point *ref = &out->pts[0];
    et_status rc = measure_point(s, ref, 0, st);
    if (rc != ET_OK)
        return rc == ET_E_CANCELLED ? et_fail(err, rc, "search cancelled while measuring the fp32 reference")
                                    : et_fail(err, rc, "search: the fp32 reference: %s", ref->error);
    const et_fidelity_info *f = &ref->r.fidelity;
    if (f->status != ET_AVAIL_OK || f->n_per_input < 2 || !f->top1)
        return et_fail(err, ET_E_INPUT,
                       "search: the fp32 reference has no per-input results on the evaluation set (%s); give an "
                       "evaluation set with --eval PATH (at least 2 inputs)",
                       f->why[0] ? f->why : "none");
    st->ref_top1 = malloc((size_t)f->n_per_input * sizeof *st->ref_top1);
    if (!st->ref_top1)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    memcpy(st->ref_top1, f->top1, (size_t)f->n_per_input * sizeof *st->ref_top1);
    /* measured again now that ref_top1 exists (agreement of the reference with itself: 1) */
    bool acc;
    ref->q_search = et_sens_quality(&ref->r, ET_SEARCH_SEARCH_HALF, st->ref_top1, &acc);
    ref->q_heldout = et_sens_quality(&ref->r, 1 - ET_SEARCH_SEARCH_HALF, st->ref_top1, &out->is_accuracy);
    out->n_eval = f->n_per_input;
    out->n_search = (f->n_per_input + 1 - ET_SEARCH_SEARCH_HALF) / 2;
    out->n_heldout = f->n_per_input - out->n_search;
    snprintf(out->eval_source, sizeof out->eval_source, "%s", f->eval_source);
    step(st, "reference", 1, 1, 1, -1.0, out, 0);
    return ET_OK;
}

typedef struct sens_ctx {
    run_state *st;
    const et_search_result *out;
    double phase_deadline;
    int max_points; /* et_search_config.sens_max_points */
    bool hit_max;   /* the stop was max_points', not the deadline's */
    bool from_base; /* recovered points start from the base's recovery (et_sens_config.recover_from_base) */
} sens_ctx;

/* Stores the sensitivity points of an analysis (when a database is open) and says how many were taken from an
 * earlier one; a database problem is said and the search goes on. */
static void said_store(run_state *st, et_sens_store *store, const et_sens_point *pts, int n) {
    if (et_sens_store_finish(store, pts, n, NULL) != ET_OK || store->error[0])
        say(st, "sensitivity not stored: %s", store->error);
    if (store->n_reused > 0)
        say(st,
            "sensitivity: %d of %d points taken from run %lld (an earlier analysis of the same setting; --fresh "
            "measures them again)",
            store->n_reused, n, (long long)store->known_run);
}

static void sens_progress(void *ctx, int done, int total, const et_sens_point *p) {
    sens_ctx *c = ctx;
    if (p && p->measured)
        say(c->st, "sensitivity %d of %d: %s %s: %s%+.2f pp%s, saves %.4f ms, %.1f KiB", done, total, p->layer,
            p->candidate, p->quality_bound ? "at most " : "", p->quality_delta_pp,
            p->quality_bound ? " (evaluation stopped early: not a candidate)" : "", p->time_saved_ms,
            (double)p->bytes_saved / 1024.0);
    else if (p)
        say(c->st, "sensitivity %d of %d: %s %s: %s%s", done, total, p->layer, p->candidate,
            p->not_applicable ? "" : "failed: ", p->error);
    else if (c->from_base)
        say(c->st,
            "sensitivity: base measured, %d points to go (each recovered from the base's recovery: the changed "
            "layers solved again on the base's statistics, the layers after them not refit, an approximation; the "
            "grid and the finalists are recovered in full)",
            total);
    else
        say(c->st, "sensitivity: base measured, %d points to go", total);
    step(c->st, "sensitivity", done, total, 0, -1.0, c->out, -1);
    volatile int *cancel = c->st->cfg->cancel;
    if (cancel && *cancel == 0 && c->max_points > 0 && done >= c->max_points)
        *cancel = 2, c->hit_max = true; /* as many points as asked: go on with them */
    else if (cancel && *cancel == 0 && c->phase_deadline > 0 && et_clock_s() > c->phase_deadline)
        *cancel = 2; /* this phase's share of --budget is spent: go on with what was measured */
}

/* What per-layer points pt[l] (NULL: the layer as the base has it) save against the base, ms and bytes, with each
 * channel group counted once: a group is pruned as a whole by the largest ratio its layers ask for (prune_channel.c),
 * and a sensitivity point of any one layer measured exactly that (its time saved counts every step the group's
 * pruning moved: its producers, their readers; bench/step_saved.h), so of the channel-pruning candidates in one
 * group only the one with the largest ratio counts (a candidate that also changes bits loses its bits part when
 * another layer of its group counts: not measured apart). group[l]: et_tune_channel_groups (NULL: no groups
 * known). Any other candidate counts in full. The sum stays a sum of each point's one figure (the figure the
 * sensitivity table shows, the database keeps and the knapsack adds), less one correction: where two counted
 * points moved the same step (a convolution reading one pruned group and writing another), their parts of it
 * combine as fractions of its work (et_step_overlap_ms), not as a sum that can exceed the step. */
static void savings(const et_sens_point *const *pt, const int *group, int L, double *ms, int64_t *bytes) {
    *ms = 0.0, *bytes = 0;
    const et_sens_point **counted_pts = calloc((size_t)L + 1, sizeof *counted_pts);
    int n_counted = 0;
    for (int l = 0; l < L; l++) {
        if (!pt[l] || !pt[l]->measured)
            continue;
        double r = et_sens_channel_ratio(pt[l]->candidate, NULL);
        bool counted = true; /* false: another layer of the group asks for more (or as much, and comes first) */
        for (int j = 0; group && r >= 0.0 && group[l] >= 0 && j < L && counted; j++) {
            if (j == l || group[j] != group[l] || !pt[j] || !pt[j]->measured)
                continue;
            double rj = et_sens_channel_ratio(pt[j]->candidate, NULL);
            counted = !(rj > r || (rj == r && j < l));
        }
        if (counted) {
            *ms += pt[l]->time_saved_ms;
            *bytes += pt[l]->bytes_saved;
            if (counted_pts)
                counted_pts[n_counted++] = pt[l];
        }
    }
    if (counted_pts) /* (NULL, out of memory: the plain sum) */
        *ms -= et_step_overlap_ms(counted_pts, n_counted);
    free(counted_pts);
}

/* Finalist knobs: the base with each changed layer's candidate as an override. */
static et_status finalist_knobs(const et_knobs *base, const et_sens_point *sens, const int *layer_first, int n_layers,
                                const int *pick, et_knobs *k, int *n_changed, et_err *err) {
    *k = *base;
    *n_changed = 0;
    for (int l = 0; l < n_layers; l++) {
        if (pick[l] == 0)
            continue;
        const et_sens_point *p = &sens[layer_first[l] + pick[l] - 1];
        char spec[sizeof p->layer + ET_SENS_CAND_BYTES + 2];
        snprintf(spec, sizeof spec, "%s:%s", p->layer, p->candidate);
        et_status rc = et_knobs_add_layer_spec(k, spec, err);
        if (rc != ET_OK)
            return rc;
        (*n_changed)++;
    }
    return ET_OK;
}

/* The knapsack's per-layer picks as knobs, for the size model (et_size_knobs_fn). */
typedef struct pick_ctx {
    const et_knobs *base;
    const et_sens_point *sens;
    const int *first;
    int n_layers;
} pick_ctx;

static et_status pick_knobs(void *ctx, const int *set, et_knobs *k, et_err *err) {
    const pick_ctx *c = ctx;
    int n_changed = 0;
    return finalist_knobs(c->base, c->sens, c->first, c->n_layers, set, k, &n_changed, err);
}

/* Passes of the size knapsack after the first (SIZE_PASSES: the pick seldom moves after two). */
enum { SIZE_PASSES = 3 };

/* The knapsack for the size objective with gains that do not double count. The first pass used the sensitivity
 * points' bytes_saved (each layer changed alone from the base: a pruned layer's point counts its readers' input
 * channels at their base width, so two pruned neighbours both count the tensor between them, and a 4-bit reader's
 * share at 8 bits). Each further pass takes the last pick as the context and recomputes every option's gain
 * exactly in it (et_size_gains against the base: the bytes the layer's option saves with every other layer as
 * picked), then solves again, until the pick repeats. The shared tensor is then counted by each side at the size
 * the other side gives it. Gains stay a sum, so the DP's total is still an estimate; the finalist's predicted bytes
 * are exact (et_search_run). opts: n_layers rows of row options (NaN gains stay NaN: not measured). */
/* Every option's gain made exact in the context of `set` (et_size_gains; against_base: from the base, else from
 * set's own option of the layer): opts holds n_layers rows of `row` options, n_opt[l] of them used; an option not
 * measured keeps its NaN, a layer with nothing to choose (n_opt[l] < 2) is left as it is. size->knobs writes the
 * settings as knobs. Returns et_size_gains' error (opts then unchanged) or ET_E_NOMEM. */
static et_status exact_gains(et_size_model *size, const int *set, int n_layers, const int *n_opt, int row,
                             bool against_base, et_search_option *opts, et_err *err) {
    double *g = malloc(((size_t)n_layers * (size_t)row + 1) * sizeof *g);
    if (!g)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_status rc = et_size_gains(size, set, n_layers, n_opt, row, against_base, g, err);
    for (int l = 0; l < n_layers && rc == ET_OK; l++)
        for (int o = 0; o < n_opt[l] && n_opt[l] > 1; o++) {
            et_search_option *x = &opts[(size_t)l * (size_t)row + (size_t)o];
            if (!isnan(x->gain))
                x->gain = g[(size_t)l * (size_t)row + (size_t)o];
        }
    free(g);
    return rc;
}

static et_status size_knapsack(et_size_model *size, pick_ctx *pc, et_search_option *opts,
                               const et_search_option *const *opt, const int *n_opt, int n_layers, int row,
                               double budget_dp, int *pick, double *gain, double *cost, et_err *err) {
    int *prev = malloc(((size_t)n_layers + 1) * sizeof *prev);
    et_status rc = ET_OK;
    if (!prev)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    size->knobs = pick_knobs, size->ctx = pc;
    for (int pass = 0; pass < SIZE_PASSES && rc == ET_OK; pass++) {
        memcpy(prev, pick, (size_t)n_layers * sizeof *pick);
        if ((rc = exact_gains(size, pick, n_layers, n_opt, row, true, opts, err)) != ET_OK)
            break;
        if ((rc = et_search_dp(opt, n_opt, n_layers, budget_dp, DP_UNIT_PP, pick, gain, cost, err)) != ET_OK)
            break;
        if (memcmp(prev, pick, (size_t)n_layers * sizeof *pick) == 0)
            break;
    }
    free(prev);
    return rc;
}

/* Builds the knapsack from the sensitivity points and adds a finalist for each of the n budgets (pp above the base)
 * whose choice is new (not equal to a finalist already in out->pts) and changes something. A changed layer costs at
 * least floor_pp (one input of the search half): a change the set cannot resolve is not taken as free. The drops
 * are the drop model's: scale x the layers' sum (drop_model.h), so the knapsack fits the sum into budget / scale. */
static et_status add_finalists(const et_knobs *base, const et_search_config *cfg, et_search_result *out,
                               const double *budgets, int n, double floor_pp, const int *group, double scale,
                               et_size_model *size, et_err *err) {
    int n_cand = cfg->n_cand, n_layers = n_cand > 0 ? out->sens_base.n_points / n_cand : 0;
    et_search_option *opts = calloc((size_t)n_layers * (size_t)(n_cand + 1) + 1, sizeof *opts);
    const et_search_option **opt = calloc((size_t)n_layers + 1, sizeof *opt);
    int *n_opt = calloc((size_t)n_layers + 1, sizeof *n_opt), *first = calloc((size_t)n_layers + 1, sizeof *first);
    int *pick = calloc((size_t)n_layers + 1, sizeof *pick);
    const et_sens_point **pt = calloc((size_t)n_layers + 1, sizeof *pt);
    et_knobs *k = malloc(sizeof *k);
    et_status rc = ET_OK;
    if (!opts || !opt || !n_opt || !first || !pick || !pt || !k) {
        rc = et_fail(err, ET_E_NOMEM, "out of memory");
        goto done;
    }
    for (int l = 0; l < n_layers; l++) {
        et_search_option *o = opts + (size_t)l * (size_t)(n_cand + 1);
        opt[l] = o;
        n_opt[l] = n_cand + 1;
        first[l] = l * n_cand;
        for (int c = 0; c < n_cand; c++) {
            const et_sens_point *p = &out->sens[l * n_cand + c];
            double drop = -p->quality_delta_pp;
            o[c + 1].cost_pp = !p->measured || p->quality_bound ? NAN : drop > floor_pp ? drop : floor_pp;
            o[c + 1].gain = !p->measured                       ? NAN
                            : cfg->objective == ET_SEARCH_SIZE ? (double)p->bytes_saved
                                                               : p->time_saved_ms;
        }
    }
    for (int f = 0; f < n && out->n_pts < out->cap_pts; f++) {
        double budget = budgets[f] > 0.0 ? budgets[f] : 0.0, gain = 0.0, cost = 0.0;
        if ((rc = et_search_dp(opt, n_opt, n_layers, budget / scale, DP_UNIT_PP, pick, &gain, &cost, err)) != ET_OK)
            goto done;
        pick_ctx pc = {.base = base, .sens = out->sens, .first = first, .n_layers = n_layers};
        if (size && (rc = size_knapsack(size, &pc, opts, opt, n_opt, n_layers, n_cand + 1, budget / scale, pick, &gain,
                                        &cost, err)) != ET_OK)
            goto done;
        int n_changed = 0;
        if ((rc = finalist_knobs(base, out->sens, first, n_layers, pick, k, &n_changed, err)) != ET_OK) {
            et_err_prefix(err, "search: a finalist: ");
            goto done;
        }
        bool dup = n_changed == 0;
        for (int j = 0; j < out->n_pts && !dup; j++)
            dup = out->pts[j].kind == ET_SP_FINALIST && strcmp(out->pts[j].k.layers, k->layers) == 0;
        if (dup)
            continue;
        int n_fin = 0;
        for (int j = 0; j < out->n_pts; j++)
            n_fin += out->pts[j].kind == ET_SP_FINALIST;
        et_search_point *p = &out->pts[out->n_pts];
        memset(p, 0, sizeof *p);
        et_result_init(&p->r);
        point_unknown(p);
        p->kind = ET_SP_FINALIST;
        p->k = *k;
        p->n_changed = n_changed;
        p->budget_pp = budget;
        snprintf(p->name, sizeof p->name, "finalist %d (%d layers, budget %.2f pp)", n_fin + 1, n_changed, budget);
        double saved_ms = 0.0;
        int64_t saved_bytes = 0;
        for (int l = 0; l < n_layers; l++)
            pt[l] = pick[l] ? &out->sens[first[l] + pick[l] - 1] : NULL;
        savings(pt, group, n_layers, &saved_ms, &saved_bytes);
        /* the savings here; et_search_run adds the base's measured p50 and bytes (the context they were measured
           in) */
        p->pred_from = out->base;
        p->pred_p50_ms = -saved_ms;
        p->pred_saved_ms = saved_ms;
        p->pred_bytes = -saved_bytes;
        p->pred_q_search = out->sens_base.quality - scale * cost / 100.0;
        p->additive_pp = cost;
        p->model_scale = scale;
        out->n_pts++;
    }
done:
    free(opts), free(opt), free(n_opt), free(first), free(pick), free(pt), free(k);
    return rc;
}

/* The drop model (drop_model.h) fitted to every measured point whose additive sum is known (finalists, and uniform
 * points whose setting is a candidate): its sum against its measured drop above the base, on the search half; those
 * beyond DROP_LIMIT x --max-drop left out. */
static et_drop_model refit(const et_search_result *out, double max_drop_pp) {
    et_drop_model m;
    et_drop_model_init(&m, DROP_LIMIT * max_drop_pp);
    for (int i = 0; i < out->n_pts; i++) {
        const et_search_point *p = &out->pts[i];
        if (p->measured && (p->kind == ET_SP_FINALIST || p->kind == ET_SP_UNIFORM))
            et_drop_model_add(&m, p->additive_pp, 100.0 * (out->sens_base.quality - p->q_search));
    }
    return m;
}

static const char *kind_word(et_search_kind k) {
    return k == ET_SP_FINALIST ? "finalist" : k == ET_SP_UNIFORM ? "uniform" : k == ET_SP_BASE ? "base" : "reference";
}

/* Points from `from` on, rounds r0 .. r1 - 1: round 0 measures those not yet measured, a later round times the
 * measured ones again; until done, stopped or out of time. The search measures every point's round 0 as it adds
 * points and the later rounds of all of them at the end (more_rounds): a second round of the uniform grid right
 * after its first took the rest of a 30-minute --budget on a loaded machine (each point configured again, ~10 s
 * with --recover full) and left no time for a single finalist. */
static et_status measure_all(et_session *s, et_search_result *out, int from, run_state *st, int r0, int r1) {
    const et_search_config *cfg = st->cfg;
    int total = (out->n_pts - from) * (r1 - r0), done = 0;
    for (int round = r0; round < r1; round++)
        for (int o = from; o < out->n_pts; o++, done++) {
            /* the base and the finalists first, then the uniform grid: a --budget that runs out leaves out
               uniform points, not what the search found */
            int n_first = 0;
            for (int j = from; j < out->n_pts; j++)
                n_first += out->pts[j].kind != ET_SP_UNIFORM;
            int i = -1;
            for (int j = from, seen = 0; j < out->n_pts && i < 0; j++)
                if ((out->pts[j].kind != ET_SP_UNIFORM) == (o - from < n_first) &&
                    seen++ == (o - from < n_first ? o - from : o - from - n_first))
                    i = j;
            et_search_point *p = &out->pts[i];
            if (round == 0 && p->measured)
                continue; /* the reference: measured first */
            if (round == 0 && p->kind == ET_SP_UNIFORM && st->grid_deadline > 0 && et_clock_s() > st->grid_deadline) {
                out->uniform_skipped++;
                continue;
            }
            if (round > 0 && !p->measured)
                continue;
            if (user_stopped(st))
                return ET_E_CANCELLED;
            if (out_of_time(st)) {
                if (round == 0)
                    out->out_of_time = true;
                else
                    out->rounds_cut = true; /* every point measured; some keep fewer rounds of timing */
                return ET_OK;
            }
            int of_kind = 0, n_kind = 0;
            for (int j = 0; j < out->n_pts; j++)
                if (out->pts[j].kind == p->kind) {
                    n_kind++;
                    of_kind += j <= i;
                }
            double per = st->n_done_measures ? st->measure_s / st->n_done_measures : 0.0;
            double left = per * (double)(total - done);
            if (st->deadline > 0 && st->deadline - et_clock_s() < left)
                left = st->deadline - et_clock_s();
            say(st, "round %d of %d: %s %d of %d (%s), time left ~%.0f s", round + 1, cfg->rounds, kind_word(p->kind),
                of_kind, n_kind, p->name, left);
            step(st, kind_word(p->kind), of_kind, n_kind, round + 1, st->n_done_measures ? left : -1.0, out, -1);
            double t = et_clock_s();
            et_status rc = measure_point(s, p, round, st);
            st->measure_s += et_clock_s() - t;
            st->n_done_measures++;
            if (rc == ET_E_CANCELLED)
                return rc;
            step(st, kind_word(p->kind), of_kind, n_kind, round + 1, left, out, i);
        }
    return ET_OK;
}

static int best_within(const et_search_result *out, et_search_kind kind, double max_drop_pp, et_search_objective o) {
    const et_search_point *ref = &out->pts[0];
    int best = -1;
    for (int i = 0; i < out->n_pts; i++) {
        const et_search_point *p = &out->pts[i];
        if (!p->measured || (p->kind != kind && !(kind == ET_SP_UNIFORM && p->kind == ET_SP_REFERENCE)))
            continue;
        double drop = 100.0 * (ref->q_search - p->q_search);
        if (!(drop <= max_drop_pp + 1e-9))
            continue;
        if (best < 0 || et_search_objective_value(p, o) < et_search_objective_value(&out->pts[best], o))
            best = i;
    }
    return best;
}

/* out->pts: the reference (the grid's first point, fp32), the uniform grid, and the base unless it is a grid point
 * (out->base its index); room for the finalists. ET_E_USAGE for a grid that is empty or too large; ET_E_NOMEM. */
static et_status make_points(const et_knobs *base, const et_search_config *cfg, et_search_result *out, et_err *err) {
    et_knobs *grid = calloc(ET_SWEEP_MAX, sizeof *grid);
    if (!grid)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_knobs plain = *base;
    memset(plain.layers, 0, sizeof plain.layers);
    int n_grid = et_sweep_grid(&cfg->uniform, &plain, grid, ET_SWEEP_MAX, err);
    if (n_grid < 0) {
        free(grid);
        return ET_E_USAGE;
    }
    out->cap_pts = n_grid + 2 + ET_SEARCH_MAX_FINALISTS + 2 * REFINE + MOVES;
    out->pts = calloc((size_t)out->cap_pts, sizeof *out->pts);
    if (!out->pts) {
        free(grid);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    /* the grid after the reference: the base's precision (weight and activation bits) first, in the sweep's order,
       then the rest: a --budget that cuts the grid (GRID_SHARE) leaves out the other precisions first */
    for (int i = 1, n_first = 1; i < n_grid; i++)
        if (grid[i].weight_bits == base->weight_bits && grid[i].act_bits == base->act_bits) {
            et_knobs k = grid[i]; /* stable: shift the others between n_first and i up by one */
            memmove(&grid[n_first + 1], &grid[n_first], (size_t)(i - n_first) * sizeof *grid);
            grid[n_first++] = k;
        }
    /* points: the reference (grid[0], fp32), the base (unless it is a grid point), the rest of the grid */
    for (int i = 0; i < n_grid; i++) {
        et_search_point *p = &out->pts[out->n_pts++];
        et_result_init(&p->r);
        p->k = grid[i];
        p->kind = i == 0 ? ET_SP_REFERENCE : ET_SP_UNIFORM;
        point_name(&p->k, p->name, sizeof p->name);
        point_unknown(p);
        if (memcmp(&p->k, base, sizeof *base) == 0)
            out->base = i + 1; /* +1: 0 means "not found" until the loop ends */
    }
    free(grid);
    if (out->base > 0) {
        out->base--;
    } else {
        et_search_point *p = &out->pts[out->n_pts];
        et_result_init(&p->r);
        p->k = *base;
        p->kind = ET_SP_BASE;
        point_name(base, p->name, sizeof p->name);
        if (et_knobs_has_layers(base))
            snprintf(p->name + strlen(p->name), sizeof p->name - strlen(p->name), " +layers");
        point_unknown(p);
        out->base = out->n_pts++;
    }
    return ET_OK;
}

/* ---- moves from the best uniform point (both ways) ---------------------------------------------------------- */

/* A layer's settings in the moves: 0 the base, 1..n_cand the candidates, n_cand + 1 the start's own setting when
 * it is no candidate (its sensitivities in ucol). */
typedef struct move_ctx {
    const et_knobs *base;
    const et_search_config *cfg;
    et_search_result *out;
    et_sens_point *ucol; /* n_layers points of the uniform setting (owned), NULL when it is a candidate */
    char ucand[ET_SENS_CAND_BYTES];
    int n_layers, n_opt;
    double floor_pp;
    const int *group;    /* per layer: its channel group (et_tune_channel_groups), NULL when unknown */
    et_size_model *size; /* --objective size: the moves' gains in the start's context (size_model.h); else NULL */
} move_ctx;

static const et_sens_point *opt_point(const move_ctx *M, int l, int o) {
    return o <= M->cfg->n_cand ? &M->out->sens[l * M->cfg->n_cand + o - 1] : &M->ucol[l];
}

/* The option's drop against the base (pp, at least floor_pp when changed) and gain; NaN when not measured. */
static double opt_drop(const move_ctx *M, int l, int o) {
    if (o == 0)
        return 0.0;
    const et_sens_point *p = opt_point(M, l, o);
    double d = -p->quality_delta_pp;
    return !p->measured || p->quality_bound ? NAN : d > M->floor_pp ? d : M->floor_pp;
}

static double opt_gain(const move_ctx *M, int l, int o) {
    if (o == 0)
        return 0.0;
    const et_sens_point *p = opt_point(M, l, o);
    return !p->measured ? NAN : M->cfg->objective == ET_SEARCH_SIZE ? (double)p->bytes_saved : p->time_saved_ms;
}

static const char *opt_cand(const move_ctx *M, int o) { return o <= M->cfg->n_cand ? M->cfg->cand[o - 1] : M->ucand; }

/* The knobs of per-layer settings `set`: the base with an override for each layer not at the base. */
static et_status set_knobs(const move_ctx *M, const int *set, et_knobs *k, int *n_changed, et_err *err) {
    *k = *M->base;
    *n_changed = 0;
    for (int l = 0; l < M->n_layers; l++) {
        if (set[l] == 0)
            continue;
        char spec[sizeof M->out->sens[0].layer + ET_SENS_CAND_BYTES + 2];
        snprintf(spec, sizeof spec, "%s:%s", M->out->sens[l * M->cfg->n_cand].layer, opt_cand(M, set[l]));
        et_status rc = et_knobs_add_layer_spec(k, spec, err);
        if (rc != ET_OK)
            return rc;
        (*n_changed)++;
    }
    return ET_OK;
}

static et_status move_knobs(void *ctx, const int *set, et_knobs *k, et_err *err) {
    int n_changed = 0;
    return set_knobs(ctx, set, k, &n_changed, err);
}

/* Adds a finalist for settings `set` unless a point already has its knobs: the predictions from the start (the
 * point `from`, measured or to be measured, quality q_from, settings sset) with drops scaled by alpha: its p50 and
 * size are from's measured ones plus what the changed layers save against the start's settings. Returns its index,
 * -1 when a duplicate or out of room. */
static int add_set(const move_ctx *M, const int *set, const int *sset, double q_from, int from, double alpha,
                   const char *name, double budget_pp, et_status *rc, et_err *err) {
    et_search_result *out = M->out;
    if (out->n_pts >= out->cap_pts)
        return -1;
    et_knobs *k = malloc(sizeof *k);
    if (!k) {
        *rc = et_fail(err, ET_E_NOMEM, "out of memory");
        return -1;
    }
    int n_changed = 0;
    if ((*rc = set_knobs(M, set, k, &n_changed, err)) != ET_OK) {
        et_err_prefix(err, "search: a move: ");
        free(k);
        return -1;
    }
    for (int j = 0; j < out->n_pts; j++)
        if (out->pts[j].kind == ET_SP_FINALIST && strcmp(out->pts[j].k.layers, k->layers) == 0) {
            free(k);
            return -1;
        }
    et_search_point *p = &out->pts[out->n_pts];
    memset(p, 0, sizeof *p);
    et_result_init(&p->r);
    point_unknown(p);
    p->kind = ET_SP_FINALIST;
    p->k = *k;
    free(k);
    p->n_changed = n_changed;
    p->budget_pp = budget_pp;
    snprintf(p->name, sizeof p->name, "%s", name);
    double cost = 0.0, additive = 0.0;
    const et_sens_point **pt = calloc(2 * (size_t)M->n_layers + 1, sizeof *pt), **spt = pt + M->n_layers;
    if (!pt) {
        *rc = et_fail(err, ET_E_NOMEM, "out of memory");
        return -1;
    }
    for (int l = 0; l < M->n_layers; l++) {
        pt[l] = set[l] > 0 ? opt_point(M, l, set[l]) : NULL;
        spt[l] = sset[l] > 0 ? opt_point(M, l, sset[l]) : NULL;
        cost += alpha * (opt_drop(M, l, set[l]) - opt_drop(M, l, sset[l]));
        additive += isnan(opt_drop(M, l, set[l])) ? 0.0 : opt_drop(M, l, set[l]);
    }
    double saved = 0.0, saved_start = 0.0;
    int64_t saved_bytes = 0, saved_bytes_start = 0;
    savings(pt, M->group, M->n_layers, &saved, &saved_bytes);
    savings(spt, M->group, M->n_layers, &saved_start, &saved_bytes_start);
    free(pt);
    /* against the start; et_search_run adds its measured p50 and bytes */
    p->pred_from = from;
    p->pred_p50_ms = -(saved - saved_start);
    p->pred_saved_ms = saved - saved_start;
    p->pred_bytes = -(saved_bytes - saved_bytes_start);
    p->pred_q_search = q_from - cost / 100.0;
    p->additive_pp = additive;
    p->model_scale = alpha;
    return out->n_pts++;
}

/* The moves' gains for the size objective: each option's bytes saved against the start's own setting with every
 * other layer as the start has it (et_size_gains, exact for one move; the sensitivity points' bytes_saved were
 * measured from the base, where a reader's input channels and width are not the start's). Options not measured
 * keep their NaN. opts: n_layers rows of M->n_opt. */
static et_status size_move_gains(const move_ctx *M, const int *sset, et_search_option *opts, const int *cnt,
                                 et_err *err) {
    M->size->knobs = move_knobs, M->size->ctx = (void *)M;
    return exact_gains(M->size, sset, M->n_layers, cnt, M->n_opt, false, opts, err);
}

/* The knapsack over moves from the settings `sset` (measured quality q_from; et_search_dp_moves): each layer may
 * stay, go to any other measured setting (further compressed, or back towards the base); a move costs alpha x (its
 * drop - the start's), negative for a move back, which frees budget for others. One finalist per fraction of the
 * room left (max_drop - the start's measured drop); *n_added counts them, set_of keeps their settings. */
static et_status moves_from(const move_ctx *M, const int *sset, double q_from, int from, double alpha,
                            const double *fracs, int n_fracs, const char *from_name, int *first_added, int *set_of,
                            int *n_added, et_err *err) {
    int L = M->n_layers, n_opt = M->n_opt;
    et_search_option *opts = calloc((size_t)L * (size_t)n_opt + 1, sizeof *opts);
    const et_search_option **opt = calloc((size_t)L + 1, sizeof *opt);
    int *cnt = calloc((size_t)L + 1, sizeof *cnt), *start = calloc((size_t)L + 1, sizeof *start);
    int *pick = calloc((size_t)L + 1, sizeof *pick), *set = calloc((size_t)L + 1, sizeof *set);
    et_status rc = ET_OK;
    if (!opts || !opt || !cnt || !start || !pick || !set) {
        rc = et_fail(err, ET_E_NOMEM, "out of memory");
        goto done;
    }
    for (int l = 0; l < L; l++) {
        et_search_option *o = opts + (size_t)l * (size_t)n_opt;
        opt[l] = o;
        double ds = opt_drop(M, l, sset[l]), gs = opt_gain(M, l, sset[l]);
        if (isnan(ds) || isnan(gs) || !M->out->sens[l * M->cfg->n_cand].layer[0]) { /* not measured: stays */
            o[0] = (et_search_option){0.0, 0.0};
            cnt[l] = 1, start[l] = 0;
            continue;
        }
        cnt[l] = n_opt, start[l] = sset[l];
        for (int x = 0; x < n_opt; x++)
            o[x] = (et_search_option){alpha * (opt_drop(M, l, x) - ds), opt_gain(M, l, x) - gs};
    }
    if (M->size && (rc = size_move_gains(M, sset, opts, cnt, err)) != ET_OK)
        goto done;
    const et_search_point *ref = &M->out->pts[0];
    double room = M->cfg->max_drop_pp - 100.0 * (ref->q_search - q_from);
    for (int f = 0; f < n_fracs; f++) {
        double budget = room > 0.0 ? room * fracs[f] : room, gain = 0.0, cost = 0.0;
        if ((rc = et_search_dp_moves(opt, cnt, start, L, budget, DP_UNIT_PP, pick, &gain, &cost, err)) != ET_OK)
            goto done;
        if (isinf(gain))
            continue; /* nothing fits */
        int moved = 0;
        for (int l = 0; l < L; l++) {
            set[l] = cnt[l] == 1 ? sset[l] : pick[l];
            moved += set[l] != sset[l];
        }
        if (moved == 0)
            continue;
        char name[96];
        snprintf(name, sizeof name, "from %.40s: %d move%s (budget %.2f pp)", from_name, moved, moved == 1 ? "" : "s",
                 room > 0.0 ? room * fracs[f] : room);
        int i = add_set(M, set, sset, q_from, from, alpha, name, room > 0.0 ? room * fracs[f] : room, &rc, err);
        if (rc != ET_OK)
            goto done;
        if (i >= 0 && (*n_added == 0 || i - *first_added < 8)) {
            if (*n_added == 0)
                *first_added = i;
            memcpy(set_of + (size_t)(i - *first_added) * (size_t)L, set, (size_t)L * sizeof *set);
            (*n_added)++;
        }
    }
done:
    free(opts), free(opt), free(cnt), free(start), free(pick), free(set);
    return rc;
}

/* The uniform knobs uk as one per-layer setting against the base: *uopt 0 (the base's), a candidate's index + 1, or
 * -1 when it is no candidate (canon then holds it as a candidate string). ET_E_USAGE when it cannot be written. */
static et_status uniform_option(const et_knobs *base, const et_search_config *cfg, const et_knobs *uk, int *uopt,
                                char canon[][ET_SENS_CAND_BYTES], et_err *err) {
    char spec[ET_SENS_CAND_BYTES] = "";
    size_t w = 0;
    if (uk->weight_bits != base->weight_bits)
        w += (size_t)snprintf(spec + w, sizeof spec - w, "bits=%d,", uk->weight_bits);
    if (uk->act_bits != base->act_bits && w < sizeof spec)
        w += (size_t)snprintf(spec + w, sizeof spec - w, "act-bits=%d,", uk->act_bits);
    if (uk->prune_ratio != base->prune_ratio && w < sizeof spec)
        w += (size_t)snprintf(spec + w, sizeof spec - w, "prune=%g,", (double)uk->prune_ratio);
    if (uk->prune_method != base->prune_method && uk->prune_ratio > 0.0f && w < sizeof spec)
        w += (size_t)snprintf(spec + w, sizeof spec - w, "method=%s,", et_prune_method_name(uk->prune_method));
    *uopt = 0;
    if (w == 0)
        return ET_OK;
    spec[w - 1] = '\0';
    int n1 = 0;
    et_status rc = et_sens_parse_candidates(spec, canon, &n1, err);
    *uopt = -1;
    for (int c = 0; rc == ET_OK && c < cfg->n_cand && *uopt < 0; c++)
        if (strcmp(cfg->cand[c], canon[0]) == 0)
            *uopt = c + 1;
    return rc;
}

/* Whether layer l of L keeps the base's setting in a uniform point: the first and last weight layers do unless the
 * base quantizes every layer (tune's rule). */
static bool edge_layer(const et_knobs *base, int l, int L) { return (l == 0 || l == L - 1) && !base->quantize_all; }

/* The additive sum of every uniform point whose setting is a candidate: its layers' drops (each at least floor_pp)
 * over the layers it changes; NaN when a layer's point was not measured. */
static void uniform_sums(const et_knobs *base, const et_search_config *cfg, et_search_result *out, double floor_pp) {
    int n_cand = cfg->n_cand, L = n_cand > 0 ? out->sens_base.n_points / n_cand : 0;
    for (int i = 0; i < out->n_pts && L > 0 && out->sens_base.measured; i++) {
        et_search_point *p = &out->pts[i];
        char canon[1][ET_SENS_CAND_BYTES];
        int c = 0;
        et_err e = {0}; /* a setting no candidate can write (fp32 against an int8 base): no sum */
        if (p->kind != ET_SP_UNIFORM || uniform_option(base, cfg, &p->k, &c, canon, &e) != ET_OK || c <= 0)
            continue;
        double sum = 0.0;
        for (int l = 0; l < L; l++) {
            const et_sens_point *sp = &out->sens[l * n_cand + c - 1];
            double d = sp->measured ? -sp->quality_delta_pp : NAN;
            sum += edge_layer(base, l, L) ? 0.0 : d > floor_pp ? d : isnan(d) ? NAN : floor_pp;
        }
        p->additive_pp = sum;
    }
}

/* The sensitivity options both of the search's analyses share (the first, and the moves' start): as long a timing
 * as a point's (the time saved is what the knapsack sums), on the search half, against the reference's top-1.
 * *from_base: its recovered points start from the base's recovery, unless EDGETUNE_SENS_RECOVER=full (every point
 * recovered in full, to compare) or the base recovers nothing. */
static et_sens_config search_sens_config(const et_knobs *base, const et_search_config *cfg, const run_state *st,
                                         bool *from_base) {
    et_sens_config sc = et_sens_config_default();
    sc.iters = cfg->sens_iters;
    sc.warmup = cfg->warmup;
    sc.profile_s = cfg->point_s;
    sc.eval_half = ET_SEARCH_SEARCH_HALF;
    sc.eval_thin = st->screen_thin;
    sc.ref_top1 = st->ref_top1;
    sc.cancel = (const volatile int *)cfg->cancel;
    const char *rb = getenv("EDGETUNE_SENS_RECOVER");
    sc.recover_from_base = !(rb && strcmp(rb, "full") == 0);
    *from_base = sc.recover_from_base && base->recover != ET_RECOVER_NONE;
    return sc;
}

/* The uniform point uk's per-layer setting against the base: *uopt 0 (the base), a candidate's index + 1, or
 * n_cand + 1 after measuring its sensitivity per layer into M->ucol (M->n_opt grows); -1 when --budget ran out
 * during that sensitivity (no moves: out->out_of_time set). Its points recover as the first sensitivity's do
 * (from the base's recovery unless EDGETUNE_SENS_RECOVER=full): recovered in full, at ~20 s a point on
 * torchvision MobileNetV2, it ran 52 layers past a 10-minute --budget (session 14). ET_E_CANCELLED when stopped. */
static et_status start_setting(et_session *prof, move_ctx *M, const et_knobs *uk, int u, run_state *st, int *uopt,
                               et_err *err) {
    const et_knobs *base = M->base;
    const et_search_config *cfg = M->cfg;
    int n_cand = cfg->n_cand, L = M->n_layers;
    char canon[1][ET_SENS_CAND_BYTES];
    et_status rc = uniform_option(base, cfg, uk, uopt, canon, err);
    if (rc != ET_OK || *uopt >= 0)
        return rc;
    snprintf(M->ucand, sizeof M->ucand, "%s", canon[0]);
    say(st, "moves from the best uniform (%s): the sensitivity of %s per layer", M->out->pts[u].name, M->ucand);
    sens_ctx sctx = {.st = st, .out = M->out, .phase_deadline = st->deadline};
    et_sens_config sc = search_sens_config(base, cfg, st, &sctx.from_base);
    sc.progress = sens_progress;
    sc.progress_ctx = &sctx;
    et_sens_base b2;
    int n2 = 0;
    et_sens_store store;
    et_sens_store_attach(&store, cfg->db, !cfg->fresh_sens, "search: sensitivity base", &sc);
    rc = et_sensitivity_run(prof, base, canon, 1, &sc, &b2, &M->ucol, &n2, err);
    said_store(st, &store, M->ucol, n2);
    et_sens_store_free(&store);
    if (rc == ET_E_CANCELLED && cfg->cancel && *cfg->cancel == 2) {
        *cfg->cancel = 0;
        M->out->out_of_time = true;
        say(st, "moves skipped: --budget reached during their sensitivity (%d of %d points)", n2, L);
        *uopt = -1;
        return ET_OK;
    }
    if (rc == ET_OK && n2 < L)
        rc = et_fail(err, ET_E_CANCELLED, "search cancelled: the points measured so far are kept");
    if (rc == ET_OK)
        *uopt = n_cand + 1, M->n_opt = n_cand + 2;
    return rc;
}

/* The best uniform point within the drop as per-layer settings, and moves from it both ways, measured; then a
 * second round of moves around the best measured of them (or, when none met the drop, from the start again with
 * the drop model refitted to the first round). The start itself, written per layer, is a
 * finalist too, so the winner is never worse than the best uniform setting on the search half (up to timing
 * noise: the same model measured twice). */
static et_status from_uniform(et_session *prof, et_session *s, const et_knobs *base, const et_search_config *cfg,
                              et_search_result *out, double floor_pp, const int *group, run_state *st, et_err *err) {
    int u = best_within(out, ET_SP_UNIFORM, cfg->max_drop_pp, cfg->objective);
    int n_cand = cfg->n_cand, L = n_cand > 0 ? out->sens_base.n_points / n_cand : 0;
    if (u < 0 || L == 0 || !out->sens_base.measured)
        return ET_OK;
    et_status rc = injected(st, "moves", err);
    if (rc != ET_OK)
        return rc;
    const et_knobs *uk = &out->pts[u].k;
    move_ctx M = {.base = base,
                  .cfg = cfg,
                  .out = out,
                  .n_layers = L,
                  .n_opt = n_cand + 1,
                  .floor_pp = floor_pp,
                  .group = group,
                  .size = st->size};
    int *sset = calloc((size_t)L + 1, sizeof *sset);
    int *set_of = calloc((size_t)L * 8 + 1, sizeof *set_of);
    int uopt = 0;
    if (!sset || !set_of) {
        rc = et_fail(err, ET_E_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = start_setting(prof, &M, uk, u, st, &uopt, err)) != ET_OK || uopt < 0)
        goto done;
    for (int l = 0; l < L; l++) /* the edge layers stay as the base has them in a uniform point */
        sset[l] = edge_layer(base, l, L) ? 0 : uopt;
    /* round 1: the start per layer, and moves from it at the whole room and half of it */
    say(st, "moves from the best uniform (%s, %.2f pp on the search half), both ways", out->pts[u].name,
        100.0 * (out->pts[0].q_search - out->pts[u].q_search));
    int before = out->n_pts, first = -1, n_added = 0;
    char sname[96];
    snprintf(sname, sizeof sname, "%.40s per layer (the start)", out->pts[u].name);
    bool moved_any = false; /* a start equal to the base is measured already */
    for (int l = 0; l < L; l++)
        moved_any |= sset[l] != 0;
    /* the start is the uniform point written per layer: predicted as that point measured */
    int i0 = moved_any ? add_set(&M, sset, sset, out->pts[u].q_search, u, 1.0, sname, 0.0, &rc, err) : -1;
    if (rc != ET_OK)
        goto done;
    if (i0 >= 0) {
        first = i0, n_added = 1;
        memcpy(set_of, sset, (size_t)L * sizeof *sset);
    }
    /* the drop model refitted with every point so far, and the start's own sum when it is no candidate (its
       sensitivities were measured just now) */
    et_drop_model dm = refit(out, cfg->max_drop_pp);
    if (uopt > n_cand) {
        double pred_u = 0.0;
        for (int l = 0; l < L; l++)
            pred_u += isnan(opt_drop(&M, l, sset[l])) ? 0.0 : opt_drop(&M, l, sset[l]);
        et_drop_model_add(&dm, pred_u, 100.0 * (out->sens_base.quality - out->pts[u].q_search));
        out->pts[u].additive_pp = pred_u;
    }
    double alpha = dm.scale;
    const double fr[2] = {1.0, 0.5};
    int from0 = i0 >= 0 ? i0 : moved_any ? u : out->base; /* a start equal to another point: that point */
    if ((rc = moves_from(&M, sset, out->pts[u].q_search, from0, alpha, fr, 2, out->pts[u].name, &first, set_of,
                         &n_added, err)) != ET_OK)
        goto done;
    if (out->n_pts > before && (rc = measure_all(s, out, before, st, 0, 1)) != ET_OK)
        goto done;
    /* round 2: around the best measured move within the drop, or from the start with the drops scaled up */
    const et_search_point *ref = &out->pts[0];
    int best = -1;
    double a2 = alpha;
    for (int j = 0; j < n_added && first >= 0; j++) {
        const et_search_point *p = &out->pts[first + j];
        if (!p->measured)
            continue;
        if (100.0 * (ref->q_search - p->q_search) <= cfg->max_drop_pp + 1e-9 &&
            (best < 0 || et_search_objective_value(p, cfg->objective) <
                             et_search_objective_value(&out->pts[first + best], cfg->objective)))
            best = j;
    }
    if (out_of_time(st) || user_stopped(st) || n_added >= 8)
        goto done;
    a2 = refit(out, cfg->max_drop_pp).scale; /* with the moves just measured */
    before = out->n_pts;
    int n_round1 = n_added;
    if (best >= 0 && first + best != i0) {
        const et_search_point *b = &out->pts[first + best];
        int *bset = set_of + (size_t)best * (size_t)L;
        say(st, "second round: moves around %s (measured %.2f pp), drops scaled by %.2f", b->name,
            100.0 * (ref->q_search - b->q_search), a2);
        rc = moves_from(&M, bset, b->q_search, first + best, a2, fr, 2, "the best move", &first, set_of, &n_added, err);
    } else if (fabs(a2 - alpha) > 0.05 * alpha) {
        say(st,
            "second round: no move beat the start within the drop; from it again with the drop model refitted "
            "(%.2f x the summed drops)",
            a2);
        rc = moves_from(&M, sset, out->pts[u].q_search, from0, a2, fr, 2, out->pts[u].name, &first, set_of, &n_added,
                        err);
    }
    (void)n_round1;
    if (rc == ET_OK && out->n_pts > before)
        rc = measure_all(s, out, before, st, 0, 1);
done:
    free(M.ucol);
    free(sset), free(set_of);
    return rc;
}

/* The base's drop (pp) on the whole search half once the grid has measured it; screened_pp (its drop on the
 * inputs the sensitivity screened) while it is not measured. */
static double base_whole_drop(const et_search_result *out, double screened_pp) {
    const et_search_point *b = &out->pts[out->base];
    if (!b->measured || isnan(b->q_search) || isnan(out->pts[0].q_search))
        return screened_pp;
    return 100.0 * (out->pts[0].q_search - b->q_search);
}

/* The measured rounds after the sensitivity: the base and the uniform grid first (the uniform points whose setting
 * is a candidate are the drop model's first observations: every layer changed at once), the knapsack's finalists
 * with that model, REFINE more rounds with it refitted (the whole room and 3/4 of it, new choices only), then the
 * moves from the best uniform point, each point in one round; then the other --rounds of every point. Each step goes
 * on while the deadline has not passed (out_of_time(st)), not while out->out_of_time is clear: a sensitivity stopped
 * at half of --budget sets that flag with half the budget left for these. Returns measure_all's or from_uniform's
 * status. */
static et_status measured_rounds(et_session *prof, et_session *s, const et_knobs *base, et_search_result *out,
                                 const double *budgets, double floor_pp, double base_drop_pp, const int *group,
                                 run_state *st, et_err *err) {
    const et_search_config *cfg = st->cfg;
    uniform_sums(base, cfg, out, floor_pp);
    et_status rc = measure_all(s, out, 0, st, 0, 1);
    if (rc != ET_OK || out_of_time(st))
        return rc;
    out->drop_first = refit(out, cfg->max_drop_pp);
    say(st, "drop model from the uniform points: %.2f x the layers' summed drops (%d points)", out->drop_first.scale,
        out->drop_first.n_obs);
    /* the finalists' room is --max-drop less the base's drop on the whole search half, as the grid measured it, not
       on the inputs its sensitivity was screened on (session 15, torchvision MobileNetV2 w8a8: 0.40 pp on 250 of
       1,000 inputs, 1.00 on all: the knapsack proposed finalists over the drop before any layer changed) */
    double budget[ET_SEARCH_MAX_FINALISTS];
    double shift = base_whole_drop(out, base_drop_pp) - base_drop_pp;
    for (int f = 0; f < cfg->n_finalists && f < ET_SEARCH_MAX_FINALISTS; f++)
        budget[f] = budgets[f] - shift;
    if (shift != 0.0)
        say(st, "the base's drop on the whole search half: %.2f pp (%.2f on the screened inputs); budgets from it",
            base_drop_pp + shift, base_drop_pp);
    base_drop_pp += shift;
    int before = out->n_pts;
    if ((rc = injected(st, "finalists", err)) != ET_OK ||
        (rc = add_finalists(base, cfg, out, budget, cfg->n_finalists, floor_pp, group, out->drop_first.scale, st->size,
                            err)) != ET_OK)
        return rc;
    rc = measure_all(s, out, before, st, 0, 1);
    for (int it = 0; rc == ET_OK && !out_of_time(st) && it < REFINE; it++) {
        et_drop_model m = refit(out, cfg->max_drop_pp);
        double room = cfg->max_drop_pp - base_drop_pp, more[2] = {room, 0.75 * room};
        before = out->n_pts;
        say(st, "drop model refitted: %.2f x the summed drops (%d points); budgets %.2f and %.2f pp again", m.scale,
            m.n_obs, more[0], more[1]);
        if ((rc = add_finalists(base, cfg, out, more, 2, floor_pp, group, m.scale, st->size, err)) != ET_OK)
            return rc;
        if (out->n_pts == before)
            break; /* the refitted model picks nothing new: on to the moves, which measure the start */
        rc = measure_all(s, out, before, st, 0, 1);
    }
    /* moves both ways from the best uniform point within the drop (its neighbours, measured) */
    if (rc == ET_OK && !out_of_time(st))
        rc = from_uniform(prof, s, base, cfg, out, floor_pp, group, st, err);
    /* the later latency rounds of every measured point, finalists first, while the budget lasts */
    if (rc == ET_OK && !out_of_time(st) && cfg->rounds > 1)
        rc = measure_all(s, out, 0, st, 1, cfg->rounds);
    return rc;
}

/* ---- paired timing of the deciding points (search_paired.h) ------------------------------------------------ */

typedef struct paired_ctx {
    et_session *s;
    et_search_result *out;
    const int *idx; /* the timed points' indices in out->pts */
    int n;
    run_state *st;
    et_plan **plan;     /* [n]: point j's prepared plan from its first timing on (NULL before); paired_timing frees */
    et_graph **tuned;   /* [n]: the tuned graph plan[j] borrows from, freed after it */
    int n_kept;         /* plans kept */
    int64_t kept_bytes; /* their weights (packed and tuned) and arenas, at most PAIRED_KEEP_BYTES */
} paired_ctx;

/* One point once: its plan prepared on its first timing (configure, then taken from the session and kept, so the
 * later rounds time the same plan again instead of tuning it again: with --recover full a configure took ~2 s
 * against ~0.25 s of timing), then its p50 over --seconds (at least --iters), no fidelity. A plan that would take
 * the kept ones past PAIRED_KEEP_BYTES stays in the session and is prepared again for each of its timings. */
static et_status time_one(void *ctx, int point, int round, double *ms, et_err *err) {
    paired_ctx *c = ctx;
    const et_search_config *cfg = c->st->cfg;
    et_search_point *p = &c->out->pts[c->idx[point]];
    if (user_stopped(c->st))
        return et_fail(err, ET_E_CANCELLED, "search cancelled: the points measured so far are kept");
    say(c->st, "paired timing, round %d of %d: %s", round + 1, cfg->paired_rounds, p->name);
    step(c->st, "paired", round + 1, cfg->paired_rounds, round + 1, -1.0, c->out, -1);
    et_plan *plan = c->plan[point];
    if (!plan) {
        et_status rc = et_session_configure(c->s, &p->k, err);
        if (rc != ET_OK)
            return rc;
        c->out->paired_prepared++;
        plan = et_session_plan(c->s); /* loaded with the session's inputs */
        et_plan_stats ps = et_plan_get_stats(plan);
        int64_t b = ps.weights_bytes + ps.arena_bytes + et_session_tune_report(c->s)->weights_deploy_bytes;
        if (c->kept_bytes + b <= PAIRED_KEEP_BYTES) {
            et_session_detach(c->s, &c->plan[point], &c->tuned[point]);
            c->kept_bytes += b;
            c->n_kept++;
        }
    }
    et_bench_config bc = et_bench_config_default();
    bc.iters = cfg->iters;
    bc.seconds = cfg->point_s;
    bc.warmup = cfg->warmup;
    bc.profilers = false;
    bc.fidelity = false;
    bc.cancel = (const volatile int *)cfg->cancel;
    et_result r;
    et_result_init(&r);
    et_status rc = et_bench_plan(plan, &bc, &r, err);
    if (rc == ET_OK)
        *ms = r.latency.p50_ms;
    et_result_free(&r);
    return rc;
}

/* Frees the kept plans, each before the graph it borrows from (NULL entries: points never prepared). */
static void free_kept(paired_ctx *c) {
    for (int j = 0; j < c->n; j++) {
        et_plan_free(c->plan[j]);
        et_graph_free(c->tuned[j]);
    }
    free(c->plan);
    free(c->tuned);
}

/* Up to k measured points of `kind` (uniform: the reference too) within the drop, best objective first, appended to
 * idx (*n grows). */
static void best_k(const et_search_result *out, et_search_kind kind, double max_drop_pp, et_search_objective o, int k,
                   int *idx, int *n) {
    for (int t = 0; t < k; t++) {
        int best = -1;
        for (int i = 0; i < out->n_pts; i++) {
            const et_search_point *p = &out->pts[i];
            bool taken = false;
            for (int j = 0; j < *n; j++)
                taken |= idx[j] == i;
            if (taken || !p->measured || (p->kind != kind && !(kind == ET_SP_UNIFORM && p->kind == ET_SP_REFERENCE)))
                continue;
            if (!(100.0 * (out->pts[0].q_search - p->q_search) <= max_drop_pp + 1e-9))
                continue;
            if (best < 0 || et_search_objective_value(p, o) < et_search_objective_value(&out->pts[best], o))
                best = i;
        }
        if (best < 0)
            return;
        idx[(*n)++] = best;
    }
}

/* Whether point i is among idx[0..n). */
static bool listed(const int *idx, int n, int i) {
    for (int j = 0; j < n; j++)
        if (idx[j] == i)
            return true;
    return false;
}

/* The points of the paired timing into idx (returns how many, at most ET_SEARCH_PAIRED_MAX_POINTS; *n_fin: the
 * finalists within the drop, first): the finalists within the drop, fastest first, the fastest uniform points within
 * the drop, the other measured finalists, then the measured points their latency predictions start from (pred_from)
 * that are not timed already; a cap (more points than a search makes) leaves out the last ones. *n_uni: the uniform
 * points within the drop (after the finalists). */
static int paired_points(const et_search_result *out, const et_search_config *cfg, int *idx, int *n_fin, int *n_uni) {
    int n = 0;
    best_k(out, ET_SP_FINALIST, cfg->max_drop_pp, cfg->objective, ET_SEARCH_PAIRED_MAX_POINTS - PAIRED_UNIFORM, idx,
           &n);
    *n_fin = n;
    best_k(out, ET_SP_UNIFORM, cfg->max_drop_pp, cfg->objective, PAIRED_UNIFORM, idx, &n);
    *n_uni = n - *n_fin;
    for (int i = 0; i < out->n_pts && n < ET_SEARCH_PAIRED_MAX_POINTS; i++)
        if (out->pts[i].kind == ET_SP_FINALIST && out->pts[i].measured && !listed(idx, n, i))
            idx[n++] = i;
    for (int j = 0, n_timed = n; j < n_timed && n < ET_SEARCH_PAIRED_MAX_POINTS; j++) {
        int f = out->pts[idx[j]].pred_from;
        if (f >= 0 && f < out->n_pts && out->pts[f].measured && !listed(idx, n, f))
            idx[n++] = f;
    }
    return n;
}

/* Whether point i of the paired timing may be re-chosen as the winner (a finalist) or the best uniform setting
 * (uniform or the reference) by its paired p50: measured within the drop on the search half, of that kind. */
static bool eligible(const et_search_result *out, int i, bool finalist, double max_drop_pp) {
    const et_search_point *p = &out->pts[i];
    bool kind = finalist ? p->kind == ET_SP_FINALIST : p->kind == ET_SP_UNIFORM || p->kind == ET_SP_REFERENCE;
    return kind && p->measured && !isnan(p->paired_p50_ms) &&
           100.0 * (out->pts[0].q_search - p->q_search) <= max_drop_pp + 1e-9;
}

/* Every finalist, the fastest uniform points within the drop and the finalists' prediction start points timed again
 * in alternating rounds (paired_points); with the latency objective the winner and the best uniform are re-chosen
 * among those within the drop by the median of their rounds; the winner against the best uniform by the paired rule;
 * each finalist's prediction reckoned again from its start point's paired median (et_search_pred_paired). Runs after
 * --budget too (a few seconds a point); ET_E_CANCELLED when stopped (what was timed kept); a point that fails to
 * configure ends the timing with a line, not the search. */
static et_status paired_timing(et_session *s, et_search_result *out, run_state *st, et_err *err) {
    const et_search_config *cfg = st->cfg;
    int idx[ET_SEARCH_PAIRED_MAX_POINTS], n_fin = 0, n_uni = 0;
    et_ab_na(&out->paired, "not timed in alternating rounds");
    int n = paired_points(out, cfg, idx, &n_fin, &n_uni);
    if (n_fin == 0 || n_uni == 0 || user_stopped(st))
        return ET_OK;
    int rounds = cfg->paired_rounds < ET_SEARCH_PAIRED_MAX_ROUNDS ? cfg->paired_rounds : ET_SEARCH_PAIRED_MAX_ROUNDS;
    double *ms = calloc((size_t)n * (size_t)rounds, sizeof *ms);
    if (!ms)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    say(st,
        "paired timing: %d points (%d finalists within the drop, the fastest uniform points within it, the other "
        "finalists and the points their predictions start from), %d alternating rounds",
        n, n_fin, rounds);
    paired_ctx c = {.s = s,
                    .out = out,
                    .idx = idx,
                    .n = n,
                    .st = st,
                    .plan = calloc((size_t)n, sizeof *c.plan),
                    .tuned = calloc((size_t)n, sizeof *c.tuned)};
    if (!c.plan || !c.tuned) {
        free_kept(&c);
        free(ms);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    et_err e = {0};
    double t0 = et_clock_s();
    et_status rc = et_search_paired_rounds(n, rounds, time_one, &c, ms, &out->paired_done, &e);
    out->paired_s = et_clock_s() - t0;
    free_kept(&c);
    say(st, "paired timing: %d plans prepared, %d of them kept for every round (%.1f MiB), %d rounds in %.1f s",
        out->paired_prepared, c.n_kept, (double)c.kept_bytes / 1048576.0, out->paired_done, out->paired_s);
    if (rc != ET_OK && rc != ET_E_CANCELLED)
        say(st, "paired timing stopped: %s", e.msg);
    out->n_paired = n;
    for (int j = 0; j < n; j++) {
        et_search_point *p = &out->pts[idx[j]];
        memcpy(p->paired_ms, ms + (size_t)j * (size_t)rounds, (size_t)rounds * sizeof *ms);
        p->paired_p50_ms = et_search_paired_median(p->paired_ms, rounds);
    }
    free(ms);
    et_search_pred_paired(out);
    if (out->paired_done < 2) {
        et_ab_na(&out->paired, "%d alternating rounds completed (at least 2 needed)", out->paired_done);
        return rc == ET_E_CANCELLED ? et_fail(err, rc, "search cancelled: the points measured so far are kept") : ET_OK;
    }
    if (cfg->objective == ET_SEARCH_LATENCY) /* re-chosen by the paired figures, among those within the drop */
        for (int pass = 0; pass < 2; pass++) {
            int *pick = pass == 0 ? &out->winner : &out->best_uniform, best = -1;
            for (int j = 0; j < n; j++)
                if (eligible(out, idx[j], pass == 0, cfg->max_drop_pp) &&
                    (best < 0 || out->pts[idx[j]].paired_p50_ms < out->pts[best].paired_p50_ms))
                    best = idx[j];
            if (best >= 0)
                *pick = best;
        }
    const et_search_point *w = &out->pts[out->winner], *u = &out->pts[out->best_uniform];
    et_ab_options o = et_ab_defaults();
    if (isnan(w->paired_p50_ms) || isnan(u->paired_p50_ms))
        et_ab_na(&out->paired, "the winner or the best uniform setting was not timed in alternating rounds");
    else
        et_ab_paired(u->paired_ms, w->paired_ms, out->paired_done, &o, &out->paired);
    return rc == ET_E_CANCELLED ? et_fail(err, rc, "search cancelled: the points measured so far are kept") : ET_OK;
}

/* Every finalist's predicted bytes from its knobs, exactly (size_model.h), instead of the measured point it was
 * reckoned from plus its layers' summed bytes_saved (that sum counts a pruned layer's reader twice where two pruned
 * neighbours meet: the fmnist_wide latency search predicted 78.1 KiB for a finalist that stores 147.6).
 * --objective size has its model already (st->size); the latency objective borrows one for this pass alone. A
 * probe that fails, or no memory for the model, leaves that sum. */
static void predict_bytes(run_state *st, et_session *prof, et_search_result *out) {
    et_size_model *size = st->size;
    et_calib_set calib = et_session_calib(prof);
    if (!size && (size = malloc(sizeof *size)) != NULL) /* 64 KiB: not the stack */
        et_size_model_init(size, et_session_model(prof)->graph, &calib, NULL, NULL);
    for (int i = 0; size && i < out->n_pts; i++) {
        et_search_point *p = &out->pts[i];
        int64_t b = -1;
        et_err e = {0};
        if (p->kind == ET_SP_FINALIST && et_size_bytes(size, &p->k, &b, &e) == ET_OK)
            p->pred_bytes = b;
    }
    if (size)
        say(st, "size model: %d tunes without recovery (%d more answered from the ones before) for the %s",
            size->n_probes, size->n_hits,
            st->size ? "knapsack's gains and the predicted bytes" : "finalists' predicted bytes");
    if (size != st->size)
        free(size);
}

/* et_search_bar_pp (search.h): why this formula. The largest drop d (pp) measured on a search half of n inputs for
 * which the held-out half's drop is, BAR_Z standard deviations up, still within max_pp: d + BAR_Z sqrt(2) se(d) <=
 * max_pp, with se(d) = sqrt(100 d / n) pp, the spread of a drop of d on n inputs when the inputs it misses are a
 * Poisson count (binomial, 1 - d/100 taken as 1: slightly wider); sqrt(2): the held-out drop is a second draw of the
 * same size, so it differs from the search half's by the spread of two draws. With x = sqrt(d), a = BAR_Z sqrt(2) 10
 * / sqrt(n): x^2 + a x = max_pp. 1 pp on 1,000 inputs gives 0.64 pp; on 256, 0.42 (one input, 0.39, passes; two do
 * not). Session 14's winner at 0.39 pp on 256 inputs was 1.95 pp held out: the finalists' drops also carry the
 * knapsack's choice of the luckiest layers, which this does not model. n < 1: max_pp. */
double et_search_bar_pp(double max_pp, int n) {
    if (n < 1 || !(max_pp > 0.0))
        return max_pp;
    double a = BAR_Z * sqrt(2.0) * 10.0 / sqrt((double)n);
    double x = 0.5 * (-a + sqrt(a * a + 4.0 * max_pp));
    return x * x;
}

/* After the reference: how many inputs the sensitivity screens (st->screen_thin, out->n_screen; SCREEN_INPUTS) and
 * the bar on the search half (out->bar_pp). From then on --max-drop means the bar: *barred is st->cfg with
 * max_drop_pp the bar, and st->cfg points at it, so that every choice (knapsack budgets, moves' room, winner, best
 * uniform, paired timing) uses it and the winner holds on the held-out half. */
static void screen_and_bar(run_state *st, et_search_result *out, et_search_config *barred) {
    double max_drop_pp = st->cfg->max_drop_pp;
    out->bar_pp = et_search_bar_pp(max_drop_pp, out->n_search);
    *barred = *st->cfg;
    barred->max_drop_pp = out->bar_pp;
    st->cfg = barred;
    st->screen_thin = out->n_search > SCREEN_INPUTS ? (out->n_search + SCREEN_INPUTS - 1) / SCREEN_INPUTS : 1;
    out->n_screen = (out->n_search + st->screen_thin - 1) / st->screen_thin;
    if (st->screen_thin > 1)
        say(st,
            "sensitivity points screened on %d of the search half's %d inputs (every %d-th); the grid and the "
            "finalists on all of them",
            out->n_screen, out->n_search, st->screen_thin);
    say(st,
        "within --max-drop %.2f pp: at most %.2f pp on the search half (%d inputs; --max-drop less the noise of a "
        "held-out drop)",
        max_drop_pp, out->bar_pp, out->n_search);
}

et_status et_search_run(et_session *prof, et_session *s, const et_knobs *base, const et_search_config *cfg,
                        et_search_result *out, et_err *err) {
    memset(out, 0, sizeof *out);
    out->winner = out->best_uniform = -1;
    out->bar_pp = cfg->max_drop_pp;
    et_drop_model_init(&out->drop_first, DROP_LIMIT * cfg->max_drop_pp); /* scale 1 until a round is measured */
    et_drop_model_init(&out->drop_final, DROP_LIMIT * cfg->max_drop_pp);
    et_ab_na(&out->paired, "not timed in alternating rounds");
    run_state st = {.cfg = cfg, .t0 = et_clock_s()};
    et_calib_set calib = et_session_calib(prof);
    et_size_model *size = cfg->objective == ET_SEARCH_SIZE ? malloc(sizeof *size) : NULL; /* 64 KiB: not the stack */
    if (size)
        et_size_model_init(size, et_session_model(prof)->graph, &calib, NULL, NULL);
    st.size = size;    /* out of memory: the old sum of the points' bytes saved */
    int *group = NULL; /* per layer: its channel group */
    if (cfg->budget_s > 0) {
        st.deadline = st.t0 + cfg->budget_s;
        st.grid_deadline = st.t0 + GRID_SHARE * cfg->budget_s;
    }
    et_status rc = make_points(base, cfg, out, err);
    if (rc != ET_OK)
        goto done;
    say(&st, "measuring the fp32 reference");
    rc = measure_reference(s, out, &st, err);
    if (rc != ET_OK)
        goto done;
    et_search_config barred;
    screen_and_bar(&st, out, &barred);
    cfg = &barred;

    /* sensitivity on the search half: up to half of the time budget */
    sens_ctx sctx = {.st = &st,
                     .out = out,
                     .phase_deadline = st.deadline > 0 ? st.t0 + 0.5 * cfg->budget_s : 0,
                     .max_points = cfg->sens_max_points};
    et_sens_config sc = search_sens_config(base, cfg, &st, &sctx.from_base);
    sc.stop_drop_pp = STOP_DROP * cfg->max_drop_pp;
    sc.progress = sens_progress;
    sc.progress_ctx = &sctx;
    et_sens_store store;
    et_sens_store_attach(&store, cfg->db, !cfg->fresh_sens, "search: sensitivity base", &sc);
    rc = et_sensitivity_run(prof, base, cfg->cand, cfg->n_cand, &sc, &out->sens_base, &out->sens, &out->n_sens, err);
    said_store(&st, &store, out->sens, out->n_sens);
    et_sens_store_free(&store);
    if (rc == ET_E_CANCELLED && cfg->cancel && *cfg->cancel == 2) {
        *cfg->cancel = 0;
        out->out_of_time = !sctx.hit_max;
        say(&st, "sensitivity stopped %s: %d of %d points; layers without points stay as the base",
            sctx.hit_max ? "after --sens-max-points" : "at half of --budget", out->n_sens, out->sens_base.n_points);
        rc = ET_OK;
    }
    if (rc != ET_OK)
        goto done;
    /* the points a stop left unmeasured (et_sensitivity_run: named, measured false) are not candidates */
    int n_sens_measured = out->n_sens;
    out->n_sens = out->sens_base.n_points;
    double base_drop_pp = 100.0 * (out->pts[0].q_search - out->sens_base.quality);
    /* a changed layer costs at least one input of those its point was screened on, or the budget shared by every
       layer when that is less (8 random inputs: one input is 25 pp, and no layer could change at all) */
    int n_layers = cfg->n_cand > 0 ? out->sens_base.n_points / cfg->n_cand : 1;
    double floor_pp = out->n_screen > 0 ? 100.0 / out->n_screen : 0.0;
    if (n_layers > 0 && cfg->max_drop_pp / n_layers < floor_pp)
        floor_pp = cfg->max_drop_pp / n_layers;
    double budgets[ET_SEARCH_MAX_FINALISTS];
    for (int f = 0; f < cfg->n_finalists && f < ET_SEARCH_MAX_FINALISTS; f++)
        budgets[f] = cfg->max_drop_pp * (1.0 - (double)f / (double)cfg->n_finalists) - base_drop_pp;
    /* channel groups, so that predicted savings count a group once (none known: each layer counts) */
    group = calloc((size_t)n_layers + 1, sizeof *group);
    if (group && et_tune_channel_groups(et_session_model(prof)->graph, base, group, n_layers, NULL) != n_layers) {
        free(group);
        group = NULL;
    }
    out->n_sens = n_sens_measured; /* what the table shows: the measured ones */
    rc = measured_rounds(prof, s, base, out, budgets, floor_pp, base_drop_pp, group, &st, err);
    /* predictions: the measured p50 and size of the point each finalist's savings were reckoned from (the base for
       the knapsack's, the start or the best move for the moves, the uniform point for the start), plus them */
    for (int i = 0; i < out->n_pts; i++) {
        et_search_point *p = &out->pts[i];
        if (p->kind != ET_SP_FINALIST)
            continue;
        const et_search_point *fp = p->pred_from >= 0 && p->pred_from < out->n_pts ? &out->pts[p->pred_from] : NULL;
        bool known = fp && fp->measured;
        p->pred_p50_ms = known ? fp->r.latency.p50_ms + p->pred_p50_ms : NAN;
        p->pred_bytes = known ? fp->bytes + p->pred_bytes : 0;
    }
    predict_bytes(&st, prof, out);
    out->drop_final = refit(out, cfg->max_drop_pp);
    out->winner = best_within(out, ET_SP_FINALIST, cfg->max_drop_pp, cfg->objective);
    out->best_uniform = best_within(out, ET_SP_UNIFORM, cfg->max_drop_pp, cfg->objective);
    if (rc == ET_OK && cfg->paired_rounds > 0 && (rc = injected(&st, "paired", err)) == ET_OK)
        rc = paired_timing(s, out, &st, err);
    if (rc == ET_E_CANCELLED) {
        out->cancelled = true;
        et_fail(err, ET_E_CANCELLED, "search cancelled: the points measured so far are kept");
    }
done:
    if (rc == ET_E_CANCELLED)
        out->cancelled = true;
    if (rc != ET_OK && rc != ET_E_CANCELLED) { /* what was measured before the error stays in out */
        out->failed = true;
        out->fail_status = rc;
        snprintf(out->error, sizeof out->error, "%s", err && err->msg[0] ? err->msg : et_status_text(rc));
    }
    out->elapsed_s = et_clock_s() - st.t0;
    free(st.ref_top1);
    free(group);
    free(size);
    return rc;
}
