/* test_worker.c: the workbench's measurement thread on the real demo model with a fresh database:
 * the fp32 baseline first, every completed measurement stored, knob changes cancel and restart at once (the
 * superseded measurement is not stored), knobs that cannot run are reported with the reason, `b` marks the
 * baseline in the database, stopping stores the measurement in flight as aborted; on the workbench's demo
 * (fmnist_demo), accuracy before latency after a knob change. Also the chunk accumulation. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench/worker.h"
#include "db/db.h"
#include "et_test.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char db_path[256];

static et_worker_options fast_options(int wake_fd) {
    et_worker_options o = et_worker_options_default();
    o.db_path = db_path;
    o.chunk_seconds = 0.05;
    o.min_seconds = 0.15;
    o.max_seconds = 0.4;
    o.warmup = 1;
    o.profilers = false; /* counters and power are the profilers' tests; this one is about the thread */
    o.wake_fd = wake_fd;
    return o;
}

static et_session *open_model(const char *name) {
    char model[512];
    snprintf(model, sizeof model, "%s/fixtures/models/%s", et_test_source_dir(), name);
    et_session_options so = {.model_path = model, .profile_layers = true};
    et_session *s = NULL;
    et_err err = {0};
    if (et_session_open(&so, &s, &err) != ET_OK)
        fprintf(stderr, "%s\n", err.msg);
    return s;
}

/* Waits (on the wake pipe, as the UI does) until pred holds for the snapshot; false after timeout_s. */
static bool wait_for(et_worker *w, int wake_rd, et_worker_snapshot *snap, bool (*pred)(const et_worker_snapshot *),
                     double timeout_s) {
    double end = now_s() + timeout_s;
    for (;;) {
        et_worker_snapshot_get(w, snap);
        if (pred(snap))
            return true;
        double left = end - now_s();
        if (left <= 0)
            return false;
        struct pollfd p = {wake_rd, POLLIN, 0};
        poll(&p, 1, (int)(left * 1000) + 1);
        char buf[64];
        while (read(wake_rd, buf, sizeof buf) > 0) {
        }
    }
}

static et_knobs wanted; /* the knobs the predicates wait for */
static bool settled_or_failed(const et_worker_snapshot *s) {
    return (s->state == ET_WORKER_SETTLED || s->state == ET_WORKER_FAILED) &&
           memcmp(&s->knobs, &wanted, sizeof wanted) == 0;
}
static bool settled_with_baseline(const et_worker_snapshot *s) {
    return s->state == ET_WORKER_SETTLED && s->have_baseline;
}
static bool measuring(const et_worker_snapshot *s) {
    return s->state == ET_WORKER_MEASURING && s->current.iters > 0 && memcmp(&s->knobs, &wanted, sizeof wanted) == 0;
}

static int count_runs(const char *status) {
    et_db *db = NULL;
    et_err err = {0};
    if (et_db_open(db_path, ET_DB_READ, &db, &err) != ET_OK)
        return -1;
    et_run_summary *runs = NULL;
    int n = 0, k = 0;
    et_run_filter f = et_run_filter_any();
    if (et_db_list_runs(db, &f, &runs, &n, &err) == ET_OK)
        for (int i = 0; i < n; i++)
            k += status == NULL || strcmp(et_run_status_name(runs[i].status), status) == 0;
    free(runs);
    et_db_close(db);
    return k;
}

