/* test_recover_base.c: a sensitivity point's recovery from its base's record (recover_base.h,
 * et_tune_options.recover_base), on mobilenetv2_small with seeded calibration sets:
 *   - a point that changes the LAST weight layer: every constant equals the point's full recovery, bit for bit
 *     (the layers before it see the base's inputs, so the base's statistics are the full run's), weight-only and
 *     int8; one layer solved again
 *   - a point that changes a middle layer: every other layer's constants equal the base's, bit for bit; the
 *     layers before it equal the full recovery's; the changed layer differs from the base's
 *   - after a point, the same knobs without recover_base (a finalist) recover in full: not the point's weights */
#include <string.h>

#include "record/layer_knobs.h"
#include "tune_test.h"

enum { MAX_NAMES = 512 };

/* True when node `name` reads the same constants (every constant input, by bytes) in a and b. */
static bool same_node(const et_graph *a, const et_graph *b, const char *name) {
    const et_node *x = NULL, *y = NULL;
    for (int i = 0; i < a->n_nodes && !x; i++)
        x = strcmp(a->nodes[i].name, name) == 0 ? &a->nodes[i] : NULL;
    for (int i = 0; i < b->n_nodes && !y; i++)
        y = strcmp(b->nodes[i].name, name) == 0 ? &b->nodes[i] : NULL;
    if (!x || !y || x->n_inputs != y->n_inputs || x->op != y->op)
        return false;
    for (int i = 0; i < x->n_inputs; i++) {
        if (x->inputs[i] < 0 || y->inputs[i] < 0)
            continue;
        const et_value *u = &a->values[x->inputs[i]], *v = &b->values[y->inputs[i]];
        if (u->kind != v->kind)
            return false;
        if (u->kind == ET_VAL_CONST && (u->nbytes != v->nbytes || memcmp(u->data, v->data, u->nbytes) != 0))
            return false;
    }
    return true;
}

static et_knobs base_knobs(int act_bits) {
    et_knobs k = et_knobs_default();
    k.weight_bits = 8;
    k.act_bits = act_bits;
    k.recover = ET_RECOVER_FULL;
    k.quantize_all = true;
    k.threads = 1;
    return k;
}

static et_knobs point_knobs(const et_knobs *base, const char *layer) {
    et_knobs k = *base;
    char spec[256];
    snprintf(spec, sizeof spec, "%s:bits=4", layer);
    et_err e = {0};
    if (et_knobs_add_layer_spec(&k, spec, &e) != ET_OK)
        fprintf(stderr, "%s\n", e.msg);
    return k;
}

/* The point at layer `at`: from the base's record (cheap), in full, and the base itself; 0 on failure. */
typedef struct runs {
    et_graph *base, *cheap, *full, *again;
    et_tune_report cheap_rep, again_rep;
} runs;

static bool run_point(const et_model *m, const et_calib_set *cs, int act_bits, const char *layer, runs *r) {
    et_knobs b = base_knobs(act_bits), p = point_knobs(&b, layer);
    et_tune_options o = et_tune_options_default();
    o.recover_threads = 1;
    o.speed_guard = false;
    o.cache = et_tune_cache_new();
    o.recover_base = &b;
    et_tune_report *rep = malloc(sizeof *rep);
    et_err err = {0};
    bool ok = et_tune_apply_ex(m->graph, &b, cs, &o, &r->base, rep, &err) == ET_OK &&
              et_tune_apply_ex(m->graph, &p, cs, &o, &r->cheap, &r->cheap_rep, &err) == ET_OK;
    /* the same knobs as a finalist (no base), on the same cache: recovered in full */
    o.recover_base = NULL;
    ok = ok && et_tune_apply_ex(m->graph, &p, cs, &o, &r->again, &r->again_rep, &err) == ET_OK;
    et_tune_options f = et_tune_options_default();
    f.recover_threads = 1;
    f.speed_guard = false;
    ok = ok && et_tune_apply_ex(m->graph, &p, cs, &f, &r->full, rep, &err) == ET_OK;
    if (!ok)
        fprintf(stderr, "tune: %s\n", err.msg);
    free(rep);
    et_tune_cache_free(o.cache);
    return ok;
}

static void runs_free(runs *r) {
    et_graph_free(r->base), et_graph_free(r->cheap), et_graph_free(r->full), et_graph_free(r->again);
}

static void check_last(int act_bits) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cs = tt_calib(m->graph, 4, false);
    const char *names[MAX_NAMES];
    int n = et_tune_weight_layer_names(m->graph, names, MAX_NAMES);
    ET_REQUIRE(n > 3);
    runs r = {0};
    ET_REQUIRE(run_point(m, &cs, act_bits, names[n - 1], &r));
    ET_CHECK_MSG(r.cheap_rep.recover_from_base && r.cheap_rep.n_resolved == 1, "from base %d, solved again %d",
                 r.cheap_rep.recover_from_base, r.cheap_rep.n_resolved);
    int differ = 0;
    for (int l = 0; l < n; l++)
        if (!same_node(r.cheap, r.full, names[l])) {
            fprintf(stderr, "act-bits %d: %s differs from the full recovery\n", act_bits, names[l]);
            differ++;
        }
    ET_CHECK_MSG(differ == 0, "%d of %d layers differ from the full recovery", differ, n);
    ET_CHECK(!same_node(r.cheap, r.base, names[n - 1])); /* the change did something */
    runs_free(&r);
    tt_calib_free(&cs);
    et_model_free(m);
}

static void test_last_layer_exact(void) {
    check_last(32);
    check_last(8);
}

static void test_middle_layer(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cs = tt_calib(m->graph, 4, false);
    const char *names[MAX_NAMES];
    int n = et_tune_weight_layer_names(m->graph, names, MAX_NAMES);
    ET_REQUIRE(n > 3);
    int at = n / 2;
    runs r = {0};
    ET_REQUIRE(run_point(m, &cs, 32, names[at], &r));
    ET_CHECK(r.cheap_rep.recover_from_base && r.cheap_rep.n_resolved == 1);
    int not_base = 0, not_full = 0, after_full = 0;
    for (int l = 0; l < n; l++) {
        if (l != at && !same_node(r.cheap, r.base, names[l])) {
            fprintf(stderr, "%s differs from the base's\n", names[l]);
            not_base++;
        }
        if (l <= at && !same_node(r.cheap, r.full, names[l])) {
            fprintf(stderr, "%s differs from the full recovery\n", names[l]);
            not_full++;
        }
        after_full += l > at && !same_node(r.cheap, r.full, names[l]);
    }
    ET_CHECK_MSG(not_base == 0, "%d layers besides the changed one differ from the base's", not_base);
    ET_CHECK_MSG(not_full == 0, "%d layers up to the changed one differ from the full recovery", not_full);
    ET_CHECK(!same_node(r.cheap, r.base, names[at]));
    /* the approximation: a full recovery refits the layers after it (they differ from the base's) */
    ET_CHECK_MSG(after_full > 0, "no layer after the changed one differs from the full recovery");
    /* a finalist with the point's knobs: the full recovery, never the point's weights */
    ET_CHECK(!r.again_rep.recover_from_base);
    for (int l = 0; l < n; l++)
        ET_CHECK_MSG(same_node(r.again, r.full, names[l]), "%s: the finalist took the point's weights", names[l]);
    runs_free(&r);
    tt_calib_free(&cs);
    et_model_free(m);
}

int main(void) {
    ET_RUN(test_last_layer_exact);
    ET_RUN(test_middle_layer);
    return et_test_done();
}
