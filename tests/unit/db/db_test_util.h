/* db_test_util.h: temporary directories, whole-file reads and "run this as an unprivileged user" for the
 * database tests. */
#ifndef ET_TEST_DB_UTIL_H
#define ET_TEST_DB_UTIL_H


#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR (or /tmp); path in out. */
static inline void et_tmpdir(char *out, size_t len) {
    const char *base = getenv("TMPDIR");
    snprintf(out, len, "%s/edgetune-db-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        exit(2);
    }
}

static inline int et_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    chmod(p, 0700);
    return remove(p);
}
/* rm -rf */
static inline void et_rmtree(const char *dir) {
    chmod(dir, 0700);
    nftw(dir, et_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whole file into a malloc'd buffer; NULL when unreadable. */
static inline unsigned char *et_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = (size_t)n;
    }
    return b;
}

static inline void et_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        perror(path);
        exit(2);
    }
    fclose(f);
}

/* Runs fn(arg) in a child process, as user nobody (65534) when we are root so that file permissions apply;
 * returns the child's exit status (fn's return value), or -1 when it crashed. */
static inline int et_run_unprivileged(int (*fn)(void *), void *arg) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(99);
        _exit(fn(arg));
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
