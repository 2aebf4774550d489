/* test_train_prune.c: the shares of gradual pruning besides the trainer's loop (test_trainer.c): the
 * Erdos-Renyi-kernel shares of et_prune_erk on the MobileNetV2-style fixture (the overall sparsity is the
 * target; depthwise layers keep more than pointwise ones; the kept fraction follows sum(dims) / prod(dims)), and
 * masks from shares scaled by the schedule's progress (each layer loses exactly floor(scale x share x count)). */
#include <math.h>
#include <string.h>

#include "et_test.h"
#include "model/model.h"
#include "train/train_prune.h"
#include "train/tnet.h"

static const char *src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

static bool depthwise(const et_tparam *p) { return p->shape.rank == 4 && p->shape.dim[1] == 1; }

static void test_erk_shares(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/fmnist_mbv2.onnx", src_dir());
    et_load_options lo = {0};
    et_model *m = NULL;
    et_err err = {0};
    ET_CHECK(et_model_load(path, &lo, &m, &err) == ET_OK);
    et_tnet_options o = et_tnet_options_default();
    o.batch = 1;
    et_tnet *n = NULL;
    ET_CHECK(m && et_tnet_create(m->graph, &o, &n, &err) == ET_OK);
    if (!n) {
        et_model_free(m);
        return;
    }
    const int np = et_tnet_n_params(n);
    bool *prunable = calloc((size_t)np, sizeof *prunable);
    float *share = calloc((size_t)np, sizeof *share);
    int64_t total = 0;
    int n_dw = 0, n_pw = 0;
    for (int i = 0; i < np; i++) {
        et_tparam *p = et_tnet_param(n, i);
        prunable[i] = p->kind == ET_TPARAM_WEIGHT && i > 0; /* the first layer stays, as tune keeps it */
        total += prunable[i] ? p->numel : 0;
    }
    const float target = 0.8f;
    et_prune_erk(n, prunable, target, share);
    double pruned = 0.0, dw_max = 0.0, pw_min = 1.0;
    for (int i = 0; i < np; i++) {
        et_tparam *p = et_tnet_param(n, i);
        if (!prunable[i]) {
            ET_CHECK(share[i] == 0.0f);
            continue;
        }
        ET_CHECK(share[i] >= 0.0f && share[i] < 1.0f);
        pruned += share[i] * (double)p->numel;
        if (depthwise(p))
            n_dw++, dw_max = share[i] > dw_max ? share[i] : dw_max;
        else if (p->shape.rank == 4 && p->shape.dim[2] == 1 && p->numel >= 1024)
            n_pw++, pw_min = share[i] < pw_min ? share[i] : pw_min;
    }
    ET_CHECK_MSG(fabs(pruned / (double)total - target) < 1e-4, "overall sparsity %g, target %g", pruned / (double)total,
                 (double)target);
    ET_CHECK(n_dw > 0 && n_pw > 0);
    ET_CHECK_MSG(dw_max < pw_min, "depthwise up to %g, big pointwise from %g", dw_max, pw_min);
    /* the kept fractions of two unsaturated layers are in the ratio of their sum(dims) / prod(dims) */
    int a = -1, b = -1;
    for (int i = 0; i < np; i++)
        if (prunable[i] && share[i] > 0.0f && share[i] < 1.0f)
            a < 0 ? (a = i) : (b = i);
    ET_CHECK(a >= 0 && b >= 0);
    if (a >= 0 && b >= 0) {
        double sa = 0, sb = 0;
        et_tparam *pa = et_tnet_param(n, a), *pb = et_tnet_param(n, b);
        for (int d = 0; d < 4 && d < pa->shape.rank; d++)
            sa += (double)pa->shape.dim[d];
        for (int d = 0; d < 4 && d < pb->shape.rank; d++)
            sb += (double)pb->shape.dim[d];
        double ra = (1.0 - share[a]) / (sa / (double)pa->numel), rb = (1.0 - share[b]) / (sb / (double)pb->numel);
        ET_CHECK_NEAR(ra / rb, 1.0, 1e-4);
    }

    /* masks at half the schedule: each layer loses floor(0.5 x share x count) */
    ET_CHECK(et_prune_magnitude_shares(n, prunable, share, 0.5f, false, NULL, &err) == ET_OK);
    for (int i = 0; i < np; i++) {
        et_tparam *p = et_tnet_param(n, i);
        if (!prunable[i])
            continue;
        int64_t zeros = 0;
        for (int64_t e = 0; p->mask && e < p->numel; e++)
            zeros += !p->mask[e];
        ET_CHECK_INT(zeros, (int64_t)(0.5 * (double)share[i] * (double)p->numel));
    }
    free(prunable), free(share);
    et_tnet_free(n);
    et_model_free(m);
}

