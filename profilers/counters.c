/* counters.c: the counter set: which events, which can be counted here and why not, groups, and the per-thread
 * open / enable / disable / read cycle (design in counters.h). */
#include "profilers/counters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <perfmon/pfmlib_perf_event.h>

enum { CLASS_CORE = 0, CLASS_SOFTWARE = 1, CLASS_OTHER = 100 };

/* The default set: IPC, caches and branches, stalled cycles where the CPU has them. */
static const struct {
    const char *name;
    bool optional;
} default_events[] = {
    {"perf::CYCLES", false},
    {"perf::INSTRUCTIONS", false},
    {"perf::CACHE-REFERENCES", false},
    {"perf::CACHE-MISSES", false},
    {"perf::BRANCH-MISSES", false},
    {"perf::STALLED-CYCLES-FRONTEND", true},
    {"perf::STALLED-CYCLES-BACKEND", true},
};
/* Always counted: they work without a hardware PMU. */
static const char *const always_events[] = {"perf::TASK-CLOCK", "perf::CONTEXT-SWITCHES", "perf::CPU-MIGRATIONS",
                                            "perf::PAGE-FAULTS"};

#if defined(__aarch64__) || defined(__arm__)
#define CACHE_LEVEL "L1D"
#else
#define CACHE_LEVEL "LLC"
#endif

static void label_for(et_event *e) {
    const struct perf_event_attr *a = &e->attr;
    const char *l = NULL;
    if (a->type == PERF_TYPE_HARDWARE) {
        switch (a->config) {
        case PERF_COUNT_HW_CPU_CYCLES: l = "cycles"; break;
        case PERF_COUNT_HW_INSTRUCTIONS: l = "instructions"; break;
        case PERF_COUNT_HW_CACHE_REFERENCES: l = "cache-references (" CACHE_LEVEL ")"; break;
        case PERF_COUNT_HW_CACHE_MISSES: l = "cache-misses (" CACHE_LEVEL ")"; break;
        case PERF_COUNT_HW_BRANCH_INSTRUCTIONS: l = "branches"; break;
        case PERF_COUNT_HW_BRANCH_MISSES: l = "branch-misses"; break;
        case PERF_COUNT_HW_BUS_CYCLES: l = "bus-cycles"; break;
        case PERF_COUNT_HW_STALLED_CYCLES_FRONTEND: l = "stalled-cycles-frontend"; break;
        case PERF_COUNT_HW_STALLED_CYCLES_BACKEND: l = "stalled-cycles-backend"; break;
        case PERF_COUNT_HW_REF_CPU_CYCLES: l = "ref-cycles"; break;
        default: break;
        }
    } else if (a->type == PERF_TYPE_SOFTWARE) {
        switch (a->config) {
        case PERF_COUNT_SW_CPU_CLOCK: l = "cpu-clock (ns)"; break;
        case PERF_COUNT_SW_TASK_CLOCK: l = "task-clock (ns)"; break;
        case PERF_COUNT_SW_PAGE_FAULTS: l = "page-faults"; break;
        case PERF_COUNT_SW_CONTEXT_SWITCHES: l = "context-switches"; break;
        case PERF_COUNT_SW_CPU_MIGRATIONS: l = "cpu-migrations"; break;
        case PERF_COUNT_SW_PAGE_FAULTS_MIN: l = "minor-faults"; break;
        case PERF_COUNT_SW_PAGE_FAULTS_MAJ: l = "major-faults"; break;
        default: break;
        }
    }
    if (l) {
        snprintf(e->label, sizeof e->label, "%s", l);
        return;
    }
    const char *s = strstr(e->name, "::");
    snprintf(e->label, sizeof e->label, "%s", s ? s + 2 : e->name);
}

