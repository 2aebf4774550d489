/* counters_pfm.c: libpfm4 for edgetune: one-time initialisation, name encoding, the core PMU's counter count.
 *
 * pfm_initialize() is not thread-safe and is the one piece of global state profilers/ keeps (README.md, Style, allows
 * it): it runs once under pthread_once. `is_present` in libpfm's PMU info means libpfm recognised the CPU, not that
 * the kernel can count it (README.md: the VM's zen PMU is "present" and every open returns ENOENT), so nothing
 * here decides availability: the caller opens. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profilers/counters.h" /* before libpfm: it brings <linux/perf_event.h> */

#include <perfmon/pfmlib_perf_event.h>

static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;
static int pfm_init_result = PFM_ERR_NOINIT;

static void pfm_init_once(void) { pfm_init_result = pfm_initialize(); }

int et_pfm_init(void) {
    pthread_once(&pfm_once, pfm_init_once);
    return pfm_init_result;
}

int et_pfm_encode(const char *name, bool kernel, struct perf_event_attr *attr, char *full, size_t cap) {
    int r = et_pfm_init();
    if (r != PFM_SUCCESS)
        return r;
    memset(attr, 0, sizeof *attr);
    attr->size = sizeof *attr;
    char *fstr = NULL;
    pfm_perf_encode_arg_t arg;
    memset(&arg, 0, sizeof arg);
    arg.size = sizeof arg;
    arg.attr = attr;
    arg.fstr = &fstr;
    r = pfm_get_os_event_encoding(name, kernel ? PFM_PLM0 | PFM_PLM3 : PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
    free(fstr);
    if (r != PFM_SUCCESS)
        return r;
    if (strstr(name, "::")) {
        snprintf(full, cap, "%s", name);
    } else {
        pfm_event_info_t ei;
        pfm_pmu_info_t pi;
        memset(&ei, 0, sizeof ei), memset(&pi, 0, sizeof pi);
        ei.size = sizeof ei, pi.size = sizeof pi;
        const char *pmu = "perf";
        if (pfm_get_event_info(arg.idx, PFM_OS_PERF_EVENT, &ei) == PFM_SUCCESS &&
            pfm_get_pmu_info(ei.pmu, &pi) == PFM_SUCCESS && pi.name)
            pmu = pi.name;
        /* perf's generic names are upper-case in libpfm4's table ("perf::CYCLES"); keep user spelling elsewhere */
        char upper[ET_NAME_MAX];
        snprintf(upper, sizeof upper, "%s", name);
        if (strcmp(pmu, "perf") == 0)
            for (char *p = upper; *p && *p != ':'; p++)
                *p = (char)toupper((unsigned char)*p);
        snprintf(full, cap, "%s::%s", pmu, upper);
    }
    return PFM_SUCCESS;
}

int et_pfm_core_counters(char *pmu_name, size_t cap) {
    if (cap)
        pmu_name[0] = '\0';
    if (et_pfm_init() != PFM_SUCCESS)
        return 0;
    int p;
    pfm_for_all_pmus(p) {
        pfm_pmu_info_t pi;
        memset(&pi, 0, sizeof pi);
        pi.size = sizeof pi;
        if (pfm_get_pmu_info(p, &pi) != PFM_SUCCESS || !pi.is_present || pi.type != PFM_PMU_TYPE_CORE)
            continue;
        if (cap)
            snprintf(pmu_name, cap, "%s", pi.name);
        return pi.num_cntrs + pi.num_fixed_cntrs;
    }
    return 0;
}
