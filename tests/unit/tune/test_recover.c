/* test_recover.c: recovery end to end on the fixture models (recover.c and what it builds on):
 *   - the Hessian of a layer's inputs against a naive im2col in double, for every kind of weight layer
 *   - the calibration walk hands each layer the inputs the whole model computes
 *   - `full` leaves every compensated layer with less reconstruction error than round to nearest / magnitude
 *     pruning (unstructured, N:M, channel, with and without rounding)
 *   - bias correction zeroes each corrected layer's mean output error on the calibration data
 *   - results are deterministic (1 or 2 threads, cached or not), progress is reported, cancel stops it
 *   - bad calibration data gets one clear error; too few samples fall back to rounding and say so */
#include <math.h>

#include "engine/threadpool.h"
#include "tune/calib_walk.h"
#include "tune/hessian.h"
#include "tune_test.h"

/* ---- the Hessian against a naive im2col ---------------------------------------------------------------- */

/* Input feature f of output position p of group gi: the input value it reads (0 in padding). 2-D only. */
static double naive_feature(const et_graph *g, const et_node *n, const float *x, int64_t gi, int64_t f, int64_t p) {
    const et_value *xv = &g->values[n->inputs[0]], *wv = &g->values[n->inputs[1]];
    if (n->op != ET_OP_CONV)
        return x[p * wv->shape.dim[et_node_attr_int(n, "transB", 0) ? 1 : 0] + f];
    int64_t cg = wv->shape.dim[1], kh = wv->shape.dim[2], kw = wv->shape.dim[3];
    int64_t H = xv->shape.dim[2], W = xv->shape.dim[3];
    const et_value *yv = &g->values[n->outputs[0]];
    int64_t OW = yv->shape.dim[3];
    int cnt = 0;
    const int64_t *st = et_node_attr_ints(n, "strides", &cnt), *pd = et_node_attr_ints(n, "pads", &cnt);
    const int64_t *dl = et_node_attr_ints(n, "dilations", &cnt);
    int64_t sh = st ? st[0] : 1, sw = st ? st[1] : 1, ph = pd ? pd[0] : 0, pw = pd ? pd[1] : 0;
    int64_t dh = dl ? dl[0] : 1, dw = dl ? dl[1] : 1;
    int64_t ci = f / (kh * kw), ky = (f / kw) % kh, kx = f % kw;
    int64_t oy = p / OW, ox = p % OW;
    int64_t iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
        return 0.0;
    return x[((gi * cg + ci) * H + iy) * W + ix];
}

static void check_hessian(const char *model, int max_layers) {
    et_model *m = tt_load(model);
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    int checked = 0;
    for (int i = 0; i < g->n_nodes && checked < max_layers; i++) {
        const et_node *n = &g->nodes[i];
        if (n->op != ET_OP_CONV && n->op != ET_OP_GEMM)
            continue;
        if (n->op == ET_OP_CONV && g->values[n->inputs[1]].shape.rank != 4)
            continue;
        et_hess hs;
        if (et_hess_init(&hs, g, i, false, &err) != ET_OK)
            continue;
        const et_value *xv = &g->values[n->inputs[0]];
        int64_t numel = et_shape_numel(&xv->shape);
        float *x = malloc((size_t)numel * sizeof *x);
        for (int64_t e = 0; e < numel; e++)
            x[e] = (float)((e * 2654435761u) % 997) / 498.0f - 1.0f;
        ET_REQUIRE(et_hess_add(&hs, x, checked % 2 ? pool : NULL, &err) == ET_OK);
        ET_REQUIRE(et_hess_add(&hs, x, checked % 2 ? NULL : pool, &err) == ET_OK); /* twice: accumulates */
        et_hess_finish(&hs);
        int64_t P = n->op == ET_OP_CONV
                        ? et_shape_numel(&g->values[n->outputs[0]].shape) / g->values[n->outputs[0]].shape.dim[1]
                        : numel / hs.d;
        ET_CHECK_INT(hs.rows, 2 * P);
        double worst = 0, scale = 0;
        for (int64_t gi = 0; gi < hs.groups; gi++)
            for (int64_t a = 0; a < hs.d; a++) {
                double sa = 0;
                for (int64_t p = 0; p < P; p++)
                    sa += naive_feature(g, n, x, gi, a, p);
                ET_CHECK(fabs(hs.sum[gi * hs.d + a] - 2 * sa) <= 1e-4 * (1 + fabs(sa)));
                for (int64_t b = a; b < hs.d; b += 1 + hs.d / 7) { /* a sample of the entries */
                    double s = 0;
                    for (int64_t p = 0; p < P; p++)
                        s += naive_feature(g, n, x, gi, a, p) * naive_feature(g, n, x, gi, b, p);
                    double h = hs.h[(gi * hs.d + a) * hs.d + b];
                    worst = fmax(worst, fabs(h - 2 * s));
                    scale = fmax(scale, fabs(2 * s));
                    ET_CHECK(h == hs.h[(gi * hs.d + b) * hs.d + a]); /* symmetric */
                }
            }
        ET_CHECK_MSG(worst <= 1e-5 * scale, "%s: H off by %.3g (largest %.3g)", n->name, worst, scale);
        free(x);
        et_hess_free(&hs);
        checked++;
    }
    ET_CHECK(checked > 0);
    et_threadpool_destroy(pool);
    et_model_free(m);
}

