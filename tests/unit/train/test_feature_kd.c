/* test_feature_kd.c: distillation of inner features (train/feature_kd.h) on the digits fixture (8x8 images, two
 * convolutions and a Gemm; the teacher is the fp32 model): the gradient it hands to the backward is the gradient
 * of its loss (central differences of the loss in the weights of both convolutions), and a few epochs of
 * training with it leave the 70 %-pruned student's convolution outputs nearer the teacher's (by at least a tenth) than the same
 * training on the outputs' distillation alone. With 50 % channel pruning (no recovery) both convolutions pair
 * through channel maps, each map is the one the weights say (a kept filter is a teacher filter's copy, on the
 * kept input channels), and the gradient is again the loss's. */
#include <math.h>

#include "et_test.h"
#include "model/model.h"
#include "model/npy.h"
#include "train/tnet.h"
#include "train/trainer.h"
#include "tune/tune.h"

enum { N = 360, PIX = 64, BATCH = 16 };

static float images[N * PIX];

static const char *src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

static bool load_digits(void) {
    char path[1024];
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/fixtures/models/digits.eval/input_%03d.npy", src_dir(), i);
        et_npy t;
        et_err err = {0};
        if (et_npy_read(path, &t, &err) != ET_OK || t.nbytes != PIX * sizeof(float))
            return false;
        memcpy(images + i * PIX, t.data, t.nbytes);
        et_npy_free(&t);
    }
    return true;
}

static et_status read_sample(void *ctx, int64_t i, float *const *dst, et_err *err) {
    (void)ctx, (void)err;
    memcpy(dst[0], images + i * PIX, PIX * sizeof(float));
    return ET_OK;
}

typedef struct job {
    et_model *m;
    et_graph *tuned, *fp32;
    et_tnet *net;
    et_optim *opt;
    et_teacher *teacher;
    et_feature_kd *fkd;
    et_train_state *state;
} job;

/* The digits model 70 % pruned (masks), or 50 % of its channels removed, its fp32 clone and a feature
 * distillation of weight w between them. */
static bool job_open_as(job *j, float w, bool channel) {
    memset(j, 0, sizeof *j);
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/digits.onnx", src_dir());
    et_err err = {0};
    et_knobs k = et_knobs_default(), fp = et_knobs_default();
    k.prune_ratio = channel ? 0.5f : 0.7f;
    k.prune_method = channel ? ET_PRUNE_CHANNEL : k.prune_method;
    k.quantize_all = true;
    et_tune_report rep;
    et_tnet_options o = et_tnet_options_default();
    o.batch = BATCH;
    int masked = 0;
    int64_t n[2] = {300, 0};
    et_optim_config oc = et_optim_config_default(ET_OPTIM_ADAMW);
    bool ok = et_model_load(path, NULL, &j->m, &err) == ET_OK &&
              et_tune_apply(j->m->graph, &k, NULL, &j->tuned, &rep, &err) == ET_OK &&
              et_tune_apply(j->m->graph, &fp, NULL, &j->fp32, &rep, &err) == ET_OK &&
              et_tnet_create(j->tuned, &o, &j->net, &err) == ET_OK &&
              et_train_masks_from_tuned(j->net, j->m->graph, &masked, &err) == ET_OK &&
              et_optim_create(&oc, j->net, &j->opt, &err) == ET_OK &&
              et_teacher_create(j->m->graph, 1, n, 1 << 20, &j->teacher, &err) == ET_OK &&
              et_feature_kd_create(j->net, j->fp32, w, &j->fkd, &err) == ET_OK &&
              (j->state = calloc(1, sizeof *j->state));
    if (!ok)
        fprintf(stderr, "job: %s\n", err.msg);
    return ok;
}

static bool job_open(job *j, float w) { return job_open_as(j, w, false); }

static void job_close(job *j) {
    et_feature_kd_free(j->fkd);
    et_teacher_free(j->teacher);
    et_optim_free(j->opt);
    et_tnet_free(j->net);
    et_graph_free(j->fp32);
    et_graph_free(j->tuned);
    et_model_free(j->m);
    free(j->state);
}

/* The feature loss of samples at..at+BATCH after a forward (training mode: what the backward sees); the
 * gradients it hands over are withdrawn unless keep. */
