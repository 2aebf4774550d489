/* prune_alloc.c: how unstructured pruning shares one overall ratio out over the layers when recovery (full)
 * follows: Erdős-Rényi-kernel allocation (util/erk.h), rounded to whole weights so that exactly the knob's fraction
 * of the eligible weights goes. Small layers and thin ones (a depthwise 3x3 filter has 9 weights: little to
 * compensate with) keep more, the big 1x1 and fully connected layers lose more. Plain pruning (recover none or
 * bias) stays uniform per layer: the baseline the recovery table compares against. */
#include <math.h>
#include <stdlib.h>

#include "tune/tune_internal.h"
#include "util/erk.h"

int64_t *et_tune_prune_alloc(const et_tune_ctx *c, double ratio) {
    int64_t *k = calloc((size_t)c->n_layers + 1, sizeof *k);
    double *numel = calloc((size_t)c->n_layers + 1, sizeof *numel);
    double *dims = calloc((size_t)c->n_layers + 1, sizeof *dims);
    double *density = calloc((size_t)c->n_layers + 1, sizeof *density);
    if (!k || !numel || !dims || !density) {
        free(k), free(numel), free(dims), free(density);
        return NULL;
    }
    int64_t total = 0;
    for (int l = 0; l < c->n_layers; l++) {
        const et_shape *s = &c->g->values[c->layers[l].weight].shape;
        numel[l] = (double)et_shape_numel(s);
        for (int d = 0; d < s->rank; d++)
            dims[l] += (double)s->dim[d];
        total += c->keep[l] ? 0 : et_shape_numel(s);
    }
    int64_t want = (int64_t)(ratio * (double)total); /* what uniform per-layer pruning removes, about */
    if (!et_erk_density(c->n_layers, numel, dims, c->keep, ratio, density)) { /* out of memory */
        free(k), free(numel), free(dims), free(density);
        return NULL;
    }
    int64_t got = 0;
    int biggest = -1;
    for (int l = 0; l < c->n_layers; l++) {
        if (c->keep[l])
            continue;
        int64_t n = et_shape_numel(&c->g->values[c->layers[l].weight].shape);
        k[l] = (int64_t)llround((1.0 - density[l]) * (double)n);
        got += k[l];
        if (biggest < 0 || n > et_shape_numel(&c->g->values[c->layers[biggest].weight].shape))
            biggest = l;
    }
    if (biggest >= 0) { /* rounding: the largest layer takes the difference, so the total is the knob's */
        int64_t n = et_shape_numel(&c->g->values[c->layers[biggest].weight].shape);
        int64_t kb = k[biggest] + (want - got);
        k[biggest] = kb < 0 ? 0 : kb > n ? n : kb;
    }
    free(numel), free(dims), free(density);
    return k;
}
