/* deploy_memory.c: the deployed-memory measurement, parent and child side (see deploy_memory.h).
 *
 * Parent: image into a memfd (an anonymous file: nothing on disk, gone when closed), posix_spawn of the binary
 * (no copy of this process's page tables, safe from the workbench's measuring thread) with the image as fd 3 and
 * stdout/stderr on a pipe, a poll loop that honours the cancel flag and a time limit, then the child's one line.
 * Child: reads only its own /proc/self (the real one, not EDGETUNE_SYSROOT: this is about this process). */
#include "bench/deploy_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/deploy_image.h"
#include "engine/plan.h"
#include "util/clock.h"

extern char **environ;

enum { CHILD_IMAGE_FD = 3, CHILD_RUNS = 2, CHILD_WARMUP = 1, TIME_LIMIT_S = 600 };
static const char line_tag[] = "edgetune-deploy-memory";

/* ---- child ------------------------------------------------------------------------------------------------ */

/* A "Name:   123 kB" field of /proc/self/status in bytes; -1 when unreadable. */
static int64_t status_field(const char *name) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    int64_t v = -1;
    size_t l = strlen(name);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, l) == 0 && line[l] == ':') {
            long long kb;
            if (sscanf(line + l + 1, "%lld", &kb) == 1)
                v = (int64_t)kb * 1024;
            break;
        }
    fclose(f);
    return v;
}

static bool reset_peak(void) {
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

int et_deploy_child_main(int argc, char **argv) {
    int64_t runtime = status_field("VmRSS");
    if (argc != 3) {
        printf("error: usage: edgetune %s FD THREADS (internal)\n", ET_DEPLOY_COMMAND);
        return 1;
    }
    int fd = atoi(argv[1]), threads = atoi(argv[2]);
    struct stat sb;
    if (fd < 0 || threads < 1 || fstat(fd, &sb) != 0 || sb.st_size <= 0) {
        printf("error: no model image on fd %s\n", argv[1]);
        return 1;
    }
    size_t len = (size_t)sb.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        printf("error: mapping the model image: %s\n", strerror(errno));
        return 1;
    }
    et_err err = {0};
    et_graph *g = NULL;
    et_plan *plan = NULL;
    et_plan_options po = et_plan_options_default();
    po.threads = threads;
    if (et_deploy_image_read(map, len, &g, &err) != ET_OK || et_plan_create(g, &po, &plan, &err) != ET_OK) {
        printf("error: %s\n", err.msg);
        et_graph_free(g);
        return 1;
    }
    /* the weights are packed: the image's pages go, as a deployment lets its model file's pages go; what the plan
     * still reads from it comes back on use and counts */
    madvise(map, len, MADV_DONTNEED);
    int64_t load_peak = status_field("VmHWM");
    bool reset = reset_peak();
    for (int i = 0; i < et_plan_n_inputs(plan); i++) {
        et_tensor *t = et_plan_input(plan, i);
        memset(t->data, 0, (size_t)et_shape_numel(&t->shape) * et_dtype_size(t->dtype));
    }
    for (int i = 0; i < CHILD_WARMUP + CHILD_RUNS; i++)
        if (et_plan_run(plan, NULL, &err) != ET_OK) {
            printf("error: %s\n", err.msg);
            return 1;
        }
    int64_t peak = reset ? status_field("VmHWM") : status_field("VmRSS");
    et_plan_stats ps = et_plan_get_stats(plan);
    printf("%s peak_bytes=%" PRId64 " runtime_bytes=%" PRId64 " load_peak_bytes=%" PRId64 " weights_bytes=%" PRId64
           " arena_bytes=%" PRId64 " method=%s\n",
           line_tag, peak, runtime, load_peak, ps.weights_bytes, ps.arena_bytes,
           reset ? "VmHWM-after-clear_refs" : "VmRSS-after-runs");
    fflush(stdout);
    et_plan_free(plan);
    et_graph_free(g);
    munmap(map, len);
    return 0;
}

/* ---- parent ----------------------------------------------------------------------------------------------- */