static void test_worker_end_to_end(void) {
    int pipefd[2];
    ET_REQUIRE(pipe2(pipefd, O_NONBLOCK) == 0);
    et_session *s = open_model("demo.onnx");
    ET_REQUIRE(s != NULL);
    et_worker_options o = fast_options(pipefd[1]);
    et_knobs k = et_knobs_default();
    et_worker *w = NULL;
    et_err err = {0};
    ET_REQUIRE(et_worker_start(s, &k, &o, &w, &err) == ET_OK);
    et_worker_snapshot snap;
    et_worker_snapshot_init(&snap);

    /* 1. fp32 measured, stored, and it is its own baseline */
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, settled_with_baseline, 60));
    ET_CHECK_STR(snap.db_error, "");
    ET_CHECK(snap.current_run_id > 0);
    ET_CHECK_INT(snap.baseline_run_id, snap.current_run_id);
    ET_CHECK(snap.current.iters > 0 && snap.current.latency.p50_ms > 0);
    ET_CHECK(snap.current.n_layers > 0);                     /* the layer profile for the layers view */
    ET_CHECK_INT(snap.current.fidelity.status, ET_AVAIL_OK); /* fidelity after the timed chunks */
    ET_CHECK_STR(snap.model.name, "demo.onnx");
    ET_CHECK_INT(count_runs("ok"), 1);
    int64_t first = snap.current_run_id;

    /* 2. 8-bit weights: measured against the stored fp32 baseline, or reported n/a with the reason */
    k.weight_bits = 8;
    et_worker_set_knobs(w, &k);
    wanted = k;
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, settled_or_failed, 60));
    ET_CHECK_INT(snap.knobs.weight_bits, 8);
    if (snap.state == ET_WORKER_FAILED) {
        ET_CHECK(snap.error[0] != '\0');
        ET_CHECK(!snap.have_current);
        ET_CHECK_INT(count_runs(NULL), 1); /* nothing stored for knobs that did not run */
    } else {
        ET_CHECK(snap.current_run_id > first);
        ET_CHECK_INT(count_runs("ok"), 2);
    }
    ET_CHECK_INT(snap.baseline_run_id, first); /* the fp32 baseline stays */

    /* 3. a knob change in the middle of a measurement cancels it; only the new one is stored */
    int before = count_runs(NULL);
    k = et_knobs_default();
    k.threads = 2;
    et_worker_set_knobs(w, &k);
    wanted = k;
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, measuring, 60));
    double t0 = now_s();
    k.threads = 1;
    et_worker_set_knobs(w, &k);
    wanted = k;
    ET_CHECK_INT(snap.state, ET_WORKER_MEASURING);
    et_worker_snapshot_get(w, &snap); /* acknowledged at once, before the thread has even looked */
    ET_CHECK_INT(snap.state, ET_WORKER_PREPARING);
    ET_CHECK_INT(snap.knobs.threads, 1);
    ET_CHECK(!snap.have_current);
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, settled_or_failed, 60));
    ET_CHECK_INT(snap.state, ET_WORKER_SETTLED);
    ET_CHECK_INT(snap.knobs.threads, 1);
    ET_CHECK(now_s() - t0 < 30);
    ET_CHECK_INT(count_runs(NULL), before + 1); /* the 2-thread run was superseded, not stored */
    ET_CHECK_INT(count_runs("running"), 0);

    /* 4. b marks the current run as the baseline in the database */
    int64_t current = snap.current_run_id;
    et_worker_mark_baseline(w);
    double end = now_s() + 20;
    while (now_s() < end) {
        et_worker_snapshot_get(w, &snap);
        /* the worker publishes the baseline, then the message, in two steps: wait for both (a poll between them
           failed this check once under ASan) */
        if (snap.baseline_run_id == current && strstr(snap.baseline_why, "marked") && strstr(snap.message, "baseline"))
            break;
        usleep(10000);
    }
    ET_CHECK_INT(snap.baseline_run_id, current);
    ET_CHECK(strstr(snap.message, "baseline") != NULL);
    et_db *db = NULL;
    ET_REQUIRE(et_db_open(db_path, ET_DB_READ, &db, &err) == ET_OK);
    et_run_filter f = et_run_filter_any();
    f.baselines_only = true;
    et_run_summary *runs = NULL;
    int n = 0;
    ET_REQUIRE(et_db_list_runs(db, &f, &runs, &n, &err) == ET_OK);
    ET_CHECK(n == 1 && runs[0].id == current);
    free(runs);
    et_db_close(db);

    /* 5. stopping while measuring stores the part measured as aborted */
    et_worker_remeasure(w);
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, measuring, 60));
    int aborted_before = count_runs("aborted");
    et_worker_stop(w);
    ET_CHECK_INT(count_runs("aborted"), aborted_before + 1);
    ET_CHECK_INT(count_runs("running"), 0);
    et_worker_snapshot_free(&snap);
    close(pipefd[0]);
    close(pipefd[1]);
}

static void fill_chunk(et_result *r, int n, double ms, double cycles_per_inf, double layer_ms) {
    et_result_init(r);
    r->iters = r->n_samples = n;
    r->samples_ms = malloc((size_t)n * sizeof *r->samples_ms);
    for (int i = 0; i < n; i++)
        r->samples_ms[i] = ms;
    et_latency_stats_compute(r->samples_ms, n, &r->latency);
    r->n_counters = 1;
    r->counters = calloc(1, sizeof *r->counters);
    snprintf(r->counters[0].name, sizeof r->counters[0].name, "perf::CYCLES");
    r->counters[0].status = ET_AVAIL_OK;
    r->counters[0].value = cycles_per_inf * n;
    r->counters[0].value_per_inf = cycles_per_inf;
    r->counters[0].running_ns = r->counters[0].enabled_ns = 1000;
    r->power.status = ET_AVAIL_OK;
    r->power.energy_j = 0.001 * n;
    r->power.energy_per_inf_mj = 1.0;
    r->memory.status = ET_AVAIL_OK;
    r->memory.peak_rss_bytes = (int64_t)(ms * 1000);
    r->n_layers = 1;
    r->layers = calloc(1, sizeof *r->layers);
    snprintf(r->layers[0].name, sizeof r->layers[0].name, "conv");
    r->layers[0].time_ms = layer_ms;
}

