/* recover_layer.c: one layer of recovery (recover.c has the plan of the whole).
 *
 * In steps, each a function below:
 *   weights     the pristine weights and the plain ones (as the pruning passes left them), row-major
 *   statistics  H = X X^T and sum(X) of its inputs from the calibration walk, with the cross terms against the
 *               pristine model's output when the layer fits that (every layer but grouped ones)
 *   plain       the plain weights rounded to nearest: what recover none stores, the "before" of the report and,
 *               on recovery's own grid, the fallback of the solve
 *   before      the plain weights' output error, measured on H before the solve takes it apart
 *   solve       full: recover_solve.h per group (groups in parallel, one thread each; one group: the pool
 *               inside); bias: the plain weights as they are
 *   bias        each output channel's mean error over the calibration rows, into its bias
 *   commit      the weights (dequantized, with their quant info) and the bias into the graph, the layer's errors
 *               into the report, the result into the cache blob */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tune/chol.h"
#include "tune/obs_exact.h"
#include "tune/qmath.h"
#include "tune/recover_base.h"
#include "tune/recover_cache.h"
#include "tune/recover_internal.h"
#include "tune/recover_solve.h"
#include "util/mem.h"
#include "util/clock.h"

et_status et_recover_add_input(void *ctx, int set, const et_tensor *const *vals, et_err *err) {
    et_recover_run *R = ctx;
    const et_tensor *t = vals[0];
    if (t->dtype != ET_DT_F32)
        return et_fail(err, ET_E_UNSUPPORTED, "recovery needs float32 layer inputs");
    double t0 = et_clock_ms();
    et_status st = et_hess_add(&R->hs, t->data, R->pool, err);
    R->hess_ms += et_clock_ms() - t0;
    if (st == ET_E_INPUT)
        et_fail(err, ET_E_INPUT, "%s: calibration input %d makes NaN or infinite values in the model", R->calib->source,
                set + 1);
    return st;
}

static et_status add_pair(void *ctx, int set, const et_tensor *const *vals, const et_tensor *const *ref_vals,
                          et_err *err) {
    et_recover_run *R = ctx;
    if (!R->hs.cross) /* this layer fits its own output: the reference walk only keeps in step */
        return et_recover_add_input(ctx, set, vals, err);
    if (vals[0]->dtype != ET_DT_F32 || ref_vals[0]->dtype != ET_DT_F32)
        return et_fail(err, ET_E_UNSUPPORTED, "recovery needs float32 layer inputs");
    double t0 = et_clock_ms();
    et_status st = et_hess_add_pair(&R->hs, vals[0]->data, ref_vals[0]->data, R->pool, err);
    R->hess_ms += et_clock_ms() - t0;
    if (st == ET_E_INPUT)
        et_fail(err, ET_E_INPUT, "%s: calibration input %d makes NaN or infinite values in the model", R->calib->source,
                set + 1);
    return st;
}

static int64_t count_zeros(const float *w, int64_t n) {
    int64_t z = 0;
    for (int64_t i = 0; i < n; i++)
        z += w[i] == 0.0f;
    return z;
}

/* One layer's work (the file comment lists the steps). */
typedef struct layer_job {
    et_recover_run *R;
    int l;
    const et_wlayer *L;
    const et_node *node;
    bool refit, quant, masked, ref;
    int64_t n_ch, per, n, groups, rows;
    int bits;
    bool symmetric;
    et_wq_config wq;
    int32_t qmin, qmax;
    float *wo, *wc;  /* pristine, plain (n_ch x per, row-major) */
    float *wp, *wp2; /* plain rounded with its own scales / with recovery's (the fallback) */
    float *res, *dw; /* the result; scratch */
    float *scale_o, *scale_p, *bias_now;
    int32_t *zp_o, *zp_p;
    double *delta, *before_g;
    et_solve *sol;
    et_status *sst;
    et_err *serr;
    double energy, before, after, t_walk, t_solve;
    double *h_rec;  /* the base's run: H before the solve takes it apart, for the record */
    uint64_t print; /* et_recover_layer_print (base's run and points) */
} layer_job;

