/* test_search_worker.c: the workbench's search thread (search/search_worker.h) on fmnist_resnet (100 evaluation
 * inputs, one candidate, a two-point uniform grid, a few iterations) with a fresh database, failing in a later phase
 * by the test hook (et_search_worker_options.fail_at = "moves"): the search ends with the error in the snapshot,
 * and the points measured before it are kept: in the snapshot, and stored as runs of one search (as the CLI stores
 * them); the out file is written only when there is a winner. Before session 9 the worker freed such a result
 * unstored. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "et_test.h"
#include "search/search_worker.h"

static char db_path[256], cfg_path[256];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The runs in the database whose label starts with prefix. */
static int count_runs(const char *prefix) {
    et_db *db = NULL;
    et_err err = {0};
    if (et_db_open(db_path, ET_DB_READ, &db, &err) != ET_OK)
        return -1;
    et_run_summary *runs = NULL;
    int n = 0, k = 0;
    et_run_filter f = et_run_filter_any();
    if (et_db_list_runs(db, &f, &runs, &n, &err) == ET_OK)
        for (int i = 0; i < n; i++)
            k += strncmp(runs[i].label, prefix, strlen(prefix)) == 0;
    free(runs);
    et_db_close(db);
    return k;
}

static void test_failed_search_keeps_points(void) {
    int pipefd[2];
    ET_REQUIRE(pipe2(pipefd, O_NONBLOCK) == 0);
    char model[512];
    snprintf(model, sizeof model, "%s/fixtures/models/fmnist_resnet.onnx", et_test_source_dir());
    et_search_worker_options o = et_search_worker_options_default();
    o.model_path = model;
    o.eval_limit = 100;
    o.knobs.weight_bits = 8;
    o.max_drop_pp = 5.0;
    o.objective = ET_SEARCH_SIZE;
    o.candidates = "bits=4";
    o.uniform_bits = "32,8", o.uniform_act_bits = "32", o.uniform_prune = "0", o.uniform_methods = "unstructured";
    o.iters = 3, o.warmup = 1, o.sens_iters = 3, o.rounds = 1, o.n_finalists = 2, o.point_s = 0.0;
    o.db_path = db_path;
    o.out_path = cfg_path;
    o.fail_at = "moves";
    et_search_worker *w = NULL;
    et_err err = {0};
    ET_REQUIRE(et_search_worker_start(&o, pipefd[1], &w, &err) == ET_OK);
    et_search_snapshot s;
    memset(&s, 0, sizeof s);
    double end = now_s() + 240.0;
    while (!s.finished && now_s() < end) {
        et_search_worker_snapshot(w, &s);
        struct pollfd p = {pipefd[0], POLLIN, 0};
        poll(&p, 1, 200);
        char buf[64];
        while (read(pipefd[0], buf, sizeof buf) > 0) {
        }
    }
    et_search_worker_snapshot(w, &s);
    ET_REQUIRE(s.finished);
    ET_CHECK_INT(s.status, ET_E_RUNTIME);
    ET_CHECK_MSG(strstr(s.error, "moves") != NULL, "error: %s", s.error);
    /* the reference, the grid, the base and the finalists were measured before the moves: kept and stored */
    ET_CHECK_MSG(s.n_measured >= 3, "%d points measured", s.n_measured);
    bool finalist = false;
    for (int i = 0; i < s.n_pts; i++)
        finalist |= s.pts[i].kind == ET_SP_FINALIST && s.pts[i].measured;
    ET_CHECK(finalist);
    ET_CHECK_INT(s.n_stored, s.n_measured);
    ET_CHECK(strncmp(s.group, "search ", 7) == 0);
    ET_CHECK_INT(count_runs(s.group), s.n_measured);
    /* the out file only with a winner */
    ET_CHECK_MSG((access(cfg_path, F_OK) == 0) == (s.winner >= 0), "winner %d, note '%s'", s.winner, s.out_note);
    et_search_worker_free(w);
    close(pipefd[0]);
    close(pipefd[1]);
}

int main(void) {
    snprintf(db_path, sizeof db_path, "/tmp/et_search_worker_test_%d.db", (int)getpid());
    snprintf(cfg_path, sizeof cfg_path, "/tmp/et_search_worker_test_%d.cfg", (int)getpid());
    ET_RUN(test_failed_search_keeps_points);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm %s", db_path, db_path, db_path, cfg_path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", db_path);
    return et_test_done();
}
