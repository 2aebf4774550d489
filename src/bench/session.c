/* session.c: model + inputs + evaluation set + the plan for the current knobs (see session.h).
 *
 * The evaluation set streams (dataset.h): each fidelity pass reads one sample at a time into the plan's input.
 * What is kept between passes is what fidelity needs from the fp32 baseline: its outputs per sample (for cosine,
 * SQNR, agreement) and its top-1 class (for baseline accuracy). Outputs are kept for every sample while they fit
 * in ET_BASELINE_MAX_BYTES; beyond that, for a seeded subset of the samples that fits, and the result says how many
 * were compared (accuracy still counts every sample). */
#include "bench/session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench/dataset.h"
#include "bench/deploy_memory.h"
#include "engine/cpu.h"
#include "model/model_info.h"
#include "model/passes.h"
#include "profilers/profilers.h"
#include "tune/fidelity.h"
#include "util/mem.h"

enum { N_RANDOM_EVAL = 8, MAX_GIVEN = 64 };
/* Calibration is held in memory (it is run once per pruning configuration): at most this many samples and bytes;
 * a larger set is used through a seeded subset, and the calibration source says so. */
enum { ET_CALIB_MAX_SAMPLES = 1024 };
#define ET_CALIB_MAX_BYTES ((size_t)256 << 20)
/* The fp32 baseline's outputs kept for fidelity. */
#define ET_BASELINE_MAX_BYTES ((size_t)256 << 20)
#define ET_SUBSET_SEED 1u

struct et_session {
    et_model *model;
    bool profile_layers;
    int n_in;          /* graph inputs (bound inputs are constants, not inputs) */
    et_npy *inputs;    /* n_in tensors fed to every run */
    char notes[512];   /* what the user must know about how the inputs were taken ("" when nothing) */
    /* evaluation set: a dataset feeding input eval_input, or seeded random inputs for every input */
    et_dataset *eval;
    int eval_input;
    int64_t n_eval;
    char eval_source[ET_PATH_MAX];
    /* fp32 baseline on the evaluation set (computed on the first fidelity pass) */
    bool have_baseline;
    int n_out;
    int64_t *out_numel, *out_classes;
    int32_t *base_top1;     /* n_eval: arg-max of output 0 */
    int64_t *kept_slot;     /* n_eval: index into base_out, or -1 when this sample's outputs were not kept */
    int64_t n_kept;
    float *base_out;        /* n_kept x (sum of out_numel) */
    int64_t out_stride;     /* sum of out_numel */
    /* calibration set (in memory) */
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
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Seeded data for a tensor of dtype x n elements: floats roughly N(0,1) (sum of uniforms), integers 0, bools
 * false. dst holds n elements. */
static void random_fill(et_dtype dtype, int64_t n, uint64_t seed, void *dst) {
    if (!et_dtype_is_float(dtype)) {
        memset(dst, 0, (size_t)n * et_dtype_size(dtype));
        return;
    }
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s += (double)(x >> 11) / 9007199254740992.0;
        }
        et_dtype_store(dtype, dst, (size_t)i, (s - 2.0) * 1.7320508);
    }
}

/* A zeroed tensor of v's type and shape. */
static et_status empty_tensor(const et_value *v, et_npy *out, et_err *err) {
    out->dtype = v->dtype;
    out->shape = v->shape;
    out->nbytes = (size_t)et_shape_numel(&v->shape) * et_dtype_size(v->dtype);
    out->data = et_aligned_calloc(out->nbytes ? out->nbytes : 1);
    if (!out->data)
        return et_fail(err, ET_E_NOMEM, "out of memory for input '%s'", v->name);
    return ET_OK;
}

static et_status random_tensor(const et_value *v, uint64_t seed, et_npy *out, et_err *err) {
    et_status st = empty_tensor(v, out, err);
    if (st == ET_OK)
        random_fill(v->dtype, et_shape_numel(&v->shape), seed, out->data);
    return st;
}

