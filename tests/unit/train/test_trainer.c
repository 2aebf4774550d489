/* test_trainer.c: the training loop on the digits fixture (360 labelled 8x8 images, the teacher the fp32 model):
 * distillation brings a 70 %-pruned student back towards its teacher with the masks kept; a run stopped and
 * resumed from its checkpoint (at an epoch's end, and in the middle of one after a cancel) ends with exactly the
 * weights of one never stopped; a NaN stops training at the step it appears with the last epoch's weights put
 * back; a damaged checkpoint, one made under other settings and one that cannot be written (a file size limit
 * standing in for a full disk) are refused with the path named and the previous checkpoint intact; gradual
 * pruning reaches its target, overall and, with per-layer (ERK) shares, in every layer; the teacher's batch path on
 * several threads gives what one thread gives sample by sample. */
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "et_test.h"
#include "model/model.h"
#include "model/npy.h"
#include "train/checkpoint.h"
#include "train/trainer.h"
#include "tune/tune.h"

enum { N = 360, PIX = 64 };

static float images[N * PIX];
static int64_t labels[N];
static int nan_at = -1; /* a sample index that reads as NaN (the NaN test) */

static const char *src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

static bool load_digits(void) {
    char path[1024];
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/fixtures/models/digits.eval/input_%03d.npy", src_dir(), i);
        et_npy t;
        et_err err = {0};
        if (et_npy_read(path, &t, &err) != ET_OK || t.nbytes != PIX * sizeof(float))
            return false;
        memcpy(images + i * PIX, t.data, t.nbytes);
        et_npy_free(&t);
    }
    snprintf(path, sizeof path, "%s/fixtures/models/digits.eval/labels.txt", src_dir());
    FILE *f = fopen(path, "r");
    for (int i = 0; f && i < N; i++)
        if (fscanf(f, "%" SCNd64, &labels[i]) != 1)
            labels[i] = -1;
    if (f)
        fclose(f);
    return f != NULL;
}

static et_status read_sample(void *ctx, int64_t i, float *const *dst, et_err *err) {
    (void)ctx, (void)err;
    memcpy(dst[0], images + i * PIX, PIX * sizeof(float));
    if (i == nan_at)
        dst[0][5] = NAN;
    return ET_OK;
}
static int64_t read_label(void *ctx, int64_t i) { return (void)ctx, labels[i]; }

static const et_train_source train_src = {.n = 300, .read = read_sample, .label = read_label};
static et_train_source eval_src(void) { return (et_train_source){.n = 60, .read = read_sample, .label = read_label}; }
/* the evaluation set: samples 300..359 */
static et_status read_eval(void *ctx, int64_t i, float *const *dst, et_err *err) {
    return read_sample(ctx, i + 300, dst, err);
}
static int64_t label_eval(void *ctx, int64_t i) { return read_label(ctx, i + 300); }

typedef struct job {
    et_model *m;
    et_graph *tuned;
    et_tnet *net;
    et_optim *opt;
    et_teacher *teacher;
    et_train_state *state;
} job;

/* The digits model pruned at `ratio` (unstructured), as a network with the pruned weights masked. */
static bool job_open(job *j, float ratio) {
    memset(j, 0, sizeof *j);
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/digits.onnx", src_dir());
    et_err err = {0};
    if (et_model_load(path, NULL, &j->m, &err) != ET_OK)
        return false;
    et_knobs k = et_knobs_default();
    k.prune_ratio = ratio;
    k.quantize_all = true;
    et_tune_report rep;
    if (et_tune_apply(j->m->graph, &k, NULL, &j->tuned, &rep, &err) != ET_OK)
        return false;
    et_tnet_options o = et_tnet_options_default();
    o.batch = 32;
    int masked = 0;
    int64_t n[2] = {train_src.n, 60};
    et_optim_config oc = et_optim_config_default(ET_OPTIM_ADAMW);
    j->state = calloc(1, sizeof *j->state);
    return et_tnet_create(j->tuned, &o, &j->net, &err) == ET_OK &&
           et_train_masks_from_tuned(j->net, j->m->graph, &masked, &err) == ET_OK && (ratio == 0 || masked == 3) &&
           et_optim_create(&oc, j->net, &j->opt, &err) == ET_OK &&
           et_teacher_create(j->m->graph, 1, n, 1 << 20, &j->teacher, &err) == ET_OK && j->state;
}

static void job_close(job *j) {
    et_teacher_free(j->teacher);
    et_optim_free(j->opt);
    et_tnet_free(j->net);
    et_graph_free(j->tuned);
    et_model_free(j->m);
    free(j->state);
}

