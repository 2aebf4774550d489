/* probe.h: what every profiler source answers when asked "can you measure here?" (README.md section 0).
 *
 * A probe never aborts: it records a status (et_avail from record/result.h), the errno that decided it, a one-line
 * reason and a one-line hint that tells the user what to do. The perf permission context (paranoid level and
 * capabilities) is read once per probe round and shared by the counter and perf-RAPL sources. */
#ifndef ET_PROFILERS_PROBE_H
#define ET_PROFILERS_PROBE_H

#include <stdbool.h>

#include "profilers/sysroot.h"
#include "record/result.h"

enum { ET_HINT_MAX = 384 };

typedef struct et_probe {
    et_avail status;
    int errnum;             /* the errno that decided it, 0 if none */
    char why[ET_WHY_MAX];   /* "unsupported because ...": a fact */
    char hint[ET_HINT_MAX]; /* what the user can do, or "" */
} et_probe;

/* Sets every field; fmt formats `why`. hint may be NULL. */
void et_probe_set(et_probe *p, et_avail status, int errnum, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The errno map of README.md (section 1): ENOENT/ENODEV/EOPNOTSUPP/ENOSYS/ENXIO -> UNSUPPORTED, EACCES/EPERM ->
 * NO_PERMISSION, EINVAL -> INVALID, others (EBUSY, EMFILE, ...) -> ERROR. 0 -> OK. */
et_avail et_avail_from_errno(int errnum);

/* Who may count what (perf_event_open's rules, kernel/events/core.c). */
typedef struct et_perf_env {
    bool perf_present; /* /proc/sys/kernel/perf_event_paranoid exists (CONFIG_PERF_EVENTS) */
    int paranoid;      /* its value; 2 when unknown */
    bool caps_known;   /* CapEff was read from proc/self/status */
    bool cap_perfmon;  /* CAP_PERFMON or CAP_SYS_ADMIN in the effective set */
    bool kernel_ok;    /* may count kernel mode: paranoid <= 1 or cap_perfmon */
    bool user_ok;      /* may count its own threads: paranoid <= 2 or cap_perfmon */
    bool cpu_wide_ok;  /* may open pid=-1 events (the power PMU): paranoid <= 0 or cap_perfmon */
    bool hypervisor;   /* /proc/cpuinfo flags include "hypervisor" */
    int nmi_watchdog;  /* 1 when the NMI watchdog holds a hardware counter, 0 off, -1 unknown */
} et_perf_env;

void et_perf_env_read(const et_sysroot *sr, et_perf_env *out);

/* The hint for a perf permission refusal under env (the sysctl to change, or CAP_PERFMON). */
const char *et_perf_permission_hint(const et_perf_env *env);

#endif