/* Seeds of the random evaluation and calibration sets (set k, input i). */
static uint64_t random_set_seed(int k, int i, bool calib) {
    return 1000u + (uint64_t)k * 131u + (uint64_t)i + (calib ? 7919u : 0);
}

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The companion folder <model without .onnx>.<suffix> next to the model, when it exists. */
static bool companion_dir(const char *model_path, const char *suffix, char *out, size_t len) {
    size_t l = strlen(model_path);
    size_t base = l > 5 && strcmp(model_path + l - 5, ".onnx") == 0 ? l - 5 : l;
    snprintf(out, len, "%.*s.%s", (int)base, model_path, suffix);
    return is_dir(out);
}

static int find_input(const et_graph *g, const char *name) {
    for (int i = 0; i < g->n_inputs; i++)
        if (strcmp(g->values[g->inputs[i]].name, name) == 0)
            return i;
    return -1;
}

/* The input a data set feeds: the model's only input, or the only one not given with --input. -1 when there is
 * none or more than one. */
static int dataset_input(const et_graph *probe, const char *const *given_names, int n_given) {
    if (probe->n_inputs == 1)
        return 0;
    int found = -1;
    for (int i = 0; i < probe->n_inputs; i++) {
        bool given = false;
        for (int k = 0; k < n_given; k++)
            given |= strcmp(given_names[k], probe->values[probe->inputs[i]].name) == 0;
        if (given)
            continue;
        if (found >= 0)
            return -1;
        found = i;
    }
    return found;
}

typedef struct set_request {
    const char *what;      /* "--eval" or "--calib" */
    const char *path;      /* as given, or the companion folder, or NULL */
    const char *labels;
    int64_t limit;
    bool no_labels;
    et_dataset *ds;
    et_shape sample;       /* after the first fit */
} set_request;

/* Opens a requested set and fits it to the probe's declared input (or the --shape given for it). */
static et_status open_set(set_request *r, const et_value *declared, const et_shape *shape_flag, et_err *err) {
    if (!r->path)
        return ET_OK;
    et_dataset_options o = {.path = r->path, .labels_path = r->labels, .no_labels = r->no_labels, .limit = r->limit,
                            .seed = ET_SUBSET_SEED};
    et_status st = et_dataset_open(&o, &r->ds, err);
    if (st == ET_OK)
        st = et_dataset_fit(r->ds, declared->name, declared->dtype, shape_flag ? shape_flag : &declared->shape,
                            &r->sample, err);
    if (st != ET_OK && shape_flag && st == ET_E_INPUT)
        et_err_prefix(err, "%s (the input's dims as given with --shape or --input): ", r->what);
    return st;
}