static et_train_config config(int epochs) {
    et_train_config c = et_train_config_default();
    c.epochs = epochs;
    c.batch = 32;
    c.lr = 3e-3f;
    c.loss.temperature = 2.0f;
    c.seed = 7;
    c.progress = NULL;
    return c;
}

static et_status train(job *j, const et_train_config *c, et_train_outcome *out) {
    et_err err = {0};
    et_train_source ev = eval_src();
    ev.read = read_eval, ev.label = label_eval;
    et_status st = et_train_run(j->net, j->opt, j->teacher, &train_src, &ev, NULL, c, j->state, out, &err);
    if (st != ET_OK && st != ET_E_CANCELLED)
        fprintf(stderr, "train: %s %s\n", err.msg, out->why);
    return st;
}

static void test_distillation_recovers_with_masks_kept(void) {
    job j;
    ET_REQUIRE(job_open(&j, 0.7f));
    et_train_source ev = eval_src();
    ev.read = read_eval, ev.label = label_eval;
    double acc0, agree0, acc1, agree1;
    et_err err = {0};
    ET_REQUIRE(et_train_evaluate(j.net, j.teacher, &ev, NULL, &acc0, &agree0, &err) == ET_OK);
    et_train_config c = config(6);
    et_train_outcome out;
    ET_REQUIRE(train(&j, &c, &out) == ET_OK);
    ET_REQUIRE(et_train_evaluate(j.net, j.teacher, &ev, NULL, &acc1, &agree1, &err) == ET_OK);
    const et_train_state *s = j.state;
    ET_CHECK_INT(s->n_history, 6);
    ET_CHECK_MSG(s->history[5].loss < 0.5 * s->history[0].loss, "loss %.4f -> %.4f", s->history[0].loss,
                 s->history[5].loss);
    ET_CHECK_MSG(agree1 > agree0 && agree1 >= 0.9, "agreement with the teacher %.3f -> %.3f", agree0, agree1);
    fprintf(stderr, "  digits, 70%% pruned: teacher agreement %.3f -> %.3f, accuracy %.3f -> %.3f (60 images)\n",
            agree0, agree1, acc0, acc1);
    for (int i = 0; i < et_tnet_n_params(j.net); i++) {
        et_tparam *p = et_tnet_param(j.net, i);
        int64_t off = 0;
        for (int64_t e = 0; p->mask && e < p->numel; e++)
            off += !p->mask[e] && p->w[e] != 0.0f;
        ET_CHECK_MSG(off == 0, "%s: %lld pruned weights moved", p->name, (long long)off);
    }
    job_close(&j);
}

static bool same_weights(job *a, job *b) {
    for (int i = 0; i < et_tnet_n_params(a->net); i++) {
        et_tparam *p = et_tnet_param(a->net, i), *q = et_tnet_param(b->net, i);
        if (memcmp(p->w, q->w, (size_t)p->numel * sizeof(float)) != 0)
            return false;
    }
    return true;
}

static volatile int cancel_flag;
static int64_t cancel_at_step;
static void cancel_progress(void *ctx, const et_train_progress *p) {
    (void)ctx;
    if (p->global_step >= cancel_at_step)
        cancel_flag = 1;
}

