/* thermal.c: zone temperatures, CPU clocks and throttling flags around the timed loop (design in thermal.h). */
#include "profilers/thermal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profilers/rpi.h"

/* hwmon drivers whose temperatures are the CPU's (used when there are no thermal zones) */
static const char *const cpu_hwmon[] = {"k10temp", "coretemp", "zenpower", "cpu_thermal", "cpu-thermal", NULL};

static void find_zones(et_thermal *t) {
    char names[64][ET_SYS_NAME_MAX];
    int n = et_sys_list(t->sr, "sys/class/thermal", "thermal_zone", names, 64);
    for (int i = 0; i < n && i < 64 && t->n_zones < ET_MAX_ZONES; i++) {
        char path[160];
        int64_t mc;
        snprintf(t->zone_path[t->n_zones], sizeof t->zone_path[0], "sys/class/thermal/%s/temp", names[i]);
        if (et_sys_read_i64(t->sr, t->zone_path[t->n_zones], &mc) < 0)
            continue; /* some zones refuse reads (EINVAL, ENODATA) until a sensor is up */
        snprintf(path, sizeof path, "sys/class/thermal/%s/type", names[i]);
        if (et_sys_read(t->sr, path, t->zone[t->n_zones], sizeof t->zone[0]) <= 0)
            snprintf(t->zone[t->n_zones], sizeof t->zone[0], "%s", names[i]);
        t->n_zones++;
    }
    if (t->n_zones > 0)
        return;
    n = et_sys_list(t->sr, "sys/class/hwmon", "hwmon", names, 64);
    for (int i = 0; i < n && i < 64 && t->n_zones < ET_MAX_ZONES; i++) {
        char path[160], name[32] = "";
        snprintf(path, sizeof path, "sys/class/hwmon/%s/name", names[i]);
        et_sys_read(t->sr, path, name, sizeof name);
        bool cpu = false;
        for (int k = 0; cpu_hwmon[k]; k++)
            cpu = cpu || strcmp(name, cpu_hwmon[k]) == 0;
        if (!cpu)
            continue;
        char files[32][ET_SYS_NAME_MAX];
        snprintf(path, sizeof path, "sys/class/hwmon/%s", names[i]);
        int nf = et_sys_list(t->sr, path, "temp", files, 32);
        for (int f = 0; f < nf && f < 32 && t->n_zones < ET_MAX_ZONES; f++) {
            size_t len = strlen(files[f]);
            if (len < 7 || strcmp(files[f] + len - 6, "_input") != 0)
                continue;
            int64_t mc;
            snprintf(t->zone_path[t->n_zones], sizeof t->zone_path[0], "sys/class/hwmon/%s/%s", names[i], files[f]);
            if (et_sys_read_i64(t->sr, t->zone_path[t->n_zones], &mc) < 0)
                continue;
            char label[24] = "", lpath[200];
            snprintf(lpath, sizeof lpath, "sys/class/hwmon/%s/%.*s_label", names[i], (int)(len - 6), files[f]);
            if (et_sys_read(t->sr, lpath, label, sizeof label) <= 0)
                snprintf(label, sizeof label, "%.*s", (int)(len - 6), files[f]);
            snprintf(t->zone[t->n_zones], sizeof t->zone[0], "%.12s/%.18s", name, label);
            t->zones_from_hwmon = true;
            t->n_zones++;
        }
    }
}

