/* calibrate.c: activation ranges for int8 quantization.
 *
 * The float32 graph as tuned so far (pruned, weights still float) runs on each calibration input, and the min
 * and max of every float activation are kept (min/max calibration: the ranges cover every calibration value, so
 * nothing seen in calibration clips). The plan reports each value as a step writes it (et_plan_options.observe;
 * channels-last twins "<name>.nhwc" count for their value), so the model runs at full speed with no tensor kept
 * alive. Values the plan's fusions consume (a pre-activation sum) are not seen; when one of them is the input or
 * output of a weight layer, a second, slower pass makes just those graph outputs. The calibration inputs are
 * --calib DIR (.npy files), else the model's <name>.calib/ folder, else seeded random inputs; the report says
 * which.
 *
 * With --calib-method percentile, mse or entropy a second pass counts every such value in a histogram over the
 * min/max range and act_range.c picks the range from it.
 *
 * Ranges depend only on the pruned float graph, the inputs and the method, not on the bit-width (unless recovery
 * changed the weights), so they are cached per pruning configuration (per-layer pruning overrides included; their
 * bits too unless every layer is int8 and nothing is recovered): turning the bits knob, model-wide or (all int8) of
 * one layer, does not calibrate again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "tune/act_range.h"
#include "tune/tune_cache.h"
#include "tune/tune_internal.h"

/* Key of the ranges: everything that changes the float graph before quantization. */
static void calib_key(const et_tune_ctx *c, char *key, size_t len) {
    const et_knobs *k = c->k;
    /* recovered weights depend on every quantization knob too */
    char rec[96] = "";
    if (k->recover != ET_RECOVER_NONE || strstr(k->layers, "recover=full") || strstr(k->layers, "recover=bias"))
        snprintf(rec, sizeof rec, "|rec%d|%d|%d|%d|%d|%d%s", (int)k->recover, k->weight_bits, (int)k->granularity,
                 (int)k->clip, k->force_int8 ? 1 : 0, k->threads, /* threads: the speed guard's int8 layers */
                 c->rep->recover_from_base ? "|b" : ""); /* a point's weights from its base's: not the full ones */
    snprintf(key, len, "calib|%d|%.6f|%d|%d:%d|%d|%d|%d%s|L%016llx", c->g->n_values, (double)k->prune_ratio,
             (int)k->prune_method, k->nm_n, k->nm_m, k->quantize_all ? 1 : 0, k->prune_ratio > 0.0f ? 1 : 0,
             (int)k->calib_method, rec,
             /* L: per-layer overrides. Without recovery and with every layer int8 (no act-bits override), only
                their pruning changes the float graph calibration walks (weight-only layers, quantized before it,
                would change it by their bits), so a layer's bits alone (a sensitivity point) take the ranges
                already measured */
             k->recover == ET_RECOVER_NONE && k->act_bits == 8 && !strstr(k->layers, "act-bits=")
                 ? et_tune_layers_prune_hash(k)
                 : et_tune_layers_hash(k));
}

static bool wanted(const et_graph *g, int v) {
    const et_value *val = &g->values[v];
    return val->kind != ET_VAL_CONST && val->dtype == ET_DT_F32 && (val->producer >= 0 || val->kind == ET_VAL_INPUT) &&
           et_shape_numel(&val->shape) > 0;
}

typedef struct observer {
    const et_graph *g;
    float *lo, *hi;  /* min/max pass: the ranges being widened */
    uint64_t **hist; /* histogram pass (--calib-method other than minmax): per value, or NULL */
} observer;

/* The tuned graph's value for a plan value name: itself, or the value a "<name>.nhwc[_etN]" twin stands for. */
static int value_of(const et_graph *g, const char *name) {
    int v = et_graph_find_value(g, name);
    if (v >= 0)
        return v;
    const char *t = strstr(name, ".nhwc");
    while (t && strstr(t + 1, ".nhwc"))
        t = strstr(t + 1, ".nhwc");
    if (!t || (size_t)(t - name) >= 512)
        return -1;
    char base[512];
    memcpy(base, name, (size_t)(t - name));
    base[t - name] = '\0';
    return et_graph_find_value(g, base);
}

