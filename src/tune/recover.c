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

#include "tune/chan_greedy.h"
#include "tune/recover_cache.h"
#include "tune/recover_internal.h"
#include "util/mem.h"
#include "util/clock.h"

static int threads_for(const et_tune_options *o) {
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

static et_status check_inputs(const et_calib_set *calib, et_err *err) {
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
    if ((st = check_inputs(calib, c->err)) != ET_OK)
        return st;
    if (!(R.result = calloc((size_t)c->n_layers + 1, 1)))
        return et_fail(c->err, ET_E_NOMEM, "out of memory recovering weights");
    /* from the cache: the same knobs on the same calibration set made these weights before */
    char key[256];
    uint64_t quant_hash = 1469598103934665603ull;
    for (int l = 0; l < c->n_layers; l++)
        quant_hash = (quant_hash ^ (uint64_t)(quantize[l] ? l + 1 : 0)) * 1099511628211ull;
    et_recover_key(c, calib, quant_hash, key, sizeof key);
    bool found = false;
    if ((st = et_recover_apply_cached(&R, key, &found)) != ET_OK || found) {
        if (found) {
            c->rep->recover_cached = true;
            for (int i = 0; i < c->rep->n_layer_errs; i++)
                if (c->rep->layer_err[i].fallback[0])
                    et_tune_note(c, true, "%s: %s", c->rep->layer_err[i].name, c->rep->layer_err[i].fallback);
        }
        goto done;
    }
    et_graph_count_uses(g);
    et_err perr = {0};
    int threads = threads_for(c->opt);
    if (threads > 1 && !(R.pool = et_threadpool_create(threads, &perr)))
        R.pool = NULL; /* run on this thread */
    R.budget = c->opt->recover_hold_bytes > 0 ? c->opt->recover_hold_bytes : (int64_t)256 << 20;
    int64_t cap = c->opt->recover_reference ? R.budget / 2 : R.budget; /* two walks hold activations */
    if ((st = et_calib_walk_new(g, calib, threads, cap, &R.walk, c->err)) != ET_OK)
        goto done;
    if (c->opt->recover_reference &&
        (st = et_calib_walk_new(R.pristine, calib, threads, cap, &R.walk_ref, c->err)) != ET_OK)
        goto done;
    if (c->opt->progress)
        c->opt->progress(c->opt->progress_ctx, 0, R.total, 0.0, -1.0, "");
    for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
        if (!wants(&R, l))
            continue;
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
        int64_t peak = et_calib_walk_peak_bytes(R.walk) + (R.walk_ref ? et_calib_walk_peak_bytes(R.walk_ref) : 0);
        if (peak > c->rep->recover_peak_bytes)
            c->rep->recover_peak_bytes = peak;
        c->rep->recover_ms = et_clock_ms() - t0;
        /* the walks' activations go first: the cached copy of the weights takes their place */
        et_calib_walk_free(R.walk);
        et_calib_walk_free(R.walk_ref);
        R.walk = R.walk_ref = NULL;
        et_recover_cache_result(&R, key);
    }
done:
    et_calib_walk_free(R.walk);
    et_calib_walk_free(R.walk_ref);
    et_threadpool_destroy(R.pool);
    free(R.result);
    return st;
}

/* ---- channel selection by reconstruction error ----------------------------------------------------------- */

static bool consumer(const et_tune_ctx *c, int l) {
    const et_wlayer *L = &c->layers[l];
    return L->kind == ET_WL_CONV ? L->group == 1 : true;
}

/* Each input channel's own energy, sum over outputs of w_c^T H_cc w_c (its kernel elements), from the diagonal
 * blocks of H (hs per channel): the choice when the full Hessian does not fit. *out: n_in scores, owned by the
 * caller; ET_E_NOMEM when out of memory. */
static et_status own_energies(et_tune_ctx *c, int l, const et_hess *hs, double **out) {
    const et_wlayer *L = &c->layers[l];
    float *w = et_recover_copy_floats(&c->g->values[L->weight]);
    int64_t kb = hs->d, n_in = hs->groups;
    double *e = calloc((size_t)n_in + 1, sizeof *e);
    if (!w || !e) {
        et_aligned_free(w);
        free(e);
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    }
    for (int64_t o = 0; o < L->view.n_ch; o++)
        for (int64_t ci = 0; ci < n_in; ci++) {
            const double *h = hs->h + ci * kb * kb;
            double s = 0.0;
            for (int64_t a = 0; a < kb; a++) {
                double wa = w[o * L->view.ch_stride + (ci * kb + a) * L->view.el_stride];
                for (int64_t b = 0; b < kb; b++)
                    s += wa * h[a * kb + b] * w[o * L->view.ch_stride + (ci * kb + b) * L->view.el_stride];
            }
            e[ci] += s;
        }
    et_aligned_free(w);
    *out = e;
    return ET_OK;
}