static void find_cpus(et_thermal *t) {
    char online[512];
    bool *mask = calloc(ET_THERMAL_MAX_CPUS, sizeof *mask);
    if (!mask)
        return;
    if (et_sys_read(t->sr, "sys/devices/system/cpu/online", online, sizeof online) <= 0 ||
        et_cpu_list_parse(online, mask, ET_THERMAL_MAX_CPUS) <= 0) {
        free(mask);
        return;
    }
    int n = 0;
    for (int c = 0; c < ET_THERMAL_MAX_CPUS; c++)
        n += mask[c];
    t->cpu = calloc((size_t)n, sizeof *t->cpu);
    t->ref_khz = calloc((size_t)n, sizeof *t->ref_khz);
    t->max_khz = calloc((size_t)n, sizeof *t->max_khz);
    t->cur_start_khz = calloc((size_t)n, sizeof *t->cur_start_khz);
    t->cur_end_khz = calloc((size_t)n, sizeof *t->cur_end_khz);
    if (!t->cpu || !t->ref_khz || !t->max_khz || !t->cur_start_khz || !t->cur_end_khz) {
        free(mask);
        return;
    }
    bool all_base = true;
    for (int c = 0; c < ET_THERMAL_MAX_CPUS; c++) {
        if (!mask[c])
            continue;
        char path[128];
        int64_t max = 0, base = 0;
        snprintf(path, sizeof path, "sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", c);
        if (et_sys_read_i64(t->sr, path, &max) < 0 || max <= 0)
            continue;
        snprintf(path, sizeof path, "sys/devices/system/cpu/cpu%d/cpufreq/base_frequency", c);
        if (et_sys_read_i64(t->sr, path, &base) < 0 || base <= 0) {
            snprintf(path, sizeof path, "sys/devices/system/cpu/cpu%d/cpufreq/amd_pstate_nominal_freq", c);
            if (et_sys_read_i64(t->sr, path, &base) < 0)
                base = 0;
        }
        all_base = all_base && base > 0;
        t->cpu[t->n_cpus] = c;
        t->max_khz[t->n_cpus] = max;
        t->ref_khz[t->n_cpus] = base > 0 && base < max ? base : max;
        if (t->n_cpus == 0) {
            snprintf(path, sizeof path, "sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", c);
            et_sys_read(t->sr, path, t->governor, sizeof t->governor);
        }
        t->n_cpus++;
    }
    t->ref_is_base = t->n_cpus > 0 && all_base;
    free(mask);
}

void et_thermal_init(et_thermal *t, const et_sysroot *sr, const et_vcio_ops *vcio) {
    memset(t, 0, sizeof *t);
    t->sr = sr;
    t->vcio = vcio ? vcio : et_vcio_ops_system();
    find_zones(t);
    find_cpus(t);
    if (t->n_cpus == 0)
        t->cpuinfo = malloc(ET_CPUINFO_BUF);
    char model[ET_NAME_MAX];
    if (et_rpi_model_read(sr, model, sizeof model) != ET_RPI_NONE)
        t->have_rpi_flags = et_rpi_throttled_read(sr, t->vcio, &t->rpi_start, t->rpi_src, sizeof t->rpi_src) == 0;
    int64_t v;
    t->have_throttle_count = et_sys_read_i64(sr, "sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count",
                                             &v) == 0;
}

void et_thermal_free(et_thermal *t) {
    free(t->cpu);
    free(t->ref_khz);
    free(t->max_khz);
    free(t->cur_start_khz);
    free(t->cur_end_khz);
    free(t->cpuinfo);
    t->cpu = NULL, t->ref_khz = t->max_khz = t->cur_start_khz = t->cur_end_khz = NULL, t->cpuinfo = NULL;
    t->n_cpus = 0;
}

/* Mean "cpu MHz" over the CPUs /proc/cpuinfo lists (x86 only); 0 when absent. */
static double cpuinfo_mhz(et_thermal *t) {
    if (!t->cpuinfo || et_sys_read(t->sr, "proc/cpuinfo", t->cpuinfo, ET_CPUINFO_BUF) <= 0)
        return 0;
    double sum = 0;
    int n = 0;
    for (const char *p = t->cpuinfo; (p = strstr(p, "cpu MHz")) != NULL; p++) {
        const char *colon = strchr(p, ':');
        if (!colon)
            break;
        sum += strtod(colon + 1, NULL);
        n++;
    }
    return n ? sum / n : 0;
}

