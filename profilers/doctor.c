/* doctor.c: `edgetune doctor`: every profiler source, available or not, why not, and what the user can do.
 *
 * The report is built by the same probes a run uses (counters, every power source, memory, thermal), so doctor
 * and bench cannot disagree. Under a fixture sysroot nothing is opened for real: counters and the perf power
 * PMU are judged from the tree (paranoid level, capabilities in proc/self/status, PMUs in sysfs), and each such
 * line says so. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <perfmon/pfmlib.h>

#include "profilers/counters.h"
#include "profilers/host.h"
#include "profilers/memory.h"
#include "profilers/power.h"
#include "profilers/profilers.h"
#include "profilers/thermal.h"


static et_doctor_item *add(et_doctor_report *r, const char *source, et_avail status, const char *hint, const char *fmt,
                           ...) __attribute__((format(printf, 5, 6)));

static et_doctor_item *add(et_doctor_report *r, const char *source, et_avail status, const char *hint, const char *fmt,
                           ...) {
    if (r->n_items >= ET_DOCTOR_MAX_ITEMS)
        return NULL;
    et_doctor_item *it = &r->items[r->n_items++];
    snprintf(it->source, sizeof it->source, "%s", source);
    it->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->detail, sizeof it->detail, fmt, ap);
    va_end(ap);
    snprintf(it->hint, sizeof it->hint, "%s", hint ? hint : "");
    return it;
}

static void add_probe(et_doctor_report *r, const char *source, const et_probe *p, const char *suffix) {
    add(r, source, p->status, p->hint, "%s%s", p->why, suffix ? suffix : "");
}

static void perf_items(et_doctor_report *r, const et_sysroot *sr, const et_perf_ops *ops, bool trial,
                       const et_perf_env *env) {
    const char *fixture_note = trial ? "" : " [judged from the fixture tree; nothing opened]";
    if (!env->perf_present) {
        add(r, "perf_event_open", ET_AVAIL_UNSUPPORTED, "use a kernel built with CONFIG_PERF_EVENTS=y",
            "no /proc/sys/kernel/perf_event_paranoid: the kernel has no perf events%s", fixture_note);
    } else {
        const char *who = env->cap_perfmon  ? "CAP_PERFMON or root"
                          : env->caps_known ? "no CAP_PERFMON"
                                            : "capabilities unknown";
        add(r, "perf_event_open", env->user_ok ? ET_AVAIL_OK : ET_AVAIL_NO_PERMISSION,
            env->kernel_ok ? NULL : et_perf_permission_hint(env), "perf_event_paranoid=%d, %s: %s%s", env->paranoid,
            who,
            env->kernel_ok ? "user and kernel mode of own threads may be counted"
            : env->user_ok ? "user mode of own threads only (exclude_kernel); kernel-only events cannot be counted"
                           : "unprivileged counting is blocked",
            fixture_note);
    }
    et_counters *c = NULL;
    et_err err = {0};
    if (et_counters_create(NULL, sr, ops, trial, &c, &err) != ET_OK) {
        add(r, "counters", ET_AVAIL_ERROR, NULL, "%s", err.msg);
        return;
    }
    for (int hw = 0; hw < 2; hw++) {
        et_probe p;
        char detail[ET_DOCTOR_TEXT_MAX];
        et_counters_summary(c, hw == 0, &p, detail, sizeof detail);
        if (hw == 0) {
            size_t used = strlen(detail);
            snprintf(detail + used, sizeof detail - used, "; kernel PMU: %s",
                     c->hw_pmu_in_sysfs ? c->hw_pmu_name : "none in /sys/bus/event_source/devices");
            char pmu[64];
            int n = et_pfm_core_counters(pmu, sizeof pmu);
            used = strlen(detail);
            if (!trial)
                ; /* libpfm4 describes this machine's CPU, not the fixture's */
            else if (pmu[0])
                snprintf(detail + used, sizeof detail - used,
                         "; libpfm4 knows the CPU as %s (%d counters; groups of "
                         "at most %d)",
                         pmu, n, c->group_cap);
            else
                snprintf(detail + used, sizeof detail - used,
                         "; libpfm4 has no table for this CPU: generic perf:: "
                         "events only");
        }
        add(r, hw == 0 ? "counters: hardware" : "counters: software", p.status, p.hint, "%s%s", detail, fixture_note);
    }
    et_counters_destroy(c);
}

