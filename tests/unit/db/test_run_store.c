/* test_run_store.c: saving and loading runs keeps every field; labels, baseline marks, removal; RUN lookup by id,
 * uuid prefix and "last"; begin/finish and the marking of runs whose writer died; a truncated blob is reported
 * naming the run. */
#include <ctype.h>
#include <signal.h>
#include <sqlite3.h>

#include "db/db_internal.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512], path[600];

static et_db *fresh(void) {
    et_rmtree(dir);
    et_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/sub/dir/runs.db", dir); /* directories are created */
    et_db *db = NULL;
    et_err e = {0};
    et_status s = et_db_open(path, ET_DB_WRITE, &db, &e);
    if (s != ET_OK)
        fprintf(stderr, "open: %s\n", e.msg);
    return db;
}

static void test_roundtrip_every_field(void) {
    et_db *db = fresh();
    ET_REQUIRE(db);
    et_result a, b;
    et_result_init(&a), et_result_init(&b);
    et_fake_opts o = {.weight_bits = 4, .prune = 0.3f, .threads = 4, .n_samples = 1000, .n_power = 50};
    et_fake_result(&a, 42, &o);
    snprintf(a.label, sizeof a.label, "pi5 test \"quoted\", with, commas");
    a.knobs.prune_method = ET_PRUNE_NM, a.knobs.nm_n = 1, a.knobs.nm_m = 4, a.knobs.quantize_all = true;
    a.knobs.clip = ET_CLIP_PERCENTILE, a.knobs.force_int8 = true;
    a.knobs.recover = ET_RECOVER_FULL, a.knobs.calib_method = ET_CALIB_MSE;                          /* schema v2 */
    snprintf(a.knobs.layers, sizeof a.knobs.layers, "conv1 bits=4 prune=0.5\n/block2/* act-bits=8"); /* v6 */
    a.fidelity.outputs[0].sqnr_db = INFINITY;
    a.fidelity.outputs[0].top5_agreement = NAN;
    et_err e = {0};
    int64_t id = 0;
    ET_CHECK_INT(et_db_save_run(db, &a, &id, &e), ET_OK);
    ET_CHECK(id > 0);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    char why[64] = "";
    ET_CHECK_MSG(et_fake_results_equal(&a, &b, true, why, sizeof why), "differs in %s", why);
    ET_CHECK(isinf(b.fidelity.outputs[0].sqnr_db));
    /* without samples */
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_NO_SAMPLES, &b, &e), ET_OK);
    ET_CHECK_INT(b.n_samples, 0);
    ET_CHECK(b.samples_ms == NULL);
    ET_CHECK(et_fake_results_equal(&a, &b, false, why, sizeof why));
    /* meta */
    et_db_run_meta m;
    ET_CHECK_INT(et_db_run_meta_get(db, id, &m, &e), ET_OK);
    ET_CHECK(m.latency.present && m.power.present);
    ET_CHECK_INT(m.latency.count, 1000);
    ET_CHECK_INT(m.latency.raw_bytes, 8000);
    ET_CHECK(m.latency.stored_bytes > 24 && m.latency.stored_bytes < 8000);
    ET_CHECK_STR(m.latency.codec, "lz4-planes");
    ET_CHECK_INT(m.power.count, 50);
    ET_CHECK_STR(m.model_path, a.model.path);
    /* the same uuid twice is refused */
    ET_CHECK_INT(et_db_save_run(db, &a, NULL, &e), ET_E_INPUT);
    ET_CHECK(strstr(e.msg, a.uuid) != NULL);
    int64_t n = 0;
    ET_CHECK_INT(et_db_count_runs(db, &n, &e), ET_OK);
    ET_CHECK_INT(n, 1);
    ET_CHECK_INT(et_db_check_integrity(db, &e), ET_OK);
    et_result_free(&a), et_result_free(&b);
    et_db_close(db);
}

