/* speed_guard.c: int8 is never slower than float32 here (issue: honesty as a rule).
 *
 * Before a layer runs int8, it is measured: the float32 plan and the all-int8 plan of the same (pruned) graph are
 * built with per-layer profiling and run alternately (one warm-up, then guard_runs timed runs each; the fastest
 * run of each layer counts, which is the least disturbed on a shared machine). A layer whose int8 step is not
 * clearly faster than its float32 step (by MARGIN: a tie changes the accuracy for no speed) stays float32. Then
 * the plan with the remaining int8 layers is timed as a whole against float32; if it is not clearly faster,
 * every layer stays float32. The report lists each kept layer with both
 * times, so the decision can be checked. Decisions are cached per (bits class, pruning, threads, layer choice):
 * the same configuration gives the same graph every time it is derived in a session. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "tune/tune_cache.h"
#include "tune/tune_internal.h"

/* int8 must take at most this share of the float32 time to be used: measurement noise on a shared machine is a
 * few percent, and a layer that is not faster is better left exact. */
#define MARGIN 0.97

typedef struct timed {
    et_plan *plan;
    double *best_ms; /* per step: fastest run */
    double best_total_ms;
} timed;

static et_status make_timed(et_tune_ctx *c, const et_graph *g, timed *t) {
    et_plan_options po = et_plan_options_default();
    po.threads = c->k->threads;
    po.profile_layers = true;
    et_status st = et_plan_create(g, &po, &t->plan, c->err);
    if (st != ET_OK)
        return st;
    int n = et_plan_get_stats(t->plan).n_steps;
    t->best_ms = malloc(((size_t)n + 1) * sizeof *t->best_ms);
    if (!t->best_ms)
        return et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
    for (int i = 0; i < n; i++)
        t->best_ms[i] = INFINITY;
    t->best_total_ms = INFINITY;
    /* seeded inputs: any values exercise the same kernels */
    for (int i = 0; i < et_plan_n_inputs(t->plan); i++) {
        et_tensor *x = et_plan_input(t->plan, i);
        size_t bytes = (size_t)et_shape_numel(&x->shape) * et_dtype_size(x->dtype);
        memset(x->data, 0, bytes);
        if (x->dtype == ET_DT_F32)
            for (size_t e = 0; e < bytes / 4; e++)
                ((float *)x->data)[e] = (float)((e * 2654435761u) % 1000) / 500.0f - 1.0f;
    }
    return ET_OK;
}

static et_status run_timed(et_tune_ctx *c, timed *t, bool record) {
    et_plan_reset_profile(t->plan);
    et_status st = et_plan_run(t->plan, NULL, c->err);
    if (st != ET_OK || !record)
        return st;
    int n = et_plan_get_stats(t->plan).n_steps;
    double total = 0;
    for (int i = 0; i < n; i++) {
        et_step_info si;
        et_plan_step_info(t->plan, i, &si);
        total += si.time_ms;
        if (si.time_ms < t->best_ms[i])
            t->best_ms[i] = si.time_ms;
    }
    if (total < t->best_total_ms)
        t->best_total_ms = total;
    return ET_OK;
}

static void free_timed(timed *t) {
    et_plan_free(t->plan);
    free(t->best_ms);
    memset(t, 0, sizeof *t);
}

/* Time of the step named `name` (the layer keeps its node name through layout and fusion); -1 when absent. */
static double step_ms(const timed *t, const char *name) {
    int n = et_plan_get_stats(t->plan).n_steps;
    for (int i = 0; i < n; i++) {
        et_step_info si;
        et_plan_step_info(t->plan, i, &si);
        if (strcmp(si.name, name) == 0)
            return t->best_ms[i];
    }
    return -1.0;
}

/* Times the float graph against the int8 graph made from cand, both plans alternately. *trial holds the int8
 * graph, which q's plan borrows from: free q before it. */
static et_status measure(et_tune_ctx *c, const bool *cand, const float *lo, const float *hi, timed *f, timed *q,
                         et_graph **trial) {
    *trial = et_graph_clone(c->g);
    if (!*trial)
        return et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
    int n_q;
    et_status st = et_tune_build_int8(c, *trial, cand, lo, hi, false, &n_q);
    if (st == ET_OK)
        st = et_graph_compact(*trial, c->err);
    if (st == ET_OK && !f->plan)
        st = make_timed(c, c->g, f);
    if (st == ET_OK)
        st = make_timed(c, *trial, q);
    int runs = c->opt->guard_runs > 0 ? c->opt->guard_runs : 3;
    if (st == ET_OK && (st = run_timed(c, f, false)) == ET_OK)
        st = run_timed(c, q, false);
    if (st == ET_OK) { /* small models: enough runs for about 20 ms per plan, so microsecond layers compare */
        double one = 0;
        int n = et_plan_get_stats(f->plan).n_steps;
        for (int i = 0; i < n; i++) {
            et_step_info si;
            et_plan_step_info(f->plan, i, &si);
            one += si.time_ms;
        }
        int want = one > 0 ? (int)(20.0 / one) : 200;
        runs = want > runs ? (want < 200 ? want : 200) : runs;
    }
    for (int r = 0; r < runs && st == ET_OK; r++)
        if ((st = run_timed(c, f, true)) == ET_OK)
            st = run_timed(c, q, true);
    return st;
}

