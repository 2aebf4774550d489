/* split_decide.c: the schedule and the rule of split_decide.h. */
#include "engine/split_decide.h"

#include <stdlib.h>

int et_split_keep(int n_steps, const double *split_ns, const double *serial_ns, const bool *splits, bool *keep) {
    int kept = 0;
    for (int i = 0; i < n_steps; i++) {
        keep[i] = false;
        if (!splits[i])
            continue;
        double gain = serial_ns[i] - split_ns[i];
        for (int j = i + 1; j < n_steps && !splits[j]; j++)
            gain += serial_ns[j] - split_ns[j];
        keep[i] = gain > ET_SPLIT_KEEP_MARGIN * serial_ns[i] && gain > ET_SPLIT_MIN_NS;
        kept += keep[i];
    }
    return kept;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bool et_split_mixed_pays(int runs, const double *mixed_ns, const double *serial_ns) {
    if (runs < 1 || runs > ET_SPLIT_RUNS)
        return false;
    double ratio[ET_SPLIT_RUNS];
    for (int i = 0; i < runs; i++) {
        if (!(mixed_ns[i] > 0) || !(serial_ns[i] > 0))
            return false;
        ratio[i] = mixed_ns[i] / serial_ns[i];
    }
    qsort(ratio, (size_t)runs, sizeof *ratio, cmp_double);
    const double median = runs % 2 ? ratio[runs / 2] : (ratio[runs / 2 - 1] + ratio[runs / 2]) / 2;
    return median < 1.0 - ET_SPLIT_MIXED_MARGIN;
}

bool et_split_state_init(et_split_state *s, int n_steps) {
    *s = (et_split_state){.n_steps = n_steps, .final = ET_SPLIT_MODELLED};
    const size_t n = (size_t)n_steps + 1;
    s->splits = calloc(n, sizeof *s->splits);
    s->keep = calloc(n, sizeof *s->keep);
    s->best_split = calloc(n, sizeof *s->best_split);
    s->best_serial = calloc(n, sizeof *s->best_serial);
    if (!s->splits || !s->keep || !s->best_split || !s->best_serial) {
        et_split_state_free(s);
        return false;
    }
    return true;
}

void et_split_state_free(et_split_state *s) {
    free(s->splits), free(s->keep), free(s->best_split), free(s->best_serial);
    *s = (et_split_state){.decided = true, .final = ET_SPLIT_MODELLED};
}

/* Runs 1 .. 2R compare (odd: modelled, even: serial), runs 2R+1 .. 4R verify (odd offset: mixed, even: serial). */
et_split_mode et_split_next_mode(const et_split_state *s) {
    if (s->decided)
        return s->final;
    if (s->run == 0)
        return ET_SPLIT_MODELLED;
    if (s->run <= 2 * ET_SPLIT_RUNS)
        return s->run % 2 ? ET_SPLIT_MODELLED : ET_SPLIT_SERIAL;
    return (s->run - 2 * ET_SPLIT_RUNS) % 2 ? ET_SPLIT_MIXED : ET_SPLIT_SERIAL;
}

bool et_split_step_pooled(const et_split_state *s, et_split_mode mode, int i) {
    return mode == ET_SPLIT_MODELLED || (mode == ET_SPLIT_MIXED && s->keep[i]);
}

static void decide(et_split_state *s, et_split_mode final) {
    s->decided = true;
    s->final = final;
    if (final != ET_SPLIT_MIXED)
        s->kept = 0;
}

static void keep_min(double *best, double t) {
    if (*best <= 0 || t < *best)
        *best = t;
}

void et_split_record(et_split_state *s, et_split_mode mode, const double *step_ns, const bool *posted,
                     double whole_ns) {
    if (s->decided)
        return;
    const int r = s->run++;
    if (r == 0) { /* warm: which steps split as modelled */
        s->splitting = 0;
        for (int i = 0; i < s->n_steps; i++)
            s->splitting += (s->splits[i] = posted[i]);
        if (s->splitting == 0)
            decide(s, ET_SPLIT_SERIAL); /* nothing splits: nothing to decide */
        return;
    }
    if (r <= 2 * ET_SPLIT_RUNS) {
        for (int i = 0; i < s->n_steps; i++)
            keep_min(mode == ET_SPLIT_SERIAL ? &s->best_serial[i] : &s->best_split[i], step_ns[i]);
        if (r == 2 * ET_SPLIT_RUNS) {
            s->kept = et_split_keep(s->n_steps, s->best_split, s->best_serial, s->splits, s->keep);
            if (s->kept == 0)
                decide(s, ET_SPLIT_SERIAL);
        }
        return;
    }
    const int pair = (r - 2 * ET_SPLIT_RUNS - 1) / 2;
    if (mode == ET_SPLIT_MIXED)
        s->whole_mixed[pair] = whole_ns;
    else
        s->whole_serial[pair] = whole_ns;
    if (r == 4 * ET_SPLIT_RUNS)
        decide(s,
               et_split_mixed_pays(ET_SPLIT_RUNS, s->whole_mixed, s->whole_serial) ? ET_SPLIT_MIXED : ET_SPLIT_SERIAL);
}
