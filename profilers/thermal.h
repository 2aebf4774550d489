/* thermal.h: temperatures, CPU clocks and throttling at the start and end of the timed loop.
 *
 * Temperatures: /sys/class/thermal/thermal_zoneN/{type,temp} (m°C); a machine without thermal zones (most AMD
 * desktops) gets the CPU sensors of hwmon (k10temp, coretemp, zenpower, cpu_thermal) instead.
 * Clocks: cpufreq's scaling_cur_freq per online CPU (kHz), against cpuinfo_max_freq, or the base frequency where
 * the driver gives one (intel_pstate base_frequency, amd-pstate nominal): turbo is not a promise under load.
 * Without cpufreq (VMs), /proc/cpuinfo "cpu MHz" gives clocks without a maximum.
 * Throttled when, in order: the Raspberry Pi firmware's flags say so (now, or newly during the run); the x86
 * thermal_throttle counters rose during the run; or right after the loop not even the fastest CPU ran at 90 % of
 * its reference clock. */
#ifndef ET_PROFILERS_THERMAL_H
#define ET_PROFILERS_THERMAL_H

#include <stdbool.h>
#include <stdint.h>

#include "profilers/power.h"
#include "profilers/probe.h"
#include "profilers/sysroot.h"
#include "record/result.h"

enum { ET_THERMAL_MAX_CPUS = 1024, ET_CPUINFO_BUF = 65536 };

typedef struct et_thermal {
    const et_sysroot *sr;
    const et_vcio_ops *vcio;
    /* temperatures */
    int n_zones;
    char zone[ET_MAX_ZONES][32];
    char zone_path[ET_MAX_ZONES][160];
    bool zones_from_hwmon;
    double temp_start_c[ET_MAX_ZONES], temp_end_c[ET_MAX_ZONES];
    /* clocks */
    int n_cpus;
    int *cpu; /* online CPU numbers with cpufreq */
    int64_t *ref_khz, *max_khz, *cur_start_khz, *cur_end_khz;
    bool ref_is_base; /* ref_khz is a base/nominal frequency, not the turbo maximum */
    char governor[32];
    char *cpuinfo; /* buffer for the /proc/cpuinfo fallback */
    double cpuinfo_mhz_start, cpuinfo_mhz_end;
    /* throttling */
    bool have_rpi_flags;
    uint32_t rpi_start, rpi_end;
    char rpi_src[160];
    bool have_throttle_count;
    int64_t throttle_count_start, throttle_count_end;
    bool started;
} et_thermal;

/* Finds zones, CPUs and throttling sources. Never fails: what is missing is reported by fill and probe. */
void et_thermal_init(et_thermal *t, const et_sysroot *sr, const et_vcio_ops *vcio);
/* Reads temperatures, clocks and flags: at the start (end = false) or the end of the timed loop. */
void et_thermal_snapshot(et_thermal *t, bool end);
void et_thermal_fill(const et_thermal *t, et_thermal_info *out);
void et_thermal_free(et_thermal *t);

/* For doctor: temperatures, clocks and throttling detection, each with what was found (reads the files again). */
void et_thermal_probe(et_thermal *t, et_probe *zones, et_probe *clocks, et_probe *throttle);

#endif