/* The reference terms of a grouped layer (cross = sum (W_ref x_ref) x^T per group, y2 = sum |W_ref x_ref|^2): the
 * narrow groups' direct path (hessian.c) against a naive sum. */
static void check_cross_grouped(const char *model) {
    et_model *m = tt_load(model);
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    et_err err = {0};
    int checked = 0;
    for (int i = 0; i < g->n_nodes && !checked; i++) {
        const et_node *n = &g->nodes[i];
        if (n->op != ET_OP_CONV || et_node_attr_int(n, "group", 1) < 2)
            continue;
        et_hess hs;
        ET_REQUIRE(et_hess_init(&hs, g, i, false, &err) == ET_OK);
        const et_value *xv = &g->values[n->inputs[0]], *wv = &g->values[n->inputs[1]];
        int64_t numel = et_shape_numel(&xv->shape), rows_g = wv->shape.dim[0] / hs.groups;
        int64_t n_w = et_shape_numel(&wv->shape);
        float *w = malloc((size_t)n_w * sizeof *w); /* aligned, as recovery's copy is (model data may not be) */
        float *x = malloc((size_t)numel * sizeof *x), *xr = malloc((size_t)numel * sizeof *xr);
        ET_REQUIRE(w && x && xr);
        memcpy(w, wv->data, (size_t)n_w * sizeof *w);
        for (int64_t e = 0; e < numel; e++) {
            x[e] = (float)((e * 2654435761u) % 997) / 498.0f - 1.0f;
            xr[e] = x[e] + (float)((e * 40503u) % 101) / 500.0f;
        }
        ET_REQUIRE(et_hess_set_reference(&hs, w, rows_g, &err) == ET_OK);
        ET_REQUIRE(et_hess_add_pair(&hs, x, xr, NULL, &err) == ET_OK);
        int64_t P = et_shape_numel(&g->values[n->outputs[0]].shape) / g->values[n->outputs[0]].shape.dim[1];
        double worst = 0, scale = 0, worst_y2 = 0;
        for (int64_t gi = 0; gi < hs.groups; gi += 1 + hs.groups / 5) {
            double y2 = 0;
            for (int64_t r = 0; r < rows_g; r++) {
                double *cr = calloc((size_t)hs.d, sizeof *cr);
                for (int64_t p = 0; p < P; p++) {
                    double y = 0;
                    for (int64_t f = 0; f < hs.d; f++)
                        y += w[(gi * rows_g + r) * hs.d + f] * naive_feature(g, n, xr, gi, f, p);
                    y2 += y * y;
                    for (int64_t f = 0; f < hs.d; f++)
                        cr[f] += y * naive_feature(g, n, x, gi, f, p);
                }
                for (int64_t f = 0; f < hs.d; f++) {
                    worst = fmax(worst, fabs(hs.cross[(gi * rows_g + r) * hs.d + f] - cr[f]));
                    scale = fmax(scale, fabs(cr[f]));
                }
                free(cr);
            }
            worst_y2 = fmax(worst_y2, fabs(hs.y2[gi] - y2) / (y2 > 0 ? y2 : 1));
        }
        ET_CHECK_MSG(worst <= 1e-5 * scale && worst_y2 <= 1e-5, "%s: cross off by %.3g (largest %.3g), y2 by %.3g",
                     n->name, worst, scale, worst_y2);
        et_hess_free(&hs);
        free(w), free(x), free(xr);
        checked++;
    }
    ET_CHECK(checked > 0);
    et_model_free(m);
}