static void job_free(layer_job *J) {
    et_hess_free(&J->R->hs);
    free(J->wo), free(J->wc), free(J->wp), free(J->wp2), free(J->res), free(J->dw), free(J->scale_o), free(J->scale_p),
        free(J->zp_o), free(J->zp_p), free(J->delta), free(J->before_g), free(J->bias_now), free(J->sol), free(J->sst),
        free(J->serr), free(J->h_rec);
}

static et_status oom(const layer_job *J) {
    return et_fail(J->R->c->err, ET_E_NOMEM, "%s: out of memory compensating the layer", J->node->name);
}

/* The pristine and the plain weights; *skip when there is nothing to compensate (pruning left it as it was). */
static et_status job_weights(layer_job *J, bool *skip) {
    et_tune_ctx *c = J->R->c;
    float *pristine_raw = et_recover_copy_floats(&J->R->pristine->values[J->L->weight]);
    float *cur_raw = et_recover_copy_floats(&c->g->values[J->L->weight]);
    J->wo = malloc((size_t)J->n * sizeof *J->wo);
    J->wc = malloc((size_t)J->n * sizeof *J->wc);
    et_status st = ET_OK;
    if (!pristine_raw || !cur_raw || !J->wo || !J->wc) {
        st = oom(J);
    } else {
        et_recover_gather(pristine_raw, &J->L->view, J->wo);
        et_recover_gather(cur_raw, &J->L->view, J->wc);
        *skip = !J->quant && !J->refit && memcmp(J->wo, J->wc, (size_t)J->n * sizeof *J->wo) == 0;
    }
    et_aligned_free(pristine_raw);
    et_aligned_free(cur_raw);
    return st;
}

/* H and sum(X) (and the cross terms) from the walk; the memory the walks may hold is what these leave. */
static et_status job_statistics(layer_job *J) {
    et_recover_run *R = J->R;
    et_tune_ctx *c = R->c;
    int x = J->node->inputs[0];
    double t0 = et_clock_ms();
    et_status st = et_hess_init(&R->hs, c->g, J->L->node, false, c->err);
    if (st == ET_OK && (R->hs.d != J->per || R->hs.groups != J->groups))
        st = et_fail(c->err, ET_E_UNSUPPORTED, "%s: unexpected weight layout for recovery", J->node->name);
    /* fitting the reference output: every layer but grouped ones (a depthwise channel's 9 weights cannot undo
     * what the layers before did, and trying costs accuracy: measured on MobileNetV2) */
    J->ref = R->walk_ref != NULL && J->groups == 1;
    if (st == ET_OK && J->ref)
        st = et_hess_set_reference(&R->hs, J->wo, J->rows, c->err);
    if (st != ET_OK)
        return st;
    int64_t stats = R->hs.groups * (R->hs.d * R->hs.d + R->hs.d) * (int64_t)sizeof(double) +
                    (J->ref ? J->n * (int64_t)sizeof(double) : 0);
    int64_t left = R->budget - stats, walks = R->walk_ref ? 2 : 1;
    et_calib_walk_set_cap(R->walk, left > 0 ? left / walks : 0);
    if (R->walk_ref) {
        et_calib_walk_set_cap(R->walk_ref, left > 0 ? left / walks : 0);
        st = et_calib_walk_to_pair(R->walk, c->g, R->walk_ref, R->pristine, J->L->node, &x, 1, add_pair, R,
                                   c->opt->cancel, c->err);
    } else {
        st = et_calib_walk_to(R->walk, c->g, J->L->node, &x, 1, et_recover_add_input, R, c->opt->cancel, c->err);
    }
    if (st != ET_OK)
        return st;
    et_hess_finish(&R->hs);
    J->t_walk = et_clock_ms() - t0;
    int64_t held = et_calib_walk_held_bytes(R->walk) + (R->walk_ref ? et_calib_walk_held_bytes(R->walk_ref) : 0) +
                   stats + 6 * J->n * (int64_t)sizeof(float);
    if (held > c->rep->recover_peak_bytes)
        c->rep->recover_peak_bytes = held;
    return ET_OK;
}

