/* db_open.c: finding, opening, checking and upgrading the run database.
 *
 * The order of checks is what keeps a file that is not ours safe: before SQLite is asked to write anything
 * (journal mode, schema) we know that the file is an SQLite database (header bytes), that it is ours or empty
 * (application_id, no foreign tables), and that its schema is not newer than ours (user_version). Any doubt ends in
 * one line and an exit code of 2, with the file as it was.
 *
 * No integrity check runs on open: PRAGMA quick_check reads the whole file (hundreds of MB with a long history)
 * and would make `edgetune runs` slow. Corruption is still reported when SQLite meets it (ET_E_INPUT, "corrupt"),
 * and et_db_check_integrity() is there for tests and `doctor`.
 *
 * synchronous=NORMAL: in WAL mode a commit survives the process being killed (the data is in the OS page cache);
 * only a power cut can lose the last few commits, never corrupt the file. FULL would add an fsync per run. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db_internal.h"

et_status et_db_resolve_path(const char *cli_path, char *out, size_t len, et_err *err) {
    int n;
    const char *env = getenv("EDGETUNE_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (cli_path && *cli_path)
        n = snprintf(out, len, "%s", cli_path);
    else if (env && *env)
        n = snprintf(out, len, "%s", env);
    else if (xdg && xdg[0] == '/') /* the XDG spec: a relative value is invalid and ignored */
        n = snprintf(out, len, "%s/edgetune/runs.db", xdg);
    else if (home && *home)
        n = snprintf(out, len, "%s/.local/share/edgetune/runs.db", home);
    else
        return et_fail(err, ET_E_USAGE, "no run database path: HOME is not set; pass --db PATH or set EDGETUNE_DB");
    if (n < 0 || (size_t)n >= len)
        return et_fail(err, ET_E_USAGE, "run database path is longer than %zu bytes; pass a shorter --db PATH",
                       len - 1);
    return ET_OK;
}

