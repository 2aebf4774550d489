/* cli_train.c: `edgetune finetune` and `edgetune distill` (cmd_finetune.c and cmd_distill.c call this): the
 * flags, then src/bench/train_job.c does the work while this prints a progress line on a terminal (epoch, step,
 * loss, samples/s, time left), a line per epoch, and a summary: accuracy of the fp32 model, of the knobs applied
 * one-shot and of the trained model, with the drops in percentage points, latency and memory of the trained
 * model, the files written and the stored run.
 *
 * SIGINT, SIGTERM and SIGHUP stop training between steps: the checkpoint keeps the step reached, the run is saved
 * as aborted, and the same command with --resume continues. */
#include "cli/cli_train.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/deploy_memory.h"
#include "bench/train_job.h"
#include "cli/args.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out, et_train_kind kind) {
    if (kind == ET_TRAIN_FINETUNE)
        fprintf(
            out,
            "usage: edgetune finetune MODEL [KNOBS] --data PATH -o OUT.onnx [--epochs N] [--schedule oneshot|gradual]\n"
            "                         [TRAINING] [--eval PATH] [--labels FILE] [--calib PATH] [--resume]\n\n"
            "Trains the model as tuned by the knobs to reproduce the fp32 original's outputs on the --data inputs\n"
            "(knowledge distillation: no labels needed). Pruning masks stay (pruned weights stay 0, channel-pruned\n"
            "layers stay small); quantized layers train with fake quantization on the grid the knobs give and a\n"
            "straight-through gradient (quantization-aware training). --schedule gradual starts from the dense\n"
            "model and raises the sparsity to --prune R over the epochs (Zhu & Gupta's cubic schedule; the last\n"
            "epoch trains at R); with --prune-method unstructured each layer gets its Erdos-Renyi-kernel share of R\n"
            "(depthwise and small layers keep more) and at each step the kept weights of each layer (convolutions\n"
            "with up to 320 weights per filter, fully connected layers) are refit by least squares on the last batch\n"
            "for what it removes; with global one threshold. With --recover (one-shot pruning)\n"
            "training starts from the compensated weights (SparseGPT masks, least-squares refit of channel-pruned\n"
            "layers) on the calibration inputs (--calib, else MODEL.calib/, else the training data). OUT.onnx is\n"
            "the trained model tuned by the knobs, as `edgetune save` writes it; it is measured like a bench run\n"
            "and stored as a run with its training record (data set and hash, epochs, loss and accuracy per epoch,\n"
            "the parent model and OUT.onnx).\n\n");
    else
        fprintf(
            out,
            "usage: edgetune distill TEACHER.onnx STUDENT.onnx --data PATH -o OUT.onnx [--epochs N] [TRAINING]\n"
            "                        [QUANTIZATION KNOBS] [--eval PATH] [--labels FILE] [--calib PATH] [--resume]\n\n"
            "Trains STUDENT (any model with the teacher's inputs and outputs, e.g. a narrower network exported\n"
            "untrained) to reproduce TEACHER's outputs on the --data inputs. The student's BatchNormalization\n"
            "layers train with batch statistics. Quantization knobs (--bits, --act-bits, ...) train the student\n"
            "with fake quantization; OUT.onnx is the trained student (tuned by those knobs), measured against the\n"
            "teacher (accuracy, agreement) and stored as a run.\n\n");
    fprintf(out,
            "training:\n"
            "  --data PATH           training inputs: a folder of .npy files or one batched .npy (N x ...), read in\n"
            "                        file-name order and shuffled per epoch; held in memory up to 512 MiB\n"
            "  --data-labels FILE    labels for --data (default labels.txt / labels.npy in the folder, when present)\n"
            "  --data-limit N        a seeded random subset of N training samples\n"
            "  -o OUT.onnx           the trained model (replaced atomically); its checkpoint is OUT.onnx.ckpt\n"
            "  --epochs N            passes over the data (default 1)\n"
            "  --batch N             samples per step (default 64)\n"
            "  --optimizer O         adamw (default) or sgd (momentum 0.9, Nesterov)\n"
            "  --lr X                peak learning rate (default 0.001 for adamw, 0.01 for sgd)\n"
            "  --min-lr X            the cosine schedule's end (default 0)\n"
            "  --warmup F            share of the steps spent warming up linearly (default 0.05)\n"
            "  --prune-end F         with --schedule gradual: the share of the steps after which the sparsity\n"
            "                        reaches --prune R; the rest trains the fixed mask (default (epochs - 1) /\n"
            "                        epochs; one epoch: 0.5)\n"
            "  --weight-decay X      on conv and linear weights (default 0.01 adamw, 5e-4 sgd)\n"
            "  --clip-grad X         clip the global gradient norm to X (default: no clipping)\n"
            "  --temperature T       distillation temperature (default 2)\n"
            "  --feature-kd W        also pull each convolution's output toward the fp32 model's (relative\n"
            "                        squared error, mean over the layers, times W; default 0: off). Layers\n"
            "                        whose channels were pruned are left out. About a quarter more CPU time.\n"
            "                        Gradual 80 %% pruning: see edgetune(1), TRAINING RESULTS (W 3)\n"
            "  --kd-weight A         loss = A x distillation + (1 - A) x cross-entropy on the labels (default 1:\n"
            "                        distillation only; below 1 needs labels for --data)\n"
            "  --seed N              the order of samples (default 1)\n"
            "  --resume              continue from OUT.onnx.ckpt (same command, model, knobs and data); the run\n"
            "                        records the run that wrote it (show: resumed from)\n"
            "  --no-save             do not store the run\n"
            "  --label TEXT          a label stored with the run\n\n"
            "Exit status: 0 trained and written; 1 stopped (a signal: resume later; a NaN or exploding loss:\n"
            "OUT.onnx holds the last good epoch); 2 bad usage or input.\n\n");
    fputs(et_tensor_help, out);
    fputs(et_data_help, out);
    fputs(et_knob_help, out);
}