/* Widens [lo, hi] to the range of d[0..n) (NaN ignored). Eight lanes so the compiler vectorises it (minps and
 * maxps compute exactly these comparisons): this runs over every activation of every calibration input. */
static void min_max(const float *d, int64_t n, float *lo, float *hi) {
    float l8[8], h8[8];
    for (int k = 0; k < 8; k++)
        l8[k] = INFINITY, h8[k] = -INFINITY;
    int64_t e = 0;
    for (; e + 8 <= n; e += 8)
        for (int k = 0; k < 8; k++) {
            l8[k] = d[e + k] < l8[k] ? d[e + k] : l8[k];
            h8[k] = d[e + k] > h8[k] ? d[e + k] : h8[k];
        }
    for (; e < n; e++) {
        l8[0] = d[e] < l8[0] ? d[e] : l8[0];
        h8[0] = d[e] > h8[0] ? d[e] : h8[0];
    }
    float mn = l8[0], mx = h8[0];
    for (int k = 1; k < 8; k++) {
        mn = l8[k] < mn ? l8[k] : mn;
        mx = h8[k] > mx ? h8[k] : mx;
    }
    if (isnan(*lo) || mn < *lo)
        *lo = mn;
    if (isnan(*hi) || mx > *hi)
        *hi = mx;
}

/* Value v's data d[0..n) seen: its range widened, or (histogram pass) counted over the range found before. */
static void seen(observer *o, int v, const float *d, int64_t n) {
    if (o->hist) {
        if (o->hist[v])
            et_act_hist_add(o->hist[v], o->lo[v], o->hi[v], d, n);
    } else {
        min_max(d, n, &o->lo[v], &o->hi[v]);
    }
}

static void observe(void *ctx, const char *name, const et_tensor *t) {
    observer *o = ctx;
    if (t->dtype != ET_DT_F32 || !t->data)
        return;
    int v = value_of(o->g, name);
    if (v < 0 || !wanted(o->g, v))
        return;
    seen(o, v, t->data, et_shape_numel(&t->shape));
}

/* Runs plan on every calibration set. */
static et_status run_sets(et_tune_ctx *c, et_plan *plan, const et_calib_set *calib, int from, int to, observer *ob) {
    et_graph *g = c->g;
    for (int s = from; s < to; s++) {
        for (int i = 0; i < g->n_inputs; i++) {
            et_tensor *t = et_plan_input(plan, i);
            const et_npy *x = &calib->sets[s * calib->n_inputs + i];
            size_t need = (size_t)et_shape_numel(&t->shape) * et_dtype_size(t->dtype);
            if (x->nbytes != need || x->dtype != t->dtype)
                return et_fail(c->err, ET_E_INPUT, "calibration input %d of set %d does not match input '%s'", i, s,
                               et_plan_input_name(plan, i));
            memcpy(t->data, x->data, need);
            if (t->dtype == ET_DT_F32) /* graph inputs are observed too: nothing writes them */
                seen(ob, g->inputs[i], t->data, et_shape_numel(&t->shape));
        }
        et_status st = et_plan_run(plan, NULL, c->err);
        if (st != ET_OK)
            return st;
        c->rep->calib_runs++;
    }
    return ET_OK;
}

/* Whether value v feeds or leaves a weight layer (a range int8 needs). */
static bool needed(const et_graph *g, int v) {
    const et_value *val = &g->values[v];
    if (val->producer >= 0) {
        et_op op = g->nodes[val->producer].op;
        if (op == ET_OP_CONV || op == ET_OP_GEMM || op == ET_OP_MATMUL)
            return true;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        if ((n->op == ET_OP_CONV || n->op == ET_OP_GEMM || n->op == ET_OP_MATMUL) && n->n_inputs > 0 &&
            n->inputs[0] == v)
            return true;
    }
    return false;
}

