/* conformance.c: runs the ONNX project's per-operator backend test cases through edgetune.
 *
 * usage: conformance [DIR] [FILTER]
 *   DIR     the node tests folder (default: $ET_ONNX_NODE_TESTS, else <source>/../shared/onnx-node-tests)
 *   FILTER  only cases whose folder name contains this text
 *
 * A case counts when every operator in its model is one edgetune claims (has an implementation); other cases
 * are not ours and are listed only as "not claimed". Claimed cases pass when every output matches with ONNX's
 * tolerances: |got - want| <= 1e-7 + 1e-3 * |want| for floating point, exact for integers and bools, NaN where
 * NaN is expected. A case is "skipped" only for a stated reason (a string or sequence type, which edgetune
 * does not compute on). Exit status: 0 when no claimed case failed, 1 otherwise, 77 when the folder is absent.
 *
 * Inputs whose values define shapes (Reshape's shape given as a graph input) must be constants for edgetune,
 * which plans static shapes; when a case does not load with runtime inputs it is retried with its inputs bound
 * as constants, and the summary says how many needed that. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/op.h"
#include "engine/plan.h"
#include "model/model.h"
#include "model/passes.h"
#include "util/mapped_file.h"

enum { MAX_IO = 16 };

typedef struct tensor_file {
    et_mapped_file file;
    et_const_tensor t;
    const char *name;
} tensor_file;

typedef struct counts {
    int passed, failed, skipped, not_claimed, bound;
} counts;

static int load_tensors(const char *dir, const char *prefix, et_graph *owner, tensor_file *out, char *why) {
    int n = 0;
    for (; n < MAX_IO; n++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/test_data_set_0/%s_%d.pb", dir, prefix, n);
        struct stat st;
        if (stat(path, &st) != 0)
            break;
        et_err err = {0};
        if (et_mapped_file_open(path, &out[n].file, &err) != ET_OK ||
            et_onnx_read_tensor(out[n].file.data, out[n].file.size, path, owner, &out[n].t, &out[n].name, &err) !=
                ET_OK) {
            snprintf(why, 512, "%s", err.msg);
            return -1 - n;
        }
    }
    return n;
}

/* onnx 1.12 writes bfloat16 test tensors with data type UINT16 (the same bits); read them as bfloat16. */
static bool same_type(et_dtype want, et_dtype got) {
    return want == got || (want == ET_DT_U16 && got == ET_DT_BF16);
}

static bool values_match(const et_const_tensor *want_in, const et_tensor *got, char *why, size_t why_len) {
    et_const_tensor wb = *want_in;
    if (wb.dtype == ET_DT_U16 && got->dtype == ET_DT_BF16)
        wb.dtype = ET_DT_BF16;
    const et_const_tensor *want = &wb;
    if (want->dtype != got->dtype) {
        snprintf(why, why_len, "type %s, expected %s", et_dtype_name(got->dtype), et_dtype_name(want->dtype));
        return false;
    }
    if (!et_shape_equal(&want->shape, &got->shape)) {
        char a[128], b[128];
        snprintf(why, why_len, "shape %s, expected %s", et_shape_str(&got->shape, a, sizeof a),
                 et_shape_str(&want->shape, b, sizeof b));
        return false;
    }
    int64_t n = et_shape_numel(&want->shape);
    bool is_float = et_dtype_is_float(want->dtype);
    for (int64_t i = 0; i < n; i++) {
        if (is_float) {
            double w = et_dtype_load(want->dtype, want->data, (size_t)i);
            double g = et_dtype_load(got->dtype, got->data, (size_t)i);
            bool ok = (isnan(w) && isnan(g)) || (isinf(w) && w == g) || fabs(g - w) <= 1e-7 + 1e-3 * fabs(w);
            if (!ok) {
                snprintf(why, why_len, "element %lld is %.9g, expected %.9g", (long long)i, g, w);
                return false;
            }
        } else {
            int64_t w = et_dtype_load_i64(want->dtype, want->data, (size_t)i);
            int64_t g = et_dtype_load_i64(got->dtype, got->data, (size_t)i);
            if (w != g) {
                snprintf(why, why_len, "element %lld is %lld, expected %lld", (long long)i, (long long)g,
                         (long long)w);
                return false;
            }
        }
    }
    return true;
}

/* Which graph input each input_N.pb feeds: by name when the file has one, else by position. */
static int input_slot(const et_graph *g, const tensor_file *tf, int k) {
    if (tf->name && *tf->name)
        for (int i = 0; i < g->n_inputs; i++)
            if (strcmp(g->values[g->inputs[i]].name, tf->name) == 0)
                return i;
    return k < g->n_inputs ? k : -1;
}

