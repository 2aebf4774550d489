/* test_run_inputs.c: per-input results (top-1 and correctness) through the i32 sample codec and the run_inputs
 * table: they come back identical with the evaluation set's hash; a run without them loads with none; a damaged
 * blob is an error naming the run, never wrong values. */
#include <sqlite3.h>

#include "db/db_internal.h"
#include "db/samples_codec.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];

static void test_i32_codec_round_trip(void) {
    int32_t v[1000];
    for (int i = 0; i < 1000; i++)
        v[i] = i % 7 == 0 ? -1 : (i * 31) % 10;
    unsigned char *blob = NULL;
    size_t len = 0;
    et_err e = {0};
    ET_REQUIRE(et_samples_encode_i32(v, 1000, &blob, &len, &e) == ET_OK);
    ET_CHECK(len < 1000 * 4); /* small classes compress */
    int32_t *back = NULL;
    int n = 0;
    ET_REQUIRE(et_samples_decode_i32(blob, len, 1000, &back, &n, &e) == ET_OK);
    ET_CHECK(n == 1000 && memcmp(back, v, sizeof v) == 0);
    free(back);
    ET_CHECK(et_samples_decode_i32(blob, len, 999, &back, &n, &e) == ET_E_INPUT);
    double *d = NULL;
    ET_CHECK(et_samples_decode_f64(blob, len, -1, &d, &n, &e) == ET_E_INPUT); /* wrong element type */
    blob[len - 1] ^= 0x55;
    ET_CHECK(et_samples_decode_i32(blob, len, 1000, &back, &n, &e) != ET_OK);
    free(blob);
}

static void test_save_and_load(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/inputs.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 3, NULL);
    enum { N = 500 };
    r.fidelity.n_per_input = N;
    r.fidelity.top1 = malloc(N * sizeof *r.fidelity.top1);
    r.fidelity.correct = malloc(N);
    for (int i = 0; i < N; i++)
        r.fidelity.top1[i] = i % 10, r.fidelity.correct[i] = i % 3 != 0;
    snprintf(r.fidelity.eval_hash, sizeof r.fidelity.eval_hash, "0123456789abcdef");
    int64_t id = 0, id2 = 0;
    ET_REQUIRE(et_db_save_run(db, &r, &id, &e) == ET_OK);
    et_result plain;
    et_result_init(&plain);
    et_fake_result(&plain, 4, NULL);
    ET_REQUIRE(et_db_save_run(db, &plain, &id2, &e) == ET_OK);
    et_result back;
    et_result_init(&back);
    ET_REQUIRE(et_db_load_run(db, id, ET_DB_LOAD_ALL, &back, &e) == ET_OK);
    ET_CHECK(back.fidelity.n_per_input == N && strcmp(back.fidelity.eval_hash, "0123456789abcdef") == 0);
    ET_CHECK(back.fidelity.top1 && memcmp(back.fidelity.top1, r.fidelity.top1, N * sizeof(int32_t)) == 0);
    ET_CHECK(back.fidelity.correct && memcmp(back.fidelity.correct, r.fidelity.correct, N) == 0);
    ET_REQUIRE(et_db_load_run(db, id2, ET_DB_LOAD_ALL, &back, &e) == ET_OK);
    ET_CHECK(back.fidelity.n_per_input == 0 && !back.fidelity.top1 && !back.fidelity.correct);
    ET_REQUIRE(et_db_load_run(db, id, ET_DB_LOAD_NO_SAMPLES, &back, &e) == ET_OK);
    ET_CHECK(back.fidelity.n_per_input == 0);
    /* a damaged correctness blob: the load fails naming the run */
    ET_CHECK_INT(sqlite3_exec(db->sql, "UPDATE run_inputs SET correct = substr(correct, 1, 30)", NULL, NULL, NULL),
                 SQLITE_OK);
    ET_CHECK(et_db_load_run(db, id, ET_DB_LOAD_ALL, &back, &e) == ET_E_INPUT);
    ET_CHECK_MSG(strstr(e.msg, "per-input correctness") != NULL, "%s", e.msg);
    et_result_free(&back);
    et_result_free(&r);
    et_result_free(&plain);
    et_db_close(db);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_i32_codec_round_trip);
    ET_RUN(test_save_and_load);
    et_rmtree(dir);
    return et_test_done();
}
