/* prune_alloc.c: how unstructured pruning shares one overall ratio out over the layers when recovery (full)
 * follows: Erdős-Rényi-kernel allocation (Evci et al. 2020, RigL), each layer's kept fraction proportional to
 * sum(dims) / prod(dims) of its weight tensor, capped at 1, scaled so that exactly the knob's fraction of the
 * eligible weights goes. Small layers and thin ones (a depthwise 3x3 filter has 9 weights: little to
 * compensate with) keep more, the big 1x1 and fully connected layers lose more. Plain pruning (recover none or
 * bias) stays uniform per layer: the baseline the recovery table compares against. */
#include <math.h>
#include <stdlib.h>

#include "tune/tune_internal.h"

/* sum(dims) / prod(dims) of layer l's weights: the ERK density before scaling. */
static double erk_score(const et_tune_ctx *c, int l) {
    const et_shape *s = &c->g->values[c->layers[l].weight].shape;
    double sum = 0.0, prod = 1.0;
    for (int i = 0; i < s->rank; i++)
        sum += (double)s->dim[i], prod *= (double)s->dim[i];
    return prod > 0 ? sum / prod : 0.0;
}

int64_t *et_tune_prune_alloc(const et_tune_ctx *c, double ratio) {
    int64_t *k = calloc((size_t)c->n_layers + 1, sizeof *k);
    double *score = calloc((size_t)c->n_layers + 1, sizeof *score);
    bool *dense = calloc((size_t)c->n_layers + 1, sizeof *dense);
    if (!k || !score || !dense) {
        free(k), free(score), free(dense);
        return NULL;
    }
    int64_t total = 0;
    for (int l = 0; l < c->n_layers; l++)
        if (!c->keep[l]) {
            total += et_shape_numel(&c->g->values[c->layers[l].weight].shape);
            score[l] = erk_score(c, l);
        }
    int64_t want = (int64_t)(ratio * (double)total); /* what uniform per-layer pruning removes, about */
    /* the scale eps of kept = eps * score * n: layers it would keep whole are fixed dense, then again */
    double eps = 0.0;
    for (bool again = true; again;) {
        again = false;
        double kept_dense = 0.0, weighted = 0.0;
        for (int l = 0; l < c->n_layers; l++) {
            if (c->keep[l])
                continue;
            double n = (double)et_shape_numel(&c->g->values[c->layers[l].weight].shape);
            if (dense[l])
                kept_dense += n;
            else
                weighted += score[l] * n;
        }
        eps = weighted > 0 ? ((double)(total - want) - kept_dense) / weighted : 0.0;
        for (int l = 0; l < c->n_layers; l++)
            if (!c->keep[l] && !dense[l] && eps * score[l] >= 1.0)
                dense[l] = again = true;
    }
    int64_t got = 0;
    int biggest = -1;
    for (int l = 0; l < c->n_layers; l++) {
        if (c->keep[l])
            continue;
        int64_t n = et_shape_numel(&c->g->values[c->layers[l].weight].shape);
        double keep = dense[l] ? 1.0 : eps * score[l];
        k[l] = (int64_t)llround((1.0 - (keep < 0 ? 0 : keep > 1 ? 1 : keep)) * (double)n);
        got += k[l];
        if (biggest < 0 || n > et_shape_numel(&c->g->values[c->layers[biggest].weight].shape))
            biggest = l;
    }
    if (biggest >= 0) { /* rounding: the largest layer takes the difference, so the total is the knob's */
        int64_t n = et_shape_numel(&c->g->values[c->layers[biggest].weight].shape);
        int64_t kb = k[biggest] + (want - got);
        k[biggest] = kb < 0 ? 0 : kb > n ? n : kb;
    }
    free(score), free(dense);
    return k;
}
