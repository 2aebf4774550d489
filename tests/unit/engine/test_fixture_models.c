/* test_fixture_models.c: every fixture model (fixtures/models/<name>.onnx) loaded through the whole pipeline
 * (shape inference, folding, BatchNorm folding, activation fusion), planned with 1 and 3 threads, run on its
 * input, and compared with the framework's reference output using the fixtures' tolerances (cosine >= 0.99999
 * and max |got - want| / max |want| <= 1e-4; see fixtures/README.md); the 3-thread plan is made with every
 * constant moved to an odd address first, as a model file can lay them out. Whole small networks exercise the
 * operators together: fused Conv activations, depthwise convolutions, pools, Gemm, MatMul, LayerNorm, Softmax,
 * Resize and Upsample. */
#include <dirent.h>
#include <unistd.h>

#include "et_test.h"
#include "model/model.h"
#include "model/npy.h"
#include "op_harness.h"

/* Path of input/output k of model `name`: <name>.<kind>.npy or <name>.<kind>.<k>.npy. */
static bool io_path(const char *dir, const char *name, const char *kind, int k, int count_hint, char *out, size_t len) {
    snprintf(out, len, "%s/%s.%s.npy", dir, name, kind);
    if (k == 0 && count_hint <= 1 && access(out, R_OK) == 0)
        return true;
    snprintf(out, len, "%s/%s.%s.%d.npy", dir, name, kind, k);
    return access(out, R_OK) == 0;
}

/* Moves every constant of g to an odd address, in one block the caller frees after the graph (the graph borrows
 * it): a model file's raw_data may lie at any byte offset (graph.h), and the plan's passes must read constants
 * without a misaligned typed load, which the sanitizer pass of ./build.sh test fails on every time. NULL when out
 * of memory. */
static char *misalign_constants(et_graph *g) {
    size_t total = 2;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].kind == ET_VAL_CONST && g->values[v].data)
            total += g->values[v].nbytes + 1;
    char *block = malloc(total), *at = block;
    for (int v = 0; block && v < g->n_values; v++) {
        et_value *c = &g->values[v];
        if (c->kind != ET_VAL_CONST || !c->data)
            continue;
        at += ((uintptr_t)at & 1u) == 0; /* odd: no element type's alignment */
        memcpy(at, c->data, c->nbytes);
        c->data = at;
        at += c->nbytes;
    }
    return block;
}

/* Loads, runs and compares one model, its constants at odd addresses when `misaligned`; returns false with a
 * message on any mismatch. */
static bool check_model(const char *dir, const char *name, int threads, bool misaligned, char *why, size_t why_len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    et_model *m = NULL;
    et_err err = {0};
    if (et_model_load(path, NULL, &m, &err) != ET_OK) {
        snprintf(why, why_len, "load: %s", err.msg);
        return false;
    }
    et_plan_options o = et_plan_options_default();
    o.threads = threads;
    et_plan *p = NULL;
    bool ok = false;
    et_npy in[8] = {0}, out = {0};
    int n_in = 0;
    char *odd = misaligned ? misalign_constants(m->graph) : NULL;
    if (misaligned && !odd) {
        snprintf(why, why_len, "out of memory");
        goto done;
    }
    if (et_plan_create(m->graph, &o, &p, &err) != ET_OK) {
        snprintf(why, why_len, "plan: %s", err.msg);
        goto done;
    }
    for (; n_in < et_plan_n_inputs(p) && n_in < 8; n_in++) {
        if (!io_path(dir, name, "input", n_in, et_plan_n_inputs(p), path, sizeof path) ||
            et_npy_read(path, &in[n_in], &err) != ET_OK) {
            snprintf(why, why_len, "cannot read %s", path);
            n_in++;
            goto done;
        }
        et_tensor *t = et_plan_input(p, n_in);
        if (t->dtype != in[n_in].dtype || !et_shape_equal(&t->shape, &in[n_in].shape)) {
            snprintf(why, why_len, "input %d differs in type or shape", n_in);
            n_in++;
            goto done;
        }
        memcpy(t->data, in[n_in].data, (size_t)et_shape_numel(&t->shape) * et_dtype_size(t->dtype));
    }
    /* run twice: the second run must see the same inputs (a plan's input buffers are never reused) */
    if (et_plan_run(p, NULL, &err) != ET_OK || et_plan_run(p, NULL, &err) != ET_OK) {
        snprintf(why, why_len, "run: %s", err.msg);
        goto done;
    }
    ok = true;
    for (int k = 0; k < et_plan_n_outputs(p) && ok; k++) {
        if (!io_path(dir, name, "output", k, et_plan_n_outputs(p), path, sizeof path) ||
            et_npy_read(path, &out, &err) != ET_OK) {
            snprintf(why, why_len, "cannot read %s", path);
            ok = false;
            break;
        }
        const et_tensor *y = et_plan_output(p, k);
        if (y->dtype != ET_DT_F32 || out.dtype != ET_DT_F32 ||
            et_shape_numel(&y->shape) != et_shape_numel(&out.shape)) {
            snprintf(why, why_len, "output %d differs in type or size", k);
            ok = false;
        } else {
            const float *a = y->data, *b = out.data;
            double dot = 0, na = 0, nb = 0, maxd = 0, maxr = 0;
            for (int64_t i = 0; i < et_shape_numel(&out.shape); i++) {
                dot += (double)a[i] * b[i], na += (double)a[i] * a[i], nb += (double)b[i] * b[i];
                maxd = fmax(maxd, fabs((double)a[i] - b[i]));
                maxr = fmax(maxr, fabs((double)b[i]));
            }
            double cosine = dot / (sqrt(na) * sqrt(nb) + 1e-300), rel = maxd / (maxr + 1e-300);
            if (!(cosine >= 0.99999 && rel <= 1e-4)) {
                snprintf(why, why_len, "output %d: cosine %.9f, max relative error %.3g", k, cosine, rel);
                ok = false;
            }
        }
        et_npy_free(&out);
    }
done:
    for (int i = 0; i < n_in; i++)
        et_npy_free(&in[i]);
    et_plan_free(p);
    et_model_free(m);
    free(odd);
    return ok;
}

static void test_fixture_models(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fixtures/models", et_test_source_dir());
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "no fixtures at %s: skipped\n", dir);
        return;
    }
    struct dirent *e;
    int models = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".onnx") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len - 5), e->d_name);
        for (int threads = 1; threads <= 3; threads += 2) {
            char why[ET_ERR_MSG_MAX + 64] = "";
            bool ok = check_model(dir, name, threads, threads > 1, why, sizeof why);
            ET_CHECK_MSG(ok, "%s (%d threads%s): %s", name, threads, threads > 1 ? ", constants misaligned" : "", why);
        }
        models++;
    }
    closedir(d);
    ET_CHECK(models >= 10);
}

int main(void) {
    ET_RUN(test_fixture_models);
    return et_test_done();
}
