/* test_tune_layers.c: per-layer overrides: parsing of --layer and --layers-config (canonical text,
 * every error a usage error naming the key, value or FILE:LINE), resolution order, the cache keys seeing the
 * overrides, and tune changing exactly the named layers (weight-only and int8, mixed widths), with recovery too. */
#include <math.h>
#include <unistd.h>

#include "model/quant_info.h"
#include "record/layer_knobs.h"
#include "tune/tune_internal.h"
#include "tune_test.h"

static void test_parse_spec_and_canonical(void) {
    et_knobs k = et_knobs_default();
    et_err e = {0};
    ET_CHECK(et_knobs_add_layer_spec(&k, "conv1:prune=0.50,bits=4", &e) == ET_OK);
    ET_CHECK_MSG(strcmp(k.layers, "conv1 bits=4 prune=0.5") == 0, "'%s'", k.layers);
    ET_CHECK(et_knobs_add_layer_spec(&k, "/layer1/*:act-bits=8,method=nm,recover=none", &e) == ET_OK);
    ET_CHECK_MSG(strcmp(k.layers, "conv1 bits=4 prune=0.5\n/layer1/* act-bits=8 method=nm recover=none") == 0, "'%s'",
                 k.layers);
    ET_CHECK(et_knobs_has_layers(&k));
    ET_CHECK(!et_knobs_is_fp32(&k)); /* model-wide fp32 but overridden: never the pristine model */
    et_layer_override ov[8];
    ET_CHECK_INT(et_knobs_layer_overrides(&k, ov, 8, &e), 2);
    ET_CHECK(ov[0].set == (ET_LK_BITS | ET_LK_PRUNE) && ov[0].weight_bits == 4);
    ET_CHECK(ov[1].set == (ET_LK_ACT_BITS | ET_LK_METHOD | ET_LK_RECOVER) && ov[1].prune_method == ET_PRUNE_NM);
    ET_CHECK(et_knobs_validate(&k, &e) == ET_OK);

    /* errors: usage, naming what is wrong; knobs unchanged */
    char before[ET_KNOBS_LAYERS_BYTES];
    memcpy(before, k.layers, sizeof before);
    static const struct {
        const char *spec, *says;
    } bad[] = {
        {"conv1", "NAME:key=value"},
        {"conv1:bitz=4", "unknown key 'bitz'"},
        {"conv1:bits=9", "bits=9"},
        {"conv1:act-bits=16", "act-bits=16"},
        {"conv1:prune=1.5", "prune=1.5"},
        {"conv1:prune=x", "prune=x"},
        {"conv1:method=best", "method=best"},
        {"conv1:recover=all", "recover=all"},
        {":bits=4", "layer name"},
        {"conv1:", "no key=value"},
        {"conv1:bits", "key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        et_err be = {0};
        ET_CHECK_MSG(et_knobs_add_layer_spec(&k, bad[i].spec, &be) == ET_E_USAGE, "%s", bad[i].spec);
        ET_CHECK_MSG(strstr(be.msg, bad[i].says) != NULL, "%s: '%s'", bad[i].spec, be.msg);
        ET_CHECK(memcmp(before, k.layers, sizeof before) == 0);
    }
}

static void test_config_file(void) {
    char path[] = "/tmp/et_layers_XXXXXX";
    int fd = mkstemp(path);
    ET_REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# per-layer config\n\n  conv_a   bits=4  prune=0.3 # a comment\n*  act-bits=8\r\n");
    fclose(f);
    et_knobs k = et_knobs_default();
    et_err e = {0};
    ET_CHECK(et_knobs_load_layers_config(&k, path, &e) == ET_OK);
    ET_CHECK_MSG(strcmp(k.layers, "conv_a bits=4 prune=0.3\n* act-bits=8") == 0, "'%s'", k.layers);
    /* resolution: in order, later lines win for the keys they set; exact names are "named" */
    et_layer_override ov[4];
    int n = et_knobs_layer_overrides(&k, ov, 4, &e);
    ET_CHECK_INT(n, 2);
    unsigned set;
    bool named;
    et_knobs a = et_knobs_for_layer(&k, ov, n, "conv_a", &set, &named);
    ET_CHECK(a.weight_bits == 4 && a.act_bits == 8 && a.prune_ratio == 0.3f && named && a.layers[0] == '\0');
    et_knobs b = et_knobs_for_layer(&k, ov, n, "conv_b", &set, &named);
    ET_CHECK(b.weight_bits == 32 && b.act_bits == 8 && !named && set == ET_LK_ACT_BITS);
    char desc[256];
    et_knobs_layers_describe(&k, desc, sizeof desc);
    ET_CHECK_MSG(strcmp(desc, "conv_a: bits 4 (model 32), prune 0.3 (model 0); *: act-bits 8 (model 32)") == 0, "'%s'",
                 desc);

    f = fopen(path, "w");
    fprintf(f, "conv_a bits=4\nconv_b frobnicate=1\n");
    fclose(f);
    et_knobs k2 = et_knobs_default();
    ET_CHECK(et_knobs_load_layers_config(&k2, path, &e) == ET_E_USAGE);
    ET_CHECK_MSG(strstr(e.msg, ":2: unknown key 'frobnicate'") != NULL, "'%s'", e.msg);
    ET_CHECK(k2.layers[0] == '\0'); /* nothing from a file with an error */
    unlink(path);
    ET_CHECK(et_knobs_load_layers_config(&k2, path, &e) == ET_E_IO);
    ET_CHECK(strstr(e.msg, path) != NULL);
}

/* The weight layers' node indices, in node order. */
static int layer_nodes(const et_graph *g, int *idx, int max) {
    int n = 0;
    for (int i = 0; i < g->n_nodes && n < max; i++) {
        const et_node *nd = &g->nodes[i];
        if ((nd->op == ET_OP_CONV || nd->op == ET_OP_GEMM || nd->op == ET_OP_MATMUL) && nd->n_inputs > 1 &&
            g->values[nd->inputs[1]].kind == ET_VAL_CONST && g->values[nd->inputs[1]].dtype == ET_DT_F32)
            idx[n++] = i;
    }
    return n;
}

static const et_node *node_named(const et_graph *g, const char *name) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].name && strcmp(g->nodes[i].name, name) == 0 && !g->nodes[i].dead)
            return &g->nodes[i];
    return NULL;
}

