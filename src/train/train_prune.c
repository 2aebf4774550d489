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
    uint8_t **masks;
} prune_pass;

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
    int64_t total = 0, biggest = 0;
    prune_pass pp = {.n = n, .prunable = prunable, .masks = calloc((size_t)np + 1, sizeof(uint8_t *))};
    for (int i = 0; pp.masks && i < np; i++)
        if (prunable[i]) {
            int64_t c = et_tnet_param(n, i)->numel;
            total += c;
            biggest = c > biggest ? c : biggest;
            if (!(pp.masks[i] = malloc((size_t)c)))
                total = -1, i = np;
        }
    float *scratch = total > 0 ? malloc((size_t)(global ? total : biggest) * sizeof *scratch) : NULL;
    et_status st = ET_OK;
    if (!pp.masks || total < 0 || (total > 0 && !scratch))
        st = et_fail(err, ET_E_NOMEM, "out of memory for pruning masks");
    if (st == ET_OK && total > 0) {
        if (global) {
            select_masks(&pp, 0, np - 1, scratch, (int64_t)((double)sparsity * (double)total));
        } else {
            for (int i = 0; i < np; i++)
                if (prunable[i])
                    select_masks(&pp, i, i, scratch, (int64_t)((double)sparsity * (double)et_tnet_param(n, i)->numel));
        }
        for (int i = 0; i < np && st == ET_OK; i++)
            if (prunable[i])
                st = et_tnet_set_mask(n, i, pp.masks[i], err);
    }
    for (int i = 0; pp.masks && i < np; i++)
        free(pp.masks[i]);
    free(pp.masks);
    free(scratch);
    return st;
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

et_status et_prune_magnitude_shares(et_tnet *n, const bool *prunable, const float *share, float scale, et_err *err) {
    const int np = et_tnet_n_params(n);
    int64_t biggest = 0;
    for (int i = 0; i < np; i++)
        if (prunable[i] && et_tnet_param(n, i)->numel > biggest)
            biggest = et_tnet_param(n, i)->numel;
    prune_pass pp = {.n = n, .prunable = prunable, .masks = calloc((size_t)np + 1, sizeof(uint8_t *))};
    float *scratch = biggest > 0 ? malloc((size_t)biggest * sizeof *scratch) : NULL;
    et_status st = pp.masks && (biggest == 0 || scratch) ? ET_OK
                                                         : et_fail(err, ET_E_NOMEM, "out of memory for pruning masks");
    for (int i = 0; st == ET_OK && i < np; i++) {
        if (!prunable[i])
            continue;
        int64_t c = et_tnet_param(n, i)->numel;
        if (!(pp.masks[i] = malloc((size_t)c))) {
            st = et_fail(err, ET_E_NOMEM, "out of memory for pruning masks");
            break;
        }
        select_masks(&pp, i, i, scratch, (int64_t)((double)scale * (double)share[i] * (double)c));
        st = et_tnet_set_mask(n, i, pp.masks[i], err);
    }
    for (int i = 0; pp.masks && i < np; i++)
        free(pp.masks[i]);
    free(pp.masks);
    free(scratch);
    return st;
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