static et_status job_alloc(layer_job *J) {
    size_t n = (size_t)J->n, n_ch = (size_t)J->n_ch, g = (size_t)J->groups;
    J->wp = malloc(n * sizeof *J->wp), J->wp2 = malloc(n * sizeof *J->wp2);
    J->res = malloc(n * sizeof *J->res), J->dw = malloc(n * sizeof *J->dw);
    J->scale_o = malloc(n_ch * sizeof *J->scale_o), J->scale_p = malloc(n_ch * sizeof *J->scale_p);
    J->zp_o = calloc(n_ch, sizeof *J->zp_o), J->zp_p = calloc(n_ch, sizeof *J->zp_p);
    J->delta = calloc(n_ch, sizeof *J->delta), J->before_g = calloc(g, sizeof *J->before_g);
    J->bias_now = calloc(n_ch, sizeof *J->bias_now);
    J->sol = calloc(g, sizeof *J->sol), J->sst = calloc(g, sizeof *J->sst), J->serr = calloc(g, sizeof *J->serr);
    bool ok = J->wp && J->wp2 && J->res && J->dw && J->scale_o && J->scale_p && J->zp_o && J->zp_p && J->delta &&
              J->before_g && J->bias_now && J->sol && J->sst && J->serr;
    return ok ? ET_OK : oom(J);
}

/* The plain weights rounded: with their own scales (wp, as recover none) and with recovery's (wp2). */
static et_status job_plain(layer_job *J) {
    const et_knobs *k = et_tune_knobs_at(J->R->c, J->l); /* this layer's bits and grid */
    int64_t n = J->n, per = J->per;
    et_wview rv = {.n_ch = J->n_ch, .per_ch = per, .ch_stride = per, .el_stride = 1};
    J->bits = J->quant ? k->weight_bits : 0;
    J->symmetric = k->act_bits == 8 || k->symmetric;
    J->wq = (et_wq_config){.bits = J->bits,
                           .symmetric = J->symmetric,
                           .per_channel = k->granularity == ET_GRAN_CHANNEL,
                           .clip = k->clip,
                           .percentile = 99.99f};
    if (J->bits == 16) {
        et_round_fp16(J->wc, J->wp, n);
        memcpy(J->wp2, J->wp, (size_t)n * sizeof *J->wp2);
        return ET_OK;
    }
    if (J->bits < 2 || J->bits > 8) {
        memcpy(J->wp, J->wc, (size_t)n * sizeof *J->wp);
        memcpy(J->wp2, J->wc, (size_t)n * sizeof *J->wp2);
        return ET_OK;
    }
    et_wq_range(J->bits, J->symmetric, &J->qmin, &J->qmax);
    /* recovery's own grid comes from the pristine weights, as GPTQ's */
    et_status st = et_quantize_weights(J->wc, &rv, &J->wq, J->scale_p, J->zp_p, NULL, J->wp, J->R->c->err);
    if (st == ET_OK)
        st = et_quantize_weights(J->wo, &rv, &J->wq, J->scale_o, J->zp_o, NULL, NULL, J->R->c->err);
    for (int64_t o = 0; st == ET_OK && o < J->n_ch; o++)
        for (int64_t i = 0; i < per; i++) {
            float s = J->scale_o[o], inv = 1.0f / s;
            long v = lrintf(J->wc[o * per + i] * inv) + J->zp_o[o];
            v = v < J->qmin ? J->qmin : v > J->qmax ? J->qmax : v;
            J->wp2[o * per + i] = s * (float)(v - J->zp_o[o]);
        }
    return st;
}

