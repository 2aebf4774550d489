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

/* Fills the channels for one event (one per package CPU in cpumask); false when the event is not there. */
static bool setup_event(et_power_source *s, const char *event, int64_t type, char *cpumask, size_t mask_cap) {
    char path[128], cfg[64];
    snprintf(path, sizeof path, "sys/bus/event_source/devices/power/events/%s", event);
    const char *ev = et_sys_read(s->sr, path, cfg, sizeof cfg) > 0 ? strstr(cfg, "event=") : NULL;
    if (!ev)
        return false;
    uint64_t config = strtoull(ev + 6, NULL, 0);
    double scale_j = 0;
    snprintf(path, sizeof path, "sys/bus/event_source/devices/power/events/%s.scale", event);
    if (et_sys_read_double(s->sr, path, &scale_j) < 0 || !(scale_j > 0))
        scale_j = 1.0 / 4294967296.0; /* 2^-32 J, what every RAPL PMU reports */
    snprintf(cpumask, mask_cap, "0");
    et_sys_read(s->sr, "sys/bus/event_source/devices/power/cpumask", cpumask, mask_cap);
    bool cpus[1024];
    if (et_cpu_list_parse(cpumask, cpus, 1024) <= 0)
        return false;
    s->n_channels = 0;
    for (int cpu = 0; cpu < 1024 && s->n_channels < ET_POWER_MAX_CHANNELS; cpu++) {
        if (!cpus[cpu])
            continue;
        et_power_channel *c = &s->ch[s->n_channels++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s cpu%d", event, cpu);
        c->cpu = cpu;
        c->perf_type = (uint32_t)type;
        c->perf_config = config;
        c->scale = scale_j * 1e6;
        c->fd = -1;
    }
    snprintf(s->label, sizeof s->label, "rapl-perf:%s", event);
    s->partial = strcmp(event, "energy-pkg") == 0;
    s->detail[0] = '\0';
    et_power_detail_add(s, "power PMU type %lld, %s on %d package(s) (cpumask %s), %.3g J per count", (long long)type,
                        event, s->n_channels, cpumask, scale_j);
    return true;
}

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
    s->kind = ET_POWER_ENERGY;
    s->interval_ms = 100;
    /* psys first: it includes the package (README.md section 2) */
    static const char *const candidates[] = {"energy-psys", "energy-pkg"};
    char dead[96] = "";
    bool any = false;
    for (int i = 0; i < 2; i++) {
        char cpumask[128];
        if (!setup_event(s, candidates[i], type, cpumask, sizeof cpumask))
            continue;
        any = true;
        if (!s->penv->cpu_wide_ok) {
            et_probe_set(&s->probe, ET_AVAIL_NO_PERMISSION, EACCES,
                         "run 'sudo sysctl kernel.perf_event_paranoid=0', or give edgetune CAP_PERFMON: "
                         "'sudo setcap cap_perfmon+ep $(command -v edgetune)' (or read RAPL through powercap)",
                         "system-wide perf events need perf_event_paranoid <= 0 or CAP_PERFMON (paranoid=%d)",
                         s->penv->paranoid);
            return;
        }
        if (!s->trial) {
            et_probe_set(&s->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
            return;
        }
        double delta_uj = 0;
        int e = et_power_check_advance(s, 30, &delta_uj);
        if (e < 0) {
            et_probe_set(&s->probe, et_avail_from_errno(-e), -e, NULL, "perf_event_open(power/%s): %s", candidates[i],
                         et_errno_name(-e));
            return;
        }
        if (delta_uj > 0) {
            et_probe_set(&s->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
            return;
        }
        snprintf(dead + strlen(dead), sizeof dead - strlen(dead), "%s%s", dead[0] ? ", " : "", candidates[i]);
    }
    s->n_channels = 0;
    s->label[0] = '\0';
    if (!any)
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT, NULL,
                     "the perf power PMU has no energy-pkg or energy-psys event");
    else
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENODATA,
                     "nothing to do in a VM; on bare metal check that RAPL is enabled in the firmware",
                     "the perf power PMU opens but %s did not advance in 30 ms: RAPL without the hardware behind "
                     "it (typical of a VM)",
                     dead);
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

const et_power_ops et_power_rapl_perf_ops = {"rapl-perf", "RAPL (perf power PMU)", probe, start, sample,
                                             stop,        et_power_read_label};
