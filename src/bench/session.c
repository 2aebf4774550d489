/* session.c: model + inputs + evaluation set + the plan for the current knobs (see session.h). */
#include "bench/session.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/cpu.h"
#include "model/model_info.h"
#include "profilers/profilers.h"
#include "tune/fidelity.h"
#include "util/mem.h"

enum { N_RANDOM_EVAL = 8, MAX_EVAL = 1024 };

struct et_session {
    et_model *model;
    bool profile_layers;
    int n_in;          /* graph inputs */
    et_npy *inputs;    /* n_in tensors fed to every run */
    /* evaluation set: n_eval sets of n_in tensors, and labels (or NULL) */
    int n_eval;
    et_npy *eval;
    int *labels;
    char eval_source[ET_PATH_MAX];
    /* baseline outputs on the evaluation set: n_eval x n_out float arrays (NULL until computed) */
    int n_out;
    float **baseline;
    int64_t *out_numel, *out_classes;
    /* calibration set */
    int n_calib;
    et_npy *calib;
    char calib_source[ET_PATH_MAX];
    /* current configuration */
    bool configured;
    et_knobs knobs;
    et_graph *tuned;
    et_plan *plan;
    et_tune_report report;
    double prepare_ms;
    et_tune_cache *tune_cache; /* calibration ranges and speed-guard timings reused across knob changes */
    et_tune_progress_fn progress; /* recovery's progress and cancel (et_session_set_progress) */
    void *progress_ctx;
    const volatile int *cancel;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Seeded data for an input: floats roughly N(0,1) (sum of uniforms), integers 0, bools false. */
static et_status random_tensor(const et_value *v, uint64_t seed, et_npy *out, et_err *err) {
    out->dtype = v->dtype;
    out->shape = v->shape;
    int64_t n = et_shape_numel(&v->shape);
    out->nbytes = (size_t)n * et_dtype_size(v->dtype);
    out->data = et_aligned_calloc(out->nbytes ? out->nbytes : 1);
    if (!out->data)
        return et_fail(err, ET_E_NOMEM, "out of memory for input '%s'", v->name);
    if (!et_dtype_is_float(v->dtype))
        return ET_OK;
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s += (double)(x >> 11) / 9007199254740992.0;
        }
        et_dtype_store(v->dtype, out->data, (size_t)i, (s - 2.0) * 1.7320508);
    }
    return ET_OK;
}

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Reads every *.npy in dir (sorted by name) as one input set each (single-input models), up to MAX_EVAL.
 * Each file must match the model input's type and shape. */