/* The min/max collection (ob->hist NULL): the plan as it runs, observed, on the first set, which tells which
 * values its fusions consume (fused[v]: those a weight layer reads or writes); none: the other sets through it;
 * some: every set once through the graph with those values as outputs, observed (it computes every value as the
 * fused plan does: the same ranges, bit for bit, on all 21 fixture models, VNNI and AVX2 paths, and the 224x224
 * MobileNetV2; test_calib_pass.c holds it to that), the first set's look dropped. Until session 13 every set ran
 * twice, through the fused plan and then the graph with outputs: with 10 fused values, a channel-pruned sensitivity
 * point of a 224x224 MobileNetV2 (which calibrates again) spent 5.6 s of CPU configuring, now 2.9-3.5 s. The test hook
 * EDGETUNE_CALIB_TWO_PASS (set: the two passes) is the oracle. The histogram collection (fused[] known) keeps its
 * two passes: observed and read as outputs, a fused value would be counted twice. */
static et_status collect(et_tune_ctx *c, const et_calib_set *calib, observer *ob, bool *fused) {
    et_graph *g = c->g;
    int nv = g->n_values;
    et_plan_options po = et_plan_options_default();
    po.threads = c->k->threads;
    po.observe = observe;
    po.observe_ctx = ob;
    et_plan *plan = NULL;
    et_status st = et_plan_create(g, &po, &plan, c->err);
    /* the min/max pass learns which values the fusions consume from the first set alone (the plan is the same for
       every set): when there are some, the sets run once through the graph that keeps them (below), not twice */
    bool one_pass = !ob->hist && !getenv("EDGETUNE_CALIB_TWO_PASS");
    if (st == ET_OK)
        st = run_sets(c, plan, calib, 0, one_pass ? 1 : calib->n_sets, ob);
    if (st != ET_OK) {
        et_plan_free(plan);
        return st;
    }
    int *outs = malloc(((size_t)nv + 1) * sizeof *outs);
    if (!outs)
        return et_fail(c->err, ET_E_NOMEM, "out of memory calibrating");
    int n_out = 0, n_missing = 0;
    for (int i = 0; i < g->n_outputs; i++)
        outs[n_out++] = g->outputs[i];
    for (int v = 0; v < nv; v++) {
        if (!ob->hist)
            fused[v] = wanted(g, v) && isnan(ob->lo[v]) && !g->values[v].is_output && needed(g, v);
        if (fused[v]) {
            outs[n_out++] = v;
            n_missing++;
        }
    }
    if (n_missing == 0) { /* the plan as it runs sees every value: the other sets through it too */
        free(outs);
        if (one_pass)
            st = run_sets(c, plan, calib, 1, calib->n_sets, ob);
        et_plan_free(plan);
        return st;
    }
    et_plan_free(plan);
    et_graph *cg = et_graph_clone(g);
    if (!cg) {
        free(outs);
        return et_fail(c->err, ET_E_NOMEM, "out of memory calibrating");
    }
    free(cg->outputs);
    cg->outputs = outs;
    cg->n_outputs = n_out;
    et_graph_count_uses(cg);
    /* one pass: every value from the graph that keeps the fused ones, the first set's look dropped; it sees values
       neither pass of two saw (not fused away, yet not needed: a pre-activation sum no weight layer reads), which
       keep no range, as before */
    bool *keep = one_pass ? calloc((size_t)nv + 1, sizeof *keep) : NULL;
    if (one_pass && !keep) {
        et_graph_free(cg);
        return et_fail(c->err, ET_E_NOMEM, "out of memory calibrating");
    }
    for (int v = 0; one_pass && v < nv; v++) {
        keep[v] = fused[v] || !isnan(ob->lo[v]);
        ob->lo[v] = NAN, ob->hi[v] = NAN;
    }
    if (!one_pass)
        po.observe = NULL;
    if ((st = et_plan_create(cg, &po, &plan, c->err)) == ET_OK) {
        for (int s = 0; s < calib->n_sets && st == ET_OK; s++) {
            if (one_pass) {
                if ((st = run_sets(c, plan, calib, s, s + 1, ob)) != ET_OK)
                    break;
            } else {
                for (int i = 0; i < g->n_inputs; i++) {
                    et_tensor *t = et_plan_input(plan, i);
                    memcpy(t->data, calib->sets[s * calib->n_inputs + i].data,
                           calib->sets[s * calib->n_inputs + i].nbytes);
                }
                if ((st = et_plan_run(plan, NULL, c->err)) != ET_OK)
                    break;
                c->rep->calib_runs++;
            }
            for (int o = g->n_outputs; o < n_out; o++) {
                const et_tensor *t = et_plan_output(plan, o);
                seen(ob, outs[o], t->data, et_shape_numel(&t->shape));
            }
        }
        et_plan_free(plan);
    }
    for (int v = 0; one_pass && v < nv; v++)
        if (!keep[v])
            ob->lo[v] = NAN, ob->hi[v] = NAN;
    free(keep);
    et_graph_free(cg);
    return st;
}