static void test_unmeasured_sections_stay_unmeasured(void) {
    et_db *db = fresh();
    ET_REQUIRE(db);
    et_result a, b;
    et_result_init(&a), et_result_init(&b);
    snprintf(a.uuid, sizeof a.uuid, "00000000-0000-4000-8000-000000000001");
    snprintf(a.model.name, sizeof a.model.name, "m.onnx");
    a.status = ET_RUN_ABORTED;
    et_err e = {0};
    int64_t id = 0;
    ET_CHECK_INT(et_db_save_run(db, &a, &id, &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    char why[64] = "";
    ET_CHECK_MSG(et_fake_results_equal(&a, &b, true, why, sizeof why), "differs in %s", why);
    ET_CHECK_INT(b.memory.status, ET_AVAIL_NOT_RUN);
    ET_CHECK_STR(b.memory.why, "not measured");
    ET_CHECK_INT(b.status, ET_RUN_ABORTED);
    ET_CHECK(b.fidelity.accuracy < 0);
    /* an empty uuid gets a fresh one */
    a.uuid[0] = '\0';
    int64_t id2 = 0;
    ET_CHECK_INT(et_db_save_run(db, &a, &id2, &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, id2, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    ET_CHECK_INT(strlen(b.uuid), 36);
    et_result_free(&a), et_result_free(&b);
    et_db_close(db);
}

static void test_find_label_baseline_delete(void) {
    et_db *db = fresh();
    ET_REQUIRE(db);
    et_result a;
    et_result_init(&a);
    int64_t ids[6];
    et_err e = {0};
    for (int i = 0; i < 6; i++) {
        et_fake_opts o = {.weight_bits = i % 2 ? 8 : 32, .host = i < 4 ? "pi5" : "jetson"};
        et_fake_result(&a, (uint64_t)i + 1, &o);
        ET_CHECK_INT(et_db_save_run(db, &a, &ids[i], &e), ET_OK);
    }
    int64_t id = 0;
    char ref[40];
    snprintf(ref, sizeof ref, "%lld", (long long)ids[2]);
    ET_CHECK_INT(et_db_find_run(db, ref, &id, &e), ET_OK);
    ET_CHECK_INT(id, ids[2]);
    ET_CHECK_INT(et_db_find_run(db, "last", &id, &e), ET_OK);
    ET_CHECK_INT(id, ids[5]); /* newest started */
    char uuid[40];
    et_fake_uuid(4, uuid);
    uuid[8] = '\0';
    ET_CHECK_INT(et_db_find_run(db, uuid, &id, &e), ET_OK);
    ET_CHECK_INT(id, ids[3]);
    for (char *p = uuid; *p; p++) /* upper case works too */
        *p = (char)toupper((unsigned char)*p);
    ET_CHECK_INT(et_db_find_run(db, uuid, &id, &e), ET_OK);
    ET_CHECK_INT(id, ids[3]);
    ET_CHECK_INT(et_db_find_run(db, "999", &id, &e), ET_E_INPUT);
    ET_CHECK(strstr(e.msg, "no run") != NULL);
    ET_CHECK_INT(et_db_find_run(db, "zz", &id, &e), ET_E_INPUT);
    ET_CHECK_INT(et_db_find_run(db, "xyzw", &id, &e), ET_E_INPUT);
    ET_CHECK_INT(et_db_find_run(db, "", &id, &e), ET_E_USAGE);
    /* an ambiguous prefix: save two runs whose uuids share 8 characters */
    et_fake_result(&a, 100, NULL);
    memcpy(a.uuid, "abcdef01-0000-4000-8000-000000000001", 37);
    ET_CHECK_INT(et_db_save_run(db, &a, NULL, &e), ET_OK);
    memcpy(a.uuid, "abcdef01-0000-4000-8000-000000000002", 37);
    ET_CHECK_INT(et_db_save_run(db, &a, NULL, &e), ET_OK);
    ET_CHECK_INT(et_db_find_run(db, "abcdef01", &id, &e), ET_E_INPUT);
    ET_CHECK(strstr(e.msg, "ambiguous") != NULL);
    ET_CHECK_INT(et_db_find_run(db, "abcdef01-0000-4000-8000-000000000002", &id, &e), ET_OK);

    /* label */
    et_result b;
    et_result_init(&b);
    ET_CHECK_INT(et_db_set_label(db, ids[1], "int8 try", &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, ids[1], ET_DB_LOAD_NO_SAMPLES, &b, &e), ET_OK);
    ET_CHECK_STR(b.label, "int8 try");
    ET_CHECK_INT(et_db_set_label(db, 12345, "x", &e), ET_E_INPUT);
    /* baseline: one mark per model and host */
    int64_t prev = -1;
    ET_CHECK_INT(et_db_set_baseline(db, ids[0], true, &prev, &e), ET_OK);
    ET_CHECK_INT(prev, 0);
    ET_CHECK_INT(et_db_set_baseline(db, ids[2], true, &prev, &e), ET_OK);
    ET_CHECK_INT(prev, ids[0]);
    ET_CHECK_INT(et_db_set_baseline(db, ids[4], true, &prev, &e), ET_OK); /* another host: independent */
    ET_CHECK_INT(prev, 0);
    et_run_filter f = et_run_filter_any();
    f.baselines_only = true;
    et_run_summary *rows = NULL;
    int n = 0;
    ET_CHECK_INT(et_db_list_runs(db, &f, &rows, &n, &e), ET_OK);
    ET_CHECK_INT(n, 2);
    if (n == 2)
        ET_CHECK(rows[0].id == ids[4] && rows[1].id == ids[2]);
    free(rows);
    ET_CHECK_INT(et_db_set_baseline(db, ids[2], false, NULL, &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, ids[2], ET_DB_LOAD_NO_SAMPLES, &b, &e), ET_OK);
    ET_CHECK(!b.is_baseline);
    /* delete removes the children too */
    ET_CHECK_INT(et_db_delete_run(db, ids[3], &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, ids[3], ET_DB_LOAD_ALL, &b, &e), ET_E_INPUT);
    ET_CHECK_INT(et_db_delete_run(db, ids[3], &e), ET_E_INPUT);
    sqlite3 *raw = NULL;
    ET_REQUIRE(sqlite3_open(path, &raw) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    char q[256];
    snprintf(q, sizeof q,
             "SELECT (SELECT count(*) FROM run_stats WHERE run_id=%1$lld)+(SELECT count(*) FROM samples WHERE "
             "run_id=%1$lld)+(SELECT count(*) FROM counters WHERE run_id=%1$lld)+(SELECT count(*) FROM layers WHERE "
             "run_id=%1$lld)",
             (long long)ids[3]);
    ET_REQUIRE(sqlite3_prepare_v2(raw, q, -1, &st, NULL) == SQLITE_OK);
    ET_CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    et_result_free(&a), et_result_free(&b);
    et_db_close(db);
}

static void test_list_filters(void) {
    et_db *db = fresh();
    ET_REQUIRE(db);
    et_result a;
    et_result_init(&a);
    et_err e = {0};
    for (int i = 0; i < 40; i++) {
        et_fake_opts o = {.model = i % 2 ? "mobilenet_v3.onnx" : "resnet50.onnx",
                          .host = i % 3 ? "pi5" : "orin",
                          .weight_bits = i % 4 == 0 ? 32 : 8,
                          .prune = i % 5 == 0 ? 0.3f : 0.0f,
                          .threads = 1 + i % 2,
                          .started_unix_ms = 1700000000000ll + (i * 7919 % 40) * 1000};
        et_fake_result(&a, (uint64_t)i + 1, &o);
        if (i == 7)
            snprintf(a.label, sizeof a.label, "the good one");
        ET_CHECK_INT(et_db_save_run(db, &a, NULL, &e), ET_OK);
    }
    et_run_filter f = et_run_filter_any();
    et_run_summary *rows = NULL;
    int n = 0;
    ET_CHECK_INT(et_db_list_runs(db, &f, &rows, &n, &e), ET_OK);
    ET_CHECK_INT(n, 40);
    for (int i = 1; i < n; i++)
        ET_CHECK(rows[i - 1].started_unix_ms >= rows[i].started_unix_ms);
    free(rows);
    f.limit = 5;
    ET_CHECK_INT(et_db_list_runs(db, &f, &rows, &n, &e), ET_OK);
    ET_CHECK_INT(n, 5);
    free(rows);
    f = et_run_filter_any();
    f.model = "mobilenet";
    f.host = "pi5";
    ET_CHECK_INT(et_db_list_runs(db, &f, &rows, &n, &e), ET_OK);
    int expect = 0;
    for (int i = 0; i < 40; i++)
        expect += i % 2 && i % 3;
    ET_CHECK_INT(n, expect);
    for (int i = 0; i < n; i++)
        ET_CHECK(strcmp(rows[i].model, "mobilenet_v3.onnx") == 0 && strcmp(rows[i].hostname, "pi5") == 0);
    free(rows);
    f = et_run_filter_any();
    f.weight_bits = 32;
    f.prune_ratio = 0.3;
    ET_CHECK_INT(et_db_list_runs(db, &f, &rows, &n, &e), ET_OK);
    ET_CHECK_INT(n, 2); /* i = 0, 20 */
    for (int i = 0; i < n; i++)
        ET_CHECK(rows[i].knobs.weight_bits == 32 && fabs(rows[i].knobs.prune_ratio - 0.3) < 1e-6);
    free(rows);
    f = et_run_filter_any();
    f.label = "good";
    f.threads = 2;
    ET_CHECK_INT(et_db_list_runs(db, &f, &rows, &n, &e), ET_OK);
    ET_CHECK_INT(n, 1);
    if (n == 1) {
        ET_CHECK_STR(rows[0].label, "the good one");
        ET_CHECK(rows[0].p50_ms > 0 && rows[0].peak_rss_bytes > 0 && rows[0].energy_per_inf_mj > 0);
    }
    free(rows);
    /* a sha256 prefix selects the model too */
    et_fake_result(&a, 1, &(et_fake_opts){.model = "mobilenet_v3.onnx"});
    char sha[20];
    snprintf(sha, sizeof sha, "%.12s", a.model.sha256);
    f = et_run_filter_any();
    f.model = sha;
    ET_CHECK_INT(et_db_list_runs(db, &f, &rows, &n, &e), ET_OK);
    ET_CHECK_INT(n, 20);
    free(rows);
    et_result_free(&a);
    et_db_close(db);
}

static void test_begin_finish_and_dead_writer(void) {
    et_db *db = fresh();
    ET_REQUIRE(db);
    et_result a, b;
    et_result_init(&a), et_result_init(&b);
    et_err e = {0};
    et_fake_result(&a, 7, NULL);
    int64_t id = 0;
    ET_CHECK_INT(et_db_begin_run(db, &a, &id, &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    ET_CHECK_INT(b.status, ET_RUN_RUNNING);
    ET_CHECK_INT(b.memory.status, ET_AVAIL_NOT_RUN); /* nothing but the row yet */
    /* reopening while we live does not abort it */
    et_db *db2 = NULL;
    ET_CHECK_INT(et_db_open(path, ET_DB_WRITE, &db2, &e), ET_OK);
    et_db_close(db2);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    ET_CHECK_INT(b.status, ET_RUN_RUNNING);
    ET_CHECK_INT(et_db_finish_run(db, id, &a, &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    char why[64] = "";
    ET_CHECK_MSG(et_fake_results_equal(&a, &b, true, why, sizeof why), "differs in %s", why);
    ET_CHECK_INT(et_db_finish_run(db, id, &a, &e), ET_E_INPUT); /* finished already */
    /* a sweep that wrongly judged a live writer dead does not lose its result */
    et_fake_result(&a, 70, NULL);
    ET_CHECK_INT(et_db_begin_run(db, &a, &id, &e), ET_OK);
    ET_CHECK_INT(et_db_exec(db, "UPDATE runs SET status = 'aborted' WHERE status = 'running'", "test", &e), ET_OK);
    ET_CHECK_INT(et_db_finish_run(db, id, &a, &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    ET_CHECK_INT(b.status, ET_RUN_OK);
    ET_CHECK_INT(b.n_samples, a.n_samples);
    et_db_close(db);

    /* a child begins a run and dies: the next open marks it aborted */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        et_db *c = NULL;
        et_result r;
        et_result_init(&r);
        et_fake_result(&r, 8, NULL);
        int64_t cid;
        if (et_db_open(path, ET_DB_WRITE, &c, NULL) != ET_OK || et_db_begin_run(c, &r, &cid, NULL) != ET_OK)
            _exit(1);
        kill(getpid(), SIGKILL);
    }
    int st;
    waitpid(pid, &st, 0);
    ET_CHECK(WIFSIGNALED(st));
    db = NULL;
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_fake_uuid(8, why);
    ET_CHECK_INT(et_db_find_run(db, why, &id, &e), ET_OK);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_OK);
    ET_CHECK_INT(b.status, ET_RUN_ABORTED);
    ET_CHECK_INT(et_db_check_integrity(db, &e), ET_OK);
    et_result_free(&a), et_result_free(&b);
    et_db_close(db);
}

static void test_truncated_blob_names_the_run(void) {
    et_db *db = fresh();
    ET_REQUIRE(db);
    et_result a, b;
    et_result_init(&a), et_result_init(&b);
    et_err e = {0};
    et_fake_result(&a, 9, &(et_fake_opts){.n_samples = 5000});
    int64_t id = 0;
    ET_CHECK_INT(et_db_save_run(db, &a, &id, &e), ET_OK);
    et_db_close(db);
    sqlite3 *raw = NULL;
    ET_REQUIRE(sqlite3_open(path, &raw) == SQLITE_OK);
    ET_CHECK(sqlite3_exec(raw, "UPDATE samples SET data = substr(data, 1, length(data) - 10) WHERE kind = 'latency_ms'",
                          NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(raw);
    ET_REQUIRE(et_db_open(path, ET_DB_READ, &db, &e) == ET_OK);
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &b, &e), ET_E_INPUT);
    ET_CHECK_MSG(strstr(e.msg, a.uuid) && strstr(e.msg, "truncated") && strstr(e.msg, "latency samples"), "%s", e.msg);
    ET_CHECK(strchr(e.msg, '\n') == NULL);
    ET_CHECK_INT(b.n_samples, 0);
    /* everything else still loads */
    ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_NO_SAMPLES, &b, &e), ET_OK);
    ET_CHECK_NEAR(b.latency.p50_ms, a.latency.p50_ms, 0);
    et_result_free(&a), et_result_free(&b);
    et_db_close(db);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_roundtrip_every_field);
    ET_RUN(test_unmeasured_sections_stay_unmeasured);
    ET_RUN(test_find_label_baseline_delete);
    ET_RUN(test_list_filters);
    ET_RUN(test_begin_finish_and_dead_writer);
    ET_RUN(test_truncated_blob_names_the_run);
    et_rmtree(dir);
    return et_test_done();
}