static void test_hessian(void) {
    check_hessian("models/mobilenetv2_small.onnx", 8); /* strided 3x3, depthwise, 1x1 */
    check_hessian("models/resnet_small.onnx", 6);
    check_hessian("models/digits.onnx", 3); /* padded 3x3, Gemm */
    check_cross_grouped("models/mobilenetv2_small.onnx");
}

/* ---- the walk sees what the model computes ------------------------------------------------------------ */

static et_status keep_first(void *ctx, int set, const et_tensor *const *vals, et_err *err) {
    (void)err;
    float **out = ctx;
    int64_t n = et_shape_numel(&vals[0]->shape);
    out[set] = malloc((size_t)n * sizeof(float));
    memcpy(out[set], vals[0]->data, (size_t)n * sizeof(float));
    return ET_OK;
}

static void test_walk(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    const et_graph *g = m->graph;
    et_calib_set cs = tt_calib(g, 3, false);
    et_err err = {0};
    /* nothing held (every segment from the inputs), everything held, and held boundaries dropped now and then
     * (a cap lowered under them) */
    for (int cap = 0; cap < 3; cap++) {
        et_calib_walk *w = NULL;
        ET_REQUIRE(et_calib_walk_new(g, &cs, 2, cap ? (int64_t)1 << 30 : 0, &w, &err) == ET_OK);
        int seen = 0;
        for (int i = 0; i < g->n_nodes; i++) {
            const et_node *n = &g->nodes[i];
            if (n->op != ET_OP_CONV && n->op != ET_OP_GEMM)
                continue;
            if (cap == 2 && seen % 3 == 1) {
                ET_CHECK(et_calib_walk_held_bytes(w) > 0);
                et_calib_walk_set_cap(w, et_calib_walk_held_bytes(w) - 1);
                ET_CHECK(et_calib_walk_held_bytes(w) == 0);
                et_calib_walk_set_cap(w, (int64_t)1 << 30);
            }
            int x = n->inputs[0];
            float *got[3] = {0};
            ET_REQUIRE(et_calib_walk_to(w, g, i, &x, 1, keep_first, got, NULL, &err) == ET_OK);
            if (seen++ % 7 == 0) { /* against the model with that value as its output */
                et_graph *cg = et_graph_clone(g);
                cg->outputs[0] = x;
                et_graph_count_uses(cg);
                int64_t numel = et_shape_numel(&g->values[x].shape);
                float *want = malloc((size_t)numel * sizeof *want);
                for (int s = 0; s < 3; s++) {
                    ET_REQUIRE(tt_run(cg, &cs.sets[s], true, 1, want, numel) == numel);
                    double worst = 0;
                    for (int64_t e = 0; e < numel; e++)
                        worst = fmax(worst, fabs(want[e] - got[s][e]));
                    ET_CHECK_MSG(worst <= 1e-4, "%s set %d: %.3g", n->name, s, worst);
                }
                free(want);
                et_graph_free(cg);
            }
            for (int s = 0; s < 3; s++)
                free(got[s]);
        }
        ET_CHECK(seen > 10);
        if (cap)
            ET_CHECK(et_calib_walk_peak_bytes(w) > 0);
        else
            ET_CHECK(et_calib_walk_peak_bytes(w) == 0);
        et_calib_walk_free(w);
    }
    tt_calib_free(&cs);
    et_model_free(m);
}

/* ---- full below none, layer by layer ------------------------------------------------------------------ */

static et_knobs knobs_of(int bits, float prune, et_prune_method pm, et_recover r) {
    et_knobs k = et_knobs_default();
    k.weight_bits = bits;
    k.prune_ratio = prune;
    k.prune_method = pm;
    k.recover = r;
    k.quantize_all = true;
    return k;
}

