/* recover.c: recovery, layer by layer (knobs.recover bias or full; tune_internal.h): the plan of the whole run.
 *
 * The graph arrives as the pruning passes left it: magnitude or N:M masks in place, channel pruning in its
 * zero_only form (shapes unchanged, consumers' dropped inputs zeroed, each consumer's kept channels in
 * ctx->chan_keep). Those weights, rounded to nearest when quantizing, are the "plain" compression that
 * recover none would run, and the "before" of every layer's reported error.
 *
 * Two calibration walks in step (calib_walk.h), one over the model being compressed and one over the pristine
 * model, go through the weight layers in node order; recover_layer.c compensates each layer from what they hand
 * it: its inputs as the compressed layers before it make them, and the pristine model's output for that layer,
 * which every layer but grouped ones is fit to (so each layer also makes up for what the layers before it
 * left). full solves the weights (GPTQ; exact OBS masks on small layers and SparseGPT on large ones; the
 * least-squares refit of channel pruning's consumers); bias keeps the plain ones; both correct each output
 * channel's mean error against the pristine output into its bias (Nagel et al. 2019, as NNCF and AIMET do it).
 * Results go into the graph (recover_graph.c) and the cache (recover_cache.c), the time and layer count to the
 * progress callback.
 *
 * Memory: a budget (et_tune_options.recover_hold_bytes, 256 MiB by default) for one layer's statistics (the
 * largest Hessian in ResNet-50: 4608 x 4608 doubles, 162 MiB) and what the walks hold between segments: they get
 * what the statistics leave. Threads: every online CPU unless et_tune_options.recover_threads says otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tune/recover_base.h"
#include "tune/recover_cache.h"
#include "tune/recover_internal.h"
#include "util/fnv.h"
#include "util/mem.h"
#include "util/clock.h"

int et_recover_threads(const et_tune_options *o) {
    if (o->recover_threads > 0)
        return o->recover_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Layers recovery changes. */
static bool wants(const et_recover_run *R, int l) {
    const et_tune_ctx *c = R->c;
    bool refit = c->chan_keep && c->chan_keep[l];
    if (c->keep[l] && !refit)
        return false;
    const et_knobs *k = et_tune_knobs_at(c, l);
    if (k->recover == ET_RECOVER_NONE) /* recover=none on this layer: rounded as without recovery */
        return false;
    bool quant = R->quantize[l] && k->weight_bits < 32;
    bool masked = c->pruned[l] && k->prune_method != ET_PRUNE_CHANNEL;
    return quant || masked || refit;
}

/* Layer l's share of the run's time, in multiply-adds: both walks run it on every calibration set, its Hessian
 * takes positions x d^2 per group and set, the solve about d^3 / 3 (the factor) + rows x d^2 per group. The
 * progress line's estimate of the time left follows it (MACs alone make the wide late layers of a ResNet, whose
 * solve dominates, look cheap). */
static double layer_work(const et_tune_ctx *c, const et_calib_set *calib, int l) {
    const et_wlayer *L = &c->layers[l];
    double macs = (double)et_node_macs(c->g, &c->g->nodes[L->node]), d = (double)L->view.per_ch;
    double groups = L->kind == ET_WL_CONV && L->group > 1 ? (double)L->group : 1.0;
    double rows = (double)L->view.n_ch / groups, sets = calib && calib->n_sets > 0 ? (double)calib->n_sets : 1.0;
    double positions = L->view.n_ch > 0 && d > 0 ? macs / ((double)L->view.n_ch * d) : 0.0;
    return sets * (2.0 * macs + positions * d * d * groups) + groups * (d * d * d / 3.0 + rows * d * d) + 1.0;
}

et_status et_recover_check_inputs(const et_calib_set *calib, et_err *err) {
    for (int s = 0; s < calib->n_sets * calib->n_inputs; s++) {
        const et_npy *x = &calib->sets[s];
        if (x->dtype != ET_DT_F32)
            continue;
        const float *f = x->data;
        for (size_t i = 0; i < x->nbytes / sizeof(float); i++)
            if (!isfinite(f[i]))
                return et_fail(err, ET_E_INPUT,
                               "%s: calibration input %d holds NaN or infinite values; fix or "
                               "remove that file",
                               calib->source[0] ? calib->source : "calibration set", s / calib->n_inputs + 1);
    }
    return ET_OK;
}

/* A sensitivity analysis (et_tune_options.recover_base): sets R->base_key to the base's record and says whether
 * this run writes it (the base, when its record is not complete) or reads it (a point whose every layer to
 * recover has a record); neither otherwise (a point then recovers in full, noted). */
static void base_mode(et_recover_run *R, uint64_t calib_fp, char *key, size_t len) {
    et_tune_ctx *c = R->c;
    const et_knobs *base = c->opt->recover_base;
    if (!base || !c->opt->cache)
        return;
    et_recover_base_key(c, base, calib_fp, key, len);
    bool complete = et_recover_rec_is_complete(c, key);
    if (et_recover_is_base(c, base, calib_fp)) {
        if (!complete) {
            R->base_key = key;
            R->base_write = true;
        }
        return;
    }
    et_recover_rec r;
    for (int l = 0; complete && l < c->n_layers; l++)
        complete = !wants(R, l) || c->g->values[c->layers[l].weight].n_consumers > 1 ||
                   et_recover_rec_get(c, key, c->layers[l].node, &r);
    if (complete)
        R->base_key = key;
    else
        et_tune_note(c, false, "the base's recovery record is missing: this point was recovered in full");
}

