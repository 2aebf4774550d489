/* sweep.h: the grid of a sweep (bits x activation bits x prune ratio x prune method x recovery) and its Pareto
 * front.
 *
 * The grid always starts with the fp32 baseline (the speed-ups are measured against it), drops combinations
 * that are not valid knobs (--act-bits 8 with float weights) and merges duplicates: any method at ratio 0 is
 * "no pruning", and N:M ignores the ratio (its sparsity is 1 - N/M), so it appears once per bit-width. */
#ifndef ET_TUNE_SWEEP_H
#define ET_TUNE_SWEEP_H

#include <stdbool.h>

#include "record/knobs.h"

enum { ET_SWEEP_MAX = 512 };

typedef struct et_sweep_lists {
    int bits[16], n_bits;
    int act_bits[2], n_act_bits;
    float prune[32];
    int n_prune;
    et_prune_method methods[ET_PRUNE_COUNT];
    int n_methods;
    et_recover recover[ET_RECOVER_COUNT];
    int n_recover;
} et_sweep_lists;

/* Parses "8,4,2" (bits and act bits: each must be a valid width), "0,0.5,0.9" (ratios in [0, 0.95]) and
 * "unstructured,nm,channel" into l; ET_E_USAGE naming the flag and the bad item. NULL leaves a list as is. */
et_status et_sweep_parse(const char *bits, const char *act_bits, const char *prune, const char *methods,
                         et_sweep_lists *l, et_err *err);

/* Parses "none,full" (recovery modes) into l; ET_E_USAGE naming the bad item. NULL leaves the list as is. */
et_status et_sweep_parse_recover(const char *recover, et_sweep_lists *l, et_err *err);

/* The knob combinations of the grid, fp32 baseline first, from base (granularity, threads... are kept).
 * Recovery is a dimension too; a point that compresses nothing gets none (recovery has nothing to do there).
 * Returns the count (at most max); ET_E_USAGE via err and -1 when the grid is empty or too large. */
int et_sweep_grid(const et_sweep_lists *l, const et_knobs *base, et_knobs *out, int max, et_err *err);

#endif
