/* test_db_open.c: path resolution, the pragmas a database gets, schema migrations step by step, and every refusal
 * that must leave a file exactly as it was: garbage bytes, another program's SQLite file, a newer schema, a
 * read-only file or directory (checked as an unprivileged user), a directory in the way. */
#include <sqlite3.h>

#include "db/db_internal.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];

static void test_resolve_path(void) {
    char out[1024];
    et_err e = {0};
    setenv("HOME", "/home/u", 1);
    unsetenv("EDGETUNE_DB");
    unsetenv("XDG_DATA_HOME");
    ET_CHECK_INT(et_db_resolve_path(NULL, out, sizeof out, &e), ET_OK);
    ET_CHECK_STR(out, "/home/u/.local/share/edgetune/runs.db");
    setenv("XDG_DATA_HOME", "relative/ignored", 1);
    ET_CHECK_INT(et_db_resolve_path(NULL, out, sizeof out, &e), ET_OK);
    ET_CHECK_STR(out, "/home/u/.local/share/edgetune/runs.db");
    setenv("XDG_DATA_HOME", "/xdg", 1);
    ET_CHECK_INT(et_db_resolve_path(NULL, out, sizeof out, &e), ET_OK);
    ET_CHECK_STR(out, "/xdg/edgetune/runs.db");
    setenv("EDGETUNE_DB", "/env/runs.db", 1);
    ET_CHECK_INT(et_db_resolve_path(NULL, out, sizeof out, &e), ET_OK);
    ET_CHECK_STR(out, "/env/runs.db");
    ET_CHECK_INT(et_db_resolve_path("cli.db", out, sizeof out, &e), ET_OK);
    ET_CHECK_STR(out, "cli.db");
    unsetenv("EDGETUNE_DB");
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    ET_CHECK_INT(et_db_resolve_path(NULL, out, sizeof out, &e), ET_E_USAGE);
    ET_CHECK_INT(et_db_resolve_path("x", out, 1, &e), ET_E_USAGE);
}

