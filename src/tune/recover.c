/* recover.c: recovery, layer by layer (knobs.recover bias or full; tune_internal.h).
 *
 * The graph arrives as the pruning passes left it: magnitude or N:M masks in place, channel pruning in its
 * zero_only form (shapes unchanged, consumers' dropped inputs zeroed, each consumer's kept channels in
 * ctx->chan_keep). Those weights, rounded to nearest when quantizing, are the "plain" compression that
 * recover none would run, and the "before" of every layer's reported error.
 *
 * One calibration walk (calib_walk.h) goes through the weight layers in node order. For each layer to
 * compensate it collects H = X X^T and sum(X) of the layer's inputs as the compressed layers before it make
 * them (hessian.h), then
 *   full  solves each group's weights from the pristine ones (recover_solve.h: GPTQ, SparseGPT with the
 *         layer's own zero count or N:M, the least-squares refit of channel pruning's consumers)
 *   bias  keeps the plain weights
 * and in both adds to each output channel's bias the mean error the new weights put on it over the calibration
 * rows, (W - Q) mean(X), so that error has mean zero there (Nagel et al. 2019, as NNCF and AIMET do it, here on
 * the layer's real inputs). The new weights are written to the graph dequantized, with a quant info holding
 * their scales (the int8 graph and `save` take the codes from it), and the layer's reconstruction error before
 * and after goes into the report.
 *
 * Memory: one layer's Hessians at a time (the largest in ResNet-50: 4608 x 4608 doubles, 162 MiB), plus the
 * activations the walk holds (capped by et_tune_options.recover_hold_bytes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/dtype.h"
#include "tune/calib_walk.h"
#include "tune/hessian.h"
#include "model/quant_info.h"
#include "tune/recover_cache.h"
#include "tune/recover_solve.h"
#include "tune/tune_internal.h"
#include "util/mem.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct rec {
    et_tune_ctx *c;
    const et_graph *pristine;
    const et_calib_set *calib;
    et_threadpool *pool;
    et_calib_walk *walk, *walk_ref; /* walk_ref: the pristine model, in step (recover_reference) */
    const bool *quantize;
    et_hess hs;
    double t0_ms, work_total, work_done, hess_ms;
    int64_t budget;      /* bytes for held activations and the current layer's statistics */
    int done, total;
    bool matmul_noted;
    et_recover_blob *blob; /* what the cache keeps: every layer's new weights, scales and bias */
} rec;