/* The output energy and the plain weights' error, per group, on the layer's own H. */
static et_status job_before(layer_job *J) {
    et_recover_run *R = J->R;
    int64_t rows = J->rows, per = J->per;
    et_threadpool *pool = J->groups > 1 ? NULL : R->pool;
    for (int64_t gi = 0; gi < J->groups; gi++) {
        const double *h = R->hs.h + gi * per * per;
        int64_t off = gi * rows * per;
        for (int64_t i = 0; i < rows * per; i++)
            J->dw[off + i] = J->wo[off + i] - J->wp[off + i];
        double e, b;
        if (J->ref) { /* against the reference output: |y_ref - Wp x|^2 = y2 - 2 <Wp, cross> + Wp H Wp^T */
            double wc2 = 0.0;
            const double *cr = R->hs.cross + off;
            for (int64_t i = 0; i < rows * per; i++)
                wc2 += (double)J->wp[off + i] * cr[i];
            double q = et_obq_quad(J->wp + off, rows, per, h, pool);
            e = q < 0 ? -1 : R->hs.y2[gi];
            b = q < 0 ? -1 : fmax(0.0, e - 2.0 * wc2 + q);
        } else {
            e = et_obq_quad(J->wo + off, rows, per, h, pool);
            b = et_obq_quad(J->dw + off, rows, per, h, pool);
        }
        if (e < 0 || b < 0)
            return oom(J);
        J->energy += e, J->before += b;
        J->before_g[gi] = b;
    }
    return ET_OK;
}

typedef struct group_job {
    et_recover_run *R;
    int64_t rows, d;
    float *res;           /* n_ch x d: in, pristine; out, result */
    const float *plain_q; /* the plain weights rounded with the recovery's scales (the fallback) */
    const float *cur;     /* the plain weights before rounding (their zero counts) */
    const int64_t *zeros; /* per group, its zeros when not the plain weights' (or NULL) */
    et_solve proto;
    et_solve *out;     /* per group */
    et_status *status; /* per group */
    et_err *errs;      /* per group */
    bool inner_pool;   /* one group: the solve may use the pool */
} group_job;

static void solve_groups(void *ctx, size_t b, size_t e) {
    group_job *G = ctx;
    for (size_t gi = b; gi < e; gi++) {
        et_solve s = G->proto;
        int64_t off = (int64_t)gi * G->rows * G->d;
        s.w = G->res + off;
        s.w_plain = G->plain_q + off;
        s.h = G->R->hs.h + (int64_t)gi * G->d * G->d;
        if (s.scale)
            s.scale += (int64_t)gi * G->rows, s.zero_point += (int64_t)gi * G->rows;
        if (s.scale_out)
            s.scale_out += (int64_t)gi * G->rows, s.zp_out += (int64_t)gi * G->rows;
        if (s.mask == ET_OBQ_MASK_ADAPTIVE)
            s.prune_count = G->zeros ? G->zeros[gi] : count_zeros(G->cur + off, G->rows * G->d);
        if (G->R->hs.cross) {
            s.cross = G->R->hs.cross + off;
            s.y2 = G->R->hs.y2[gi];
        }
        G->status[gi] = et_solve_run(&s, G->inner_pool ? G->R->pool : NULL, &G->errs[gi]);
        G->out[gi] = s;
    }
}

/* The solve's settings for this layer: the mask, and where the grid comes from. */
static et_solve solve_proto(const layer_job *J) {
    const et_tune_ctx *c = J->R->c;
    const et_knobs *k = et_tune_knobs_at(c, J->l);
    bool integer = J->bits >= 2 && J->bits <= 8;
    et_solve p = {.rows = J->rows,
                  .d = J->per,
                  .n_samples = J->R->hs.rows,
                  .bits = J->bits,
                  .qmin = J->qmin,
                  .qmax = J->qmax,
                  .wq = &J->wq,
                  .ksize = J->L->kind == ET_WL_CONV ? J->L->ksize : 1,
                  .act_order = c->opt->recover_act_order,
                  .exact_masks = c->opt->recover_exact_masks};
    if (J->refit) {
        p.mask = ET_OBQ_MASK_FIXED;
        p.chan_keep = c->chan_keep[J->l];
        p.scale_out = J->scale_o, p.zp_out = J->zp_o; /* scales from the refit weights */
        return p;
    }
    if (integer && (J->wq.per_channel || J->groups == 1)) {
        /* scales from the solve's own target (the pristine weights, or their fit to the reference output, which
         * may reach past the pristine range) */
        p.scale_out = J->scale_o, p.zp_out = J->zp_o;
    } else {
        p.scale = integer ? J->scale_o : NULL; /* one scale for several groups */
        p.zero_point = J->zp_o;
    }
    if (J->masked)
        p.mask = k->prune_method == ET_PRUNE_NM ? ET_OBQ_MASK_NM : ET_OBQ_MASK_ADAPTIVE;
    p.nm_n = k->nm_n, p.nm_m = k->nm_m;
    return p;
}