/* Errors that mean the case is outside what an inference engine can reproduce: a type edgetune does not compute
 * on (strings, sequences), or a random output (training-mode Dropout): the case is skipped with the reason. */
static bool is_type_limit(const et_err *e) {
    return e->status == ET_E_UNSUPPORTED && (strstr(e->msg, "strings") || strstr(e->msg, "not a numeric tensor") ||
                                             strstr(e->msg, "training-mode dropout is random"));
}

/* True when every test input matches a graph input's type and shape. */
static bool inputs_fit(const et_graph *g, const tensor_file *ins, int n_in) {
    for (int k = 0; k < n_in; k++) {
        int slot = input_slot(g, &ins[k], k);
        if (slot < 0)
            return false;
        const et_value *v = &g->values[g->inputs[slot]];
        if (!same_type(ins[k].t.dtype, v->dtype) || !et_shape_equal(&v->shape, &ins[k].t.shape))
            return false;
    }
    return true;
}

/* Runs one claimed case. Returns 1 pass, 0 fail, -1 skipped; why says what happened. */
static int run_case(const char *dir, bool *used_binding, char *why, size_t why_len) {
    char model_path[4096];
    snprintf(model_path, sizeof model_path, "%s/model.onnx", dir);
    et_graph *owner = et_graph_new();
    tensor_file ins[MAX_IO] = {0}, outs[MAX_IO] = {0};
    int n_in = 0, n_out = 0, result = 0;
    et_model *m = NULL;
    et_plan *plan = NULL;
    et_err err = {0};
    char reason[512] = "";
    {
        /* models whose inputs are not numeric tensors (strings, sequences, optionals) are skipped up front:
         * their test data is not even a TensorProto */
        et_load_options raw = {.allow_unsupported = true, .read_only = true};
        et_model *probe = NULL;
        if (et_model_load(model_path, &raw, &probe, &err) == ET_OK) {
            for (int i = 0; i < probe->graph->n_inputs; i++) {
                const et_value *v = &probe->graph->values[probe->graph->inputs[i]];
                if (v->dtype == ET_DT_UNDEFINED || v->dtype == ET_DT_STRING) {
                    snprintf(why, why_len, "input '%s' is %s", v->name,
                             v->dtype == ET_DT_STRING ? "a string tensor" : "not a tensor (sequence or optional)");
                    result = -1;
                }
            }
            et_model_free(probe);
            if (result < 0)
                goto done;
        }
    }
    n_in = load_tensors(dir, "input", owner, ins, reason);
    n_out = n_in >= 0 ? load_tensors(dir, "output", owner, outs, reason) : 0;
    if (n_in < 0 || n_out < 0) {
        bool unsupported_type = strstr(reason, "strings") != NULL;
        snprintf(why, why_len, "%s", reason);
        result = unsupported_type ? -1 : 0;
        if (n_in < 0)
            n_in = -n_in - 1;
        if (n_out < 0)
            n_out = -n_out - 1;
        goto done;
    }
    et_status st = et_model_load(model_path, NULL, &m, &err);
    *used_binding = false;
    if (st == ET_OK && !inputs_fit(m->graph, ins, n_in)) {
        /* the test data's shapes differ from the declared ones (it happens in the ONNX data): bind them */
        et_model_free(m);
        m = NULL;
        st = ET_E_INPUT;
        snprintf(err.msg, sizeof err.msg, "the test inputs do not match the model's declared inputs");
    }
    if (st != ET_OK) {
        /* retry with every input bound as a constant (data-dependent shapes) */
        et_input_binding bind[MAX_IO];
        et_model *probe = NULL;
        et_load_options raw = {.allow_unsupported = true, .read_only = true};
        et_err e2 = {0};
        if (et_model_load(model_path, &raw, &probe, &e2) != ET_OK) {
            snprintf(why, why_len, "%s", e2.msg);
            if (is_type_limit(&e2))
                result = -1;
            goto done;
        }
        int nb = 0;
        for (int k = 0; k < n_in; k++) {
            int slot = input_slot(probe->graph, &ins[k], k);
            if (slot < 0)
                continue;
            const et_value *gv = &probe->graph->values[probe->graph->inputs[slot]];
            et_dtype dt = same_type(ins[k].t.dtype, gv->dtype) ? gv->dtype : ins[k].t.dtype;
            bind[nb++] = (et_input_binding){gv->name, dt, ins[k].t.shape, ins[k].t.data};
        }
        et_err e3 = {0};
        st = et_model_load_bound(model_path, NULL, bind, nb, &m, &e3);
        et_model_free(probe);
        if (st != ET_OK) {
            snprintf(why, why_len, "%s", e3.msg);
            if (is_type_limit(&err) || is_type_limit(&e3))
                result = -1;
            goto done;
        }
        *used_binding = true;
    }
    if ((st = et_plan_create(m->graph, NULL, &plan, &err)) != ET_OK) {
        snprintf(why, why_len, "plan: %s", err.msg);
        goto done;
    }
    for (int k = 0; k < n_in && !*used_binding; k++) {
        int slot = input_slot(m->graph, &ins[k], k);
        if (slot < 0 || slot >= et_plan_n_inputs(plan)) {
            snprintf(why, why_len, "input %d has no graph input", k);
            goto done;
        }
        et_tensor *t = et_plan_input(plan, slot);
        if (!same_type(ins[k].t.dtype, t->dtype) || !et_shape_equal(&t->shape, &ins[k].t.shape)) {
            snprintf(why, why_len, "input %d: type or shape differs from the model's", k);
            goto done;
        }
        if (ins[k].t.nbytes)
            memcpy(t->data, ins[k].t.data, ins[k].t.nbytes);
    }
    if ((st = et_plan_run(plan, NULL, &err)) != ET_OK) {
        snprintf(why, why_len, "run: %s", err.msg);
        goto done;
    }
    if (et_plan_n_outputs(plan) != n_out) {
        snprintf(why, why_len, "%d outputs, expected %d", et_plan_n_outputs(plan), n_out);
        goto done;
    }
    for (int k = 0; k < n_out; k++) {
        char w[256];
        if (!values_match(&outs[k].t, et_plan_output(plan, k), w, sizeof w)) {
            snprintf(why, why_len, "output %d (%s): %s", k, et_plan_output_name(plan, k), w);
            goto done;
        }
    }
    result = 1;
done:
    et_plan_free(plan);
    et_model_free(m);
    for (int k = 0; k < n_in; k++)
        et_mapped_file_close(&ins[k].file);
    for (int k = 0; k < n_out; k++)
        et_mapped_file_close(&outs[k].file);
    et_graph_free(owner);
    return result;
}

