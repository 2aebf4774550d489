/* search.h: the search over per-layer configurations (`edgetune search`).
 *
 *  1. reference: the fp32 model, measured (its top-1 per input is what "agreement" means without labels);
 *  2. sensitivity (bench/sensitivity.h) of every weight layer x candidate on the SEARCH half of the evaluation set
 *     (the inputs at even positions of the set's order; only they are evaluated, et_session_fidelity_part): the
 *     accuracy change, the time saved (per-layer profile) and the bytes saved when only that layer changes from
 *     the base knobs;
 *  3. the base and the uniform grid (the sweep's bits x act-bits x prune ratio x method, with the base's other
 *     knobs) measured for real, in rounds (fidelity in the first, the fastest round's latency kept);
 *  4. a refitted drop model (drop_model.h: a configuration's drop = the base's drop + scale x the sum of its
 *     layers' drops, each at least one input of the search half or max_drop / layers, whichever is less; the scale
 *     fitted to the measured points whose sum is known, refitted after every measured round, starting from the
 *     uniform points whose setting is a candidate; its time = the base's measured p50 - the layers' time saved;
 *     its bytes = the base's - the bytes saved) and a multiple-choice knapsack (search_dp.h) for the objective at
 *     several fractions of the drop budget: the finalists, measured; then, twice, the model refitted with them
 *     and the knapsack at the whole room and 3/4 of it again (new choices only);
 *  5. moves from the best uniform point within the drop (search.c from_uniform): that point per layer is a finalist
 *     (the start), a knapsack over moves both ways from it (search_dp.h et_search_dp_moves; drops scaled by the
 *     refitted drop model) gives more, and a second round moves around the best measured
 *     one (or from the start with the refitted scale when none met the drop): the winner is never worse than the
 *     best uniform point on the search half;
 *  6. the winner: the finalist with the best measured objective whose measured drop on the SEARCH half is within
 *     the budget (the best uniform setting is chosen the same way); the HELD-OUT half (odd positions) is only
 *     reported, never used to choose;
 *  7. paired timing (search_paired.h): every measured finalist, the point each finalist's latency prediction starts
 *     from (the base, the best uniform point, a move's start) and the fastest uniform points within the drop (up to
 *     2) timed again in paired_rounds alternating rounds; with the latency objective the winner and the best
 *     uniform are chosen among those within the drop by the median of their rounds, and the two compared by the
 *     paired rule (et_ab_paired); each finalist's prediction is then also reckoned from its start point's paired
 *     median and checked against its own (search_pred.h), so that both sides share the machine's state.
 * Stopping (the cancel flag, or the time budget) keeps every point measured so far, and so does an error of a later
 * phase (a move, a finalist's knobs, the sensitivity of the moves' start): the result then says why it ended
 * (et_search_result.failed, error) and both front ends print and store what was measured before the error. Both
 * front ends call this. */
#ifndef ET_SEARCH_SEARCH_H
#define ET_SEARCH_SEARCH_H

#include "bench/sensitivity.h"
#include "bench/session.h"
#include "record/result.h"
#include "db/db.h"
#include "search/drop_model.h"
#include "search/search_paired.h"
#include "stats/ab.h"
#include "tune/sweep.h"

typedef enum { ET_SEARCH_LATENCY, ET_SEARCH_SIZE } et_search_objective;

typedef enum { ET_SP_REFERENCE, ET_SP_BASE, ET_SP_UNIFORM, ET_SP_FINALIST } et_search_kind;

/* The per-layer candidates without --candidates. Latency: 4-bit, or a quarter or half of the channels pruned.
 * Size: 4-bit, alone or with 1/8, 1/4 or 1/2 of the channels pruned: a layer can then be both, as the best uniform
 * setting (w4 + 25 % channel everywhere) is, which the latency set never lets a layer be (session 10, fmnist_wide
 * within 1 pp, one 30-minute run: these found a model 39.7 % smaller than the best uniform setting). */
#define ET_SEARCH_DEFAULT_CANDIDATES "bits=4;prune=0.25,method=channel;prune=0.5,method=channel"
#define ET_SEARCH_SIZE_CANDIDATES \
    "bits=4;bits=4,prune=0.125,method=channel;bits=4,prune=0.25,method=channel;bits=4,prune=0.5,method=channel"