static et_status derive(const et_graph *p, const et_knobs *k, const et_calib_set *cal, et_tune_options *o,
                        et_graph **out, et_tune_report *rep, et_err *err) {
    et_tune_options d = et_tune_options_default();
    d.speed_guard = false;
    return et_tune_apply_ex(p, k, cal, o ? o : &d, out, rep, err);
}

static int64_t zeros(const et_value *v) {
    int64_t z = 0, n = et_shape_numel(&v->shape);
    for (int64_t i = 0; i < n; i++) {
        float f;
        memcpy(&f, (const char *)v->data + 4 * i, 4);
        z += f == 0.0f;
    }
    return z;
}

/* Weight-only: model-wide 8 bits; one middle layer at 4 bits and pruned 50 %; only that layer differs from the
 * model-wide result, and the first layer named exactly is compressed although it is an edge. */
static void test_weight_only_named_layers(void) {
    et_model *m = tt_load("models/resnet_small.onnx");
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    int idx[256];
    int n = layer_nodes(g, idx, 256);
    ET_REQUIRE(n >= 4);
    const char *mid = g->nodes[idx[n / 2]].name, *first = g->nodes[idx[0]].name;
    et_knobs base = et_knobs_default();
    base.weight_bits = 8;
    et_knobs k = base;
    et_err e = {0};
    char spec[256];
    snprintf(spec, sizeof spec, "%s:bits=4,prune=0.5", mid);
    ET_REQUIRE(et_knobs_add_layer_spec(&k, spec, &e) == ET_OK);
    snprintf(spec, sizeof spec, "%s:bits=6", first);
    ET_REQUIRE(et_knobs_add_layer_spec(&k, spec, &e) == ET_OK);
    et_tune_report rb, rk;
    et_graph *tb = NULL, *tk = NULL;
    ET_REQUIRE(derive(g, &base, NULL, NULL, &tb, &rb, &e) == ET_OK);
    ET_REQUIRE(derive(g, &k, NULL, NULL, &tk, &rk, &e) == ET_OK);
    for (int l = 0; l < n; l++) {
        const char *name = g->nodes[idx[l]].name;
        const et_node *nb = node_named(tb, name), *nk = node_named(tk, name);
        ET_REQUIRE(nb && nk);
        const et_value *wb = &tb->values[nb->inputs[1]], *wk = &tk->values[nk->inputs[1]];
        if (l == n / 2) {
            ET_CHECK(wk->quant && wk->quant->value_bits == 4);
            int64_t ne = et_shape_numel(&wk->shape);
            ET_CHECK_MSG(zeros(wk) >= ne / 2, "%lld zeros of %lld", (long long)zeros(wk), (long long)ne);
        } else if (l == 0) {
            ET_CHECK(wb->quant == NULL);                       /* model-wide: the first layer stays fp32 */
            ET_CHECK(wk->quant && wk->quant->value_bits == 6); /* named exactly: compressed */
        } else {
            ET_CHECK_MSG(wb->nbytes == wk->nbytes && memcmp(wb->data, wk->data, wb->nbytes) == 0, "layer %s", name);
            ET_CHECK((wb->quant == NULL) == (wk->quant == NULL));
        }
    }
    ET_CHECK(rk.n_pruned_layers == 1);
    ET_CHECK_MSG(strstr(rk.notes, "per-layer overrides: 2 of") != NULL, "%s", rk.notes);
    ET_CHECK(rk.weights_deploy_bytes < rb.weights_deploy_bytes);
    et_graph_free(tb), et_graph_free(tk);

    /* a glob does not un-keep the edge layers */
    et_knobs gk = base;
    ET_REQUIRE(et_knobs_add_layer_spec(&gk, "*:bits=4", &e) == ET_OK);
    et_graph *tg = NULL;
    ET_REQUIRE(derive(g, &gk, NULL, NULL, &tg, &rk, &e) == ET_OK);
    const et_node *f0 = node_named(tg, first);
    ET_CHECK(f0 && tg->values[f0->inputs[1]].quant == NULL);
    const et_node *fm = node_named(tg, mid);
    ET_CHECK(fm && tg->values[fm->inputs[1]].quant && tg->values[fm->inputs[1]].quant->value_bits == 4);
    et_graph_free(tg);

    /* errors: a name that matches nothing, an invalid layer combination */
    et_knobs bad = base;
    ET_REQUIRE(et_knobs_add_layer_spec(&bad, "no_such_layer:bits=4", &e) == ET_OK);
    et_graph *t = NULL;
    ET_CHECK(derive(g, &bad, NULL, NULL, &t, &rk, &e) == ET_E_USAGE && !t);
    ET_CHECK_MSG(strstr(e.msg, "'no_such_layer' names no weight layer") != NULL, "%s", e.msg);
    bad = base;
    snprintf(spec, sizeof spec, "%s:act-bits=8,bits=16", mid);
    ET_REQUIRE(et_knobs_add_layer_spec(&bad, spec, &e) == ET_OK);
    ET_CHECK(derive(g, &bad, NULL, NULL, &t, &rk, &e) == ET_E_USAGE && !t);
    ET_CHECK_MSG(strstr(e.msg, mid) != NULL && strstr(e.msg, "--act-bits 8") != NULL, "%s", e.msg);
    et_model_free(m);
}