static int pragma_int(sqlite3 *s, const char *q) {
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(s, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_pragmas_and_version(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/new/runs.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_CHECK_INT(et_db_open(path, ET_DB_READ, &db, &e), ET_E_IO); /* READ does not create */
    ET_CHECK(strstr(e.msg, path) != NULL);
    ET_CHECK(access(path, F_OK) != 0);
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    ET_CHECK_STR(et_db_path(db), path);
    ET_CHECK(!et_db_is_read_only(db));
    ET_CHECK_INT(pragma_int(db->sql, "PRAGMA user_version"), et_db_schema_version());
    ET_CHECK_INT(pragma_int(db->sql, "PRAGMA application_id"), ET_DB_APPLICATION_ID);
    ET_CHECK_INT(pragma_int(db->sql, "PRAGMA foreign_keys"), 1);
    ET_CHECK_INT(pragma_int(db->sql, "PRAGMA busy_timeout"), ET_DB_BUSY_TIMEOUT_MS);
    sqlite3_stmt *st = NULL;
    ET_REQUIRE(sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
    ET_CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
    sqlite3_finalize(st);
    et_db_close(db);
    /* reopen: nothing to migrate, same version */
    ET_REQUIRE(et_db_open(path, ET_DB_READ, &db, &e) == ET_OK);
    ET_CHECK_INT(pragma_int(db->sql, "PRAGMA user_version"), et_db_schema_version());
    et_db_close(db);
}

static void test_migrations_run_in_order_once(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/mig.db", dir);
    sqlite3 *s = NULL;
    ET_REQUIRE(sqlite3_open(path, &s) == SQLITE_OK);
    const char *steps[] = {"CREATE TABLE a(x)", "INSERT INTO a VALUES(1)", "INSERT INTO a VALUES(2)"};
    et_err e = {0};
    ET_CHECK_INT(et_db_migrate(s, path, steps, 2, &e), ET_OK);
    ET_CHECK_INT(pragma_int(s, "PRAGMA user_version"), 2);
    ET_CHECK_INT(pragma_int(s, "PRAGMA application_id"), ET_DB_APPLICATION_ID);
    ET_CHECK_INT(et_db_migrate(s, path, steps, 2, &e), ET_OK); /* again: nothing */
    ET_CHECK_INT(pragma_int(s, "SELECT count(*) FROM a"), 1);
    ET_CHECK_INT(et_db_migrate(s, path, steps, 3, &e), ET_OK); /* only the new step */
    ET_CHECK_INT(pragma_int(s, "SELECT count(*) FROM a"), 2);
    ET_CHECK_INT(pragma_int(s, "PRAGMA user_version"), 3);
    /* a failing step rolls back and keeps the version */
    const char *bad[] = {steps[0], steps[1], steps[2], "INSERT INTO a VALUES(3); INSERT INTO nope VALUES(1)"};
    ET_CHECK(et_db_migrate(s, path, bad, 4, &e) != ET_OK);
    ET_CHECK_INT(pragma_int(s, "PRAGMA user_version"), 3);
    ET_CHECK_INT(pragma_int(s, "SELECT count(*) FROM a"), 2);
    sqlite3_close(s);
    /* the real steps exist and are SQL */
    ET_CHECK(et_db_schema_step_count() >= 1);
    ET_CHECK(et_db_schema_step(0) && strstr(et_db_schema_step(0), "CREATE TABLE runs"));
    ET_CHECK(et_db_schema_step(et_db_schema_step_count()) == NULL);
}

/* Opening `path` in mode must fail with `want` and leave the file's bytes as they were. */
static void refused_unchanged(const char *path, et_db_mode mode, et_status want, const char *needle) {
    size_t n0 = 0, n1 = 0;
    unsigned char *before = et_read_file(path, &n0);
    et_db *db = NULL;
    et_err e = {0};
    et_status s = et_db_open(path, mode, &db, &e);
    ET_CHECK_MSG(s == want, "got %d (%s), want %d", s, e.msg, want);
    ET_CHECK(db == NULL);
    ET_CHECK_MSG(strstr(e.msg, path) && strstr(e.msg, needle), "message: %s", e.msg);
    ET_CHECK(strchr(e.msg, '\n') == NULL);
    ET_CHECK(et_status_exit_code(s) == 2);
    unsigned char *after = et_read_file(path, &n1);
    ET_CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before), free(after);
}

static void test_garbage_file_refused(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/garbage.db", dir);
    unsigned char junk[5000];
    uint64_t s = 3;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)et_fake_mix(&s);
    et_write_file(path, junk, sizeof junk);
    refused_unchanged(path, ET_DB_WRITE, ET_E_INPUT, "not an SQLite database");
    refused_unchanged(path, ET_DB_READ, ET_E_INPUT, "not an SQLite database");
    /* a valid header with garbage after it */
    memcpy(junk, "SQLite format 3", 16);
    et_write_file(path, junk, sizeof junk);
    refused_unchanged(path, ET_DB_WRITE, ET_E_INPUT, "corrupt");
    /* a short text file */
    et_write_file(path, "hello\n", 6);
    refused_unchanged(path, ET_DB_WRITE, ET_E_INPUT, "not an SQLite database");
}

static void test_foreign_sqlite_refused(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/other-app.db", dir);
    sqlite3 *s = NULL;
    ET_REQUIRE(sqlite3_open(path, &s) == SQLITE_OK);
    ET_CHECK(sqlite3_exec(s, "CREATE TABLE contacts(name); INSERT INTO contacts VALUES('x')", NULL, NULL, NULL) ==
             SQLITE_OK);
    sqlite3_close(s);
    refused_unchanged(path, ET_DB_WRITE, ET_E_INPUT, "another program");
}

static void test_newer_schema_refused(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/newer.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 1, NULL);
    ET_CHECK_INT(et_db_save_run(db, &r, NULL, &e), ET_OK);
    char q[64];
    snprintf(q, sizeof q, "PRAGMA user_version=%d", et_db_schema_version() + 1);
    ET_CHECK(sqlite3_exec(db->sql, q, NULL, NULL, NULL) == SQLITE_OK);
    et_db_close(db); /* the last close checkpoints the WAL into the file */
    refused_unchanged(path, ET_DB_WRITE, ET_E_UNSUPPORTED, "newer edgetune");
    refused_unchanged(path, ET_DB_READ, ET_E_UNSUPPORTED, "newer edgetune");
    et_result_free(&r);
}

