/* power.h: power and energy sources, each behind one ops table, and the sampler thread that turns any of them
 * into a timeline, an average power and an energy per inference.
 *
 * Two kinds of source (README.md sections 2-4):
 *   ENERGY  a cumulative counter (RAPL powercap energy_uj, the perf power PMU, hwmon energy*_input). Energy is the
 *           counter's advance, unwrapped per channel (d = e1 >= e0 ? e1 - e0 : e1 + range - e0); the timeline's
 *           power is the advance between two samples over their time.
 *   POWER   an instantaneous reading (INA3221 rails, the Pi 5 PMIC, hwmon power*_input). Energy is the trapezoid
 *           rule over the timestamped samples.
 * The sampler takes a sample in start (t = 0, before the timed loop), one every interval in its own thread
 * (sleeping in between), and one in stop, so the window is exactly the timed loop. Nothing is allocated between
 * start and stop: the timeline has a fixed capacity, and when it fills every other sample is dropped and the
 * interval doubled; energy is accumulated as samples arrive, so thinning the timeline loses no energy.
 *
 * Order of preference (the first source that is OK measures the run): Jetson INA3221, Raspberry Pi 5 PMIC,
 * RAPL through powercap, RAPL through the perf power PMU, generic hwmon. */
#ifndef ET_PROFILERS_POWER_H
#define ET_PROFILERS_POWER_H

#include <stdbool.h>
#include <stdint.h>

#include "profilers/perf_ops.h"
#include "profilers/probe.h"
#include "profilers/sysroot.h"
#include "profilers/vcio.h"
#include "record/result.h"
#include "util/status.h"

/* --- sources ------------------------------------------------------------------------------------------------- */
typedef enum { ET_POWER_ENERGY, ET_POWER_POWER } et_power_kind;

enum { ET_POWER_MAX_CHANNELS = 8, ET_POWER_DETAIL_MAX = 512 };

typedef struct et_power_raw {
    int n;                                 /* channels read */
    double value[ET_POWER_MAX_CHANNELS];   /* ENERGY: cumulative µJ per channel; POWER: mW, summed in value[0] */
    double wrap_uj[ET_POWER_MAX_CHANNELS]; /* ENERGY: counter range in µJ (0: does not wrap) */
} et_power_raw;

typedef struct et_power_channel {
    char name[48];   /* "psys", "package-0", "VDD_IN" */
    char path[160];  /* the file to read (energy_uj, in_power0_input, inK_input, ...) */
    char path2[160]; /* INA3221 hwmon: currK_input; else "" */
    double scale;    /* multiplier of the read value: to µJ (ENERGY) or mW (POWER) */
    double wrap_uj;
    int fd;             /* perf power PMU: descriptor (-1 when closed), */
    int cpu;            /* the CPU it counts on, */
    uint32_t perf_type; /* and its perf_event_attr type and config */
    uint64_t perf_config;
} et_power_channel;

typedef struct et_power_source et_power_source;

typedef struct et_power_ops {
    const char *name;                  /* "rapl-powercap", for JSON */
    const char *title;                 /* "RAPL (powercap)", for doctor */
    void (*probe)(et_power_source *s); /* fills probe, kind, label, partial, interval_ms, channels, detail */
    int (*start)(et_power_source *s);  /* 0 or -errno */
    int (*sample)(et_power_source *s, et_power_raw *out); /* 0 or -errno */
    void (*stop)(et_power_source *s);
    void (*read)(const et_power_source *s, et_power_info *out); /* source name, partial */
} et_power_ops;

struct et_power_source {
    const et_power_ops *ops;
    /* environment, set before probe */
    const et_sysroot *sr;
    const et_perf_ops *perf;
    const et_vcio_ops *vcio;
    const et_perf_env *penv;
    bool trial; /* may open perf events to check (real sysroot) */
    /* filled by probe */
    et_probe probe;
    bool relevant; /* the hardware is here even if it cannot be read: its reason is the
                                               one a run reports when no source works */
    et_power_kind kind;
    char label[ET_NAME_MAX]; /* what result.power.source says */
    bool partial;
    int interval_ms;     /* default sampling period for this source */
    int min_interval_ms; /* never sample faster (the sensor's update_interval, a slow query) */
    int n_channels;
    et_power_channel ch[ET_POWER_MAX_CHANNELS];
    char detail[ET_POWER_DETAIL_MAX]; /* for doctor: zones or rails found, with values */
};