/* The default candidates for objective o (both front ends' default, and the workbench form's). */
const char *et_search_default_candidates(et_search_objective o);

enum { ET_SEARCH_MAX_FINALISTS = 16, ET_SEARCH_SEARCH_HALF = 0 /* even positions; odd ones are held out */ };

struct et_search_step;

typedef struct et_search_config {
    double max_drop_pp; /* accuracy (or top-1 agreement) drop allowed against fp32, percentage points */
    et_search_objective objective;
    double budget_s;   /* > 0: stop measuring after this many seconds (the points so far kept) */
    int iters, warmup; /* per measured point (defaults 50 and 5) */
    double point_s;    /* > 0: time each measured point for at least this long per round, iters the minimum (0.25) */
    int sens_iters;    /* per sensitivity point (default 20) */
    int rounds;        /* latency rounds of the measured points, the fastest kept (default 2) */
    int paired_rounds; /* alternating rounds of the last timing (search_paired.h; default 9, 0 none) */
    int n_finalists;   /* knapsack budgets tried: max_drop x 1, 3/4, 1/2, 1/4, ... (default 4) */
    char (*cand)[ET_SENS_CAND_BYTES]; /* the per-layer candidates (et_sens_parse_candidates) */
    int n_cand;
    et_sweep_lists uniform; /* the uniform grid */
    volatile int *cancel;   /* set non-zero (e.g. by a signal handler) to stop; the search sets it to 2 for a
                               phase whose time is up and clears that again */
    void (*progress)(void *ctx, const char *line); /* one line per step, e.g. "finalist 3 of 8, time left ~40 s" */
    void *progress_ctx;
    /* the same steps for a view (may be NULL): what is being measured and the points so far, called on the
       search's thread with progress_ctx; step->res is only valid during the call */
    void (*on_step)(void *ctx, const struct et_search_step *step);
    /* the run database (borrowed; NULL: none): the sensitivities are stored there under a base run and, unless
       fresh_sens, points an earlier analysis of the same setting measured are taken instead of measured again */
    et_db *db;
    bool fresh_sens;
    /* > 0: the sensitivity stops after this many layer x candidate points, as it does at half of --budget (the
       layers after them stay as the base; the rest of the search goes on); needs cancel (its flag carries the
       stop). 0: every point */
    int sens_max_points;
    /* A test hook (NULL: none; et_search_config_default takes the environment's EDGETUNE_SEARCH_FAIL_AT, so both
       front ends have it): the phase ("finalists", "moves" or "paired") at whose start et_search_run fails with
       ET_E_RUNTIME, as an error of that phase would, so that a test can check what the front ends keep */
    const char *fail_at;
} et_search_config;

et_search_config et_search_config_default(void);

/* The drop (pp) a point may have on a search half of n inputs to count as within max_pp: max_pp less one standard
 * deviation of the difference between its drop there and on the held-out half (search.c says how); max_pp when
 * n < 1 or max_pp <= 0. 1 pp on 1,000 inputs: 0.64 pp. */
double et_search_bar_pp(double max_pp, int n);

typedef struct et_search_point {
    et_search_kind kind;
    char name[96]; /* "fp32", "w4a8 + 25% channel", "finalist 2 (budget 0.50 pp)" */
    et_knobs k;
    bool measured;
    char error[256];
    et_result r;                /* round 0's fidelity with the fastest round's latency (the run to store) */
    int64_t bytes;              /* weights as stored */
    double q_search, q_heldout; /* quality (fractions) on the two halves */
    /* finalists: the prediction (the drop model's for the drop; NaN otherwise) */
    double budget_pp, pred_p50_ms, pred_q_search;
    int64_t pred_bytes;
    /* finalists: the point whose measured p50 and size the prediction starts from (the base for the knapsack's
       finalists, the start or the best move for moves, the uniform point for the start); -1 none */
    int pred_from;
    /* finalists: the time the changed layers save against pred_from's settings (ms; pred_p50_ms is pred_from's
       fastest-of-rounds p50 minus it), and pred_from's paired p50 minus it (NaN unless pred_from was timed in the
       paired rounds): the prediction compared with this point's paired p50 (search_pred.h) */
    double pred_saved_ms, pred_paired_ms;
    int n_changed; /* layers changed from the base */
    /* the sum of the changed layers' drops above the base (pp, each at least the floor): finalists, and uniform
       points whose setting is a candidate; NaN otherwise. model_scale: the drop model's scale the finalist was
       chosen and predicted with (NaN for others) */
    double additive_pp, model_scale;
    /* the paired timing: this point's figure per alternating round (ms, NaN: not timed) and their median */
    double paired_ms[ET_SEARCH_PAIRED_MAX_ROUNDS];
    double paired_p50_ms;
} et_search_point;