typedef struct train_args {
    et_train_job_options o;
    et_tensor_args targs;
    et_data_args data;
    bool tty;
    double last_line;
} train_args;

/* Parses a number flag into *out. Returns 1 consumed, 0 not this flag, -1 error. */
static int number(et_args *a, const char *flag, double min, double max, double *out) {
    const char *v;
    if (!et_args_value(a, flag, &v))
        return 0;
    return et_cli_parse_double(a->cmd, flag, v, min, max, out) ? 1 : -1;
}

static int train_flag(et_args *a, train_args *t) {
    et_train_job_options *o = &t->o;
    const char *v;
    double x;
    int r;
    if (et_args_value(a, "--data", &o->data_path) || et_args_value(a, "--data-labels", &o->labels_path) ||
        et_args_value(a, "-o", &o->out_path) || et_args_value(a, "--label", &o->label))
        return 1;
    if (et_args_flag(a, "--resume"))
        return o->resume = true, 1;
    if (et_args_flag(a, "--no-save"))
        return o->save = false, 1;
    if (et_args_value(a, "--schedule", &v)) {
        if (strcmp(v, "gradual") && strcmp(v, "oneshot"))
            return et_cli_usage_error(a->cmd, "--schedule '%s': give oneshot or gradual", v), -1;
        return o->gradual = strcmp(v, "gradual") == 0, 1;
    }
    if (et_args_value(a, "--optimizer", &v)) {
        int k = et_optim_parse(v);
        if (k < 0)
            return et_cli_usage_error(a->cmd, "--optimizer '%s': give adamw or sgd", v), -1;
        return o->optimizer = (et_optim_kind)k, 1;
    }
    const struct {
        const char *flag;
        double min, max;
    } nums[] = {{"--epochs", 1, 1000},       {"--batch", 1, 4096},         {"--lr", 0, 10},
                {"--min-lr", 0, 10},         {"--warmup", 0, 0.99},        {"--weight-decay", 0, 1},
                {"--clip-grad", 0, 1e9},     {"--temperature", 0.01, 100}, {"--kd-weight", 0, 1},
                {"--seed", 0, 4294967295.0}, {"--data-limit", 1, 1e12},    {"--feature-kd", 0, 100},
                {"--prune-end", 0.01, 1}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if ((r = number(a, nums[i].flag, nums[i].min, nums[i].max, &x)) <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        switch (i) {
        case 0: o->epochs = (int)x; break;
        case 1: o->batch = (int)x; break;
        case 2: o->lr = (float)x; break;
        case 3: o->min_lr = (float)x; break;
        case 4: o->warmup_frac = (float)x; break;
        case 5: o->weight_decay = (float)x; break;
        case 6: o->clip_norm = (float)x; break;
        case 7: o->temperature = (float)x; break;
        case 8: o->kd_weight = (float)x; break;
        case 9: o->seed = (uint64_t)x; break;
        case 10: o->data_limit = (int64_t)x; break;
        case 11: o->feature_kd = (float)x; break;
        default: o->prune_end = (float)x; break;
        }
        return 1;
    }
    return 0;
}

/* ---- printing ----------------------------------------------------------------------------------------------- */

static void pct(char *buf, size_t len, double f) {
    if (f < 0)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.2f%%", 100.0 * f);
}

static void print_epoch(const et_train_epoch *e, int epochs) {
    char acc[16], agree[16];
    pct(acc, sizeof acc, e->eval_acc);
    pct(agree, sizeof agree, e->eval_agree);
    printf("epoch %d/%d: loss %.4f (distillation %.4f", e->epoch, epochs, e->loss, e->kd);
    if (e->ce > 0)
        printf(", cross-entropy %.4f", e->ce);
    printf("), eval accuracy %s, teacher agreement %s", acc, agree);
    if (e->sparsity > 0)
        printf(", sparsity %.1f%%", 100.0 * e->sparsity);
    printf(", lr %.3g, %.0f samples/s, %.1f s\n", e->lr, e->samples_per_s, e->seconds);
    fflush(stdout);
}

static void progress(void *ctx, const et_train_job_progress *p) {
    train_args *t = ctx;
    static int printed;
    if (p->record && p->record->n_epochs > printed) {
        if (t->tty)
            fprintf(stderr, "\r\033[K");
        for (int e = printed; e < p->record->n_epochs; e++)
            print_epoch(&p->record->epoch[e], t->o.epochs);
        printed = p->record->n_epochs;
    }
    if (!t->tty)
        return;
    if (p->phase != ET_JOB_TRAINING || !p->train) {
        fprintf(stderr, "\r\033[K%s...", et_train_job_phase_name(p->phase));
        if (p->phase == ET_JOB_DONE)
            fprintf(stderr, "\r\033[K");
        return;
    }
    const et_train_progress *tp = p->train;
    int left = (int)tp->eta_s;
    fprintf(stderr, "\r\033[Kepoch %d/%d, step %lld/%lld, loss %.4f, %.0f samples/s, %d:%02d left", tp->epoch,
            tp->epochs, (long long)tp->step_in_epoch, (long long)tp->steps_per_epoch, tp->loss, tp->samples_per_s,
            left / 60, left % 60);
}

static void note(void *ctx, const char *line) {
    train_args *t = ctx;
    fprintf(stderr, "%s%s\n", t->tty ? "\r\033[K" : "", line);
}

static void drop(char *buf, size_t len, double acc, double ref) {
    if (acc < 0 || ref < 0)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.2f%% (%+.2f pp against fp32)", 100.0 * acc, 100.0 * (acc - ref));
}

static void summary(const et_train_job_options *o, const et_train_job_result *res) {
    const et_train_record *t = &res->record;
    const et_result *r = &res->run;
    char fp[24], before[64], after[64];
    pct(fp, sizeof fp, t->acc_fp32);
    drop(before, sizeof before, t->acc_before, t->acc_fp32);
    drop(after, sizeof after, t->acc_after, t->acc_fp32);
    printf("accuracy on %s: fp32 %s, %s %s, trained %s\n", t->eval_source[0] ? t->eval_source : "(no evaluation set)",
           fp, o->kind == ET_TRAIN_DISTILL ? "student untrained" : "knobs one-shot", before, after);
    if (t->agree_after >= 0)
        printf("top-1 agreement with the fp32 %s: before %.2f%%, after %.2f%%\n",
               o->kind == ET_TRAIN_DISTILL ? "teacher" : "model", 100.0 * t->agree_before, 100.0 * t->agree_after);
    if (r->status == ET_RUN_OK && r->iters > 0) {
        printf("trained model: latency p50 %.3f ms (%d iterations, %d thread%s), ", r->latency.p50_ms, r->iters,
               r->knobs.threads, r->knobs.threads > 1 ? "s" : "");
        if (r->deployed.status == ET_AVAIL_OK)
            printf("deployed memory %.2f MiB\n", (double)r->deployed.peak_bytes / 1048576.0);
        else
            printf("deployed memory not measured (%s)\n", r->deployed.why);
    }
    printf("training: %d epochs of %lld samples in %.1f s; network %.1f MiB of activations + %.1f MiB of gradients "
           "at batch %d\n",
           t->n_epochs, (long long)t->data_samples, t->seconds, (double)res->memory.activation_bytes / 1048576.0,
           (double)res->memory.gradient_bytes / 1048576.0, o->batch);
    if (t->output_path[0])
        printf("wrote %s (sha256 %.16s...), checkpoint %s\n", t->output_path, t->output_sha256, res->checkpoint_path);
}

/* ---- the command -------------------------------------------------------------------------------------------- */

static int parse(et_train_kind kind, int argc, char **argv, train_args *t) {
    const char *cmd = et_train_kind_name(kind), *first = NULL, *second = NULL;
    et_args a = et_args_start(cmd, argc, argv);
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, &t->targs)) != 0 || (r = et_args_data_flag(&a, &t->data)) != 0 ||
            (r = et_args_knob_flag(&a, &t->o.knobs)) != 0 || (r = train_flag(&a, t)) != 0) {
            if (r < 0)
                return 2;
        } else if (!et_args_positional(&a, first ? &second : &first)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!first)
        return et_cli_usage_error(cmd, "give the %s file", kind == ET_TRAIN_DISTILL ? "teacher" : "model");
    if (kind == ET_TRAIN_DISTILL && !second)
        return et_cli_usage_error(cmd, "give the student file after the teacher's");
    if (kind == ET_TRAIN_FINETUNE && second)
        return et_cli_usage_error(cmd, "unexpected argument '%s' (finetune takes one model; distill takes two)",
                                  second);
    t->o.model_path = first;
    t->o.student_path = second;
    return 0;
}

