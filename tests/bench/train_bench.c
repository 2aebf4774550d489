/* train_bench.c: how fast the training engine trains: one epoch of distillation (the fp32 model as teacher, run
 * by the engine's inference plan every step; the same model as the student: forward, KL loss, backward, AdamW
 * step) over N seeded inputs of the model's input shape, at a batch size and thread count, after one warm-up
 * step. Prints seconds per epoch (wall), samples/s and the process's CPU seconds, and with --layers where the CPU
 * time goes per operator and per phase (teacher, forward, loss, backward, optimizer).
 *
 *   build/tests/train_bench MODEL.onnx [--samples N] [--batch B] [--threads T] [--layers] [--no-teacher]
 *
 * tests/bench/train_speed.sh runs it against PyTorch doing the same on the same machine
 * (tests/bench/train_speed.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "train/loss.h"
#include "train/optim.h"
#include "train/teacher.h"
#include "train/train.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of the whole process (every thread): on a shared machine, a one-thread run's CPU time is what its wall
 * time would be on an idle one */
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

typedef struct bench {
    et_tnet *net;
    et_optim *opt;
    et_teacher *teacher;
    float *data, *tout, *grad;
    int64_t in_numel, out_numel;
    bool use_teacher;
    double phase_s[5]; /* CPU seconds: teacher, forward, loss, backward, optimizer (printed with --layers) */
} bench;

static int step(bench *b, int64_t first, int count, et_err *err) {
    double c0 = cpu_s(), c1, c2, c3, c4;
    float *in = et_tnet_input(b->net, 0);
    memcpy(in, b->data + first * b->in_numel, (size_t)(count * b->in_numel) * sizeof(float));
    const float *rows = in;
    if (b->use_teacher && et_teacher_outputs_batch(b->teacher, 0, NULL, count, &rows, &b->tout, err) != ET_OK)
        return 1;
    c1 = cpu_s();
    if (et_tnet_forward(b->net, count, true, err) != ET_OK)
        return 1;
    c2 = cpu_s();
    et_loss_config lc = {.temperature = 2.0f, .kd_weight = 1.0f};
    et_loss_parts parts;
    et_loss_classes(et_tnet_output(b->net, 0), b->tout, NULL, count, b->out_numel, &lc, b->grad, &parts);
    memcpy(et_tnet_output_grad(b->net, 0), b->grad, (size_t)(count * b->out_numel) * sizeof(float));
    c3 = cpu_s();
    et_tnet_backward(b->net);
    c4 = cpu_s();
    et_optim_step(b->opt, 1e-3f);
    const double t[5] = {c1 - c0, c2 - c1, c3 - c2, c4 - c3, cpu_s() - c4};
    for (int i = 0; i < 5; i++)
        b->phase_s[i] += t[i];
    return 0;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    int64_t samples = 10000;
    int batch = 64, threads = 1;
    bool layers = false, use_teacher = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--layers"))
            layers = true;
        else if (!strcmp(argv[i], "--no-teacher"))
            use_teacher = false;
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: train_bench MODEL.onnx [--samples N] [--batch B] [--threads T] [--layers] "
                        "[--no-teacher]\n");
        return 2;
    }
    et_err err = {0};
    et_model *m = NULL;
    if (et_model_load(path, NULL, &m, &err) != ET_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    et_threadpool *pool = threads > 1 ? et_threadpool_create(threads, &err) : NULL;
    et_tnet_options o = et_tnet_options_default();
    o.batch = batch;
    o.pool = pool;
    o.profile = layers;
    bench b = {.use_teacher = use_teacher};
    int64_t n[2] = {0, 0};
    et_optim_config oc = et_optim_config_default(ET_OPTIM_ADAMW);
    if (et_tnet_create(m->graph, &o, &b.net, &err) != ET_OK || et_optim_create(&oc, b.net, &b.opt, &err) != ET_OK ||
        et_teacher_create(m->graph, threads, n, 0, &b.teacher, &err) != ET_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    b.in_numel = et_tnet_input_numel(b.net, 0);
    b.out_numel = et_tnet_output_numel(b.net, 0);
    b.data = malloc((size_t)(samples * b.in_numel) * sizeof(float));
    b.tout = calloc((size_t)(batch * b.out_numel), sizeof(float));
    b.grad = malloc((size_t)(batch * b.out_numel) * sizeof(float));
    uint32_t x = 12345;
    for (int64_t e = 0; e < samples * b.in_numel; e++) {
        x = x * 1664525u + 1013904223u;
        b.data[e] = (float)(x >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    }
    if (step(&b, 0, batch < samples ? batch : (int)samples, &err)) { /* warm-up: first-touch of every buffer */
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    memset(b.phase_s, 0, sizeof b.phase_s);
    double t0 = now_s(), c0 = cpu_s();
    for (int64_t at = 0; at < samples; at += batch)
        if (step(&b, at, (int)(samples - at < batch ? samples - at : batch), &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    double dt = now_s() - t0, dc = cpu_s() - c0;
    printf("%s: epoch of %lld samples, batch %d, %d thread%s%s: %.3f s, %.0f samples/s, %.3f s CPU\n", m->name,
           (long long)samples, batch, threads, threads > 1 ? "s" : "", use_teacher ? "" : " (no teacher)", dt,
           (double)samples / dt, dc);
    if (layers) {
        double tf = 0, tb = 0;
        for (int i = 0; i < et_tnet_n_steps(b.net); i++) {
            const char *name, *op;
            double f, bw;
            et_tnet_step_profile(b.net, i, &name, &op, &f, &bw);
            tf += f, tb += bw;
            printf("  %-40s %-20s forward %8.1f ms  backward %8.1f ms\n", name, op, f, bw);
        }
        printf("  total forward %.1f ms, backward %.1f ms (CPU ms)\n", tf, tb);
        printf("  CPU s: teacher %.3f, forward %.3f, loss %.3f, backward %.3f, optimizer %.3f (of %.3f)\n",
               b.phase_s[0], b.phase_s[1], b.phase_s[2], b.phase_s[3], b.phase_s[4], dc);
    }
    et_teacher_free(b.teacher);
    et_optim_free(b.opt);
    et_tnet_free(b.net);
    et_threadpool_destroy(pool);
    et_model_free(m);
    free(b.data), free(b.tout), free(b.grad);
    return 0;
}