/* Grouped layers (depthwise) with exact masks: the layer's zeros shared out over its groups by what the exact
 * walk of each channel costs (on its group's Hessian, dampened as the solve will), not where magnitude put them.
 * NULL (magnitude's shares) when a Hessian does not factor or memory runs out. */
static int64_t *group_zeros(const layer_job *J, const et_solve *proto) {
    int64_t g = J->groups, rows = J->rows, d = J->per;
    if (g < 2 || proto->mask != ET_OBQ_MASK_ADAPTIVE || !proto->exact_masks || !et_obs_exact_fits(rows, d))
        return NULL;
    double *h = malloc((size_t)(d * d) * sizeof *h), *cost = malloc((size_t)(J->n_ch * d) * sizeof *cost);
    int64_t *cnt = malloc((size_t)J->n_ch * sizeof *cnt), *zeros = calloc((size_t)g, sizeof *zeros);
    bool ok = h && cost && cnt && zeros;
    for (int64_t gi = 0; ok && gi < g; gi++) {
        memcpy(h, J->R->hs.h + gi * d * d, (size_t)(d * d) * sizeof *h);
        double mean = 0.0;
        for (int64_t j = 0; j < d; j++) {
            h[j * d + j] = h[j * d + j] == 0.0 ? 1.0 : h[j * d + j];
            mean += h[j * d + j] / (double)d;
        }
        for (int64_t j = 0; j < d; j++)
            h[j * d + j] += 0.01 * mean;
        et_err e = {0};
        ok = et_chol_upper_rev(h, d, NULL) &&
             et_obs_costs(J->wo + gi * rows * d, rows, d, h, cost + gi * rows * d, NULL, &e) == ET_OK;
    }
    if (ok) {
        et_obs_share(cost, J->n_ch, d, count_zeros(J->wc, J->n), cnt);
        for (int64_t o = 0; o < J->n_ch; o++)
            zeros[o / rows] += cnt[o];
    }
    free(h), free(cost), free(cnt);
    if (!ok)
        free(zeros);
    return ok ? zeros : NULL;
}

/* full: the weights solved per group; J->after their error (a group that fell back: rounding's). */
static et_status job_solve(layer_job *J) {
    et_recover_run *R = J->R;
    et_tune_ctx *c = R->c;
    memcpy(J->res, J->wo, (size_t)J->n * sizeof *J->res);
    group_job G = {.R = R,
                   .rows = J->rows,
                   .d = J->per,
                   .res = J->res,
                   .plain_q = J->refit ? J->wp : J->wp2,
                   .cur = J->wc,
                   .proto = solve_proto(J),
                   .out = J->sol,
                   .status = J->sst,
                   .errs = J->serr,
                   .inner_pool = J->groups == 1};
    int64_t *zeros = group_zeros(J, &G.proto);
    G.zeros = zeros;
    if (J->groups > 1 && R->pool)
        et_threadpool_parallel_for_chunked(R->pool, (size_t)J->groups, 8, solve_groups, &G);
    else
        solve_groups(&G, 0, (size_t)J->groups);
    free(zeros);
    J->after = 0.0;
    int fell = 0;
    for (int64_t gi = 0; gi < J->groups; gi++) {
        if (J->sst[gi] != ET_OK) {
            if (c->err)
                *c->err = J->serr[gi];
            return J->sst[gi];
        }
        fell += J->sol[gi].fell_back;
        /* a group that fell back: rounding's error (its scales may differ by a hair from plain's) */
        J->after += J->sol[gi].fell_back ? J->before_g[gi] : J->sol[gi].err;
    }
    if (fell) {
        c->rep->n_fallback++;
        et_tune_note(c, true, "%s: %s", J->node->name, J->sol[0].fell_back ? J->sol[0].why : "fell back to rounding");
    }
    if (J->refit && fell) { /* the plain weights with their own scales */
        memcpy(J->scale_o, J->scale_p, (size_t)J->n_ch * sizeof *J->scale_o);
        memcpy(J->zp_o, J->zp_p, (size_t)J->n_ch * sizeof *J->zp_o);
    }
    return ET_OK;
}

