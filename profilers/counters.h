/* counters.h: hardware and software counters of the engine threads through libpfm4 and perf_event_open.
 *
 * Life of a counter set:
 *   create   encode the names with libpfm4 (an unknown name is the only hard error), read the permission context,
 *            decide each event's availability (a trial open on the calling thread when `trial`, else from sysfs),
 *            and plan groups: one group per PMU, at most as many members as the PMU has counters.
 *   start    open every group once per engine thread (pid = TID, no inherit: threads not listed, such as the UI
 *            and the power sampler, are never counted), RESET and ENABLE each leader. If the kernel refuses
 *            PERF_FORMAT_GROUP with EINVAL (old kernels), everything is reopened ungrouped.
 *   stop     DISABLE, read every group, scale (raw * enabled / running), close the descriptors.
 *   read     the et_counter list with per-inference values.
 * No allocation between start and stop; start may be called again after stop.
 *
 * Context switches and migrations only count in kernel mode; without that permission they are read from
 * /proc/self/task/TID/status (voluntary + nonvoluntary switches) and .../sched (se.nr_migrations) instead, and
 * say so.
 *
 * Scaling (README.md section 1): estimate = raw * enabled / running in long double per thread and group; a
 * group that was enabled but never running was NOT COUNTED, which is different from zero, and is reported so. */
#ifndef ET_PROFILERS_COUNTERS_H
#define ET_PROFILERS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "profilers/perf_ops.h"
#include "profilers/probe.h"
#include "profilers/sysroot.h"
#include "record/result.h"
#include "util/status.h"

enum { ET_MAX_EVENTS = 32, ET_MAX_GROUP = 16 };

typedef struct et_event {
    char name[ET_NAME_MAX]; /* with explicit PMU: "perf::CYCLES" */
    char label[64];         /* "cycles", "cache-misses (LLC)" */
    struct perf_event_attr attr;
    bool optional;     /* dropped from the result when this CPU lacks it (stalled cycles) */
    bool needs_kernel; /* only ever counts in kernel mode (context switches, migrations) */
    bool hardware;     /* counted by a hardware PMU */
    int proc_source;   /* needs_kernel events without kernel permission, read from /proc instead:
                                     0 none, 1 context switches (task status), 2 migrations (task sched) */
    int pmu_class;     /* events of one class may share a group */
    int group;         /* index into groups, -1 when not opened */
    et_probe probe;
    /* accumulated by stop() over threads */
    uint64_t raw, enabled_ns, running_ns;
    long double estimate;
    bool uncounted; /* some thread's group was enabled but never running */
} et_event;

typedef struct et_counter_group {
    int n;
    int member[ET_MAX_GROUP]; /* event indices; member[0] leads */
} et_counter_group;

typedef struct et_counters {
    const et_perf_ops *ops;
    const et_sysroot *sr; /* for the /proc fallbacks; owned by the caller, outlives the set */
    et_perf_env env;
    bool hw_pmu_in_sysfs; /* a cpu / armv8 PMU under sys/bus/event_source/devices */
    char hw_pmu_name[64]; /* its sysfs name, or "" */
    int group_cap;        /* most events in one hardware group */
    bool grouped;         /* PERF_FORMAT_GROUP accepted (false after the EINVAL fallback) */
    int n_events;
    et_event ev[ET_MAX_EVENTS];
    int n_groups;
    et_counter_group groups[ET_MAX_EVENTS];
    /* one run (start..stop) */
    int n_tids, cap_tids;
    pid_t *tids;
    int *fds; /* [tid * n_events + event], -1 when not open */
    uint64_t *ids;
    uint64_t *proc_base; /* [tid * n_events + event]: /proc value at start, for proc_source events */
    bool *tid_gone;      /* thread exited before start (ESRCH) */
    int64_t t_start_ns, t_stop_ns;
    bool running;
} et_counters;

/* Creates a counter set. sr must outlive it. events: NULL or "" for the default set, else a comma list of libpfm4 names (the software
 * events task-clock, context-switches, cpu-migrations and page-faults are always added). Fails with ET_E_USAGE
 * naming the first unknown event, ET_E_RUNTIME when libpfm4 cannot initialise, ET_E_NOMEM. trial: open each event
 * once on the calling thread to learn what the kernel accepts (false under a fixture sysroot, where availability
 * comes from the tree). ops: NULL for the real system calls. The caller owns *out (et_counters_destroy). */
et_status et_counters_create(const char *events, const et_sysroot *sr, const et_perf_ops *ops, bool trial,
                             et_counters **out, et_err *err);
void et_counters_start(et_counters *c, const pid_t *tids, int n_tids);
void et_counters_stop(et_counters *c);
/* Allocates *out (owned by the caller) with one entry per reported event; returns the count (0 with *out NULL on
 * allocation failure). Values are totals over the counted window; value_per_inf divides by iterations. */
int et_counters_read(const et_counters *c, int iterations, et_counter **out);
void et_counters_destroy(et_counters *c);

/* Availability of the hardware or the software events, for doctor: OK when any works (hint and errno of the
 * first that does not), else the first failure. text gets what works and what does not, and why. */
void et_counters_summary(const et_counters *c, bool hardware, et_probe *out, char *text, size_t cap);

/* --- maths, exposed for tests ------------------------------------------------------------------------------- */
/* Parses a PERF_FORMAT_GROUP|ID|TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING buffer of n_bytes: {nr, ena, run,
 * {value, id}[nr]}. For each of the n ids writes its value (0 when the id is absent, which returns -ENOENT).
 * Returns 0, -EINVAL for a short or inconsistent buffer, -ENOENT when an id is missing. */
int et_perf_parse_group(const void *buf, size_t n_bytes, const uint64_t *ids, int n, uint64_t *values, uint64_t *ena,
                        uint64_t *run);
/* Parses a single-event {value, ena, run, id} buffer (TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING|ID). */
int et_perf_parse_single(const void *buf, size_t n_bytes, uint64_t *value, uint64_t *ena, uint64_t *run);
/* raw * ena / run; 0 when run == 0 (not counted: the caller must say so, it is not a zero). */
long double et_perf_scale(uint64_t raw, uint64_t ena, uint64_t run);

/* --- libpfm4 -------------------------------------------------------------------------------------------------- */
/* Initialises libpfm4 once (thread-safe); returns PFM_SUCCESS (0) or a libpfm error code. */
int et_pfm_init(void);
/* Encodes one name for perf_event_open. kernel: count kernel mode too. On success fills attr, the name with its
 * PMU ("perf::CYCLES") and returns 0; else the libpfm error code (use pfm_strerror). */
int et_pfm_encode(const char *name, bool kernel, struct perf_event_attr *attr, char *full, size_t cap);
/* Counters of the core PMU libpfm4 recognised (general + fixed), or 0 when none. */
int et_pfm_core_counters(char *pmu_name, size_t cap);

/* Lists the PMUs and events libpfm4 knows for this machine, saying for each PMU whether the kernel can count it
 * here. sr/ops as for et_counters_create. Returns ET_E_RUNTIME when libpfm4 fails to initialise. */
et_status et_counters_list_events_at(FILE *out, const et_sysroot *sr, const et_perf_ops *ops, et_err *err);

#endif
