/* prof_helpers.h: small helpers shared by the profiler tests: fixture paths, scratch trees, a fake perf layer. */
#ifndef ET_TEST_PROF_HELPERS_H
#define ET_TEST_PROF_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "et_test.h"

/* fixtures/sysroot/<scenario> under the source tree. */
static inline const char *fixture_root(const char *scenario) {
    static char path[4][1024];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, sizeof path[0], "%s/fixtures/sysroot/%s", et_test_source_dir(), scenario);
    return p;
}

/* A fresh scratch directory (removed by scratch_remove). */
static inline void scratch_make(char *out, size_t cap) {
    snprintf(out, cap, "/tmp/et-prof-test-XXXXXX");
    if (!mkdtemp(out))
        out[0] = '\0';
}

static inline void scratch_remove(const char *dir) {
    char cmd[1200];
    if (dir[0] && strncmp(dir, "/tmp/et-prof-test-", 18) == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
}

/* Writes text to root/rel, creating the folders on the way. */
static inline void put_file(const char *root, const char *rel, const char *text) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static inline void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