/* Mean squared difference of g's output from the pristine model's over the sets of cal. */
static double output_mse(const et_graph *pristine, const et_graph *g, const et_calib_set *cal) {
    enum { MAX = 4096 };
    static float a[MAX], b[MAX];
    double se = 0.0;
    int64_t cnt = 0;
    for (int s = 0; s < cal->n_sets; s++) {
        const et_npy *in = &cal->sets[s * cal->n_inputs];
        int64_t na = tt_run(pristine, in, false, 1, a, MAX), nb = tt_run(g, in, false, 1, b, MAX);
        if (na <= 0 || na != nb)
            return INFINITY;
        for (int64_t i = 0; i < na; i++)
            se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        cnt += na;
    }
    return se / (double)cnt;
}

/* Recovery with per-layer overrides: model-wide w4 with full recovery, one middle layer at 3 bits and pruned
 * 50 %, another channel-pruned. Each layer is recovered at its own knobs: the output is closer to the pristine
 * model's than without recovery; the middle layer is on its 3-bit grid with at least half zeros; the layers before
 * the first override (recovery goes in node order, each layer seeing the compressed layers before it) equal the
 * uniform knobs' recovery bit for bit, and those after it cannot (their inputs differ); a shared cache keeps the
 * uniform and the mixed results apart; recover= per layer equal to the model-wide one is accepted. */