/* mkdir -p of the directory part of path. */
static et_status make_parent_dirs(const char *path, et_err *err) {
    char dir[ET_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return ET_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return et_fail(err, errno == EACCES || errno == EROFS ? ET_E_PERMISSION : ET_E_IO,
                           "cannot create directory %s for the run database %s: %s; pass --db PATH somewhere "
                           "writable",
                           dir, path, strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return et_fail(err, errno == EACCES || errno == EROFS ? ET_E_PERMISSION : ET_E_IO,
                       "cannot create directory %s for the run database %s: %s; pass --db PATH somewhere writable", dir,
                       path, strerror(errno));
    return ET_OK;
}

static void parent_dir(const char *path, char *out, size_t len) {
    char tmp[ET_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, len, "%s", dirname(tmp));
}

/* SQLite connections this process holds (opened, not yet closed). Closing any descriptor of a file drops every
 * POSIX lock the process holds on it (fcntl locks are per process), so reading the header through a descriptor
 * of our own while a connection of this process has the database open (the workbench: the UI, its measurement
 * worker and a training job each hold one) would silently drop that connection's locks: another process (an
 * `edgetune runs` in another terminal) could then take the database for its last user, checkpoint the WAL and
 * delete it under our writer, which corrupts the file (sqlite.org/howtocorrupt.html, 2.2). With a connection
 * open the header check is left to SQLite, which shares descriptors between the connections of a process (a
 * file that is not SQLite then gets SQLite's "corrupt or not a database" line, also ET_E_INPUT). */
static atomic_int open_connections;

/* Reads the 100-byte SQLite header when the file is not empty. ET_E_INPUT for a file that is not SQLite. */
static et_status check_header(const char *path, off_t size, et_err *err) {
    if (size == 0)
        return ET_OK; /* SQLite treats an empty file as an empty database */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "cannot read the run database %s: %s", path,
                       strerror(errno));
    unsigned char h[100];
    ssize_t got = read(fd, h, sizeof h);
    close(fd);
    if (got != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
        return et_fail(err, ET_E_INPUT,
                       "%s is not an SQLite database (no SQLite header), so not an edgetune run database; it was "
                       "left as it is: pass --db PATH to use another file",
                       path);
    return ET_OK;
}

static int pragma_int(sqlite3 *sql, const char *q, int *out) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, q, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int pragma_text(sqlite3 *sql, const char *q, char *out, size_t len) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, q, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        et_db_col_text(st, 0, out, len);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Decides whether the opened file may be used: ours (or empty) and not newer. Reads only. */
static et_status check_identity(et_db *db, int *version, et_err *err) {
    int app_id = 0, n_objects = 0;
    /* one read transaction, so the three answers come from one snapshot: another process creating the schema
     * at this moment must not look like "tables but no application_id" (another program's database) */
    int rc = sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = pragma_int(db->sql, "SELECT count(*) FROM sqlite_master", &n_objects);
    if (rc == SQLITE_OK)
        rc = pragma_int(db->sql, "PRAGMA application_id", &app_id);
    if (rc == SQLITE_OK)
        rc = pragma_int(db->sql, "PRAGMA user_version", version);
    sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, db->path, rc, "reading the database header", err);
    if (app_id != ET_DB_APPLICATION_ID && !(app_id == 0 && n_objects == 0))
        return et_fail(err, ET_E_INPUT,
                       "%s is an SQLite database of another program (application_id %d, %d schema objects), not an "
                       "edgetune run database; it was left as it is: pass --db PATH to use another file",
                       db->path, app_id, n_objects);
    if (*version > et_db_schema_version())
        return et_fail(
            err, ET_E_UNSUPPORTED,
            "%s was written by a newer edgetune (schema version %d; this edgetune %s knows up to %d); it was "
            "left as it is: upgrade edgetune, or pass --db PATH to use another file",
            db->path, *version, ET_VERSION, et_db_schema_version());
    return ET_OK;
}

/* Opens the connection. immutable: nothing here can ever be written (see et_db_open). */
static et_status open_sqlite(et_db *db, int flags, bool immutable, et_err *err) {
    /* A leading "file:" would make SQLite read the path as a URI (we enable URIs for ATTACH in import). */
    char name[3 * ET_PATH_MAX + 32];
    if (immutable)
        et_db_uri(db->path, "immutable=1", name, sizeof name);
    else
        snprintf(name, sizeof name, "%s%s", strncmp(db->path, "file:", 5) == 0 ? "./" : "", db->path);
    int rc = sqlite3_open_v2(name, &db->sql, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
    if (db->sql)
        atomic_fetch_add(&open_connections, 1); /* et_db_close takes it back */
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, db->path, rc, "opening", err);
    sqlite3_extended_result_codes(db->sql, 1);
    sqlite3_busy_timeout(db->sql, ET_DB_BUSY_TIMEOUT_MS);
    return ET_OK;
}

/* The checks on the file system that give a clearer line than SQLite would. */
static et_status check_paths(et_db *db, et_db_mode mode, bool *exists, bool *writable, et_err *err) {
    struct stat st;
    char dir[ET_PATH_MAX];
    parent_dir(db->path, dir, sizeof dir);
    *exists = stat(db->path, &st) == 0;
    if (!*exists && errno != ENOENT)
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "cannot reach the run database %s: %s",
                       db->path, strerror(errno));
    if (*exists && S_ISDIR(st.st_mode))
        return et_fail(err, ET_E_INPUT, "%s is a directory, not a run database; pass --db DIR/runs.db", db->path);
    if (!*exists && mode != ET_DB_WRITE)
        return et_fail(err, ET_E_IO,
                       "no run database at %s yet ('edgetune bench' saves runs there); pass --db PATH to use another",
                       db->path);
    if (*exists && atomic_load(&open_connections) == 0) {
        et_status s = check_header(db->path, st.st_size, err);
        if (s != ET_OK)
            return s;
    }
    if (!*exists) {
        et_status s = make_parent_dirs(db->path, err);
        if (s != ET_OK)
            return s;
    }
    /* SQLite needs to create PATH-wal and PATH-shm beside the file, so the directory must be writable too. */
    bool dir_ok = access(dir, W_OK | X_OK) == 0;
    bool file_ok = !*exists || access(db->path, W_OK) == 0;
    *writable = dir_ok && file_ok && mode != ET_DB_READ_ONLY;
    if (mode == ET_DB_WRITE && !file_ok)
        return et_fail(err, ET_E_PERMISSION,
                       "the run database %s is read-only; make it writable (chmod u+w) or pass --db PATH to use "
                       "another file",
                       db->path);
    if (mode == ET_DB_WRITE && !dir_ok)
        return et_fail(err, ET_E_PERMISSION,
                       "cannot write in %s, the directory of the run database %s (SQLite keeps its -wal and -shm "
                       "files there); make it writable or pass --db PATH somewhere writable",
                       dir, db->path);
    return ET_OK;
}