et_status et_session_open(const et_session_options *opt, et_session **out, et_err *err) {
    *out = NULL;
    et_session *s = calloc(1, sizeof *s);
    if (!s)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    s->profile_layers = opt->profile_layers;
    s->eval_input = -1;
    et_status st = ET_OK;
    int n_files = opt->n_inputs;
    et_npy *files = NULL;
    et_model *probe = NULL;
    et_input_shape shapes[MAX_GIVEN + 1]; /* the flags', and one from a data set */
    et_input_binding given[MAX_GIVEN];
    const char *given_names[MAX_GIVEN];
    bool bound[MAX_GIVEN] = {false};
    set_request sets[2] = {{.what = "--eval", .path = opt->eval_dir, .labels = opt->labels_path,
                            .limit = opt->eval_limit},
                           {.what = "--calib", .path = opt->calib_dir, .limit = ET_CALIB_MAX_SAMPLES,
                            .no_labels = true}};
    char companions[2][ET_PATH_MAX];
    int n_shapes = 0;
    if (n_files > MAX_GIVEN || opt->n_shapes > MAX_GIVEN) {
        st = et_fail(err, ET_E_USAGE, "at most %d --input and %d --shape flags", MAX_GIVEN, MAX_GIVEN);
        goto fail;
    }
    /* --input files first: their shapes fix the dims of the inputs they feed */
    if (n_files && !(files = calloc((size_t)n_files, sizeof *files))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_files; i++)
        if ((st = et_npy_read(opt->inputs[i].path, &files[i], err)) != ET_OK)
            goto fail;
    /* a first read for the input names and declared shapes */
    et_load_options ro = {.read_only = true, .allow_unsupported = true};
    if ((st = et_model_load(opt->model_path, &ro, &probe, err)) != ET_OK)
        goto fail;
    const et_graph *pg = probe->graph;
    for (int i = 0; i < n_files; i++) {
        const char *name = opt->inputs[i].name;
        if (!name) {
            if (pg->n_inputs != 1) {
                st = et_fail(err, ET_E_USAGE, "--input %s: the model has %d inputs; name them: --input NAME=FILE",
                             opt->inputs[i].path, pg->n_inputs);
                goto fail;
            }
            name = pg->values[pg->inputs[0]].name;
        }
        int slot = find_input(pg, name);
        if (slot < 0) {
            st = et_fail(err, ET_E_USAGE, "--input %s: the model has no input named '%s'", opt->inputs[i].path, name);
            goto fail;
        }
        /* numpy has no bfloat16: a uint16 file feeds a bfloat16 input with its bits */
        if (files[i].dtype == ET_DT_U16 && pg->values[pg->inputs[slot]].dtype == ET_DT_BF16)
            files[i].dtype = ET_DT_BF16;
        given_names[i] = name;
        given[i] = (et_input_binding){name, files[i].dtype, files[i].shape, files[i].data};
        /* data (more than a few numbers) must fit the declared input; small values may be bound instead */
        const et_value *dv = &pg->values[pg->inputs[slot]];
        bool fits = files[i].dtype == dv->dtype && files[i].shape.rank == dv->shape.rank;
        for (int d = 0; fits && d < dv->shape.rank; d++)
            fits = dv->shape.dim[d] < 0 || dv->shape.dim[d] == files[i].shape.dim[d];
        if (!fits && et_shape_numel(&files[i].shape) > ET_BIND_MAX_ELEMS) {
            char a[96], b[96];
            st = et_fail(err, ET_E_INPUT, "%s: %s %s, but input '%s' is %s %s", opt->inputs[i].path,
                         et_dtype_name(files[i].dtype), et_shape_str(&files[i].shape, a, sizeof a), name,
                         et_dtype_name(dv->dtype), et_shape_str(&dv->shape, b, sizeof b));
            goto fail;
        }
    }
    for (int i = 0; i < opt->n_shapes; i++)
        shapes[n_shapes++] = opt->shapes[i];

    /* data sets: dims they imply fix the dynamic dims of the input they feed, when they agree with the flags */
    if (!sets[0].path && companion_dir(opt->model_path, "eval", companions[0], sizeof companions[0]))
        sets[0].path = companions[0];
    if (!sets[1].path && companion_dir(opt->model_path, "calib", companions[1], sizeof companions[1]))
        sets[1].path = companions[1];
    int target = dataset_input(pg, given_names, n_files);
    if ((sets[0].path || sets[1].path) && target < 0) {
        const set_request *r = sets[0].path ? &sets[0] : &sets[1];
        st = et_fail(err, ET_E_UNSUPPORTED,
                     "%s: a data set feeds one input: the model's only input, or the only one not given with "
                     "--input (this model has %d inputs, %d given)",
                     r->path, pg->n_inputs, n_files);
        goto fail;
    }
    const char *target_name = target >= 0 ? pg->values[pg->inputs[target]].name : NULL;
    const et_shape *shape_flag = NULL; /* the target's shape from --shape, else from its --input file */
    for (int i = 0; target_name && i < n_files; i++)
        if (strcmp(given_names[i], target_name) == 0)
            shape_flag = &files[i].shape;
    for (int i = 0; target_name && i < opt->n_shapes; i++)
        if (strcmp(opt->shapes[i].name, target_name) == 0)
            shape_flag = &opt->shapes[i].shape;
    for (int k = 0; k < 2; k++)
        if ((st = open_set(&sets[k], &pg->values[pg->inputs[target >= 0 ? target : 0]], shape_flag, err)) != ET_OK)
            goto fail;
    if (sets[0].ds && sets[1].ds && !et_shape_equal(&sets[0].sample, &sets[1].sample)) {
        char a[96], b[96];
        st = et_fail(err, ET_E_INPUT, "%s holds samples of %s, %s of %s; they feed the same input '%s'", sets[1].path,
                     et_shape_str(&sets[1].sample, b, sizeof b), sets[0].path,
                     et_shape_str(&sets[0].sample, a, sizeof a), target_name);
        goto fail;
    }
    if (!shape_flag && (sets[0].ds || sets[1].ds))
        shapes[n_shapes++] = (et_input_shape){target_name, sets[0].ds ? sets[0].sample : sets[1].sample};

    et_load_options lo = {.shapes = shapes, .n_shapes = n_shapes};
    if ((st = et_model_load_given(opt->model_path, &lo, given, n_files, bound, s->notes, sizeof s->notes, &s->model,
                                  err)) != ET_OK)
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
        for (int k = 0; k < n_files; k++)
            if (!bound[k] && strcmp(given_names[k], v->name) == 0)
                f = k;
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
    if (target_name)
        s->eval_input = find_input(g, target_name);
    /* the final shapes known: fit the sets again (an exact check) */
    for (int k = 0; k < 2; k++) {
        if (!sets[k].ds)
            continue;
        if (s->eval_input < 0) {
            st = et_fail(err, ET_E_UNSUPPORTED, "%s: input '%s' became a constant; data sets cannot feed it",
                         sets[k].path, target_name);
            goto fail;
        }
        const et_value *v = &g->values[g->inputs[s->eval_input]];
        et_shape sample;
        if ((st = et_dataset_fit(sets[k].ds, v->name, v->dtype, &v->shape, &sample, err)) != ET_OK)
            goto fail;
    }
    /* evaluation: the data set streams from disk, random sets are made when used */
    if (sets[0].ds) {
        s->eval = sets[0].ds;
        sets[0].ds = NULL;
        s->n_eval = et_dataset_count(s->eval);
        snprintf(s->eval_source, sizeof s->eval_source, "%s", et_dataset_describe(s->eval));
    } else {
        s->n_eval = N_RANDOM_EVAL;
        snprintf(s->eval_source, sizeof s->eval_source, "seeded random inputs");
    }
    /* calibration: in memory */
    int64_t n_calib = N_RANDOM_EVAL;
    if (sets[1].ds) {
        size_t bytes = et_dataset_sample_bytes(sets[1].ds);
        int64_t fit = bytes ? (int64_t)(ET_CALIB_MAX_BYTES / bytes) : ET_CALIB_MAX_SAMPLES;
        if (fit < 1)
            fit = 1;
        if (et_dataset_count(sets[1].ds) > fit) { /* too many bytes: a smaller seeded subset */
            et_dataset_free(sets[1].ds);
            sets[1].ds = NULL;
            sets[1].limit = fit;
            const et_value *v = &g->values[g->inputs[s->eval_input]];
            if ((st = open_set(&sets[1], v, &v->shape, err)) != ET_OK)
                goto fail;
        }
        n_calib = et_dataset_count(sets[1].ds);
        snprintf(s->calib_source, sizeof s->calib_source, "%s", et_dataset_describe(sets[1].ds));
    } else {
        snprintf(s->calib_source, sizeof s->calib_source, "seeded random inputs");
    }
    int n_in1 = s->n_in ? s->n_in : 1;
    if (!(s->calib = calloc((size_t)(n_calib * n_in1), sizeof *s->calib))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory for the calibration set");
        goto fail;
    }
    s->n_calib = (int)n_calib;
    for (int k = 0; k < n_calib; k++)
        for (int i = 0; i < s->n_in; i++) {
            const et_value *v = &g->values[g->inputs[i]];
            et_npy *t = &s->calib[k * n_in1 + i];
            if (sets[1].ds && i == s->eval_input) {
                if ((st = empty_tensor(v, t, err)) != ET_OK ||
                    (st = et_dataset_read(sets[1].ds, k, t->data, err)) != ET_OK)
                    goto fail;
            } else if (sets[1].ds) { /* the other inputs as given */
                if ((st = empty_tensor(v, t, err)) != ET_OK)
                    goto fail;
                memcpy(t->data, s->inputs[i].data, t->nbytes);
            } else if ((st = random_tensor(v, random_set_seed(k, i, true), t, err)) != ET_OK) {
                goto fail;
            }
        }
    for (int k = 0; k < 2; k++)
        et_dataset_free(sets[k].ds);
    if (files)
        for (int k = 0; k < n_files; k++)
            et_npy_free(&files[k]);
    free(files);
    et_model_free(probe);
    *out = s;
    return ET_OK;
fail:
    for (int k = 0; k < 2; k++)
        et_dataset_free(sets[k].ds);
    if (files)
        for (int k = 0; k < n_files; k++)
            et_npy_free(&files[k]);
    free(files);
    et_model_free(probe);
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

static void free_baseline(et_session *s) {
    free(s->out_numel);
    free(s->out_classes);
    free(s->base_top1);
    free(s->kept_slot);
    free(s->base_out);
    s->out_numel = s->out_classes = NULL;
    s->base_top1 = NULL;
    s->kept_slot = NULL;
    s->base_out = NULL;
    s->n_kept = 0;
    s->have_baseline = false;
}

void et_session_free(et_session *s) {
    if (!s)
        return;
    et_plan_free(s->plan);
    et_graph_free(s->tuned);
    et_tune_cache_free(s->tune_cache);
    free_sets(s->inputs, s->n_in);
    free_sets(s->calib, s->n_calib * (s->n_in ? s->n_in : 1));
    et_dataset_free(s->eval);
    free_baseline(s);
    et_model_free(s->model);
    free(s);
}

const et_model *et_session_model(const et_session *s) { return s->model; }
double et_session_prepare_ms(const et_session *s) { return s->prepare_ms; }
const et_tune_report *et_session_tune_report(const et_session *s) { return &s->report; }
et_plan *et_session_plan(et_session *s) { return s->plan; }
const et_graph *et_session_tuned(const et_session *s) { return s->tuned; }
const et_knobs *et_session_knobs(const et_session *s) { return &s->knobs; }
const char *et_session_notes(const et_session *s) { return s->notes; }
int64_t et_session_eval_count(const et_session *s) { return s->n_eval; }
const char *et_session_eval_source(const et_session *s) { return s->eval_source; }
const char *et_session_calib_source(const et_session *s) { return s->calib_source; }

static void load_set(et_plan *plan, const et_npy *set, int n_in) {
    for (int i = 0; i < n_in; i++) {
        et_tensor *t = et_plan_input(plan, i);
        if (set[i].nbytes)
            memcpy(t->data, set[i].data, set[i].nbytes);
    }
}

void et_session_load_inputs(et_session *s) { load_set(s->plan, s->inputs, s->n_in); }

/* Writes evaluation sample k into plan's inputs: the data set's sample for its input and the session's inputs for
 * the others, or the k-th seeded random set. */
static et_status load_eval(et_session *s, et_plan *plan, int64_t k, et_err *err) {
    if (!s->eval) {
        for (int i = 0; i < s->n_in; i++) {
            et_tensor *t = et_plan_input(plan, i);
            random_fill(t->dtype, et_shape_numel(&t->shape), random_set_seed((int)k, i, false), t->data);
        }
        return ET_OK;
    }
    for (int i = 0; i < s->n_in; i++)
        if (i != s->eval_input && s->inputs[i].nbytes)
            memcpy(et_plan_input(plan, i)->data, s->inputs[i].data, s->inputs[i].nbytes);
    return et_dataset_read(s->eval, k, et_plan_input(plan, s->eval_input)->data, err);
}

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

/* The samples whose baseline outputs are kept: all when they fit in ET_BASELINE_MAX_BYTES, else a seeded subset
 * of as many as fit (kept_slot[k] >= 0 for those). */
static et_status choose_kept(et_session *s, et_err *err) {
    size_t per = (size_t)(s->out_stride ? s->out_stride : 1) * sizeof(float);
    int64_t fit = (int64_t)(ET_BASELINE_MAX_BYTES / per);
    if (fit < 1)
        fit = 1;
    s->kept_slot = malloc((size_t)s->n_eval * sizeof *s->kept_slot);
    if (!s->kept_slot)
        return et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
    if (fit >= s->n_eval) {
        for (int64_t k = 0; k < s->n_eval; k++)
            s->kept_slot[k] = k;
        s->n_kept = s->n_eval;
        return ET_OK;
    }
    /* a partial Fisher-Yates draw of `fit` samples, seeded; slots in sample order */
    int64_t *all = malloc((size_t)s->n_eval * sizeof *all);
    if (!all)
        return et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
    for (int64_t k = 0; k < s->n_eval; k++)
        all[k] = k, s->kept_slot[k] = -1;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (int64_t i = 0; i < fit; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        int64_t j = i + (int64_t)((x * 0x2545F4914F6CDD1Dull) % (uint64_t)(s->n_eval - i));
        int64_t t = all[i];
        all[i] = all[j];
        all[j] = t;
        s->kept_slot[all[i]] = 0;
    }
    free(all);
    s->n_kept = 0;
    for (int64_t k = 0; k < s->n_eval; k++)
        if (s->kept_slot[k] == 0)
            s->kept_slot[k] = s->n_kept++;
    return ET_OK;
}

/* Runs the evaluation set through the pristine fp32 plan once and keeps what fidelity needs. */
static et_status compute_baseline(et_session *s, const volatile int *cancel, et_err *err) {
    et_plan_options po = et_plan_options_default();
    po.threads = s->knobs.threads > 0 ? s->knobs.threads : 1;
    et_plan *bp = NULL;
    float *tmp = NULL;
    et_status st = et_plan_create(s->model->graph, &po, &bp, err);
    if (st != ET_OK)
        return st;
    s->out_numel = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *s->out_numel);
    s->out_classes = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *s->out_classes);
    s->base_top1 = calloc((size_t)s->n_eval, sizeof *s->base_top1);
    if (!s->out_numel || !s->out_classes || !s->base_top1) {
        st = et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
        goto done;
    }
    s->out_stride = 0;
    for (int o = 0; o < s->n_out; o++) {
        const et_tensor *t = et_plan_output(bp, o);
        s->out_numel[o] = et_shape_numel(&t->shape);
        s->out_classes[o] = t->shape.rank ? t->shape.dim[t->shape.rank - 1] : 1;
        s->out_stride += s->out_numel[o];
    }
    if ((st = choose_kept(s, err)) != ET_OK)
        goto done;
    if (!(tmp = malloc((size_t)(s->n_out && s->out_numel[0] > 0 ? s->out_numel[0] : 1) * sizeof *tmp))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs");
        goto done;
    }
    size_t bytes = (size_t)(s->n_kept ? s->n_kept : 1) * (size_t)(s->out_stride ? s->out_stride : 1) * sizeof(float);
    if (!(s->base_out = malloc(bytes))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory for baseline outputs (%zu bytes)", bytes);
        goto done;
    }
    for (int64_t k = 0; k < s->n_eval && st == ET_OK; k++) {
        if ((st = load_eval(s, bp, k, err)) != ET_OK || (st = et_plan_run(bp, cancel, err)) != ET_OK)
            break;
        float *dst = s->kept_slot[k] >= 0 ? s->base_out + s->kept_slot[k] * s->out_stride : NULL;
        for (int o = 0; o < s->n_out; o++) {
            const et_tensor *t = et_plan_output(bp, o);
            float *to = dst ? dst : o == 0 ? tmp : NULL;
            for (int64_t e = 0; to && e < s->out_numel[o]; e++)
                to[e] = (float)et_dtype_load(t->dtype, t->data, (size_t)e);
            if (o == 0)
                s->base_top1[k] = (int32_t)et_argmax_f32(to, s->out_numel[0]);
            if (dst)
                dst += s->out_numel[o];
        }
    }