static double feature_loss(job *j, int at, bool keep) {
    et_err err = {0};
    for (int b = 0; b < BATCH; b++)
        memcpy(et_tnet_input(j->net, 0) + b * PIX, images + (at + b) * PIX, PIX * sizeof(float));
    double loss = NAN;
    if (et_tnet_forward(j->net, BATCH, true, &err) != ET_OK || et_feature_kd_step(j->fkd, BATCH, &loss, &err) != ET_OK)
        fprintf(stderr, "feature loss: %s\n", err.msg);
    if (!keep)
        et_tnet_add_value_grads(j->net, 0, NULL, NULL);
    return loss;
}

static void check_gradient(job *j);

static void test_gradient_is_the_losses(void) {
    job j;
    ET_REQUIRE(job_open(&j, 2.0f));
    ET_CHECK_INT(et_feature_kd_layers(j.fkd), 2);
    ET_CHECK_INT(et_feature_kd_mapped(j.fkd), 0);
    check_gradient(&j);
    job_close(&j);
}

static void check_gradient(job *jp) {
    job j = *jp;
    double l0 = feature_loss(&j, 0, true);
    ET_CHECK_MSG(l0 > 0 && isfinite(l0), "feature loss of the pruned student %g", l0);
    for (int o = 0; o < et_tnet_n_outputs(j.net); o++) /* only the feature loss flows back */
        memset(et_tnet_output_grad(j.net, o), 0, (size_t)(BATCH * et_tnet_output_numel(j.net, o)) * sizeof(float));
    et_tnet_backward(j.net);
    int checked = 0;
    for (int i = 0; i < et_tnet_n_params(j.net); i++) {
        et_tparam *p = et_tnet_param(j.net, i);
        if (p->kind != ET_TPARAM_WEIGHT || p->shape.rank != 4)
            continue; /* the convolutions (the Gemm comes after every paired layer: no gradient) */
        float *grad = malloc((size_t)p->numel * sizeof *grad);
        memcpy(grad, p->grad, (size_t)p->numel * sizeof *grad);
        double gmax = 0;
        for (int64_t e = 0; e < p->numel; e++)
            gmax = fmax(gmax, fabs(grad[e]));
        ET_CHECK_MSG(gmax > 0, "%s: no gradient from the feature loss", p->name);
        for (int64_t e = 0, seen = 0; e < p->numel && seen < 12; e++) {
            if (p->mask && !p->mask[e])
                continue;
            const float h = 1e-2f, w0 = p->w[e];
            p->w[e] = w0 + h;
            et_tnet_weights_changed(j.net);
            double lp = feature_loss(&j, 0, false);
            p->w[e] = w0 - h;
            et_tnet_weights_changed(j.net);
            double lm = feature_loss(&j, 0, false);
            p->w[e] = w0;
            et_tnet_weights_changed(j.net);
            double fd = (lp - lm) / (2.0 * h);
            ET_CHECK_MSG(fabs(fd - grad[e]) <= 2e-3 + 3e-2 * gmax, "%s[%lld]: backward %g, central difference %g",
                         p->name, (long long)e, (double)grad[e], fd);
            seen++, checked++;
        }
        free(grad);
    }
    ET_CHECK_INT(checked, 24);
}

/* Mean feature loss (per unit weight) of the student on samples 300..347. */
static double feature_error(job *j, float w) {
    double s = 0;
    for (int at = 300; at + BATCH <= 348; at += BATCH)
        s += feature_loss(j, at, false) / w;
    return s / 3.0;
}

static void test_training_pulls_the_features(void) {
    job a, b;
    ET_REQUIRE(job_open(&a, 3.0f) && job_open(&b, 3.0f));
    double e0 = feature_error(&a, 3.0f);
    et_train_source src = {.n = 300, .read = read_sample};
    et_train_config c = et_train_config_default();
    c.epochs = 3, c.batch = BATCH, c.lr = 3e-3f, c.seed = 7;
    et_train_outcome out;
    et_err err = {0};
    c.feature_kd = a.fkd; /* a: outputs and features; b: outputs alone */
    ET_REQUIRE(et_train_run(a.net, a.opt, a.teacher, &src, NULL, NULL, &c, a.state, &out, &err) == ET_OK);
    c.feature_kd = NULL;
    ET_REQUIRE(et_train_run(b.net, b.opt, b.teacher, &src, NULL, NULL, &c, b.state, &out, &err) == ET_OK);
    double ea = feature_error(&a, 3.0f), eb = feature_error(&b, 3.0f);
    fprintf(stderr,
            "  digits 70%% pruned, relative feature error %.4f before, %.4f after 3 epochs with features, %.4f "
            "without\n",
            e0, ea, eb);
    ET_CHECK_MSG(ea < 0.9 * eb, "with feature distillation %.4f, without %.4f", ea, eb);
    job_close(&a);
    job_close(&b);
}

