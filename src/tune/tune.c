/* tune.c: knobs -> tuned graph (see tune.h for the steps). fp32 is the pristine graph itself (a clone). */
#include "tune/tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model_info.h"
#include "model/quant_info.h"
#include "tune/tune_internal.h"
#include "util/clock.h"

et_tune_options et_tune_options_default(void) {
    return (et_tune_options){.speed_guard = true,
                             .guard_runs = 3,
                             .cache = NULL,
                             .recover_act_order = true,
                             .recover_reference = true,
                             .recover_exact_masks = true,
                             .recover_prune_alloc = true};
}

et_status et_tune_apply(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib, et_graph **out,
                        et_tune_report *rep, et_err *err) {
    return et_tune_apply_ex(pristine, k, calib, NULL, out, rep, err);
}

static int64_t layer_params(const et_tune_ctx *c) {
    int64_t n = 0;
    for (int l = 0; l < c->n_layers; l++)
        n += et_shape_numel(&c->g->values[c->layers[l].weight].shape);
    return n;
}

int64_t et_tune_deploy_bytes(const et_tune_ctx *c) {
    const et_graph *g = c->g;
    int64_t total = 0;
    for (int i = 0; i < g->n_values; i++) {
        const et_value *v = &g->values[i];
        if (v->kind != ET_VAL_CONST || v->n_consumers == 0)
            continue;
        int64_t n = et_shape_numel(&v->shape);
        const et_quant_info *q = v->quant;
        if (q) { /* codes at their bits, plus 4-byte scales and 1-byte zero points where any is not 0 */
            bool zp = false;
            for (int z = 0; z < q->n; z++)
                zp |= q->zero_point[z] != 0;
            total += (n * q->storage_bits + 7) / 8 + 4 * (int64_t)q->n + (zp ? q->n : 0);
            continue;
        }
        if (et_dtype_is_float(v->dtype))
            total += (int64_t)v->nbytes;
    }
    return total;
}

static void ctx_free(et_tune_ctx *c) {
    if (c->chan_keep)
        for (int l = 0; l < c->n_layers; l++)
            free(c->chan_keep[l]);
    if (c->chan_energy)
        for (int l = 0; l < c->n_layers; l++)
            free(c->chan_energy[l]);
    free(c->chan_keep);
    free(c->chan_energy);
    et_tune_layers_free(c);
    free(c->layers);
    free(c->keep);
    free(c->pruned);
    free(c->owned);
}

/* The layers the model without recovery runs in int8 (the speed guard's choice, which depends on shapes and
 * sparsity, not on the weights' values): derived once with recover none (its calibration and guard are cached),
 * so that recovery rounds exactly those. Its notes (calibration, guard, kernels) become this run's. */
/* k with recover none, its overrides' recover= too (they equal the model-wide one: et_tune_layers_check). */
static et_knobs plain_knobs(const et_knobs *k) {
    et_knobs plain = *k;
    plain.recover = ET_RECOVER_NONE;
    for (char *p = plain.layers; (p = strstr(p, " recover=")) != NULL;) {
        char *v = p + strlen(" recover="), *end = v + strcspn(v, "\n");
        memmove(v + 4, end, strlen(end) + 1);
        memcpy(v, "none", 4);
        p = v + 4;
    }
    return plain;
}

static et_status int8_layers(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib,
                             const et_tune_options *o, et_tune_ctx *c, bool *quantize, bool *node_cand) {
    et_knobs plain = plain_knobs(k), plain_base;
    et_tune_options po = *o;
    po.progress = NULL;
    if (o->recover_base) { /* a sensitivity point: which layers are int8 needs no ranges of its own */
        plain_base = plain_knobs(o->recover_base);
        po.calib_base = &plain_base;
    }
    et_tune_report *prep = malloc(sizeof *prep);
    if (!prep)
        return et_fail(c->err, ET_E_NOMEM, "out of memory deriving the tuned model");
    et_graph *pg = NULL;
    et_status st = et_tune_apply_ex(pristine, &plain, calib, &po, &pg, prep, c->err);
    if (st == ET_OK) {
        for (int l = 0; l < c->n_layers; l++) {
            const char *name = c->g->nodes[c->layers[l].node].name;
            quantize[l] = false;
            for (int i = 0; i < pg->n_nodes && !quantize[l]; i++)
                quantize[l] = (pg->nodes[i].op == ET_OP_QCONV || pg->nodes[i].op == ET_OP_QGEMM) &&
                              strcmp(pg->nodes[i].name, name) == 0;
            node_cand[c->layers[l].node] = quantize[l];
        }
        memcpy(c->rep->notes, prep->notes, sizeof c->rep->notes);
        memcpy(c->rep->detail, prep->detail, sizeof c->rep->detail);
        memcpy(c->rep->exec, prep->exec, sizeof c->rep->exec);
        c->rep->n_guard_kept = prep->n_guard_kept;
        c->rep->guard_ms = prep->guard_ms;
    }
    et_graph_free(pg);
    free(prep);
    return st;
}

