/* session_open.c: opening a session (see session.h): the --input files, the model loaded with them (inputs that
 * planning needs bound: et_model_load_given), the evaluation set (streamed) and the calibration set (in memory).
 *
 * The order matters: a first read of the model gives the input names and declared shapes; the data sets are fitted
 * to those (their samples fix dynamic dims unless --shape or --input does, and must agree with them); then the model
 * is loaded with every dim known, and the sets are fitted again to the final shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/session_internal.h"
#include "model/passes.h"

enum { MAX_GIVEN = 64 };
/* Calibration is held in memory (it runs once per pruning configuration): at most this many samples and bytes; a
 * larger set is used through a seeded subset, and the calibration source says so. */
enum { ET_CALIB_MAX_SAMPLES = 1024 };
#define ET_CALIB_MAX_BYTES ((size_t)256 << 20)
#define ET_SUBSET_SEED 1u

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
    const char *what; /* "--eval" or "--calib" */
    const char *path; /* as given, or the companion folder, or NULL */
    const char *labels;
    int64_t limit;
    bool no_labels;
    et_dataset *ds;
    et_shape sample; /* after the first fit */
} set_request;

/* Opens a requested set and fits it to the probe's declared input (or the --shape given for it). */
static et_status open_set(set_request *r, const et_value *declared, const et_shape *shape_flag, et_err *err) {
    if (!r->path)
        return ET_OK;
    et_dataset_options o = {.path = r->path,
                            .labels_path = r->labels,
                            .no_labels = r->no_labels,
                            .limit = r->limit,
                            .seed = ET_SUBSET_SEED};
    et_status st = et_dataset_open(&o, &r->ds, err);
    if (st == ET_OK)
        st = et_dataset_fit(r->ds, declared->name, declared->dtype, shape_flag ? shape_flag : &declared->shape,
                            &r->sample, err);
    if (st != ET_OK && shape_flag && st == ET_E_INPUT)
        et_err_prefix(err, "%s (the input's dims as given with --shape or --input): ", r->what);
    return st;
}

/* What opening gathers before the session owns it. */
typedef struct opening {
    const et_session_options *opt;
    et_session *s;
    int n_files;
    et_npy *files;   /* the --input files, in flag order */
    et_model *probe; /* the first read: names and declared shapes */
    et_input_binding given[MAX_GIVEN];
    const char *given_names[MAX_GIVEN];   /* the input each file feeds */
    bool bound[MAX_GIVEN];                /* which of them were bound as constants */
    et_input_shape shapes[MAX_GIVEN + 1]; /* the flags', and one from a data set */
    int n_shapes;
    set_request sets[2]; /* evaluation, calibration */
    char companions[2][ET_PATH_MAX];
    const char *target_name; /* the input the data sets feed, or NULL */
} opening;

/* Reads the --input files and the model's first read; names each file's input and checks that data fits it. */
static et_status read_given(opening *o, et_err *err) {
    const et_session_options *opt = o->opt;
    if (o->n_files > MAX_GIVEN || opt->n_shapes > MAX_GIVEN)
        return et_fail(err, ET_E_USAGE, "at most %d --input and %d --shape flags", MAX_GIVEN, MAX_GIVEN);
    if (o->n_files && !(o->files = calloc((size_t)o->n_files, sizeof *o->files)))
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_status st = ET_OK;
    for (int i = 0; i < o->n_files; i++)
        if ((st = et_npy_read(opt->inputs[i].path, &o->files[i], err)) != ET_OK)
            return st;
    et_load_options ro = {.read_only = true, .allow_unsupported = true};
    if ((st = et_model_load(opt->model_path, &ro, &o->probe, err)) != ET_OK)
        return st;
    const et_graph *pg = o->probe->graph;
    for (int i = 0; i < o->n_files; i++) {
        et_npy *f = &o->files[i];
        const char *name = opt->inputs[i].name;
        if (!name && pg->n_inputs != 1)
            return et_fail(err, ET_E_USAGE, "--input %s: the model has %d inputs; name them: --input NAME=FILE",
                           opt->inputs[i].path, pg->n_inputs);
        if (!name)
            name = pg->values[pg->inputs[0]].name;
        int slot = find_input(pg, name);
        if (slot < 0)
            return et_fail(err, ET_E_USAGE, "--input %s: the model has no input named '%s'", opt->inputs[i].path, name);
        const et_value *dv = &pg->values[pg->inputs[slot]];
        /* numpy has no bfloat16: a uint16 file feeds a bfloat16 input with its bits */
        if (f->dtype == ET_DT_U16 && dv->dtype == ET_DT_BF16)
            f->dtype = ET_DT_BF16;
        o->given_names[i] = name;
        o->given[i] = (et_input_binding){name, f->dtype, f->shape, f->data};
        /* data (more than a few numbers) must fit the declared input; small values may be bound instead */
        bool fits = f->dtype == dv->dtype && f->shape.rank == dv->shape.rank;
        for (int d = 0; fits && d < dv->shape.rank; d++)
            fits = dv->shape.dim[d] < 0 || dv->shape.dim[d] == f->shape.dim[d];
        if (!fits && et_shape_numel(&f->shape) > ET_BIND_MAX_ELEMS) {
            char a[96], b[96];
            return et_fail(err, ET_E_INPUT, "%s: %s %s, but input '%s' is %s %s", opt->inputs[i].path,
                           et_dtype_name(f->dtype), et_shape_str(&f->shape, a, sizeof a), name,
                           et_dtype_name(dv->dtype), et_shape_str(&dv->shape, b, sizeof b));
        }
    }
    for (int i = 0; i < opt->n_shapes; i++)
        o->shapes[o->n_shapes++] = opt->shapes[i];
    return ET_OK;
}