static void test_resume_gives_the_same_weights(void) {
    char ckpt[] = "/tmp/et_test_trainer_XXXXXX";
    ET_REQUIRE(mkdtemp(ckpt) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/run.ckpt", ckpt);
    job whole, part;
    ET_REQUIRE(job_open(&whole, 0.5f) && job_open(&part, 0.5f));
    et_train_config c = config(3);
    et_train_outcome out;
    ET_REQUIRE(train(&whole, &c, &out) == ET_OK);
    /* epochs 1..2, stopped in epoch 2 at step 13 (a cancel), then resumed from the file in a new process' worth
     * of objects */
    c.checkpoint_path = path;
    c.checkpoint_tag = "digits 50%";
    c.cancel = &cancel_flag;
    c.progress = cancel_progress;
    c.progress_every_s = 0;
    cancel_at_step = 13;
    snprintf(part.state->run_uuid, sizeof part.state->run_uuid, "%s", "the-run-that-wrote-it"); /* lineage */
    ET_CHECK_INT(train(&part, &c, &out), ET_E_CANCELLED);
    ET_CHECK_MSG(strstr(out.why, "epoch 2"), "%s", out.why);
    job_close(&part);
    ET_REQUIRE(job_open(&part, 0.5f));
    et_err err = {0};
    ET_REQUIRE(et_checkpoint_read(path, "digits 50%", part.net, part.opt, part.state, &err) == ET_OK);
    ET_CHECK_INT(part.state->epochs_done, 1);
    ET_CHECK_INT(part.state->global_step, 13);
    ET_CHECK_MSG(strcmp(part.state->run_uuid, "the-run-that-wrote-it") == 0, "the checkpoint's run: '%s'",
                 part.state->run_uuid);
    cancel_flag = 0;
    c.cancel = NULL;
    c.progress = NULL;
    ET_REQUIRE(train(&part, &c, &out) == ET_OK);
    ET_CHECK_MSG(same_weights(&whole, &part), "a resumed run ended with other weights");
    ET_CHECK_INT(part.state->n_history, 3);
    ET_CHECK(fabs(part.state->history[1].loss - whole.state->history[1].loss) < 1e-9);
    /* another tag, a damaged file */
    ET_CHECK_INT(et_checkpoint_read(path, "digits 60%", part.net, part.opt, part.state, &err), ET_E_INPUT);
    ET_CHECK_MSG(strstr(err.msg, "other settings") && strstr(err.msg, path), "%s", err.msg);
    ET_CHECK_MSG(strstr(err.msg, "(digits 50%, where these have digits 60%)"), "only what differs: %s", err.msg);
    ET_CHECK_INT(et_checkpoint_read(path, "digits 50% more", part.net, part.opt, part.state, &err), ET_E_INPUT);
    ET_CHECK_MSG(strstr(err.msg, "(digits 50%), not these (digits 50% more)"), "both whole: %s", err.msg);
    FILE *f = fopen(path, "r+b");
    ET_REQUIRE(f != NULL);
    fseek(f, 200, SEEK_SET);
    fputc(0x5a ^ fgetc(f), f);
    fclose(f);
    ET_CHECK_INT(et_checkpoint_read(path, "digits 50%", part.net, part.opt, part.state, &err), ET_E_INPUT);
    ET_CHECK_MSG(strstr(err.msg, "damaged"), "%s", err.msg);
    job_close(&whole);
    job_close(&part);
    unlink(path);
    rmdir(ckpt);
}

static void cancel_evaluating(void *ctx, const et_train_progress *p) {
    (void)ctx;
    if (p->phase == ET_TRAIN_EVALUATING && p->epoch == 2)
        cancel_flag = 1;
}

/* A cancel while an epoch is being evaluated (its steps done) still leaves a checkpoint, and the resumed run
 * evaluates that epoch and ends with the weights of a run never stopped (before, the stop wrote nothing: a
 * cancel in the first epoch's evaluation left no checkpoint at all). */
static void test_cancel_while_evaluating_keeps_a_checkpoint(void) {
    char dir[] = "/tmp/et_test_trainer_XXXXXX";
    ET_REQUIRE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    job whole, part;
    ET_REQUIRE(job_open(&whole, 0.5f) && job_open(&part, 0.5f));
    et_train_config c = config(3);
    et_train_outcome out;
    ET_REQUIRE(train(&whole, &c, &out) == ET_OK);
    c.checkpoint_path = path;
    c.checkpoint_tag = "digits 50%";
    c.cancel = &cancel_flag;
    c.progress = cancel_evaluating;
    cancel_flag = 0;
    ET_CHECK_INT(train(&part, &c, &out), ET_E_CANCELLED);
    ET_CHECK_MSG(strstr(out.why, "while evaluating epoch 2"), "%s", out.why);
    job_close(&part);
    ET_REQUIRE(job_open(&part, 0.5f));
    et_err err = {0};
    ET_REQUIRE(et_checkpoint_read(path, "digits 50%", part.net, part.opt, part.state, &err) == ET_OK);
    ET_CHECK_INT(part.state->epochs_done, 1);
    ET_CHECK_INT(part.state->n_history, 1);
    ET_CHECK_INT(part.state->global_step, whole.state->history[0].steps * 2);
    cancel_flag = 0;
    c.cancel = NULL;
    c.progress = NULL;
    ET_REQUIRE(train(&part, &c, &out) == ET_OK);
    ET_CHECK_MSG(same_weights(&whole, &part), "a run resumed after evaluation ended with other weights");
    ET_CHECK_INT(part.state->n_history, 3);
    ET_CHECK(fabs(part.state->history[1].loss - whole.state->history[1].loss) < 1e-9);
    ET_CHECK(fabs(part.state->history[1].eval_acc - whole.state->history[1].eval_acc) < 1e-9);
    job_close(&whole);
    job_close(&part);
    unlink(path);
    rmdir(dir);
}

static void test_nan_stops_with_last_good_weights(void) {
    job j;
    ET_REQUIRE(job_open(&j, 0.5f));
    et_train_config c = config(1);
    et_train_outcome out;
    ET_REQUIRE(train(&j, &c, &out) == ET_OK);
    float *keep = malloc((size_t)et_tnet_param(j.net, 0)->numel * sizeof(float));
    memcpy(keep, et_tnet_param(j.net, 0)->w, (size_t)et_tnet_param(j.net, 0)->numel * sizeof(float));
    c.epochs = 2;
    nan_at = 17; /* read somewhere in epoch 2 */
    ET_CHECK_INT(train(&j, &c, &out), ET_E_RUNTIME);
    nan_at = -1;
    ET_CHECK_MSG(strstr(out.why, "not a number") && strstr(out.why, "epoch 2") && out.stop_step > 10, "%s", out.why);
    ET_CHECK_MSG(memcmp(keep, et_tnet_param(j.net, 0)->w, (size_t)et_tnet_param(j.net, 0)->numel * sizeof(float)) == 0,
                 "the weights of epoch 1 were not put back");
    free(keep);
    job_close(&j);
}

static void test_checkpoint_write_failure_keeps_the_old_one(void) {
    char dir[] = "/tmp/et_test_ckpt_XXXXXX";
    ET_REQUIRE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    job j;
    ET_REQUIRE(job_open(&j, 0.5f));
    et_err err = {0};
    ET_REQUIRE(et_checkpoint_write(path, "t", j.net, j.opt, j.state, &err) == ET_OK);
    struct rlimit old, small = {.rlim_cur = 4096, .rlim_max = 4096};
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN); /* a file size limit makes write() fail as a full disk does */
    setrlimit(RLIMIT_FSIZE, &small);
    et_tnet_param(j.net, 0)->w[0] += 1.0f;
    et_status st = et_checkpoint_write(path, "t", j.net, j.opt, j.state, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    ET_CHECK_INT(st, ET_E_IO);
    ET_CHECK_MSG(strstr(err.msg, path) && strstr(err.msg, "unchanged"), "%s", err.msg);
    et_tnet_param(j.net, 0)->w[0] -= 1.0f;
    job other;
    ET_REQUIRE(job_open(&other, 0.5f));
    ET_CHECK_INT(et_checkpoint_read(path, "t", other.net, other.opt, other.state, &err), ET_OK);
    ET_CHECK(same_weights(&j, &other));
    job_close(&other);
    job_close(&j);
    unlink(path);
    rmdir(dir);
}

static void test_gradual_pruning_reaches_target(void) {
    job j;
    ET_REQUIRE(job_open(&j, 0.0f));
    bool prunable[16] = {false};
    int np = et_tnet_n_params(j.net);
    ET_REQUIRE(np <= 16);
    for (int i = 0; i < np; i++)
        prunable[i] = et_tnet_param(j.net, i)->kind == ET_TPARAM_WEIGHT;
    et_train_config c = config(3);
    c.prunable = prunable;
    c.prune_target = 0.8f;
    et_train_outcome out;
    ET_REQUIRE(train(&j, &c, &out) == ET_OK);
    ET_CHECK_MSG(j.state->history[0].sparsity > 0.3 && j.state->history[0].sparsity < 0.8, "epoch 1: %.3f",
                 j.state->history[0].sparsity);
    ET_CHECK_NEAR(j.state->history[2].sparsity, 0.8, 0.002);
    ET_CHECK_NEAR(et_train_sparsity(j.net, prunable), 0.8, 0.002);
    job_close(&j);
}

/* Gradual pruning with per-layer shares (ERK): each layer ends at exactly its share, the whole at the target,
 * and the first epoch (the ramp under way) below it. */
static void test_gradual_shares_reach_each_layer(void) {
    job j;
    ET_REQUIRE(job_open(&j, 0.0f));
    bool prunable[16] = {false};
    float share[16] = {0};
    int np = et_tnet_n_params(j.net), n_layers = 0;
    ET_REQUIRE(np <= 16);
    for (int i = 0; i < np; i++)
        n_layers += prunable[i] = et_tnet_param(j.net, i)->kind == ET_TPARAM_WEIGHT;
    et_prune_erk(j.net, prunable, 0.8f, share);
    et_train_config c = config(3);
    c.prunable = prunable;
    c.prune_target = 0.8f;
    c.prune_shares = share;
    et_train_outcome out;
    ET_REQUIRE(train(&j, &c, &out) == ET_OK);
    ET_CHECK(n_layers >= 2);
    ET_CHECK_MSG(j.state->history[0].sparsity > 0.3 && j.state->history[0].sparsity < 0.8, "epoch 1: %.3f",
                 j.state->history[0].sparsity);
    ET_CHECK_NEAR(et_train_sparsity(j.net, prunable), 0.8, 0.002);
    float lo = 1.0f, hi = 0.0f;
    for (int i = 0; i < np; i++) {
        if (!prunable[i])
            continue;
        et_tparam *p = et_tnet_param(j.net, i);
        int64_t zeros = 0;
        for (int64_t e = 0; e < p->numel; e++)
            zeros += !p->mask[e];
        ET_CHECK_INT(zeros, (int64_t)((double)share[i] * (double)p->numel));
        lo = share[i] < lo ? share[i] : lo;
        hi = share[i] > hi ? share[i] : hi;
    }
    ET_CHECK_MSG(hi - lo > 0.05f, "ERK shares %.3f..%.3f: the layers should differ", (double)lo, (double)hi);
    job_close(&j);
}

/* The teacher's batch path (samples side by side on one single-thread plan per thread) gives bit for bit what a
 * one-thread teacher gives sample by sample, fills the cache, and reads it back on the next batch. */
static void test_teacher_batch_matches_one_by_one(void) {
    enum { B = 40, CLASSES = 10 };
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/digits.onnx", src_dir());
    et_err err = {0};
    et_model *m = NULL;
    et_teacher *one = NULL, *three = NULL;
    const int64_t n[2] = {N, 0};
    ET_REQUIRE(et_model_load(path, NULL, &m, &err) == ET_OK);
    ET_REQUIRE(et_teacher_create(m->graph, 1, n, 1 << 20, &one, &err) == ET_OK);
    ET_REQUIRE(et_teacher_create(m->graph, 3, n, 1 << 20, &three, &err) == ET_OK);
    ET_REQUIRE(et_teacher_output_numel(three, 0) == CLASSES);
    static float in[B * PIX], want[B * CLASSES], got[B * CLASSES], again[B * CLASSES];
    int64_t idx[B];
    for (int b = 0; b < B; b++) {
        idx[b] = (b * 7 + 3) % N;
        memcpy(in + b * PIX, images + idx[b] * PIX, PIX * sizeof(float));
        const float *row = in + b * PIX;
        float *o = want + b * CLASSES;
        ET_REQUIRE(et_teacher_outputs(one, 0, -1, &row, &o, &err) == ET_OK);
    }
    const float *rows = in;
    float *outs = got, *outs2 = again;
    ET_REQUIRE(et_teacher_outputs_batch(three, 0, idx, B, &rows, &outs, &err) == ET_OK);
    ET_CHECK(memcmp(got, want, sizeof got) == 0);
    int64_t cached, computed;
    et_teacher_counts(three, &cached, &computed);
    ET_CHECK_INT(cached, 0);
    ET_CHECK_INT(computed, B);
    ET_REQUIRE(et_teacher_outputs_batch(three, 0, idx, B, &rows, &outs2, &err) == ET_OK);
    ET_CHECK(memcmp(again, want, sizeof again) == 0);
    et_teacher_counts(three, &cached, &computed);
    ET_CHECK_INT(cached, B);
    ET_CHECK_INT(computed, B);
    memset(again, 0, sizeof again); /* no indices: every sample computed again */
    ET_REQUIRE(et_teacher_outputs_batch(three, 0, NULL, B, &rows, &outs2, &err) == ET_OK);
    ET_CHECK(memcmp(again, want, sizeof again) == 0);
    et_teacher_counts(three, &cached, &computed);
    ET_CHECK_INT(computed, 2 * B);
    et_teacher_free(three);
    et_teacher_free(one);
    et_model_free(m);
}

int main(void) {
    if (!load_digits()) {
        fprintf(stderr, "digits fixture missing\n");
        return 1;
    }
    ET_RUN(test_distillation_recovers_with_masks_kept);
    ET_RUN(test_resume_gives_the_same_weights);
    ET_RUN(test_cancel_while_evaluating_keeps_a_checkpoint);
    ET_RUN(test_nan_stops_with_last_good_weights);
    ET_RUN(test_checkpoint_write_failure_keeps_the_old_one);
    ET_RUN(test_gradual_pruning_reaches_target);
    ET_RUN(test_gradual_shares_reach_each_layer);
    ET_RUN(test_teacher_batch_matches_one_by_one);
    return et_test_done();
}