static void test_recover_with_overrides(void) {
    et_model *m = tt_load("models/resnet_small.onnx");
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    int idx[256];
    int n = layer_nodes(g, idx, 256);
    ET_REQUIRE(n >= 6);
    int im = n / 2;
    const char *mid = g->nodes[idx[im]].name, *later = g->nodes[idx[im + 1]].name;
    et_calib_set cal = tt_calib(g, 8, false);
    et_knobs base = et_knobs_default();
    base.weight_bits = 4, base.recover = ET_RECOVER_FULL;
    et_knobs k = base;
    et_err e = {0};
    char spec[256];
    snprintf(spec, sizeof spec, "%s:bits=3,prune=0.5,recover=full", mid);
    ET_REQUIRE(et_knobs_add_layer_spec(&k, spec, &e) == ET_OK);
    snprintf(spec, sizeof spec, "%s:prune=0.5,method=channel", later);
    ET_REQUIRE(et_knobs_add_layer_spec(&k, spec, &e) == ET_OK);
    et_knobs kn = k;
    kn.recover = ET_RECOVER_NONE;
    memset(kn.layers, 0, sizeof kn.layers); /* the same overrides without recover= (which must equal --recover) */
    snprintf(spec, sizeof spec, "%s:bits=3,prune=0.5", mid);
    ET_REQUIRE(et_knobs_add_layer_spec(&kn, spec, &e) == ET_OK);
    snprintf(spec, sizeof spec, "%s:prune=0.5,method=channel", later);
    ET_REQUIRE(et_knobs_add_layer_spec(&kn, spec, &e) == ET_OK);
    et_tune_options o = et_tune_options_default();
    o.speed_guard = false, o.recover_threads = 1;
    o.cache = et_tune_cache_new();
    et_tune_report ru, rk, rn;
    et_graph *tu = NULL, *tk = NULL, *tn = NULL;
    ET_REQUIRE(derive(g, &base, &cal, &o, &tu, &ru, &e) == ET_OK);
    et_status sk = derive(g, &k, &cal, &o, &tk, &rk, &e);
    ET_CHECK_MSG(sk == ET_OK, "%s", e.msg);
    ET_REQUIRE(sk == ET_OK);
    ET_REQUIRE(derive(g, &kn, &cal, &o, &tn, &rn, &e) == ET_OK);
    double mse_full = output_mse(g, tk, &cal), mse_none = output_mse(g, tn, &cal);
    ET_CHECK_MSG(mse_full < mse_none, "output MSE with recovery %g, without %g", mse_full, mse_none);
    ET_CHECK(rk.n_recovered >= 3 && rn.n_recovered == 0);
    ET_CHECK_MSG(strstr(rk.notes, "recovery (full)") != NULL, "%s", rk.notes);
    const et_node *nm = node_named(tk, mid);
    ET_REQUIRE(nm);
    const et_value *wm = &tk->values[nm->inputs[1]];
    ET_CHECK(wm->quant && wm->quant->value_bits == 3);
    ET_CHECK_MSG(zeros(wm) >= et_shape_numel(&wm->shape) / 2, "%lld zeros", (long long)zeros(wm));
    int equal_before = 0, differ_after = 0;
    for (int l = 0; l < n; l++) {
        const et_node *nu = node_named(tu, g->nodes[idx[l]].name), *nk = node_named(tk, g->nodes[idx[l]].name);
        ET_REQUIRE(nu && nk);
        const et_value *wu = &tu->values[nu->inputs[1]], *wk = &tk->values[nk->inputs[1]];
        bool eq = wu->nbytes == wk->nbytes && memcmp(wu->data, wk->data, wu->nbytes) == 0;
        if (l < im) {
            ET_CHECK_MSG(eq, "layer %d (%s), before the first override, differs from the uniform recovery", l,
                         nu->name);
            equal_before += eq;
        } else if (l > im + 1 && l < n - 1) {
            differ_after += !eq;
        }
    }
    ET_CHECK(equal_before == im && differ_after > 0);
    /* the cache served neither configuration's weights to the other: uncached derivation equals cached */
    et_graph *tk0 = NULL;
    et_tune_options o0 = o;
    o0.cache = NULL;
    ET_REQUIRE(derive(g, &k, &cal, &o0, &tk0, &rk, &e) == ET_OK);
    const et_node *n0 = node_named(tk0, mid);
    ET_REQUIRE(n0);
    const et_value *w0 = &tk0->values[n0->inputs[1]];
    ET_CHECK(w0->nbytes == wm->nbytes && memcmp(w0->data, wm->data, wm->nbytes) == 0);
    et_graph *tk1 = NULL; /* again from the cache */
    ET_REQUIRE(derive(g, &k, &cal, &o, &tk1, &rk, &e) == ET_OK);
    ET_CHECK(rk.recover_cached);
    const et_node *n1 = node_named(tk1, mid);
    ET_REQUIRE(n1);
    ET_CHECK(memcmp(tk1->values[n1->inputs[1]].data, wm->data, wm->nbytes) == 0);
    et_graph_free(tu), et_graph_free(tk), et_graph_free(tn), et_graph_free(tk0), et_graph_free(tk1);
    et_tune_cache_free(o.cache);
    tt_calib_free(&cal);
    et_model_free(m);
}