/* Opens the data sets on the first read's shapes: the input they feed, the dims they imply (added to the shapes
 * when no flag gives them) and their agreement with the flags and with each other. */
static et_status open_data_sets(opening *o, et_err *err) {
    const et_session_options *opt = o->opt;
    const et_graph *pg = o->probe->graph;
    for (int k = 0; k < 2; k++)
        if (!o->sets[k].path &&
            companion_dir(opt->model_path, k == 0 ? "eval" : "calib", o->companions[k], sizeof o->companions[k]))
            o->sets[k].path = o->companions[k];
    if (!o->sets[0].path && !o->sets[1].path)
        return ET_OK;
    int target = dataset_input(pg, o->given_names, o->n_files);
    if (target < 0)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "%s: a data set feeds one input: the model's only input, or the only one not given with "
                       "--input (this model has %d inputs, %d given)",
                       o->sets[0].path ? o->sets[0].path : o->sets[1].path, pg->n_inputs, o->n_files);
    o->target_name = pg->values[pg->inputs[target]].name;
    const et_shape *flag = NULL; /* the target's shape from --shape, else from its --input file */
    for (int i = 0; i < o->n_files; i++)
        if (strcmp(o->given_names[i], o->target_name) == 0)
            flag = &o->files[i].shape;
    for (int i = 0; i < opt->n_shapes; i++)
        if (strcmp(opt->shapes[i].name, o->target_name) == 0)
            flag = &opt->shapes[i].shape;
    et_status st = ET_OK;
    for (int k = 0; k < 2 && st == ET_OK; k++)
        st = open_set(&o->sets[k], &pg->values[pg->inputs[target]], flag, err);
    if (st != ET_OK)
        return st;
    const set_request *e = &o->sets[0], *c = &o->sets[1];
    if (e->ds && c->ds && !et_shape_equal(&e->sample, &c->sample)) {
        char a[96], b[96];
        return et_fail(err, ET_E_INPUT, "%s holds samples of %s, %s of %s; they feed the same input '%s'", c->path,
                       et_shape_str(&c->sample, b, sizeof b), e->path, et_shape_str(&e->sample, a, sizeof a),
                       o->target_name);
    }
    if (!flag)
        o->shapes[o->n_shapes++] = (et_input_shape){o->target_name, e->ds ? e->sample : c->sample};
    return ET_OK;
}

/* The session's inputs: the given files (moved) for the inputs they feed, seeded data for the others. */
static et_status take_inputs(opening *o, et_err *err) {
    et_session *s = o->s;
    const et_graph *g = s->model->graph;
    s->n_in = g->n_inputs;
    s->n_out = g->n_outputs;
    if (!(s->inputs = calloc((size_t)(s->n_in ? s->n_in : 1), sizeof *s->inputs)))
        return et_fail(err, ET_E_NOMEM, "out of memory");
    for (int i = 0; i < s->n_in; i++) {
        const et_value *v = &g->values[g->inputs[i]];
        int f = -1;
        for (int k = 0; k < o->n_files; k++)
            if (!o->bound[k] && strcmp(o->given_names[k], v->name) == 0)
                f = k;
        if (f < 0) {
            et_status st = et_session_random_tensor(v, 42u + (uint64_t)i, &s->inputs[i], err);
            if (st != ET_OK)
                return st;
            continue;
        }
        et_npy *file = &o->files[f];
        if (file->dtype != v->dtype || !et_shape_equal(&file->shape, &v->shape)) {
            char a[96], b[96];
            return et_fail(err, ET_E_INPUT, "%s: %s %s, but input '%s' is %s %s", o->opt->inputs[f].path,
                           et_dtype_name(file->dtype), et_shape_str(&file->shape, a, sizeof a), v->name,
                           et_dtype_name(v->dtype), et_shape_str(&v->shape, b, sizeof b));
        }
        s->inputs[i] = *file;
        file->data = NULL; /* moved */
    }
    return ET_OK;
}