static int64_t throttle_count(const et_thermal *t) {
    int64_t total = 0, v;
    char online[512];
    bool *mask = calloc(ET_THERMAL_MAX_CPUS, sizeof *mask);
    if (!mask)
        return 0;
    if (et_sys_read(t->sr, "sys/devices/system/cpu/online", online, sizeof online) > 0 &&
        et_cpu_list_parse(online, mask, ET_THERMAL_MAX_CPUS) > 0)
        for (int c = 0; c < ET_THERMAL_MAX_CPUS; c++) {
            char path[128];
            snprintf(path, sizeof path, "sys/devices/system/cpu/cpu%d/thermal_throttle/core_throttle_count", c);
            if (mask[c] && et_sys_read_i64(t->sr, path, &v) == 0)
                total += v;
        }
    if (et_sys_read_i64(t->sr, "sys/devices/system/cpu/cpu0/thermal_throttle/package_throttle_count", &v) == 0)
        total += v;
    free(mask);
    return total;
}

void et_thermal_snapshot(et_thermal *t, bool end) {
    double *temps = end ? t->temp_end_c : t->temp_start_c;
    for (int z = 0; z < t->n_zones; z++) {
        int64_t mc;
        temps[z] = et_sys_read_i64(t->sr, t->zone_path[z], &mc) == 0 ? (double)mc / 1000.0 : NAN;
    }
    int64_t *cur = end ? t->cur_end_khz : t->cur_start_khz;
    for (int i = 0; i < t->n_cpus; i++) {
        char path[128];
        int64_t khz = 0;
        snprintf(path, sizeof path, "sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", t->cpu[i]);
        if (et_sys_read_i64(t->sr, path, &khz) < 0) {
            snprintf(path, sizeof path, "sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_cur_freq", t->cpu[i]);
            et_sys_read_i64(t->sr, path, &khz);
        }
        cur[i] = khz;
    }
    if (t->n_cpus == 0)
        *(end ? &t->cpuinfo_mhz_end : &t->cpuinfo_mhz_start) = cpuinfo_mhz(t);
    if (t->have_rpi_flags) {
        char src[160];
        uint32_t bits;
        if (et_rpi_throttled_read(t->sr, t->vcio, &bits, src, sizeof src) == 0)
            *(end ? &t->rpi_end : &t->rpi_start) = bits;
    }
    if (t->have_throttle_count)
        *(end ? &t->throttle_count_end : &t->throttle_count_start) = throttle_count(t);
    if (!end)
        t->started = true;
}

static double mean_mhz(const int64_t *khz, int n) {
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (khz[i] > 0)
            s += (double)khz[i], k++;
    return k ? s / k / 1000.0 : 0;
}

/* The fastest CPU at the end, as a fraction of its reference clock; writes its index. */
static double best_ratio(const et_thermal *t, int *best) {
    double r = 0;
    *best = -1;
    for (int i = 0; i < t->n_cpus; i++)
        if (t->ref_khz[i] > 0 && t->cur_end_khz[i] > 0 && (double)t->cur_end_khz[i] / (double)t->ref_khz[i] > r) {
            r = (double)t->cur_end_khz[i] / (double)t->ref_khz[i];
            *best = i;
        }
    return r;
}