static void classify(et_event *e) {
    uint32_t t = e->attr.type;
    e->hardware = t != PERF_TYPE_SOFTWARE && t != PERF_TYPE_TRACEPOINT && t != PERF_TYPE_BREAKPOINT;
    e->pmu_class = (t == PERF_TYPE_HARDWARE || t == PERF_TYPE_HW_CACHE || t == PERF_TYPE_RAW) ? CLASS_CORE
                   : t == PERF_TYPE_SOFTWARE                                                  ? CLASS_SOFTWARE
                                                                                              : CLASS_OTHER + (int)t;
    /* Context switches and migrations are raised from kernel context: with exclude_kernel they silently count 0. */
    e->needs_kernel = t == PERF_TYPE_SOFTWARE && (e->attr.config == PERF_COUNT_SW_CONTEXT_SWITCHES ||
                                                  e->attr.config == PERF_COUNT_SW_CPU_MIGRATIONS);
}

static bool same_event(const struct perf_event_attr *a, const struct perf_event_attr *b) {
    return a->type == b->type && a->config == b->config && a->config1 == b->config1 && a->config2 == b->config2 &&
           a->exclude_kernel == b->exclude_kernel && a->exclude_user == b->exclude_user;
}

static et_status add_event(et_counters *c, const char *name, bool optional, et_err *err) {
    if (c->n_events >= ET_MAX_EVENTS)
        return et_fail(err, ET_E_USAGE, "--events: too many events (at most %d with the 4 software events)",
                       ET_MAX_EVENTS);
    et_event *e = &c->ev[c->n_events];
    memset(e, 0, sizeof *e);
    int r = et_pfm_encode(name, c->env.kernel_ok, &e->attr, e->name, sizeof e->name);
    if (r != PFM_SUCCESS)
        return et_fail(err, ET_E_USAGE,
                       "--events: unknown event '%s' (libpfm4: %s); 'edgetune doctor --events' "
                       "lists the events of this machine",
                       name, pfm_strerror(r));
    for (int i = 0; i < c->n_events; i++)
        if (same_event(&c->ev[i].attr, &e->attr))
            return ET_OK; /* listed twice, or a default the user named again */
    e->optional = optional;
    e->group = -1;
    classify(e);
    label_for(e);
    c->n_events++;
    return ET_OK;
}

/* The /proc value of a proc_source event for one thread; -errno when it cannot be read. */
static int proc_value(const et_sysroot *sr, int source, pid_t tid, uint64_t *out) {
    char path[96], text[4096];
    snprintf(path, sizeof path, "proc/self/task/%d/%s", (int)tid, source == 1 ? "status" : "sched");
    int n = et_sys_read(sr, path, text, sizeof text);
    if (n < 0)
        return n;
    int64_t a = 0, b = 0;
    if (source == 1) {
        if (!et_text_field_i64(text, "voluntary_ctxt_switches", &a) ||
            !et_text_field_i64(text, "nonvoluntary_ctxt_switches", &b))
            return -ENODATA;
    } else if (!et_text_field_i64(text, "se.nr_migrations", &a)) {
        return -ENODATA;
    }
    *out = (uint64_t)(a + b);
    return 0;
}

static void detect_hw_pmu(et_counters *c, const et_sysroot *sr) {
    char names[64][ET_SYS_NAME_MAX];
    int n = et_sys_list(sr, "sys/bus/event_source/devices", NULL, names, 64);
    for (int i = 0; i < n && i < 64; i++) {
        const char *d = names[i];
        if (strcmp(d, "cpu") == 0 || strcmp(d, "cpu_core") == 0 || strcmp(d, "cpu_atom") == 0 ||
            strncmp(d, "armv8_", 6) == 0 || strncmp(d, "armv7_", 6) == 0) {
            c->hw_pmu_in_sysfs = true;
            snprintf(c->hw_pmu_name, sizeof c->hw_pmu_name, "%s", d);
            return;
        }
    }
}