typedef struct et_search_result {
    et_sens_base sens_base;
    et_sens_point *sens; /* layers x candidates (owned) */
    int n_sens;
    et_search_point *pts; /* reference first, then base (unless it is the reference), uniform, finalists (owned) */
    int n_pts, cap_pts;
    int base;                 /* index of the base knobs' point */
    int winner, best_uniform; /* -1: none measured within the drop */
    bool is_accuracy;
    int n_eval, n_search, n_heldout;
    int n_screen;  /* inputs of the search half the sensitivity points are evaluated on (search.c SCREEN_INPUTS) */
    double bar_pp; /* the drop on the search half a point may have to count as within --max-drop: --max-drop less
                      the noise of the held-out half's drop (search.c bar_pp); --max-drop before the reference */
    char eval_source[1024];
    bool cancelled, out_of_time;
    bool rounds_cut;     /* --budget ran out in the later latency rounds: some points timed in fewer than --rounds */
    int uniform_skipped; /* uniform points not measured: past search.c's GRID_SHARE of --budget, kept for finalists */
    /* a phase after the reference failed: the points measured before it are kept (the winner and best uniform
       chosen among them, no paired timing); fail_status and error are what et_search_run returned */
    bool failed;
    et_status fail_status;
    char error[ET_ERR_MSG_MAX];
    double elapsed_s;
    /* the drop model from the uniform points alone (before any finalist), and after every measured point */
    et_drop_model drop_first, drop_final;
    /* the paired timing: rounds completed, points timed, and the winner against the best uniform setting by the
       paired rule (verdict ET_AB_NA with why when either was not timed) */
    int paired_done, n_paired;
    int paired_prepared; /* plans prepared for it: one per point, kept through every round (search.c: while they
                            fit PAIRED_KEEP_BYTES; a point beyond is prepared for each of its timings) */
    double paired_s;     /* the paired timing's wall time (s) */
    et_ab paired;
} et_search_result;

/* A step of the search for a view (et_search_config.on_step): before each measurement (point -1) and after each
 * measured point (its index in res->pts). */
typedef struct et_search_step {
    const char *phase;           /* "reference", "sensitivity", "base", "uniform", "finalist" */
    int done, total;             /* sensitivity: points done of all; measured points: this one of its kind */
    int round, rounds;           /* the latency round (1-based) of measured points; 0 in the sensitivity */
    double left_s;               /* estimated time left, < 0 when unknown */
    const et_search_result *res; /* the points so far (read only, during the call) */
    int point;                   /* the point just measured, -1 when none */
} et_search_step;

/* Runs the search: sensitivity on `prof` (a session that times layers), every other measurement on `s` (the same
 * model and data, without the per-layer profile's clock reads). ET_E_CANCELLED when stopped by the flag (out keeps
 * what was measured; out_of_time is not a failure); ET_E_USAGE for knobs the search cannot use; errors of the
 * reference measurement or of a later phase otherwise: out is then marked failed with the error and still holds
 * every point measured before it (et_search_measured counts them; none when the reference failed). out is always
 * valid to read and to free with et_search_result_free, whatever the status. */
et_status et_search_run(et_session *prof, et_session *s, const et_knobs *base, const et_search_config *cfg,
                        et_search_result *out, et_err *err);

/* The objective value of a measured point: p50 (ms) or bytes. */
double et_search_objective_value(const et_search_point *p, et_search_objective o);

/* The points of res that were measured (what a front end prints and stores). */
int et_search_measured(const et_search_result *res);

void et_search_result_free(et_search_result *out);

#endif