done:
    free(tmp);
    et_plan_free(bp);
    if (st != ET_OK)
        free_baseline(s);
    else
        s->have_baseline = true;
    return st;
}

et_status et_session_fidelity(et_session *s, const volatile int *cancel, et_fidelity_info *out, et_err *err) {
    free(out->outputs);
    memset(out, 0, sizeof *out);
    out->accuracy = out->baseline_accuracy = -1.0;
    if (!s->plan)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    et_status st = ET_OK;
    if (!s->have_baseline && (st = compute_baseline(s, cancel, err)) != ET_OK)
        return st;
    et_fidelity_acc *acc = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *acc);
    int64_t max_numel = 1;
    for (int o = 0; o < s->n_out; o++)
        if (s->out_numel[o] > max_numel)
            max_numel = s->out_numel[o];
    float *tmp = malloc((size_t)max_numel * sizeof *tmp);
    if (!acc || !tmp) {
        free(acc), free(tmp);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    bool labels = s->eval && et_dataset_has_labels(s->eval) && s->n_out > 0;
    int64_t correct = 0, base_correct = 0;
    for (int64_t k = 0; k < s->n_eval; k++) {
        if ((st = load_eval(s, s->plan, k, err)) != ET_OK || (st = et_plan_run(s->plan, cancel, err)) != ET_OK)
            break;
        const float *b = s->kept_slot[k] >= 0 ? s->base_out + s->kept_slot[k] * s->out_stride : NULL;
        for (int o = 0; o < s->n_out; o++) {
            const et_tensor *t = et_plan_output(s->plan, o);
            for (int64_t e = 0; e < s->out_numel[o]; e++)
                tmp[e] = (float)et_dtype_load(t->dtype, t->data, (size_t)e);
            if (b) {
                et_fidelity_add(&acc[o], b, tmp, s->out_numel[o], s->out_classes[o]);
                b += s->out_numel[o];
            }
            if (o == 0 && labels) {
                int64_t label = et_dataset_label(s->eval, k);
                correct += et_argmax_f32(tmp, s->out_numel[0]) == label;
                base_correct += s->base_top1[k] == label;
            }
        }
    }
    et_session_load_inputs(s);
    if (st == ET_OK) {
        out->outputs = calloc((size_t)(s->n_out ? s->n_out : 1), sizeof *out->outputs);
        if (!out->outputs) {
            st = et_fail(err, ET_E_NOMEM, "out of memory");
        } else {
            out->n_outputs = s->n_out;
            for (int o = 0; o < s->n_out; o++)
                et_fidelity_finish(&acc[o], et_plan_output_name(s->plan, o), &out->outputs[o]);
            out->status = ET_AVAIL_OK;
            out->why[0] = '\0';
            out->n_inputs = (int)s->n_eval;
            out->n_compared = (int)s->n_kept;
            snprintf(out->eval_source, sizeof out->eval_source, "%s", s->eval_source);
            if (labels) {
                out->accuracy = (double)correct / (double)s->n_eval;
                out->baseline_accuracy = (double)base_correct / (double)s->n_eval;
            }
        }
    }
    free(acc);
    free(tmp);
    return st;
}

