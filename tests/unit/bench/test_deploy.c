/* test_deploy.c: deployed memory, the memory headline of every run.
 *
 * The tuned graph's image must give back a graph whose plan computes exactly what the tuned graph's plan computes
 * (fp32, weight-only, int8, packed 4-bit, unstructured, N:M and channel pruning), and the measurement in a
 * separate edgetune process must find what the deployed plan holds: its packed weights resident, and less memory
 * for int8 and 4-bit weights and for channel pruning than for fp32, by about what their weights save. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/deploy_image.h"
#include "bench/deploy_memory.h"
#include "bench/session.h"
#include "engine/plan.h"
#include "et_test.h"

typedef struct config {
    const char *name;
    int bits, act_bits;
    float prune;
    et_prune_method method;
} config;

static const config configs[] = {
    {"fp32", 32, 32, 0, ET_PRUNE_UNSTRUCTURED},
    {"w4 weight-only", 4, 32, 0, ET_PRUNE_UNSTRUCTURED},
    {"w8a8", 8, 8, 0, ET_PRUNE_UNSTRUCTURED},
    {"w4a8", 4, 8, 0, ET_PRUNE_UNSTRUCTURED},
    {"w5a8", 5, 8, 0, ET_PRUNE_UNSTRUCTURED},
    {"prune 70%", 32, 32, 0.7f, ET_PRUNE_UNSTRUCTURED},
    {"nm 2:4", 32, 32, 0.5f, ET_PRUNE_NM},
    {"channel 50%", 32, 32, 0.5f, ET_PRUNE_CHANNEL},
    {"w8a8 channel 30%", 8, 8, 0.3f, ET_PRUNE_CHANNEL},
};

static et_knobs knobs_of(const config *c) {
    et_knobs k = et_knobs_default();
    k.weight_bits = c->bits;
    k.act_bits = c->act_bits;
    k.prune_ratio = c->prune;
    k.prune_method = c->method;
    k.force_int8 = true; /* no speed guard: the same layers are int8 on every machine */
    return k;
}

static et_session *open_model(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/%s", ET_SOURCE_DIR, name);
    et_session_options so = {.model_path = path};
    et_session *s = NULL;
    et_err err = {0};
    if (et_session_open(&so, &s, &err) != ET_OK)
        fprintf(stderr, "%s: %s\n", name, err.msg);
    return s;
}

/* Image -> graph -> plan, run on the session's inputs: outputs bit for bit those of the tuned plan. */
static void check_round_trip(et_session *s, const char *what) {
    FILE *f = tmpfile();
    ET_REQUIRE(f);
    et_err err = {0};
    size_t bytes = 0;
    ET_REQUIRE(et_deploy_image_write(et_session_tuned(s), fileno(f), &bytes, &err) == ET_OK);
    void *map = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    ET_REQUIRE(map != MAP_FAILED);
    et_graph *g = NULL;
    et_plan *p = NULL;
    ET_CHECK_MSG(et_deploy_image_read(map, bytes, &g, &err) == ET_OK, "%s: %s", what, err.msg);
    if (g)
        ET_CHECK_MSG(et_plan_create(g, NULL, &p, &err) == ET_OK, "%s: %s", what, err.msg);
    et_plan *tuned = et_session_plan(s);
    if (p) {
        ET_CHECK(et_plan_get_stats(p).weights_bytes == et_plan_get_stats(tuned).weights_bytes);
        et_session_load_inputs(s);
        for (int i = 0; i < et_plan_n_inputs(p); i++) {
            const et_tensor *a = et_plan_input(tuned, i);
            memcpy(et_plan_input(p, i)->data, a->data, (size_t)et_shape_numel(&a->shape) * et_dtype_size(a->dtype));
        }
        ET_REQUIRE(et_session_infer(s, NULL, &err) == ET_OK && et_plan_run(p, NULL, &err) == ET_OK);
        ET_REQUIRE(et_plan_n_outputs(p) == et_plan_n_outputs(tuned));
        for (int o = 0; o < et_plan_n_outputs(p); o++) {
            const et_tensor *a = et_plan_output(tuned, o), *b = et_plan_output(p, o);
            size_t n = (size_t)et_shape_numel(&a->shape) * et_dtype_size(a->dtype);
            ET_CHECK_MSG(et_shape_equal(&a->shape, &b->shape) && memcmp(a->data, b->data, n) == 0,
                         "%s: output %d differs", what, o);
        }
    }
    /* a damaged image is refused, not crashed on */
    uint8_t *copy = malloc(bytes);
    ET_REQUIRE(copy);
    memcpy(copy, map, bytes);
    et_graph *bad = NULL;
    ET_CHECK(et_deploy_image_read(copy, bytes / 2, &bad, &err) == ET_E_INPUT);
    memset(copy + 40, 0xff, 64);
    if (et_deploy_image_read(copy, bytes, &bad, &err) == ET_OK) /* may parse: names changed, not structure */
        et_graph_free(bad);
    free(copy);
    et_plan_free(p);
    et_graph_free(g);
    munmap(map, bytes);
    fclose(f);
}

