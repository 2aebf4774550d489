/* test_import.c: merging databases from other devices: runs are added once by uuid (a second import adds
 * nothing), everything of a run comes along, two devices with the same hostname stay two hosts, and bad files
 * are refused with the database and the file both left as they were. */
#include <sqlite3.h>

#include "db/db_internal.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];

static void make_db(const char *path, uint64_t seed0, int n, const char *host, const char *machine_id) {
    et_db *db = NULL;
    et_err e = {0};
    if (et_db_open(path, ET_DB_WRITE, &db, &e) != ET_OK) {
        fprintf(stderr, "%s\n", e.msg);
        exit(2);
    }
    et_result r;
    et_result_init(&r);
    for (int i = 0; i < n; i++) {
        et_fake_result(&r, seed0 + (uint64_t)i, &(et_fake_opts){.host = host, .weight_bits = i % 2 ? 8 : 32});
        if (i == 1) /* per-layer overrides travel with the run */
            snprintf(r.knobs.layers, sizeof r.knobs.layers, "conv%d bits=4", (int)seed0);
        if (et_db_save_run(db, &r, NULL, &e) != ET_OK)
            fprintf(stderr, "%s\n", e.msg);
    }
    /* what /etc/machine-id would give on that device */
    char q[200];
    snprintf(q, sizeof q, "UPDATE hosts SET machine_id = '%s'", machine_id);
    sqlite3_exec(db->sql, q, NULL, NULL, NULL);
    et_result_free(&r);
    et_db_close(db);
}

static int64_t scalar(et_db *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_merge_idempotent_hosts_apart(void) {
    char mine[600], pi_a[600], pi_b[600];
    snprintf(mine, sizeof mine, "%s/mine.db", dir);
    snprintf(pi_a, sizeof pi_a, "%s/pi-a.db", dir);
    snprintf(pi_b, sizeof pi_b, "%s/pi b's runs.db", dir); /* a space and a quote in the path */
    make_db(mine, 1, 5, "laptop", "m-laptop");
    make_db(pi_a, 100, 7, "raspberrypi", "m-pi-a");
    make_db(pi_b, 200, 4, "raspberrypi", "m-pi-b"); /* same hostname, cpu, board, kernel: another device */
    size_t n0, n1;
    unsigned char *before = et_read_file(pi_a, &n0);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(mine, ET_DB_WRITE, &db, &e) == ET_OK);
    et_import_stats st;
    ET_CHECK_INT(et_db_import(db, pi_a, &st, &e), ET_OK);
    ET_CHECK_INT(st.runs_added, 7);
    ET_CHECK_INT(st.runs_skipped, 0);
    ET_CHECK_INT(st.hosts_added, 1);
    ET_CHECK_INT(st.models_added, 0); /* resnet50 with the same hash is already here */
    ET_CHECK_INT(et_db_import(db, pi_b, &st, &e), ET_OK);
    ET_CHECK_INT(st.runs_added, 4);
    ET_CHECK_INT(st.hosts_added, 1);
    /* again: nothing new */
    ET_CHECK_INT(et_db_import(db, pi_a, &st, &e), ET_OK);
    ET_CHECK_INT(st.runs_added, 0);
    ET_CHECK_INT(st.runs_skipped, 7);
    ET_CHECK_INT(scalar(db, "SELECT count(*) FROM runs"), 16);
    ET_CHECK_INT(scalar(db, "SELECT count(*) FROM hosts WHERE hostname = 'raspberrypi'"), 2);
    ET_CHECK_INT(scalar(db, "SELECT count(DISTINCT host_id) FROM runs"), 3);
    /* every imported run is complete */
    et_result want, got;
    et_result_init(&want), et_result_init(&got);
    for (int i = 0; i < 4; i++) {
        char u[ET_UUID_LEN + 1];
        int64_t id;
        et_fake_uuid(200 + (uint64_t)i, u);
        ET_REQUIRE(et_db_find_run(db, u, &id, &e) == ET_OK);
        ET_CHECK_INT(et_db_load_run(db, id, ET_DB_LOAD_ALL, &got, &e), ET_OK);
        et_fake_result(&want, 200 + (uint64_t)i, &(et_fake_opts){.host = "raspberrypi", .weight_bits = i % 2 ? 8 : 32});
        if (i == 1)
            snprintf(want.knobs.layers, sizeof want.knobs.layers, "conv200 bits=4");
        char why[64] = "";
        ET_CHECK_MSG(et_fake_results_equal(&want, &got, true, why, sizeof why), "differs in %s", why);
    }
    /* the imported hosts keep their machine ids */
    ET_CHECK_INT(scalar(db, "SELECT count(*) FROM hosts WHERE machine_id IN ('m-pi-a', 'm-pi-b')"), 2);
    ET_CHECK_INT(et_db_check_integrity(db, &e), ET_OK);
    /* the source file was not written */
    unsigned char *after = et_read_file(pi_a, &n1);
    ET_CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before), free(after);
    /* importing itself */
    ET_CHECK_INT(et_db_import(db, mine, &st, &e), ET_E_USAGE);
    et_result_free(&want), et_result_free(&got);
    et_db_close(db);
}

static void test_bad_files_refused(void) {
    char mine[600], bad[600], missing[600];
    snprintf(mine, sizeof mine, "%s/mine2.db", dir);
    snprintf(bad, sizeof bad, "%s/bad.db", dir);
    snprintf(missing, sizeof missing, "%s/none.db", dir);
    make_db(mine, 1, 3, "laptop", "x");
    et_write_file(bad, "this is not a database at all, just some text in a file\n", 57);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(mine, ET_DB_WRITE, &db, &e) == ET_OK);
    et_import_stats st;
    ET_CHECK_INT(et_db_import(db, bad, &st, &e), ET_E_INPUT);
    ET_CHECK(strstr(e.msg, bad) != NULL);
    ET_CHECK_INT(et_db_import(db, missing, &st, &e), ET_E_IO);
    ET_CHECK(access(missing, F_OK) != 0); /* not created */
    ET_CHECK_INT(scalar(db, "SELECT count(*) FROM runs"), 3);
    /* a newer database */
    char newer[600];
    snprintf(newer, sizeof newer, "%s/newer.db", dir);
    make_db(newer, 50, 2, "x", "y");
    sqlite3 *s = NULL;
    sqlite3_open(newer, &s);
    char q[64];
    snprintf(q, sizeof q, "PRAGMA user_version=%d", et_db_schema_version() + 1);
    sqlite3_exec(s, q, NULL, NULL, NULL);
    sqlite3_close(s);
    ET_CHECK_INT(et_db_import(db, newer, &st, &e), ET_E_UNSUPPORTED);
    ET_CHECK_INT(scalar(db, "SELECT count(*) FROM runs"), 3);
    et_db_close(db);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_merge_idempotent_hosts_apart);
    ET_RUN(test_bad_files_refused);
    et_rmtree(dir);
    return et_test_done();
}