static void test_directory_in_the_way(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/adir", dir);
    mkdir(path, 0755);
    et_db *db = NULL;
    et_err e = {0};
    ET_CHECK_INT(et_db_open(path, ET_DB_WRITE, &db, &e), ET_E_INPUT);
    ET_CHECK(strstr(e.msg, "is a directory") != NULL);
    /* a file where a parent directory should be */
    char file[600], below[700];
    snprintf(file, sizeof file, "%s/plainfile", dir);
    et_write_file(file, "x", 1);
    snprintf(below, sizeof below, "%s/sub/runs.db", file);
    ET_CHECK(et_db_open(below, ET_DB_WRITE, &db, &e) != ET_OK);
    ET_CHECK_MSG(strstr(e.msg, "cannot") != NULL, "%s", e.msg);
}

typedef struct perm_case {
    const char *path;
    et_db_mode mode;
    et_status want;
    const char *needle;
    bool want_rows; /* READ should still work and list the run */
} perm_case;

/* Runs unprivileged: exit 0 when the case behaves. */
static int perm_child(void *arg) {
    const perm_case *c = arg;
    et_db *db = NULL;
    et_err e = {0};
    et_status s = et_db_open(c->path, c->mode, &db, &e);
    if (s != c->want) {
        fprintf(stderr, "perm case %s: got %d (%s)\n", c->path, s, e.msg);
        return 1;
    }
    if (s != ET_OK)
        return strstr(e.msg, c->needle) && strchr(e.msg, '\n') == NULL ? 0 : (fprintf(stderr, "%s\n", e.msg), 2);
    int64_t n = 0;
    bool ok = et_db_count_runs(db, &n, &e) == ET_OK && n == 1 && et_db_is_read_only(db);
    /* and a write is refused with a clear line */
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 99, NULL);
    ok = ok && et_db_save_run(db, &r, NULL, &e) == ET_E_PERMISSION && strstr(e.msg, "read-only");
    et_db_close(db);
    return ok ? 0 : (fprintf(stderr, "perm case %s: %s\n", c->path, e.msg), 3);
}

static void test_read_only_file_and_directory(void) {
    char ro_dir[600], path[700], path2[700];
    snprintf(ro_dir, sizeof ro_dir, "%s/ro", dir);
    mkdir(ro_dir, 0755);
    chmod(dir, 0755);
    snprintf(path, sizeof path, "%s/runs.db", ro_dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 1, NULL);
    ET_CHECK_INT(et_db_save_run(db, &r, NULL, &e), ET_OK);
    et_db_close(db);
    et_result_free(&r);
    chmod(path, 0444);
    size_t n0, n1;
    unsigned char *before = et_read_file(path, &n0);
    perm_case c1 = {path, ET_DB_WRITE, ET_E_PERMISSION, "read-only", false};
    ET_CHECK_INT(et_run_unprivileged(perm_child, &c1), 0);
    /* the directory is writable: reading still works (read-only connection) */
    perm_case c2 = {path, ET_DB_READ, ET_OK, "", true};
    ET_CHECK_INT(et_run_unprivileged(perm_child, &c2), 0);
    /* a directory nobody may write: creating a database there fails clearly */
    chmod(ro_dir, 0555);
    snprintf(path2, sizeof path2, "%s/new.db", ro_dir);
    perm_case c3 = {path2, ET_DB_WRITE, ET_E_PERMISSION, "writable", false};
    ET_CHECK_INT(et_run_unprivileged(perm_child, &c3), 0);
    chmod(path, 0644); /* file writable, directory not: SQLite could not create its -wal file */
    perm_case c4 = {path, ET_DB_WRITE, ET_E_PERMISSION, "writable", false};
    ET_CHECK_INT(et_run_unprivileged(perm_child, &c4), 0);
    /* nothing writable at all and no -wal/-shm left by an earlier reader: reading still works (an immutable
     * snapshot, since no writer can be active) */
    chmod(path, 0444);
    char side[720];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    perm_case c5 = {path, ET_DB_READ, ET_OK, "", true};
    ET_CHECK_INT(et_run_unprivileged(perm_child, &c5), 0);
    unsigned char *after = et_read_file(path, &n1);
    ET_CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    ET_CHECK(access(path2, F_OK) != 0);
    free(before), free(after);
    chmod(ro_dir, 0755);
}

