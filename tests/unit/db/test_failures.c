/* test_failures.c: failure without loss. A writer killed with SIGKILL in the middle of saving leaves a database
 * that passes PRAGMA integrity_check with every committed run intact (compared field by field with a regenerated
 * copy) and no partial run; two processes writing at once both succeed; a long 'running' run (the workbench) and
 * bench-style saves interleave. */
#include <signal.h>
#include <sqlite3.h>
#include <time.h>

#include "db/db_internal.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Child: saves runs with seeds base, base+1, ... forever (or n of them), each with many samples so that a kill
 * lands inside a transaction most of the time. */
static void writer_child(const char *path, uint64_t base, int n, int n_samples) {
    et_db *db = NULL;
    et_err e = {0};
    if (et_db_open(path, ET_DB_WRITE, &db, &e) != ET_OK) {
        fprintf(stderr, "child open: %s\n", e.msg);
        _exit(3);
    }
    et_result r;
    et_result_init(&r);
    for (int i = 0; n < 0 || i < n; i++) {
        et_fake_result(&r, base + (uint64_t)i, &(et_fake_opts){.n_samples = n_samples, .n_power = 200});
        if (et_db_save_run(db, &r, NULL, &e) != ET_OK) {
            fprintf(stderr, "child save %d: %s\n", i, e.msg);
            _exit(4);
        }
    }
    et_result_free(&r);
    et_db_close(db);
    _exit(0);
}

static int64_t count_rows(const char *path, const char *sql) {
    sqlite3 *s = NULL;
    int64_t n = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(s);
    return n;
}

/* Every stored run must equal the run its uuid's seed regenerates, and no run may lack its stats. */
static void check_all_runs_intact(const char *path, uint64_t base, uint64_t base2, int *n_runs) {
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    ET_CHECK_MSG(et_db_check_integrity(db, &e) == ET_OK, "%s", e.msg);
    et_run_filter f = et_run_filter_any();
    et_run_summary *rows = NULL;
    int n = 0;
    ET_REQUIRE(et_db_list_runs(db, &f, &rows, &n, &e) == ET_OK);
    *n_runs = n;
    et_result got, want;
    et_result_init(&got), et_result_init(&want);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        /* find the seed from the uuid */
        uint64_t seed = 0;
        char u[ET_UUID_LEN + 1];
        for (uint64_t k = 0; k < 100000 && !seed; k++) {
            uint64_t cand = (k & 1 ? base2 : base) + k / 2;
            et_fake_uuid(cand, u);
            if (strcmp(u, rows[i].uuid) == 0)
                seed = cand;
        }
        if (!seed) {
            bad++;
            continue;
        }
        int ns = seed >= base2 ? 500 : 5000;
        et_fake_result(&want, seed, &(et_fake_opts){.n_samples = ns, .n_power = 200});
        char why[64] = "";
        if (et_db_load_run(db, rows[i].id, ET_DB_LOAD_ALL, &got, &e) != ET_OK ||
            !et_fake_results_equal(&want, &got, true, why, sizeof why)) {
            fprintf(stderr, "run %lld differs in %s (%s)\n", (long long)rows[i].id, why, e.msg);
            bad++;
        }
    }
    ET_CHECK_INT(bad, 0);
    free(rows);
    et_result_free(&got), et_result_free(&want);
    et_db_close(db);
    /* no half runs: every run has its stats row and its latency blob */
    ET_CHECK_INT(count_rows(path, "SELECT count(*) FROM runs WHERE id NOT IN (SELECT run_id FROM run_stats)"), 0);
    ET_CHECK_INT(count_rows(path, "SELECT count(*) FROM runs WHERE id NOT IN (SELECT run_id FROM samples "
                                  "WHERE kind = 'latency_ms')"),
                 0);
}