/* The parameter of the weights of the Conv node in net's graph whose output is named `out`. */
static et_tparam *conv_weight(et_tnet *net, const char *out) {
    for (int k = 0; k < net->g->n_nodes; k++) {
        const et_node *nd = &net->g->nodes[k];
        if (nd->op == ET_OP_CONV && nd->n_outputs > 0 && strcmp(net->g->values[nd->outputs[0]].name, out) == 0)
            return net->values[nd->inputs[1]].param >= 0 ? et_tnet_param(net, net->values[nd->inputs[1]].param) : NULL;
    }
    return NULL;
}

/* Teacher filter of student filter o: the one whose weights on the kept input channels (in_map, or all) equal
 * the student's (no recovery: pruning only slices); -1 if none. */
static int filter_source(const et_tparam *s, const et_tparam *t, int o, const int *in_map) {
    int64_t cin_s = s->shape.dim[1], cin_t = t->shape.dim[1], k = s->shape.dim[2] * s->shape.dim[3];
    for (int64_t c = 0; c < t->shape.dim[0]; c++) {
        bool same = true;
        for (int64_t i = 0; i < cin_s && same; i++)
            for (int64_t e = 0; e < k && same; e++)
                same = s->w[(o * cin_s + i) * k + e] == t->w[(c * cin_t + (in_map ? in_map[i] : i)) * k + e];
        if (same)
            return (int)c;
    }
    return -1;
}

static void test_channel_maps(void) {
    job j;
    ET_REQUIRE(job_open_as(&j, 2.0f, true));
    ET_CHECK_INT(et_feature_kd_layers(j.fkd), 2);
    ET_CHECK_INT(et_feature_kd_mapped(j.fkd), 2);
    const char *name;
    int cs;
    ET_CHECK(et_feature_kd_map(j.fkd, 0, &name, &cs) == NULL); /* found on the first step */
    check_gradient(&j);
    et_tnet *teacher = NULL;
    et_tnet_options o = et_tnet_options_default();
    et_err err = {0};
    ET_REQUIRE(et_tnet_create(j.fp32, &o, &teacher, &err) == ET_OK);
    const int *in_map = NULL;
    for (int p = 0; p < et_feature_kd_layers(j.fkd); p++) { /* node order: conv2 reads conv1's kept channels */
        const int *map = et_feature_kd_map(j.fkd, p, &name, &cs);
        et_tparam *ws = conv_weight(j.net, name), *wt = conv_weight(teacher, name);
        ET_REQUIRE(map && ws && wt);
        ET_CHECK_MSG(cs < wt->shape.dim[0], "%s: %d of %lld channels", name, cs, (long long)wt->shape.dim[0]);
        int right = 0;
        for (int c = 0; c < cs; c++)
            right += filter_source(ws, wt, c, in_map) == map[c];
        fprintf(stderr, "  %s: %d channels of %lld kept, %d mapped to the teacher filter they were cut from\n", name,
                cs, (long long)wt->shape.dim[0], right);
        ET_CHECK_MSG(right == cs, "%s: %d of %d channels mapped to their source", name, right, cs);
        in_map = map;
    }
    ET_CHECK_MSG(et_feature_kd_match_worst(j.fkd) < 0.5, "match distance %g", et_feature_kd_match_worst(j.fkd));
    et_tnet_free(teacher);
    job_close(&j);
}

int main(void) {
    if (!load_digits()) {
        fprintf(stderr, "digits fixture missing\n");
        return 1;
    }
    ET_RUN(test_gradient_is_the_losses);
    ET_RUN(test_training_pulls_the_features);
    ET_RUN(test_channel_maps);
    return et_test_done();
}
