/* test_torch_follow.c: the training engine follows PyTorch. fixtures/gen/train_ref.py exported a small CNN with
 * BatchNorm kept and trained it from the same initial weights on fixed batches with SGD (momentum, Nesterov,
 * weight decay, gradient clipping) and with AdamW, under a warm-up + cosine schedule, on a mix of distillation
 * (T = 2) and cross-entropy; it wrote its per-step learning rate, loss and gradient norm. This test trains the
 * ONNX file (BatchNorm with batch statistics) on the same batches and compares, step by step, at 1 and at 2
 * threads (the results must also be identical between the two).
 *
 * Tolerance: the loss and the gradient norm must stay within 1e-5 of PyTorch's (relative) over all ten steps
 * (measured on x86-64 AVX2: 1.3e-7, float rounding in another summation order). A wrong gradient anywhere makes
 * the second step's loss differ by far more. */
#include "et_test.h"
#include "model/model.h"
#include "model/npy.h"
#include "train/loss.h"
#include "train/optim.h"
#include "train/train.h"

enum { STEPS = 10, CLASSES = 5 };

enum {
    C_TEMPERATURE,
    C_KD_WEIGHT,
    C_WARMUP,
    C_SGD_LR,
    C_SGD_MIN_LR,
    C_SGD_MOMENTUM,
    C_SGD_NESTEROV,
    C_SGD_WD,
    C_SGD_CLIP,
    C_ADAMW_LR,
    C_ADAMW_MIN_LR,
    C_ADAMW_BETA1,
    C_ADAMW_BETA2,
    C_ADAMW_EPS,
    C_ADAMW_WD,
    C_ADAMW_CLIP,
    C_COUNT
};

typedef struct ref {
    et_npy data, labels, teacher, batches, config, run[2];
} ref;

static bool read(const char *name, et_npy *t) {
    char path[1024];
    const char *d = getenv("ET_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/fixtures/models/train_ref.%s.npy", d ? d : ET_SOURCE_DIR, name);
    et_err err = {0};
    if (et_npy_read(path, t, &err) != ET_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return false;
    }
    return true;
}

static bool read_all(ref *r) {
    return read("data", &r->data) && read("labels", &r->labels) && read("teacher", &r->teacher) &&
           read("batches", &r->batches) && read("config", &r->config) && read("sgd", &r->run[0]) &&
           read("adamw", &r->run[1]);
}

