/* tune.h: from the pristine graph and the knobs to the graph the engine runs (ARCHITECTURE.md, Tune).
 *
 * A pure function of (pristine graph, knobs, calibration data): it never modifies the pristine graph, so
 * toggling 8 -> 4 -> 8 bits gives bit-identical weights. The result borrows from the pristine graph, which must
 * outlive it. */
#ifndef ET_TUNE_TUNE_H
#define ET_TUNE_TUNE_H

#include "model/graph.h"
#include "tune/knobs.h"
#include "util/npy.h"

/* Calibration inputs for activation ranges: sets of graph inputs (set k, input i at sets[k * n_inputs + i]). */
typedef struct et_calib_set {
    int n_sets, n_inputs;
    const et_npy *sets;
    char source[256]; /* "--calib DIR" or "seeded random inputs" */
} et_calib_set;

typedef struct et_tune_report {
    char exec[32];                /* "native", or "simulated" when a bit-width runs on wider kernels */
    char notes[256];              /* what the user must know: kept-fp32 layers, skipped layers, calibration */
    int64_t weights_deploy_bytes; /* bytes of weights a deployment stores at this bit-width */
    int n_quantized_layers, n_pruned_layers, n_skipped_layers;
    double sparsity;              /* fraction of zero weights in pruned layers */
} et_tune_report;

/* Derives the tuned graph. ET_E_UNSUPPORTED for knob combinations not implemented, naming the knob. */
et_status et_tune_apply(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib, et_graph **out,
                        et_tune_report *rep, et_err *err);

#endif