/* What each schema step added, undone: steps[v] takes a database of version v back to v - 1. A new schema step
 * adds its line here, and every upgrade test goes through it. */
static const char *const steps[] = {
    [2] = "ALTER TABLE run_stats DROP COLUMN dep_status; ALTER TABLE run_stats DROP COLUMN dep_why; "
          "ALTER TABLE run_stats DROP COLUMN dep_peak_bytes; ALTER TABLE run_stats DROP COLUMN dep_runtime_bytes; "
          "ALTER TABLE run_stats DROP COLUMN dep_load_peak_bytes; ALTER TABLE run_stats DROP COLUMN dep_weights_bytes; "
          "ALTER TABLE run_stats DROP COLUMN dep_arena_bytes; ALTER TABLE run_stats DROP COLUMN dep_method; "
          "ALTER TABLE run_stats DROP COLUMN fid_n_compared",
    [3] = "ALTER TABLE runs DROP COLUMN recover; ALTER TABLE runs DROP COLUMN calib_method; "
          "ALTER TABLE layers DROP COLUMN recon_err_before; ALTER TABLE layers DROP COLUMN recon_err_after",
    [4] = "DROP TABLE run_inputs",
    [5] = "DROP TABLE train_epochs; DROP TABLE train_runs",
    [6] = "ALTER TABLE runs DROP COLUMN layers",
    [7] = "DROP TABLE sensitivity_points",
};