static void check_full_below_none(const char *model, int n_sets) {
    et_model *m = tt_load(model);
    ET_REQUIRE(m);
    et_calib_set cs = tt_calib(m->graph, n_sets, false);
    struct {
        int bits;
        float prune;
        et_prune_method pm;
    } cfgs[] = {{4, 0, ET_PRUNE_UNSTRUCTURED}, {3, 0, ET_PRUNE_UNSTRUCTURED},    {32, 0.5f, ET_PRUNE_UNSTRUCTURED},
                {32, 0.5f, ET_PRUNE_NM},       {4, 0.5f, ET_PRUNE_UNSTRUCTURED}, {32, 0.5f, ET_PRUNE_CHANNEL},
                {4, 0.5f, ET_PRUNE_CHANNEL}};
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
        /* under qemu one configuration per solver (GPTQ, SparseGPT N:M, channel refit): the aarch64 kernels are
         * what is new there, and all seven take over ten minutes */
        if (et_test_emulated() && i != 0 && i != 3 && i != 5)
            continue;
        et_knobs k = knobs_of(cfgs[i].bits, cfgs[i].prune, cfgs[i].pm, ET_RECOVER_FULL);
        et_tune_report rep;
        et_graph *t = NULL;
        et_err err = {0};
        ET_REQUIRE(et_tune_apply(m->graph, &k, &cs, &t, &rep, &err) == ET_OK);
        ET_CHECK_MSG(rep.n_layer_errs > 0, "%s config %zu: no layer compensated", model, i);
        int better = 0;
        for (int l = 0; l < rep.n_layer_errs; l++) {
            const et_tune_layer_err *e = &rep.layer_err[l];
            if (e->fallback[0]) { /* only where there are fewer calibration rows than weights per row */
                ET_CHECK_MSG(strstr(e->fallback, "samples for"), "%s: %s", e->name, e->fallback);
                continue;
            }
            better++;
            ET_CHECK_MSG(e->after < e->before || (e->before == 0 && e->after == 0),
                         "%s config %zu, %s: error %.4g with recovery, %.4g without", model, i, e->name, e->after,
                         e->before);
        }
        ET_CHECK_MSG(2 * better >= rep.n_layer_errs, "%s config %zu: %d of %d layers fell back", model, i,
                     rep.n_layer_errs - better, rep.n_layer_errs);
        /* the tuned model runs */
        float out[64];
        ET_CHECK(tt_run(t, &cs.sets[0], true, 1, out, 64) > 0);
        et_graph_free(t);
    }
    tt_calib_free(&cs);
    et_model_free(m);
}

static void test_full_below_none(void) {
    if (!et_test_emulated()) /* 24 calibration sets: the slowest model under qemu; the other two cover its kernels */
        check_full_below_none("models/digits.onnx", 24);
    check_full_below_none("models/mobilenetv2_small.onnx", 8); /* its 3x3 layers at 3x3 pixels fall back */
    check_full_below_none("models/resnet_small.onnx", 8);
}

/* ---- unstructured pruning before full recovery: shared out over the layers ------------------------------ */

/* Zeros and weights of t's weight layers (Conv/Gemm with a constant second input), the depthwise ones apart;
 * each layer's zero fraction into frac (at most max). Returns the layer count. */
static int zero_counts(const et_graph *t, int64_t *zeros, int64_t *total, double *frac, bool *dw, int max) {
    int n = 0;
    *zeros = *total = 0;
    for (int i = 0; i < t->n_nodes && n < max; i++) {
        const et_node *nd = &t->nodes[i];
        if ((nd->op != ET_OP_CONV && nd->op != ET_OP_GEMM) || nd->n_inputs < 2 ||
            t->values[nd->inputs[1]].kind != ET_VAL_CONST)
            continue;
        const et_value *w = &t->values[nd->inputs[1]];
        int64_t cnt = et_shape_numel(&w->shape), z = 0;
        for (int64_t j = 0; j < cnt; j++) { /* kept layers' data is the model file's, maybe unaligned */
            float v;
            memcpy(&v, (const char *)w->data + j * (int64_t)sizeof v, sizeof v);
            z += v == 0.0f;
        }
        *zeros += z, *total += cnt;
        frac[n] = (double)z / (double)cnt;
        dw[n++] = nd->op == ET_OP_CONV && et_node_attr_int(nd, "group", 1) > 1;
    }
    return n;
}

