/* erk.h: Erdős-Rényi-kernel allocation (Evci et al. 2020, RigL): how one overall pruning ratio is shared out over
 * layers. Each layer keeps a fraction of its weights proportional to sum(dims) / prod(dims) of its weight tensor,
 * capped at 1, scaled so that exactly `ratio` of all the layers' weights go: small layers and thin ones (a depthwise
 * 3x3 filter has 9 weights) keep more, big 1x1 and fully connected layers lose more. One-shot pruning with recovery
 * (src/tune/prune_alloc.c) and gradual pruning in training (src/train/train_prune.c) both share this way. */
#ifndef ET_UTIL_ERK_H
#define ET_UTIL_ERK_H

#include <stdbool.h>

/* density[i] (the kept fraction, 0..1) for each of the n layers with numel[i] weights whose dimensions sum to
 * dims_sum[i]; layers with skip[i] (may be NULL) take no part and get 1. false when out of memory: every layer
 * then gets the uniform 1 - ratio. */
bool et_erk_density(int n, const double *numel, const double *dims_sum, const bool *skip, double ratio,
                    double *density);

#endif
