/* tune.c: knobs -> tuned graph (see tune.h for the steps). fp32 is the pristine graph itself (a clone). */
#include "tune/tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model_info.h"
#include "model/quant_info.h"
#include "tune/tune_internal.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

et_tune_options et_tune_options_default(void) {
    return (et_tune_options){.speed_guard = true, .guard_runs = 3, .cache = NULL};
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
    free(c->layers);
    free(c->keep);
    free(c->pruned);
    free(c->owned);
}

et_status et_tune_apply_ex(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib,
                           const et_tune_options *opt, et_graph **out, et_tune_report *rep, et_err *err) {
    double t0 = now_ms();
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
    if ((st = et_tune_find_layers(&c)) != ET_OK)
        goto fail;
    rep->params_before = layer_params(&c);
    bool quantized = k->weight_bits < 32 || k->act_bits < 32;
    bool edges_kept = false;
    for (int l = 0; l < c.n_layers; l++)
        edges_kept |= c.keep[l];

    if (k->prune_ratio > 0.0f) {
        st = k->prune_method == ET_PRUNE_CHANNEL ? et_tune_prune_channels(&c) : et_tune_prune_weights(&c);
        if (st != ET_OK)
            goto fail;
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
    et_graph_count_uses(g);
    rep->weights_deploy_bytes = et_tune_deploy_bytes(&c);
    if ((st = et_graph_compact(g, err)) != ET_OK)
        goto fail;
    if (edges_kept && (quantized || k->prune_ratio > 0.0f))
        et_tune_note(&c, true, "first and last layer kept fp32%s (--quantize-all changes that)",
                     k->prune_ratio > 0.0f ? " and unpruned" : "");
    rep->total_ms = now_ms() - t0;
    ctx_free(&c);
    *out = g;
    return ET_OK;
fail:
    ctx_free(&c);
    et_graph_free(g);
    return st;
}