/* What recovery rounds: *quantize (per layer) and *node_cand (per node, the int8 layers), both owned by the caller
 * (also on failure). int8: the layers the model without recovery runs in int8; weight-only layers (act-bits 32,
 * bits < 32, each layer at its own knobs) too. Sets c->quiet when the notes come from that derivation. */
static et_status recover_plan(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib,
                              const et_tune_options *o, et_tune_ctx *c, bool int8_recover, bool **quantize,
                              bool **node_cand) {
    *quantize = calloc((size_t)c->n_layers + 1, sizeof **quantize);
    *node_cand = calloc((size_t)c->g->n_nodes + 1, sizeof **node_cand);
    if (!*quantize || !*node_cand)
        return et_fail(c->err, ET_E_NOMEM, "out of memory deriving the tuned model");
    if (int8_recover) {
        et_status st = int8_layers(pristine, k, calib, o, c, *quantize, *node_cand);
        if (st != ET_OK)
            return st;
        c->quiet = true; /* the notes of pruning and int8 are those of that run */
    }
    for (int l = 0; l < c->n_layers; l++) { /* weight-only layers (act-bits 32) */
        const et_knobs *lk = et_tune_knobs_at(c, l);
        if (!c->keep[l] && lk->act_bits == 32 && lk->weight_bits < 32)
            (*quantize)[l] = true;
    }
    return ET_OK;
}

/* Per-layer overrides of k into *ov (owned by the caller, NULL without) and c->ov / c->n_ov. */
static et_status load_overrides(const et_knobs *k, et_tune_ctx *c, et_layer_override **ov) {
    *ov = NULL;
    if (!et_knobs_has_layers(k))
        return ET_OK;
    if (!(*ov = malloc(ET_MAX_LAYER_OVERRIDES * sizeof **ov)))
        return et_fail(c->err, ET_E_NOMEM, "out of memory deriving the tuned model");
    if ((c->n_ov = et_knobs_layer_overrides(k, *ov, ET_MAX_LAYER_OVERRIDES, c->err)) < 0)
        return c->err ? c->err->status : ET_E_USAGE;
    c->ov = *ov;
    return ET_OK;
}

/* The note of what recovery did (layers: per-layer overrides are in force). */
static void recovery_note(et_tune_ctx *c, const et_calib_set *calib, bool layers) {
    const et_tune_report *rep = c->rep;
    char how[128];
    if (rep->recover_cached)
        snprintf(how, sizeof how, ", from the cache");
    else if (rep->recover_from_base)
        snprintf(how, sizeof how,
                 " in %.1f s from the base's recovery: %d solved again, the layers after them not refit",
                 rep->recover_ms / 1000.0, rep->n_resolved);
    else
        snprintf(how, sizeof how, " in %.1f s, holding at most %.0f MiB", rep->recover_ms / 1000.0,
                 (double)rep->recover_peak_bytes / 1048576.0);
    bool mixed = false; /* recover= per layer other than the model-wide one */
    for (int l = 0; layers && l < c->n_layers; l++)
        mixed |= c->lk[l].recover != c->k->recover;
    et_tune_note(c, true, "recovery (%s): %d layer%s compensated on %s%s",
                 mixed ? "per layer" : et_recover_name(c->k->recover), rep->n_recovered,
                 rep->n_recovered == 1 ? "" : "s", calib && calib->source[0] ? calib->source : "the calibration inputs",
                 how);
}