int et_cli_train(et_cli *cli, et_train_kind kind, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout, kind);
        return 0;
    }
    train_args t = {.o = et_train_job_options_default()};
    t.o.kind = kind;
    int rc = parse(kind, argc, argv, &t);
    if (rc != 0)
        return rc;
    et_train_job_options *o = &t.o;
    for (int i = 0; i < t.targs.n_shapes; i++)
        t.targs.shapes[i].name = t.targs.names[i];
    o->shapes = t.targs.shapes;
    o->n_shapes = t.targs.n_shapes;
    o->eval_path = t.data.eval;
    o->eval_labels = t.data.labels;
    o->eval_limit = t.data.eval_limit;
    o->calib_path = t.data.calib;
    o->db_path = cli->db_path;
    o->deploy_exe = ET_DEPLOY_SELF_EXE;
    o->cancel = (const volatile int *)&stop_requested;
    o->progress = progress;
    o->note = note;
    o->ctx = &t;
    t.tty = isatty(STDERR_FILENO);
    char knobs[160];
    printf("%s %s%s%s: %s; %s, %d epoch%s, batch %d\n", et_train_kind_name(kind), o->model_path,
           o->student_path ? " -> " : "", o->student_path ? o->student_path : "",
           et_knobs_describe(&o->knobs, knobs, sizeof knobs), o->gradual ? "gradual pruning" : "one-shot tuning",
           o->epochs, o->epochs > 1 ? "s" : "", o->batch);
    struct sigaction sa = {0}, old_int, old_term, old_hup;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    et_train_job_result res;
    et_train_job_result_init(&res);
    et_err err = {0};
    et_status st = et_train_job_run(o, &res, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    if (t.tty)
        fprintf(stderr, "\r\033[K");
    if (st == ET_OK || st == ET_E_RUNTIME || st == ET_E_CANCELLED || st == ET_E_IO)
        if (res.record.n_epochs > 0 || res.record.output_path[0])
            summary(o, &res);
    if (res.run_id > 0)
        printf("saved as run %lld (%s)\n", (long long)res.run_id, et_run_status_name(res.run.status));
    rc = st == ET_OK ? 0 : et_cli_report(&err);
    et_train_job_result_free(&res);
    return rc;
}