static void test_sigkill_mid_save(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/kill.db", dir);
    int total_kills = 0;
    for (int round = 0; round < 5; round++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            writer_child(path, 1000000 + (uint64_t)round * 10000, -1, 5000);
        /* let it commit some runs, then kill it at a varying moment */
        sleep_ms(150 + round * 37);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        total_kills += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    }
    ET_CHECK_INT(total_kills, 5);
    int n = 0;
    /* seeds of the 5 rounds: search the first round's range and the others via check's two bases would not cover
     * all; so regenerate per round */
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    ET_CHECK_MSG(et_db_check_integrity(db, &e) == ET_OK, "%s", e.msg);
    et_run_filter f = et_run_filter_any();
    et_run_summary *rows = NULL;
    ET_REQUIRE(et_db_list_runs(db, &f, &rows, &n, &e) == ET_OK);
    fprintf(stderr, "5 writers killed with SIGKILL; %d committed runs survive\n", n);
    ET_CHECK(n > 0);
    et_result got, want;
    et_result_init(&got), et_result_init(&want);
    int bad = 0, per_round[5] = {0};
    for (int i = 0; i < n; i++) {
        uint64_t seed = 0;
        char u[ET_UUID_LEN + 1];
        for (int round = 0; round < 5 && !seed; round++)
            for (uint64_t k = 0; k < 2000 && !seed; k++) {
                et_fake_uuid(1000000 + (uint64_t)round * 10000 + k, u);
                if (strcmp(u, rows[i].uuid) == 0)
                    seed = 1000000 + (uint64_t)round * 10000 + k, per_round[round]++;
            }
        et_fake_result(&want, seed, &(et_fake_opts){.n_samples = 5000, .n_power = 200});
        char why[64] = "";
        if (!seed || et_db_load_run(db, rows[i].id, ET_DB_LOAD_ALL, &got, &e) != ET_OK ||
            !et_fake_results_equal(&want, &got, true, why, sizeof why)) {
            fprintf(stderr, "run %lld (%s) differs in %s: %s\n", (long long)rows[i].id, rows[i].uuid, why, e.msg);
            bad++;
        }
    }
    ET_CHECK_INT(bad, 0);
    /* each round's runs are its first k seeds, without a gap: nothing committed was lost */
    for (int round = 0; round < 5; round++) {
        for (int k = 0; k < per_round[round]; k++) {
            char u[ET_UUID_LEN + 1];
            int64_t id;
            et_fake_uuid(1000000 + (uint64_t)round * 10000 + (uint64_t)k, u);
            ET_CHECK_MSG(et_db_find_run(db, u, &id, &e) == ET_OK, "round %d seed %d missing", round, k);
        }
    }
    free(rows);
    et_result_free(&got), et_result_free(&want);
    et_db_close(db);
    ET_CHECK_INT(count_rows(path, "SELECT count(*) FROM runs WHERE id NOT IN (SELECT run_id FROM run_stats)"), 0);
    ET_CHECK_INT(count_rows(path, "SELECT count(*) FROM runs WHERE status <> 'ok'"), 0);
}

static void test_two_writers_at_once(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/two.db", dir);
    /* both start on a database that does not exist yet: creation races too */
    fflush(NULL);
    pid_t a = fork();
    if (a == 0)
        writer_child(path, 1, 60, 5000);
    pid_t b = fork();
    if (b == 0)
        writer_child(path, 500000, 60, 500);
    int sa, sb;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    ET_CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    ET_CHECK(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    int n = 0;
    check_all_runs_intact(path, 1, 500000, &n);
    ET_CHECK_INT(n, 120);
}

static void test_workbench_and_bench_interleave(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/tui.db", dir);
    et_db *tui = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &tui, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 77, NULL);
    int64_t running = 0;
    ET_CHECK_INT(et_db_begin_run(tui, &r, &running, &e), ET_OK);
    /* a bench process saves while the workbench holds a 'running' run and its connection open */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        writer_child(path, 300, 20, 1000);
    /* the workbench keeps reading and writing meanwhile */
    for (int i = 0; i < 20; i++) {
        int64_t n;
        ET_CHECK_INT(et_db_count_runs(tui, &n, &e), ET_OK);
        ET_CHECK_INT(et_db_set_label(tui, running, i % 2 ? "measuring" : "still measuring", &e), ET_OK);
        sleep_ms(5);
    }
    int st;
    waitpid(pid, &st, 0);
    ET_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    et_fake_result(&r, 77, NULL);
    ET_CHECK_INT(et_db_finish_run(tui, running, &r, &e), ET_OK);
    int64_t n = 0;
    ET_CHECK_INT(et_db_count_runs(tui, &n, &e), ET_OK);
    ET_CHECK_INT(n, 21);
    ET_CHECK_INT(et_db_check_integrity(tui, &e), ET_OK);
    et_result_free(&r);
    et_db_close(tui);
}

static void test_locked_beyond_timeout_is_one_line(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/locked.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    /* another connection holds the write lock; shorten our wait to keep the test fast */
    sqlite3 *other = NULL;
    ET_REQUIRE(sqlite3_open(path, &other) == SQLITE_OK);
    ET_REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(db->sql, 200);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 5, NULL);
    ET_CHECK_INT(et_db_save_run(db, &r, NULL, &e), ET_E_IO);
    ET_CHECK_MSG(strstr(e.msg, "locked") && strstr(e.msg, path) && !strchr(e.msg, '\n'), "%s", e.msg);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    ET_CHECK_INT(et_db_save_run(db, &r, NULL, &e), ET_OK); /* and it works once the lock is gone */
    et_result_free(&r);
    et_db_close(db);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_sigkill_mid_save);
    ET_RUN(test_two_writers_at_once);
    ET_RUN(test_workbench_and_bench_interleave);
    ET_RUN(test_locked_beyond_timeout_is_one_line);
    et_rmtree(dir);
    return et_test_done();
}
