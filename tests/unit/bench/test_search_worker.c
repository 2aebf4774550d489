/* test_search_worker.c: the workbench's search thread (search/search_worker.h) on fmnist_resnet (100 evaluation
 * inputs, one candidate, a two-point uniform grid, a few iterations) with a fresh database, failing in a later phase
 * by the test hook (et_search_worker_options.fail_at = "moves"): the search ends with the error in the snapshot,
 * and the points measured before it are kept: in the snapshot, and stored as runs of one search (as the CLI stores
 * them); the out file is written only when there is a winner. Before session 9 the worker freed such a result
 * unstored. Also the search half evaluated alone (et_session_fidelity_part, what the sensitivity points of a search
 * run): each half's per-input records equal the whole set's at its positions, its counts and quality likewise, and
 * its hash differs from the whole set's (stored sensitivities are keyed by it). */
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/sensitivity.h"
#include "db/db.h"
#include "et_test.h"
#include "search/search_worker.h"
#include "util/clock.h"

static char db_path[256], cfg_path[256];

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
    double end = et_clock_s() + 240.0;
    while (!s.finished && et_clock_s() < end) {
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

static void test_fidelity_half(void) {
    char model[512];
    snprintf(model, sizeof model, "%s/fixtures/models/fmnist_resnet.onnx", et_test_source_dir());
    et_session_options so = {.model_path = model, .eval_limit = 101};
    et_session *s = NULL;
    et_err err = {0};
    ET_REQUIRE(et_session_open(&so, &s, &err) == ET_OK);
    et_knobs k = et_knobs_default();
    k.weight_bits = 2; /* far enough from fp32 that some inputs disagree */
    ET_REQUIRE(et_session_configure(s, &k, &err) == ET_OK);
    et_result all, half[2];
    et_result_init(&all);
    ET_REQUIRE(et_session_fidelity(s, NULL, &all.fidelity, &err) == ET_OK);
    ET_REQUIRE(all.fidelity.n_per_input == 101 && all.fidelity.correct);
    int32_t ref[101];
    for (int i = 0; i < 101; i++)
        ref[i] = (int32_t)(i % 10); /* a stand-in reference for agreement */
    for (int h = 0; h < 2; h++) {
        et_result_init(&half[h]);
        ET_REQUIRE(et_session_fidelity_part(s, h, 2, NULL, &half[h].fidelity, &err) == ET_OK);
        const et_fidelity_info *f = &half[h].fidelity;
        ET_CHECK_INT(f->n_inputs, h == 0 ? 51 : 50);
        ET_CHECK_INT(f->n_per_input, f->n_inputs);
        ET_CHECK_INT(f->n_compared, f->n_inputs);
        ET_CHECK(f->eval_first == h && f->eval_step == 2);
        for (int j = 0; j < f->n_per_input; j++) {
            ET_CHECK_INT(f->top1[j], all.fidelity.top1[h + 2 * j]);
            ET_CHECK_INT(f->correct[j], all.fidelity.correct[h + 2 * j]);
        }
        ET_CHECK(strcmp(f->eval_hash, all.fidelity.eval_hash) != 0);
        ET_CHECK(strstr(f->eval_source, h == 0 ? "the 51 at even positions" : "the 50 at odd positions") != NULL);
        bool acc;
        /* the quality of a half: the same from the whole set's records and from the half's alone */
        ET_CHECK_NEAR(et_sens_quality(&half[h], h, NULL, &acc), et_sens_quality(&all, h, NULL, &acc), 0.0);
        ET_CHECK_NEAR(et_sens_quality(&half[h], -1, NULL, &acc), et_sens_quality(&all, h, NULL, &acc), 0.0);
        ET_CHECK(isnan(et_sens_quality(&half[h], 1 - h, NULL, &acc))); /* the other half was not evaluated */
        /* without labels: agreement with a reference indexed by position in the whole set */
        uint8_t *c = half[h].fidelity.correct, *ca = all.fidelity.correct;
        half[h].fidelity.correct = NULL, all.fidelity.correct = NULL;
        ET_CHECK_NEAR(et_sens_quality(&half[h], h, ref, &acc), et_sens_quality(&all, h, ref, &acc), 0.0);
        half[h].fidelity.correct = c, all.fidelity.correct = ca;
    }
    ET_CHECK(strcmp(half[0].fidelity.eval_hash, half[1].fidelity.eval_hash) != 0);
    ET_CHECK(et_session_fidelity_part(s, 2, 2, NULL, &half[0].fidelity, &err) == ET_E_USAGE);
    et_result_free(&all), et_result_free(&half[0]), et_result_free(&half[1]);
    et_session_free(s);
}

int main(void) {
    ET_RUN(test_fidelity_half);
    snprintf(db_path, sizeof db_path, "/tmp/et_search_worker_test_%d.db", (int)getpid());
    snprintf(cfg_path, sizeof cfg_path, "/tmp/et_search_worker_test_%d.cfg", (int)getpid());
    ET_RUN(test_failed_search_keeps_points);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm %s", db_path, db_path, db_path, cfg_path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", db_path);
    return et_test_done();
}
