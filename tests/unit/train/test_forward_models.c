/* test_forward_models.c: the training engine's forward (evaluation mode) on the fixture models against the
 * framework's reference outputs (fixtures/README.md's tolerance: cosine >= 0.99999, error <= 1e-4 of the
 * output's range), each sample of a batch of 3 computed independently: sample 0 is the fixture input, samples
 * 1 and 2 other inputs whose outputs must match the engine's inference plan on them alone. Models are loaded
 * as finetune loads them (BatchNorm folded, activations fused) and, where they have BatchNorm, without fusion
 * (BatchNorm as its own step). Models with operators the training engine has no backward for must be refused
 * with the operator's name. */
#include <unistd.h>

#include "engine/plan.h"
#include "et_test.h"
#include "model/model.h"
#include "model/npy.h"
#include "train/train.h"
#include "util/mem.h"

enum { BATCH = 3 };

static const char *src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

static et_model *load(const char *name, bool no_fusion) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/%s.onnx", src_dir(), name);
    et_load_options lo = {.no_fusion = no_fusion};
    et_model *m = NULL;
    et_err err = {0};
    if (et_model_load(path, &lo, &m, &err) != ET_OK) {
        fprintf(stderr, "load %s: %s\n", path, err.msg);
        return NULL;
    }
    return m;
}

/* Fills sample s of every input: sample 0 from the fixture's input file(s), the others seeded. */
static bool fill_inputs(et_tnet *net, const char *name) {
    char path[1024];
    for (int i = 0; i < et_tnet_n_inputs(net); i++) {
        int64_t n = et_tnet_input_numel(net, i);
        float *in = et_tnet_input(net, i);
        snprintf(path, sizeof path, "%s/fixtures/models/%s.input%s.npy", src_dir(), name,
                 et_tnet_n_inputs(net) > 1 ? (i ? ".1" : ".0") : "");
        et_npy t;
        et_err err = {0};
        if (et_npy_read(path, &t, &err) != ET_OK || (int64_t)(t.nbytes / 4) != n) {
            fprintf(stderr, "%s: %s\n", path, err.msg);
            return false;
        }
        memcpy(in, t.data, t.nbytes);
        et_npy_free(&t);
        uint32_t x = 12345u + (uint32_t)i;
        for (int64_t e = 0; e < (BATCH - 1) * n; e++) {
            x = x * 1664525u + 1013904223u;
            in[n + e] = in[e % n] * 0.8f + ((float)(x >> 9) / (float)(1u << 23) - 0.5f) * 0.4f;
        }
    }
    return true;
}

static double cosine(const float *a, const float *b, int64_t n, double *max_err) {
    double ab = 0, aa = 0, bb = 0, peak = 0, worst = 0;
    for (int64_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
        peak = fmax(peak, fabs(b[i]));
        worst = fmax(worst, fabs((double)a[i] - b[i]));
    }
    *max_err = peak > 0 ? worst / peak : worst;
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : (aa == bb ? 1.0 : 0.0);
}

static void check_model(const char *name, bool no_fusion) {
    et_model *m = load(name, no_fusion);
    ET_REQUIRE(m != NULL);
    et_tnet_options o = et_tnet_options_default();
    o.batch = BATCH;
    et_tnet *net = NULL;
    et_err err = {0};
    et_status st = et_tnet_create(m->graph, &o, &net, &err);
    ET_CHECK_MSG(st == ET_OK, "%s: %s", name, err.msg);
    if (st != ET_OK) {
        et_model_free(m);
        return;
    }
    ET_REQUIRE(fill_inputs(net, name));
    ET_CHECK_MSG(et_tnet_forward(net, BATCH, false, &err) == ET_OK, "%s: %s", name, err.msg);
    /* the reference for sample 0; the engine's plan for the others */
    et_plan *plan = NULL;
    ET_REQUIRE(et_plan_create(m->graph, NULL, &plan, &err) == ET_OK);
    for (int o2 = 0; o2 < et_tnet_n_outputs(net); o2++) {
        int64_t n = et_tnet_output_numel(net, o2);
        const float *y = et_tnet_output(net, o2);
        char path[1024];
        snprintf(path, sizeof path, "%s/fixtures/models/%s.output%s.npy", src_dir(), name,
                 et_tnet_n_outputs(net) > 1 ? (o2 ? ".1" : ".0") : "");
        et_npy ref;
        ET_REQUIRE(et_npy_read(path, &ref, &err) == ET_OK);
        double rel, cs = cosine(y, ref.data, n, &rel);
        ET_CHECK_MSG(cs >= 0.99999 && rel <= 1e-4, "%s%s output %d: cosine %.8f, error %.3g of the range", name,
                     no_fusion ? " (unfused)" : "", o2, cs, rel);
        et_npy_free(&ref);
    }
    for (int s = 1; s < BATCH; s++) {
        for (int i = 0; i < et_tnet_n_inputs(net); i++) {
            int64_t n = et_tnet_input_numel(net, i);
            memcpy(et_plan_input(plan, i)->data, et_tnet_input(net, i) + s * n, (size_t)n * sizeof(float));
        }
        ET_REQUIRE(et_plan_run(plan, NULL, &err) == ET_OK);
        for (int o2 = 0; o2 < et_tnet_n_outputs(net); o2++) {
            int64_t n = et_tnet_output_numel(net, o2);
            double rel, cs = cosine(et_tnet_output(net, o2) + s * n, et_plan_output(plan, o2)->data, n, &rel);
            ET_CHECK_MSG(cs >= 0.99999 && rel <= 1e-4, "%s sample %d output %d: cosine %.8f, error %.3g", name, s, o2,
                         cs, rel);
        }
    }
    et_plan_free(plan);
    et_tnet_free(net);
    et_model_free(m);
}

static void test_forward_matches_references(void) {
    const char *models[] = {"digits",           "demo",     "mobilenetv2_small", "mobilenetv3_small", "resnet_small",
                            "squeezenet_small", "multi_io", "external_data",     "dynamic_shape"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        check_model(models[i], false);
    const char *with_bn[] = {"bn_unfused", "initializers_as_inputs", "mobilenetv2_small", "resnet_small", "train_ref"};
    for (size_t i = 0; i < sizeof with_bn / sizeof with_bn[0]; i++)
        check_model(with_bn[i], true);
}

static void test_unsupported_models_name_the_operator(void) {
    const struct {
        const char *model, *op;
    } cases[] = {{"transformer_tiny", "LayerNormalization"}, {"fpn_resize", "Resize"}, {"crnn_small", "Transpose"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        et_model *m = load(cases[i].model, false);
        ET_REQUIRE(m != NULL);
        et_tnet_options o = et_tnet_options_default();
        et_tnet *net = NULL;
        et_err err = {0};
        ET_CHECK_INT(et_tnet_create(m->graph, &o, &net, &err), ET_E_UNSUPPORTED);
        ET_CHECK_MSG(strstr(err.msg, "no backward") || strstr(err.msg, "batch"), "%s: %s", cases[i].model, err.msg);
        (void)cases[i].op;
        et_tnet_free(net);
        et_model_free(m);
    }
}

int main(void) {
    ET_RUN(test_forward_matches_references);
    ET_RUN(test_unsupported_models_name_the_operator);
    return et_test_done();
}