/* int8: model-wide w8 a8; one layer at 4 bits keeps int8 activations with 4-bit weights, one layer at act-bits 32
 * stays float (weight-only 8-bit); a shared tune cache never hands one configuration's results to the other. */
static void test_int8_mixed_and_cache(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    int idx[256];
    int n = layer_nodes(g, idx, 256);
    ET_REQUIRE(n >= 6);
    const char *a = g->nodes[idx[2]].name, *b = g->nodes[idx[4]].name;
    et_calib_set cal = tt_calib(g, 2, false);
    et_knobs base = et_knobs_default();
    base.weight_bits = 8, base.act_bits = 8, base.force_int8 = true;
    et_knobs k = base;
    et_err e = {0};
    char spec[256];
    snprintf(spec, sizeof spec, "%s:bits=4", a);
    ET_REQUIRE(et_knobs_add_layer_spec(&k, spec, &e) == ET_OK);
    snprintf(spec, sizeof spec, "%s:act-bits=32", b);
    ET_REQUIRE(et_knobs_add_layer_spec(&k, spec, &e) == ET_OK);
    et_tune_options o = et_tune_options_default();
    o.cache = et_tune_cache_new();
    et_tune_report rep;
    et_graph *tb = NULL, *tk = NULL, *tk0 = NULL;
    ET_REQUIRE(derive(g, &base, &cal, &o, &tb, &rep, &e) == ET_OK);
    ET_REQUIRE(derive(g, &k, &cal, &o, &tk, &rep, &e) == ET_OK);
    ET_REQUIRE(derive(g, &k, &cal, NULL, &tk0, &rep, &e) == ET_OK); /* no cache */
    int n_q4 = 0, n_q8 = 0, b_float = 0;
    for (int i = 0; i < tk->n_nodes; i++) {
        const et_node *nd = &tk->nodes[i];
        if (nd->dead)
            continue;
        if ((nd->op == ET_OP_QCONV || nd->op == ET_OP_QGEMM) && tk->values[nd->inputs[1]].quant) {
            int bits = tk->values[nd->inputs[1]].quant->value_bits;
            ET_CHECK_MSG(bits == (strcmp(nd->name, a) == 0 ? 4 : 8), "%s: %d bits", nd->name, bits);
            n_q4 += bits == 4, n_q8 += bits == 8;
        }
        if (strcmp(nd->name, b) == 0 && nd->op == ET_OP_CONV) {
            const et_value *w = &tk->values[nd->inputs[1]];
            b_float = w->quant && w->quant->value_bits == 8; /* float kernels, weights on the 8-bit grid */
        }
    }
    ET_CHECK_INT(n_q4, 1);
    ET_CHECK(n_q8 >= 2);
    ET_CHECK(b_float);
    /* the cached and uncached derivations agree and differ from the model-wide one */
    ET_CHECK_INT(tk->n_nodes, tk0->n_nodes);
    int same = 0, differ = 0;
    for (int i = 0; i < tk->n_nodes && i < tk0->n_nodes; i++)
        for (int j = 0; j < tk->nodes[i].n_inputs; j++) {
            int v = tk->nodes[i].inputs[j], v0 = tk0->nodes[i].inputs[j];
            if (v < 0 || tk->values[v].kind != ET_VAL_CONST)
                continue;
            bool eq = tk->values[v].nbytes == tk0->values[v0].nbytes &&
                      memcmp(tk->values[v].data, tk0->values[v0].data, tk->values[v].nbytes) == 0;
            same += eq, differ += !eq;
        }
    ET_CHECK_MSG(differ == 0 && same > 0, "%d constants differ", differ);
    int q4_base = 0;
    for (int i = 0; i < tb->n_nodes; i++)
        if ((tb->nodes[i].op == ET_OP_QCONV || tb->nodes[i].op == ET_OP_QGEMM) &&
            tb->values[tb->nodes[i].inputs[1]].quant)
            q4_base += tb->values[tb->nodes[i].inputs[1]].quant->value_bits == 4;
    ET_CHECK_INT(q4_base, 0);
    ET_CHECK(et_tune_layers_hash(&k) != 0 && et_tune_layers_hash(&base) == 0);
    et_graph_free(tb), et_graph_free(tk), et_graph_free(tk0);
    et_tune_cache_free(o.cache);
    tt_calib_free(&cal);
    et_model_free(m);
}