static void drop(timed *q, et_graph **trial) {
    free_timed(q);
    et_graph_free(*trial);
    *trial = NULL;
}

et_status et_tune_speed_guard(et_tune_ctx *c, bool *cand, const float *lo, const float *hi, bool *all_fp32) {
    et_graph *g = c->g;
    const et_knobs *k = c->k;
    *all_fp32 = false;
    int nn = g->n_nodes;
    char key[192];
    snprintf(key, sizeof key, "guard|%d|%d|%.6f|%d|%d:%d|%d|%d|L%016llx", nn, k->weight_bits == 4 ? 4 : 8,
             (double)k->prune_ratio, (int)k->prune_method, k->nm_n, k->nm_m, k->threads, k->quantize_all ? 1 : 0,
             et_tune_layers_hash(k)); /* L: per-layer overrides */
    size_t bytes = 0;
    const char *cached = et_tune_cache_get(c->opt->cache, key, &bytes);
    /* blob: one byte per node (1 = still an int8 candidate), then all_fp32, then the note (NUL-terminated) */
    if (cached && bytes >= (size_t)nn + 2) {
        int kept = 0;
        for (int i = 0; i < nn; i++)
            if (cand[i] && !cached[i]) {
                cand[i] = false;
                kept++;
            }
        c->rep->n_guard_kept = kept;
        *all_fp32 = cached[nn] != 0;
        if (cached[nn + 1])
            et_tune_note(c, true, "%s", cached + nn + 1);
        return ET_OK;
    }
    timed f = {0}, q = {0};
    et_graph *trial = NULL;
    char text[3000] = "", layers[2600] = "";
    int kept = 0, n_cand = 0, left = 0;
    et_status st = measure(c, cand, lo, hi, &f, &q, &trial);
    double q_total = q.best_total_ms, f_total = f.best_total_ms;
    for (int i = 0; i < nn && st == ET_OK; i++) {
        if (!cand[i])
            continue;
        n_cand++;
        double tq = step_ms(&q, g->nodes[i].name), tf = step_ms(&f, g->nodes[i].name);
        if (tq < 0 || tf < 0) /* not an int8 layer after all (build_int8 says why) */
            continue;
        if (tq < MARGIN * tf) {
            left++;
            continue;
        }
        cand[i] = false;
        kept++;
        size_t len = strlen(layers);
        if (len + 8 < sizeof layers)
            snprintf(layers + len, sizeof layers - len, "%s%s (int8 %.3f ms, fp32 %.3f ms)", kept > 1 ? ", " : "",
                     g->nodes[i].name, tq, tf);
    }
    drop(&q, &trial);
    if (st == ET_OK && left > 0 && kept > 0) { /* time the model with the remaining int8 layers */
        st = measure(c, cand, lo, hi, &f, &q, &trial);
        q_total = q.best_total_ms;
        f_total = f.best_total_ms;
        drop(&q, &trial);
    }
    if (st == ET_OK && left > 0 && !(q_total < MARGIN * f_total)) {
        *all_fp32 = true;
        snprintf(text, sizeof text,
                 "int8 not measured faster than fp32 on this CPU (model %.3f ms vs %.3f ms): every "
                 "layer kept fp32%s%s",
                 q_total, f_total, kept ? "; slower layers: " : "", layers);
    } else if (st == ET_OK && kept > 0) {
        snprintf(text, sizeof text, "%d of %d layers kept fp32 (int8 not measured faster here): %s", kept, n_cand,
                 layers);
    }
    free_timed(&f);
    if (st != ET_OK)
        return st;
    c->rep->n_guard_kept = *all_fp32 ? n_cand : kept;
    if (text[0])
        et_tune_note(c, true, "%s", text);
    size_t tl = strlen(text);
    char *blob = malloc((size_t)nn + 2 + tl);
    if (blob) {
        for (int i = 0; i < nn; i++)
            blob[i] = (char)(cand[i] ? 1 : 0);
        blob[nn] = (char)(*all_fp32 ? 1 : 0);
        memcpy(blob + nn + 1, text, tl + 1);
        et_tune_cache_put(c->opt->cache, key, blob, (size_t)nn + 2 + tl);
        free(blob);
    }
    return ET_OK;
}
