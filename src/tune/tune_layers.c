/* tune_layers.c: per-layer overrides (record/layer_knobs.h) applied by tune (tune_internal.h).
 *
 * The passes work on "the layers not kept" with one set of knobs (ctx->k). A mixed configuration runs each pass
 * once per group of layers that share the knobs that pass reads, with the other layers marked kept for that call:
 * magnitude and N:M pruning per (ratio, method) group (global: one threshold over the layers of its group),
 * weight-only quantization per bit-width among the act-bits 32 layers, and one int8 rewrite of every act-bits 8
 * layer, each with its own weight bits (et_tune_layer_bits), calibrated and speed-guarded as usual.
 *
 * Channel pruning runs first, once for every layer whose method is channel: each channel space takes the largest
 * ratio its producing layers ask for (prune_channel.c), so a residual group shrinks as a whole.
 *
 * Recovery (tune.c) runs between the two: pruning leaves channel pruning planned (zero_only) and magnitude masks
 * in place, recovery compensates every layer at its own bits and method (et_tune_knobs_at), then the groups'
 * quantization passes keep the recovered grids. A layer's recover= picks its own method (none: not compensated,
 * rounded as without recovery; bias; full); which channels and weights pruning removes follows the model-wide
 * --recover (full: by channel energies, and unstructured ratios shared out by et_tune_prune_alloc). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/tune_internal.h"

et_status et_tune_layers_check(et_tune_ctx *c) {
    for (int i = 0; i < c->n_ov; i++) {
        bool hit = false;
        for (int l = 0; l < c->n_layers && !hit; l++) {
            const char *name = c->g->nodes[c->layers[l].node].name;
            hit = name && et_layer_pattern_matches(c->ov[i].pattern, name);
        }
        if (!hit) {
            char some[200] = "";
            size_t w = 0;
            for (int l = 0; l < c->n_layers && l < 4 && w < sizeof some; l++)
                w += (size_t)snprintf(some + w, sizeof some - w, "%s'%.40s'", l ? ", " : "",
                                      c->g->nodes[c->layers[l].node].name);
            return et_fail(c->err, ET_E_USAGE,
                           "per-layer override '%s' names no weight layer of this model (%d weight layers: %s%s; "
                           "`edgetune bench --layers MODEL` lists them)",
                           c->ov[i].pattern, c->n_layers, some, c->n_layers > 4 ? ", ..." : "");
        }
    }
    for (int l = 0; l < c->n_layers; l++) {
        const et_knobs *lk = &c->lk[l];
        const char *name = c->g->nodes[c->layers[l].node].name;
        et_status st = et_knobs_validate(lk, c->err);
        if (st != ET_OK) {
            et_err_prefix(c->err, "layer '%s' (per-layer overrides): ", name);
            return st;
        }
    }
    return ET_OK;
}

/* Runs fn with ctx->k = *k and only the layers in `in` not kept. */
static et_status run_subset(et_tune_ctx *c, const et_knobs *k, const bool *in, bool *saved,
                            et_status (*fn)(et_tune_ctx *)) {
    const et_knobs *orig = c->k;
    memcpy(saved, c->keep, (size_t)c->n_layers * sizeof *saved);
    for (int l = 0; l < c->n_layers; l++)
        c->keep[l] = saved[l] || !in[l];
    c->k = k;
    et_status st = fn(c);
    c->k = orig;
    memcpy(c->keep, saved, (size_t)c->n_layers * sizeof *saved);
    return st;
}

static et_status prune_groups(et_tune_ctx *c, const et_calib_set *calib, et_chan_plan **plan, bool *in, bool *done,
                              bool *saved, et_knobs *tmp) {
    bool any_channel = false;
    for (int l = 0; l < c->n_layers; l++) {
        done[l] = false;
        any_channel |= !c->keep[l] && c->lk[l].prune_ratio > 0.0f && c->lk[l].prune_method == ET_PRUNE_CHANNEL;
    }
    if (any_channel) { /* first, each space by its producers' ratios (prune_channel.c); shapes change */
        *tmp = *c->k;
        tmp->prune_method = ET_PRUNE_CHANNEL;
        tmp->prune_ratio = 0.5f; /* unused with overrides: each space takes its layers' own ratio */
        const et_knobs *orig = c->k;
        c->k = tmp;
        et_status st = ET_OK;
        if (plan) { /* recovery refits the consumers before the shrink (tune.c) */
            if (orig->recover == ET_RECOVER_FULL)
                st = et_tune_channel_energies(c, calib);
            if (st == ET_OK)
                st = et_tune_prune_channels_plan(c, plan);
        } else {
            st = et_tune_prune_channels(c);
        }
        c->k = orig;
        /* the shrink re-resolved each layer's knobs from tmp: again from the model-wide knobs (otherwise every
         * layer would read method channel and the groups below would skip the model-wide pruning) */
        if (st == ET_OK && !plan)
            st = et_tune_layers_resolve(c);
        if (st != ET_OK)
            return st;
    }
    for (int l = 0; l < c->n_layers; l++) {
        if (done[l] || c->keep[l] || c->lk[l].prune_ratio <= 0.0f || c->lk[l].prune_method == ET_PRUNE_CHANNEL)
            continue;
        for (int m = 0; m < c->n_layers; m++) {
            in[m] = !done[m] && !c->keep[m] && c->lk[m].prune_ratio == c->lk[l].prune_ratio &&
                    c->lk[m].prune_method == c->lk[l].prune_method;
            done[m] |= in[m];
        }
        *tmp = *c->k;
        tmp->prune_ratio = c->lk[l].prune_ratio;
        tmp->prune_method = c->lk[l].prune_method;
        et_status st = run_subset(c, tmp, in, saved, et_tune_prune_weights);
        if (st != ET_OK)
            return st;
    }
    /* the sparsity of all pruned layers together (each group's pass reported its own) */
    int64_t zeros = 0, total = 0;
    for (int l = 0; l < c->n_layers; l++) {
        if (!c->pruned[l])
            continue;
        int64_t n = et_shape_numel(&c->g->values[c->layers[l].weight].shape);
        const float *w = et_tune_readable(c, c->layers[l].weight);
        if (!w)
            return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
        for (int64_t i = 0; i < n; i++)
            zeros += w[i] == 0.0f;
        total += n;
    }
    c->rep->sparsity = total ? (double)zeros / (double)total : 0.0;
    return ET_OK;
}

