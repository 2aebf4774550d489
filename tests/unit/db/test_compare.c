/* test_compare.c: baseline selection (marked, else the newest fp32 run of the same model with the same threads
 * on the same host; never another host), and the numbers of the comparison table: ratios and deltas computed
 * from the stored runs, across models with an explicit baseline, and a run without a baseline. */
#include "db/report.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];
static int64_t id[10];
static et_result res[10];

static void setup(et_db **db) {
    char path[600];
    snprintf(path, sizeof path, "%s/cmp.db", dir);
    et_err e = {0};
    if (et_db_open(path, ET_DB_WRITE, db, &e) != ET_OK) {
        fprintf(stderr, "%s\n", e.msg);
        exit(2);
    }
    const et_fake_opts o[10] = {
        {0},                                                                          /* unused */
        {.threads = 1},                                                               /* 1 resnet fp32 1 thread, pi5 */
        {.threads = 4},                                                               /* 2 resnet fp32 4 threads */
        {.threads = 4, .weight_bits = 8, .act_bits = 8},                              /* 3 */
        {.threads = 4, .weight_bits = 4, .prune = 0.3f},                              /* 4 */
        {.threads = 4, .model = "mobilenet_v3.onnx", .base_ms = 2},                   /* 5 */
        {.threads = 4, .model = "mobilenet_v3.onnx", .base_ms = 2, .weight_bits = 8}, /* 6 */
        {.threads = 4, .host = "orin", .base_ms = 3},                                 /* 7 */
        {.threads = 4, .host = "orin", .base_ms = 3, .weight_bits = 8},               /* 8 */
        {.threads = 4, .model = "yolo.onnx", .weight_bits = 8},                       /* 9: no fp32 run */
    };
    for (int i = 1; i < 10; i++) {

        et_fake_result(&res[i], (uint64_t)i, &o[i]);
        if (et_db_save_run(*db, &res[i], &id[i], &e) != ET_OK)
            fprintf(stderr, "%s\n", e.msg);
    }
}

/* The rule through both of its forms: from a stored run, and from the run's model, host and threads (what the
 * workbench asks before it stores a run). They must name the same baseline, for the same reason. */
static int64_t baseline_of(et_db *db, int i, et_baseline_kind *kind) {
    int64_t b = -1, b2 = -1;
    et_baseline_kind k2 = ET_BASELINE_KIND_COUNT;
    et_err e = {0};
    ET_CHECK_INT(et_db_default_baseline(db, id[i], &b, kind, &e), ET_OK);
    ET_CHECK_INT(et_db_baseline_for(db, &res[i].model, &res[i].host, res[i].knobs.threads, &b2, &k2, &e), ET_OK);
    ET_CHECK_MSG(b2 == b && k2 == *kind, "run %d: %lld (%d) by run, %lld (%d) by model/host/threads", i, (long long)b,
                 (int)*kind, (long long)b2, (int)k2);
    return b;
}

