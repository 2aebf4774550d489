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
 * which plans static shapes: the case is loaded with et_model_load_given, the function `edgetune run` uses, which
 * binds such inputs; the summary says how many cases needed that.
 *
 * With ET_EDGETUNE set to the edgetune binary (CTest sets it when the CLI is built), every case also runs through
 * the public command line: its inputs are written as .npy files, `edgetune run model.onnx --input NAME=FILE...
 * --output-dir DIR` runs it, and the .npy files it writes are compared with the expected outputs in the same way.
 * A case passes only when both ways pass. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "engine/op.h"
#include "engine/plan.h"
#include "model/model.h"
#include "model/passes.h"
#include "util/mapped_file.h"
#include "model/npy.h"

enum { MAX_IO = 16 };

typedef struct tensor_file {
    et_mapped_file file;
    et_const_tensor t;
    const char *name;
} tensor_file;

typedef struct counts {
    int passed, failed, skipped, not_claimed, bound, cli_run;
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
static bool same_type(et_dtype want, et_dtype got) { return want == got || (want == ET_DT_U16 && got == ET_DT_BF16); }

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
                snprintf(why, why_len, "element %lld is %lld, expected %lld", (long long)i, (long long)g, (long long)w);
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

/* The file name `edgetune run --output-dir` gives an output (the documented rule: every character outside
 * [A-Za-z0-9._-] becomes '_'). */
static void output_file_name(const char *name, char *out, size_t len) {
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        out[i] = ok ? c : '_';
    }
    out[i] = '\0';
    if (i == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, len, "output");
}

/* Runs the case in this process through et_model_load_given (what `edgetune run` loads with). Returns 1 pass,
 * 0 fail, -1 skipped. */
static int run_in_process(const char *model_path, const et_graph *probe, const tensor_file *ins, int n_in,
                          const tensor_file *outs, int n_out, bool *used_binding, char *why, size_t why_len) {
    et_input_binding given[MAX_IO];
    bool bound[MAX_IO] = {false};
    for (int k = 0; k < n_in; k++) {
        int slot = input_slot(probe, &ins[k], k);
        if (slot < 0) {
            snprintf(why, why_len, "input %d has no graph input", k);
            return 0;
        }
        const et_value *gv = &probe->values[probe->inputs[slot]];
        et_dtype dt = same_type(ins[k].t.dtype, gv->dtype) ? gv->dtype : ins[k].t.dtype;
        given[k] = (et_input_binding){gv->name, dt, ins[k].t.shape, ins[k].t.data};
    }
    et_model *m = NULL;
    et_plan *plan = NULL;
    et_err err = {0};
    int result = 0;
    if (et_model_load_given(model_path, NULL, given, n_in, bound, NULL, 0, &m, &err) != ET_OK) {
        snprintf(why, why_len, "%s", err.msg);
        return is_type_limit(&err) ? -1 : 0;
    }
    *used_binding = false;
    for (int k = 0; k < n_in; k++)
        *used_binding |= bound[k];
    if (et_plan_create(m->graph, NULL, &plan, &err) != ET_OK) {
        snprintf(why, why_len, "plan: %s", err.msg);
        goto done;
    }
    for (int k = 0; k < n_in; k++) {
        if (bound[k])
            continue;
        int slot = -1;
        for (int i = 0; i < et_plan_n_inputs(plan); i++)
            if (strcmp(et_plan_input_name(plan, i), given[k].name) == 0)
                slot = i;
        if (slot < 0) {
            snprintf(why, why_len, "input %d ('%s') has no plan input", k, given[k].name);
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
    if (et_plan_run(plan, NULL, &err) != ET_OK) {
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
    return result;
}

/* Runs argv with stdout and stderr to files; returns the exit status, or -1 when it could not run or was killed. */
static int spawn(char *const *argv, const char *out_path, const char *err_path) {
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
            e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first line of a file, for a failure message. */
static void first_line(const char *path, char *out, size_t len) {
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)len, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/* Runs the case through `edgetune run` (the binary at exe) in work/. Returns 1 pass, 0 fail, -1 skipped. */
static int run_cli(const char *exe, const char *work, const char *model_path, const et_graph *probe,
                   const tensor_file *ins, int n_in, const tensor_file *outs, int n_out, char *why, size_t why_len) {
    char paths[MAX_IO][4200], flags[MAX_IO][4400], out_dir[4200], out_txt[4200], err_txt[4200];
    char *argv[8 + 2 * MAX_IO];
    int argc = 0;
    argv[argc++] = (char *)exe;
    argv[argc++] = "run";
    argv[argc++] = (char *)model_path;
    for (int k = 0; k < n_in; k++) {
        int slot = input_slot(probe, &ins[k], k);
        if (slot < 0) {
            snprintf(why, why_len, "cli: input %d has no graph input", k);
            return 0;
        }
        const et_value *gv = &probe->values[probe->inputs[slot]];
        snprintf(paths[k], sizeof paths[k], "%s/input_%d.npy", work, k);
        et_err err = {0};
        if (et_npy_write(paths[k], ins[k].t.dtype, &ins[k].t.shape, ins[k].t.data, &err) != ET_OK) {
            snprintf(why, why_len, "cli: writing the input: %s", err.msg);
            return 0;
        }
        snprintf(flags[k], sizeof flags[k], "%s=%s", gv->name, paths[k]);
        argv[argc++] = "--input";
        argv[argc++] = flags[k];
    }
    snprintf(out_dir, sizeof out_dir, "%s/out", work);
    snprintf(out_txt, sizeof out_txt, "%s/stdout.txt", work);
    snprintf(err_txt, sizeof err_txt, "%s/stderr.txt", work);
    argv[argc++] = "--output-dir";
    argv[argc++] = out_dir;
    argv[argc] = NULL;
    int rc = spawn(argv, out_txt, err_txt);
    for (int k = 0; k < n_in; k++)
        unlink(paths[k]);
    if (rc != 0) {
        char line[512];
        first_line(err_txt, line, sizeof line);
        snprintf(why, why_len, "cli: edgetune run exited %d: %s", rc, line);
        et_err e = {.status = ET_E_UNSUPPORTED};
        snprintf(e.msg, sizeof e.msg, "%s", line);
        return rc == 2 && is_type_limit(&e) ? -1 : 0;
    }
    if (probe->n_outputs != n_out) {
        snprintf(why, why_len, "cli: the model has %d outputs, expected %d", probe->n_outputs, n_out);
        return 0;
    }
    int result = 1;
    for (int k = 0; k < n_out && result == 1; k++) {
        const char *name = probe->values[probe->outputs[k]].name;
        char file[256], path[4600], w[256];
        output_file_name(name, file, sizeof file);
        snprintf(path, sizeof path, "%s/%s.npy", out_dir, file);
        et_npy got;
        et_err err = {0};
        if (et_npy_read(path, &got, &err) != ET_OK) {
            snprintf(why, why_len, "cli: output %d (%s): %s", k, name, err.msg);
            return 0;
        }
        /* numpy has no bfloat16: edgetune writes its bits as uint16, the test data holds them as uint16 too */
        et_tensor t = {.dtype = got.dtype == ET_DT_U16 && outs[k].t.dtype == ET_DT_U16 ? ET_DT_U16 : got.dtype,
                       .shape = got.shape,
                       .data = got.data};
        if (!values_match(&outs[k].t, &t, w, sizeof w)) {
            snprintf(why, why_len, "cli: output %d (%s): %s", k, name, w);
            result = 0;
        }
        et_npy_free(&got);
    }
    return result;
}

/* Removes the plain files in dir (not recursive). */
static void empty_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode))
            unlink(p);
    }
    closedir(d);
}