/* With the final shapes: fits the sets again (an exact check) and keeps the evaluation set (it streams). */
static et_status keep_eval(opening *o, et_err *err) {
    et_session *s = o->s;
    const et_graph *g = s->model->graph;
    if (o->target_name)
        s->eval_input = find_input(g, o->target_name);
    for (int k = 0; k < 2; k++) {
        if (!o->sets[k].ds)
            continue;
        if (s->eval_input < 0)
            return et_fail(err, ET_E_UNSUPPORTED, "%s: input '%s' became a constant; data sets cannot feed it",
                           o->sets[k].path, o->target_name);
        const et_value *v = &g->values[g->inputs[s->eval_input]];
        et_shape sample;
        et_status st = et_dataset_fit(o->sets[k].ds, v->name, v->dtype, &v->shape, &sample, err);
        if (st != ET_OK)
            return st;
    }
    if (o->sets[0].ds) {
        s->eval = o->sets[0].ds;
        o->sets[0].ds = NULL;
        s->n_eval = et_dataset_count(s->eval);
        snprintf(s->eval_source, sizeof s->eval_source, "%s", et_dataset_describe(s->eval));
    } else {
        s->n_eval = o->opt->n_random_eval > 0 ? o->opt->n_random_eval : ET_N_RANDOM_EVAL;
        snprintf(s->eval_source, sizeof s->eval_source, "seeded random inputs");
    }
    return ET_OK;
}

/* The calibration set in memory: the data set's samples (a smaller seeded subset when they exceed the byte cap)
 * with the session's inputs for the other inputs, or seeded random sets. */
static et_status load_calib(opening *o, et_err *err) {
    et_session *s = o->s;
    const et_graph *g = s->model->graph;
    set_request *c = &o->sets[1];
    int64_t n_calib = ET_N_RANDOM_EVAL;
    et_status st = ET_OK;
    if (c->ds) {
        size_t bytes = et_dataset_sample_bytes(c->ds);
        int64_t fit = bytes ? (int64_t)(ET_CALIB_MAX_BYTES / bytes) : ET_CALIB_MAX_SAMPLES;
        if (et_dataset_count(c->ds) > (fit > 1 ? fit : 1)) { /* too many bytes: a smaller seeded subset */
            et_dataset_free(c->ds);
            c->ds = NULL;
            c->limit = fit > 1 ? fit : 1;
            const et_value *v = &g->values[g->inputs[s->eval_input]];
            if ((st = open_set(c, v, &v->shape, err)) != ET_OK)
                return st;
        }
        n_calib = et_dataset_count(c->ds);
        snprintf(s->calib_source, sizeof s->calib_source, "%s", et_dataset_describe(c->ds));
    } else {
        snprintf(s->calib_source, sizeof s->calib_source, "seeded random inputs");
    }
    int n_in1 = s->n_in ? s->n_in : 1;
    if (!(s->calib = calloc((size_t)(n_calib * n_in1), sizeof *s->calib)))
        return et_fail(err, ET_E_NOMEM, "out of memory for the calibration set");
    s->n_calib = (int)n_calib;
    for (int k = 0; k < n_calib && st == ET_OK; k++)
        for (int i = 0; i < s->n_in && st == ET_OK; i++) {
            const et_value *v = &g->values[g->inputs[i]];
            et_npy *t = &s->calib[k * n_in1 + i];
            if (!c->ds)
                st = et_session_random_tensor(v, et_session_random_set_seed(k, i, true), t, err);
            else if ((st = et_session_empty_tensor(v, t, err)) == ET_OK && i == s->eval_input)
                st = et_dataset_read(c->ds, k, t->data, err);
            else if (st == ET_OK) /* the other inputs as given */
                memcpy(t->data, s->inputs[i].data, t->nbytes);
        }
    return st;
}

static void opening_free(opening *o) {
    for (int k = 0; k < 2; k++)
        et_dataset_free(o->sets[k].ds);
    for (int k = 0; o->files && k < o->n_files; k++)
        et_npy_free(&o->files[k]);
    free(o->files);
    et_model_free(o->probe);
}

et_status et_session_open(const et_session_options *opt, et_session **out, et_err *err) {
    *out = NULL;
    opening *o = calloc(1, sizeof *o);
    et_session *s = calloc(1, sizeof *s);
    if (!o || !s) {
        free(o), free(s);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    s->profile_layers = opt->profile_layers;
    s->eval_input = -1;
    o->opt = opt;
    o->s = s;
    o->n_files = opt->n_inputs;
    o->sets[0] =
        (set_request){.what = "--eval", .path = opt->eval_dir, .labels = opt->labels_path, .limit = opt->eval_limit};
    o->sets[1] =
        (set_request){.what = "--calib", .path = opt->calib_dir, .limit = ET_CALIB_MAX_SAMPLES, .no_labels = true};
    et_status st = read_given(o, err);
    if (st == ET_OK)
        st = open_data_sets(o, err);
    if (st == ET_OK) {
        et_load_options lo = {.shapes = o->shapes, .n_shapes = o->n_shapes};
        st = et_model_load_given(opt->model_path, &lo, o->given, o->n_files, o->bound, s->notes, sizeof s->notes,
                                 &s->model, err);
    }
    if (st == ET_OK)
        st = take_inputs(o, err);
    if (st == ET_OK)
        st = keep_eval(o, err);
    if (st == ET_OK)
        st = load_calib(o, err);
    opening_free(o);
    free(o);
    if (st != ET_OK) {
        et_session_free(s);
        return st;
    }
    *out = s;
    return ET_OK;
}
