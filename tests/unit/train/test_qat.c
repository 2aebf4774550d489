/* test_qat.c: quantization-aware training computes what the quantized model computes.
 *   - fake-quantized weights are bit for bit the weights tune's weight-only quantization stores (4 bits, per
 *     channel and per tensor, symmetric and asymmetric, min/max and percentile), on the layers tune quantizes;
 *   - with 8-bit activations, after calibration on the same inputs, the network's evaluation outputs are closer
 *     to the int8 model tune builds (run by the engine's int8 kernels) than the fp32 outputs are, and agree with
 *     its top-1 class. */
#include "engine/plan.h"
#include "et_test.h"
#include "model/model.h"
#include "model/npy.h"
#include "train/train.h"
#include "tune/tune.h"
#include "util/mem.h"

enum { PIX = 64, N_CALIB = 64, N_EVAL = 60 };

static const char *src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

static bool read_images(const char *set, int n, float *out) {
    char path[1024];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/fixtures/models/digits.%s/input_%03d.npy", src_dir(), set, i);
        et_npy t;
        et_err err = {0};
        if (et_npy_read(path, &t, &err) != ET_OK)
            return false;
        memcpy(out + i * PIX, t.data, PIX * sizeof(float));
        et_npy_free(&t);
    }
    return true;
}

static et_model *load_digits(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/digits.onnx", src_dir());
    et_model *m = NULL;
    et_err err = {0};
    return et_model_load(path, NULL, &m, &err) == ET_OK ? m : NULL;
}

static void check_weight_grid(et_model *m, et_knobs k) {
    et_err err = {0};
    bool qn[64];
    int count = 0;
    ET_REQUIRE(m->graph->n_nodes <= 64);
    ET_REQUIRE(et_train_quant_layers(m->graph, &k, qn, &count, &err) == ET_OK);
    ET_CHECK_INT(count, k.quantize_all ? 3 : 1);
    et_tnet_options o = et_tnet_options_default();
    o.batch = 4;
    o.fake_quant_weights = true;
    o.wq = et_train_weight_grid(&k);
    o.quant_nodes = qn;
    et_tnet *net = NULL;
    ET_REQUIRE(et_tnet_create(m->graph, &o, &net, &err) == ET_OK);
    ET_REQUIRE(et_tnet_forward(net, 1, false, &err) == ET_OK); /* derives the effective weights */
    et_graph *tuned = NULL;
    et_tune_report rep;
    ET_REQUIRE(et_tune_apply(m->graph, &k, NULL, &tuned, &rep, &err) == ET_OK);
    int compared = 0;
    for (int i = 0; i < et_tnet_n_params(net); i++) {
        et_tparam *p = et_tnet_param(net, i);
        if (p->kind != ET_TPARAM_WEIGHT)
            continue;
        int v = et_graph_find_value(tuned, p->name);
        ET_REQUIRE(v >= 0);
        ET_CHECK_INT(p->quant, tuned->values[v].quant != NULL);
        if (!p->quant)
            continue;
        ET_CHECK_MSG(memcmp(p->w_eff, tuned->values[v].data, (size_t)p->numel * sizeof(float)) == 0,
                     "%s: fake-quantized weights differ from tune's (%d bits, %s, %s)", p->name, k.weight_bits,
                     et_granularity_name(k.granularity), k.symmetric ? "sym" : "asym");
        compared++;
    }
    ET_CHECK_INT(compared, count);
    et_graph_free(tuned);
    et_tnet_free(net);
}

static void test_weights_on_tunes_grid(void) {
    et_model *m = load_digits();
    ET_REQUIRE(m != NULL);
    et_knobs k = et_knobs_default();
    k.weight_bits = 4;
    check_weight_grid(m, k);
    k.quantize_all = true;
    k.granularity = ET_GRAN_TENSOR;
    k.symmetric = false;
    check_weight_grid(m, k);
    k.weight_bits = 3;
    k.clip = ET_CLIP_PERCENTILE;
    k.granularity = ET_GRAN_CHANNEL;
    check_weight_grid(m, k);
    k.weight_bits = 16;
    check_weight_grid(m, k);
    et_model_free(m);
}

static double cosine(const float *a, const float *b, int64_t n) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < n; i++)
        ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    return ab / sqrt(aa * bb + 1e-30);
}

static int64_t argmax(const float *x, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        best = x[j] > x[best] ? j : best;
    return best;
}

