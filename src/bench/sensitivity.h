/* sensitivity.h: per-layer sensitivity. For each weight layer and each candidate setting (a per-layer override
 * such as "bits=4" or "prune=0.5,method=nm"), only that layer changes from the base knobs; each point is measured
 * like bench (fidelity against fp32 on the evaluation set, the per-layer profile) and compared with the base:
 * the change in accuracy (with labels) or top-1 agreement (without), the time the layer saves per inference and
 * the bytes of weights it saves. Both front ends call this; the CLI prints it (`edgetune sensitivity`). */
#ifndef ET_BENCH_SENSITIVITY_H
#define ET_BENCH_SENSITIVITY_H

#include "bench/session.h"
#include "record/knobs.h"
#include "record/sensitivity.h"

enum { ET_SENS_MAX_CANDIDATES = 16 };

/* The candidates when none are given, as --candidates takes them. */
#define ET_SENS_DEFAULT_CANDIDATES "bits=8;bits=4;prune=0.5"

/* Parses ';'-separated candidates, each a ','-separated key=value list of layer_knobs.h's keys, into
 * out[ET_SENS_MAX_CANDIDATES][ET_SENS_CAND_BYTES] (canonical form). ET_E_USAGE naming the candidate otherwise. */
et_status et_sens_parse_candidates(const char *list, char out[][ET_SENS_CAND_BYTES], int *n, et_err *err);


/* A candidate's channel-pruning ratio ("prune=R,method=channel", maybe beside other keys such as bits): R; else -1.
 * *only (may be NULL): true when every key of it is prune or method (it changes nothing else). */
double et_sens_channel_ratio(const char *cand, bool *only);

typedef struct et_sens_base {
    double quality, p50_ms;
    bool is_accuracy; /* quality is accuracy (labels), else top-1 agreement */
    int64_t weights_bytes;
    int n_eval;
    int n_points;  /* layers x candidates */
    bool measured; /* false: stopped (or failed) before the base was measured */
    char eval_source[1024];
} et_sens_base;

typedef struct et_sens_config {
    int iters, warmup;          /* per point (defaults 20 and 3) */
    double profile_s;           /* > 0: each per-layer profile (the time saved) runs at least this long, iters the
                                   minimum: a 40 us model's steps get thousands of iterations, not 20 (default 0) */
    const volatile int *cancel; /* non-zero: stop between points (ET_E_CANCELLED, the points so far kept) */
    /* called after the base and after each point (done of total; p NULL for the base); may be NULL */
    void (*progress)(void *ctx, int done, int total, const et_sens_point *p);
    void *progress_ctx;
    /* which evaluation inputs are evaluated and counted: -1 every one (default); 0 or 1 only those at even or odd
       positions of the set's order (et_bench_config.eval_half, et_sens_quality): a search looks at one half and
       reports on the other, and its sensitivity points evaluate only that half (about half the cost) */
    int eval_half;
    /* with eval_half >= 0: only every eval_thin-th input of that half is evaluated (et_bench_config.eval_thin; 0 or 1,
       default: all of it): a search screens its points on a subset of a large search half (search.c SCREEN_INPUTS) */
    int eval_thin;
    const int32_t *ref_top1; /* without labels and with eval_half >= 0: the fp32 model's top-1 per input */
    /* > 0: a point's evaluation stops once it has missed so many inputs that its quality is certain to be more than
       this many pp below the base's (et_session_fidelity_until); the point then has quality_bound set. A search sets
       it (search.c STOP_DROP) where it could never spend such a point; 0 (default) evaluates every input */
    double stop_drop_pp;
    /* A store of earlier points (the CLI's run database; all may be NULL): on_base is called once, when the base
       has been measured (the store may keep it as a run and find an earlier analysis of the same model, host, knobs
       and evaluation set); known, before each point: true when it filled p (quality, deltas, times, bytes, exec,
       from_run) from that analysis, which is then not measured again. */
    void (*on_base)(void *ctx, const et_result *base);
    bool (*known)(void *ctx, const char *layer, const char *candidate, et_sens_point *p);
    void *store_ctx;
    /* Under --recover: each point's recovery starts from the base's (et_session_set_recover_base): only the layers
       whose solve changes are solved again, on the base's statistics; the layers after the changed one keep the
       base's weights (an approximation: a full recovery would refit them on their changed inputs). A search sets
       it; et_sens_config_default takes the environment's EDGETUNE_SENS_RECOVER ("base" sets it, else false) */
    bool recover_from_base;
    /* A test hook (NULL: none; et_sens_config_default takes the environment's EDGETUNE_SENS_FAKE_CLOCK): "B:K"
       times every step by its work, not a clock, K times slower in timed block B, or in blocks B to E with "B-E:K"
       (sensitivity.c profile_plans) */
    const char *fake_clock;
} et_sens_config;

/* The quality of r on the inputs of `half` (-1 all, 0 even positions, 1 odd): accuracy when r has labels (*is_acc
 * true), else top-1 agreement with the fp32 model (with half >= 0 from ref_top1, one per input of the whole set,
 * which may then not be NULL). r may have evaluated every input, or only that half or every k-th input of it
 * (fidelity eval_step 2 k, eval_first == half). NaN when
 * r has no fidelity (or, per half, no per-input record, or it evaluated the other half only). */
double et_sens_quality(const et_result *r, int half, const int32_t *ref_top1, bool *is_acc);

et_sens_config et_sens_config_default(void);

/* Measures the base knobs, then every layer x candidate. The session must time layers (profile_layers). *pts
 * (caller frees) gets layers x candidates points in layer order (b->n_points), each naming its layer and
 * candidate; the first *n_pts were attempted, the rest are unmeasured (a stop); a point that fails keeps its
 * error and the others go on. ET_E_CANCELLED when stopped (what was measured is kept); errors of
 * the base measurement otherwise. */
et_status et_sensitivity_run(et_session *s, const et_knobs *base, char cand[][ET_SENS_CAND_BYTES], int n_cand,
                             const et_sens_config *cfg, et_sens_base *b, et_sens_point **pts, int *n_pts, et_err *err);

#endif