static void test_prune_alloc(void) {
    if (et_test_emulated()) /* nothing architecture-specific: prune_alloc.c is scalar bookkeeping */
        return;
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cs = tt_calib(m->graph, 4, false);
    et_knobs k = knobs_of(32, 0.5f, ET_PRUNE_UNSTRUCTURED, ET_RECOVER_FULL);
    for (int uniform = 0; uniform <= 1; uniform++) {
        et_tune_options o = et_tune_options_default();
        o.recover_prune_alloc = !uniform;
        et_tune_report rep;
        et_graph *t = NULL;
        et_err err = {0};
        ET_REQUIRE(et_tune_apply_ex(m->graph, &k, &cs, &o, &t, &rep, &err) == ET_OK);
        double frac[64];
        bool dw[64];
        int64_t zeros, total;
        int n = zero_counts(t, &zeros, &total, frac, dw, 64);
        ET_REQUIRE(n > 4);
        /* the overall sparsity is the knob's whatever the allocation (1 weight per layer of rounding) */
        ET_CHECK_MSG(llabs(zeros - total / 2) <= n, "uniform %d: %lld of %lld weights zero", uniform, (long long)zeros,
                     (long long)total);
        double dw_max = 0, other_max = 0;
        for (int l = 0; l < n; l++) {
            if (dw[l])
                dw_max = frac[l] > dw_max ? frac[l] : dw_max;
            else
                other_max = frac[l] > other_max ? frac[l] : other_max;
            if (uniform)
                ET_CHECK_MSG(fabs(frac[l] - 0.5) < 0.02, "uniform: layer %d at %.3f", l, frac[l]);
        }
        if (!uniform) { /* ERK: the depthwise filters keep more, the big layers lose more */
            ET_CHECK_MSG(dw_max < 0.45 && other_max > 0.55, "depthwise at most %.3f, others up to %.3f", dw_max,
                         other_max);
            ET_CHECK(strstr(rep.notes, "Erdos-Renyi-kernel allocation") != NULL);
        }
        et_graph_free(t);
    }
    tt_calib_free(&cs);
    et_model_free(m);
}

/* ---- bias correction zeroes the mean output error ----------------------------------------------------- */

/* Layer `name` of tuned graph t against the same layer of the pristine model, each on its own model's inputs
 * and before the activation (what bias correction aims at: the pristine model's outputs): the largest |mean
 * error| of an output channel over the calibration sets, relative to the output's RMS. */
static double mean_error(const et_graph *pristine, const et_graph *t, const char *name, const et_calib_set *cs) {
    int ti = -1, pi = -1;
    for (int i = 0; i < t->n_nodes; i++)
        if (strcmp(t->nodes[i].name, name) == 0)
            ti = i;
    for (int i = 0; i < pristine->n_nodes; i++)
        if (strcmp(pristine->nodes[i].name, name) == 0)
            pi = i;
    if (ti < 0 || pi < 0)
        return INFINITY;
    et_graph *a = et_graph_clone(t), *b = et_graph_clone(pristine);
    a->nodes[ti].act.kind = ET_ACT_NONE;
    b->nodes[pi].act.kind = ET_ACT_NONE;
    a->outputs[0] = t->nodes[ti].outputs[0];
    b->outputs[0] = pristine->nodes[pi].outputs[0];
    et_graph_count_uses(a);
    et_graph_count_uses(b);
    const et_value *yv = &t->values[a->outputs[0]];
    int64_t numel = et_shape_numel(&yv->shape), C = yv->shape.dim[1], per = numel / C;
    float *ya = malloc((size_t)numel * sizeof *ya), *yb = malloc((size_t)numel * sizeof *yb);
    double *diff = calloc((size_t)C, sizeof *diff), sq = 0;
    double worst = INFINITY;
    for (int s = 0; s < cs->n_sets; s++) {
        if (tt_run(a, &cs->sets[s], true, 1, ya, numel) != numel ||
            tt_run(b, &cs->sets[s], true, 1, yb, numel) != numel)
            goto done;
        for (int64_t e = 0; e < numel; e++) {
            diff[yv->shape.rank == 2 ? e % C : e / per] += (double)yb[e] - (double)ya[e];
            sq += (double)yb[e] * yb[e];
        }
    }
    double rms = sqrt(sq / ((double)numel * cs->n_sets));
    worst = 0;
    for (int64_t c = 0; c < C; c++)
        worst = fmax(worst, fabs(diff[c] / ((double)per * cs->n_sets)));
    worst /= rms > 0 ? rms : 1.0;
done:
    free(ya), free(yb), free(diff);
    et_graph_free(a), et_graph_free(b);
    return worst;
}

