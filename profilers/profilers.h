/* profilers.h: what the device does during the timed iterations: counters, power and energy, peak memory,
 * temperatures, clocks and throttling (README.md). The one header bench and cli include.
 *
 * Each source is probed when opened and is either measured or reported unavailable with the reason and what the
 * user can do; an unavailable source is never an error. All /sys, /proc and /dev access goes through one root:
 * `/`, or the directory in EDGETUNE_SYSROOT (a fixture tree, fixtures/sysroot/<scenario>).
 *
 * A run:
 *     et_profilers_open(&cfg, &p, &err);            probe (once per configuration)
 *     et_profilers_start(p, tids, n_tids);          right before the timed loop
 *     ... timed iterations ...
 *     et_profilers_stop(p);                         right after it
 *     et_profilers_read(p, iterations, &result);    fill the result's sections
 *     et_profilers_close(p);
 * start/stop fork nothing and allocate nothing that the timed loop could feel; the power sampler thread sleeps
 * between samples. start/stop/read may repeat on one open set. */
#ifndef ET_PROFILERS_PROFILERS_H
#define ET_PROFILERS_PROFILERS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "record/result.h"
#include "util/json.h"
#include "util/status.h"

typedef struct et_profiler_config {
    bool counters, power, memory, thermal; /* each source can be switched off */
    const char *events;                    /* NULL: the default set; else a comma list of libpfm4 names */
    int power_interval_ms;                 /* sampler period; 0: a per-source default that respects update_interval
                                  (a shorter period than the sensor's update_interval is raised to it) */
} et_profiler_config;

/* Everything on, default events, default sampling. */
et_profiler_config et_profiler_config_all(void);

typedef struct et_profilers et_profilers;

/* Probes every enabled source. Unavailable sources are recorded with their reason (never an error);
 * only a bad config (unknown event name in `events`) fails with ET_E_USAGE naming the event, and a bad
 * EDGETUNE_SYSROOT with ET_E_IO. The caller owns *out and closes it. */
et_status et_profilers_open(const et_profiler_config *cfg, et_profilers **out, et_err *err);

/* Right before the timed loop. tids: the threads that run the engine (the caller's thread and the thread-pool
 * workers): counters are opened per TID (no inherit needed), so UI and sampler threads are not counted.
 * Starts the power sampler thread BEFORE opening counters. Resets the VmHWM peak (clear_refs). */
void et_profilers_start(et_profilers *p, const pid_t *tids, int n_tids);
void et_profilers_stop(et_profilers *p); /* right after the timed loop */

/* Fills r->memory.peak_rss_*, r->counters (with per-inference values), r->power, r->thermal (start/end readings
 * taken in start/stop) for `iterations` inferences. Leaves weights_bytes/arena_bytes to the caller. Replaces (and
 * frees) any counters and power timeline already in r. */
void et_profilers_read(et_profilers *p, int iterations, et_result *r);
void et_profilers_close(et_profilers *p);

/* Host identity for the run record: hostname, CPU model, arch, board (device-tree model / DMI), kernel, cores.
 * Through EDGETUNE_SYSROOT like everything else; never fails (unknown fields stay ""). */
void et_host_info_read(et_host_info *out);

/* --- for tests and tools: another root, injected system calls ------------------------------------------------ */
struct et_perf_ops;
struct et_vcio_ops;
typedef struct et_profiler_env {
    const char *sysroot;            /* NULL: $EDGETUNE_SYSROOT, else "/" */
    const struct et_perf_ops *perf; /* NULL: the real perf_event_open and friends */
    const struct et_vcio_ops *vcio; /* NULL: /dev/vcio, or a fixture's .edgetune/vcgencmd replies */
} et_profiler_env;

/* As et_profilers_open, in env. With a fixture sysroot and the real perf calls, availability of counters comes
 * from the tree (the kernel is not asked); with injected perf ops they are always asked. */
et_status et_profilers_open_env(const et_profiler_config *cfg, const et_profiler_env *env, et_profilers **out,
                                et_err *err);

/* --- doctor: every source, available or not, why not, and what to do ----------------------------------------- */
enum { ET_DOCTOR_MAX_ITEMS = 24, ET_DOCTOR_TEXT_MAX = 512 };

typedef struct et_doctor_item {
    char source[48]; /* "counters: hardware", "RAPL (powercap)" */
    et_avail status;
    char detail[ET_DOCTOR_TEXT_MAX]; /* what was found, or why it is not there */
    char hint[ET_DOCTOR_TEXT_MAX];   /* what the user can do, or "" */
} et_doctor_item;

typedef struct et_doctor_report {
    char sysroot[1024];
    bool sysroot_is_real;
    et_host_info host;
    char power_source[ET_NAME_MAX]; /* what bench measures power with, "" when nothing can */
    int n_items;
    et_doctor_item items[ET_DOCTOR_MAX_ITEMS];
} et_doctor_report;

/* Probes everything (opening nothing that lasts). Fails only with ET_E_IO for a bad EDGETUNE_SYSROOT; env may be
 * NULL. */
et_status et_doctor_collect(const et_profiler_env *env, et_doctor_report *out, et_err *err);
/* Text: one block per source. */
void et_doctor_print(const et_doctor_report *r, FILE *out);
/* JSON: one object {sysroot, host, power_source, sources: [{source, status, available, detail, hint}]}. */
void et_doctor_json(const et_doctor_report *r, et_json *j);

/* Lists the libpfm4 PMUs and events this machine offers (for `--events list` and `doctor --events`), marking
 * what the kernel refuses here. ET_E_IO for a bad EDGETUNE_SYSROOT, ET_E_RUNTIME when libpfm4 fails. */
et_status et_counters_list_events(FILE *out, et_err *err);

#endif