/* Takes the database at path (this build's version) back to `version`, step by step, as an older build left it. */
static void downgrade_to(const char *path, int version) {
    ET_REQUIRE(et_db_schema_version() == (int)(sizeof steps / sizeof steps[0]) - 1); /* a step without its undo */
    sqlite3 *s = NULL;
    ET_REQUIRE(sqlite3_open(path, &s) == SQLITE_OK);
    for (int v = et_db_schema_version(); v > version; v--)
        ET_CHECK_INT(sqlite3_exec(s, steps[v], NULL, NULL, NULL), SQLITE_OK);
    char q[64];
    snprintf(q, sizeof q, "PRAGMA user_version=%d", version);
    ET_CHECK_INT(sqlite3_exec(s, q, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
}

/* A version-2 database (before recovery) opened by this build: migrated in place, its runs intact, recover
 * 'none' and calib_method 'minmax' (what they ran), no reconstruction errors on their layers. */
static void test_upgrade_from_v2_keeps_runs(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/v2/runs.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 7, NULL);
    r.knobs.recover = ET_RECOVER_FULL; /* dropped with the column: comes back as none */
    int64_t id = 0;
    ET_REQUIRE(et_db_save_run(db, &r, &id, &e) == ET_OK);
    et_db_close(db);
    downgrade_to(path, 2);
    ET_REQUIRE(et_db_open(path, ET_DB_READ, &db, &e) == ET_OK);
    ET_CHECK_INT(pragma_int(db->sql, "PRAGMA user_version"), et_db_schema_version());
    et_result back;
    et_result_init(&back);
    ET_REQUIRE(et_db_load_run(db, id, ET_DB_LOAD_ALL, &back, &e) == ET_OK);
    ET_CHECK(back.knobs.recover == ET_RECOVER_NONE && back.knobs.calib_method == ET_CALIB_MINMAX);
    ET_REQUIRE(back.n_layers == r.n_layers && back.n_layers > 0);
    ET_CHECK(isnan(back.layers[0].recon_err_before) && isnan(back.layers[0].recon_err_after));
    ET_CHECK(back.latency.p50_ms == r.latency.p50_ms && back.memory.peak_rss_bytes == r.memory.peak_rss_bytes);
    et_result_free(&back);
    et_result_free(&r);
    et_db_close(db);
}

/* A version-1 database (before deployed memory) opened by this build: migrated in place, its runs intact, their
 * deployed memory "not measured" with the reason, fidelity's compared count equal to its inputs. */
static void test_upgrade_from_v1_keeps_runs(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/v1/runs.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 7, NULL);
    int64_t id = 0;
    ET_REQUIRE(et_db_save_run(db, &r, &id, &e) == ET_OK);
    et_db_close(db);
    downgrade_to(path, 1);
    ET_REQUIRE(et_db_open(path, ET_DB_READ, &db, &e) == ET_OK);
    ET_CHECK_INT(pragma_int(db->sql, "PRAGMA user_version"), et_db_schema_version());
    et_result back;
    et_result_init(&back);
    ET_REQUIRE(et_db_load_run(db, id, ET_DB_LOAD_ALL, &back, &e) == ET_OK);
    ET_CHECK(back.deployed.status == ET_AVAIL_NOT_RUN && strstr(back.deployed.why, "did not measure deployed memory"));
    ET_CHECK_INT(back.fidelity.n_compared, back.fidelity.n_inputs);
    ET_CHECK(back.latency.p50_ms == r.latency.p50_ms && back.memory.peak_rss_bytes == r.memory.peak_rss_bytes);
    et_result_free(&back);
    et_result_free(&r);
    et_db_close(db);
}

/* Every older version this build knows opens and upgrades in place with its runs intact (the v1 and v2 tests
 * above check what those steps fill in). */
static void test_upgrade_from_every_version(void) {
    for (int v = 1; v < et_db_schema_version(); v++) {
        char path[600];
        snprintf(path, sizeof path, "%s/every-v%d.db", dir, v);
        et_db *db = NULL;
        et_err e = {0};
        ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
        et_result r;
        et_result_init(&r);
        et_fake_result(&r, 11, NULL);
        int64_t id = 0;
        ET_REQUIRE(et_db_save_run(db, &r, &id, &e) == ET_OK);
        et_db_close(db);
        downgrade_to(path, v);
        if (et_db_open(path, ET_DB_READ, &db, &e) != ET_OK) {
            ET_CHECK_MSG(false, "from version %d: %s", v, e.msg);
            et_result_free(&r);
            return;
        }
        ET_CHECK_INT(pragma_int(db->sql, "PRAGMA user_version"), et_db_schema_version());
        et_result back;
        et_result_init(&back);
        ET_CHECK_MSG(et_db_load_run(db, id, ET_DB_LOAD_ALL, &back, &e) == ET_OK, "from version %d: %s", v, e.msg);
        ET_CHECK_MSG(back.latency.p50_ms == r.latency.p50_ms && strcmp(back.uuid, r.uuid) == 0, "from version %d", v);
        et_result_free(&back);
        et_result_free(&r);
        et_db_close(db);
    }
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_resolve_path);
    ET_RUN(test_pragmas_and_version);
    ET_RUN(test_migrations_run_in_order_once);
    ET_RUN(test_upgrade_from_v1_keeps_runs);
    ET_RUN(test_upgrade_from_v2_keeps_runs);
    ET_RUN(test_upgrade_from_every_version);
    ET_RUN(test_garbage_file_refused);
    ET_RUN(test_foreign_sqlite_refused);
    ET_RUN(test_newer_schema_refused);
    ET_RUN(test_directory_in_the_way);
    ET_RUN(test_read_only_file_and_directory);
    et_rmtree(dir);
    return et_test_done();
}