/* Each output's mean error over the calibration rows into delta, and what that takes off the error. */
static void job_bias(layer_job *J) {
    const et_hess *hs = &J->R->hs;
    double inv_n = hs->rows > 0 ? 1.0 / (double)hs->rows : 0.0, gain = 0.0;
    for (int64_t o = 0; o < J->n_ch; o++) {
        const double *sum = hs->sum + (o / J->rows) * J->per;
        const double *sum_ref = J->ref ? hs->sum_ref + (o / J->rows) * J->per : sum; /* the reference's inputs */
        double s = 0.0;
        for (int64_t i = 0; i < J->per; i++)
            s += (double)J->wo[o * J->per + i] * sum_ref[i] - (double)J->res[o * J->per + i] * sum[i];
        J->delta[o] = s * inv_n;
        gain += s * s * inv_n; /* N (mean error)^2 */
    }
    if (J->node->op != ET_OP_MATMUL)
        J->after -= gain;
    J->after = J->after > 0.0 ? J->after : 0.0;
}

/* The result into the graph and the report. */
static et_status job_commit(layer_job *J) {
    et_recover_run *R = J->R;
    et_tune_ctx *c = R->c;
    const et_knobs *k = et_tune_knobs_at(c, J->l); /* granularity per layer */
    float *w = et_tune_writable(c, J->L->weight);
    if (!w)
        return oom(J);
    et_recover_scatter(w, &J->L->view, J->res);
    et_status st = ET_OK;
    if (J->quant)
        st = et_recover_attach_quant(c, J->L, J->bits, J->symmetric, k->granularity == ET_GRAN_CHANNEL || J->bits == 16,
                                     J->scale_o, J->zp_o);
    if (st == ET_OK)
        st = et_recover_add_bias(R, J->l, J->delta, J->bias_now);
    if (st != ET_OK)
        return st;
    c->rep->n_recovered++;
    if (c->rep->n_layer_errs < ET_TUNE_MAX_LAYER_ERRS) {
        et_tune_layer_err *e = &c->rep->layer_err[c->rep->n_layer_errs++];
        snprintf(e->name, sizeof e->name, "%s", J->node->name);
        e->before = J->energy > 0 ? (float)(J->before / J->energy) : NAN;
        e->after = J->energy > 0 ? (float)(J->after / J->energy) : NAN;
        e->fallback[0] = '\0';
        for (int64_t gi = 0; gi < J->groups && et_tune_knobs_at(c, J->l)->recover == ET_RECOVER_FULL; gi++)
            if (J->sol[gi].fell_back) {
                snprintf(e->fallback, sizeof e->fallback, "%s", J->sol[gi].why);
                break;
            }
    }
    R->result[J->l] = ET_RECOVER_DONE | (J->quant ? ET_RECOVER_QUANT : 0);
    if (getenv("ET_RECOVER_DEBUG")) /* a developer's trace of where the time goes */
        fprintf(stderr,
                "%8.0f ms %s: walk %.0f ms (Hessian %.0f), solve %.0f ms; %lld rows, %lld x %lld in %lld "
                "groups; error %.4g -> %.4g\n",
                et_clock_ms() - R->t0_ms, J->node->name, J->t_walk, R->hess_ms, et_clock_ms() - J->t_solve,
                (long long)R->hs.rows, (long long)J->rows, (long long)J->per, (long long)J->groups,
                J->energy > 0 ? J->before / J->energy : 0, J->energy > 0 ? J->after / J->energy : 0);
    R->hess_ms = 0;
    return ET_OK;
}