/* The reason a hardware or software event could not be opened, in the user's terms. */
static void explain_open_failure(const et_counters *c, et_event *e, int errnum) {
    et_avail s = et_avail_from_errno(errnum);
    const char *en = et_errno_name(errnum);
    if (errnum == EBUSY) {
        et_probe_set(&e->probe, s, errnum,
                     "stop other profilers; on x86 the NMI watchdog holds a counter: "
                     "'sudo sysctl kernel.nmi_watchdog=0'",
                     "perf_event_open(%s): EBUSY: the counter is in use", e->name);
    } else if (s == ET_AVAIL_UNSUPPORTED && e->hardware && e->pmu_class == CLASS_CORE && !c->hw_pmu_in_sysfs) {
        et_probe_set(&e->probe, s, errnum,
                     c->env.hypervisor ? "enable the virtual PMU in the hypervisor (QEMU/KVM: -cpu host,pmu=on; "
                                         "VMware: virtualize CPU performance counters); most cloud VMs have none"
                                       : "load the CPU's PMU driver (dmesg | grep -i pmu)",
                     "perf_event_open(%s): %s: the kernel has no hardware PMU%s", e->name, en,
                     c->env.hypervisor ? " (virtual machine without a virtual PMU)" : "");
    } else if (s == ET_AVAIL_UNSUPPORTED) {
        et_probe_set(&e->probe, s, errnum, "pick another event: 'edgetune doctor --events'",
                     "perf_event_open(%s): %s: this CPU or kernel has no such event", e->name, en);
    } else if (s == ET_AVAIL_NO_PERMISSION) {
        et_probe_set(&e->probe, s, errnum, et_perf_permission_hint(&c->env),
                     "perf_event_open(%s): %s: perf_event_paranoid=%d%s", e->name, en, c->env.paranoid,
                     c->env.cap_perfmon ? "" : " and no CAP_PERFMON");
    } else if (errnum == EINVAL) {
        et_probe_set(&e->probe, s, errnum, "pick another event or modifier: 'edgetune doctor --events'",
                     "perf_event_open(%s): EINVAL: the kernel rejects this event's configuration", e->name);
    } else if (errnum == EMFILE || errnum == ENFILE) {
        et_probe_set(&e->probe, s, errnum,
                     "raise the open-file limit ('ulimit -n 4096'): one descriptor per "
                     "event and engine thread",
                     "perf_event_open(%s): %s: out of file descriptors", e->name, en);
    } else {
        et_probe_set(&e->probe, s, errnum, NULL, "perf_event_open(%s): %s (%s)", e->name, en, strerror(errnum));
    }
}

