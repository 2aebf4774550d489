/* sensitivity.h: one point of a per-layer sensitivity analysis: one layer changed to one candidate setting while
 * every other layer keeps the base knobs, and what that did. src/bench/sensitivity.c measures points, db/ stores
 * them under the run of the base measurement (so a later analysis of the same model, host, knobs and evaluation
 * set, or a search, can take them instead of measuring again), the CLI prints them. */
#ifndef ET_RECORD_SENSITIVITY_H
#define ET_RECORD_SENSITIVITY_H

#include <stdbool.h>
#include <stdint.h>

enum { ET_SENS_CAND_BYTES = 96 };

/* The rule time_saved_ms is measured by, stored with the points (db/sens_store.c) so that points of an older rule
 * are not taken for new ones: 0 counted the layer's own step and the steps only one plan has; 1 every step the
 * change moved (bench/step_saved.h), the base profiled once per layer and the point after it; 2 the same steps, the
 * base's kept plan and the point's timed alternately in rounds (bench/sensitivity.c profile_plans); 3 as 2, a
 * point timed in a slow spell of the machine brought to the speed of the base's fastest rounds so far; 4 a step's
 * time the median of its 4 round medians (not of every sample), the rounds in a slow spell brought to the base's
 * fastest speed of the whole analysis once every point is timed (bench/sensitivity.c round_scale, paired_finish):
 * rule 3 left the points timed before the analysis first saw that speed slow. */
enum { ET_SENS_SAVED_RULE = 4 };

/* What a point saved on one step of the base plan (its index there): the base's time on it and the base's minus the
 * point's (the whole base time when the point has no such step). */
typedef struct et_sens_step_saved {
    int32_t step;
    float base_ms, saved_ms;
} et_sens_step_saved;

enum { ET_SENS_STEP_SAVES = 24 };

typedef struct et_sens_point {
    char layer[128];
    char candidate[ET_SENS_CAND_BYTES];
    bool measured;
    char error[256];         /* why not measured ("" when measured or not reached) */
    bool not_applicable;     /* not measured because the candidate changes nothing on this layer (error says
                                why; e.g. channel pruning of a layer whose channels cannot shrink): not a failure */
    double quality;          /* accuracy with labels, else top-1 agreement with fp32 (fractions); NaN unknown */
    double quality_delta_pp; /* quality - the base's, in percentage points */
    bool quality_bound;      /* the evaluation stopped early (et_sens_config.stop_drop_pp) once the point had lost
                                more than that: quality is an upper bound (the inputs not evaluated counted as
                                agreeing) and quality_delta_pp the least drop. Not stored (db/): a later analysis
                                measures it again */
    double time_saved_ms;    /* per inference: the base's time minus the candidate's on every step the change
                                 moved (bench/step_saved.h): this layer's, the steps only one of the two plans has
                                 (added quantize/dequantize) and those whose MACs, activation elements or kernel
                                 differ (a channel-pruned layer's group and readers), the candidate's times at
                                 the base's speed (told by the steps it did not move); each step's time is the
                                 median over the iterations, each timed alone, the base's and the candidate's
                                 taken alternately in rounds, both at the base's fastest speed of the analysis
                                 when the machine was in a slow spell (bench/sensitivity.c rescale_rounds) */
    double layer_ms;         /* the layer's step in the base, per inference (the same median) */
    double p50_ms;           /* the whole model's p50 with the candidate */
    int64_t bytes_saved;     /* weights as stored: the base's minus the candidate's */
    char exec[32];           /* "native" or "simulated" */
    int64_t from_run;        /* 0: measured now; else the stored run (an earlier base) it was taken from */
    /* time_saved_ms per base step it moved, measured now (not stored: a point taken from the database has none):
       what a search needs where two changed layers move one step (a pruned layer's reader that is itself
       pruned). n_step_saves 0: none known (also when more than ET_SENS_STEP_SAVES steps moved): the point's
       saving then adds to others' as it is */
    int n_step_saves;
    et_sens_step_saved step_saves[ET_SENS_STEP_SAVES];
} et_sens_point;

#endif