static void test_image_round_trip(void) {
    static const char *const models[] = {"digits.onnx", "mobilenetv2_small.onnx", "crnn_small.onnx", "fpn_resize.onnx"};
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        et_session *s = open_model(models[m]);
        ET_REQUIRE(s);
        for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
            et_knobs k = knobs_of(&configs[c]);
            et_err err = {0};
            if (et_session_configure(s, &k, &err) != ET_OK)
                continue; /* a combination this model cannot take (e.g. int8 LSTM-free recurrent parts) */
            char what[128];
            snprintf(what, sizeof what, "%s %s", models[m], configs[c].name);
            check_round_trip(s, what);
        }
        et_session_free(s);
    }
}

#ifdef ET_EDGETUNE_BIN
/* Under AddressSanitizer the measuring process's resident memory is mostly shadow memory and quarantine: the
 * sizes below say nothing about a deployment there, so only that the measurement works is checked. */
#if defined(__SANITIZE_ADDRESS__)
#define ET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ET_ASAN 1
#endif
#endif

static et_deployed_memory measure(et_session *s, const config *c) {
    et_deployed_memory d = {0};
    et_knobs k = knobs_of(c);
    et_err err = {0};
    if (et_session_configure(s, &k, &err) != ET_OK ||
        et_session_deployed_memory(s, ET_EDGETUNE_BIN, NULL, &d, &err) != ET_OK)
        d.status = ET_AVAIL_ERROR;
    return d;
}

static void test_measured_in_a_child(void) {
    et_session *s = open_model("demo.onnx"); /* 807 k parameters: 3.1 MiB as fp32 */
    ET_REQUIRE(s);
    et_deployed_memory d[sizeof configs / sizeof configs[0]];
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        d[c] = measure(s, &configs[c]);
        ET_CHECK_MSG(d[c].status == ET_AVAIL_OK, "%s: %s", configs[c].name, d[c].why);
        printf("  demo %-18s deployed %7.2f MiB (weights %6.2f, arena %5.2f, runtime %5.2f MiB)\n", configs[c].name,
               d[c].peak_bytes / 1048576.0, d[c].weights_bytes / 1048576.0, d[c].arena_bytes / 1048576.0,
               d[c].runtime_bytes / 1048576.0);
        /* the plan's packed weights and the runtime are resident at the peak */
        ET_CHECK(d[c].peak_bytes >= d[c].runtime_bytes + d[c].weights_bytes * 9 / 10);
    }
    fflush(stdout);
#ifndef ET_ASAN
    et_deployed_memory fp32 = d[0], w4 = d[1], w8a8 = d[2], w4a8 = d[3], channel = d[7];
    /* weight-only runs on fp32 kernels: the same memory as fp32 within 5 % (two processes' resident pages differ by
     * a few hundred KiB from run to run on a loaded machine), and more than w4a8 needs */
    ET_CHECK_MSG(llabs(w4.peak_bytes - fp32.peak_bytes) < fp32.peak_bytes / 20, "w4 %lld vs fp32 %lld",
                 (long long)w4.peak_bytes, (long long)fp32.peak_bytes);
    ET_CHECK(w4.peak_bytes > w4a8.peak_bytes);
    /* fp32 > 8-bit > 4-bit, and channel pruning below fp32, each by about what the weights save */
    ET_CHECK(fp32.peak_bytes > w8a8.peak_bytes && w8a8.peak_bytes > w4a8.peak_bytes);
    ET_CHECK(fp32.peak_bytes > channel.peak_bytes);
    const et_deployed_memory *smaller[] = {&w8a8, &w4a8, &channel};
    for (size_t i = 0; i < 3; i++) {
        double saved = (double)(fp32.peak_bytes - smaller[i]->peak_bytes);
        double weights_saved = (double)(fp32.weights_bytes - smaller[i]->weights_bytes);
        double arena_saved = (double)(fp32.arena_bytes - smaller[i]->arena_bytes);
        ET_CHECK_MSG(saved > 0.7 * weights_saved && saved < weights_saved + arena_saved + 1024 * 1024,
                     "saved %.0f bytes; the weights %.0f, the arena %.0f", saved, weights_saved, arena_saved);
    }
#else
    printf("  (AddressSanitizer build: sizes not compared)\n");
#endif
    /* cancelled before it starts: no measurement, a cancelled status */
    volatile int cancel = 1;
    et_deployed_memory x;
    et_err err = {0};
    ET_CHECK(et_session_deployed_memory(s, ET_EDGETUNE_BIN, &cancel, &x, &err) == ET_E_CANCELLED);
    ET_CHECK(x.status == ET_AVAIL_NOT_RUN);
    /* no binary: recorded as an error, not a failure */
    ET_CHECK(et_session_deployed_memory(s, "/nonexistent/edgetune", NULL, &x, &err) == ET_OK);
    ET_CHECK(x.status == ET_AVAIL_ERROR && strstr(x.why, "/nonexistent/edgetune"));
    et_session_free(s);
}
#endif

int main(void) {
    ET_RUN(test_image_round_trip);
#ifdef ET_EDGETUNE_BIN
    ET_RUN(test_measured_in_a_child);
#endif
    return et_test_done();
}