/* Runs one claimed case. Returns 1 pass, 0 fail, -1 skipped; why says what happened. */
static int run_case(const char *dir, const char *exe, const char *work, bool *used_binding, bool *via_cli, char *why,
                    size_t why_len) {
    char model_path[4096];
    snprintf(model_path, sizeof model_path, "%s/model.onnx", dir);
    et_graph *owner = et_graph_new();
    tensor_file ins[MAX_IO] = {0}, outs[MAX_IO] = {0};
    int n_in = 0, n_out = 0, result = 0;
    et_model *probe = NULL;
    et_err err = {0};
    char reason[512] = "";
    /* models whose inputs are not numeric tensors (strings, sequences, optionals) are skipped up front: their
     * test data is not even a TensorProto */
    et_load_options raw = {.allow_unsupported = true, .read_only = true};
    if (et_model_load(model_path, &raw, &probe, &err) != ET_OK) {
        snprintf(why, why_len, "%s", err.msg);
        result = is_type_limit(&err) ? -1 : 0;
        goto done;
    }
    for (int i = 0; i < probe->graph->n_inputs; i++) {
        const et_value *v = &probe->graph->values[probe->graph->inputs[i]];
        if (v->dtype == ET_DT_UNDEFINED || v->dtype == ET_DT_STRING) {
            snprintf(why, why_len, "input '%s' is %s", v->name,
                     v->dtype == ET_DT_STRING ? "a string tensor" : "not a tensor (sequence or optional)");
            result = -1;
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
    result = run_in_process(model_path, probe->graph, ins, n_in, outs, n_out, used_binding, why, why_len);
    if (result == 1 && exe) {
        *via_cli = true;
        char out_dir[4200];
        snprintf(out_dir, sizeof out_dir, "%s/out", work);
        empty_dir(out_dir); /* no output of an earlier case can pass for this one's */
        result = run_cli(exe, work, model_path, probe->graph, ins, n_in, outs, n_out, why, why_len);
    }
done:
    et_model_free(probe);
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
    const char *exe = getenv("ET_EDGETUNE");
    char work[4096] = "";
    if (exe && *exe) {
        const char *tmp = getenv("TMPDIR");
        snprintf(work, sizeof work, "%s/et-conformance-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(work)) {
            printf("conformance: cannot make a work folder in %s\n", tmp && *tmp ? tmp : "/tmp");
            return 1;
        }
    } else {
        exe = NULL;
    }
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
        bool bound = false, via_cli = false;
        int r = run_case(path, exe, work, &bound, &via_cli, why, sizeof why);
        if (r > 0) {
            c.passed++;
            c.bound += bound;
            c.cli_run += via_cli;
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
    if (exe) {
        char f[4200];
        snprintf(f, sizeof f, "%s/out", work);
        empty_dir(f);
        rmdir(f);
        empty_dir(work);
        rmdir(work);
    }
    printf("conformance: %d passed, %d failed, %d skipped of %d cases for claimed operators "
           "(%d needed inputs bound as constants; %d of the passed also passed through %s run); %d cases use "
           "operators edgetune does not claim\n",
           c.passed, c.failed, c.skipped, c.passed + c.failed + c.skipped, c.bound, c.cli_run,
           exe ? exe : "edgetune (not given: set ET_EDGETUNE)", c.not_claimed);
    if (exe && c.cli_run != c.passed) {
        printf("conformance: every passed case must pass through the command line too\n");
        return 1;
    }
    return c.failed ? 1 : 0;
}