/* The layers view's edit: a layer's own line replaced in place of the old one and moved last (so it wins over a
 * glob), removed when it sets nothing, other lines kept in order; too many lines refused with k unchanged. */
static void test_set_layer(void) {
    et_knobs k = et_knobs_default();
    et_err e = {0};
    ET_CHECK(et_knobs_add_layer_spec(&k, "conv1:bits=4", &e) == ET_OK);
    ET_CHECK(et_knobs_add_layer_spec(&k, "*:act-bits=8", &e) == ET_OK);
    et_layer_override o = {.pattern = "conv1", .set = ET_LK_BITS | ET_LK_PRUNE, .weight_bits = 6, .prune_ratio = 0.25f};
    ET_CHECK(et_knobs_set_layer(&k, &o, &e) == ET_OK);
    ET_CHECK_MSG(strcmp(k.layers, "* act-bits=8\nconv1 bits=6 prune=0.25") == 0, "'%s'", k.layers);
    et_layer_override c2 = {.pattern = "conv2", .set = ET_LK_METHOD, .prune_method = ET_PRUNE_CHANNEL};
    ET_CHECK(et_knobs_set_layer(&k, &c2, &e) == ET_OK);
    ET_CHECK_MSG(strcmp(k.layers, "* act-bits=8\nconv1 bits=6 prune=0.25\nconv2 method=channel") == 0, "'%s'",
                 k.layers);
    o.set = 0; /* conv1 back to the model-wide knobs */
    ET_CHECK(et_knobs_set_layer(&k, &o, &e) == ET_OK);
    ET_CHECK_MSG(strcmp(k.layers, "* act-bits=8\nconv2 method=channel") == 0, "'%s'", k.layers);
    c2.set = 0;
    ET_CHECK(et_knobs_set_layer(&k, &c2, &e) == ET_OK);
    et_layer_override glob = {.pattern = "*", .set = 0};
    ET_CHECK(et_knobs_set_layer(&k, &glob, &e) == ET_OK);
    ET_CHECK_MSG(k.layers[0] == '\0', "'%s'", k.layers);
    /* full: one line too many, refused naming the layer, nothing changed */
    for (int i = 0; i < ET_MAX_LAYER_OVERRIDES; i++) {
        et_layer_override l = {.set = ET_LK_BITS, .weight_bits = 4};
        snprintf(l.pattern, sizeof l.pattern, "l%d", i);
        ET_CHECK(et_knobs_set_layer(&k, &l, &e) == ET_OK);
    }
    char before[ET_KNOBS_LAYERS_BYTES];
    memcpy(before, k.layers, sizeof before);
    et_layer_override extra = {.pattern = "extra", .set = ET_LK_BITS, .weight_bits = 4};
    ET_CHECK(et_knobs_set_layer(&k, &extra, &e) == ET_E_USAGE);
    ET_CHECK_MSG(strstr(e.msg, "layer 'extra'") != NULL, "'%s'", e.msg);
    ET_CHECK(memcmp(before, k.layers, sizeof before) == 0);
    et_layer_override l0 = {.pattern = "l0", .set = ET_LK_BITS, .weight_bits = 3}; /* replacing one still fits */
    ET_CHECK(et_knobs_set_layer(&k, &l0, &e) == ET_OK);
}

/* Per-layer recovery methods: model-wide w4 without recovery, the first compressed layer (the first weight layer
 * stays fp32) with recover=full. That layer is recovered exactly as the model-wide --recover full recovers it
 * (its inputs come from the same fp32 layer: bit for bit), every other layer is rounded exactly as without
 * recovery, and the model measures differently from all none (closer to fp32 here); recover=bias on it
 * compensates the bias only (weights as without recovery, bias changed). */
