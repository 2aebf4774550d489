/* significance.c: whether a metric's change between a run and its baseline is real, from the raw data the two
 * runs stored: the A/B rule of src/stats/ab.h on the latency samples (p50) or on the per-input correctness
 * (accuracy, McNemar). compare, sweep, history and the workbench's baseline panel all ask here, so they all say
 * the same. */
#include "db/significance.h"

#include <string.h>

bool et_db_significance(const et_result *base, const et_result *run, et_metric_id m, const et_ab_options *o,
                        et_ab *out) {
    memset(out, 0, sizeof *out);
    switch (et_metrics[m].test) {
    case ET_TEST_LATENCY_SAMPLES:
        if (base->n_samples < 1 || !base->samples_ms || run->n_samples < 1 || !run->samples_ms) {
            et_ab_na(out, "%s has no stored latency samples", base->n_samples < 1 ? "the baseline" : "the run");
            return false;
        }
        return et_ab_latency(base->samples_ms, base->n_samples, run->samples_ms, run->n_samples, o, out);
    case ET_TEST_PAIRED_CORRECTNESS: {
        const et_fidelity_info *b = &base->fidelity, *r = &run->fidelity;
        if (!b->correct || !r->correct || b->n_per_input < 1 || r->n_per_input < 1) {
            et_ab_na(out, "%s per-input correctness stored (labelled evaluation set needed)",
                     !b->correct || b->n_per_input < 1 ? "the baseline has no" : "the run has no");
            return false;
        }
        if (b->n_per_input != r->n_per_input || strcmp(b->eval_hash, r->eval_hash) != 0 || !b->eval_hash[0]) {
            et_ab_na(out, "different evaluation sets (%d inputs, hash %s vs %d, %s): not paired", b->n_per_input,
                     b->eval_hash[0] ? b->eval_hash : "?", r->n_per_input, r->eval_hash[0] ? r->eval_hash : "?");
            return false;
        }
        return et_ab_accuracy(b->correct, r->correct, r->n_per_input, o, out);
    }
    case ET_TEST_NONE: break;
    }
    et_ab_na(out, "%s has no significance test", et_metrics[m].name);
    return false;
}