static et_status read_npy_dir(et_session *s, const char *dir, et_npy **out, int *n_out, et_err *err) {
    DIR *d = opendir(dir);
    if (!d)
        return et_fail(err, ET_E_IO, "%s: cannot open the folder", dir);
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".npy") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, (size_t)cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
        if (n >= MAX_EVAL)
            break;
    }
    closedir(d);
    et_status st = ET_OK;
    if (n == 0) {
        st = et_fail(err, ET_E_INPUT, "%s: no .npy files in the folder", dir);
        goto done;
    }
    if (s->n_in != 1) {
        st = et_fail(err, ET_E_UNSUPPORTED, "%s: evaluation folders work with single-input models; this one has %d",
                     dir, s->n_in);
        goto done;
    }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    *out = calloc((size_t)n, sizeof **out);
    if (!*out) {
        st = et_fail(err, ET_E_NOMEM, "out of memory");
        goto done;
    }
    const et_value *v = &s->model->graph->values[s->model->graph->inputs[0]];
    for (int i = 0; i < n && st == ET_OK; i++) {
        char path[ET_PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((st = et_npy_read(path, &(*out)[i], err)) == ET_OK &&
            ((*out)[i].dtype != v->dtype || !et_shape_equal(&(*out)[i].shape, &v->shape))) {
            char a[96], b[96];
            st = et_fail(err, ET_E_INPUT, "%s: %s %s, but the model's input '%s' is %s %s", path,
                         et_dtype_name((*out)[i].dtype), et_shape_str(&(*out)[i].shape, a, sizeof a), v->name,
                         et_dtype_name(v->dtype), et_shape_str(&v->shape, b, sizeof b));
        }
        *n_out = i + 1;
    }
done:
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

static et_status read_labels(et_session *s, const char *dir, et_err *err) {
    char path[ET_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/labels.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return ET_OK; /* no labels: fidelity without accuracy */
    s->labels = calloc((size_t)s->n_eval, sizeof *s->labels);
    if (!s->labels) {
        fclose(f);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    int k = 0, v;
    while (k < s->n_eval && fscanf(f, "%d", &v) == 1)
        s->labels[k++] = v;
    fclose(f);
    if (k != s->n_eval) {
        free(s->labels);
        s->labels = NULL;
        return et_fail(err, ET_E_INPUT, "%s: %d labels for %d evaluation files; one integer per line, in file-name order",
                       path, k, s->n_eval);
    }
    return ET_OK;
}

/* The companion folder <model without .onnx>.<suffix> next to the model, when it exists. */
static bool companion_dir(const char *model_path, const char *suffix, char *out, size_t len) {
    size_t l = strlen(model_path);
    size_t base = l > 5 && strcmp(model_path + l - 5, ".onnx") == 0 ? l - 5 : l;
    snprintf(out, len, "%.*s.%s", (int)base, model_path, suffix);
    return is_dir(out);
}

static et_status load_sets(et_session *s, const char *dir_opt, const char *suffix, et_npy **sets, int *n,
                           char *source, size_t source_len, et_err *err) {
    char dir[ET_PATH_MAX];
    if (dir_opt)
        snprintf(dir, sizeof dir, "%s", dir_opt);
    if (dir_opt || companion_dir(s->model->path, suffix, dir, sizeof dir)) {
        snprintf(source, source_len, "%s", dir);
        return read_npy_dir(s, dir, sets, n, err);
    }
    snprintf(source, source_len, "seeded random inputs");
    *sets = calloc((size_t)N_RANDOM_EVAL * (size_t)s->n_in, sizeof **sets);
    if (!*sets)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    *n = N_RANDOM_EVAL;
    for (int k = 0; k < N_RANDOM_EVAL; k++)
        for (int i = 0; i < s->n_in; i++) {
            const et_value *v = &s->model->graph->values[s->model->graph->inputs[i]];
            et_status st = random_tensor(v, 1000u + (uint64_t)k * 131u + (uint64_t)i + (suffix[0] == 'c' ? 7919u : 0),
                                         &(*sets)[k * s->n_in + i], err);
            if (st != ET_OK)
                return st;
        }
    return ET_OK;
}

et_status et_session_open(const et_session_options *opt, et_session **out, et_err *err) {
    *out = NULL;
    et_session *s = calloc(1, sizeof *s);
    if (!s)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    s->profile_layers = opt->profile_layers;
    et_status st = ET_OK;
    et_npy *files = NULL;
    /* --input files first: their shapes fix dynamic dims not given with --shape */
    int n_files = opt->n_inputs;
    et_input_shape shapes[64];
    int n_shapes = 0;
    for (int i = 0; i < opt->n_shapes && n_shapes < 64; i++)
        shapes[n_shapes++] = opt->shapes[i];
    if (n_files) {
        files = calloc((size_t)n_files, sizeof *files);
        if (!files) {
            st = et_fail(err, ET_E_NOMEM, "out of memory");
            goto fail;
        }
        for (int i = 0; i < n_files; i++)
            if ((st = et_npy_read(opt->inputs[i].path, &files[i], err)) != ET_OK)
                goto fail;
    }
    /* a first read to learn the input names for files given without a name */
    et_model *probe = NULL;
    et_load_options ro = {.read_only = true, .allow_unsupported = true};
    if ((st = et_model_load(opt->model_path, &ro, &probe, err)) != ET_OK)
        goto fail;
    for (int i = 0; i < n_files && n_shapes < 64; i++) {
        const char *name = opt->inputs[i].name;
        if (!name) {
            if (probe->graph->n_inputs != 1) {
                et_model_free(probe);
                st = et_fail(err, ET_E_USAGE, "--input %s: the model has %d inputs; name them: --input NAME=FILE",
                             opt->inputs[i].path, probe->graph->n_inputs);
                goto fail;
            }
            name = probe->graph->values[probe->graph->inputs[0]].name;
        }
        bool given = false;
        for (int k = 0; k < opt->n_shapes; k++)
            given |= strcmp(opt->shapes[k].name, name) == 0;
        if (!given && et_graph_find_value(probe->graph, name) >= 0) {
            /* the value name pointer must outlive the load: use the option's own string when present */
            shapes[n_shapes].name = opt->inputs[i].name ? opt->inputs[i].name : NULL;
            shapes[n_shapes].shape = files[i].shape;
            if (shapes[n_shapes].name)
                n_shapes++;
        }
    }
    bool single_unnamed = n_files == 1 && !opt->inputs[0].name && probe->graph->n_inputs == 1;
    char single_name[256] = "";
    if (single_unnamed) {
        snprintf(single_name, sizeof single_name, "%s", probe->graph->values[probe->graph->inputs[0]].name);
        bool given = false;
        for (int k = 0; k < opt->n_shapes; k++)
            given |= strcmp(opt->shapes[k].name, single_name) == 0;
        if (!given && n_shapes < 64)
            shapes[n_shapes++] = (et_input_shape){single_name, files[0].shape};
    }
    et_model_free(probe);

    et_load_options lo = {.shapes = shapes, .n_shapes = n_shapes};
    if ((st = et_model_load(opt->model_path, &lo, &s->model, err)) != ET_OK)
        goto fail;
    const et_graph *g = s->model->graph;
    s->n_in = g->n_inputs;
    s->n_out = g->n_outputs;
    s->inputs = calloc((size_t)(s->n_in ? s->n_in : 1), sizeof *s->inputs);
    if (!s->inputs) {
        st = et_fail(err, ET_E_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < s->n_in; i++) {
        const et_value *v = &g->values[g->inputs[i]];
        int f = -1;
        for (int k = 0; k < n_files; k++) {
            const char *name = opt->inputs[k].name ? opt->inputs[k].name : single_name;
            if (strcmp(name, v->name) == 0)
                f = k;
        }
        if (f < 0) {
            if ((st = random_tensor(v, 42u + (uint64_t)i, &s->inputs[i], err)) != ET_OK)
                goto fail;
            continue;
        }
        if (files[f].dtype != v->dtype || !et_shape_equal(&files[f].shape, &v->shape)) {
            char a[96], b[96];
            st = et_fail(err, ET_E_INPUT, "%s: %s %s, but input '%s' is %s %s", opt->inputs[f].path,
                         et_dtype_name(files[f].dtype), et_shape_str(&files[f].shape, a, sizeof a), v->name,
                         et_dtype_name(v->dtype), et_shape_str(&v->shape, b, sizeof b));
            goto fail;
        }
        s->inputs[i] = files[f];
        files[f].data = NULL; /* moved */
    }
    for (int k = 0; k < n_files; k++) {
        const char *name = opt->inputs[k].name ? opt->inputs[k].name : single_name;
        if (et_graph_find_value(g, name) < 0 || g->values[et_graph_find_value(g, name)].kind != ET_VAL_INPUT) {
            st = et_fail(err, ET_E_USAGE, "--input %s: the model has no input named '%s'", opt->inputs[k].path, name);
            goto fail;
        }
    }
    if ((st = load_sets(s, opt->eval_dir, "eval", &s->eval, &s->n_eval, s->eval_source, sizeof s->eval_source, err)) !=
        ET_OK)
        goto fail;
    if (strcmp(s->eval_source, "seeded random inputs") != 0 && (st = read_labels(s, s->eval_source, err)) != ET_OK)
        goto fail;
    if ((st = load_sets(s, opt->calib_dir, "calib", &s->calib, &s->n_calib, s->calib_source, sizeof s->calib_source,
                        err)) != ET_OK)
        goto fail;
    if (files)
        for (int k = 0; k < n_files; k++)
            et_npy_free(&files[k]);
    free(files);
    *out = s;
    return ET_OK;
fail:
    if (files)
        for (int k = 0; k < n_files; k++)
            et_npy_free(&files[k]);
    free(files);
    et_session_free(s);
    return st;
}

static void free_sets(et_npy *sets, int n) {
    if (!sets)
        return;
    for (int i = 0; i < n; i++)
        et_npy_free(&sets[i]);
    free(sets);
}

void et_session_free(et_session *s) {
    if (!s)
        return;
    et_plan_free(s->plan);
    et_graph_free(s->tuned);
    et_tune_cache_free(s->tune_cache);
    free_sets(s->inputs, s->n_in);
    free_sets(s->eval, s->n_eval * (s->n_in ? s->n_in : 1));
    free_sets(s->calib, s->n_calib * (s->n_in ? s->n_in : 1));
    free(s->labels);
    if (s->baseline)
        for (int i = 0; i < s->n_eval * s->n_out; i++)
            free(s->baseline[i]);
    free(s->baseline);
    free(s->out_numel);
    free(s->out_classes);
    et_model_free(s->model);
    free(s);
}

void et_session_set_progress(et_session *s, et_tune_progress_fn fn, void *ctx, const volatile int *cancel) {
    s->progress = fn;
    s->progress_ctx = ctx;
    s->cancel = cancel;
}

const et_model *et_session_model(const et_session *s) { return s->model; }
double et_session_prepare_ms(const et_session *s) { return s->prepare_ms; }
const et_tune_report *et_session_tune_report(const et_session *s) { return &s->report; }
et_plan *et_session_plan(et_session *s) { return s->plan; }
const et_graph *et_session_tuned(const et_session *s) { return s->tuned; }
const et_knobs *et_session_knobs(const et_session *s) { return &s->knobs; }

static void load_set(et_session *s, const et_npy *set) {
    for (int i = 0; i < s->n_in; i++) {
        et_tensor *t = et_plan_input(s->plan, i);
        if (set[i].nbytes)
            memcpy(t->data, set[i].data, set[i].nbytes);
    }
}

void et_session_load_inputs(et_session *s) { load_set(s, s->inputs); }

et_status et_session_configure(et_session *s, const et_knobs *k, et_err *err) {
    if (s->configured && memcmp(&s->knobs, k, sizeof *k) == 0)
        return ET_OK;
    double t0 = now_ms();
    et_plan_free(s->plan);
    et_graph_free(s->tuned);
    s->plan = NULL;
    s->tuned = NULL;
    s->configured = false;
    et_calib_set calib = {.n_sets = s->n_calib, .n_inputs = s->n_in, .sets = s->calib};
    snprintf(calib.source, sizeof calib.source, "%s", s->calib_source);
    if (!s->tune_cache)
        s->tune_cache = et_tune_cache_new(); /* NULL only caches nothing */
    et_tune_options to = et_tune_options_default();
    to.cache = s->tune_cache;
    to.progress = s->progress;
    to.progress_ctx = s->progress_ctx;
    to.cancel = s->cancel;
    et_status st = et_tune_apply_ex(s->model->graph, k, &calib, &to, &s->tuned, &s->report, err);
    if (st != ET_OK)
        return st;
    et_plan_options po = et_plan_options_default();
    po.threads = k->threads;
    po.profile_layers = s->profile_layers;
    if ((st = et_plan_create(s->tuned, &po, &s->plan, err)) != ET_OK)
        return st;
    /* the plan holds its packed weights: the file's pages need not stay resident beside them */
    et_model_drop_pages(s->model);
    s->knobs = *k;
    s->configured = true;
    s->prepare_ms = now_ms() - t0;
    et_session_load_inputs(s);
    return ET_OK;
}

et_status et_session_infer(et_session *s, const volatile int *cancel, et_err *err) {
    if (!s->plan)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    return et_plan_run(s->plan, cancel, err);
}

/* Runs the evaluation set through the pristine fp32 plan once and keeps the outputs. */
static et_status compute_baseline(et_session *s, const volatile int *cancel, et_err *err) {
    et_plan_options po = et_plan_options_default();
    po.threads = s->knobs.threads > 0 ? s->knobs.threads : 1;
    et_plan *bp = NULL;
    et_status st = et_plan_create(s->model->graph, &po, &bp, err);
    if (st != ET_OK)
        return st;
    s->baseline = calloc((size_t)(s->n_eval * s->n_out), sizeof *s->baseline);
    s->out_numel = calloc((size_t)s->n_out, sizeof *s->out_numel);
    s->out_classes = calloc((size_t)s->n_out, sizeof *s->out_classes);
    if (!s->baseline || !s->out_numel || !s->out_classes) {
        et_plan_free(bp);
        return et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
    }
    for (int o = 0; o < s->n_out; o++) {
        const et_tensor *t = et_plan_output(bp, o);
        s->out_numel[o] = et_shape_numel(&t->shape);
        s->out_classes[o] = t->shape.rank ? t->shape.dim[t->shape.rank - 1] : 1;
    }
    for (int k = 0; k < s->n_eval && st == ET_OK; k++) {
        for (int i = 0; i < s->n_in; i++) {
            et_tensor *t = et_plan_input(bp, i);
            memcpy(t->data, s->eval[k * s->n_in + i].data, s->eval[k * s->n_in + i].nbytes);
        }
        if ((st = et_plan_run(bp, cancel, err)) != ET_OK)
            break;
        for (int o = 0; o < s->n_out; o++) {
            const et_tensor *t = et_plan_output(bp, o);
            float *copy = malloc((size_t)(s->out_numel[o] ? s->out_numel[o] : 1) * sizeof *copy);
            if (!copy) {
                st = et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
                break;
            }
            for (int64_t e = 0; e < s->out_numel[o]; e++)
                copy[e] = (float)et_dtype_load(t->dtype, t->data, (size_t)e);
            s->baseline[k * s->n_out + o] = copy;
        }
    }
    et_plan_free(bp);
    if (st != ET_OK) {
        for (int i = 0; i < s->n_eval * s->n_out; i++)
            free(s->baseline[i]);
        free(s->baseline);
        s->baseline = NULL;
    }
    return st;
}

et_status et_session_fidelity(et_session *s, const volatile int *cancel, et_fidelity_info *out, et_err *err) {
    free(out->outputs);
    memset(out, 0, sizeof *out);
    out->accuracy = out->baseline_accuracy = -1.0;
    if (!s->plan)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    et_status st = ET_OK;
    if (!s->baseline && (st = compute_baseline(s, cancel, err)) != ET_OK)
        return st;
    et_fidelity_acc *acc = calloc((size_t)s->n_out, sizeof *acc);
    float *tmp = NULL;
    int64_t max_numel = 1;
    for (int o = 0; o < s->n_out; o++)
        if (s->out_numel[o] > max_numel)
            max_numel = s->out_numel[o];
    tmp = malloc((size_t)max_numel * sizeof *tmp);
    if (!acc || !tmp) {
        free(acc), free(tmp);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    int correct = 0, base_correct = 0;
    for (int k = 0; k < s->n_eval; k++) {
        load_set(s, &s->eval[k * s->n_in]);
        if ((st = et_plan_run(s->plan, cancel, err)) != ET_OK)
            break;
        for (int o = 0; o < s->n_out; o++) {
            const et_tensor *t = et_plan_output(s->plan, o);
            for (int64_t e = 0; e < s->out_numel[o]; e++)
                tmp[e] = (float)et_dtype_load(t->dtype, t->data, (size_t)e);
            const float *b = s->baseline[k * s->n_out + o];
            et_fidelity_add(&acc[o], b, tmp, s->out_numel[o], s->out_classes[o]);
            if (o == 0 && s->labels) {
                correct += et_argmax_f32(tmp, s->out_numel[0]) == s->labels[k];
                base_correct += et_argmax_f32(b, s->out_numel[0]) == s->labels[k];
            }
        }
    }
    et_session_load_inputs(s);
    if (st == ET_OK) {
        out->outputs = calloc((size_t)s->n_out, sizeof *out->outputs);
        if (!out->outputs) {
            st = et_fail(err, ET_E_NOMEM, "out of memory");
        } else {
            out->n_outputs = s->n_out;
            for (int o = 0; o < s->n_out; o++)
                et_fidelity_finish(&acc[o], et_plan_output_name(s->plan, o), &out->outputs[o]);
            out->status = ET_AVAIL_OK;
            out->why[0] = '\0';
            out->n_inputs = s->n_eval;
            snprintf(out->eval_source, sizeof out->eval_source, "%s", s->eval_source);
            if (s->labels) {
                out->accuracy = (double)correct / s->n_eval;
                out->baseline_accuracy = (double)base_correct / s->n_eval;
            }
        }
    }
    free(acc);
    free(tmp);
    return st;
}

void et_session_describe(et_session *s, et_result *r) {
    et_uuid_v4(r->uuid);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->started_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    const et_model *m = s->model;
    snprintf(r->model.name, sizeof r->model.name, "%s", m->name);
    snprintf(r->model.path, sizeof r->model.path, "%s", m->path);
    snprintf(r->model.sha256, sizeof r->model.sha256, "%s", m->sha256);
    r->model.file_bytes = (int64_t)m->file_bytes;
    r->model.params = et_graph_param_count(m->graph);
    r->model.macs = et_graph_macs(m->graph);
    et_host_info_read(&r->host);
    r->knobs = s->knobs;
    snprintf(r->engine.isa, sizeof r->engine.isa, "%s", et_cpu_isa_name());
    snprintf(r->engine.exec, sizeof r->engine.exec, "%s", s->report.exec[0] ? s->report.exec : "native");
    snprintf(r->engine.notes, sizeof r->engine.notes, "%s", s->report.notes);
    r->prepare_ms = s->prepare_ms;
    if (s->plan) {
        et_plan_stats ps = et_plan_get_stats(s->plan);
        r->memory.arena_bytes = ps.arena_bytes;
        r->memory.weights_bytes = ps.weights_bytes;
    }
    r->memory.weights_deploy_bytes = s->report.weights_deploy_bytes;
}