static int threads_for(const et_tune_options *o) {
    if (o->recover_threads > 0)
        return o->recover_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static et_status add_input(void *ctx, int set, const et_tensor *const *vals, et_err *err) {
    rec *R = ctx;
    const et_tensor *t = vals[0];
    if (t->dtype != ET_DT_F32)
        return et_fail(err, ET_E_UNSUPPORTED, "recovery needs float32 layer inputs");
    double t0 = now_ms();
    et_status st = et_hess_add(&R->hs, t->data, R->pool, err);
    R->hess_ms += now_ms() - t0;
    if (st == ET_E_INPUT)
        et_fail(err, ET_E_INPUT, "%s: calibration input %d makes NaN or infinite values in the model", R->calib->source,
                set + 1);
    return st;
}

static et_status add_pair(void *ctx, int set, const et_tensor *const *vals, const et_tensor *const *ref_vals,
                          et_err *err) {
    rec *R = ctx;
    if (!R->hs.cross) /* this layer fits its own output: the reference walk only keeps in step */
        return add_input(ctx, set, vals, err);
    if (vals[0]->dtype != ET_DT_F32 || ref_vals[0]->dtype != ET_DT_F32)
        return et_fail(err, ET_E_UNSUPPORTED, "recovery needs float32 layer inputs");
    double t0 = now_ms();
    et_status st = et_hess_add_pair(&R->hs, vals[0]->data, ref_vals[0]->data, R->pool, err);
    R->hess_ms += now_ms() - t0;
    if (st == ET_E_INPUT)
        et_fail(err, ET_E_INPUT, "%s: calibration input %d makes NaN or infinite values in the model", R->calib->source,
                set + 1);
    return st;
}

/* The float32 data of a constant as an aligned copy (model files may leave it unaligned). NULL on OOM. */
static float *copy_floats(const et_value *v) {
    float *out = et_aligned_alloc(v->nbytes ? v->nbytes : 4);
    if (out)
        memcpy(out, v->data, v->nbytes);
    return out;
}

/* Row-major [channels x per] from a weight view and back. */
static void gather(const float *w, const et_wview *v, float *out) {
    for (int64_t o = 0; o < v->n_ch; o++)
        for (int64_t i = 0; i < v->per_ch; i++)
            out[o * v->per_ch + i] = w[o * v->ch_stride + i * v->el_stride];
}
static void scatter(float *w, const et_wview *v, const float *in) {
    for (int64_t o = 0; o < v->n_ch; o++)
        for (int64_t i = 0; i < v->per_ch; i++)
            w[o * v->ch_stride + i * v->el_stride] = in[o * v->per_ch + i];
}

/* Adds delta (per output channel) to layer l's bias, making one when the layer has none (Conv input 2, Gemm C).
 * MatMul has no bias input: nothing is added (noted once). */
static et_status add_bias(rec *R, int l, const double *delta, float *bias_out) {
    et_tune_ctx *c = R->c;
    et_graph *g = c->g;
    const et_wlayer *L = &c->layers[l];
    et_node *n = &g->nodes[L->node];
    int64_t n_ch = L->view.n_ch;
    if (n->op == ET_OP_MATMUL) {
        if (!R->matmul_noted)
            et_tune_note(c, false, "MatMul layers have no bias: their weights are compensated, their mean error is not");
        R->matmul_noted = true;
        return ET_OK;
    }
    float beta = n->op == ET_OP_GEMM ? et_node_attr_float(n, "beta", 1.0f) : 1.0f;
    if (beta == 0.0f)
        return ET_OK;
    int bv = n->n_inputs > 2 ? n->inputs[2] : -1;
    const et_value *b = bv >= 0 ? &g->values[bv] : NULL;
    if (b && b->kind == ET_VAL_CONST && b->dtype == ET_DT_F32 && et_shape_numel(&b->shape) == n_ch &&
        b->n_consumers == 1) {
        float *w = et_tune_writable(c, bv);
        if (!w)
            return et_fail(c->err, ET_E_NOMEM, "out of memory correcting a bias");
        for (int64_t o = 0; o < n_ch; o++)
            w[o] += (float)(delta[o] / beta);
        memcpy(bias_out, w, (size_t)n_ch * sizeof *bias_out);
        return ET_OK;
    }
    /* a new [n_ch] bias: the old one broadcast (a scalar or none) plus the correction */
    float *data = malloc((size_t)n_ch * sizeof *data);
    if (!data)
        return et_fail(c->err, ET_E_NOMEM, "out of memory correcting a bias");
    float base = 0.0f;
    if (b && b->kind == ET_VAL_CONST && b->dtype == ET_DT_F32 && et_shape_numel(&b->shape) == 1)
        memcpy(&base, b->data, sizeof base);
    else if (b) { /* a bias we cannot rewrite (shared, or not per channel) */
        free(data);
        et_tune_note(c, false, "%s: bias not corrected (shared or not per channel)", n->name);
        return ET_OK;
    }
    for (int64_t o = 0; o < n_ch; o++)
        data[o] = base + (float)(delta[o] / beta);
    char name[256];
    snprintf(name, sizeof name, "%.200s.bias", n->name);
    et_shape shape = {.rank = 1, .dim = {n_ch}};
    int nb = et_graph_add_const(g, name, ET_DT_F32, &shape, data, c->err);
    memcpy(bias_out, data, (size_t)n_ch * sizeof *bias_out);
    free(data);
    if (nb < 0)
        return c->err ? c->err->status : ET_E_NOMEM;
    n = &g->nodes[L->node]; /* adding a value may move nothing in nodes, but stay safe */
    if (n->n_inputs > 2) {
        n->inputs[2] = nb;
    } else {
        int *ins = et_arena_calloc(&g->arena, 3, sizeof *ins);
        if (!ins)
            return et_fail(c->err, ET_E_NOMEM, "out of memory correcting a bias");
        ins[0] = n->inputs[0], ins[1] = n->inputs[1], ins[2] = nb;
        n->inputs = ins;
        n->n_inputs = 3;
    }
    et_graph_count_uses(g);
    return ET_OK;
}

/* The quant info of a compensated weight: its scales along the output-channel axis, as wquant.c writes them. */
static et_status attach_quant(et_tune_ctx *c, const et_wlayer *L, int bits, bool symmetric, bool per_channel,
                              const float *scale, const int32_t *zp) {
    et_graph *g = c->g;
    if (bits == 16) {
        et_quant_info *qi = et_quant_info_new(g, 0, NULL, NULL);
        if (!qi)
            return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
        qi->n = 0;
        qi->storage_bits = qi->value_bits = 16;
        g->values[L->weight].quant = qi;
        return ET_OK;
    }
    int n_q = per_channel ? (int)L->view.n_ch : 1;
    float *qs;
    int32_t *qz;
    et_quant_info *qi = et_quant_info_new(g, n_q, &qs, &qz);
    if (!qi)
        return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
    memcpy(qs, scale, (size_t)n_q * sizeof *qs);
    memcpy(qz, zp, (size_t)n_q * sizeof *qz);
    qi->axis = n_q > 1 ? (L->view.ch_stride == 1 && L->view.n_ch > 1 ? 1 : 0) : -1;
    qi->value_bits = qi->storage_bits = bits;
    et_wq_range(bits, symmetric, &qi->qmin, &qi->qmax);
    g->values[L->weight].quant = qi;
    return ET_OK;
}

/* Layer l's bias as it acts now, per output channel (0 without one). */
static void current_bias(const et_tune_ctx *c, int l, float *out) {
    const et_wlayer *L = &c->layers[l];
    const et_node *n = &c->g->nodes[L->node];
    int64_t n_ch = L->view.n_ch;
    float beta = n->op == ET_OP_GEMM ? et_node_attr_float(n, "beta", 1.0f) : 1.0f;
    int bv = n->n_inputs > 2 ? n->inputs[2] : -1;
    const et_value *b = bv >= 0 ? &c->g->values[bv] : NULL;
    int64_t nb = b ? et_shape_numel(&b->shape) : 0;
    for (int64_t o = 0; o < n_ch; o++) {
        float v = 0.0f;
        if (b && b->dtype == ET_DT_F32 && (nb == n_ch || nb == 1))
            memcpy(&v, (const char *)b->data + (size_t)(nb == 1 ? 0 : o) * sizeof v, sizeof v);
        out[o] = v * beta;
    }
}

/* The cached result of the same configuration, written into the graph as recover_layer would: *found false
 * when there is none (or it does not fit this graph: then nothing is written). ET_E_NOMEM half way. */
static et_status apply_cached(rec *R, const char *key, bool *found) {
    *found = false;
    et_tune_ctx *c = R->c;
    size_t bytes = 0;
    et_tune_report saved = *c->rep;
    const void *blob = et_recover_blob_find(c, key, &bytes);
    if (!blob)
        return ET_OK;
    const et_knobs *k = c->k;
    bool symmetric = k->act_bits == 8 || k->symmetric;
    /* check first, so that a mismatch leaves the graph untouched */
    size_t pos = 0;
    et_recover_layer_rec r;
    int n_rec = 0;
    while (et_recover_blob_next(blob, bytes, &pos, &r)) {
        int l = 0;
        while (l < c->n_layers && c->layers[l].node != r.node)
            l++;
        if (l == c->n_layers || r.n != c->layers[l].view.n_ch * c->layers[l].view.per_ch ||
            r.n_ch != c->layers[l].view.n_ch) {
            *c->rep = saved;
            return ET_OK;
        }
        n_rec++;
    }
    pos = 0;
    while (et_recover_blob_next(blob, bytes, &pos, &r)) {
        int l = 0;
        while (c->layers[l].node != r.node)
            l++;
        const et_wlayer *L = &c->layers[l];
        float *w = et_tune_writable(c, L->weight);
        double *delta = calloc((size_t)r.n_ch, sizeof *delta);
        float *now = calloc((size_t)r.n_ch, sizeof *now), *out = calloc((size_t)r.n_ch, sizeof *out);
        bool ok = w && delta && now && out;
        if (ok) {
            scatter(w, &L->view, r.w);
            if (r.quantized)
                ok = attach_quant(c, L, k->weight_bits, symmetric,
                                  k->granularity == ET_GRAN_CHANNEL || k->weight_bits == 16, r.scale, r.zp) == ET_OK;
        }
        if (ok && r.bias) {
            current_bias(c, l, now);
            for (int64_t o = 0; o < r.n_ch; o++)
                delta[o] = (double)r.bias[o] - (double)now[o];
            ok = add_bias(R, l, delta, out) == ET_OK;
        }
        free(delta), free(now), free(out);
        if (!ok) /* half way: the caller fails the derivation */
            return et_fail(c->err, ET_E_NOMEM, "out of memory applying cached recovery");
    }
    (void)n_rec;
    *found = true;
    return ET_OK;
}

static int64_t count_zeros(const float *w, int64_t n) {
    int64_t z = 0;
    for (int64_t i = 0; i < n; i++)
        z += w[i] == 0.0f;
    return z;
}

typedef struct group_job {
    rec *R;
    int l;
    int64_t rows, d;
    float *res;            /* n_ch x d: in, pristine; out, result */
    const float *plain_q;  /* the plain weights rounded with the recovery's scales (the fallback) */
    const float *cur;      /* the plain weights before rounding (their zero counts) */
    et_solve proto;
    et_solve *out;         /* per group */
    et_status *status;     /* per group */
    et_err *errs;          /* per group */
    bool inner_pool;       /* one group: the solve may use the pool */
} group_job;

static void solve_groups(void *ctx, size_t b, size_t e) {
    group_job *J = ctx;
    for (size_t gi = b; gi < e; gi++) {
        et_solve s = J->proto;
        int64_t off = (int64_t)gi * J->rows * J->d;
        s.w = J->res + off;
        s.w_plain = J->plain_q + off;
        s.h = J->R->hs.h + (int64_t)gi * J->d * J->d;
        if (s.scale)
            s.scale += (int64_t)gi * J->rows, s.zero_point += (int64_t)gi * J->rows;
        if (s.scale_out)
            s.scale_out += (int64_t)gi * J->rows, s.zp_out += (int64_t)gi * J->rows;
        if (s.mask == ET_OBQ_MASK_ADAPTIVE)
            s.prune_count = count_zeros(J->cur + off, J->rows * J->d);
        if (J->R->hs.cross) {
            s.cross = J->R->hs.cross + off;
            s.y2 = J->R->hs.y2[gi];
        }
        J->status[gi] = et_solve_run(&s, J->inner_pool ? J->R->pool : NULL, &J->errs[gi]);
        J->out[gi] = s;
    }
}

/* Compensates layer l (see the file comment). */
static et_status recover_layer(rec *R, int l) {
    et_tune_ctx *c = R->c;
    et_graph *g = c->g;
    const et_knobs *k = c->k;
    const et_wlayer *L = &c->layers[l];
    const et_node *node = &g->nodes[L->node];
    bool refit = c->chan_keep && c->chan_keep[l];
    bool quant = R->quantize[l] && k->weight_bits < 32 && !c->keep[l];
    bool masked = c->pruned[l] && !c->keep[l] && k->prune_method != ET_PRUNE_CHANNEL;
    int64_t n_ch = L->view.n_ch, per = L->view.per_ch, n = n_ch * per;
    int64_t groups = L->kind == ET_WL_CONV ? L->group : 1, rows = n_ch / groups;
    et_status st = ET_OK;
    if (g->values[L->weight].n_consumers > 1) {
        et_tune_note(c, false, "%s: weights shared with another layer, not compensated", node->name);
        return ET_OK;
    }
    int x = node->inputs[0];
    float *pristine_raw = copy_floats(&R->pristine->values[L->weight]);
    float *cur_raw = copy_floats(&g->values[L->weight]);
    float *wo = malloc((size_t)n * sizeof *wo), *wc = malloc((size_t)n * sizeof *wc);
    if (!pristine_raw || !cur_raw || !wo || !wc) {
        et_aligned_free(pristine_raw), et_aligned_free(cur_raw), free(wo), free(wc);
        return et_fail(c->err, ET_E_NOMEM, "%s: out of memory compensating the layer", node->name);
    }
    gather(pristine_raw, &L->view, wo);
    gather(cur_raw, &L->view, wc);
    if (!quant && !refit && memcmp(wo, wc, (size_t)n * sizeof *wo) == 0) { /* pruning left it as it was */
        et_aligned_free(pristine_raw), et_aligned_free(cur_raw), free(wo), free(wc);
        return ET_OK;
    }
    double t_walk = now_ms();
    if ((st = et_hess_init(&R->hs, g, L->node, false, c->err)) == ET_OK && (R->hs.d != per || R->hs.groups != groups))
        st = et_fail(c->err, ET_E_UNSUPPORTED, "%s: unexpected weight layout for recovery", node->name);
    /* fitting the reference output: every layer but grouped ones (a depthwise channel's 9 weights cannot undo
     * what the layers before did, and trying costs accuracy: measured on MobileNetV2) */
    bool ref = R->walk_ref != NULL && groups == 1;
    if (st == ET_OK && ref)
        st = et_hess_set_reference(&R->hs, wo, rows, c->err);
    if (st == ET_OK) { /* the walks may hold what this layer's statistics leave of the memory budget */
        int64_t stats = R->hs.groups * (R->hs.d * R->hs.d + R->hs.d) * (int64_t)sizeof(double) +
                        (R->walk_ref ? n * (int64_t)sizeof(double) : 0);
        int64_t left = R->budget - stats, walks = R->walk_ref ? 2 : 1;
        et_calib_walk_set_cap(R->walk, left > 0 ? left / walks : 0);
        if (R->walk_ref)
            et_calib_walk_set_cap(R->walk_ref, left > 0 ? left / walks : 0);
    }
    if (st == ET_OK && R->walk_ref)
        st = et_calib_walk_to_pair(R->walk, g, R->walk_ref, R->pristine, L->node, &x, 1, add_pair, R, c->opt->cancel,
                                   c->err);
    else if (st == ET_OK)
        st = et_calib_walk_to(R->walk, g, L->node, &x, 1, add_input, R, c->opt->cancel, c->err);
    if (st != ET_OK) {
        et_hess_free(&R->hs);
        et_aligned_free(pristine_raw), et_aligned_free(cur_raw), free(wo), free(wc);
        return st;
    }
    t_walk = now_ms() - t_walk;
    double t_solve = now_ms();
    et_hess_finish(&R->hs);
    int64_t held = et_calib_walk_held_bytes(R->walk) + (ref ? et_calib_walk_held_bytes(R->walk_ref) : 0) +
                   R->hs.groups * (R->hs.d * R->hs.d + R->hs.d) * (int64_t)sizeof(double) +
                   (ref ? n * (int64_t)sizeof(double) : 0) + 6 * n * (int64_t)sizeof(float);
    if (held > c->rep->recover_peak_bytes)
        c->rep->recover_peak_bytes = held;

    float *wp = malloc((size_t)n * sizeof *wp), *wp2 = malloc((size_t)n * sizeof *wp2);
    float *res = malloc((size_t)n * sizeof *res), *dw = malloc((size_t)n * sizeof *dw);
    float *scale_o = malloc((size_t)n_ch * sizeof *scale_o), *scale_p = malloc((size_t)n_ch * sizeof *scale_p);
    int32_t *zp_o = calloc((size_t)n_ch, sizeof *zp_o), *zp_p = calloc((size_t)n_ch, sizeof *zp_p);
    double *delta = calloc((size_t)n_ch, sizeof *delta), *before_g = calloc((size_t)groups, sizeof *before_g);
    float *bias_now = calloc((size_t)n_ch, sizeof *bias_now);
    et_solve *sol = calloc((size_t)groups, sizeof *sol);
    et_status *sst = calloc((size_t)groups, sizeof *sst);
    et_err *serr = calloc((size_t)groups, sizeof *serr);
    if (!wp || !wp2 || !res || !dw || !scale_o || !scale_p || !zp_o ||
        !zp_p || !delta || !before_g || !bias_now || !sol || !sst || !serr) {
        st = et_fail(c->err, ET_E_NOMEM, "%s: out of memory compensating the layer", node->name);
        goto done;
    }
    et_wview rv = {.n_ch = n_ch, .per_ch = per, .ch_stride = per, .el_stride = 1};
    int bits = quant ? k->weight_bits : 0;
    bool symmetric = k->act_bits == 8 || k->symmetric;
    et_wq_config wq = {.bits = bits, .symmetric = symmetric, .per_channel = k->granularity == ET_GRAN_CHANNEL,
                       .clip = k->clip, .percentile = 99.99f};
    int32_t qmin = 0, qmax = 0;
    if (bits >= 2 && bits <= 8) {
        et_wq_range(bits, symmetric, &qmin, &qmax);
        /* plain: what recover none stores; recovery's own grid comes from the pristine weights, as GPTQ's */
        if ((st = et_quantize_weights(wc, &rv, &wq, scale_p, zp_p, NULL, wp, c->err)) != ET_OK ||
            (st = et_quantize_weights(wo, &rv, &wq, scale_o, zp_o, NULL, NULL, c->err)) != ET_OK)
            goto done;
        for (int64_t o = 0; o < n_ch; o++) /* the plain weights on recovery's grid: the fallback */
            for (int64_t i = 0; i < per; i++) {
                float s = scale_o[o], inv = 1.0f / s;
                long v = lrintf(wc[o * per + i] * inv) + zp_o[o];
                v = v < qmin ? qmin : v > qmax ? qmax : v;
                wp2[o * per + i] = s * (float)(v - zp_o[o]);
            }
    } else if (bits == 16) {
        et_round_fp16(wc, wp, n);
        memcpy(wp2, wp, (size_t)n * sizeof *wp2);
    } else {
        memcpy(wp, wc, (size_t)n * sizeof *wp);
        memcpy(wp2, wc, (size_t)n * sizeof *wp2);
    }
    /* errors are measured on the layer's own H before the solve takes it apart */
    double energy = 0.0, before = 0.0;
    for (int64_t gi = 0; gi < groups; gi++) {
        const double *h = R->hs.h + gi * per * per;
        int64_t off = gi * rows * per;
        for (int64_t i = 0; i < rows * per; i++)
            dw[off + i] = wo[off + i] - wp[off + i];
        double e, b;
        if (ref) { /* against the reference output: |y_ref - Wp x|^2 = y2 - 2 <Wp, cross> + Wp H Wp^T */
            double wc2 = 0.0;
            const double *cr = R->hs.cross + off;
            for (int64_t i = 0; i < rows * per; i++)
                wc2 += (double)wp[off + i] * cr[i];
            e = R->hs.y2[gi];
            double q = et_obq_quad(wp + off, rows, per, h, groups > 1 ? NULL : R->pool);
            b = q < 0 ? -1 : e - 2.0 * wc2 + q;
            b = b < 0 && q >= 0 ? 0 : b;
            if (q < 0)
                e = -1;
        } else {
            e = et_obq_quad(wo + off, rows, per, h, groups > 1 ? NULL : R->pool);
            b = et_obq_quad(dw + off, rows, per, h, groups > 1 ? NULL : R->pool);
        }
        if (e < 0 || b < 0) {
            st = et_fail(c->err, ET_E_NOMEM, "%s: out of memory compensating the layer", node->name);
            goto done;
        }
        energy += e, before += b;
        before_g[gi] = b;
    }
    double after = before;
    bool refit_ok = true;
    if (k->recover == ET_RECOVER_FULL) {
        memcpy(res, wo, (size_t)n * sizeof *res);
        et_solve proto = {.rows = rows, .d = per, .n_samples = R->hs.rows, .bits = bits, .qmin = qmin, .qmax = qmax,
                          .wq = &wq, .ksize = L->kind == ET_WL_CONV ? L->ksize : 1,
                          .act_order = c->opt->recover_act_order};
        if (refit) {
            proto.mask = ET_OBQ_MASK_FIXED;
            proto.chan_keep = c->chan_keep[l];
            proto.scale_out = scale_o, proto.zp_out = zp_o; /* scales from the refit weights */
        } else if (bits >= 2 && bits <= 8 && (wq.per_channel || groups == 1)) {
            /* scales from the solve's own target (the pristine weights, or their fit to the reference output,
             * which may reach past the pristine range) */
            proto.scale_out = scale_o, proto.zp_out = zp_o;
        } else {
            proto.scale = bits >= 2 && bits <= 8 ? scale_o : NULL; /* one scale for several groups */
            proto.zero_point = zp_o;
        }
        if (!refit) {
            if (masked)
                proto.mask = k->prune_method == ET_PRUNE_NM ? ET_OBQ_MASK_NM : ET_OBQ_MASK_ADAPTIVE;
            proto.nm_n = k->nm_n, proto.nm_m = k->nm_m;
        }
        group_job J = {.R = R, .l = l, .rows = rows, .d = per, .res = res, .plain_q = refit ? wp : wp2, .cur = wc,
                       .proto = proto, .out = sol, .status = sst, .errs = serr, .inner_pool = groups == 1};
        if (groups > 1 && R->pool)
            et_threadpool_parallel_for_chunked(R->pool, (size_t)groups, 8, solve_groups, &J);
        else
            solve_groups(&J, 0, (size_t)groups);
        after = 0.0;
        int fell = 0;
        for (int64_t gi = 0; gi < groups; gi++) {
            if (sst[gi] != ET_OK) {
                st = sst[gi];
                if (c->err)
                    *c->err = serr[gi];
                goto done;
            }
            if (sol[gi].fell_back) {
                fell++;
                refit_ok = false;
                after += before_g[gi]; /* rounding's error (its scales may differ by a hair from plain's) */
            } else {
                after += sol[gi].err;
            }
        }
        if (fell) {
            c->rep->n_fallback++;
            et_tune_note(c, true, "%s: %s", node->name, sol[0].fell_back ? sol[0].why : "fell back to rounding");
        }
        if (refit && !refit_ok) { /* the plain weights with their own scales */
            memcpy(scale_o, scale_p, (size_t)n_ch * sizeof *scale_o);
            memcpy(zp_o, zp_p, (size_t)n_ch * sizeof *zp_o);
        }
    } else {
        memcpy(res, wp, (size_t)n * sizeof *res);
        memcpy(scale_o, scale_p, (size_t)n_ch * sizeof *scale_o);
        memcpy(zp_o, zp_p, (size_t)n_ch * sizeof *zp_o);
    }
    /* bias correction: each output's mean error over the calibration rows, (W - Q) mean(X) */
    double inv_n = R->hs.rows > 0 ? 1.0 / (double)R->hs.rows : 0.0, bias_gain = 0.0;
    for (int64_t o = 0; o < n_ch; o++) {
        const double *sum = R->hs.sum + (o / rows) * per;
        const double *sum_ref = ref ? R->hs.sum_ref + (o / rows) * per : sum; /* the reference's inputs */
        double s = 0.0;
        for (int64_t i = 0; i < per; i++)
            s += (double)wo[o * per + i] * sum_ref[i] - (double)res[o * per + i] * sum[i];
        delta[o] = s * inv_n;
        bias_gain += s * s * inv_n; /* N (mean error)^2 */
    }
    if (node->op != ET_OP_MATMUL)
        after -= bias_gain;
    if (getenv("ET_RECOVER_DEBUG"))
        fprintf(stderr, "%8.0f ms %s: walk %.0f ms (hess %.0f) solve %.0f ms; rows %lld d %lld groups %lld rows/g %lld before %.4g after %.4g (rel)\n",
                now_ms() - R->t0_ms, node->name, t_walk, R->hess_ms, now_ms() - t_solve, (long long)R->hs.rows, (long long)per, (long long)groups,
                (long long)rows, before / energy, after / energy);
    R->hess_ms = 0;
    after = after > 0.0 ? after : 0.0;
    float *w = et_tune_writable(c, L->weight);
    if (!w) {
        st = et_fail(c->err, ET_E_NOMEM, "%s: out of memory compensating the layer", node->name);
        goto done;
    }
    scatter(w, &L->view, res);
    if (quant && (st = attach_quant(c, L, bits, symmetric,
                                    k->granularity == ET_GRAN_CHANNEL || bits == 16, scale_o, zp_o)) != ET_OK)
        goto done;
    if ((st = add_bias(R, l, delta, bias_now)) != ET_OK)
        goto done;
    c->rep->n_recovered++;
    if (c->rep->n_layer_errs < ET_TUNE_MAX_LAYER_ERRS) {
        et_tune_layer_err *e = &c->rep->layer_err[c->rep->n_layer_errs++];
        snprintf(e->name, sizeof e->name, "%s", node->name);
        e->before = energy > 0 ? (float)(before / energy) : NAN;
        e->after = energy > 0 ? (float)(after / energy) : NAN;
        e->fallback[0] = '\0';
        for (int64_t gi = 0; gi < groups && k->recover == ET_RECOVER_FULL; gi++)
            if (sol[gi].fell_back) {
                snprintf(e->fallback, sizeof e->fallback, "%s", sol[gi].why);
                break;
            }
    }
    if (R->blob)
        et_recover_blob_add_layer(R->blob, L->node, res, n, quant, quant && bits != 16 ? scale_o : NULL, zp_o, n_ch,
                                  node->op != ET_OP_MATMUL ? bias_now : NULL);
done:
    et_hess_free(&R->hs);
    et_aligned_free(pristine_raw);
    et_aligned_free(cur_raw);
    free(wo), free(wc), free(wp), free(wp2), free(res), free(dw), free(scale_o), free(scale_p), free(zp_o),
        free(zp_p), free(delta), free(before_g), free(bias_now), free(sol), free(sst), free(serr);
    return st;
}

/* Layers recovery changes, and the work (multiply-adds of the layer) for the progress estimate. */
static bool wants(const rec *R, int l) {
    const et_tune_ctx *c = R->c;
    bool refit = c->chan_keep && c->chan_keep[l];
    if (c->keep[l] && !refit)
        return false;
    bool quant = R->quantize[l] && c->k->weight_bits < 32;
    bool masked = c->pruned[l] && c->k->prune_method != ET_PRUNE_CHANNEL;
    return quant || masked || refit;
}

static et_status check_inputs(const et_calib_set *calib, et_err *err) {
    for (int s = 0; s < calib->n_sets * calib->n_inputs; s++) {
        const et_npy *x = &calib->sets[s];
        if (x->dtype != ET_DT_F32)
            continue;
        const float *f = x->data;
        for (size_t i = 0; i < x->nbytes / sizeof(float); i++)
            if (!isfinite(f[i]))
                return et_fail(err, ET_E_INPUT, "%s: calibration input %d holds NaN or infinite values; fix or "
                               "remove that file", calib->source[0] ? calib->source : "calibration set",
                               s / calib->n_inputs + 1);
    }
    return ET_OK;
}

et_status et_tune_recover(et_tune_ctx *c, const et_calib_set *calib, const bool *quantize) {
    double t0 = now_ms();
    et_graph *g = c->g;
    et_status st = ET_OK;
    if (!g->source || g->source->n_values > g->n_values)
        return et_fail(c->err, ET_E_RUNTIME, "recovery needs the tuned graph's pristine source");
    rec R = {.c = c, .pristine = g->source, .calib = calib, .quantize = quantize, .t0_ms = t0};
    for (int l = 0; l < c->n_layers; l++)
        if (wants(&R, l)) {
            R.total++;
            R.work_total += (double)et_node_macs(g, &g->nodes[c->layers[l].node]) + 1.0;
        }
    if (R.total == 0)
        return ET_OK;
    if (!calib || calib->n_sets < 1)
        return et_fail(c->err, ET_E_INPUT, "--recover needs calibration inputs (--calib DIR of .npy files)");
    if ((st = check_inputs(calib, c->err)) != ET_OK)
        return st;
    /* from the cache: the same knobs on the same calibration set made these weights before */
    char key[256];
    uint64_t quant_hash = 1469598103934665603ull;
    for (int l = 0; l < c->n_layers; l++)
        quant_hash = (quant_hash ^ (uint64_t)(quantize[l] ? l + 1 : 0)) * 1099511628211ull;
    et_recover_key(c, calib, quant_hash, key, sizeof key);
    bool found = false;
    if ((st = apply_cached(&R, key, &found)) != ET_OK)
        return st;
    if (found) {
        c->rep->recover_cached = true;
        for (int i = 0; i < c->rep->n_layer_errs; i++)
            if (c->rep->layer_err[i].fallback[0])
                et_tune_note(c, true, "%s: %s", c->rep->layer_err[i].name, c->rep->layer_err[i].fallback);
        return ET_OK;
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
    if (c->opt->recover_reference && (st = et_calib_walk_new(R.pristine, calib, threads, cap, &R.walk_ref, c->err)) != ET_OK)
        goto done;
    R.blob = et_recover_blob_new();
    if (c->opt->progress)
        c->opt->progress(c->opt->progress_ctx, 0, R.total, 0.0, -1.0, "");
    for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
        if (!wants(&R, l))
            continue;
        if (c->opt->cancel && *c->opt->cancel) {
            st = et_fail(c->err, ET_E_CANCELLED, "cancelled");
            break;
        }
        if ((st = recover_layer(&R, l)) != ET_OK)
            break;
        R.done++;
        R.work_done += (double)et_node_macs(g, &g->nodes[c->layers[l].node]) + 1.0;
        if (c->opt->progress) {
            double el = now_ms() - t0;
            double left = R.work_done > 0 ? el * (R.work_total - R.work_done) / R.work_done : -1.0;
            c->opt->progress(c->opt->progress_ctx, R.done, R.total, el, left, g->nodes[c->layers[l].node].name);
        }
    }
    if (st == ET_OK) {
        int64_t peak = et_calib_walk_peak_bytes(R.walk) + (R.walk_ref ? et_calib_walk_peak_bytes(R.walk_ref) : 0);
        if (peak > c->rep->recover_peak_bytes)
            c->rep->recover_peak_bytes = peak;
        c->rep->recover_ms = now_ms() - t0;
        if (R.blob)
            et_recover_blob_store(R.blob, c, key);
    }
done:
    et_recover_blob_free(R.blob);
    et_calib_walk_free(R.walk);
    et_calib_walk_free(R.walk_ref);
    et_threadpool_destroy(R.pool);
    return st;
}

/* ---- channel selection by reconstruction error ----------------------------------------------------------- */

static bool consumer(const et_tune_ctx *c, int l) {
    const et_wlayer *L = &c->layers[l];
    return L->kind == ET_WL_CONV ? L->group == 1 : true;
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
    rec R = {.c = c, .calib = calib};
    et_err perr = {0};
    int threads = threads_for(c->opt);
    if (threads > 1)
        R.pool = et_threadpool_create(threads, &perr);
    int64_t cap = c->opt->recover_hold_bytes > 0 ? c->opt->recover_hold_bytes : (int64_t)256 << 20;
    if ((st = et_calib_walk_new(g, calib, threads, cap, &R.walk, c->err)) != ET_OK)
        goto done;
    for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
        const et_wlayer *L = &c->layers[l];
        if (!consumer(c, l) || g->values[L->weight].n_consumers > 1)
            continue;
        const et_node *node = &g->nodes[L->node];
        int x = node->inputs[0];
        if ((st = et_hess_init(&R.hs, g, L->node, true, c->err)) != ET_OK)
            break;
        if ((st = et_calib_walk_to(R.walk, g, L->node, &x, 1, add_input, &R, c->opt->cancel, c->err)) != ET_OK) {
            et_hess_free(&R.hs);
            break;
        }
        /* energy of input channel ci: sum over outputs of w_ci^T H_ci w_ci (its kernel elements) */
        float *w = copy_floats(&g->values[L->weight]);
        int64_t kb = R.hs.d, n_in = R.hs.groups;
        double *e = calloc((size_t)n_in + 1, sizeof *e);
        if (!w || !e) {
            et_aligned_free(w);
            free(e);
            et_hess_free(&R.hs);
            st = et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
            break;
        }
        et_hess_finish(&R.hs);
        for (int64_t o = 0; o < L->view.n_ch; o++)
            for (int64_t ci = 0; ci < n_in; ci++) {
                const double *h = R.hs.h + ci * kb * kb;
                double s = 0.0;
                for (int64_t a = 0; a < kb; a++) {
                    double wa = w[o * L->view.ch_stride + (ci * kb + a) * L->view.el_stride];
                    for (int64_t b = 0; b < kb; b++)
                        s += wa * h[a * kb + b] * w[o * L->view.ch_stride + (ci * kb + b) * L->view.el_stride];
                }
                e[ci] += s;
            }
        et_aligned_free(w);
        et_hess_free(&R.hs);
        c->chan_energy[l] = e;
    }
done:
    et_calib_walk_free(R.walk);
    et_threadpool_destroy(R.pool);
    return st;
}