et_status et_doctor_collect(const et_profiler_env *env, et_doctor_report *out, et_err *err) {
    memset(out, 0, sizeof *out);
    et_sysroot sr;
    et_status st = et_sysroot_open(env ? env->sysroot : NULL, &sr, err);
    if (st != ET_OK)
        return st;
    snprintf(out->sysroot, sizeof out->sysroot, "%s", sr.path);
    out->sysroot_is_real = sr.is_real;
    et_host_info_read_at(&sr, &out->host);
    const et_perf_ops *perf = env && env->perf ? env->perf : et_perf_ops_system();
    const et_vcio_ops *vcio = env && env->vcio ? env->vcio : et_vcio_ops_system();
    bool trial = sr.is_real || (env && env->perf);
    et_perf_env penv;
    et_perf_env_read(&sr, &penv);

    int pfm = et_pfm_init();
    if (pfm != PFM_SUCCESS)
        add(out, "libpfm4", ET_AVAIL_ERROR, "reinstall libpfm4", "initialisation failed: %s", pfm_strerror(pfm));
    perf_items(out, &sr, perf, trial, &penv);

    et_power_source *all = calloc(ET_POWER_SOURCE_COUNT, sizeof *all);
    if (all) {
        const et_power_source *chosen = NULL;
        for (int i = 0; i < ET_POWER_SOURCE_COUNT; i++) {
            et_power_source *s = &all[i];
            et_power_source_init(s, et_power_sources[i], &sr, perf, vcio, &penv, trial);
            char detail[ET_DOCTOR_TEXT_MAX];
            if (s->probe.status == ET_AVAIL_OK)
                snprintf(detail, sizeof detail, "%s: %s", s->label, s->detail);
            else if (s->detail[0])
                snprintf(detail, sizeof detail, "%s (%s)", s->probe.why, s->detail);
            else
                snprintf(detail, sizeof detail, "%s", s->probe.why);
            add(out, s->ops->title, s->probe.status, s->probe.hint, "%s", detail);
            if (!chosen && s->probe.status == ET_AVAIL_OK)
                chosen = s;
        }
        if (chosen) {
            snprintf(out->power_source, sizeof out->power_source, "%s", chosen->label);
            add(out, "power: used by bench", ET_AVAIL_OK, NULL, "%s%s, sampled every %d ms", chosen->label,
                chosen->partial ? " (partial: covers only part of the board)" : "", chosen->interval_ms);
        } else {
            add(out, "power: used by bench", ET_AVAIL_UNSUPPORTED, "see the sources above",
                "no power source works here: bench reports power as unavailable, with the reason");
        }
        free(all);
    }

    et_probe mp;
    et_memory_probe(&sr, &mp);
    add_probe(out, "memory (peak RSS)", &mp, NULL);

    et_thermal th;
    et_thermal_init(&th, &sr, vcio);
    et_probe zones, clocks, throttle;
    et_thermal_probe(&th, &zones, &clocks, &throttle);
    et_thermal_free(&th);
    add_probe(out, "temperatures", &zones, NULL);
    add_probe(out, "CPU clocks", &clocks, NULL);
    add_probe(out, "throttling", &throttle, NULL);
    et_sysroot_close(&sr);
    return ET_OK;
}

void et_doctor_print(const et_doctor_report *r, FILE *out) {
    fprintf(out, "edgetune doctor: what can be measured here%s%s%s\n", r->sysroot_is_real ? "" : " (sysroot ",
            r->sysroot_is_real ? "" : r->sysroot, r->sysroot_is_real ? "" : ")");
    fprintf(out, "host: %s, %s (%s), %d cores, kernel %s%s%s\n\n", r->host.hostname[0] ? r->host.hostname : "?",
            r->host.cpu[0] ? r->host.cpu : "unknown CPU", r->host.arch, r->host.cores,
            r->host.kernel[0] ? r->host.kernel : "?", r->host.board[0] ? ", board " : "", r->host.board);
    for (int i = 0; i < r->n_items; i++) {
        const et_doctor_item *it = &r->items[i];
        const char *mark = it->status == ET_AVAIL_OK ? "[ok]" : "[--]";
        fprintf(out, "%s %-22s %s\n", mark, it->source,
                it->status == ET_AVAIL_OK ? "available" : et_avail_name(it->status));
        if (it->detail[0])
            fprintf(out, "     %s\n", it->detail);
        if (it->hint[0])
            fprintf(out, "     fix: %s\n", it->hint);
    }
}

void et_doctor_json(const et_doctor_report *r, et_json *j) {
    et_json_begin_object(j, NULL);
    et_json_string(j, "sysroot", r->sysroot);
    et_json_bool(j, "sysroot_is_fixture", !r->sysroot_is_real);
    et_json_begin_object(j, "host");
    et_json_string(j, "hostname", r->host.hostname);
    et_json_string(j, "cpu", r->host.cpu);
    et_json_string(j, "arch", r->host.arch);
    et_json_string(j, "board", r->host.board);
    et_json_string(j, "kernel", r->host.kernel);
    et_json_int(j, "cores", r->host.cores);
    et_json_end_object(j);
    if (r->power_source[0])
        et_json_string(j, "power_source", r->power_source);
    else
        et_json_null(j, "power_source");
    et_json_begin_array(j, "sources");
    for (int i = 0; i < r->n_items; i++) {
        const et_doctor_item *it = &r->items[i];
        et_json_begin_object(j, NULL);
        et_json_string(j, "source", it->source);
        et_json_string(j, "status", et_avail_name(it->status));
        et_json_bool(j, "available", it->status == ET_AVAIL_OK);
        et_json_string(j, "detail", it->detail);
        if (it->hint[0])
            et_json_string(j, "hint", it->hint);
        else
            et_json_null(j, "hint");
        et_json_end_object(j);
    }
    et_json_end_array(j);
    et_json_end_object(j);
}

et_status et_counters_list_events(FILE *out, et_err *err) {
    et_sysroot sr;
    et_status st = et_sysroot_open(NULL, &sr, err);
    if (st != ET_OK)
        return st;
    st = et_counters_list_events_at(out, &sr, NULL, err);
    et_sysroot_close(&sr);
    return st;
}
