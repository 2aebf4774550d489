/* train_prune.h: pruning masks for training (train_prune.c): the masks of a graph tune has pruned, and the
 * gradual schedule of Zhu and Gupta ("To prune, or not to prune", 2017) that raises sparsity from 0 to a target
 * while training: s(t) = s_f (1 - (1 - t / T)^3) over the pruning window, masks recomputed by magnitude every few
 * steps (per layer, or one threshold over every prunable layer). */
#ifndef ET_TRAIN_TRAIN_PRUNE_H
#define ET_TRAIN_TRAIN_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "train/train.h"

/* Masks (1 = kept) for the weights that tune pruned: a weight parameter of n with more zeros than the same-named
 * value of `pristine` gets mask = (w != 0); *n_masked counts them. ET_E_NOMEM. */
et_status et_train_masks_from_tuned(et_tnet *n, const et_graph *pristine, int *n_masked, et_err *err);

/* Which weight parameters of n tune prunes under these knobs (the same comparison, on tune's output `tuned`,
 * whose weight values carry the parameters' names): prunable[i] per parameter. */
void et_train_prunable(et_tnet *n, const et_graph *pristine, const et_graph *tuned, bool *prunable);

typedef struct et_prune_schedule {
    float target;     /* final sparsity of the prunable weights, 0..1 */
    bool global;      /* one magnitude threshold over every prunable weight (else per layer) */
    int64_t end_step; /* the target is reached at this step (the window starts at step 0) */
    int64_t every;    /* masks are recomputed every this many steps (>= 1) */
} et_prune_schedule;

/* The sparsity the schedule asks for after `step` steps. */
float et_prune_sparsity_at(const et_prune_schedule *s, int64_t step);
/* True when masks are due at `step`. */
bool et_prune_due(const et_prune_schedule *s, int64_t step);

/* Masks by magnitude at `sparsity` for the prunable weights (the smallest |w| go; ties by position, so exactly
 * floor(sparsity x count) go). ET_E_NOMEM. */
et_status et_prune_magnitude(et_tnet *n, const bool *prunable, float sparsity, bool global, et_err *err);

/* Erdos-Renyi-kernel allocation (Evci et al. 2020; src/tune/prune_alloc.c's rule for one-shot pruning before
 * --recover full): the final sparsity share[i] of each prunable parameter, its kept fraction proportional to
 * sum(dims) / prod(dims) and capped at 1, so that `target` of all prunable weights go: depthwise and small layers
 * keep more, big 1x1 and fully connected layers lose more. share[i] = 0 for the others; out of memory, target
 * in every prunable one (uniform). */
void et_prune_erk(et_tnet *n, const bool *prunable, float target, float *share);

/* What compensation did over a pruning step: the squared output error of the rows it touched (summed over the
 * rows, samples and pixels) with the removed weights simply zeroed, and after the kept weights were moved. */
typedef struct et_prune_comp_stats {
    double err_before, err_after;
    int64_t rows;
} et_prune_comp_stats;

/* Masks by magnitude per layer: prunable parameter i loses floor(scale x share[i] x its count) of its weights
 * (scale: the schedule's progress, sparsity(t) / target). With `compensate`, each layer's kept weights and bias
 * are first moved to make up for what the step removes (et_prune_compensate); stats (may be NULL) adds up what
 * that did. ET_E_NOMEM. */
et_status et_prune_magnitude_shares(et_tnet *n, const bool *prunable, const float *share, float scale, bool compensate,
                                    et_prune_comp_stats *stats, et_err *err);

/* Error-compensated pruning step (prune_compensate.c): before weight parameter `param` of n takes `mask` (1 =
 * kept), moves its kept weights and its bias, row by row, to the least-squares fit of the row's present output on
 * the layer's inputs in the last forward (the activations n holds: batch_now samples), so that the weights the
 * mask removes cost as little output as they can. Conv (any stride, padding, dilation or groups; at most 320
 * inputs per row) and Gemm with transB are touched; other layers, and a network that has run no forward, are
 * left as they are (ET_OK). Adds to stats (may be NULL). ET_E_NOMEM. */
et_status et_prune_compensate(et_tnet *n, int param, const uint8_t *mask, et_prune_comp_stats *stats, et_err *err);

/* The fraction of pruned weights over the prunable weight parameters (NULL: over those with a mask); 0 when
 * none is. */
double et_train_sparsity(et_tnet *n, const bool *prunable);

#endif