static et_status int8_pass(et_tune_ctx *c) { return et_tune_quantize_int8(c, c->calib_for_layers); }

static et_status quantize_groups(et_tune_ctx *c, bool *in, bool *done, bool *saved, et_knobs *tmp) {
    for (int l = 0; l < c->n_layers; l++)
        done[l] = false;
    int n_wq = 0;
    for (int l = 0; l < c->n_layers; l++) { /* weight-only, per bit-width */
        const et_knobs *lk = &c->lk[l];
        if (done[l] || c->keep[l] || lk->act_bits != 32 || lk->weight_bits >= 32)
            continue;
        for (int m = 0; m < c->n_layers; m++) {
            in[m] = !done[m] && !c->keep[m] && c->lk[m].act_bits == 32 && c->lk[m].weight_bits == lk->weight_bits;
            done[m] |= in[m];
        }
        *tmp = *c->k;
        tmp->weight_bits = lk->weight_bits;
        tmp->act_bits = 32;
        et_status st = run_subset(c, tmp, in, saved, et_tune_quantize_weights_only);
        if (st != ET_OK)
            return st;
    }
    n_wq = c->rep->n_quantized_layers;
    int n_int8 = 0, max_bits = 0;
    for (int l = 0; l < c->n_layers; l++) {
        in[l] = !c->keep[l] && c->lk[l].act_bits == 8;
        n_int8 += in[l];
        if (in[l] && c->lk[l].weight_bits > max_bits)
            max_bits = c->lk[l].weight_bits;
    }
    if (n_int8 > 0) { /* one rewrite, each layer at its own bits (qgraph.c asks et_tune_layer_bits) */
        *tmp = *c->k;
        tmp->act_bits = 8;
        tmp->weight_bits = max_bits; /* for the notes and the guard's kernel choice; layers use their own */
        et_status st = run_subset(c, tmp, in, saved, int8_pass);
        if (st != ET_OK)
            return st;
        c->rep->n_quantized_layers += n_wq;
    }
    c->rep->n_fp32_layers = c->n_layers - c->rep->n_quantized_layers;
    return ET_OK;
}

/* The work arrays of the group passes. */
typedef struct {
    bool *in, *done, *saved;
    et_knobs *tmp;
} scratch;

static bool scratch_new(const et_tune_ctx *c, scratch *S) {
    S->in = calloc((size_t)c->n_layers + 1, sizeof *S->in);
    S->done = calloc((size_t)c->n_layers + 1, sizeof *S->done);
    S->saved = calloc((size_t)c->n_layers + 1, sizeof *S->saved);
    S->tmp = malloc(sizeof *S->tmp);
    return S->in && S->done && S->saved && S->tmp;
}

static void scratch_free(scratch *S) { free(S->in), free(S->done), free(S->saved), free(S->tmp); }

bool et_tune_layers_compresses(const et_tune_ctx *c) {
    for (int l = 0; l < c->n_layers; l++)
        if (!c->keep[l] && (c->lk[l].weight_bits < 32 || c->lk[l].act_bits < 32 || c->lk[l].prune_ratio > 0.0f))
            return true;
    return false;
}

bool et_tune_layers_recover(const et_tune_ctx *c) {
    for (int l = 0; l < c->n_layers; l++)
        if (c->lk[l].recover != ET_RECOVER_NONE)
            return true;
    return false;
}

bool et_tune_layers_int8(const et_tune_ctx *c) {
    for (int l = 0; l < c->n_layers; l++)
        if (!c->keep[l] && c->lk[l].act_bits == 8)
            return true;
    return false;
}

et_status et_tune_layers_prune(et_tune_ctx *c, const et_calib_set *calib, et_chan_plan **plan) {
    if (plan)
        *plan = NULL;
    scratch S;
    et_status st = scratch_new(c, &S) ? prune_groups(c, calib, plan, S.in, S.done, S.saved, S.tmp)
                                      : et_fail(c->err, ET_E_NOMEM, "out of memory applying per-layer knobs");
    scratch_free(&S);
    return st;
}

et_status et_tune_layers_quantize(et_tune_ctx *c, const et_calib_set *calib) {
    scratch S;
    if (!scratch_new(c, &S)) {
        scratch_free(&S);
        return et_fail(c->err, ET_E_NOMEM, "out of memory applying per-layer knobs");
    }
    c->calib_for_layers = calib;
    for (int l = 0; l < c->n_layers; l++) /* after channel pruning, before the int8 rewrite */
        c->rep->params_after += et_shape_numel(&c->g->values[c->layers[l].weight].shape);
    et_status st = quantize_groups(c, S.in, S.done, S.saved, S.tmp);
    if (st == ET_OK) {
        int n_named = 0;
        for (int l = 0; l < c->n_layers; l++)
            n_named += memcmp(&c->lk[l], c->k, offsetof(et_knobs, layers)) != 0;
        et_tune_note(c, true, "per-layer overrides: %d of %d weight layers differ from the model-wide knobs", n_named,
                     c->n_layers);
    }
    scratch_free(&S);
    return st;
}