/* Trains with optimizer `kind` at `threads`; writes the per-step losses into losses. false on a failure. */
static bool follow(const ref *r, et_optim_kind kind, int threads, double *losses) {
    char path[1024];
    const char *d = getenv("ET_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/fixtures/models/train_ref.onnx", d ? d : ET_SOURCE_DIR);
    et_load_options lo = {.no_fusion = true};
    et_model *m = NULL;
    et_err err = {0};
    ET_CHECK_MSG(et_model_load(path, &lo, &m, &err) == ET_OK, "%s", err.msg);
    if (!m)
        return false;
    et_threadpool *pool = threads > 1 ? et_threadpool_create(threads, &err) : NULL;
    et_tnet_options o = et_tnet_options_default();
    o.batch = 8;
    o.bn = ET_BN_BATCH;
    o.pool = pool;
    et_tnet *net = NULL;
    et_optim *opt = NULL;
    bool ok = et_tnet_create(m->graph, &o, &net, &err) == ET_OK;
    ET_CHECK_MSG(ok, "%s", err.msg);
    const double *cfg = r->config.data;
    const bool adamw = kind == ET_OPTIM_ADAMW;
    et_optim_config oc = et_optim_config_default(kind);
    et_schedule sched = {.warmup = (int64_t)cfg[C_WARMUP], .total = STEPS};
    if (adamw) {
        oc.beta1 = (float)cfg[C_ADAMW_BETA1], oc.beta2 = (float)cfg[C_ADAMW_BETA2], oc.eps = (float)cfg[C_ADAMW_EPS];
        oc.weight_decay = (float)cfg[C_ADAMW_WD], oc.clip_norm = (float)cfg[C_ADAMW_CLIP];
        sched.lr = (float)cfg[C_ADAMW_LR], sched.min_lr = (float)cfg[C_ADAMW_MIN_LR];
    } else {
        oc.momentum = (float)cfg[C_SGD_MOMENTUM], oc.nesterov = cfg[C_SGD_NESTEROV] != 0;
        oc.weight_decay = (float)cfg[C_SGD_WD], oc.clip_norm = (float)cfg[C_SGD_CLIP];
        sched.lr = (float)cfg[C_SGD_LR], sched.min_lr = (float)cfg[C_SGD_MIN_LR];
    }
    ok = ok && et_optim_create(&oc, net, &opt, &err) == ET_OK;
    et_loss_config lc = {.temperature = (float)cfg[C_TEMPERATURE], .kd_weight = (float)cfg[C_KD_WEIGHT]};
    const double *want = r->run[adamw].data;
    const int64_t *sizes = r->batches.data, *labels = r->labels.data;
    const float *x = r->data.data, *t = r->teacher.data;
    float grad[8 * CLASSES];
    int64_t at = 0;
    double worst_loss = 0, worst_norm = 0;
    for (int s = 0; ok && s < STEPS; s++) {
        int b = (int)sizes[s];
        memcpy(et_tnet_input(net, 0), x + at * 144, (size_t)b * 144 * sizeof(float));
        ok = et_tnet_forward(net, b, true, &err) == ET_OK;
        et_loss_parts parts;
        losses[s] = et_loss_classes(et_tnet_output(net, 0), t + at * CLASSES, labels + at, b, CLASSES, &lc, grad,
                                    &parts);
        memcpy(et_tnet_output_grad(net, 0), grad, (size_t)b * CLASSES * sizeof(float));
        et_tnet_backward(net);
        float lr = et_schedule_lr(&sched, s);
        double norm = et_optim_step(opt, lr);
        ET_CHECK_MSG(fabs(lr - want[3 * s]) <= 1e-6 * want[3 * s], "%s step %d: lr %.8g, PyTorch %.8g",
                     et_optim_name(kind), s, lr, want[3 * s]);
        ET_CHECK_MSG(fabs(losses[s] - want[3 * s + 1]) <= 1e-5 * want[3 * s + 1],
                     "%s step %d (%d threads): loss %.8f, PyTorch %.8f", et_optim_name(kind), s, threads, losses[s],
                     want[3 * s + 1]);
        ET_CHECK_MSG(fabs(norm - want[3 * s + 2]) <= 1e-5 * want[3 * s + 2],
                     "%s step %d (%d threads): gradient norm %.8f, PyTorch %.8f", et_optim_name(kind), s, threads, norm,
                     want[3 * s + 2]);
        worst_loss = fmax(worst_loss, fabs(losses[s] - want[3 * s + 1]) / want[3 * s + 1]);
        worst_norm = fmax(worst_norm, fabs(norm - want[3 * s + 2]) / want[3 * s + 2]);
        at += b;
    }
    fprintf(stderr,
            "  %s, %d thread%s: largest difference from PyTorch over %d steps: loss %.2g, gradient norm %.2g "
            "(relative)\n",
            et_optim_name(kind), threads, threads > 1 ? "s" : "", STEPS, worst_loss, worst_norm);
    ET_CHECK_MSG(ok, "%s", err.msg);
    et_optim_free(opt);
    et_tnet_free(net);
    et_threadpool_destroy(pool);
    et_model_free(m);
    return ok;
}

static void test_follows_pytorch(void) {
    ref r;
    memset(&r, 0, sizeof r);
    ET_REQUIRE(read_all(&r));
    ET_REQUIRE(r.config.shape.dim[0] == C_COUNT && r.batches.shape.dim[0] == STEPS);
    for (int k = 0; k < ET_OPTIM_COUNT; k++) {
        double one[STEPS], two[STEPS];
        ET_CHECK(follow(&r, (et_optim_kind)k, 1, one));
        ET_CHECK(follow(&r, (et_optim_kind)k, 2, two));
        for (int s = 0; s < STEPS; s++)
            ET_CHECK_MSG(one[s] == two[s], "%s step %d: %.9g at 1 thread, %.9g at 2", et_optim_name(k), s, one[s],
                         two[s]);
    }
    et_npy *all[] = {&r.data, &r.labels, &r.teacher, &r.batches, &r.config, &r.run[0], &r.run[1]};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        et_npy_free(all[i]);
}

int main(void) {
    ET_RUN(test_follows_pytorch);
    return et_test_done();
}
