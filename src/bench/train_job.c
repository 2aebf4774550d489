/* train_job.c: a training run from files to a stored run (train_job.h says what happens in which order). The
 * phases are functions of their own over one job struct: check the options, open the files, derive the graph to
 * train, measure before, start the run in the database, train, then write, measure and finish. */
#include "bench/train_job.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/session.h"
#include "bench/train_data.h"
#include "db/db.h"
#include "model/onnx_writer.h"
#include "train/checkpoint.h"
#include "train/train_prune.h"
#include "tune/tune.h"
#include "util/sha256.h"
#include "util/clock.h"

static const char *const phase_names[] = {
#define ET_X(e, s) s,
    ET_TRAIN_JOB_PHASE_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof phase_names / sizeof phase_names[0] == ET_JOB_PHASE_COUNT, "job phase names");

const char *et_train_job_phase_name(et_train_job_phase p) {
    return (unsigned)p < ET_JOB_PHASE_COUNT ? phase_names[p] : "?";
}

et_train_job_options et_train_job_options_default(void) {
    return (et_train_job_options){.kind = ET_TRAIN_FINETUNE,
                                  .knobs = et_knobs_default(),
                                  .epochs = 1,
                                  .batch = 64,
                                  .optimizer = ET_OPTIM_ADAMW,
                                  .weight_decay = -1.0f,
                                  .warmup_frac = 0.05f,
                                  .temperature = 2.0f,
                                  .kd_weight = 1.0f,
                                  .seed = 1,
                                  .save = true};
}

void et_train_job_result_init(et_train_job_result *r) {
    memset(r, 0, sizeof *r);
    et_train_record_init(&r->record);
    et_result_init(&r->run);
}

void et_train_job_result_free(et_train_job_result *r) {
    et_train_record_free(&r->record);
    et_result_free(&r->run);
}

typedef struct job {
    const et_train_job_options *o;
    et_train_job_result *res;
    et_err *err;
    et_session *session;
    et_model *student;        /* distill: the student's file */
    const et_graph *pristine; /* what is tuned and trained: the model, or the student */
    et_graph *train_graph;    /* the pristine graph with the knobs' pruning (the network borrows it) */
    et_graph *trained;        /* the trained values (et_tnet_export) */
    bool *quant_nodes, *prunable;
    float *prune_shares;      /* gradual unstructured pruning: each layer's final sparsity (ERK) */
    et_prune_comp_stats comp; /* what the compensated pruning steps did (this process's steps) */
    et_threadpool *pool;
    et_tnet *net;
    et_optim *opt;
    et_teacher *teacher;
    et_graph *teacher_graph; /* --feature-kd: the fp32 graph its teacher network borrows */
    et_feature_kd *fkd;
    et_train_data data, eval, calib;
    et_train_state *state;
    et_train_config cfg;
    et_train_outcome outcome;
    et_db *db;
    char tag[1024];
    double t0;
    int epochs_saved;
} job;