void et_thermal_fill(const et_thermal *t, et_thermal_info *out) {
    if (!t->started) {
        out->status = ET_AVAIL_NOT_RUN;
        snprintf(out->why, sizeof out->why, "not measured");
        return;
    }
    out->n_zones = t->n_zones;
    for (int z = 0; z < t->n_zones; z++) {
        snprintf(out->zone[z], sizeof out->zone[z], "%s", t->zone[z]);
        out->temp_start_c[z] = t->temp_start_c[z];
        out->temp_end_c[z] = t->temp_end_c[z];
    }
    bool clocks = false;
    if (t->n_cpus > 0) {
        out->cpu_mhz_start = mean_mhz(t->cur_start_khz, t->n_cpus);
        out->cpu_mhz_end = mean_mhz(t->cur_end_khz, t->n_cpus);
        out->cpu_mhz_max = mean_mhz(t->max_khz, t->n_cpus);
        clocks = out->cpu_mhz_end > 0;
    } else {
        out->cpu_mhz_start = t->cpuinfo_mhz_start;
        out->cpu_mhz_end = t->cpuinfo_mhz_end;
        out->cpu_mhz_max = 0;
        clocks = out->cpu_mhz_end > 0;
    }
    out->why[0] = '\0';
    if (t->n_zones == 0 && !clocks) {
        out->status = ET_AVAIL_UNSUPPORTED;
        snprintf(out->why, sizeof out->why,
                 "no thermal zones or CPU temperature sensors, and no CPU clocks "
                 "(no cpufreq, no cpu MHz in /proc/cpuinfo)");
    } else {
        out->status = ET_AVAIL_OK;
        if (t->n_zones == 0 && t->n_cpus == 0)
            snprintf(out->why, sizeof out->why,
                     "no temperatures (no thermal zones or CPU hwmon sensors: a VM?); "
                     "clocks from /proc/cpuinfo (no cpufreq, so no maximum)");
        else if (t->n_zones == 0)
            snprintf(out->why, sizeof out->why, "no temperatures (no thermal zones or CPU hwmon sensors)");
        else if (!clocks)
            snprintf(out->why, sizeof out->why, "no CPU clocks (no cpufreq)");
        else if (t->n_cpus == 0)
            snprintf(out->why, sizeof out->why, "clocks from /proc/cpuinfo (no cpufreq, so no maximum)");
    }
    /* throttling, most direct evidence first */
    out->throttled = false;
    out->throttle_why[0] = '\0';
    int best;
    double ratio = best_ratio(t, &best);
    if (t->have_rpi_flags) {
        uint32_t now = t->rpi_end & ET_THR_NOW_MASK;
        uint32_t fresh = (t->rpi_end >> ET_THR_SINCE_SHIFT) & ~(t->rpi_start >> ET_THR_SINCE_SHIFT) & ET_THR_NOW_MASK;
        char what[128];
        if (now) {
            et_throttled_describe(now, what, sizeof what);
            out->throttled = true;
            snprintf(out->throttle_why, sizeof out->throttle_why, "firmware flags 0x%x at the end: %s (%s)", t->rpi_end,
                     what, t->rpi_src);
            return;
        }
        if (fresh) {
            et_throttled_describe(fresh, what, sizeof what);
            out->throttled = true;
            snprintf(out->throttle_why, sizeof out->throttle_why, "firmware flags: %s happened during the run (%s)",
                     what, t->rpi_src);
            return;
        }
    }
    if (t->have_throttle_count && t->throttle_count_end > t->throttle_count_start) {
        out->throttled = true;
        snprintf(out->throttle_why, sizeof out->throttle_why,
                 "%lld CPU thermal-throttling events during the run (thermal_throttle counters)",
                 (long long)(t->throttle_count_end - t->throttle_count_start));
        return;
    }
    if (best >= 0 && ratio < 0.9) {
        out->throttled = true;
        snprintf(out->throttle_why, sizeof out->throttle_why,
                 "clock below max under load: the fastest CPU (cpu%d) ran at %.0f MHz, %.0f%% of its %s %.0f MHz "
                 "(governor %s)",
                 t->cpu[best], (double)t->cur_end_khz[best] / 1000.0, ratio * 100.0,
                 t->ref_is_base ? "base" : "maximum", (double)t->ref_khz[best] / 1000.0,
                 t->governor[0] ? t->governor : "unknown");
        return;
    }
    if (best >= 0)
        snprintf(out->throttle_why, sizeof out->throttle_why,
                 "not throttled: cpu%d at %.0f MHz, %.0f%% of its %s "
                 "clock%s",
                 t->cpu[best], (double)t->cur_end_khz[best] / 1000.0, ratio * 100.0,
                 t->ref_is_base ? "base" : "maximum", t->have_rpi_flags ? "; firmware flags clear" : "");
    else if (t->have_rpi_flags || t->have_throttle_count)
        snprintf(out->throttle_why, sizeof out->throttle_why, "not throttled: %s clear",
                 t->have_rpi_flags ? "firmware flags" : "thermal_throttle counters");
    else
        snprintf(out->throttle_why, sizeof out->throttle_why,
                 "unknown: no cpufreq maximum, no thermal_throttle "
                 "counters and no firmware flags to tell");
}

