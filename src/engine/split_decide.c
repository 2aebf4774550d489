/* split_decide.c: the schedule and the rule of split_decide.h. */
#include "engine/split_decide.h"

#include <math.h>
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

double et_split_median_ratio(int runs, const double *a_ns, const double *b_ns) {
    if (runs < 1 || runs > ET_SPLIT_RUNS)
        return INFINITY;
    double ratio[ET_SPLIT_RUNS];
    for (int i = 0; i < runs; i++) {
        if (!(a_ns[i] > 0) || !(b_ns[i] > 0))
            return INFINITY;
        ratio[i] = a_ns[i] / b_ns[i];
    }
    qsort(ratio, (size_t)runs, sizeof *ratio, cmp_double);
    return runs % 2 ? ratio[runs / 2] : (ratio[runs / 2 - 1] + ratio[runs / 2]) / 2;
}

et_split_mode et_split_choose(double modelled_ratio, double mixed_ratio) {
    const double best = mixed_ratio <= modelled_ratio ? mixed_ratio : modelled_ratio;
    if (!(best < 1.0 - ET_SPLIT_WHOLE_MARGIN))
        return ET_SPLIT_SERIAL;
    return mixed_ratio <= modelled_ratio ? ET_SPLIT_MIXED : ET_SPLIT_MODELLED;
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

/* After the warm runs, each phase (compare, then verify) is 2 x ET_SPLIT_RUNS blocks of ET_SPLIT_BLOCK runs, the
 * blocks alternately split (modelled in compare, mixed in verify) and serial; q is the run's place in its phase. */
enum { PHASE_RUNS = 2 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK };
static bool block_serial(int q) { return q / ET_SPLIT_BLOCK % 2 == 1; }
static int block_pair(int q) { return q / ET_SPLIT_BLOCK / 2; }
static bool block_timed(int q) { return q % ET_SPLIT_BLOCK == ET_SPLIT_BLOCK - 1; }

et_split_mode et_split_next_mode(const et_split_state *s) {
    if (s->decided)
        return s->final;
    if (s->run == 0)
        return ET_SPLIT_MODELLED;
    const int q = (s->run - 1) % PHASE_RUNS;
    if (block_serial(q))
        return ET_SPLIT_SERIAL;
    return s->run <= PHASE_RUNS ? ET_SPLIT_MODELLED : ET_SPLIT_MIXED;
}

bool et_split_step_pooled(const et_split_state *s, et_split_mode mode, int i) {
    return mode == ET_SPLIT_MODELLED || (mode == ET_SPLIT_MIXED && s->keep[i]);
}

static void decide(et_split_state *s, et_split_mode final) {
    s->decided = true;
    s->final = final;
    if (final == ET_SPLIT_SERIAL)
        s->kept = 0;
    if (final == ET_SPLIT_MODELLED) /* every split kept */
        for (int i = 0; i < s->n_steps; i++)
            s->keep[i] = s->splits[i];
    if (final == ET_SPLIT_MODELLED)
        s->kept = s->splitting;
}

static void keep_min(double *best, double t) {
    if (*best <= 0 || t < *best)
        *best = t;
}

void et_split_record(et_split_state *s, et_split_mode mode, const double *step_ns, const bool *posted,
                     double whole_ns) {
    if (s->decided)
        return;
    if (s->run == 0) { /* warm: which steps split as modelled */
        for (int i = 0; i < s->n_steps; i++)
            if (posted[i] && !s->splits[i])
                s->splits[i] = true, s->splitting++;
        s->warm_runs++;
        s->warm_ns += whole_ns;
        if (s->splitting == 0)
            decide(s, ET_SPLIT_SERIAL); /* nothing splits: nothing to decide */
        else if (s->warm_ns >= ET_SPLIT_WARM_NS || s->warm_runs >= ET_SPLIT_WARM_MAX_RUNS)
            s->run = 1;
        return;
    }
    const int r = s->run++, q = (r - 1) % PHASE_RUNS;
    const bool serial = mode == ET_SPLIT_SERIAL;
    if (block_timed(q) && r <= PHASE_RUNS) {
        for (int i = 0; i < s->n_steps; i++)
            keep_min(serial ? &s->best_serial[i] : &s->best_split[i], step_ns[i]);
        (serial ? s->whole_serial : s->whole_modelled)[block_pair(q)] = whole_ns;
    } else if (block_timed(q)) {
        (serial ? s->whole_serial2 : s->whole_mixed)[block_pair(q)] = whole_ns;
    }
    if (r == PHASE_RUNS) {
        s->kept = et_split_keep(s->n_steps, s->best_split, s->best_serial, s->splits, s->keep);
        if (s->kept == 0) /* no mixed plan to verify: modelled against serial */
            decide(s,
                   et_split_choose(et_split_median_ratio(ET_SPLIT_RUNS, s->whole_modelled, s->whole_serial), INFINITY));
    } else if (r == 2 * PHASE_RUNS) {
        decide(s, et_split_choose(et_split_median_ratio(ET_SPLIT_RUNS, s->whole_modelled, s->whole_serial),
                                  et_split_median_ratio(ET_SPLIT_RUNS, s->whole_mixed, s->whole_serial2)));
    }
}
