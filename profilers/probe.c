/* probe.c: probe records, the errno map, and the perf permission context. */
#include "profilers/probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void et_probe_set(et_probe *p, et_avail status, int errnum, const char *hint, const char *fmt, ...) {
    p->status = status;
    p->errnum = errnum;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, sizeof p->why, fmt, ap);
    va_end(ap);
    snprintf(p->hint, sizeof p->hint, "%s", hint ? hint : "");
}

et_avail et_avail_from_errno(int errnum) {
    switch (errnum) {
    case 0: return ET_AVAIL_OK;
    case ENOENT:
    case ENODEV:
    case ENXIO:
    case EOPNOTSUPP:
    case ENOSYS: return ET_AVAIL_UNSUPPORTED;
    case EACCES:
    case EPERM: return ET_AVAIL_NO_PERMISSION;
    case EINVAL: return ET_AVAIL_INVALID;
    default: return ET_AVAIL_ERROR;
    }
}

/* CapEff is a hex mask; CAP_SYS_ADMIN = 21, CAP_PERFMON = 38 (Linux 5.8). */
static bool cap_perfmon_from_status(const char *status, bool *known) {
    char hex[32];
    unsigned long long mask = 0;
    *known = et_text_field_str(status, "CapEff", hex, sizeof hex) && sscanf(hex, "%llx", &mask) == 1;
    return *known && ((mask >> 21 & 1) || (mask >> 38 & 1));
}

void et_perf_env_read(const et_sysroot *sr, et_perf_env *out) {
    memset(out, 0, sizeof *out);
    int64_t v = 2;
    out->perf_present = et_sys_read_i64(sr, "proc/sys/kernel/perf_event_paranoid", &v) == 0;
    out->paranoid = (int)v;
    char status[4096];
    if (et_sys_read(sr, "proc/self/status", status, sizeof status) > 0)
        out->cap_perfmon = cap_perfmon_from_status(status, &out->caps_known);
    out->kernel_ok = out->paranoid <= 1 || out->cap_perfmon;
    out->user_ok = out->paranoid <= 2 || out->cap_perfmon;
    out->cpu_wide_ok = out->paranoid <= 0 || out->cap_perfmon;
    char cpuinfo[8192];
    if (et_sys_read(sr, "proc/cpuinfo", cpuinfo, sizeof cpuinfo) > 0) {
        char flags[4096];
        if (et_text_field_str(cpuinfo, "flags", flags, sizeof flags))
            out->hypervisor = strstr(flags, " hypervisor") != NULL || strncmp(flags, "hypervisor", 10) == 0;
    }
    int64_t wd = -1;
    out->nmi_watchdog = et_sys_read_i64(sr, "proc/sys/kernel/nmi_watchdog", &wd) == 0 ? (int)wd : -1;
}

const char *et_perf_permission_hint(const et_perf_env *env) {
    if (env->paranoid >= 3)
        return "perf_event_paranoid >= 3 blocks every unprivileged perf_event_open (Debian/Ubuntu patch): run "
               "'sudo sysctl kernel.perf_event_paranoid=2' (persist in /etc/sysctl.d/), or give edgetune "
               "CAP_PERFMON: 'sudo setcap cap_perfmon+ep $(command -v edgetune)'";
    return "counting kernel mode needs perf_event_paranoid <= 1: run 'sudo sysctl kernel.perf_event_paranoid=1', "
           "or give edgetune CAP_PERFMON: 'sudo setcap cap_perfmon+ep $(command -v edgetune)'";
}