/* The base's run: what the record keeps of this layer (statistics, and the result when has_result). */
static void record_layer(layer_job *J, bool has_result) {
    et_recover_run *R = J->R;
    et_tune_ctx *c = R->c;
    const et_hess *hs = &R->hs;
    float *bias = has_result && J->node->op != ET_OP_MATMUL ? malloc((size_t)J->n_ch * sizeof *bias) : NULL;
    if (bias)
        et_recover_current_bias(c, J->l, bias);
    et_recover_rec r = {.print = J->print,
                        .has_result = has_result,
                        .quantized = J->quant,
                        .has_scale = J->quant,
                        .has_bias = bias != NULL,
                        .has_ref = hs->cross != NULL,
                        .groups = hs->groups,
                        .d = hs->d,
                        .rows = hs->rows,
                        .rows_g = hs->rows_g,
                        .n = J->n,
                        .n_ch = J->n_ch,
                        .h = J->h_rec ? J->h_rec : hs->h,
                        .sum = hs->sum,
                        .cross = hs->cross,
                        .sum_ref = hs->sum_ref,
                        .y2 = hs->y2,
                        .w = J->res,
                        .scale = J->scale_o,
                        .zp = J->zp_o,
                        .bias = bias};
    if (has_result && c->rep->n_layer_errs > 0)
        r.err = c->rep->layer_err[c->rep->n_layer_errs - 1];
    et_recover_rec_put(c, R->base_key, J->L->node, &r); /* not kept: a point recovers in full */
    free(bias);
}

/* A point: the base's statistics for this layer into R->hs (copies: the solve takes H apart). */
static et_status base_stats(layer_job *J, const et_recover_rec *r) {
    et_hess *hs = &J->R->hs;
    memset(hs, 0, sizeof *hs);
    hs->groups = r->groups, hs->d = r->d, hs->rows = r->rows, hs->rows_g = r->rows_g;
    size_t hb = (size_t)(r->groups * r->d * r->d) * sizeof(double), sb = (size_t)(r->groups * r->d) * sizeof(double);
    hs->h = et_aligned_alloc(hb);
    hs->sum = malloc(sb);
    bool ok = hs->h && hs->sum;
    if (ok && r->has_ref) {
        size_t cb = (size_t)(r->groups * r->rows_g * r->d) * sizeof(double);
        hs->cross = malloc(cb), hs->sum_ref = malloc(sb), hs->y2 = malloc((size_t)r->groups * sizeof(double));
        ok = hs->cross && hs->sum_ref && hs->y2;
        if (ok) {
            memcpy(hs->cross, r->cross, cb);
            memcpy(hs->sum_ref, r->sum_ref, sb);
            memcpy(hs->y2, r->y2, (size_t)r->groups * sizeof(double));
        }
    }
    if (!ok)
        return oom(J);
    memcpy(hs->h, r->h, hb);
    memcpy(hs->sum, r->sum, sb);
    J->ref = r->has_ref;
    return ET_OK;
}

/* A point: the base's result for a layer whose solve would read the same (written as a cached result is). */
static et_status base_apply(layer_job *J, const et_recover_rec *r) {
    et_recover_run *R = J->R;
    et_tune_ctx *c = R->c;
    const et_knobs *k = et_tune_knobs_at(c, J->l);
    float *w = et_tune_writable(c, J->L->weight);
    double *delta = calloc((size_t)J->n_ch, sizeof *delta);
    float *now = calloc((size_t)J->n_ch, sizeof *now), *out = calloc((size_t)J->n_ch, sizeof *out);
    et_status st = w && delta && now && out ? ET_OK : oom(J);
    if (st == ET_OK) {
        et_recover_scatter(w, &J->L->view, r->w);
        if (r->quantized)
            st = et_recover_attach_quant(c, J->L, k->weight_bits, k->act_bits == 8 || k->symmetric,
                                         k->granularity == ET_GRAN_CHANNEL || k->weight_bits == 16, r->scale, r->zp);
    }
    if (st == ET_OK && r->bias) {
        et_recover_current_bias(c, J->l, now);
        for (int64_t o = 0; o < J->n_ch; o++)
            delta[o] = (double)r->bias[o] - (double)now[o];
        st = et_recover_add_bias(R, J->l, delta, out);
    }
    free(delta), free(now), free(out);
    if (st != ET_OK)
        return st;
    c->rep->n_recovered++;
    if (c->rep->n_layer_errs < ET_TUNE_MAX_LAYER_ERRS)
        c->rep->layer_err[c->rep->n_layer_errs++] = r->err;
    R->result[J->l] = ET_RECOVER_DONE | (r->quantized ? ET_RECOVER_QUANT : 0);
    return ET_OK;
}