static bool has_fidelity(const et_worker_snapshot *s) {
    return (s->current.fidelity.status == ET_AVAIL_OK || s->state == ET_WORKER_SETTLED) &&
           memcmp(&s->knobs, &wanted, sizeof wanted) == 0;
}

/* The workbench's demo (fmnist_demo, 500 labelled images): after the baseline, a knob change shows its accuracy
 * before any latency (worker.h, step 3), and pruning 25 % costs accuracy. The first chunk takes a second, so the
 * snapshot in between cannot be missed. */
static void test_fidelity_first(void) {
    int pipefd[2];
    ET_REQUIRE(pipe2(pipefd, O_NONBLOCK) == 0);
    et_session *s = open_model("fmnist_demo.onnx");
    ET_REQUIRE(s != NULL);
    et_worker_options o = fast_options(pipefd[1]);
    o.save = false;
    o.chunk_seconds = o.min_seconds = o.max_seconds = 1.0;
    /* the limit is compared with a pass estimated at this build's speed: about 0.4 s in Release, seconds under
     * ASan; the order is what is tested here, so the limit is lifted */
    o.fidelity_first_s = 1e6;
    et_knobs k = et_knobs_default();
    et_worker *w = NULL;
    et_err err = {0};
    ET_REQUIRE(et_worker_start(s, &k, &o, &w, &err) == ET_OK);
    et_worker_snapshot snap;
    et_worker_snapshot_init(&snap);
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, settled_with_baseline, 60));
    /* no baseline before it: the baseline's own run checks fidelity after timing, as every run did before */
    ET_CHECK_INT(snap.current.fidelity.status, ET_AVAIL_OK);
    ET_CHECK(snap.current.fidelity.accuracy > 0.5); /* 88.0 % of 500 (fixtures/README.md) */
    k.prune_ratio = 0.25f;
    et_worker_set_knobs(w, &k);
    wanted = k;
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, has_fidelity, 60));
    ET_CHECK_INT(snap.current.fidelity.status, ET_AVAIL_OK);
    ET_CHECK_INT(snap.current.iters, 0); /* no latency sample yet */
    ET_CHECK(snap.state == ET_WORKER_MEASURING || snap.state == ET_WORKER_FIDELITY);
    ET_CHECK_INT(snap.current.fidelity.n_inputs, 500);
    ET_CHECK(snap.current.fidelity.accuracy < snap.current.fidelity.baseline_accuracy); /* 83.2 against 88.0 % */
    wanted = k;
    ET_REQUIRE(wait_for(w, pipefd[0], &snap, settled_or_failed, 60));
    ET_CHECK_INT(snap.state, ET_WORKER_SETTLED);
    ET_CHECK(snap.current.iters > 0);
    ET_CHECK(snap.current.fidelity.accuracy < snap.current.fidelity.baseline_accuracy); /* kept through timing */
    et_worker_snapshot_free(&snap);
    et_worker_stop(w);
    close(pipefd[0]);
    close(pipefd[1]);
}

static void test_accumulate(void) {
    et_result acc, a, b;
    et_result_init(&acc);
    fill_chunk(&a, 10, 1.0, 100, 0.5);
    fill_chunk(&b, 30, 2.0, 200, 1.5);
    ET_REQUIRE(et_worker_accumulate(&acc, &a));
    ET_REQUIRE(et_worker_accumulate(&acc, &b));
    ET_CHECK_INT(acc.iters, 40);
    ET_CHECK_INT(acc.n_samples, 40);
    ET_CHECK_NEAR(acc.latency.mean_ms, (10 * 1.0 + 30 * 2.0) / 40, 1e-12);
    ET_CHECK_NEAR(acc.counters[0].value, 10 * 100 + 30 * 200, 1e-9);
    ET_CHECK_NEAR(acc.counters[0].value_per_inf, (10 * 100 + 30 * 200) / 40.0, 1e-9);
    ET_CHECK_NEAR(acc.power.energy_j, 0.04, 1e-12);
    ET_CHECK_NEAR(acc.power.energy_per_inf_mj, 1.0, 1e-9);
    ET_CHECK_INT(acc.memory.peak_rss_bytes, 2000); /* the larger peak */
    ET_CHECK_NEAR(acc.layers[0].time_ms, (0.5 * 10 + 1.5 * 30) / 40, 1e-12);
    /* an empty chunk (cancelled during warm-up) changes nothing */
    et_result empty;
    et_result_init(&empty);
    ET_CHECK(et_worker_accumulate(&acc, &empty));
    ET_CHECK_INT(acc.iters, 40);
    et_result_free(&a);
    et_result_free(&b);
    et_result_free(&acc);
}

int main(void) {
    snprintf(db_path, sizeof db_path, "/tmp/et_worker_test_%d.db", (int)getpid());
    ET_RUN(test_accumulate);
    ET_RUN(test_worker_end_to_end);
    ET_RUN(test_fidelity_first);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", db_path, db_path, db_path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", db_path);
    return et_test_done();
}