/* Largest Hessian (features) the greedy judges after the refit: it costs about d^3 (a few seconds at 2304, the
 * 3x3 layers of 256 channels); wider layers use the greedy on the output without refit (d^2 per output). */
#define REFIT_MAX_D 2304

/* Scores in the order of a greedy with cross terms (chan_greedy.h) from the full Hessian (hs, one group): judged
 * after the refit where d allows and `output` is false, else on the output without refit. *out: n_in scores,
 * owned by the caller; ET_E_NOMEM when out of memory. */
static et_status greedy_scores(et_tune_ctx *c, int l, const et_hess *hs, bool output, double **out) {
    const et_wlayer *L = &c->layers[l];
    int64_t kb = L->kind == ET_WL_CONV ? L->ksize : 1, n_in = L->view.per_ch / kb;
    if (hs->groups != 1 || hs->d != n_in * kb)
        return et_fail(c->err, ET_E_RUNTIME, "%s: Hessian of %lld features for %lld input channels",
                       c->g->nodes[L->node].name, (long long)hs->d, (long long)n_in);
    float *w = et_recover_copy_floats(&c->g->values[L->weight]);
    double *e = calloc((size_t)n_in + 1, sizeof *e);
    bool ok = w && e;
    bool refit = ok && !output && hs->d <= REFIT_MAX_D &&
                 et_chan_refit_scores(w, L->view.n_ch, L->view.ch_stride, L->view.el_stride, hs->h, n_in, kb, e);
    if (ok && !refit) { /* not asked for, too wide, or H not positive definite: the greedy on the output */
        double *G = malloc((size_t)(n_in * n_in + 1) * sizeof *G);
        ok = G && et_chan_gram(w, L->view.n_ch, L->view.ch_stride, L->view.el_stride, hs->h, n_in, kb, G) &&
             et_chan_greedy_scores(G, n_in, e);
        free(G);
    }
    et_aligned_free(w);
    if (!ok) {
        free(e);
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    }
    *out = e;
    return ET_OK;
}

et_status et_tune_channel_energies(et_tune_ctx *c, const et_calib_set *calib) {
    et_graph *g = c->g;
    et_status st = ET_OK;
    if (!calib || calib->n_sets < 1)
        return et_fail(c->err, ET_E_INPUT, "--recover needs calibration inputs (--calib DIR of .npy files)");
    if ((st = check_inputs(calib, c->err)) != ET_OK)
        return st;
    free(c->chan_energy);
    c->chan_energy = calloc((size_t)c->n_layers + 1, sizeof *c->chan_energy);
    if (!c->chan_energy)
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    et_graph_count_uses(g);
    et_recover_run R = {.c = c, .calib = calib};
    et_err perr = {0};
    int threads = threads_for(c->opt);
    if (threads > 1)
        R.pool = et_threadpool_create(threads, &perr);
    int64_t cap = c->opt->recover_hold_bytes > 0 ? c->opt->recover_hold_bytes : (int64_t)256 << 20;
    /* EDGETUNE_CHANSEL (to compare the choices): own, each channel by its own energy (before the greedy);
     * output, the greedy on the output without refit; anything else, the greedy after the refit */
    const char *sel = getenv("EDGETUNE_CHANSEL");
    bool own = sel && strcmp(sel, "own") == 0, output = sel && strcmp(sel, "output") == 0;
    if ((st = et_calib_walk_new(g, calib, threads, cap, &R.walk, c->err)) != ET_OK)
        goto done;
    for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
        const et_wlayer *L = &c->layers[l];
        if (!consumer(c, l) || g->values[L->weight].n_consumers > 1)
            continue;
        const et_node *node = &g->nodes[L->node];
        int x = node->inputs[0];
        /* the full Hessian (cross terms between channels) when it fits the budget, else its diagonal blocks */
        bool full = !own && et_hess_bytes(g, L->node, false) <= cap;
        if ((st = et_hess_init(&R.hs, g, L->node, !full, c->err)) != ET_OK)
            break;
        if ((st = et_calib_walk_to(R.walk, g, L->node, &x, 1, et_recover_add_input, &R, c->opt->cancel, c->err)) !=
            ET_OK) {
            et_hess_free(&R.hs);
            break;
        }
        et_hess_finish(&R.hs);
        double *e = NULL;
        st = full ? greedy_scores(c, l, &R.hs, output, &e) : own_energies(c, l, &R.hs, &e);
        et_hess_free(&R.hs);
        if (st != ET_OK)
            break;
        c->chan_energy[l] = e;
    }
done:
    et_calib_walk_free(R.walk);
    et_threadpool_destroy(R.pool);
    return st;
}