/* Every source, in order of preference: X(name) has its ops table et_power_<name>_ops in power_<name>.c. */
#define ET_POWER_SOURCE_LIST(X) X(ina3221) X(pi5_pmic) X(rapl_powercap) X(rapl_perf) X(hwmon)
#define ET_X(name) extern const et_power_ops et_power_##name##_ops;
ET_POWER_SOURCE_LIST(ET_X)
#undef ET_X
enum {
#define ET_X(name) +1
    ET_POWER_SOURCE_COUNT = 0 ET_POWER_SOURCE_LIST(ET_X) /* how many sources there are */
#undef ET_X
};

/* The sources in order of preference (power_sources.c, which sits above them all). */
extern const et_power_ops *const et_power_sources[ET_POWER_SOURCE_COUNT];

/* Sets up s for ops with the environment, then probes it. */
void et_power_source_init(et_power_source *s, const et_power_ops *ops, const et_sysroot *sr, const et_perf_ops *perf,
                          const et_vcio_ops *vcio, const et_perf_env *penv, bool trial);

/* start and stop for sources that keep nothing open (file-based): do nothing, return 0. */
int et_power_start_nothing(et_power_source *s);
void et_power_stop_nothing(et_power_source *s);

/* The common `read` op: copies label and partial into out. */
void et_power_read_label(const et_power_source *s, et_power_info *out);

/* Appends printf-formatted text to s->detail (truncating quietly). */
void et_power_detail_add(et_power_source *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For ENERGY sources on real hardware: starts s, samples twice wait_ms apart, stops it, and gives the counters'
 * advance. A counter that does not move is a VM exposing RAPL without the hardware behind it (seen: a perf power
 * PMU whose energy-psys opens and reads 0 forever). Returns 0 or the -errno of start or sample. */
int et_power_check_advance(et_power_source *s, int wait_ms, double *delta_uj);

/* Wrap-safe advance of a cumulative counter: e1 - e0, or e1 + (range - e0) when it wrapped (range 0: no wrap). */
double et_energy_delta_uj(double e0, double e1, double range_uj);

/* Parses `vcgencmd pmic_read_adc` output: pairs NAME_A current(..)=xA with NAME_V volt(..)=yV by rail name (channel
 * numbers change between firmware) and sums A*V over rails that have both and finite values. Returns the number of
 * rails summed (0: none) and the total in mW; names (optional, n_names slots of 32) get the rails used. */
int et_pmic_parse(const char *text, double *total_mw, char (*names)[32], int n_names);

/* --- the sampler --------------------------------------------------------------------------------------------- */
typedef struct et_power_sampler et_power_sampler;

/* Prepares sampling of a probed, OK source; interval_ms 0 takes the source's default. The timeline capacity is
 * allocated here. Fails with ET_E_NOMEM or ET_E_RUNTIME. The caller owns *out; src must outlive it. */
et_status et_sampler_create(et_power_source *src, int interval_ms, et_power_sampler **out, et_err *err);
/* As et_sampler_create with a given timeline capacity (tests use a small one to exercise thinning). */
et_status et_sampler_create_with(et_power_source *src, int interval_ms, int timeline_cap, et_power_sampler **out,
                                 et_err *err);
/* Starts the source, takes the first sample and starts the thread; returns 0 or -errno (the source failed). */
int et_sampler_start(et_power_sampler *s);
/* Stops the thread (waking it at once), takes the last sample, stops the source. */
void et_sampler_stop(et_power_sampler *s);
/* Fills out for the window of the last start..stop over `iterations` inferences (timeline allocated, owned by
 * out). */
void et_sampler_read(const et_power_sampler *s, int iterations, et_power_info *out);
void et_sampler_destroy(et_power_sampler *s);

#endif