et_status et_session_deployed_memory(et_session *s, const char *exe, const volatile int *cancel,
                                     et_deployed_memory *out, et_err *err) {
    if (!s->tuned)
        return et_fail(err, ET_E_RUNTIME, "no configuration: call et_session_configure first");
    et_status st = et_deploy_measure(s->tuned, s->knobs.threads, exe, cancel, out, err);
    et_model_drop_pages(s->model); /* writing the image read the weights the tuned graph borrows */
    /* where the engine holds weights wider than the knobs say, the number is right and the user must know why */
    const et_knobs *k = &s->knobs;
    if (st == ET_OK && out->status == ET_AVAIL_OK && !out->why[0]) {
        if (k->act_bits == 32 && k->weight_bits < 32)
            snprintf(out->why, sizeof out->why,
                     "weight-only %d-bit weights run on fp32 kernels, which hold them as fp32: only their stored size "
                     "shrinks (--act-bits 8 runs int8 and packed 4-bit natively)", k->weight_bits);
        else if (k->act_bits == 8 && s->report.n_guard_kept > 0)
            snprintf(out->why, sizeof out->why,
                     "%d layer%s kept fp32 by the speed guard (int8 measured slower here) hold fp32 weights "
                     "(--force-int8 changes that)", s->report.n_guard_kept, s->report.n_guard_kept == 1 ? "" : "s");
    }
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
