/* size_model.h: the weight bytes of a per-layer configuration, exactly, for the search's size objective.
 *
 * Bytes are deterministic: shapes (channel pruning shrinks the layer's output channels, its whole channel group and
 * every reader's input channels), storage bits and per-channel scales. A sensitivity point's bytes_saved is the
 * whole model's difference with one layer changed alone, so a sum of points is wrong where they meet: two pruned
 * neighbours both count the shared reader's tensor, and a 4-bit reader's share of its producer's pruning is counted
 * at the base's width. Here the bytes of a configuration come from tune itself with recovery off, the speed guard
 * off and one calibration set (none of them changes a shape or a width; recovery changes values only), so a
 * prediction is what the measured point stores, not a second model of prune_channel.c's rules (multiples of 8,
 * groups, kept edge layers) that could drift from them. On fmnist_wide a probe is a few milliseconds.
 * The one gap: without --force-int8 the real run's speed guard may keep a layer fp32 (larger than predicted).
 * Not thread-safe (a model is used by one search). */
#ifndef ET_SEARCH_SIZE_MODEL_H
#define ET_SEARCH_SIZE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "record/knobs.h"
#include "tune/tune.h"

enum { ET_SIZE_SEEN = 4096 };

/* The knobs of per-layer settings set[l] (0: the layer as the base has it; 1..: the caller's options). */
typedef et_status (*et_size_knobs_fn)(void *ctx, const int *set, et_knobs *k, et_err *err);

typedef struct et_size_model {
    const et_graph *g;      /* the pristine graph (borrowed) */
    et_calib_set calib;     /* at most one set of the caller's (borrowed): ranges change values, not bytes */
    et_size_knobs_fn knobs; /* may be NULL: only et_size_bytes then */
    void *ctx;
    int n_probes; /* tunes run so far (for the progress line) */
    /* bytes of configurations tuned already (the knapsack's passes ask for many twice), by a 64-bit hash of the
       whole knobs' bytes; the oldest replaced beyond ET_SIZE_SEEN */
    uint64_t seen_hash[ET_SIZE_SEEN];
    int64_t seen_bytes[ET_SIZE_SEEN];
    int n_seen, n_hits;
} et_size_model;

void et_size_model_init(et_size_model *m, const et_graph *pristine, const et_calib_set *calib, et_size_knobs_fn fn,
                        void *ctx);

/* The weight bytes a deployment of knobs k stores (et_tune_report.weights_deploy_bytes), by a tune without recovery
 * or speed guard. Tune's error (bad knobs: ET_E_USAGE/ET_E_UNSUPPORTED; ET_E_NOMEM) with *bytes -1. */
et_status et_size_bytes(et_size_model *m, const et_knobs *k, int64_t *bytes, et_err *err);

/* The same for per-layer settings set (m->knobs makes the knobs). */
et_status et_size_set_bytes(et_size_model *m, const int *set, int64_t *bytes, et_err *err);

/* What each option saves in the context of `set` (the other layers as set has them), so that gains of several layers
 * are never counted from a context none of them is in: gain[l * max_opt + o] (o < n_opt[l]) = bytes(set with layer l
 * at ref) - bytes(set with layer l at o), ref = 0 (the base: the knapsack's gains, option 0 gains 0) when
 * against_base, else set[l] (the moves' gains, the layer's current option gains 0); a layer with n_opt[l] < 2 gets
 * gain 0 for option 0 and no tune. About L x n_opt tunes. Errors as
 * et_size_set_bytes (gain then unfilled). */
et_status et_size_gains(et_size_model *m, const int *set, int L, const int *n_opt, int max_opt, bool against_base,
                        double *gain, et_err *err);

#endif