static void test_bias_zero_mean(void) {
    const char *models[] = {"models/mobilenetv2_small.onnx", "models/digits.onnx"};
    for (int mi = 0; mi < 2; mi++) {
        et_model *m = tt_load(models[mi]);
        ET_REQUIRE(m);
        et_calib_set cs = tt_calib(m->graph, 4, mi == 1);
        for (int r = ET_RECOVER_BIAS; r <= ET_RECOVER_FULL; r++) {
            et_knobs k = knobs_of(3, 0.5f, ET_PRUNE_UNSTRUCTURED, (et_recover)r);
            et_tune_report rep;
            et_graph *t = NULL;
            et_err err = {0};
            ET_REQUIRE(et_tune_apply(m->graph, &k, &cs, &t, &rep, &err) == ET_OK);
            int checked = 0;
            for (int l = 0; l < rep.n_layer_errs; l += 1 + rep.n_layer_errs / 6, checked++) {
                double e = mean_error(m->graph, t, rep.layer_err[l].name, &cs);
                ET_CHECK_MSG(e <= 1e-4, "%s %s, %s: mean output error %.3g of the RMS", models[mi],
                             et_recover_name(k.recover), rep.layer_err[l].name, e);
            }
            ET_CHECK(checked > 0);
            et_graph_free(t);
        }
        /* and without correction it is not zero (so the check can fail) */
        et_knobs k = knobs_of(3, 0.5f, ET_PRUNE_UNSTRUCTURED, ET_RECOVER_NONE);
        et_tune_report rep;
        et_graph *t = NULL;
        et_err err = {0};
        ET_REQUIRE(et_tune_apply(m->graph, &k, &cs, &t, &rep, &err) == ET_OK);
        double worst = 0;
        for (int i = 0; i < t->n_nodes; i++)
            if (t->nodes[i].op == ET_OP_CONV && i > 0)
                worst = fmax(worst, mean_error(m->graph, t, t->nodes[i].name, &cs));
        ET_CHECK_MSG(worst > 1e-3, "uncorrected mean error %.3g", worst);
        et_graph_free(t);
        tt_calib_free(&cs);
        et_model_free(m);
    }
}

/* ---- determinism, cache, progress, cancel -------------------------------------------------------------- */

static bool same_weights(const et_graph *a, const et_graph *b) {
    if (a->n_values != b->n_values)
        return false;
    for (int v = 0; v < a->n_values; v++) {
        const et_value *x = &a->values[v], *y = &b->values[v];
        if (x->kind != ET_VAL_CONST)
            continue;
        if (x->nbytes != y->nbytes || memcmp(x->data, y->data, x->nbytes) != 0)
            return false;
    }
    return true;
}

typedef struct progress_log {
    int calls, last_done, total;
    bool ordered;
    volatile int *cancel_at_2;
} progress_log;

static void on_progress(void *ctx, int done, int total, double elapsed_ms, double left_ms, const char *layer) {
    (void)elapsed_ms, (void)left_ms, (void)layer;
    progress_log *p = ctx;
    p->ordered &= done >= p->last_done && done <= total;
    p->last_done = done;
    p->total = total;
    p->calls++;
    if (p->cancel_at_2 && done == 2)
        *p->cancel_at_2 = 1;
}

static void test_deterministic_cached_cancel(void) {
    et_model *m = tt_load("models/mobilenetv2_small.onnx");
    ET_REQUIRE(m);
    et_calib_set cs = tt_calib(m->graph, 4, false);
    et_knobs k = knobs_of(4, 0.5f, ET_PRUNE_NM, ET_RECOVER_FULL);
    et_err err = {0};
    et_tune_options o = et_tune_options_default();
    o.recover_threads = 1;
    progress_log log = {.ordered = true};
    o.progress = on_progress;
    o.progress_ctx = &log;
    et_tune_report rep;
    et_graph *t1 = NULL, *t2 = NULL, *t3 = NULL;
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k, &cs, &o, &t1, &rep, &err) == ET_OK);
    ET_CHECK(log.ordered && log.calls == log.total + 1 && log.last_done == log.total && rep.n_recovered > 0);
    o.recover_threads = 2;
    o.cache = et_tune_cache_new();
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k, &cs, &o, &t2, &rep, &err) == ET_OK);
    ET_CHECK(!rep.recover_cached && rep.recover_ms > 0);
    ET_CHECK_MSG(same_weights(t1, t2), "1 and 2 threads give different weights");
    /* another setting, then back: from the cache, the same bits */
    et_knobs k2 = k;
    k2.weight_bits = 8;
    et_graph *t4 = NULL;
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k2, &cs, &o, &t4, &rep, &err) == ET_OK);
    ET_CHECK(!same_weights(t1, t4));
    int n_errs = 0;
    ET_REQUIRE(et_tune_apply_ex(m->graph, &k, &cs, &o, &t3, &rep, &err) == ET_OK);
    n_errs = rep.n_layer_errs;
    ET_CHECK(rep.recover_cached && n_errs > 0);
    ET_CHECK_MSG(same_weights(t1, t3), "the cached result differs");
    /* cancel: stops between layers with ET_E_CANCELLED */
    volatile int cancel = 0;
    progress_log log2 = {.ordered = true, .cancel_at_2 = &cancel};
    et_tune_options oc = et_tune_options_default();
    oc.progress = on_progress;
    oc.progress_ctx = &log2;
    oc.cancel = &cancel;
    et_graph *tc = NULL;
    ET_CHECK(et_tune_apply_ex(m->graph, &k, &cs, &oc, &tc, &rep, &err) == ET_E_CANCELLED);
    ET_CHECK(tc == NULL && log2.last_done == 2);
    et_graph_free(t1), et_graph_free(t2), et_graph_free(t3), et_graph_free(t4);
    et_tune_cache_free(o.cache);
    tt_calib_free(&cs);
    et_model_free(m);
}