/* A case is claimed when its model reads and every node has an implementation. Sequence/optional-typed
 * models (which fail to read as tensors) are not claimed. */
static bool is_claimed(const char *dir, char *why, size_t why_len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    et_model *m = NULL;
    et_load_options raw = {.allow_unsupported = true, .read_only = true};
    et_err err = {0};
    if (et_model_load(path, &raw, &m, &err) != ET_OK) {
        snprintf(why, why_len, "%s", err.msg);
        return false;
    }
    bool claimed = m->unsupported[0] == '\0';
    et_model_free(m);
    return claimed;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("ET_ONNX_NODE_TESTS");
    char def[4096];
    if (!dir || !*dir) {
        const char *src = getenv("ET_SOURCE_DIR");
        snprintf(def, sizeof def, "%s/../shared/onnx-node-tests", src ? src : ".");
        dir = def;
    }
    const char *filter = argc > 2 ? argv[2] : NULL;
    DIR *d = opendir(dir);
    if (!d) {
        printf("conformance: skipped: no ONNX node tests at %s (set ET_ONNX_NODE_TESTS to the folder)\n", dir);
        return 77;
    }
    char **names = NULL;
    int n_names = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0 || (filter && !strstr(e->d_name, filter)))
            continue;
        if (n_names == cap) {
            cap = cap ? cap * 2 : 256;
            names = realloc(names, (size_t)cap * sizeof *names);
        }
        names[n_names++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n_names, sizeof *names, cmp_str);
    counts c = {0};
    for (int i = 0; i < n_names; i++) {
        char path[4096], why[1024] = "";
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!is_claimed(path, why, sizeof why)) {
            c.not_claimed++;
            free(names[i]);
            continue;
        }
        bool bound = false;
        int r = run_case(path, &bound, why, sizeof why);
        if (r > 0) {
            c.passed++;
            c.bound += bound;
        } else if (r < 0) {
            c.skipped++;
            printf("SKIP %s: %s\n", names[i], why);
        } else {
            c.failed++;
            printf("FAIL %s: %s\n", names[i], why);
        }
        free(names[i]);
    }
    free(names);
    printf("conformance: %d passed, %d failed, %d skipped of %d cases for claimed operators "
           "(%d needed inputs bound as constants); %d cases use operators edgetune does not claim\n",
           c.passed, c.failed, c.skipped, c.passed + c.failed + c.skipped, c.bound, c.not_claimed);
    return c.failed ? 1 : 0;
}
