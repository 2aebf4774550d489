/* perf_ops.c: the real perf_event_open and friends behind et_perf_ops. */
#include "profilers/perf_ops.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t et_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int sys_open(void *ctx, struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags) {
    (void)ctx;
#ifdef SYS_perf_event_open
    long fd = syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
    return fd >= 0 ? (int)fd : -errno;
#else
    (void)attr, (void)pid, (void)cpu, (void)group_fd, (void)flags;
    return -ENOSYS;
#endif
}

static long sys_read(void *ctx, int fd, void *buf, unsigned long len) {
    (void)ctx;
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            return -errno;
    }
}

static int sys_ioctl(void *ctx, int fd, unsigned long request, unsigned long arg) {
    (void)ctx;
    return ioctl(fd, request, arg) == 0 ? 0 : -errno;
}

static int sys_close(void *ctx, int fd) {
    (void)ctx;
    return close(fd) == 0 ? 0 : -errno;
}

static int64_t sys_clock(void *ctx) {
    (void)ctx;
    return et_monotonic_ns();
}

static const et_perf_ops system_ops = {sys_open, sys_read, sys_ioctl, sys_close, sys_clock, NULL};

const et_perf_ops *et_perf_ops_system(void) { return &system_ops; }
