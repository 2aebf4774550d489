/* counters_list.c: `edgetune doctor --events` (and bench --events list): the PMUs and events libpfm4 knows for
 * this machine, and whether the kernel can count them here.
 *
 * libpfm's is_present only says the CPU was recognised, so each hardware PMU is tried with its first event
 * (user mode, on this thread, never enabled); the generic perf PMU is tried event by event because it mixes
 * software events (always there) with hardware ones (absent in a VM). Under a fixture sysroot nothing is opened. */
#include <errno.h>
#include <string.h>

#include "profilers/counters.h" /* before libpfm: it brings <linux/perf_event.h> */

#include <perfmon/pfmlib_perf_event.h>

/* Opens the event once (disabled) to learn whether this kernel counts it; returns 0 or an errno. */
static int try_event(const et_perf_ops *ops, const char *pmu, const char *event) {
    char name[256], full[ET_NAME_MAX];
    snprintf(name, sizeof name, "%s::%s", pmu, event);
    struct perf_event_attr a;
    if (et_pfm_encode(name, false, &a, full, sizeof full) != PFM_SUCCESS)
        return EINVAL;
    a.disabled = 1;
    int fd = ops->open(ops->ctx, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -fd;
    ops->close(ops->ctx, fd);
    return 0;
}

static void print_event(FILE *out, const pfm_pmu_info_t *pi, int idx, const char *mark) {
    pfm_event_info_t ei;
    memset(&ei, 0, sizeof ei);
    ei.size = sizeof ei;
    if (pfm_get_event_info(idx, PFM_OS_PERF_EVENT, &ei) != PFM_SUCCESS)
        return;
    char desc[72];
    snprintf(desc, sizeof desc, "%s", ei.desc ? ei.desc : "");
    char *nl = strchr(desc, '\n');
    if (nl)
        *nl = '\0';
    fprintf(out, "  %s%s::%-40s %s\n", mark, pi->name, ei.name, desc);
    for (int a = 0; a < ei.nattrs; a++) {
        pfm_event_attr_info_t ai;
        memset(&ai, 0, sizeof ai);
        ai.size = sizeof ai;
        if (pfm_get_event_attr_info(idx, a, PFM_OS_PERF_EVENT, &ai) != PFM_SUCCESS || ai.type != PFM_ATTR_UMASK)
            continue;
        fprintf(out, "      :%s\n", ai.name);
    }
}

et_status et_counters_list_events_at(FILE *out, const et_sysroot *sr, const et_perf_ops *ops, et_err *err) {
    int r = et_pfm_init();
    if (r != PFM_SUCCESS)
        return et_fail(err, ET_E_RUNTIME, "libpfm4 failed to initialise: %s", pfm_strerror(r));
    if (!ops)
        ops = et_perf_ops_system();
    bool can_try = sr->is_real;
    fprintf(out, "Events libpfm4 knows for this machine. Use the names with 'bench --events A,B,...'.\n");
    if (!can_try)
        fprintf(out, "(sysroot %s is a fixture tree: nothing was opened; availability is not shown)\n", sr->path);
    else
        fprintf(out, "'-' marks an event the kernel refuses here (tried in user mode on this thread).\n");
    int p;
    pfm_for_all_pmus(p) {
        pfm_pmu_info_t pi;
        memset(&pi, 0, sizeof pi);
        pi.size = sizeof pi;
        if (pfm_get_pmu_info(p, &pi) != PFM_SUCCESS || !pi.is_present)
            continue;
        bool generic = strcmp(pi.name, "perf") == 0;
        if (strcmp(pi.name, "perf_raw") == 0)
            continue; /* perf_raw::rNNNN takes any raw code; nothing to list */
        const char *verdict = "";
        char verdict_buf[160];
        if (pi.type != PFM_PMU_TYPE_CORE && !generic) {
            verdict = " - system-wide PMU (uncore, RAPL): edgetune counts the engine's threads, not whole CPUs";
        } else if (can_try && !generic && pi.first_event >= 0) {
            pfm_event_info_t ei;
            memset(&ei, 0, sizeof ei);
            ei.size = sizeof ei;
            int e = pfm_get_event_info(pi.first_event, PFM_OS_PERF_EVENT, &ei) == PFM_SUCCESS
                        ? try_event(ops, pi.name, ei.name)
                        : 0;
            if (e != 0) {
                snprintf(verdict_buf, sizeof verdict_buf, " - NOT countable here: %s opening %s (%s)", et_errno_name(e),
                         ei.name, e == ENOENT || e == ENODEV ? "the kernel has no such PMU" : strerror(e));
                verdict = verdict_buf;
            }
        }
        fprintf(out, "\n%s (%s): %d events, %d counters%s\n", pi.name, pi.desc ? pi.desc : "", pi.nevents,
                pi.num_cntrs + pi.num_fixed_cntrs, verdict);
        for (int i = pi.first_event; i != -1; i = pfm_get_event_next(i)) {
            pfm_event_info_t ei;
            memset(&ei, 0, sizeof ei);
            ei.size = sizeof ei;
            if (pfm_get_event_info(i, PFM_OS_PERF_EVENT, &ei) != PFM_SUCCESS || ei.pmu != pi.pmu)
                break;
            const char *mark = "  ";
            if (can_try && generic && try_event(ops, pi.name, ei.name) != 0)
                mark = "- ";
            print_event(out, &pi, i, mark);
        }
    }
    return ET_OK;
}