static void note(job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(job *j, const char *fmt, ...) {
    if (!j->o->note)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    j->o->note(j->o->ctx, line);
}

static void phase(job *j, et_train_job_phase p, const et_train_progress *tp) {
    if (!j->o->progress)
        return;
    et_train_job_progress jp = {.phase = p, .train = tp, .record = &j->res->record};
    j->o->progress(j->o->ctx, &jp);
}

/* ---- options ------------------------------------------------------------------------------------------------ */

/* Can a file be created at path (so that an hour of training does not end in "cannot write")? */
static et_status check_writable(const char *path, const char *flag, et_err *err) {
    char probe[ET_PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s.probe%d", path, (int)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "%s %s: cannot write there: %s", flag, path,
                       strerror(errno));
    close(fd);
    unlink(probe);
    return ET_OK;
}

/* -o must not name a model the job reads (the file would be replaced while its lineage records the old one). */
static et_status check_not_input(const char *out, const char *in, et_err *err) {
    struct stat a, b;
    if (stat(out, &a) == 0 && stat(in, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return et_fail(err, ET_E_USAGE, "-o %s is the input model %s: write the trained model to another file", out,
                       in);
    return ET_OK;
}

static et_status check_options(const et_train_job_options *o, et_err *err) {
    if (!o->model_path)
        return et_fail(err, ET_E_USAGE, "give the model file");
    if (o->kind == ET_TRAIN_DISTILL && !o->student_path)
        return et_fail(err, ET_E_USAGE, "give the student model file (distill TEACHER.onnx STUDENT.onnx)");
    if (!o->data_path)
        return et_fail(err, ET_E_USAGE,
                       "give the training data with --data DIR (a folder of .npy files or one "
                       "batched .npy)");
    if (!o->out_path)
        return et_fail(err, ET_E_USAGE, "give the file to write with -o OUT.onnx");
    if (o->epochs < 1 || o->epochs > ET_TRAIN_MAX_EPOCHS)
        return et_fail(err, ET_E_USAGE, "--epochs %d: give 1..%d", o->epochs, ET_TRAIN_MAX_EPOCHS);
    if (o->batch < 1 || o->batch > 4096)
        return et_fail(err, ET_E_USAGE, "--batch %d: give 1..4096", o->batch);
    if (!(o->temperature > 0.0f) || o->temperature > 100.0f)
        return et_fail(err, ET_E_USAGE, "--temperature %g: give a value in (0, 100]", (double)o->temperature);
    if (!(o->feature_kd >= 0.0f && o->feature_kd <= 100.0f))
        return et_fail(err, ET_E_USAGE, "--feature-kd %g: give a weight in 0..100 (0: off)", (double)o->feature_kd);
    if (o->feature_kd > 0.0f && o->kind == ET_TRAIN_DISTILL)
        return et_fail(err, ET_E_USAGE,
                       "--feature-kd needs finetune (its student keeps the teacher's layers); distill's student has "
                       "its own: leave --feature-kd out");
    if (!(o->kd_weight >= 0.0f && o->kd_weight <= 1.0f))
        return et_fail(err, ET_E_USAGE, "--kd-weight %g: give 0..1 (1: distillation only)", (double)o->kd_weight);
    if (!(o->lr >= 0.0f && o->lr < 10.0f) || !(o->warmup_frac >= 0.0f && o->warmup_frac < 1.0f))
        return et_fail(err, ET_E_USAGE, "--lr %g / --warmup %g: give a rate below 10 and a warm-up share in [0, 1)",
                       (double)o->lr, (double)o->warmup_frac);
    if (!(o->prune_end >= 0.0f && o->prune_end <= 1.0f))
        return et_fail(err, ET_E_USAGE, "--prune-end %g: give a share of the steps in (0, 1]", (double)o->prune_end);
    if (o->prune_end > 0.0f && !o->gradual)
        return et_fail(err, ET_E_USAGE,
                       "--prune-end sets where --schedule gradual reaches --prune R: add --schedule "
                       "gradual or leave --prune-end out");
    const et_knobs *k = &o->knobs;
    if (o->gradual &&
        !(k->prune_ratio > 0.0f && (k->prune_method == ET_PRUNE_UNSTRUCTURED || k->prune_method == ET_PRUNE_GLOBAL)))
        return et_fail(err, ET_E_USAGE,
                       "--schedule gradual raises unstructured or global magnitude pruning to "
                       "--prune R: give --prune R (> 0) with --prune-method unstructured or global");
    if (o->gradual && k->recover != ET_RECOVER_NONE)
        return et_fail(err, ET_E_USAGE,
                       "--recover compensates one-shot pruning before training; --schedule gradual prunes by "
                       "magnitude while training: drop one of them");
    if (o->kind == ET_TRAIN_DISTILL && k->prune_ratio > 0.0f)
        return et_fail(err, ET_E_USAGE, "distill trains the student as it is: prune it with finetune afterwards");
    et_status st = et_knobs_validate(k, err);
    if (st == ET_OK)
        st = check_not_input(o->out_path, o->model_path, err);
    if (st == ET_OK && o->student_path)
        st = check_not_input(o->out_path, o->student_path, err);
    if (st == ET_OK)
        st = check_writable(o->out_path, "-o", err);
    char ckpt[ET_PATH_MAX];
    if (st == ET_OK && o->resume && !et_train_job_checkpoint(o->out_path, ckpt, sizeof ckpt))
        st = et_fail(err, ET_E_USAGE, "--resume: there is no checkpoint %s to continue; train without --resume",
                     ckpt); /* before anything is read or printed */
    return st;
}

bool et_train_job_checkpoint(const char *out_path, char *buf, size_t len) {
    snprintf(buf, len, "%s.ckpt", out_path ? out_path : "");
    return out_path && out_path[0] && access(buf, F_OK) == 0;
}

/* ---- opening ------------------------------------------------------------------------------------------------ */

static et_status open_files(job *j) {
    const et_train_job_options *o = j->o;
    char def_calib[ET_PATH_MAX];
    const char *calib_dir = o->calib_path;
    /* without --calib or <model>.calib/, the session calibrates (ranges, --recover) on the training inputs rather
     * than on its seeded random ones */
    if (!calib_dir && !et_train_default_set(o->model_path, "calib", def_calib, sizeof def_calib))
        calib_dir = o->data_path;
    et_session_options so = {.model_path = o->model_path,
                             .shapes = o->shapes,
                             .n_shapes = o->n_shapes,
                             .eval_dir = o->eval_path,
                             .calib_dir = calib_dir,
                             .labels_path = o->eval_labels,
                             .eval_limit = o->eval_limit};
    et_status st = et_session_open(&so, &j->session, j->err);
    if (st != ET_OK)
        return st;
    j->pristine = et_session_model(j->session)->graph;
    if (o->kind == ET_TRAIN_DISTILL) {
        /* BatchNorm stays a node: a student from random weights trains with batch statistics */
        et_load_options lo = {.shapes = o->shapes, .n_shapes = o->n_shapes, .no_fusion = true};
        if ((st = et_model_load(o->student_path, &lo, &j->student, j->err)) != ET_OK)
            return st;
        j->pristine = j->student->graph;
    }
    phase(j, ET_JOB_PREPARING, NULL);
    bool labels = o->kd_weight < 1.0f || o->labels_path;
    if ((st = et_train_data_open(&j->data, "--data", o->data_path, o->labels_path, labels, o->data_limit, j->pristine,
                                 true, j->err)) != ET_OK)
        return st;
    if (o->kd_weight < 1.0f && !j->data.src.label)
        return et_fail(j->err, ET_E_USAGE,
                       "--kd-weight %g mixes in cross-entropy, which needs labels: put "
                       "labels.txt or labels.npy in %s, or give --labels FILE",
                       (double)o->kd_weight, o->data_path);
    note(j, "training data: %s, %lld values per sample, sha256 %.16s...", j->data.describe, (long long)j->data.numel,
         j->data.sha256);
    char def[ET_PATH_MAX];
    const char *eval = o->eval_path ? o->eval_path : et_train_default_set(o->model_path, "eval", def, sizeof def);
    if (eval && (st = et_train_data_open(&j->eval, "--eval", eval, o->eval_labels, true, o->eval_limit, j->pristine,
                                         false, j->err)) != ET_OK)
        return st;
    const char *calib = o->calib_path ? o->calib_path : et_train_default_set(o->model_path, "calib", def, sizeof def);
    if (calib && o->knobs.act_bits == 8 &&
        (st = et_train_data_open(&j->calib, "--calib", calib, NULL, false, 1024, j->pristine, false, j->err)) != ET_OK)
        return st;
    return ET_OK;
}

/* ---- the graph to train ------------------------------------------------------------------------------------- */

/* Teacher and student must agree on inputs and outputs, sample by sample (the same number of values in each).
 * ET_E_INPUT naming the student, the input or output and both shapes. */
static et_status check_pair_graphs(const et_graph *t, const et_graph *s, const char *student, et_err *err) {
    if (t->n_inputs != s->n_inputs || t->n_outputs != s->n_outputs)
        return et_fail(err, ET_E_INPUT, "the student %s has %d inputs and %d outputs, the teacher %d and %d", student,
                       s->n_inputs, s->n_outputs, t->n_inputs, t->n_outputs);
    for (int k = 0; k < 2; k++) {
        int n = k == 0 ? t->n_inputs : t->n_outputs;
        for (int i = 0; i < n; i++) {
            const et_value *a = &t->values[k == 0 ? t->inputs[i] : t->outputs[i]];
            const et_value *b = &s->values[k == 0 ? s->inputs[i] : s->outputs[i]];
            if (et_shape_numel(&a->shape) == et_shape_numel(&b->shape))
                continue;
            char sa[64], sb[64];
            return et_fail(err, ET_E_INPUT,
                           "the student %s: its %s %d is %s, the teacher's %s; distillation needs the same inputs "
                           "and outputs",
                           student, k == 0 ? "input" : "output", i, et_shape_str(&b->shape, sb, sizeof sb),
                           et_shape_str(&a->shape, sa, sizeof sa));
        }
    }
    return ET_OK;
}

static et_status check_pair(job *j) {
    return check_pair_graphs(et_session_model(j->session)->graph, j->pristine,
                             j->o->student_path ? j->o->student_path : "model", j->err);
}

et_status et_train_job_check(const et_train_job_options *o, et_err *err) {
    et_status st = check_options(o, err);
    if (st != ET_OK || o->kind != ET_TRAIN_DISTILL)
        return st;
    et_load_options tl = {.shapes = o->shapes, .n_shapes = o->n_shapes};
    et_load_options sl = {.shapes = o->shapes, .n_shapes = o->n_shapes, .no_fusion = true}; /* as the job loads it */
    et_model *teacher = NULL, *student = NULL;
    st = et_model_load(o->model_path, &tl, &teacher, err);
    if (st == ET_OK)
        st = et_model_load(o->student_path, &sl, &student, err);
    if (st == ET_OK)
        st = check_pair_graphs(teacher->graph, student->graph, o->student_path, err);
    et_model_free(student);
    et_model_free(teacher);
    return st;
}

static et_status make_network(job *j) {
    const et_train_job_options *o = j->o;
    const et_knobs *k = &o->knobs;
    et_knobs tk = *k; /* the knobs' pruning now; their quantization becomes fake quantization */
    tk.weight_bits = 32, tk.act_bits = 32;
    if (o->gradual || o->kind == ET_TRAIN_DISTILL)
        tk.prune_ratio = 0.0f;
    /* --recover: training starts from the compensated weights (SparseGPT masks and refit, least-squares refit of
     * channel-pruned consumers, bias correction) on the session's calibration inputs, not from plain magnitude */
    et_calib_set calib = et_session_calib(j->session);
    et_tune_report rep;
    et_status st = et_tune_apply(j->pristine, &tk, tk.recover != ET_RECOVER_NONE ? &calib : NULL, &j->train_graph, &rep,
                                 j->err);
    if (st != ET_OK)
        return st;
    int n_nodes = j->train_graph->n_nodes;
    j->quant_nodes = calloc((size_t)n_nodes + 1, sizeof *j->quant_nodes);
    if (!j->quant_nodes)
        return et_fail(j->err, ET_E_NOMEM, "out of memory preparing training");
    if ((st = et_train_quant_layers(j->train_graph, k, j->quant_nodes, &j->res->n_quantized, j->err)) != ET_OK)
        return st;
    et_tnet_options to = et_tnet_options_default();
    to.batch = o->batch;
    to.pool = j->pool;
    to.bn = o->kind == ET_TRAIN_DISTILL ? ET_BN_BATCH : ET_BN_RUNNING;
    to.fake_quant_weights = k->weight_bits < 32;
    to.wq = et_train_weight_grid(k);
    to.act_bits = k->act_bits;
    to.quant_nodes = j->quant_nodes;
    if ((st = et_tnet_create(j->train_graph, &to, &j->net, j->err)) != ET_OK)
        return st;
    j->res->memory = et_tnet_memory_use(j->net);
    for (int i = 0; i < et_tnet_n_params(j->net); i++)
        j->res->params_trained += et_tnet_param(j->net, i)->numel;
    if (!o->gradual && k->prune_ratio > 0.0f && k->prune_method != ET_PRUNE_CHANNEL)
        st = et_train_masks_from_tuned(j->net, j->pristine, &j->res->n_masked, j->err);
    return st;
}

/* Which weights gradual pruning may prune: those tune prunes at the target ratio. */
static et_status find_prunable(job *j) {
    int np = et_tnet_n_params(j->net);
    if (!(j->prunable = calloc((size_t)np + 1, sizeof *j->prunable)))
        return et_fail(j->err, ET_E_NOMEM, "out of memory preparing training");
    et_knobs tk = j->o->knobs;
    tk.weight_bits = 32, tk.act_bits = 32;
    et_graph *target = NULL;
    et_tune_report rep;
    et_status st = et_tune_apply(j->pristine, &tk, NULL, &target, &rep, j->err);
    if (st != ET_OK)
        return st;
    et_train_prunable(j->net, j->pristine, target, j->prunable);
    et_graph_free(target);
    for (int i = 0; i < np; i++)
        j->res->n_masked += j->prunable[i];
    if (tk.prune_method != ET_PRUNE_UNSTRUCTURED)
        return ET_OK;
    /* per layer: the shares of Erdos-Renyi-kernel allocation, as one-shot pruning before --recover full */
    if (!(j->prune_shares = calloc((size_t)np + 1, sizeof *j->prune_shares)))
        return et_fail(j->err, ET_E_NOMEM, "out of memory preparing training");
    et_prune_erk(j->net, j->prunable, tk.prune_ratio, j->prune_shares);
    float lo = 1.0f, hi = 0.0f;
    for (int i = 0; i < np; i++) {
        if (!j->prunable[i])
            continue;
        lo = j->prune_shares[i] < lo ? j->prune_shares[i] : lo;
        hi = j->prune_shares[i] > hi ? j->prune_shares[i] : hi;
    }
    note(j,
         "gradual pruning shares %.0f %% out over %d layers by Erdos-Renyi-kernel allocation: %.0f-%.0f %% per layer; "
         "each step's kept weights of convolutions and fully connected layers are refit by least squares on the "
         "last batch to make up for what it removes",
         100.0 * tk.prune_ratio, j->res->n_masked, 100.0 * lo, 100.0 * hi);
    return ET_OK;
}

/* ---- before training ---------------------------------------------------------------------------------------- */

static et_status measure_before(job *j) {
    phase(j, ET_JOB_BEFORE, NULL);
    et_train_record *rec = &j->res->record;
    et_status st = j->o->kind == ET_TRAIN_DISTILL
                       ? et_session_configure_from(j->session, j->pristine, &j->o->knobs, j->err)
                       : et_session_configure(j->session, &j->o->knobs, j->err);
    et_fidelity_info f = {0};
    if (st == ET_OK)
        st = et_session_fidelity(j->session, j->o->cancel, &f, j->err);
    if (st == ET_OK && f.status == ET_AVAIL_OK) {
        rec->acc_fp32 = f.baseline_accuracy;
        rec->acc_before = f.accuracy;
        rec->agree_before = f.n_outputs > 0 ? f.outputs[0].top1_agreement : -1.0;
        snprintf(rec->eval_source, sizeof rec->eval_source, "%s", f.eval_source);
    }
    et_fidelity_info_free(&f); /* outputs, top1 and correct (free(f.outputs) alone leaked the other two) */
    return st;
}

/* ---- the run in the database -------------------------------------------------------------------------------- */

static void sha256_file(const char *path, char out[65]) {
    out[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    et_sha256 h;
    et_sha256_init(&h);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        et_sha256_update(&h, buf, n);
    fclose(f);
    uint8_t sum[32];
    et_sha256_final(&h, sum);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", sum[i]);
}

static void fill_record(job *j) {
    const et_train_job_options *o = j->o;
    et_train_record *t = &j->res->record;
    t->kind = o->kind;
    snprintf(t->parent_path, sizeof t->parent_path, "%s", o->model_path);
    snprintf(t->parent_sha256, sizeof t->parent_sha256, "%s", et_session_model(j->session)->sha256);
    if (j->student) {
        snprintf(t->student_path, sizeof t->student_path, "%s", o->student_path);
        snprintf(t->student_sha256, sizeof t->student_sha256, "%s", j->student->sha256);
    }
    snprintf(t->data_path, sizeof t->data_path, "%s", o->data_path);
    snprintf(t->data_sha256, sizeof t->data_sha256, "%s", j->data.sha256);
    t->data_samples = j->data.n;
    t->data_labels = j->data.src.label && o->kd_weight < 1.0f;
    if (!t->eval_source[0] && j->eval.set)
        snprintf(t->eval_source, sizeof t->eval_source, "%s", j->eval.describe);
    char fkd[32] = "";
    if (o->feature_kd > 0)
        snprintf(fkd, sizeof fkd, ", features %g", (double)o->feature_kd);
    snprintf(t->settings, sizeof t->settings, "%s lr %g wd %g%s, batch %d, T %g, kd %g%s, warm-up %.0f%%, seed %llu",
             et_optim_name(o->optimizer), (double)j->cfg.lr, (double)j->cfg.optim.weight_decay,
             o->clip_norm > 0 ? ", clipped" : "", o->batch, (double)o->temperature, (double)o->kd_weight, fkd,
             100.0 * o->warmup_frac, (unsigned long long)o->seed);
    snprintf(t->schedule, sizeof t->schedule, "%s", o->gradual ? "gradual" : "oneshot");
    t->epochs = o->epochs;
    t->batch = o->batch;
}

static et_status start_run(job *j) {
    et_result *r = &j->res->run;
    et_session_describe(j->session, r);
    r->knobs = j->o->knobs;
    r->status = ET_RUN_RUNNING;
    if (j->o->label)
        snprintf(r->label, sizeof r->label, "%s", j->o->label);
    if (!j->o->save)
        return ET_OK;
    et_status st = et_db_open(j->o->db_path, ET_DB_WRITE, &j->db, j->err);
    if (st == ET_OK)
        st = et_db_begin_run(j->db, r, &j->res->run_id, j->err);
    if (st == ET_OK)
        st = et_db_save_train(j->db, j->res->run_id, &j->res->record, j->err);
    return st;
}

/* ---- training ----------------------------------------------------------------------------------------------- */

static void on_progress(void *ctx, const et_train_progress *p) {
    job *j = ctx;
    const et_train_state *s = p->state;
    if (s->n_history > j->epochs_saved) { /* an epoch completed: keep it in the record and the database */
        for (int e = j->epochs_saved; e < s->n_history; e++)
            et_train_record_add_epoch(&j->res->record, &s->history[e]);
        j->epochs_saved = s->n_history;
        j->res->record.seconds = et_clock_s() - j->t0;
        et_err ignore = {0}; /* a database error here must not stop training; the end stores it again */
        if (j->db && et_db_save_train(j->db, j->res->run_id, &j->res->record, &ignore) != ET_OK)
            note(j, "could not store epoch %d in the run database: %s", s->n_history, ignore.msg);
    }
    phase(j, ET_JOB_TRAINING, p);
}

static void make_config(job *j) {
    const et_train_job_options *o = j->o;
    et_train_config *c = &j->cfg;
    *c = et_train_config_default();
    c->epochs = o->epochs;
    c->batch = o->batch;
    c->optim = et_optim_config_default(o->optimizer);
    if (o->weight_decay >= 0.0f)
        c->optim.weight_decay = o->weight_decay;
    c->optim.clip_norm = o->clip_norm;
    c->lr = o->lr > 0.0f ? o->lr : (o->optimizer == ET_OPTIM_SGD ? 0.01f : 1e-3f);
    c->min_lr = o->min_lr;
    c->warmup_frac = o->warmup_frac;
    c->loss = (et_loss_config){.temperature = o->temperature, .kd_weight = o->kd_weight};
    c->seed = o->seed;
    c->prunable = o->gradual ? j->prunable : NULL;
    c->prune_target = o->knobs.prune_ratio;
    c->prune_global = o->knobs.prune_method == ET_PRUNE_GLOBAL;
    c->prune_shares = j->prune_shares;
    c->prune_compensate = j->prune_shares != NULL;
    c->prune_comp_stats = &j->comp;
    c->prune_end_frac = o->prune_end > 0.0f ? o->prune_end
                        : o->epochs >= 2    ? (float)(o->epochs - 1) / (float)o->epochs
                                            : 0.5f;
    c->checkpoint_path = j->res->checkpoint_path;
    c->cancel = o->cancel;
    c->progress = on_progress;
    c->progress_ctx = j;
    char knobs[160], fkd_tag[32] = "";
    /* only when on: a checkpoint written without --feature-kd (by this build or an older one) keeps its tag, so
       --resume still takes it */
    if (o->feature_kd > 0.0f)
        snprintf(fkd_tag, sizeof fkd_tag, " fkd %g", (double)o->feature_kd);
    char end_tag[32] = ""; /* likewise only when given */
    if (o->prune_end > 0.0f)
        snprintf(end_tag, sizeof end_tag, " end %g", (double)o->prune_end);
    snprintf(j->tag, sizeof j->tag,
             "%s %s %s | %s | data %s %lld | epochs %d batch %d %s lr %g wd %g clip %g "
             "T %g kd %g%s warm-up %g seed %llu %s%s",
             et_train_kind_name(o->kind), et_session_model(j->session)->sha256, j->student ? j->student->sha256 : "-",
             et_knobs_describe(&o->knobs, knobs, sizeof knobs), j->data.sha256, (long long)j->data.n, o->epochs,
             o->batch, et_optim_name(o->optimizer), (double)c->lr, (double)c->optim.weight_decay, (double)o->clip_norm,
             (double)o->temperature, (double)o->kd_weight, fkd_tag, (double)o->warmup_frac, (unsigned long long)o->seed,
             !o->gradual       ? "oneshot"
             : j->prune_shares ? "gradual erk compensated"
                               : "gradual",
             end_tag);
    c->checkpoint_tag = j->tag;
}

/* --feature-kd: a network of the fp32 model (an fp32 clone the network borrows) whose convolutions' outputs the
 * trained model's are pulled toward. */
static et_status make_feature_kd(job *j) {
    et_knobs fp = j->o->knobs;
    fp.weight_bits = 32, fp.act_bits = 32, fp.prune_ratio = 0.0f, fp.recover = ET_RECOVER_NONE;
    et_tune_report rep;
    et_status st = et_tune_apply(et_session_model(j->session)->graph, &fp, NULL, &j->teacher_graph, &rep, j->err);
    if (st == ET_OK)
        st = et_feature_kd_create(j->net, j->teacher_graph, j->o->feature_kd, &j->fkd, j->err);
    if (st == ET_OK)
        note(j,
             "feature distillation: the outputs of %d convolutions pulled toward the fp32 model's (weight %g); %d "
             "of them channel-pruned, compared on the channels they kept (matched on the first batch)",
             et_feature_kd_layers(j->fkd), (double)j->o->feature_kd, et_feature_kd_mapped(j->fkd));
    return st;
}

static et_status prepare_training(job *j) {
    const et_train_job_options *o = j->o;
    int64_t n[2] = {j->data.n, j->eval.n};
    et_status st = o->feature_kd > 0 ? make_feature_kd(j) : ET_OK;
    if (st == ET_OK)
        st = et_teacher_create(et_session_model(j->session)->graph, o->knobs.threads, n, 256u << 20, &j->teacher,
                               j->err);
    j->cfg.feature_kd = j->fkd;
    if (st == ET_OK)
        st = et_optim_create(&j->cfg.optim, j->net, &j->opt, j->err);
    if (st == ET_OK && !(j->state = calloc(1, sizeof *j->state)))
        st = et_fail(j->err, ET_E_NOMEM, "out of memory preparing training");
    if (st != ET_OK || !o->resume)
        return st;
    if ((st = et_checkpoint_read(j->res->checkpoint_path, j->tag, j->net, j->opt, j->state, j->err)) != ET_OK)
        return st;
    note(j, "resuming from %s: %d of %d epochs done, step %lld%s%s", j->res->checkpoint_path, j->state->epochs_done,
         o->epochs, (long long)j->state->global_step, j->state->run_uuid[0] ? ", trained by run " : "",
         j->state->run_uuid);
    /* lineage: the run whose checkpoint this one continues */
    snprintf(j->res->record.resumed_from, sizeof j->res->record.resumed_from, "%s", j->state->run_uuid);
    for (int e = 0; e < j->state->n_history; e++)
        et_train_record_add_epoch(&j->res->record, &j->state->history[e]);
    j->epochs_saved = j->state->n_history;
    return ET_OK;
}

static et_status train(job *j) {
    phase(j, ET_JOB_TRAINING, NULL);
    const et_train_source *eval = j->eval.set ? &j->eval.src : NULL, *calib = j->calib.set ? &j->calib.src : NULL;
    et_status st = et_train_run(j->net, j->opt, j->teacher, &j->data.src, eval, calib, &j->cfg, j->state, &j->outcome,
                                j->err);
    if (st == ET_OK && j->fkd && et_feature_kd_mapped(j->fkd) > 0) /* how surely the kept channels were found */
        note(j,
             "feature distillation: channel maps matched with a mean distance of at most %.3f (0: the same "
             "outputs, 1: unrelated)",
             et_feature_kd_match_worst(j->fkd));
    return st;
}

/* ---- the trained file and its measurement ------------------------------------------------------------------- */

static et_status write_output(job *j) {
    phase(j, ET_JOB_WRITING, NULL);
    if (!(j->trained = et_tnet_export(j->net, j->err)))
        return j->err->status ? j->err->status : ET_E_NOMEM;
    et_knobs wk = j->o->knobs;
    wk.force_int8 = true; /* the file holds every layer that can be int8, as `save` writes it */
    et_status st = et_session_configure_from(j->session, j->trained, &wk, j->err);
    et_onnx_write_info info = {0};
    if (st == ET_OK)
        st = et_onnx_write(et_session_tuned(j->session), j->o->out_path, "edgetune " ET_VERSION, &info, j->err);
    if (st != ET_OK)
        return st;
    et_train_record *t = &j->res->record;
    snprintf(t->output_path, sizeof t->output_path, "%s", j->o->out_path);
    sha256_file(j->o->out_path, t->output_sha256);
    note(j, "wrote %s: %.2f MiB, opset %lld, %d nodes", j->o->out_path, (double)info.bytes / 1048576.0,
         (long long)info.opset, info.n_nodes);
    return ET_OK;
}

static et_status measure_after(job *j) {
    phase(j, ET_JOB_MEASURING, NULL);
    et_status st = et_session_configure_from(j->session, j->trained, &j->o->knobs, j->err);
    if (st != ET_OK)
        return st;
    et_bench_config bc = et_bench_config_default();
    bc.deploy_exe = j->o->deploy_exe;
    bc.cancel = j->o->cancel;
    et_result *r = &j->res->run;
    char uuid[sizeof r->uuid], label[sizeof r->label];
    int64_t started = r->started_unix_ms;
    memcpy(uuid, r->uuid, sizeof uuid);
    memcpy(label, r->label, sizeof label);
    et_result_free(r);
    et_result_init(r);
    st = et_bench_run(j->session, &bc, r, j->err);
    memcpy(r->uuid, uuid, sizeof uuid); /* the run begun in the database */
    memcpy(r->label, label, sizeof label);
    r->started_unix_ms = started;
    et_train_record *t = &j->res->record;
    if (r->fidelity.status == ET_AVAIL_OK) {
        t->acc_after = r->fidelity.accuracy;
        t->agree_after = r->fidelity.n_outputs > 0 ? r->fidelity.outputs[0].top1_agreement : -1.0;
        if (t->acc_fp32 < 0)
            t->acc_fp32 = r->fidelity.baseline_accuracy;
    }
    return st;
}

static void finish_run(job *j, et_status st) {
    et_train_record *t = &j->res->record;
    et_result *r = &j->res->run;
    t->seconds = et_clock_s() - j->t0;
    if (j->outcome.why[0])
        snprintf(t->stop_why, sizeof t->stop_why, "%s", j->outcome.why);
    else if (st != ET_OK && j->err->msg[0])
        snprintf(t->stop_why, sizeof t->stop_why, "%s", j->err->msg);
    r->status = st == ET_OK ? ET_RUN_OK : (st == ET_E_CANCELLED || st == ET_E_IO) ? ET_RUN_ABORTED : ET_RUN_FAILED;
    if (st != ET_OK && t->stop_why[0])
        snprintf(r->engine.notes, sizeof r->engine.notes, "training stopped: %s", t->stop_why);
    phase(j, ET_JOB_DONE, NULL);
    if (!j->db || !j->res->run_id)
        return;
    et_err e2 = {0};
    if (et_db_finish_run(j->db, j->res->run_id, r, &e2) != ET_OK ||
        et_db_save_train(j->db, j->res->run_id, t, &e2) != ET_OK)
        note(j, "the run could not be stored: %s", e2.msg);
}

/* ---- the job ------------------------------------------------------------------------------------------------ */

static void job_free(job *j) {
    et_feature_kd_free(j->fkd);
    et_graph_free(j->teacher_graph);
    et_teacher_free(j->teacher);
    et_optim_free(j->opt);
    et_tnet_free(j->net);
    et_session_free(j->session); /* its tuned graph borrows from j->trained, which borrows from j->train_graph */
    et_graph_free(j->trained);
    et_graph_free(j->train_graph);
    et_model_free(j->student);
    et_train_data_free(&j->data);
    et_train_data_free(&j->eval);
    et_train_data_free(&j->calib);
    et_threadpool_destroy(j->pool);
    et_db_close(j->db);
    free(j->quant_nodes);
    free(j->prunable);
    free(j->prune_shares);
    free(j->state);
}

/* Training and what follows it; st is the outcome of the phases before. */
static et_status train_and_finish(job *j) {
    et_status st = train(j);
    if (j->comp.rows > 0 && j->comp.err_before > 0.0)
        note(j,
             "compensated pruning steps: %lld layer rows refit, their output error on the batch %.1f %% of zeroing "
             "alone's",
             (long long)j->comp.rows, 100.0 * j->comp.err_after / j->comp.err_before);
    et_status run_st = st;
    if (st == ET_OK || st == ET_E_RUNTIME) { /* a stop put the last good weights back: they are worth a file */
        et_err keep = *j->err;
        et_status wst = write_output(j);
        if (wst == ET_OK && st == ET_OK)
            wst = measure_after(j);
        if (wst != ET_OK)
            run_st = st = wst;
        else if (st == ET_E_RUNTIME)
            *j->err = keep;
    }
    finish_run(j, run_st);
    if (st == ET_E_RUNTIME && j->outcome.why[0])
        et_fail(j->err, ET_E_RUNTIME, "training stopped: %s; %s holds the weights of the last good epoch",
                j->outcome.why, j->res->record.output_path[0] ? j->res->record.output_path : "no file");
    else if (st == ET_E_CANCELLED)
        et_fail(j->err, ET_E_CANCELLED, "training %s; the checkpoint %s keeps it: run the same command with --resume",
                j->outcome.why, j->res->checkpoint_path);
    return st;
}

et_status et_train_job_run(const et_train_job_options *o, et_train_job_result *res, et_err *err) {
    job j = {.o = o, .res = res, .err = err, .t0 = et_clock_s()};
    et_status st = check_options(o, err);
    if (st != ET_OK)
        return st;
    et_train_job_checkpoint(o->out_path, res->checkpoint_path, sizeof res->checkpoint_path);
    if (o->knobs.threads > 1 && !(j.pool = et_threadpool_create(o->knobs.threads, err)))
        return err->status;
    st = open_files(&j);
    if (st == ET_OK && o->kind == ET_TRAIN_DISTILL)
        st = check_pair(&j);
    if (st == ET_OK)
        st = make_network(&j);
    if (st == ET_OK && o->gradual)
        st = find_prunable(&j);
    if (st == ET_OK)
        st = measure_before(&j);
    if (st == ET_OK) {
        make_config(&j);
        fill_record(&j);
        st = prepare_training(&j);
    }
    if (st == ET_OK)
        st = start_run(&j);
    if (st == ET_OK) { /* the checkpoints this run writes name it (none when it is not stored) */
        snprintf(j.state->run_uuid, sizeof j.state->run_uuid, "%s", j.res->run_id ? j.res->run.uuid : "");
        st = train_and_finish(&j);
    }
    job_free(&j);
    return st;
}