et_status et_tune_recover(et_tune_ctx *c, const et_calib_set *calib, const bool *quantize) {
    double t0 = et_clock_ms();
    et_graph *g = c->g;
    et_status st = ET_OK;
    if (!g->source || g->source->n_values > g->n_values)
        return et_fail(c->err, ET_E_RUNTIME, "recovery needs the tuned graph's pristine source");
    et_recover_run R = {.c = c, .pristine = g->source, .calib = calib, .quantize = quantize, .t0_ms = t0};
    for (int l = 0; l < c->n_layers; l++)
        if (wants(&R, l)) {
            R.total++;
            R.work_total += layer_work(c, calib, l);
        }
    if (R.total == 0)
        return ET_OK;
    if (!calib || calib->n_sets < 1)
        return et_fail(c->err, ET_E_INPUT, "--recover needs calibration inputs (--calib DIR of .npy files)");
    if (!(R.result = calloc((size_t)c->n_layers + 1, 1)))
        return et_fail(c->err, ET_E_NOMEM, "out of memory recovering weights");
    /* from the cache: the same knobs on the same calibration set made these weights before */
    char key[256];
    /* which layers are rounded: FNV-1a over the flags (the cache lives in this process: no stored key changes) */
    uint64_t quant_hash = et_fnv64(ET_FNV64_INIT, quantize, (size_t)c->n_layers * sizeof *quantize);
    uint64_t calib_fp = et_recover_calib_fingerprint(calib);
    et_recover_key_fp(c, c->k, calib_fp, quant_hash, key, sizeof key);
    bool found = false;
    char bkey[320];
    base_mode(&R, calib_fp, bkey, sizeof bkey);
    /* a point reads the statistics its base's run took from the same inputs, which it checked */
    if ((!R.base_key || R.base_write) && (st = et_recover_check_inputs(calib, c->err)) != ET_OK)
        goto done;
    if (!R.base_write && (st = et_recover_apply_cached(&R, key, &found)) != ET_OK)
        goto done;
    if (found) { /* the full result of these very knobs (a point's is never cached as one) */
        c->rep->recover_cached = true;
        for (int i = 0; i < c->rep->n_layer_errs; i++)
            if (c->rep->layer_err[i].fallback[0])
                et_tune_note(c, true, "%s: %s", c->rep->layer_err[i].name, c->rep->layer_err[i].fallback);
        goto done;
    }
    et_graph_count_uses(g);
    et_err perr = {0};
    int threads = et_recover_threads(c->opt);
    if (threads > 1 && !(R.pool = et_threadpool_create(threads, &perr)))
        R.pool = NULL; /* run on this thread */
    R.budget = c->opt->recover_hold_bytes > 0 ? c->opt->recover_hold_bytes : (int64_t)256 << 20;
    int64_t cap = c->opt->recover_reference ? R.budget / 2 : R.budget; /* two walks hold activations */
    bool walk = !R.base_key || R.base_write;                           /* a point reads the base's statistics */
    if (walk && (st = et_calib_walk_new(g, calib, threads, cap, &R.walk, c->err)) != ET_OK)
        goto done;
    if (walk && c->opt->recover_reference &&
        (st = et_calib_walk_new(R.pristine, calib, threads, cap, &R.walk_ref, c->err)) != ET_OK)
        goto done;
    if (c->opt->progress)
        c->opt->progress(c->opt->progress_ctx, 0, R.total, 0.0, -1.0, "");
    for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
        if (!wants(&R, l)) {
            if (R.base_write) /* a point may change it: its statistics */
                st = et_recover_layer_stats(&R, l);
            continue;
        }
        if (c->opt->cancel && *c->opt->cancel) {
            st = et_fail(c->err, ET_E_CANCELLED, "cancelled");
            break;
        }
        if ((st = et_recover_layer(&R, l)) != ET_OK)
            break;
        R.done++;
        R.work_done += layer_work(c, calib, l);
        if (c->opt->progress) {
            double el = et_clock_ms() - t0;
            double left = R.work_done > 0 ? el * (R.work_total - R.work_done) / R.work_done : -1.0;
            c->opt->progress(c->opt->progress_ctx, R.done, R.total, el, left, g->nodes[c->layers[l].node].name);
        }
    }
    if (st == ET_OK) {
        int64_t peak = (R.walk ? et_calib_walk_peak_bytes(R.walk) : 0) +
                       (R.walk_ref ? et_calib_walk_peak_bytes(R.walk_ref) : 0);
        if (peak > c->rep->recover_peak_bytes)
            c->rep->recover_peak_bytes = peak;
        c->rep->recover_ms = et_clock_ms() - t0;
        /* the walks' activations go first: the cached copy of the weights takes their place */
        et_calib_walk_free(R.walk);
        et_calib_walk_free(R.walk_ref);
        R.walk = R.walk_ref = NULL;
        if (R.base_key && !R.base_write) { /* a point: not the full result of its knobs, never cached as one */
            c->rep->recover_from_base = true;
            c->rep->n_resolved = R.n_resolved;
        } else {
            et_recover_cache_result(&R, key);
        }
        if (R.base_write)
            et_recover_rec_complete(c, bkey);
    }
done:
    et_calib_walk_free(R.walk);
    et_calib_walk_free(R.walk_ref);
    et_threadpool_destroy(R.pool);
    free(R.result);
    return st;
}