static void unavailable(et_deployed_memory *out, et_avail status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void unavailable(et_deployed_memory *out, et_avail status, const char *fmt, ...) {
    memset(out, 0, sizeof *out);
    out->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
}

/* An anonymous file for the image: memfd, else an unlinked temporary file. -1 with errno on failure. */
static int image_fd(void) {
#ifdef MFD_CLOEXEC
    int fd = memfd_create("edgetune-deployed-model", MFD_CLOEXEC);
    if (fd >= 0 || errno != ENOSYS)
        return fd;
#endif
    FILE *f = tmpfile();
    if (!f)
        return -1;
    int fd2 = fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
    fclose(f);
    return fd2;
}

static int64_t field(const char *line, const char *key) {
    const char *p = strstr(line, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* Reads the child's output into buf until EOF; false on cancel or time limit (the child is then killed). */
static bool read_child(int rfd, pid_t pid, const volatile int *cancel, char *buf, size_t len, bool *timed_out) {
    size_t n = 0;
    double t0 = et_clock_s();
    *timed_out = false;
    for (;;) {
        if (cancel && *cancel) {
            kill(pid, SIGKILL);
            return false;
        }
        if (et_clock_s() - t0 > TIME_LIMIT_S) {
            kill(pid, SIGKILL);
            *timed_out = true;
            return false;
        }
        struct pollfd p = {.fd = rfd, .events = POLLIN};
        int r = poll(&p, 1, 50);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char tmp[512];
        ssize_t got = read(rfd, tmp, sizeof tmp);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t take = (size_t)got < len - 1 - n ? (size_t)got : len - 1 - n;
        memcpy(buf + n, tmp, take);
        n += take;
    }
    buf[n] = '\0';
    return true;
}

et_status et_deploy_measure(const et_graph *g, int threads, const char *exe, const volatile int *cancel,
                            et_deployed_memory *out, et_err *err) {
    if (!exe) {
        unavailable(out, ET_AVAIL_NOT_RUN, "not measured");
        return ET_OK;
    }
    int fd = image_fd();
    if (fd < 0) {
        unavailable(out, ET_AVAIL_ERROR, "no anonymous file for the model image: %s", strerror(errno));
        return ET_OK;
    }
    et_err werr = {0};
    if (et_deploy_image_write(g, fd, NULL, &werr) != ET_OK) {
        close(fd);
        unavailable(out, ET_AVAIL_ERROR, "%s", werr.msg);
        return ET_OK;
    }
    int pipe_fd[2];
    if (pipe2(pipe_fd, O_CLOEXEC) != 0) {
        close(fd);
        unavailable(out, ET_AVAIL_ERROR, "pipe: %s", strerror(errno));
        return ET_OK;
    }
    char fd_arg[16], threads_arg[16];
    snprintf(fd_arg, sizeof fd_arg, "%d", CHILD_IMAGE_FD);
    snprintf(threads_arg, sizeof threads_arg, "%d", threads > 0 ? threads : 1);
    char *argv[] = {(char *)exe, ET_DEPLOY_COMMAND, fd_arg, threads_arg, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, CHILD_IMAGE_FD); /* dup2 clears close-on-exec on the copy */
    posix_spawn_file_actions_adddup2(&fa, pipe_fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pipe_fd[1], STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipe_fd[1]);
    close(fd); /* the child holds its own copy */
    if (rc != 0) {
        close(pipe_fd[0]);
        unavailable(out, ET_AVAIL_ERROR, "cannot start %s: %s", exe, strerror(rc));
        return ET_OK;
    }
    char buf[2048];
    bool timed_out = false;
    bool done = read_child(pipe_fd[0], pid, cancel, buf, sizeof buf, &timed_out);
    close(pipe_fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!done && !timed_out) {
        unavailable(out, ET_AVAIL_NOT_RUN, "not measured (cancelled)");
        return et_fail(err, ET_E_CANCELLED, "cancelled");
    }
    if (timed_out) {
        unavailable(out, ET_AVAIL_ERROR, "the measuring process took more than %d s", TIME_LIMIT_S);
        return ET_OK;
    }
    const char *line = strstr(buf, line_tag);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !line) {
        char first[200];
        snprintf(first, sizeof first, "%s", buf);
        first[strcspn(first, "\n")] = '\0';
        unavailable(out, ET_AVAIL_ERROR, "the measuring process failed (%s%d): %s",
                    WIFEXITED(status) ? "exit " : "signal ",
                    WIFEXITED(status)     ? WEXITSTATUS(status)
                    : WIFSIGNALED(status) ? WTERMSIG(status)
                                          : -1,
                    first[0] ? first : "no output");
        return ET_OK;
    }
    memset(out, 0, sizeof *out);
    out->peak_bytes = field(line, "peak_bytes=");
    out->runtime_bytes = field(line, "runtime_bytes=");
    out->load_peak_bytes = field(line, "load_peak_bytes=");
    out->weights_bytes = field(line, "weights_bytes=");
    out->arena_bytes = field(line, "arena_bytes=");
    const char *m = strstr(line, "method=");
    bool hwm = m && strncmp(m + 7, "VmHWM", 5) == 0;
    snprintf(out->method, sizeof out->method, "%s",
             hwm ? "separate process, VmHWM after clear_refs" : "separate process, VmRSS after the runs");
    if (out->peak_bytes <= 0) {
        unavailable(out, ET_AVAIL_ERROR, "the measuring process could not read /proc/self/status");
        return ET_OK;
    }
    out->status = ET_AVAIL_OK;
    if (!hwm)
        snprintf(out->why, sizeof out->why,
                 "its peak could not be reset (/proc/self/clear_refs): resident set after "
                 "%d inferences, not their peak",
                 CHILD_WARMUP + CHILD_RUNS);
    return ET_OK;
}