static void decide_availability(et_counters *c, bool trial, const char *root) {
    for (int i = 0; i < c->n_events; i++) {
        et_event *e = &c->ev[i];
        if (!c->env.perf_present) {
            et_probe_set(&e->probe, ET_AVAIL_UNSUPPORTED, ENOSYS, "use a kernel built with CONFIG_PERF_EVENTS=y",
                         "no %s/proc/sys/kernel/perf_event_paranoid: this kernel has no perf events",
                         strcmp(root, "/") ? root : "");
        } else if (e->needs_kernel && !c->env.kernel_ok) {
            int source = e->attr.config == PERF_COUNT_SW_CONTEXT_SWITCHES ? 1 : 2;
            uint64_t v;
            if (proc_value(c->sr, source, (pid_t)syscall(SYS_gettid), &v) == 0) {
                e->proc_source = source;
                et_probe_set(&e->probe, ET_AVAIL_OK, 0, et_perf_permission_hint(&c->env),
                             "from /proc/self/task/TID/%s: perf counts %s only in kernel mode (perf_event_paranoid="
                             "%d, no CAP_PERFMON)",
                             source == 1 ? "status" : "sched", e->label, c->env.paranoid);
            } else {
                et_probe_set(&e->probe, ET_AVAIL_NO_PERMISSION, EACCES, et_perf_permission_hint(&c->env),
                             "%s happen in the kernel: user-only counting (perf_event_paranoid=%d, no CAP_PERFMON) "
                             "would report 0",
                             e->label, c->env.paranoid);
            }
        } else if (trial) {
            struct perf_event_attr a = e->attr;
            a.disabled = 1;
            int fd = c->ops->open(c->ops->ctx, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
            if (fd >= 0) {
                c->ops->close(c->ops->ctx, fd);
                et_probe_set(&e->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
            } else {
                explain_open_failure(c, e, -fd);
            }
        } else if (!c->env.user_ok) {
            et_probe_set(&e->probe, ET_AVAIL_NO_PERMISSION, EACCES, et_perf_permission_hint(&c->env),
                         "perf_event_paranoid=%d and no CAP_PERFMON: unprivileged perf_event_open is refused",
                         c->env.paranoid);
        } else if (e->hardware && e->pmu_class == CLASS_CORE && !c->hw_pmu_in_sysfs) {
            explain_open_failure(c, e, ENOENT);
            snprintf(e->probe.why, sizeof e->probe.why, "no hardware PMU in /sys/bus/event_source/devices%s",
                     c->env.hypervisor ? " (virtual machine without a virtual PMU)" : "");
        } else {
            et_probe_set(&e->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
        }
    }
}

static void plan_groups(et_counters *c) {
    c->n_groups = 0;
    for (int i = 0; i < c->n_events; i++) {
        et_event *e = &c->ev[i];
        e->group = -1;
        if (e->probe.status != ET_AVAIL_OK || e->proc_source)
            continue;
        int cap = e->pmu_class == CLASS_CORE ? c->group_cap : ET_MAX_GROUP;
        int g = -1;
        for (int k = 0; k < c->n_groups && g < 0; k++) {
            const et_counter_group *grp = &c->groups[k];
            if (c->ev[grp->member[0]].pmu_class == e->pmu_class && c->ev[grp->member[0]].attr.type == e->attr.type &&
                grp->n < cap)
                g = k;
            /* HARDWARE and HW_CACHE/RAW events share the core PMU: group them together */
            else if (e->pmu_class == CLASS_CORE && c->ev[grp->member[0]].pmu_class == CLASS_CORE && grp->n < cap)
                g = k;
        }
        if (g < 0) {
            g = c->n_groups++;
            c->groups[g].n = 0;
        }
        c->groups[g].member[c->groups[g].n++] = i;
        e->group = g;
    }
}

et_status et_counters_create(const char *events, const et_sysroot *sr, const et_perf_ops *ops, bool trial,
                             et_counters **out, et_err *err) {
    *out = NULL;
    int r = et_pfm_init();
    if (r != PFM_SUCCESS)
        return et_fail(err, ET_E_RUNTIME, "libpfm4 failed to initialise: %s", pfm_strerror(r));
    et_counters *c = calloc(1, sizeof *c);
    if (!c)
        return et_fail(err, ET_E_NOMEM, "out of memory for the counter set");
    c->ops = ops ? ops : et_perf_ops_system();
    c->sr = sr;
    c->grouped = true;
    et_perf_env_read(sr, &c->env);
    detect_hw_pmu(c, sr);
    char core_pmu[64];
    int n_cntrs = et_pfm_core_counters(core_pmu, sizeof core_pmu);
    c->group_cap = n_cntrs > 0 ? n_cntrs : 4;
    if (c->env.nmi_watchdog == 1)
        c->group_cap--;
    if (c->group_cap < 2)
        c->group_cap = 2;
    if (c->group_cap > ET_MAX_GROUP)
        c->group_cap = ET_MAX_GROUP;

    et_status st = ET_OK;
    if (!events || !*events) {
        for (size_t i = 0; i < sizeof default_events / sizeof default_events[0] && st == ET_OK; i++)
            st = add_event(c, default_events[i].name, default_events[i].optional, err);
    } else {
        char list[1024];
        if (strlen(events) >= sizeof list) {
            free(c);
            return et_fail(err, ET_E_USAGE, "--events: list too long (at most %zu characters)", sizeof list - 1);
        }
        snprintf(list, sizeof list, "%s", events);
        char *save = NULL;
        for (char *tok = strtok_r(list, ",", &save); tok && st == ET_OK; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            size_t len = strlen(tok);
            while (len && tok[len - 1] == ' ')
                tok[--len] = '\0';
            if (*tok)
                st = add_event(c, tok, false, err);
        }
    }
    for (size_t i = 0; i < sizeof always_events / sizeof always_events[0] && st == ET_OK; i++)
        st = add_event(c, always_events[i], false, err);
    if (st != ET_OK) {
        free(c);
        return st;
    }
    decide_availability(c, trial, sr->path);
    plan_groups(c);
    *out = c;
    return ET_OK;
}

/* --- one run ------------------------------------------------------------------------------------------------- */

static int *fd_at(et_counters *c, int t, int e) { return &c->fds[(size_t)t * (size_t)c->n_events + (size_t)e]; }

static void close_all(et_counters *c) {
    for (int t = 0; t < c->n_tids; t++)
        for (int e = 0; e < c->n_events; e++) {
            int *fd = fd_at(c, t, e);
            if (*fd >= 0)
                c->ops->close(c->ops->ctx, *fd);
            *fd = -1;
        }
}

/* Closes one group (or, ungrouped, one event) on every thread and records why it failed. */
static void fail_members(et_counters *c, const int *members, int n, int errnum) {
    for (int m = 0; m < n; m++) {
        int e = members[m];
        for (int t = 0; t < c->n_tids; t++) {
            int *fd = fd_at(c, t, e);
            if (*fd >= 0)
                c->ops->close(c->ops->ctx, *fd);
            *fd = -1;
        }
        explain_open_failure(c, &c->ev[e], errnum);
        c->ev[e].group = -1;
    }
}

enum { OPEN_OK, OPEN_RETRY_UNGROUPED };

static int open_group(et_counters *c, int g) {
    et_counter_group *grp = &c->groups[g];
    for (int t = 0; t < c->n_tids; t++) {
        if (c->tid_gone[t])
            continue;
        int leader_fd = -1;
        for (int m = 0; m < grp->n; m++) {
            int e = grp->member[m];
            if (c->ev[e].group != g)
                continue; /* failed earlier (ungrouped mode drops single events) */
            struct perf_event_attr a = c->ev[e].attr;
            bool leads = c->grouped ? leader_fd < 0 : true;
            a.disabled = leads;
            a.inherit = 0;
            a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID |
                            (c->grouped ? PERF_FORMAT_GROUP : 0);
            int fd = c->ops->open(c->ops->ctx, &a, c->tids[t], -1, leads ? -1 : leader_fd, PERF_FLAG_FD_CLOEXEC);
            if (fd < 0) {
                int errnum = -fd;
                if (errnum == EINVAL && c->grouped)
                    return OPEN_RETRY_UNGROUPED;
                if (errnum == ESRCH) { /* the thread exited: it runs nothing, count the rest */
                    c->tid_gone[t] = true;
                    for (int k = 0; k < c->n_events; k++) {
                        int *f = fd_at(c, t, k);
                        if (*f >= 0)
                            c->ops->close(c->ops->ctx, *f);
                        *f = -1;
                    }
                    break;
                }
                if (c->grouped)
                    fail_members(c, grp->member, grp->n, errnum);
                else
                    fail_members(c, &e, 1, errnum);
                if (c->grouped)
                    return OPEN_OK;
                continue;
            }
            *fd_at(c, t, e) = fd;
            if (leads)
                leader_fd = fd;
            uint64_t id = 0;
            c->ops->ioctl(c->ops->ctx, fd, PERF_EVENT_IOC_ID, (unsigned long)&id);
            c->ids[(size_t)t * (size_t)c->n_events + (size_t)e] = id;
        }
    }
    return OPEN_OK;
}

static bool ensure_capacity(et_counters *c, int n_tids) {
    if (n_tids <= c->cap_tids)
        return true;
    size_t slots = (size_t)n_tids * (size_t)c->n_events;
    int *fds = realloc(c->fds, slots * sizeof *fds);
    if (fds)
        c->fds = fds;
    uint64_t *ids = realloc(c->ids, slots * sizeof *ids);
    if (ids)
        c->ids = ids;
    pid_t *tids = realloc(c->tids, (size_t)n_tids * sizeof *tids);
    if (tids)
        c->tids = tids;
    bool *gone = realloc(c->tid_gone, (size_t)n_tids * sizeof *gone);
    if (gone)
        c->tid_gone = gone;
    uint64_t *base = realloc(c->proc_base, slots * sizeof *base);
    if (base)
        c->proc_base = base;
    if (!fds || !ids || !tids || !gone || !base)
        return false;
    c->cap_tids = n_tids;
    return true;
}

static void ioctl_leaders(et_counters *c, unsigned long request) {
    for (int t = 0; t < c->n_tids; t++)
        for (int g = 0; g < c->n_groups; g++)
            for (int m = 0; m < c->groups[g].n; m++) {
                int e = c->groups[g].member[m];
                int fd = *fd_at(c, t, e);
                if (fd < 0 || c->ev[e].group != g)
                    continue;
                c->ops->ioctl(c->ops->ctx, fd, request, c->grouped ? PERF_IOC_FLAG_GROUP : 0);
                if (c->grouped)
                    break; /* the first open member leads */
            }
}

static void accumulate(et_event *e, uint64_t value, uint64_t ena, uint64_t run) {
    e->raw += value;
    e->enabled_ns += ena;
    e->running_ns += run;
    if (run > 0)
        e->estimate += et_perf_scale(value, ena, run);
    else if (ena > 0)
        e->uncounted = true;
}

/* The /proc fallbacks: base values at start, advances at stop (accounted over the whole window). */
static void read_proc_events(et_counters *c, bool stop) {
    for (int e = 0; e < c->n_events; e++) {
        et_event *ev = &c->ev[e];
        if (!ev->proc_source || ev->probe.status != ET_AVAIL_OK)
            continue;
        for (int t = 0; t < c->n_tids; t++) {
            uint64_t v = 0, *base = &c->proc_base[(size_t)t * (size_t)c->n_events + (size_t)e];
            int r = proc_value(c->sr, ev->proc_source, c->tids[t], &v);
            if (r == -ENOENT) { /* the thread is gone */
                c->tid_gone[t] = true;
                continue;
            }
            if (r < 0) {
                et_probe_set(&ev->probe, ET_AVAIL_ERROR, -r, NULL, "reading /proc/self/task/%d for %s: %s",
                             (int)c->tids[t], ev->label, et_errno_name(-r));
                break;
            }
            if (!stop) {
                *base = v;
            } else if (!c->tid_gone[t]) {
                uint64_t window = (uint64_t)(c->t_stop_ns - c->t_start_ns);
                accumulate(ev, v >= *base ? v - *base : 0, window, window);
            }
        }
    }
}

void et_counters_start(et_counters *c, const pid_t *tids, int n_tids) {
    c->running = false;
    if (n_tids <= 0 || c->n_events == 0)
        return;
    if (!ensure_capacity(c, n_tids)) {
        for (int e = 0; e < c->n_events; e++)
            if (c->ev[e].probe.status == ET_AVAIL_OK)
                et_probe_set(&c->ev[e].probe, ET_AVAIL_ERROR, ENOMEM, NULL, "out of memory for %d threads", n_tids);
        c->n_tids = 0;
        return;
    }
    c->n_tids = n_tids;
    memcpy(c->tids, tids, (size_t)n_tids * sizeof *tids);
    memset(c->tid_gone, 0, (size_t)n_tids * sizeof *c->tid_gone);
    for (size_t i = 0; i < (size_t)n_tids * (size_t)c->n_events; i++)
        c->fds[i] = -1, c->ids[i] = 0;
    for (int e = 0; e < c->n_events; e++) {
        et_event *ev = &c->ev[e];
        ev->raw = ev->enabled_ns = ev->running_ns = 0;
        ev->estimate = 0;
        ev->uncounted = false;
    }
    for (int g = 0; g < c->n_groups; g++) {
        if (open_group(c, g) == OPEN_RETRY_UNGROUPED) {
            /* Old kernels refuse PERF_FORMAT_GROUP in some combinations: count each event alone. */
            close_all(c);
            c->grouped = false;
            g = -1;
        }
    }
    read_proc_events(c, false);
    ioctl_leaders(c, PERF_EVENT_IOC_RESET);
    ioctl_leaders(c, PERF_EVENT_IOC_ENABLE);
    c->t_start_ns = c->ops->clock_ns(c->ops->ctx);
    c->running = true;
}

void et_counters_stop(et_counters *c) {
    if (!c->running)
        return;
    ioctl_leaders(c, PERF_EVENT_IOC_DISABLE);
    c->t_stop_ns = c->ops->clock_ns(c->ops->ctx);
    read_proc_events(c, true);
    uint64_t buf[3 + 2 * ET_MAX_GROUP];
    for (int t = 0; t < c->n_tids; t++) {
        for (int g = 0; g < c->n_groups; g++) {
            const et_counter_group *grp = &c->groups[g];
            if (c->grouped) {
                int lead = -1, members[ET_MAX_GROUP], n = 0;
                uint64_t ids[ET_MAX_GROUP], values[ET_MAX_GROUP], ena = 0, run = 0;
                for (int m = 0; m < grp->n; m++) {
                    int e = grp->member[m];
                    if (c->ev[e].group != g || *fd_at(c, t, e) < 0)
                        continue;
                    if (lead < 0)
                        lead = *fd_at(c, t, e);
                    members[n] = e;
                    ids[n++] = c->ids[(size_t)t * (size_t)c->n_events + (size_t)e];
                }
                if (lead < 0)
                    continue;
                long got = c->ops->read(c->ops->ctx, lead, buf, sizeof buf);
                if (got < 0 || et_perf_parse_group(buf, (size_t)got, ids, n, values, &ena, &run) != 0) {
                    for (int k = 0; k < n; k++)
                        et_probe_set(&c->ev[members[k]].probe, ET_AVAIL_ERROR, got < 0 ? (int)-got : EIO, NULL,
                                     "reading the counter group failed (%s)",
                                     got < 0 ? et_errno_name((int)-got) : "short or malformed buffer");
                    continue;
                }
                for (int k = 0; k < n; k++)
                    accumulate(&c->ev[members[k]], values[k], ena, run);
            } else {
                for (int m = 0; m < grp->n; m++) {
                    int e = grp->member[m];
                    int fd = *fd_at(c, t, e);
                    if (c->ev[e].group != g || fd < 0)
                        continue;
                    uint64_t value, ena, run;
                    long got = c->ops->read(c->ops->ctx, fd, buf, sizeof buf);
                    if (got < 0 || et_perf_parse_single(buf, (size_t)got, &value, &ena, &run) != 0) {
                        et_probe_set(&c->ev[e].probe, ET_AVAIL_ERROR, got < 0 ? (int)-got : EIO, NULL,
                                     "reading the counter failed (%s)",
                                     got < 0 ? et_errno_name((int)-got) : "short buffer");
                        continue;
                    }
                    accumulate(&c->ev[e], value, ena, run);
                }
            }
        }
    }
    close_all(c);
    c->running = false;
}

int et_counters_read(const et_counters *c, int iterations, et_counter **out) {
    *out = NULL;
    int n = 0;
    for (int e = 0; e < c->n_events; e++)
        if (!(c->ev[e].optional && c->ev[e].probe.status == ET_AVAIL_UNSUPPORTED))
            n++;
    if (n == 0)
        return 0;
    et_counter *list = calloc((size_t)n, sizeof *list);
    if (!list)
        return 0;
    int k = 0, gone = 0;
    for (int t = 0; t < c->n_tids; t++)
        gone += c->tid_gone[t];
    for (int e = 0; e < c->n_events; e++) {
        const et_event *ev = &c->ev[e];
        if (ev->optional && ev->probe.status == ET_AVAIL_UNSUPPORTED)
            continue;
        et_counter *o = &list[k++];
        snprintf(o->name, sizeof o->name, "%s", ev->name);
        snprintf(o->label, sizeof o->label, "%s", ev->label);
        o->status = ev->probe.status;
        snprintf(o->why, sizeof o->why, "%s", ev->probe.why);
        if (o->status != ET_AVAIL_OK)
            continue;
        o->raw = ev->raw;
        o->enabled_ns = ev->enabled_ns;
        o->running_ns = ev->running_ns;
        o->value = (double)ev->estimate;
        o->value_per_inf = iterations > 0 ? o->value / iterations : 0.0;
        if (ev->enabled_ns > 0 && ev->running_ns == 0)
            snprintf(o->why, sizeof o->why,
                     "not counted: the PMU never scheduled this event's group (more events "
                     "than counters?); the value is unknown, not zero");
        else if (ev->uncounted)
            snprintf(o->why, sizeof o->why, "some threads' share was never scheduled: the value is a lower bound");
        else if (ev->running_ns < ev->enabled_ns)
            snprintf(o->why, sizeof o->why, "multiplexed: counted %.1f%% of the time, scaled by enabled/running",
                     100.0 * (double)ev->running_ns / (double)ev->enabled_ns);
        else if (gone)
            snprintf(o->why, sizeof o->why, "%d of %d threads had exited before the run and were not counted", gone,
                     c->n_tids);
    }
    *out = list;
    return k;
}

void et_counters_destroy(et_counters *c) {
    if (!c)
        return;
    if (c->running) {
        ioctl_leaders(c, PERF_EVENT_IOC_DISABLE);
        close_all(c);
    }
    free(c->fds);
    free(c->ids);
    free(c->proc_base);
    free(c->tids);
    free(c->tid_gone);
    free(c);
}

void et_counters_summary(const et_counters *c, bool hardware, et_probe *out, char *text, size_t cap) {
    char works[256] = "", fails[160] = "";
    size_t wu = 0, fu = 0;
    int n_ok = 0, n_all = 0;
    const et_event *first_bad = NULL;
    for (int e = 0; e < c->n_events; e++) {
        const et_event *ev = &c->ev[e];
        if (ev->hardware != hardware || (ev->optional && ev->probe.status == ET_AVAIL_UNSUPPORTED))
            continue;
        n_all++;
        bool ok = ev->probe.status == ET_AVAIL_OK;
        char *buf = ok ? works : fails;
        size_t *used = ok ? &wu : &fu;
        size_t bcap = ok ? sizeof works : sizeof fails;
        int w = snprintf(buf + *used, bcap - *used, "%s%s", *used ? ", " : "", ev->label);
        if (w > 0 && (size_t)w < bcap - *used)
            *used += (size_t)w;
        if (ok)
            n_ok++;
        else if (!first_bad)
            first_bad = ev;
    }
    if (n_all == 0) {
        et_probe_set(out, ET_AVAIL_NOT_RUN, 0, NULL, "no %s events requested", hardware ? "hardware" : "software");
        snprintf(text, cap, "%s", out->why);
        return;
    }
    if (!first_bad) {
        et_probe_set(out, ET_AVAIL_OK, 0, NULL, "%d of %d work", n_ok, n_all);
        snprintf(text, cap, "%d of %d work: %s", n_ok, n_all, works);
        return;
    }
    *out = first_bad->probe;
    if (n_ok == 0) {
        snprintf(text, cap, "%s", first_bad->probe.why);
        return;
    }
    out->status = ET_AVAIL_OK;
    snprintf(out->why, sizeof out->why, "%d of %d work", n_ok, n_all);
    snprintf(text, cap, "%d of %d work: %s; not %s: %s", n_ok, n_all, works, fails, first_bad->probe.why);
}
