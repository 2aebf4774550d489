/* writer.c: who is writing a 'running' row, and marking the rows of writers that died as 'aborted'.
 *
 * A run begun with et_db_begin_run records its writer: pid, the process start time (field 22 of /proc/PID/stat,
 * in clock ticks since boot) and the kernel's boot id. A pid alone is not enough: after a reboot or once pids
 * wrap, another process may hold it. The writer is alive when the boot id is this boot's, the pid exists and it
 * started at the recorded tick. Rows from another device (imported) have another boot id, so they are aborted
 * too: nothing there will ever finish them. Where /proc is missing the check falls back to the pid alone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_internal.h"

static int64_t start_ticks_of(int64_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name (field 2) may hold spaces and parentheses: fields 3.. start after the last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoll(p + 1, NULL, 10) : 0;
}

static void boot_id(char *out, size_t len) {
    out[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f)
        return;
    if (fgets(out, (int)len, f))
        out[strcspn(out, "\r\n")] = '\0';
    fclose(f);
}

void et_db_writer_self(et_db_writer *w) {
    memset(w, 0, sizeof *w);
    w->pid = (int64_t)getpid();
    w->start_ticks = start_ticks_of(w->pid);
    boot_id(w->boot_id, sizeof w->boot_id);
}

bool et_db_writer_alive(const et_db_writer *w) {
    char now_boot[40];
    boot_id(now_boot, sizeof now_boot);
    if (w->boot_id[0] && now_boot[0] && strcmp(w->boot_id, now_boot) != 0)
        return false;
    if (w->pid <= 0 || (kill((pid_t)w->pid, 0) != 0 && errno == ESRCH))
        return false;
    if (w->start_ticks > 0) {
        int64_t t = start_ticks_of(w->pid);
        if (t > 0 && t != w->start_ticks)
            return false;
        if (t == 0) /* no /proc entry although kill() found it: a zombie, or /proc hidden; treat as alive */
            return true;
    }
    return true;
}

et_status et_db_sweep_dead_runs(et_db *db, int *n_marked, et_err *err) {
    if (n_marked)
        *n_marked = 0;
    /* Cheap common case first: no 'running' rows (partial index), no transaction. */
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT id, writer_pid, writer_start_ticks, writer_boot_id FROM runs "
                                "WHERE status = 'running'",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return et_db_fail_sql(db->sql, db->path, rc, "looking for interrupted runs", err);
    int64_t dead[256];
    int n_dead = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n_dead < (int)(sizeof dead / sizeof dead[0])) {
        et_db_writer w = {.pid = sqlite3_column_int64(st, 1), .start_ticks = sqlite3_column_int64(st, 2)};
        et_db_col_text(st, 3, w.boot_id, sizeof w.boot_id);
        if (!et_db_writer_alive(&w))
            dead[n_dead++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return et_db_fail_sql(db->sql, db->path, rc, "looking for interrupted runs", err);
    if (n_dead == 0)
        return ET_OK;
    et_status s = et_db_begin(db, "marking interrupted runs aborted", err);
    if (s != ET_OK)
        return s;
    rc = sqlite3_prepare_v2(db->sql, "UPDATE runs SET status = 'aborted' WHERE id = ? AND status = 'running'", -1, &st,
                            NULL);
    for (int i = 0; rc == SQLITE_OK && i < n_dead; i++) {
        sqlite3_bind_int64(st, 1, dead[i]);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        s = et_db_fail_sql(db->sql, db->path, rc, "marking interrupted runs aborted", err);
        et_db_rollback(db);
        return s;
    }
    s = et_db_commit(db, "marking interrupted runs aborted", err);
    if (s == ET_OK && n_marked)
        *n_marked = n_dead;
    return s;
}
