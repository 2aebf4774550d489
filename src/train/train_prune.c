/* train_prune.c: masks from a tuned graph, and gradual magnitude pruning (train_prune.h). */
#include "train/train_prune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/erk.h"

static int64_t zeros_of(const float *w, int64_t n) {
    int64_t z = 0;
    for (int64_t i = 0; i < n; i++)
        z += w[i] == 0.0f;
    return z;
}

/* Zeros of the float constant named `name` in g, or -1 when g has none of that name and size. */
static int64_t zeros_in(const et_graph *g, const char *name, int64_t numel) {
    int v = et_graph_find_value(g, name);
    if (v < 0 || g->values[v].kind != ET_VAL_CONST || g->values[v].dtype != ET_DT_F32 ||
        et_shape_numel(&g->values[v].shape) != numel || !g->values[v].data)
        return -1;
    const float *w = g->values[v].data;
    int64_t z = 0;
    for (int64_t i = 0; i < numel; i++) {
        float x;
        memcpy(&x, w + i, sizeof x); /* model data may be unaligned */
        z += x == 0.0f;
    }
    return z;
}

et_status et_train_masks_from_tuned(et_tnet *n, const et_graph *pristine, int *n_masked, et_err *err) {
    *n_masked = 0;
    uint8_t *mask = NULL;
    for (int i = 0; i < et_tnet_n_params(n); i++) {
        et_tparam *p = et_tnet_param(n, i);
        if (p->kind != ET_TPARAM_WEIGHT)
            continue;
        int64_t z = zeros_of(p->w, p->numel), before = zeros_in(pristine, p->name, p->numel);
        if (before < 0 || z <= before)
            continue;
        uint8_t *m2 = realloc(mask, (size_t)p->numel);
        if (!m2) {
            free(mask);
            return et_fail(err, ET_E_NOMEM, "out of memory for pruning masks");
        }
        mask = m2;
        for (int64_t e = 0; e < p->numel; e++)
            mask[e] = p->w[e] != 0.0f;
        et_status st = et_tnet_set_mask(n, i, mask, err);
        if (st != ET_OK) {
            free(mask);
            return st;
        }
        (*n_masked)++;
    }
    free(mask);
    return ET_OK;
}

void et_train_prunable(et_tnet *n, const et_graph *pristine, const et_graph *tuned, bool *prunable) {
    for (int i = 0; i < et_tnet_n_params(n); i++) {
        et_tparam *p = et_tnet_param(n, i);
        prunable[i] = false;
        if (p->kind != ET_TPARAM_WEIGHT)
            continue;
        int64_t before = zeros_in(pristine, p->name, p->numel), after = zeros_in(tuned, p->name, p->numel);
        prunable[i] = before >= 0 && after > before;
    }
}

float et_prune_sparsity_at(const et_prune_schedule *s, int64_t step) {
    if (s->end_step <= 0 || step >= s->end_step)
        return s->target;
    double left = 1.0 - (double)step / (double)s->end_step;
    return (float)(s->target * (1.0 - left * left * left));
}

bool et_prune_due(const et_prune_schedule *s, int64_t step) {
    return step <= s->end_step && (step % (s->every > 0 ? s->every : 1) == 0 || step == s->end_step);
}

/* Zeroes the mask of the first `count` weights with |w| == thr among those kept. */
static int64_t drop_ties(const float *w, uint8_t *mask, int64_t n, float thr, int64_t count) {
    int64_t done = 0;
    for (int64_t i = 0; i < n && done < count; i++)
        if (mask[i] && fabsf(w[i]) == thr) {
            mask[i] = 0;
            done++;
        }
    return done;
}

typedef struct prune_pass {
    et_tnet *n;
    const bool *prunable;
    uint8_t **masks; /* one per prunable parameter */
    float *scratch;  /* |w| of the weights one selection ranks */
    int64_t total;   /* prunable weights */
} prune_pass;

/* A mask for every prunable parameter of n and a scratch for ranking all of them at once (global) or the largest
 * one. ET_E_NOMEM (pp to be closed all the same). */
static et_status pass_open(prune_pass *pp, et_tnet *n, const bool *prunable, bool global, et_err *err) {
    const int np = et_tnet_n_params(n);
    *pp = (prune_pass){.n = n, .prunable = prunable, .masks = calloc((size_t)np + 1, sizeof(uint8_t *))};
    int64_t biggest = 0;
    bool ok = pp->masks != NULL;
    for (int i = 0; ok && i < np; i++)
        if (prunable[i]) {
            int64_t c = et_tnet_param(n, i)->numel;
            pp->total += c;
            biggest = c > biggest ? c : biggest;
            ok = (pp->masks[i] = malloc((size_t)c)) != NULL;
        }
    if (ok && pp->total > 0)
        ok = (pp->scratch = malloc((size_t)(global ? pp->total : biggest) * sizeof *pp->scratch)) != NULL;
    return ok ? ET_OK : et_fail(err, ET_E_NOMEM, "out of memory for pruning masks");
}

