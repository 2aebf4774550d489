/* perf_ops.h: the injectable layer around perf_event_open(2) and the calls made on its descriptors.
 *
 * The counter and perf-RAPL code never calls the kernel directly: they go through an et_perf_ops table so that
 * tests can fail any call with ENOENT, EACCES, EINVAL or EMFILE and hand back fabricated group-read buffers,
 * without hardware and without root. Every function returns a negative errno on failure, never sets errno. */
#ifndef ET_PROFILERS_PERF_OPS_H
#define ET_PROFILERS_PERF_OPS_H

#include <linux/perf_event.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct et_perf_ops {
    /* perf_event_open(attr, pid, cpu, group_fd, flags): fd or -errno. May write attr->size on E2BIG. */
    int (*open)(void *ctx, struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd, unsigned long flags);
    /* read(fd): bytes or -errno */
    long (*read)(void *ctx, int fd, void *buf, unsigned long len);
    /* ioctl(fd, request, arg): 0 or -errno (PERF_EVENT_IOC_ID passes a uint64_t * as arg) */
    int (*ioctl)(void *ctx, int fd, unsigned long request, unsigned long arg);
    int (*close)(void *ctx, int fd);
    /* CLOCK_MONOTONIC in ns */
    int64_t (*clock_ns)(void *ctx);
    void *ctx;
} et_perf_ops;

/* The real system calls. Static storage; never NULL. */
const et_perf_ops *et_perf_ops_system(void);

/* CLOCK_MONOTONIC now, in ns. */
int64_t et_monotonic_ns(void);

#endif