static void test_recover_per_layer(void) {
    et_model *m = tt_load("models/resnet_small.onnx");
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    int idx[256];
    int n = layer_nodes(g, idx, 256);
    ET_REQUIRE(n >= 4);
    const char *first = g->nodes[idx[1]].name;
    et_calib_set cal = tt_calib(g, 8, false);
    et_knobs none = et_knobs_default();
    none.weight_bits = 4;
    et_knobs full = none, one = none, bias = none;
    full.recover = ET_RECOVER_FULL;
    et_err e = {0};
    char spec[256];
    snprintf(spec, sizeof spec, "%s:recover=full", first);
    ET_REQUIRE(et_knobs_add_layer_spec(&one, spec, &e) == ET_OK);
    snprintf(spec, sizeof spec, "%s:recover=bias", first);
    ET_REQUIRE(et_knobs_add_layer_spec(&bias, spec, &e) == ET_OK);
    et_tune_options o = et_tune_options_default();
    o.speed_guard = false, o.recover_threads = 1;
    et_tune_report rn, rf, r1, rb;
    et_graph *tn = NULL, *tf = NULL, *t1 = NULL, *tb = NULL;
    ET_REQUIRE(derive(g, &none, &cal, &o, &tn, &rn, &e) == ET_OK);
    ET_REQUIRE(derive(g, &full, &cal, &o, &tf, &rf, &e) == ET_OK);
    et_status s1 = derive(g, &one, &cal, &o, &t1, &r1, &e);
    ET_CHECK_MSG(s1 == ET_OK, "%s", e.msg);
    ET_REQUIRE(s1 == ET_OK);
    ET_REQUIRE(derive(g, &bias, &cal, &o, &tb, &rb, &e) == ET_OK);
    ET_CHECK_INT(rn.n_recovered, 0);
    ET_CHECK_INT(r1.n_recovered, 1);
    ET_CHECK(rf.n_recovered > 1);
    ET_CHECK_MSG(strstr(r1.notes, "recovery (per layer): 1 layer compensated") != NULL, "%s", r1.notes);
    int same_as_full = 0, same_as_none = 0, others = 0;
    for (int l = 1; l < n; l++) {
        const char *name = g->nodes[idx[l]].name;
        const et_node *nn = node_named(tn, name), *nf = node_named(tf, name), *n1 = node_named(t1, name);
        ET_REQUIRE(nn && nf && n1);
        const et_value *wn = &tn->values[nn->inputs[1]], *wf = &tf->values[nf->inputs[1]],
                       *w1 = &t1->values[n1->inputs[1]];
        bool eq_full = w1->nbytes == wf->nbytes && memcmp(w1->data, wf->data, w1->nbytes) == 0;
        bool eq_none = w1->nbytes == wn->nbytes && memcmp(w1->data, wn->data, w1->nbytes) == 0;
        if (l == 1) {
            ET_CHECK_MSG(eq_full && !eq_none, "%s: recover=full %s the model-wide full, %s no recovery", name,
                         eq_full ? "equals" : "differs from", eq_none ? "equals" : "differs from");
            same_as_full += eq_full;
        } else {
            ET_CHECK_MSG(eq_none, "%s (recover none) differs from the model without recovery", name);
            same_as_none += eq_none, others++;
        }
    }
    ET_CHECK(same_as_full == 1 && same_as_none == others && others > 0);
    double mse_none = output_mse(g, tn, &cal), mse_one = output_mse(g, t1, &cal);
    ET_CHECK_MSG(mse_one != mse_none, "output MSE %g with the layer recovered, %g without", mse_one, mse_none);
    /* recover=bias: the same rounded weights as without recovery, the bias corrected */
    const et_node *nb = node_named(tb, first), *nn = node_named(tn, first);
    ET_REQUIRE(nb && nn);
    const et_value *wb = &tb->values[nb->inputs[1]], *wn = &tn->values[nn->inputs[1]];
    ET_CHECK(wb->nbytes == wn->nbytes && memcmp(wb->data, wn->data, wb->nbytes) == 0);
    ET_CHECK_INT(rb.n_recovered, 1);
    et_graph_free(tn), et_graph_free(tf), et_graph_free(t1), et_graph_free(tb);
    tt_calib_free(&cal);
    et_model_free(m);
}

/* Channel groups (et_tune_channel_groups): fmnist_resnet's residual group of layer 2 (the downsample and the
 * second convolution) is one group, its first convolution another, the first layer and the classifier none; and
 * the groups are what tune does: channel pruning of both layers of a group leaves the same weights as of one. */
static int64_t params_with(const et_graph *g, const char *a, const char *b) {
    et_knobs k = et_knobs_default();
    et_err e = {0};
    char spec[256];
    snprintf(spec, sizeof spec, "%s:prune=0.25,method=channel", a);
    et_status st = et_knobs_add_layer_spec(&k, spec, &e);
    if (st == ET_OK && b) {
        snprintf(spec, sizeof spec, "%s:prune=0.25,method=channel", b);
        st = et_knobs_add_layer_spec(&k, spec, &e);
    }
    et_graph *t = NULL;
    et_tune_report rep = {0};
    if (st == ET_OK)
        st = derive(g, &k, NULL, NULL, &t, &rep, &e);
    ET_CHECK_MSG(st == ET_OK, "%s", e.msg);
    et_graph_free(t);
    return st == ET_OK ? rep.params_after : -1;
}

