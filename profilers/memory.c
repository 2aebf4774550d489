/* memory.c: clear_refs + VmHWM, with the fallbacks described in memory.h. */
#include "profilers/memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void et_memory_init(et_memory *m, const et_sysroot *sr) {
    memset(m, 0, sizeof *m);
    m->sr = sr;
    m->clear_errno = -1;
}

void et_memory_start(et_memory *m) {
    m->clear_errno = -et_sys_write(m->sr, "proc/self/clear_refs", "5");
    m->peak_bytes = 0;
    m->status_errno = 0;
}

static int read_hwm(const et_sysroot *sr, int64_t *bytes) {
    char status[4096];
    int n = et_sys_read(sr, "proc/self/status", status, sizeof status);
    if (n < 0)
        return -n;
    int64_t kb;
    if (!et_text_field_i64(status, "VmHWM", &kb))
        return ENODATA;
    *bytes = kb * 1024;
    return 0;
}

void et_memory_stop(et_memory *m) {
    m->status_errno = read_hwm(m->sr, &m->peak_bytes);
    if (m->status_errno) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            m->peak_bytes = (int64_t)ru.ru_maxrss * 1024; /* kB on Linux */
    }
}

void et_memory_fill(const et_memory *m, et_memory_info *out) {
    if (m->clear_errno < 0) {
        out->status = ET_AVAIL_NOT_RUN;
        snprintf(out->why, sizeof out->why, "not measured");
        return;
    }
    out->status = ET_AVAIL_OK;
    out->peak_rss_bytes = m->peak_bytes;
    out->why[0] = '\0';
    if (m->status_errno) {
        snprintf(out->peak_rss_method, sizeof out->peak_rss_method, "ru_maxrss (process peak)");
        snprintf(out->why, sizeof out->why, "peak of the whole process, not of the timed loop: /proc/self/status: %s",
                 et_errno_name(m->status_errno));
    } else if (m->clear_errno) {
        snprintf(out->peak_rss_method, sizeof out->peak_rss_method, "VmHWM (process peak)");
        snprintf(out->why, sizeof out->why,
                 "peak since the process started, not of the timed loop: writing "
                 "/proc/self/clear_refs failed (%s; needs Linux >= 4.0)",
                 et_errno_name(m->clear_errno));
    } else {
        snprintf(out->peak_rss_method, sizeof out->peak_rss_method, "clear_refs+VmHWM");
    }
}

void et_memory_probe(const et_sysroot *sr, et_probe *out) {
    int64_t bytes = 0;
    int e = read_hwm(sr, &bytes);
    int fd = et_sys_open(sr, "proc/self/clear_refs", O_WRONLY);
    int ce = fd < 0 ? -fd : 0;
    if (fd >= 0)
        close(fd);
    if (e)
        et_probe_set(out, ET_AVAIL_OK, e, NULL,
                     "no VmHWM in /proc/self/status (%s): falls back to ru_maxrss, the "
                     "peak of the whole process",
                     et_errno_name(e));
    else if (ce)
        et_probe_set(out, ET_AVAIL_OK, ce, "a kernel >= 4.0 with /proc/self/clear_refs writable by the process",
                     "VmHWM works but /proc/self/clear_refs cannot be opened (%s): peaks are of the whole process",
                     et_errno_name(ce));
    else
        et_probe_set(out, ET_AVAIL_OK, 0, NULL, "clear_refs+VmHWM: the peak RSS of the timed loop (now %.1f MiB)",
                     (double)bytes / 1048576.0);
}