/* ---- bad input -------------------------------------------------------------------------------------------- */

static void test_bad_calibration(void) {
    et_model *m = tt_load("models/digits.onnx");
    ET_REQUIRE(m);
    et_calib_set cs = tt_calib(m->graph, 4, true);
    ((float *)cs.sets[2].data)[5] = NAN;
    et_knobs k = knobs_of(4, 0, ET_PRUNE_UNSTRUCTURED, ET_RECOVER_FULL);
    et_tune_report rep;
    et_graph *t = NULL;
    et_err err = {0};
    ET_CHECK(et_tune_apply(m->graph, &k, &cs, &t, &rep, &err) == ET_E_INPUT);
    ET_CHECK_MSG(strstr(err.msg, "calibration input 3") && strstr(err.msg, "NaN"), "%s", err.msg);
    ((float *)cs.sets[2].data)[5] = INFINITY;
    ET_CHECK(et_tune_apply(m->graph, &k, &cs, &t, &rep, &err) == ET_E_INPUT);
    ((float *)cs.sets[2].data)[5] = 0.5f;
    /* 4 sets: the fully-connected layer (512 inputs, 4 rows) falls back to rounding, and says so */
    ET_REQUIRE(et_tune_apply(m->graph, &k, &cs, &t, &rep, &err) == ET_OK);
    bool fc = false;
    for (int l = 0; l < rep.n_layer_errs; l++)
        if (strstr(rep.layer_err[l].name, "fc")) {
            fc = true;
            ET_CHECK_MSG(strstr(rep.layer_err[l].fallback, "4 samples for 512 weights per row"), "%s",
                         rep.layer_err[l].fallback);
        }
    ET_CHECK(fc && rep.n_fallback == 1 && strstr(rep.notes, "fell back to rounding"));
    et_graph_free(t);
    /* a calibration set that does not match the model: refused, naming it */
    et_calib_set wrong = cs;
    et_npy bad = cs.sets[0];
    bad.nbytes /= 2;
    et_npy *sets = malloc(4 * sizeof *sets);
    memcpy(sets, cs.sets, 4 * sizeof *sets);
    sets[1] = bad;
    wrong.sets = sets;
    ET_CHECK(et_tune_apply(m->graph, &k, &wrong, &t, &rep, &err) == ET_E_INPUT);
    ET_CHECK_MSG(strstr(err.msg, "calibration input 2"), "%s", err.msg);
    free(sets);
    /* no calibration inputs at all */
    et_calib_set none = {.n_sets = 0, .n_inputs = 1};
    ET_CHECK(et_tune_apply(m->graph, &k, &none, &t, &rep, &err) == ET_E_INPUT);
    tt_calib_free(&cs);
    et_model_free(m);
}

int main(void) {
    ET_RUN(test_hessian);
    ET_RUN(test_walk);
    ET_RUN(test_full_below_none);
    ET_RUN(test_prune_alloc);
    ET_RUN(test_bias_zero_mean);
    ET_RUN(test_deterministic_cached_cancel);
    ET_RUN(test_bad_calibration);
    return et_test_done();
}