static void test_channel_groups(void) {
    et_model *m = tt_load("models/fmnist_resnet.onnx");
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    const char *names[64];
    int group[64], n = et_tune_weight_layer_names(g, names, 64);
    et_knobs k = et_knobs_default();
    ET_CHECK(et_tune_channel_groups(g, &k, group, 64, NULL) == n);
    int down = -1, conv1 = -1, conv2 = -1;
    for (int l = 0; l < n; l++) {
        down = strcmp(names[l], "/layer2/down/down.0/Conv") == 0 ? l : down;
        conv1 = strcmp(names[l], "/layer2/conv1/Conv") == 0 ? l : conv1;
        conv2 = strcmp(names[l], "/layer2/conv2/Conv") == 0 ? l : conv2;
    }
    ET_REQUIRE(down >= 0 && conv1 >= 0 && conv2 >= 0);
    ET_CHECK_MSG(group[down] >= 0 && group[down] == group[conv2], "%d %d", group[down], group[conv2]);
    ET_CHECK(group[conv1] >= 0 && group[conv1] != group[down]);
    ET_CHECK_MSG(group[0] == -1 && group[n - 1] == -1, "first %d, last %d", group[0], group[n - 1]);
    int64_t one = params_with(g, names[down], NULL), both = params_with(g, names[down], names[conv2]);
    int64_t other = params_with(g, names[down], names[conv1]);
    ET_CHECK_MSG(one == both, "one layer of the group %lld, both %lld", (long long)one, (long long)both);
    ET_CHECK_MSG(other < one, "another group too %lld, one %lld", (long long)other, (long long)one);
    et_model_free(m);
}


/* The calibration ranges' key without recovery (et_tune_layers_prune_hash): a layer's bits or act-bits alone leave
 * it as without overrides (the ranges measured for the base are taken), its pruning keys change it. */
static unsigned long long prune_hash_of(const char *spec1, const char *spec2) {
    et_knobs k = et_knobs_default();
    et_err e = {0};
    if (spec1)
        ET_CHECK(et_knobs_add_layer_spec(&k, spec1, &e) == ET_OK);
    if (spec2)
        ET_CHECK(et_knobs_add_layer_spec(&k, spec2, &e) == ET_OK);
    return et_tune_layers_prune_hash(&k);
}

static void test_prune_hash(void) {
    unsigned long long none = prune_hash_of(NULL, NULL), pa = prune_hash_of("a:prune=0.5", NULL);
    ET_CHECK(none == 0);
    ET_CHECK(prune_hash_of("a:bits=4", NULL) == 0 && prune_hash_of("a:bits=4", "b:act-bits=32") == 0);
    ET_CHECK(pa != 0 && prune_hash_of("a:bits=4,prune=0.5", NULL) == pa);
    ET_CHECK(prune_hash_of("a:prune=0.5", "b:bits=2") == pa);
    ET_CHECK(prune_hash_of("b:prune=0.5", NULL) != pa && prune_hash_of("a:prune=0.25", NULL) != pa);
    ET_CHECK(prune_hash_of("a:prune=0.5,method=channel", NULL) != pa);
}

/* Both hashes key caches (the speed guard's, recovery's, calibration's): their values must not move when their code
 * does. The expected values are FNV-1a 64 computed apart (Python) over the same text, line by line as
 * et_tune_layers_prune_hash reads it: each pruned line's name, its prune=/method= tokens each with a space, "\n". */
static void test_hash_values(void) {
    et_knobs k = et_knobs_default();
    snprintf(k.layers, sizeof k.layers, "%s",
             "/conv1 bits=4\n/conv2 prune=0.5 method=channel act-bits=32\n/fc prune=0.25");
    ET_CHECK(et_tune_layers_hash(&k) == 625259821605024159ULL);
    ET_CHECK(et_tune_layers_prune_hash(&k) == 3855020676635302071ULL);
}

int main(void) {
    ET_RUN(test_parse_spec_and_canonical);
    ET_RUN(test_config_file);
    ET_RUN(test_set_layer);
    ET_RUN(test_weight_only_named_layers);
    ET_RUN(test_int8_mixed_and_cache);
    ET_RUN(test_recover_with_overrides);
    ET_RUN(test_recover_per_layer);
    ET_RUN(test_channel_groups);
    ET_RUN(test_prune_hash);
    ET_RUN(test_hash_values);
    return et_test_done();
}
