/* power_rapl_perf.c: RAPL through the perf `power` PMU (sys/bus/event_source/devices/power).
 *
 * events/energy-pkg holds "event=0xNN", energy-pkg.scale the Joules per count (2^-32). The counters are
 * per package, so one event is opened per CPU listed in cpumask, with pid = -1 (system-wide), never sampling.
 * That needs perf_event_paranoid <= 0 or CAP_PERFMON. The kernel extends them to 64 bits: no wrap handling.
 * psys is preferred over pkg for the same reason as in powercap (psys includes the package). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profilers/power.h"

static void probe(et_power_source *s) {
    int64_t type = 0;
    int r = et_sys_read_i64(s->sr, "sys/bus/event_source/devices/power/type", &type);
    if (r < 0) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, -r,
                     "needs a bare-metal Intel, or AMD Zen, CPU with the RAPL perf driver",
                     "no perf power PMU (sys/bus/event_source/devices/power)");
        return;
    }
    s->relevant = true;
    const char *event = NULL;
    char cfg[64];
    static const char *const candidates[] = {"energy-psys", "energy-pkg"};
    for (int i = 0; i < 2 && !event; i++) {
        char path[128];
        snprintf(path, sizeof path, "sys/bus/event_source/devices/power/events/%s", candidates[i]);
        if (et_sys_read(s->sr, path, cfg, sizeof cfg) > 0)
            event = candidates[i];
    }
    const char *ev = event ? strstr(cfg, "event=") : NULL;
    if (!ev) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT, NULL,
                     "the perf power PMU has no energy-pkg or energy-psys event");
        return;
    }
    uint64_t config = strtoull(ev + 6, NULL, 0);
    char path[128];
    double scale_j = 0;
    snprintf(path, sizeof path, "sys/bus/event_source/devices/power/events/%s.scale", event);
    if (et_sys_read_double(s->sr, path, &scale_j) < 0 || !(scale_j > 0))
        scale_j = 1.0 / 4294967296.0; /* 2^-32 J, what every RAPL PMU reports */
    char cpumask[128] = "0";
    et_sys_read(s->sr, "sys/bus/event_source/devices/power/cpumask", cpumask, sizeof cpumask);
    bool cpus[1024];
    if (et_cpu_list_parse(cpumask, cpus, 1024) <= 0) {
        et_probe_set(&s->probe, ET_AVAIL_ERROR, EINVAL, NULL, "power PMU cpumask '%s' does not parse", cpumask);
        return;
    }
    s->kind = ET_POWER_ENERGY;
    s->interval_ms = 100;
    for (int cpu = 0; cpu < 1024 && s->n_channels < ET_POWER_MAX_CHANNELS; cpu++) {
        if (!cpus[cpu])
            continue;
        et_power_channel *c = &s->ch[s->n_channels++];
        snprintf(c->name, sizeof c->name, "%s cpu%d", event, cpu);
        c->cpu = cpu;
        c->perf_type = (uint32_t)type;
        c->perf_config = config;
        c->scale = scale_j * 1e6;
        c->wrap_uj = 0;
        c->fd = -1;
    }
    snprintf(s->label, sizeof s->label, "rapl-perf:%s", event);
    s->partial = strcmp(event, "energy-pkg") == 0;
    et_power_detail_add(s, "power PMU type %lld, %s on %d package(s) (cpumask %s), %.3g J per count", (long long)type,
                        event, s->n_channels, cpumask, scale_j);
    if (!s->penv->cpu_wide_ok) {
        et_probe_set(&s->probe, ET_AVAIL_NO_PERMISSION, EACCES,
                     "run 'sudo sysctl kernel.perf_event_paranoid=0', or give edgetune CAP_PERFMON: "
                     "'sudo setcap cap_perfmon+ep $(command -v edgetune)' (or read RAPL through powercap)",
                     "system-wide perf events need perf_event_paranoid <= 0 or CAP_PERFMON (paranoid=%d)",
                     s->penv->paranoid);
        return;
    }
    et_probe_set(&s->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
    if (s->trial) {
        int e = s->ops->start(s);
        s->ops->stop(s);
        if (e < 0)
            et_probe_set(&s->probe, et_avail_from_errno(-e), -e, NULL, "perf_event_open(power/%s): %s", event,
                         et_errno_name(-e));
    }
}

static int start(et_power_source *s) {
    for (int i = 0; i < s->n_channels; i++) {
        et_power_channel *c = &s->ch[i];
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.type = c->perf_type;
        a.config = c->perf_config;
        int fd = s->perf->open(s->perf->ctx, &a, -1, c->cpu, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            for (int k = 0; k < i; k++)
                s->perf->close(s->perf->ctx, s->ch[k].fd), s->ch[k].fd = -1;
            return fd;
        }
        c->fd = fd;
    }
    return 0;
}

static int sample(et_power_source *s, et_power_raw *out) {
    out->n = s->n_channels;
    for (int i = 0; i < s->n_channels; i++) {
        uint64_t count = 0;
        long got = s->perf->read(s->perf->ctx, s->ch[i].fd, &count, sizeof count);
        if (got < 0)
            return (int)got;
        if (got != (long)sizeof count)
            return -EIO;
        out->value[i] = (double)count * s->ch[i].scale;
        out->wrap_uj[i] = 0;
    }
    return 0;
}

static void stop(et_power_source *s) {
    for (int i = 0; i < s->n_channels; i++)
        if (s->ch[i].fd >= 0) {
            s->perf->close(s->perf->ctx, s->ch[i].fd);
            s->ch[i].fd = -1;
        }
}

const et_power_ops et_power_rapl_perf_ops = {"rapl-perf", "RAPL (perf power PMU)", probe, start, sample, stop,
                                             et_power_read_label};