/* After a selection that left st: gives each prunable parameter its mask (none when st is an error, or nothing is
 * prunable; the first failure stops), compensated first when asked, then frees the pass. Returns the status. */
static et_status pass_close(prune_pass *pp, et_status st, bool compensate, et_prune_comp_stats *stats, et_err *err) {
    const int np = et_tnet_n_params(pp->n);
    for (int i = 0; i < np && st == ET_OK && pp->total > 0; i++)
        if (pp->prunable[i]) {
            if (compensate)
                st = et_prune_compensate(pp->n, i, pp->masks[i], stats, err);
            if (st == ET_OK)
                st = et_tnet_set_mask(pp->n, i, pp->masks[i], err);
        }
    for (int i = 0; pp->masks && i < np; i++)
        free(pp->masks[i]);
    free(pp->masks);
    free(pp->scratch);
    return st;
}

/* Masks of the parameters in [first, last] (prunable ones) so that exactly k of their weights go. */
static void select_masks(prune_pass *pp, int first, int last, float *scratch, int64_t k) {
    int64_t total = 0;
    for (int i = first; i <= last; i++) {
        if (!pp->prunable[i])
            continue;
        et_tparam *p = et_tnet_param(pp->n, i);
        for (int64_t e = 0; e < p->numel; e++)
            scratch[total + e] = fabsf(p->w[e]);
        total += p->numel;
    }
    float thr = k > 0 ? et_select_kth(scratch, total, k - 1) : -1.0f;
    int64_t below = 0;
    for (int i = first; i <= last; i++) {
        if (!pp->prunable[i])
            continue;
        et_tparam *p = et_tnet_param(pp->n, i);
        for (int64_t e = 0; e < p->numel; e++) {
            float a = fabsf(p->w[e]);
            pp->masks[i][e] = !(a < thr);
            below += a < thr;
        }
    }
    for (int i = first; i <= last && below < k; i++)
        if (pp->prunable[i]) {
            et_tparam *p = et_tnet_param(pp->n, i);
            below += drop_ties(p->w, pp->masks[i], p->numel, thr, k - below);
        }
}

et_status et_prune_magnitude(et_tnet *n, const bool *prunable, float sparsity, bool global, et_err *err) {
    const int np = et_tnet_n_params(n);
    prune_pass pp;
    et_status st = pass_open(&pp, n, prunable, global, err);
    if (st == ET_OK && global)
        select_masks(&pp, 0, np - 1, pp.scratch, (int64_t)((double)sparsity * (double)pp.total));
    for (int i = 0; st == ET_OK && !global && i < np; i++)
        if (prunable[i])
            select_masks(&pp, i, i, pp.scratch, (int64_t)((double)sparsity * (double)et_tnet_param(n, i)->numel));
    return pass_close(&pp, st, false, NULL, err);
}

void et_prune_erk(et_tnet *n, const bool *prunable, float target, float *share) {
    const int np = et_tnet_n_params(n);
    double *numel = calloc((size_t)np + 1, sizeof *numel), *dims = calloc((size_t)np + 1, sizeof *dims);
    double *density = calloc((size_t)np + 1, sizeof *density);
    bool *skip = calloc((size_t)np + 1, sizeof *skip);
    bool ok = numel && dims && density && skip;
    for (int i = 0; ok && i < np; i++) {
        const et_tparam *p = et_tnet_param(n, i);
        skip[i] = !prunable[i];
        numel[i] = (double)p->numel;
        for (int d = 0; d < p->shape.rank; d++)
            dims[i] += (double)p->shape.dim[d];
    }
    ok = ok && et_erk_density(np, numel, dims, skip, (double)target, density);
    for (int i = 0; i < np; i++) /* out of memory: uniform */
        share[i] = !prunable[i] ? 0.0f : ok ? (float)(1.0 - density[i]) : target;
    free(numel), free(dims), free(density), free(skip);
}

et_status et_prune_magnitude_shares(et_tnet *n, const bool *prunable, const float *share, float scale, bool compensate,
                                    et_prune_comp_stats *stats, et_err *err) {
    const int np = et_tnet_n_params(n);
    prune_pass pp;
    et_status st = pass_open(&pp, n, prunable, false, err);
    for (int i = 0; st == ET_OK && i < np; i++)
        if (prunable[i])
            select_masks(&pp, i, i, pp.scratch,
                         (int64_t)((double)scale * (double)share[i] * (double)et_tnet_param(n, i)->numel));
    return pass_close(&pp, st, compensate, stats, err);
}

double et_train_sparsity(et_tnet *n, const bool *prunable) {
    int64_t zeros = 0, total = 0;
    for (int i = 0; i < et_tnet_n_params(n); i++) {
        et_tparam *p = et_tnet_param(n, i);
        if (p->kind != ET_TPARAM_WEIGHT || (prunable ? !prunable[i] : !p->mask))
            continue;
        for (int64_t e = 0; e < p->numel; e++)
            zeros += p->mask ? !p->mask[e] : p->w[e] == 0.0f;
        total += p->numel;
    }
    return total ? (double)zeros / (double)total : 0.0;
}
