/* sensitivity.h: one point of a per-layer sensitivity analysis: one layer changed to one candidate setting while
 * every other layer keeps the base knobs, and what that did. src/bench/sensitivity.c measures points, db/ stores
 * them under the run of the base measurement (so a later analysis of the same model, host, knobs and evaluation
 * set, or a search, can take them instead of measuring again), the CLI prints them. */
#ifndef ET_RECORD_SENSITIVITY_H
#define ET_RECORD_SENSITIVITY_H

#include <stdbool.h>
#include <stdint.h>

enum { ET_SENS_CAND_BYTES = 96 };

typedef struct et_sens_point {
    char layer[128];
    char candidate[ET_SENS_CAND_BYTES];
    bool measured;
    char error[256];         /* why not measured ("" when measured or not reached) */
    bool not_applicable;     /* not measured because the candidate changes nothing on this layer (error says
                                why; e.g. channel pruning of a layer whose channels cannot shrink): not a failure */
    double quality;          /* accuracy with labels, else top-1 agreement with fp32 (fractions); NaN unknown */
    double quality_delta_pp; /* quality - the base's, in percentage points */
    double time_saved_ms;    /* per inference: the base's time minus the candidate's on this layer's step and the
                                 steps only one of the two plans has (added quantize/dequantize); each step's
                                 time is the median over 5 chunks of iterations of the chunk's mean */
    double layer_ms;         /* the layer's step in the base, per inference (the same median) */
    double p50_ms;           /* the whole model's p50 with the candidate */
    int64_t bytes_saved;     /* weights as stored: the base's minus the candidate's */
    char exec[32];           /* "native" or "simulated" */
    int64_t from_run;        /* 0: measured now; else the stored run (an earlier base) it was taken from */
} et_sens_point;

#endif