/* The statistics: from the walk (recording them in the base's run), or in a point from the base's record, where
 * *applied says the base's result was taken as it is. */
static et_status layer_statistics(layer_job *J, bool *applied) {
    et_recover_run *R = J->R;
    et_tune_ctx *c = R->c;
    *applied = false;
    if (R->base_key)
        J->print = et_recover_layer_print(c, J->l, J->quant, J->masked, J->refit, J->wc, J->n);
    if (!R->base_key || R->base_write) {
        et_status st = job_statistics(J);
        if (st == ET_OK && R->base_write) {
            size_t hb = (size_t)(R->hs.groups * R->hs.d * R->hs.d) * sizeof(double);
            if ((J->h_rec = malloc(hb)))
                memcpy(J->h_rec, R->hs.h, hb);
        }
        return st;
    }
    et_recover_rec r;
    if (!et_recover_rec_get(c, R->base_key, J->L->node, &r) || r.groups != J->groups || r.d != J->per)
        return et_fail(c->err, ET_E_RUNTIME, "%s: the base's recovery record does not fit this layer", J->node->name);
    if (r.has_result && r.print == J->print && r.n == J->n) {
        *applied = true;
        return base_apply(J, &r);
    }
    R->n_resolved++;
    return base_stats(J, &r);
}

et_status et_recover_layer_stats(et_recover_run *R, int l) {
    et_tune_ctx *c = R->c;
    const et_wlayer *L = &c->layers[l];
    layer_job J = {.R = R, .l = l, .L = L, .node = &c->g->nodes[L->node]};
    if (c->g->values[L->weight].n_consumers > 1)
        return ET_OK;
    J.n_ch = L->view.n_ch, J.per = L->view.per_ch, J.n = J.n_ch * J.per;
    J.groups = L->kind == ET_WL_CONV ? L->group : 1, J.rows = J.n_ch / J.groups;
    bool skip = false;
    et_status st = job_weights(&J, &skip);
    if (st == ET_OK && (st = job_statistics(&J)) == ET_OK)
        record_layer(&J, false);
    job_free(&J);
    return st;
}

et_status et_recover_layer(et_recover_run *R, int l) {
    et_tune_ctx *c = R->c;
    const et_knobs *k = et_tune_knobs_at(c, l); /* bits, method and recovery method per layer */
    const et_wlayer *L = &c->layers[l];
    layer_job J = {.R = R, .l = l, .L = L, .node = &c->g->nodes[L->node]};
    if (c->g->values[L->weight].n_consumers > 1) {
        et_tune_note(c, false, "%s: weights shared with another layer, not compensated", J.node->name);
        return ET_OK;
    }
    J.refit = c->chan_keep && c->chan_keep[l];
    J.quant = R->quantize[l] && k->weight_bits < 32 && !c->keep[l];
    J.masked = c->pruned[l] && !c->keep[l] && k->prune_method != ET_PRUNE_CHANNEL;
    J.n_ch = L->view.n_ch, J.per = L->view.per_ch, J.n = J.n_ch * J.per;
    J.groups = L->kind == ET_WL_CONV ? L->group : 1, J.rows = J.n_ch / J.groups;
    bool skip = false, applied = false;
    et_status st = job_weights(&J, &skip);
    if (st == ET_OK && !skip && (st = layer_statistics(&J, &applied)) == ET_OK && !applied &&
        (st = job_alloc(&J)) == ET_OK) {
        J.t_solve = et_clock_ms();
        if ((st = job_plain(&J)) == ET_OK && (st = job_before(&J)) == ET_OK) {
            if (k->recover == ET_RECOVER_FULL) {
                st = job_solve(&J);
            } else {
                J.after = J.before;
                memcpy(J.res, J.wp, (size_t)J.n * sizeof *J.res);
                memcpy(J.scale_o, J.scale_p, (size_t)J.n_ch * sizeof *J.scale_o);
                memcpy(J.zp_o, J.zp_p, (size_t)J.n_ch * sizeof *J.zp_o);
            }
        }
        if (st == ET_OK) {
            job_bias(&J);
            st = job_commit(&J);
        }
        if (st == ET_OK && R->base_write)
            record_layer(&J, true);
    }
    job_free(&J);
    return st;
}