/* The step of n that reads parameter i as its weight. */
static et_tstep *weight_step(et_tnet *n, int i) {
    for (int s = 0; s < n->n_steps; s++)
        if (n->steps[s].node && n->steps[s].n_in >= 2 && n->steps[s].in[1] == et_tnet_param(n, i)->value)
            return &n->steps[s];
    return NULL;
}

/* Squared change of step st's output over the batch against y0 after a forward on the same inputs. */
static double out_error(et_tnet *n, et_tstep *st, const float *y0, int64_t count) {
    et_err err = {0};
    ET_CHECK(et_tnet_forward(n, n->batch_now, false, &err) == ET_OK);
    const float *y = et_tv_data(n, st->out);
    double e = 0.0;
    for (int64_t t = 0; t < count; t++)
        e += ((double)y[t] - y0[t]) * ((double)y[t] - y0[t]);
    return e;
}

/* A compensated step (et_prune_compensate) changes a layer's output less than the plain magnitude step that
 * removes the same weights, measured on the layer's output in a forward; the error it reports is the measured one
 * (so its im2col windows are the convolution's); the weights the mask removes are 0 and exactly as many as the
 * share asks go. On the biggest pointwise layer, or the biggest depthwise one (3x3 windows, padding). */
static void check_compensated_step(bool depthwise_layer) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/fmnist_mbv2.onnx", src_dir());
    et_load_options lo = {0};
    et_model *m = NULL;
    et_err err = {0};
    ET_CHECK(et_model_load(path, &lo, &m, &err) == ET_OK);
    et_tnet_options o = et_tnet_options_default();
    o.batch = 8;
    et_tnet *n = NULL;
    ET_CHECK(m && et_tnet_create(m->graph, &o, &n, &err) == ET_OK);
    if (!n) {
        et_model_free(m);
        return;
    }
    const int np = et_tnet_n_params(n);
    /* the biggest 1x1 (or depthwise) convolution, alone prunable */
    int li = -1;
    for (int i = 0; i < np; i++) {
        et_tparam *p = et_tnet_param(n, i);
        bool kind = depthwise_layer ? depthwise(p) && p->shape.dim[2] == 3 && p->shape.dim[0] > 1
                                    : p->shape.rank == 4 && p->shape.dim[2] == 1 && p->shape.dim[1] > 1;
        if (p->kind == ET_TPARAM_WEIGHT && kind && (li < 0 || p->numel > et_tnet_param(n, li)->numel))
            li = i;
    }
    ET_CHECK(li >= 0);
    et_tstep *st = li >= 0 ? weight_step(n, li) : NULL;
    ET_CHECK(st != NULL);
    if (!st) {
        et_tnet_free(n), et_model_free(m);
        return;
    }
    et_tparam *p = et_tnet_param(n, li);
    float *in = et_tnet_input(n, 0);
    int64_t in_n = et_tnet_input_numel(n, 0) * o.batch;
    uint64_t seed = 12345;
    for (int64_t t = 0; t < in_n; t++) { /* images in [0, 1) */
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        in[t] = (float)(seed >> 40) / (float)(1ull << 24);
    }
    ET_CHECK(et_tnet_forward(n, o.batch, false, &err) == ET_OK);
    int64_t count = n->values[st->out].numel * o.batch;
    float *y0 = malloc((size_t)count * sizeof *y0), *w0 = malloc((size_t)p->numel * sizeof *w0);
    float *b = NULL;
    int bi = st->n_in >= 3 && st->in[2] >= 0 ? n->values[st->in[2]].param : -1;
    float *b0 = bi >= 0 ? malloc((size_t)et_tnet_param(n, bi)->numel * sizeof *b0) : NULL;
    memcpy(y0, et_tv_data(n, st->out), (size_t)count * sizeof *y0);
    memcpy(w0, p->w, (size_t)p->numel * sizeof *w0);
    if (b0) {
        b = et_tnet_param(n, bi)->w;
        memcpy(b0, b, (size_t)et_tnet_param(n, bi)->numel * sizeof *b0);
    }
    bool *prunable = calloc((size_t)np, sizeof *prunable);
    float *share = calloc((size_t)np, sizeof *share);
    prunable[li] = true, share[li] = 0.8f;

    /* plain magnitude step to half the share (40 %) */
    ET_CHECK(et_prune_magnitude_shares(n, prunable, share, 0.5f, false, NULL, &err) == ET_OK);
    double plain = out_error(n, st, y0, count);
    /* same removal, compensated: the network as it was first (dense, the same activations) */
    ET_CHECK(et_tnet_set_mask(n, li, NULL, &err) == ET_OK);
    memcpy(p->w, w0, (size_t)p->numel * sizeof *w0);
    if (b0)
        memcpy(b, b0, (size_t)et_tnet_param(n, bi)->numel * sizeof *b0);
    et_tnet_weights_changed(n);
    ET_CHECK(et_tnet_forward(n, o.batch, false, &err) == ET_OK);
    et_prune_comp_stats cs = {0};
    ET_CHECK(et_prune_magnitude_shares(n, prunable, share, 0.5f, true, &cs, &err) == ET_OK);
    double comp = out_error(n, st, y0, count);
    ET_CHECK_MSG(plain > 0.0 && comp < 0.5 * plain, "output error: compensated %g, plain %g", comp, plain);
    /* every row that lost a weight is refit (a depthwise row of 9 may lose none) */
    int64_t rows_losing = 0;
    for (int64_t r = 0; r < p->shape.dim[0]; r++) {
        int64_t row = p->numel / p->shape.dim[0], lost = 0;
        for (int64_t e = r * row; e < (r + 1) * row; e++)
            lost += p->mask && !p->mask[e];
        rows_losing += lost > 0;
    }
    ET_CHECK_MSG(cs.rows == rows_losing && rows_losing > 0, "%lld rows compensated, %lld lost weights",
                 (long long)cs.rows, (long long)rows_losing);
    ET_CHECK_MSG(fabs(cs.err_before - plain) <= 1e-3 * plain, "reported %g, measured %g", cs.err_before, plain);
    ET_CHECK_MSG(fabs(cs.err_after - comp) <= 1e-3 * plain, "reported %g, measured %g", cs.err_after, comp);
    int64_t zeros = 0, nonzero_pruned = 0;
    for (int64_t e = 0; e < p->numel; e++) {
        zeros += p->mask && !p->mask[e];
        nonzero_pruned += p->mask && !p->mask[e] && p->w_eff[e] != 0.0f;
    }
    ET_CHECK_INT(zeros, (int64_t)(0.5 * 0.8 * (double)p->numel));
    ET_CHECK_INT(nonzero_pruned, 0);
    free(y0), free(w0), free(b0), free(prunable), free(share);
    et_tnet_free(n);
    et_model_free(m);
}

static void test_compensated_pointwise(void) { check_compensated_step(false); }
static void test_compensated_depthwise(void) { check_compensated_step(true); }

int main(void) {
    ET_RUN(test_erk_shares);
    ET_RUN(test_compensated_pointwise);
    ET_RUN(test_compensated_depthwise);
    return et_test_done();
}