et_status et_tune_apply_ex(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib,
                           const et_tune_options *opt, et_graph **out, et_tune_report *rep, et_err *err) {
    double t0 = et_clock_ms();
    *out = NULL;
    memset(rep, 0, sizeof *rep);
    snprintf(rep->exec, sizeof rep->exec, "native");
    et_status st = et_knobs_validate(k, err);
    if (st != ET_OK)
        return st;
    et_tune_options o = opt ? *opt : et_tune_options_default();
    et_graph *g = et_graph_clone(pristine);
    if (!g)
        return et_fail(err, ET_E_NOMEM, "out of memory deriving the tuned model");
    et_graph_count_uses(g);
    et_tune_ctx c = {.g = g, .k = k, .opt = &o, .rep = rep, .err = err};
    bool *quantize = NULL, *node_cand = NULL; /* recovery: per layer, per node */
    et_chan_plan *chan = NULL;
    et_layer_override *ov = NULL;
    if ((st = load_overrides(k, &c, &ov)) != ET_OK || (st = et_tune_find_layers(&c)) != ET_OK)
        goto fail;
    rep->params_before = layer_params(&c);
    bool quantized = k->weight_bits < 32 || k->act_bits < 32;
    bool edges_kept = false;
    for (int l = 0; l < c.n_layers; l++)
        edges_kept |= c.keep[l];
    if (c.n_ov > 0 && (st = et_tune_layers_check(&c)) != ET_OK) /* per-layer overrides: tune_layers.c */
        goto fail;

    /* recovery: only where something is compressed; with overrides each layer at its own knobs */
    bool layers = c.n_ov > 0;
    bool recover = layers ? et_tune_layers_recover(&c) && et_tune_layers_compresses(&c)
                          : k->recover != ET_RECOVER_NONE && (quantized || k->prune_ratio > 0.0f);
    bool int8_recover = recover && (layers ? et_tune_layers_int8(&c) : k->act_bits == 8);
    if (recover && (st = recover_plan(pristine, k, calib, &o, &c, int8_recover, &quantize, &node_cand)) != ET_OK)
        goto fail;
    if (layers) {
        if ((st = et_tune_layers_prune(&c, calib, recover ? &chan : NULL)) != ET_OK)
            goto fail;
    } else if (k->prune_ratio > 0.0f) {
        if (k->prune_method == ET_PRUNE_CHANNEL && recover) {
            if (k->recover == ET_RECOVER_FULL && (st = et_tune_channel_energies(&c, calib)) != ET_OK)
                goto fail;
            st = et_tune_prune_channels_plan(&c, &chan);
        } else {
            st = k->prune_method == ET_PRUNE_CHANNEL ? et_tune_prune_channels(&c) : et_tune_prune_weights(&c);
        }
        if (st != ET_OK)
            goto fail;
    }
    if (recover) {
        c.quiet = false;
        if ((st = et_tune_recover(&c, calib, quantize)) != ET_OK)
            goto fail;
        if (chan) {
            c.quiet = int8_recover;
            st = et_tune_prune_channels_shrink(&c, chan);
            chan = NULL;
            if (st != ET_OK)
                goto fail;
        }
        if (rep->recover_from_base)
            o.calib_base = o.recover_base; /* its ranges too (tune.h) */
        if (rep->n_recovered > 0 || rep->recover_cached)
            recovery_note(&c, calib, layers);
        if (int8_recover) {
            for (int l = 0; l < c.n_layers; l++) /* node indices after channel pruning's shrink */
                node_cand[c.layers[l].node] = quantize[l];
            c.int8_cand = node_cand;
            c.quiet = true;
        }
    }
    if (layers) {
        if ((st = et_tune_layers_quantize(&c, calib)) != ET_OK)
            goto fail;
        goto tuned;
    }
    rep->params_after = layer_params(&c);
    if (k->prune_ratio > 0.0f && k->prune_method == ET_PRUNE_CHANNEL && rep->params_before > 0)
        rep->sparsity = 1.0 - (double)rep->params_after / (double)rep->params_before;

    if (k->act_bits == 8)
        st = et_tune_quantize_int8(&c, calib);
    else if (k->weight_bits < 32)
        st = et_tune_quantize_weights_only(&c);
    if (st != ET_OK)
        goto fail;
tuned:
    et_graph_count_uses(g);
    rep->weights_deploy_bytes = et_tune_deploy_bytes(&c);
    if ((st = et_graph_compact(g, err)) != ET_OK)
        goto fail;
    if (edges_kept && (quantized || k->prune_ratio > 0.0f || rep->n_quantized_layers > 0))
        et_tune_note(&c, true, "first and last layer kept fp32%s (--quantize-all changes that)",
                     k->prune_ratio > 0.0f ? " and unpruned" : "");
    c.quiet = false;
    rep->total_ms = et_clock_ms() - t0;
    ctx_free(&c);
    free(quantize), free(node_cand), free(ov);
    *out = g;
    return ET_OK;
fail:
    et_chan_plan_free(chan);
    ctx_free(&c);
    free(quantize), free(node_cand), free(ov);
    et_graph_free(g);
    return st;
}