static void test_activations_follow_the_int8_model(void) {
    static float calib[N_CALIB * PIX], eval[N_EVAL * PIX];
    ET_REQUIRE(read_images("calib", N_CALIB, calib) && read_images("eval", N_EVAL, eval));
    et_model *m = load_digits();
    ET_REQUIRE(m != NULL);
    et_knobs k = et_knobs_default();
    k.weight_bits = 8;
    k.act_bits = 8;
    k.quantize_all = true;
    k.force_int8 = true;
    et_err err = {0};
    /* the int8 model, calibrated on the same 64 images */
    et_npy sets[N_CALIB];
    for (int i = 0; i < N_CALIB; i++)
        sets[i] = (et_npy){.dtype = ET_DT_F32,
                           .shape = {.rank = 4, .dim = {1, 1, 8, 8}},
                           .data = calib + i * PIX,
                           .nbytes = PIX * sizeof(float)};
    et_calib_set cs = {.n_sets = N_CALIB, .n_inputs = 1, .sets = sets};
    et_graph *tuned = NULL;
    et_tune_report rep;
    ET_REQUIRE(et_tune_apply(m->graph, &k, &cs, &tuned, &rep, &err) == ET_OK);
    et_plan *plan = NULL;
    ET_REQUIRE(et_plan_create(tuned, NULL, &plan, &err) == ET_OK);
    /* the network with fake quantization, calibrated likewise */
    bool qn[64];
    int count = 0;
    ET_REQUIRE(et_train_quant_layers(m->graph, &k, qn, &count, &err) == ET_OK && count == 3);
    et_tnet_options o = et_tnet_options_default();
    o.batch = N_CALIB;
    o.fake_quant_weights = true;
    o.wq = et_train_weight_grid(&k);
    o.act_bits = 8;
    o.quant_nodes = qn;
    et_tnet *net = NULL, *fp = NULL;
    ET_REQUIRE(et_tnet_create(m->graph, &o, &net, &err) == ET_OK);
    ET_CHECK_MSG(et_tnet_n_act_ranges(net) >= 4, "%d fake-quantized activations", et_tnet_n_act_ranges(net));
    et_tnet_calibrate_begin(net);
    memcpy(et_tnet_input(net, 0), calib, sizeof calib);
    ET_REQUIRE(et_tnet_forward(net, N_CALIB, false, &err) == ET_OK);
    et_tnet_calibrate_end(net);
    et_tnet_options of = et_tnet_options_default();
    of.batch = N_EVAL;
    ET_REQUIRE(et_tnet_create(m->graph, &of, &fp, &err) == ET_OK);
    memcpy(et_tnet_input(net, 0), eval, sizeof eval);
    memcpy(et_tnet_input(fp, 0), eval, sizeof eval);
    ET_REQUIRE(et_tnet_forward(net, N_EVAL, false, &err) == ET_OK && et_tnet_forward(fp, N_EVAL, false, &err) == ET_OK);
    double d_fq = 0, d_fp = 0;
    int same = 0;
    for (int i = 0; i < N_EVAL; i++) {
        memcpy(et_plan_input(plan, 0)->data, eval + i * PIX, PIX * sizeof(float));
        ET_REQUIRE(et_plan_run(plan, NULL, &err) == ET_OK);
        const float *q = et_plan_output(plan, 0)->data, *a = et_tnet_output(net, 0) + i * 10,
                    *b = et_tnet_output(fp, 0) + i * 10;
        for (int c = 0; c < 10; c++)
            d_fq += (a[c] - q[c]) * (a[c] - q[c]), d_fp += (b[c] - q[c]) * (b[c] - q[c]);
        same += argmax(a, 10) == argmax(q, 10);
        ET_CHECK_MSG(cosine(a, q, 10) > 0.999, "image %d: cosine %.5f", i, cosine(a, q, 10));
    }
    fprintf(stderr,
            "  w8a8 digits, %d images: squared distance to the int8 model: fake-quantized %.4g, fp32 %.4g; "
            "top-1 agreement %d/%d\n",
            N_EVAL, d_fq, d_fp, same, N_EVAL);
    ET_CHECK_MSG(d_fq < 0.5 * d_fp, "fake quantization is not closer to the int8 model than fp32 is");
    ET_CHECK(same >= N_EVAL - 1);
    et_tnet_free(net);
    et_tnet_free(fp);
    et_plan_free(plan);
    et_graph_free(tuned);
    et_model_free(m);
}

int main(void) {
    ET_RUN(test_weights_on_tunes_grid);
    ET_RUN(test_activations_follow_the_int8_model);
    return et_test_done();
}
