/* significance.c: whether a metric's change between a run and its baseline is real, from the raw data the two
 * runs stored: the A/B rule of src/stats/ab.h on the latency samples (p50), on energy per inference per interval
 * of the power timeline (energy/inf), or on the per-input correctness (accuracy, McNemar). compare, sweep, history and the workbench's baseline panel all ask here, so they all say
 * the same. */
#include "db/significance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

/* A run's energy per inference per interval of its power timeline (stats.h); NULL with why set when it has no
 * timeline or memory ran out. The caller frees the array. */
static double *energy_samples(const et_result *r, const char *who, int *n, char *why, size_t why_len) {
    *n = 0;
    const et_power_info *p = &r->power;
    if (p->status != ET_AVAIL_OK || p->n_samples < 1 || !p->samples) {
        snprintf(why, why_len, "%s has no stored power timeline", who);
        return NULL;
    }
    if (r->n_samples < 1 || !r->samples_ms) {
        snprintf(why, why_len, "%s has no stored latency samples to place its power timeline", who);
        return NULL;
    }
    int64_t *t = malloc((size_t)p->n_samples * sizeof *t);
    double *mw = malloc((size_t)p->n_samples * sizeof *mw), *mj = malloc((size_t)p->n_samples * sizeof *mj);
    if (t && mw && mj) {
        for (int i = 0; i < p->n_samples; i++)
            t[i] = p->samples[i].t_ns, mw[i] = p->samples[i].power_mw;
        *n = et_stats_energy_per_interval(r->samples_ms, r->n_samples, t, mw, p->n_samples, mj);
    }
    free(t);
    free(mw);
    if (*n < 1) {
        snprintf(why, why_len, "%s: %s", who, mj ? "its power timeline spans no inference" : "out of memory");
        free(mj);
        return NULL;
    }
    return mj;
}

static bool energy(const et_result *base, const et_result *run, const et_ab_options *o, et_ab *out) {
    char why[120];
    int nb = 0, nr = 0;
    double *b = energy_samples(base, "the baseline", &nb, why, sizeof why);
    double *r = b ? energy_samples(run, "the run", &nr, why, sizeof why) : NULL;
    bool ok = b && r && et_ab_energy(b, nb, r, nr, o, out);
    if (!b || !r)
        et_ab_na(out, "%s", why);
    free(b);
    free(r);
    return ok;
}

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
    case ET_TEST_ENERGY_TIMELINE: return energy(base, run, o, out);
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