static void test_default_baseline(void) {
    et_db *db;
    setup(&db);
    et_baseline_kind kind;
    et_err e = {0};
    ET_CHECK_INT(baseline_of(db, 3, &kind), id[2]);
    ET_CHECK_INT(kind, ET_BASELINE_NEWEST_FP32);
    ET_CHECK(strstr(et_db_baseline_why(kind), "fp32") != NULL);
    ET_CHECK_INT(baseline_of(db, 8, &kind), id[7]); /* same host only */
    ET_CHECK_INT(baseline_of(db, 6, &kind), id[5]); /* same model only */
    ET_CHECK_INT(baseline_of(db, 1, &kind), id[1]); /* an fp32 run is its own baseline */
    ET_CHECK_INT(baseline_of(db, 4, &kind), id[2]); /* 4 threads: not the 1-thread fp32 run */
    ET_CHECK_INT(baseline_of(db, 9, &kind), 0);
    ET_CHECK_INT(kind, ET_BASELINE_NONE);
    ET_CHECK(strstr(et_db_baseline_why(kind), "--baseline") != NULL);
    /* no run of these threads: none, by either form */
    int64_t b = -1;
    ET_CHECK_INT(et_db_baseline_for(db, &res[3].model, &res[3].host, 2, &b, &kind, &e), ET_OK);
    ET_CHECK(b == 0 && kind == ET_BASELINE_NONE);
    /* an unknown run has none */
    ET_CHECK_INT(et_db_default_baseline(db, 9999, &b, &kind, &e), ET_OK);
    ET_CHECK(b == 0 && kind == ET_BASELINE_NONE);
    /* a marked baseline wins over the rule, for every thread count */
    ET_CHECK_INT(et_db_set_baseline(db, id[1], true, NULL, &e), ET_OK);
    ET_CHECK_INT(baseline_of(db, 3, &kind), id[1]);
    ET_CHECK_INT(kind, ET_BASELINE_MARKED);
    ET_CHECK(strstr(et_db_baseline_why(kind), "marked") != NULL);
    ET_CHECK_INT(et_db_baseline_for(db, &res[3].model, &res[3].host, 2, &b, &kind, &e), ET_OK);
    ET_CHECK(b == id[1] && kind == ET_BASELINE_MARKED);
    ET_CHECK_INT(baseline_of(db, 8, &kind), id[7]); /* the mark is per host */
    ET_CHECK_INT(kind, ET_BASELINE_NEWEST_FP32);
    ET_CHECK_INT(baseline_of(db, 6, &kind), id[5]); /* ... and per model */
    et_db_close(db);
}

/* A newer fp32 run with per-layer overrides is not the pristine model: never the default baseline. */
static void test_overrides_never_baseline(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/cmp.db", dir);
    unlink(path); /* without the earlier test's marked baseline */
    et_db *db;
    setup(&db);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 50, &(et_fake_opts){.threads = 4}); /* like run 2, newer */
    snprintf(r.knobs.layers, sizeof r.knobs.layers, "conv1 bits=4");
    et_err e = {0};
    int64_t rid = 0;
    ET_CHECK_INT(et_db_save_run(db, &r, &rid, &e), ET_OK);
    et_baseline_kind kind;
    ET_CHECK_INT(baseline_of(db, 3, &kind), id[2]);
    int64_t b = -1;
    ET_CHECK_INT(et_db_default_baseline(db, rid, &b, &kind, &e), ET_OK);
    ET_CHECK(b == id[2] && kind == ET_BASELINE_NEWEST_FP32);
    /* and the same run without overrides would be */
    et_fake_result(&r, 51, &(et_fake_opts){.threads = 4});
    ET_CHECK_INT(et_db_save_run(db, &r, &rid, &e), ET_OK);
    ET_CHECK_INT(baseline_of(db, 3, &kind), rid);
    et_result_free(&r);
    et_db_close(db);
}

static double num(const et_table *t, int row, const char *key) {
    return et_table_num_at(t, row, et_table_col_index(t, key));
}