et_status et_db_open(const char *path, et_db_mode mode, et_db **out, et_err *err) {
    *out = NULL;
    et_db *db = calloc(1, sizeof *db);
    if (!db)
        return et_fail(err, ET_E_NOMEM, "out of memory opening the run database");
    et_status s = et_db_resolve_path(path, db->path, sizeof db->path, err);
    bool exists = false, writable = false;
    if (s == ET_OK)
        s = check_paths(db, mode, &exists, &writable, err);
    if (s == ET_OK) {
        db->read_only = !writable;
        int flags = db->read_only ? SQLITE_OPEN_READONLY
                                  : SQLITE_OPEN_READWRITE | (mode == ET_DB_WRITE ? SQLITE_OPEN_CREATE : 0);
        /* A WAL database opened read-only needs its -shm file, and SQLite cannot create one in a directory we may
         * not write. No -wal file there means no writer is active (ours keep one while open), so the file is read
         * as an immutable snapshot. */
        char wal[ET_PATH_MAX + 8], dir[ET_PATH_MAX];
        snprintf(wal, sizeof wal, "%s-wal", db->path);
        parent_dir(db->path, dir, sizeof dir);
        bool immutable = db->read_only && access(dir, W_OK | X_OK) != 0 && access(wal, F_OK) != 0;
        s = open_sqlite(db, flags, immutable, err);
    }
    if (s == ET_OK && !db->read_only && sqlite3_db_readonly(db->sql, "main") == 1) {
        /* permissions said yes but SQLite could only open it read-only (read-only mount, immutable file) */
        if (mode == ET_DB_WRITE)
            s = et_fail(err, ET_E_PERMISSION,
                        "the run database %s can only be opened read-only (read-only file system?); pass --db PATH "
                        "to use another file",
                        db->path);
        db->read_only = true;
    }
    int version = 0;
    if (s == ET_OK)
        s = check_identity(db, &version, err);
    if (s == ET_OK && db->read_only && version < et_db_schema_version())
        s = et_fail(err, version == 0 ? ET_E_INPUT : ET_E_PERMISSION,
                    version == 0
                        ? "%s is an empty file, not a run database yet, and this process cannot write it; "
                          "pass --db PATH to use another file"
                        : "%s needs a schema upgrade (version %d to %d) but this process cannot write it; make "
                          "it writable once, or pass --db PATH to use another file",
                    db->path, version, et_db_schema_version());
    if (s == ET_OK && !db->read_only) {
        char jm[16] = "";
        int rc = pragma_text(db->sql, "PRAGMA journal_mode", jm, sizeof jm);
        if (rc == SQLITE_OK && strcmp(jm, "wal") != 0) {
            rc = pragma_text(db->sql, "PRAGMA journal_mode=WAL", jm, sizeof jm);
            if (rc == SQLITE_OK && strcmp(jm, "wal") != 0)
                s = et_fail(err, ET_E_IO,
                            "cannot switch the run database %s to WAL mode (got '%s'); pass --db PATH "
                            "on a local file system",
                            db->path, jm);
        }
        if (s == ET_OK && rc != SQLITE_OK)
            s = et_db_fail_sql(db->sql, db->path, rc, "setting WAL mode", err);
    }
    if (s == ET_OK)
        s = et_db_exec(db,
                       db->read_only ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=ON;PRAGMA synchronous=NORMAL",
                       "setting pragmas", err);
    if (s == ET_OK && !db->read_only && version < et_db_schema_version()) {
        const char *list[64];
        int n = et_db_schema_step_count();
        for (int i = 0; i < n; i++)
            list[i] = et_db_schema_step(i);
        s = et_db_migrate(db->sql, db->path, list, n, err);
    }
    if (s == ET_OK && !db->read_only)
        s = et_db_sweep_dead_runs(db, NULL, err);
    if (s != ET_OK) {
        et_db_close(db);
        return s;
    }
    *out = db;
    return ET_OK;
}

void et_db_close(et_db *db) {
    if (!db)
        return;
    for (int i = 0; i < ET_ST_COUNT; i++)
        sqlite3_finalize(db->stmts[i]);
    if (db->sql)
        atomic_fetch_sub(&open_connections, 1);
    sqlite3_close(db->sql); /* all statements are finalised, so this cannot be busy */
    free(db);
}

const char *et_db_path(const et_db *db) { return db->path; }
bool et_db_is_read_only(const et_db *db) { return db->read_only; }

et_status et_db_check_integrity(et_db *db, et_err *err) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, db->path, rc, "checking integrity", err);
    rc = sqlite3_step(st);
    char first[256] = "";
    if (rc == SQLITE_ROW)
        et_db_col_text(st, 0, first, sizeof first);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return et_db_fail_sql(db->sql, db->path, rc, "checking integrity", err);
    if (strcmp(first, "ok") != 0)
        return et_fail(err, ET_E_INPUT,
                       "the run database %s fails its integrity check (%s); keep a copy and try "
                       "'sqlite3 %s .recover'",
                       db->path, first, db->path);
    return ET_OK;
}
