/* db_bench.c: the run database with a long history. Builds (once, then reuses) a database of
 * 100,000 synthetic runs over 20 models and 5 hosts, then times, each 20 times with a fresh connection as a CLI
 * process would have:
 *   runs --limit 50     open + list the newest 50 + build the table + write it (to /dev/null) + close
 *   compare of 10 runs  open + default baselines + load + build the table + write it + close
 *   save a run          et_db_save_run of a run with 10,000 latency samples (one transaction)
 * and, when the edgetune binary is given, the same two commands as processes. Targets: 50 ms, 50 ms, 10 ms
 * (median); exit 1 when a median misses its target.
 *
 * usage: db_bench DB [EDGETUNE]        (DB is created when missing; delete it to regenerate) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db/report.h"
#include "fake_runs.h"

enum { N_RUNS = 100000, REPS = 20 };

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n, double target, int *failed) {
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    double med = t[n / 2];
    printf("%-40s median %8.3f ms  min %8.3f  max %8.3f  target %5.1f ms  %s\n", what, med, t[0], t[n - 1], target,
           med < target ? "ok" : "MISSED");
    *failed |= med >= target;
}

static const char *const models[] = {"resnet50.onnx",    "mobilenet_v3.onnx", "efficientnet_b0.onnx", "yolov8n.onnx",
                                     "squeezenet.onnx",  "vit_tiny.onnx",     "bert_tiny.onnx",       "unet_small.onnx",
                                     "regnet_y.onnx",    "shufflenet.onnx",   "ghostnet.onnx",        "mnasnet.onnx",
                                     "densenet121.onnx", "inception_v3.onnx", "googlenet.onnx",       "alexnet.onnx",
                                     "vgg16.onnx",       "wide_resnet.onnx",  "convnext_t.onnx",      "deit_tiny.onnx"};
static const char *const hosts[] = {"pi5", "pi4", "orin-nano", "xavier", "laptop"};
static const int bits[] = {32, 16, 8, 6, 4};

static et_fake_opts opts_for(uint64_t i) {
    int b = bits[i % 5];
    return (et_fake_opts){.model = models[(i / 5) % 20],
                          .host = hosts[(i / 100) % 5],
                          .weight_bits = b,
                          .act_bits = b == 8 ? 8 : 32,
                          .prune = (float)((i / 2000) % 4) * 0.1f,
                          .threads = 1 + (int)((i / 500) % 4),
                          .n_samples = 100,
                          .n_power = 20,
                          .started_unix_ms = 1700000000000ll + (int64_t)i * 60000};
}

static int generate(const char *path) {
    et_db *db = NULL;
    et_err e = {0};
    if (et_db_open(path, ET_DB_WRITE, &db, &e) != ET_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 2;
    }
    int64_t have = 0;
    et_db_count_runs(db, &have, &e);
    if (have < N_RUNS)
        printf("generating %d runs into %s (once; delete the file to regenerate)\n", N_RUNS - (int)have, path);
    et_result r;
    et_result_init(&r);
    double t0 = now_ms();
    for (uint64_t i = (uint64_t)have; i < N_RUNS; i++) {
        et_fake_opts o = opts_for(i);
        et_fake_result(&r, i + 1, &o);
        if (et_db_save_run(db, &r, NULL, &e) != ET_OK) {
            fprintf(stderr, "%s\n", e.msg);
            return 2;
        }
        if ((i + 1) % 20000 == 0)
            printf("  %llu runs, %.0f s\n", (unsigned long long)i + 1, (now_ms() - t0) / 1000);
    }
    if (have < N_RUNS)
        printf("generated in %.1f s (%.3f ms per run with 100 samples, one transaction each)\n", (now_ms() - t0) / 1000,
               (now_ms() - t0) / (N_RUNS - (double)have));
    et_result_free(&r);
    et_db_close(db);
    return 0;
}

static double time_runs_limit(const char *path, FILE *sink) {
    double t0 = now_ms();
    et_db *db = NULL;
    et_err e = {0};
    et_run_filter f = et_run_filter_any();
    f.limit = 50;
    et_run_summary *rows = NULL;
    int n = 0;
    if (et_db_open(path, ET_DB_READ, &db, &e) != ET_OK || et_db_list_runs(db, &f, &rows, &n, &e) != ET_OK || n != 50)
        fprintf(stderr, "runs: %s (%d rows)\n", e.msg, n);
    et_table *t = et_db_runs_table(rows, n, NULL);
    et_table_write(t, ET_TABLE_TEXT, sink, &e);
    et_table_free(t);
    free(rows);
    et_db_close(db);
    return now_ms() - t0;
}

static double time_compare(const char *path, const int64_t *ids, FILE *sink) {
    double t0 = now_ms();
    et_db *db = NULL;
    et_err e = {0};
    et_table *t = NULL;
    if (et_db_open(path, ET_DB_READ, &db, &e) != ET_OK || et_db_compare(db, ids, 10, 0, &t, &e) != ET_OK)
        fprintf(stderr, "compare: %s\n", e.msg);
    et_table_write(t, ET_TABLE_TEXT, sink, &e);
    et_table_free(t);
    et_db_close(db);
    return now_ms() - t0;
}

static double time_process(char *const argv[]) {
    fflush(NULL); /* or the child's freopen writes our buffered lines a second time */
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "%s %s failed\n", argv[0], argv[3]);
    return now_ms() - t0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: db_bench DB [EDGETUNE]\n");
        return 2;
    }
    const char *path = argv[1];
    if (generate(path) != 0)
        return 2;
    FILE *sink = fopen("/dev/null", "w");
    int failed = 0;
    double t[REPS];

    for (int i = 0; i < REPS; i++)
        t[i] = time_runs_limit(path, sink);
    report("runs --limit 50 (in process)", t, REPS, 50, &failed);

    /* 10 runs spread over the history: different models and hosts, each with its default baseline */
    int64_t ids[10];
    for (int i = 0; i < 10; i++)
        ids[i] = 1 + (int64_t)i * 9973 + 2; /* bits 8: not fp32, so each needs a baseline lookup */
    for (int i = 0; i < REPS; i++)
        t[i] = time_compare(path, ids, sink);
    report("compare, 10 runs (in process)", t, REPS, 50, &failed);

    et_db *db = NULL;
    et_err e = {0};
    if (et_db_open(path, ET_DB_WRITE, &db, &e) != ET_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 2;
    }
    et_result r;
    et_result_init(&r);
    for (int i = 0; i < REPS; i++) {
        et_fake_opts o = opts_for(7);
        o.n_samples = 10000;
        o.started_unix_ms = 0; /* now-ish: the newest run */
        et_fake_result(&r, 900000000 + (uint64_t)i, &o);
        et_uuid_v4(r.uuid); /* a new run every time the benchmark runs */
        double t0 = now_ms();
        if (et_db_save_run(db, &r, NULL, &e) != ET_OK)
            fprintf(stderr, "save: %s\n", e.msg);
        t[i] = now_ms() - t0;
    }
    report("save a run with 10,000 samples", t, REPS, 10, &failed);
    et_result_free(&r);
    /* (these runs stay: each benchmark run adds 20 to the history) */
    et_db_close(db);

    if (argc >= 3) {
        char *runs_argv[] = {argv[2], "--db", (char *)path, "runs", "--limit", "50", NULL};
        for (int i = 0; i < REPS; i++)
            t[i] = time_process(runs_argv);
        report("edgetune runs --limit 50 (process)", t, REPS, 50, &failed);
        char idtext[10][24];
        char *cmp_argv[16] = {argv[2], "--db", (char *)path, "compare"};
        for (int i = 0; i < 10; i++) {
            snprintf(idtext[i], sizeof idtext[i], "%lld", (long long)ids[i]);
            cmp_argv[4 + i] = idtext[i];
        }
        cmp_argv[14] = NULL;
        for (int i = 0; i < REPS; i++)
            t[i] = time_process(cmp_argv);
        report("edgetune compare (10 runs, process)", t, REPS, 50, &failed);
    }
    fclose(sink);
    return failed;
}