static void test_table_numbers(void) {
    et_db *db;
    setup(&db);
    et_err e = {0};
    et_table *t = NULL;
    int64_t ids[] = {id[3], id[4], id[9]};
    ET_REQUIRE(et_db_compare(db, ids, 3, 0, &t, &e) == ET_OK);
    ET_REQUIRE(et_table_n_rows(t) == 4); /* baseline 2, then 3, 4, 9 */
    ET_CHECK_INT(num(t, 0, "run"), id[2]);
    ET_CHECK_INT(num(t, 0, "baseline"), 1);
    ET_CHECK_INT(num(t, 1, "run"), id[3]);
    ET_CHECK_INT(num(t, 1, "baseline"), 0);
    ET_CHECK_INT(num(t, 1, "vs"), id[2]);
    ET_CHECK_NEAR(num(t, 0, "speedup"), 1.0, 1e-12);
    ET_CHECK_NEAR(num(t, 1, "latency_p50_ms"), res[3].latency.p50_ms, 1e-12);
    ET_CHECK_NEAR(num(t, 1, "speedup"), res[2].latency.p50_ms / res[3].latency.p50_ms, 1e-12);
    ET_CHECK_NEAR(num(t, 2, "speedup"), res[2].latency.p50_ms / res[4].latency.p50_ms, 1e-12);
    ET_CHECK_NEAR(num(t, 2, "size_ratio"),
                  (double)res[2].memory.weights_deploy_bytes / (double)res[4].memory.weights_deploy_bytes, 1e-12);
    ET_CHECK_NEAR(num(t, 2, "size_mib"), res[4].memory.weights_deploy_bytes / 1048576.0, 1e-9);
    ET_CHECK_NEAR(num(t, 2, "peak_memory_mib"), res[4].memory.peak_rss_bytes / 1048576.0, 1e-9);
    ET_CHECK_NEAR(num(t, 2, "energy_per_inf_mj"), res[4].power.energy_per_inf_mj, 1e-12);
    ET_CHECK_NEAR(num(t, 2, "accuracy_pct"), res[4].fidelity.accuracy * 100, 1e-9);
    ET_CHECK_NEAR(num(t, 2, "accuracy_delta_pp"), (res[4].fidelity.accuracy - res[2].fidelity.accuracy) * 100, 1e-9);
    ET_CHECK_NEAR(num(t, 2, "top1_agreement_pct"), res[4].fidelity.outputs[0].top1_agreement * 100, 1e-9);
    /* run 9 has no baseline: absolute values, no ratios, and a note */
    ET_CHECK_INT(num(t, 3, "run"), id[9]);
    ET_CHECK(isnan(num(t, 3, "vs")) && isnan(num(t, 3, "speedup")) && isnan(num(t, 3, "accuracy_delta_pp")));
    ET_CHECK(num(t, 3, "latency_p50_ms") > 0);
    bool noted = false;
    for (int i = 0; i < et_table_n_notes(t); i++)
        noted |= strstr(et_table_note(t, i), "no baseline for run") != NULL;
    ET_CHECK(noted);
    /* human text: direction words */
    char buf[64];
    et_table_cell_human(t, 1, et_table_col_index(t, "speedup"), buf, sizeof buf);
    ET_CHECK_MSG(strstr(buf, "x faster") != NULL, "%s", buf);
    et_table_cell_human(t, 2, et_table_col_index(t, "accuracy_delta_pp"), buf, sizeof buf);
    ET_CHECK_MSG(buf[0] == '-', "%s", buf);
    et_table_cell_human(t, 0, et_table_col_index(t, "speedup"), buf, sizeof buf);
    ET_CHECK_STR(buf, "1.00x");
    et_table_free(t);

    /* across models against an explicit baseline: the report table */
    int64_t cross[] = {id[6]};
    ET_REQUIRE(et_db_compare(db, cross, 1, id[2], &t, &e) == ET_OK);
    ET_REQUIRE(et_table_n_rows(t) == 2);
    ET_CHECK_INT(num(t, 0, "run"), id[2]);
    ET_CHECK_STR(et_table_text_at(t, 1, et_table_col_index(t, "model")), "mobilenet_v3.onnx");
    ET_CHECK_NEAR(num(t, 1, "speedup"), res[2].latency.p50_ms / res[6].latency.p50_ms, 1e-12);
    ET_CHECK(num(t, 1, "speedup") > 1);
    ET_CHECK_NEAR(num(t, 1, "size_ratio"),
                  (double)res[2].memory.weights_deploy_bytes / (double)res[6].memory.weights_deploy_bytes, 1e-12);
    ET_CHECK(strstr(et_table_title(t), "vs baseline run") != NULL);
    et_table_free(t);

    /* a slower run reads "slower" */
    int64_t slow[] = {id[2]};
    ET_REQUIRE(et_db_compare(db, slow, 1, id[3], &t, &e) == ET_OK);
    et_table_cell_human(t, 1, et_table_col_index(t, "speedup"), buf, sizeof buf);
    ET_CHECK_MSG(strstr(buf, "x slower") != NULL, "%s", buf);
    ET_CHECK(num(t, 1, "speedup") < 1);
    et_table_free(t);

    /* an unknown id */
    int64_t bad[] = {9999};
    ET_CHECK_INT(et_db_compare(db, bad, 1, 0, &t, &e), ET_E_INPUT);
    ET_CHECK(t == NULL);
    et_db_close(db);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_default_baseline);
    ET_RUN(test_overrides_never_baseline);
    et_rmtree(dir);
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_table_numbers);
    et_rmtree(dir);
    for (int i = 1; i < 10; i++)
        et_result_free(&res[i]);
    return et_test_done();
}