void et_thermal_probe(et_thermal *t, et_probe *zones, et_probe *clocks, et_probe *throttle) {
    if (t->n_zones == 0) {
        et_probe_set(zones, ET_AVAIL_UNSUPPORTED, ENOENT, NULL,
                     "no thermal zones in /sys/class/thermal and no CPU hwmon sensor (k10temp, coretemp)%s",
                     t->sr->is_real ? "" : " in the fixture");
    } else {
        et_probe_set(zones, ET_AVAIL_OK, 0, NULL, "%d %s%s:", t->n_zones,
                     t->zones_from_hwmon ? "CPU hwmon sensor" : "thermal zone", t->n_zones == 1 ? "" : "s");
        for (int z = 0; z < t->n_zones; z++) {
            int64_t mc = 0;
            et_sys_read_i64(t->sr, t->zone_path[z], &mc);
            size_t used = strlen(zones->why);
            snprintf(zones->why + used, sizeof zones->why - used, " %s %.1f C%s", t->zone[z], (double)mc / 1000.0,
                     z + 1 < t->n_zones ? "," : "");
        }
    }
    if (t->n_cpus > 0) {
        et_probe_set(clocks, ET_AVAIL_OK, 0, NULL, "cpufreq on %d CPUs, max %.0f MHz%s, governor %s", t->n_cpus,
                     (double)t->max_khz[0] / 1000.0, t->ref_is_base ? " (throttling judged against base)" : "",
                     t->governor[0] ? t->governor : "unknown");
    } else {
        double mhz = cpuinfo_mhz(t);
        if (mhz > 0)
            et_probe_set(clocks, ET_AVAIL_OK, ENOENT, NULL,
                         "no cpufreq (usual in a VM): clocks from /proc/cpuinfo (%.0f MHz now), no maximum to compare "
                         "with",
                         mhz);
        else
            et_probe_set(clocks, ET_AVAIL_UNSUPPORTED, ENOENT, NULL, "no cpufreq and no cpu MHz in /proc/cpuinfo");
    }
    if (t->have_rpi_flags) {
        char what[128];
        et_throttled_describe(t->rpi_start & ET_THR_NOW_MASK, what, sizeof what);
        et_probe_set(throttle, ET_AVAIL_OK, 0, NULL, "Raspberry Pi firmware flags (%s): 0x%x%s%s", t->rpi_src,
                     t->rpi_start, what[0] ? ", now: " : "", what);
    } else if (t->have_throttle_count) {
        et_probe_set(throttle, ET_AVAIL_OK, 0, NULL, "x86 thermal_throttle counters%s%s",
                     t->n_cpus ? " and clocks against their " : "",
                     t->n_cpus ? (t->ref_is_base ? "base frequency" : "maximum") : "");
    } else if (t->n_cpus > 0) {
        et_probe_set(throttle, ET_AVAIL_OK, 0, NULL, "clocks against their %s under load",
                     t->ref_is_base ? "base frequency" : "maximum");
    } else {
        et_probe_set(throttle, ET_AVAIL_UNSUPPORTED, ENOENT, NULL,
                     "cannot tell: no cpufreq maximum, no thermal_throttle counters, no firmware flags");
    }
}
