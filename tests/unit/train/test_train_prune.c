/* test_train_prune.c: the shares of gradual pruning besides the trainer's loop (test_trainer.c): the
 * Erdos-Renyi-kernel shares of et_prune_erk on the MobileNetV2-style fixture (the overall sparsity is the
 * target; depthwise layers keep more than pointwise ones; the kept fraction follows sum(dims) / prod(dims)), and
 * masks from shares scaled by the schedule's progress (each layer loses exactly floor(scale x share x count)). */
#include <math.h>

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
    ET_CHECK(et_prune_magnitude_shares(n, prunable, share, 0.5f, &err) == ET_OK);
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

int main(void) {
    ET_RUN(test_erk_shares);
    return et_test_done();
}