et_status et_tune_calibrate(et_tune_ctx *c, const et_calib_set *calib, float *lo, float *hi) {
    et_graph *g = c->g;
    int nv = g->n_values;
    for (int v = 0; v < nv; v++)
        lo[v] = NAN, hi[v] = NAN;
    char key[256];
    calib_key(c, key, sizeof key);
    size_t bytes = 0;
    const float *cached = et_tune_cache_get(c->opt->cache, key, &bytes);
    if (!(cached && bytes == 2 * (size_t)nv * sizeof(float)) && c->opt->calib_base) {
        /* a sensitivity point: the base's ranges, of a graph of the same values (recover_base.h) */
        et_tune_report none = {0};
        et_tune_ctx b = *c;
        b.k = c->opt->calib_base, b.rep = &none;
        calib_key(&b, key, sizeof key);
        cached = et_tune_cache_get(c->opt->cache, key, &bytes);
        if (cached && bytes == 2 * (size_t)nv * sizeof(float))
            et_tune_note(c, false, "activation ranges: the base's (a sensitivity point: not calibrated again)");
    }
    if (cached && bytes == 2 * (size_t)nv * sizeof(float)) {
        memcpy(lo, cached, (size_t)nv * sizeof(float));
        memcpy(hi, cached + nv, (size_t)nv * sizeof(float));
        return ET_OK;
    }
    if (!calib || calib->n_sets < 1 || calib->n_inputs != g->n_inputs)
        return et_fail(c->err, ET_E_INPUT, "int8 activations need calibration inputs (--calib DIR of .npy files)");
    et_graph_count_uses(g);
    c->calib_lo = lo, c->calib_hi = hi;
    bool *fused = calloc((size_t)nv + 1, sizeof *fused);
    if (!fused)
        return et_fail(c->err, ET_E_NOMEM, "out of memory calibrating");
    observer ob = {.g = g, .lo = lo, .hi = hi};
    et_status st = collect(c, calib, &ob, fused);
    if (st == ET_OK && c->k->calib_method != ET_CALIB_MINMAX) {
        /* a second look at the same values, counted over the ranges just found; then each method's choice */
        ob.hist = calloc((size_t)nv + 1, sizeof *ob.hist);
        if (!ob.hist)
            st = et_fail(c->err, ET_E_NOMEM, "out of memory calibrating");
        for (int v = 0; v < nv && st == ET_OK; v++)
            if (!isnan(lo[v]) && !isnan(hi[v]) && hi[v] > lo[v] &&
                !(ob.hist[v] = calloc(ET_ACT_HIST_BINS, sizeof **ob.hist)))
                st = et_fail(c->err, ET_E_NOMEM, "out of memory calibrating");
        if (st == ET_OK)
            st = collect(c, calib, &ob, fused);
        for (int v = 0; v < nv && st == ET_OK; v++)
            if (ob.hist[v])
                et_act_range_choose(c->k->calib_method, ob.hist[v], lo[v], hi[v], &lo[v], &hi[v]);
        for (int v = 0; ob.hist && v < nv; v++)
            free(ob.hist[v]);
        free(ob.hist);
    }
    free(fused);
    if (st != ET_OK)
        return st;

    float *blob = malloc(2 * (size_t)nv * sizeof *blob);
    if (blob) {
        memcpy(blob, lo, (size_t)nv * sizeof *blob);
        memcpy(blob + nv, hi, (size_t)nv * sizeof *blob);
        et_tune_cache_put(c->opt->cache, key, blob, 2 * (size_t)nv * sizeof *blob);
        free(blob);
    }
    return ET_OK;
}
