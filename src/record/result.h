/* result.h: one measured run: what `bench` produces, the database stores, `compare` and the TUI show.
 *
 * Plain data with fixed-size fields where that is reasonable, so a result can be copied between the bench worker
 * and the UI under a mutex, and written to the database in one transaction. The variable-length parts (samples,
 * counters, power timeline, per-layer profile, fidelity per output) are heap arrays owned by the result and freed
 * by et_result_free(). Every quantity carries its unit in its name.
 *
 * "Unavailable" is never encoded as 0: each profiler section has a status and a one-line reason.
 *
 * The record floor (src/record) sits below everything that fills or reads a run: tune (fidelity), profilers,
 * db, bench, ui and cli all include it, and it includes only knobs.h and libc. */
#ifndef ET_RECORD_RESULT_H
#define ET_RECORD_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "record/knobs.h"

/* Availability of a measured section (profilers/README.md section 0). */
#define ET_AVAIL_LIST(X)                                                    \
    X(ET_AVAIL_OK, "ok")                                                    \
    X(ET_AVAIL_UNSUPPORTED, "unsupported") /* no such hardware or driver */ \
    X(ET_AVAIL_NO_PERMISSION, "no permission")                              \
    X(ET_AVAIL_INVALID, "invalid") /* rejected configuration */             \
    X(ET_AVAIL_ERROR, "error")                                              \
    X(ET_AVAIL_NOT_RUN, "not measured") /* switched off or not applicable to this run */
typedef enum {
#define ET_X(e, s) e,
    ET_AVAIL_LIST(ET_X)
#undef ET_X
        ET_AVAIL_COUNT
} et_avail;
const char *et_avail_name(et_avail a);

enum { ET_NAME_MAX = 128, ET_PATH_MAX = 1024, ET_WHY_MAX = 256, ET_UUID_LEN = 36 };
/* engine notes: tune's notes (kept layers, calibration, recovery with its time) and bench's; an int8 run with
 * recovery needs more than ET_WHY_MAX (the recovery note and its time were cut off) */
enum { ET_NOTES_MAX = 1024 };

typedef enum { ET_RUN_OK = 0, ET_RUN_ABORTED, ET_RUN_FAILED, ET_RUN_RUNNING } et_run_status;
const char *et_run_status_name(et_run_status s);

typedef struct et_model_info {
    char name[ET_NAME_MAX]; /* file name without directory */
    char path[ET_PATH_MAX];
    char sha256[65]; /* hex of the model file bytes */
    int64_t file_bytes;
    int64_t params; /* weight elements */
    int64_t macs;   /* multiply-accumulates per inference, pristine model */
} et_model_info;

typedef struct et_host_info {
    char hostname[ET_NAME_MAX];
    char cpu[ET_NAME_MAX];    /* model name from /proc/cpuinfo or the device tree */
    char arch[32];            /* uname machine: x86_64, aarch64 */
    char board[ET_NAME_MAX];  /* device-tree model (Raspberry Pi 5, Jetson ...) or DMI product, or "" */
    char kernel[ET_NAME_MAX]; /* uname release */
    int cores;
} et_host_info;

typedef struct et_latency_stats {
    double min_ms, mean_ms, p50_ms, p90_ms, p99_ms, max_ms, std_ms;
    double cv;             /* coefficient of variation: std / mean, no unit */
    double throughput_ips; /* inferences per second: 1000 / mean_ms */
} et_latency_stats;

typedef struct et_memory_info {
    et_avail status;
    char why[ET_WHY_MAX];
    int64_t peak_rss_bytes;       /* edgetune's own peak resident set during the timed loop (the pristine model,
                                      the baseline and the tuned model together): not what a deployment needs */
    char peak_rss_method[64];     /* "clear_refs+VmHWM" or the fallback used, e.g. "ru_maxrss (process peak)" */
    int64_t weights_bytes;        /* bytes of weights as the engine holds them (packed) */
    int64_t weights_deploy_bytes; /* bytes a deployment would store at this bit-width */
    int64_t arena_bytes;          /* activation arena of the plan */
} et_memory_info;

/* The memory headline: what the tuned model needs when deployed on edgetune's engine. Measured in a separate
 * process that loads only what a deployment loads (the tuned graph's image, deploy_image.h), builds the plan
 * (weights packed at the deployed bit-width, arena, scratch, thread pool) and runs it; edgetune's own process
 * (the pristine model, the fp32 baseline, the derivation) is not in it. */
typedef struct et_deployed_memory {
    et_avail status;
    char why[ET_WHY_MAX];
    int64_t peak_bytes;      /* peak resident set of that process while inferring: the headline */
    int64_t runtime_bytes;   /* its resident set before loading the model: the runtime's code, libc, stacks */
    int64_t load_peak_bytes; /* its peak while loading and planning (image pages beside the packed weights) */
    int64_t weights_bytes;   /* packed weights in that plan */
    int64_t arena_bytes;     /* arena + scratch of that plan */
    char method[64];         /* e.g. "child process, VmHWM after clear_refs" */
} et_deployed_memory;

typedef struct et_counter {
    char name[ET_NAME_MAX]; /* libpfm4 name with explicit pmu, e.g. "perf::CYCLES" */
    char label[64];         /* short label for display, e.g. "cycles", "cache-misses (LLC)" */
    et_avail status;
    char why[ET_WHY_MAX];
    double value; /* scaled estimate: raw * enabled / running; per inference in value_per_inf */
    double value_per_inf;
    uint64_t raw;
    uint64_t enabled_ns, running_ns; /* running == 0 with status OK means "not counted" */
} et_counter;

typedef struct et_power_sample {
    int64_t t_ns; /* CLOCK_MONOTONIC, relative to the start of the timed loop */
    double power_mw;
} et_power_sample;

typedef struct et_power_info {
    et_avail status;
    char why[ET_WHY_MAX];
    char source[ET_NAME_MAX]; /* e.g. "rapl:package-0", "ina3221:VDD_IN", "pi5-pmic (sum of rails)" */
    bool partial;             /* true when the source covers only part of the board */
    double avg_power_w;
    double energy_j; /* over the timed loop */
    double energy_per_inf_mj;
    int n_samples;
    et_power_sample *samples; /* timeline, owned */
} et_power_info;

enum { ET_MAX_ZONES = 16 };
typedef struct et_thermal_info {
    et_avail status;
    char why[ET_WHY_MAX];
    int n_zones;
    char zone[ET_MAX_ZONES][32];
    double temp_start_c[ET_MAX_ZONES], temp_end_c[ET_MAX_ZONES];
    double cpu_mhz_start, cpu_mhz_end, cpu_mhz_max; /* average over online CPUs; 0 when unknown */
    bool throttled;                                 /* clock below max under load, or the Pi's throttling bits */
    char throttle_why[ET_WHY_MAX];
} et_thermal_info;

typedef struct et_output_fidelity {
    char output[ET_NAME_MAX];
    double top1_agreement; /* fraction 0..1 of eval inputs whose arg-max matches the baseline; <0: n/a */
    double top5_agreement; /* <0: n/a (fewer than 5 classes) */
    double cosine;         /* mean cosine similarity to the baseline output */
    double sqnr_db;        /* 10 log10(|baseline|^2 / |diff|^2); +inf when identical */
    double max_abs_err;
} et_output_fidelity;

typedef struct et_fidelity_info {
    et_avail status;
    char why[ET_WHY_MAX];
    int n_inputs;                  /* evaluation inputs used (accuracy counts every one) */
    int n_compared;                /* of which compared output by output with the baseline: n_inputs, unless the
                                      baseline's outputs exceeded their memory cap (then a seeded subset) */
    char eval_source[ET_PATH_MAX]; /* the --eval path with its sample count, or "seeded random inputs" */
    double accuracy;               /* with labels: fraction correct, else < 0 */
    double baseline_accuracy;      /* the fp32 model on the same labels, else < 0 */
    int n_outputs;
    et_output_fidelity *outputs; /* owned */
    /* per evaluation input, in the set's order (what McNemar's test pairs between two runs): n_per_input is
       n_inputs when stored, else 0 (runs stored before, or a pass that did not finish) */
    int n_per_input;
    int32_t *top1;      /* owned: arg-max of output 0 for each input */
    uint8_t *correct;   /* owned: 1 when top1 equals the input's label; NULL without labels */
    char eval_hash[17]; /* FNV-1a 64 (hex) of every evaluation input's bytes and its label: runs with
                                      the same hash and count ran on the same inputs; "" when unknown */
    /* which inputs of the set were evaluated: those at positions eval_first, eval_first + eval_step, ... (0 or 1:
       every input; 2: one half, as a search's sensitivity asks, et_session_fidelity_part; 2 k: every k-th input of
       that half, a search's screening of a large set). Everything above
       (counts, accuracy, per-input arrays in that order, hash) is of those inputs only. Not stored: a stored run's
       count, hash and eval_source say it */
    int eval_first, eval_step;
    /* true: the pass stopped early (et_session_fidelity_until) once too many inputs missed; everything above is of
       the inputs evaluated until then, a start of the set, not the set. Not stored */
    bool stopped;
} et_fidelity_info;

typedef struct et_layer_profile {
    char name[ET_NAME_MAX];
    char op[32];
    char kernel[64];    /* which kernel ran, e.g. "f32-igemm-6x16-avx2", "f32-spmm-avx2" */
    char precision[16]; /* "fp32", "int8", "int4", "int8 (simulated 5-bit)" */
    double time_ms;     /* mean per inference */
    int64_t macs;
    double recon_err_before; /* recovery: the layer's output error on the calibration set relative to its
                                      energy, without and with recovery (fractions); NaN when not measured */
    double recon_err_after;
} et_layer_profile;

typedef struct et_engine_info {
    char version[32];         /* edgetune version */
    char isa[64];             /* kernel path in use, e.g. "avx2+fma", "avx512-vnni", "neon-dot" */
    char exec[32];            /* "native" or "simulated" (bit-width without a native kernel) */
    char notes[ET_NOTES_MAX]; /* e.g. "first and last layer kept fp32; calibration: seeded random" */
} et_engine_info;

typedef struct et_result {
    char uuid[ET_UUID_LEN + 1];
    int64_t started_unix_ms; /* wall clock at start */
    et_run_status status;
    char label[ET_NAME_MAX];
    bool is_baseline;

    et_model_info model;
    et_host_info host;
    et_knobs knobs;
    et_engine_info engine;

    int warmup_iters;
    int iters;         /* timed iterations completed */
    double prepare_ms; /* deriving the tuned model and its plan */
    et_latency_stats latency;
    int n_samples;
    double *samples_ms; /* per timed iteration, owned */

    et_deployed_memory deployed; /* the memory headline (memory.peak_rss_bytes is edgetune's own peak) */
    et_memory_info memory;
    int n_counters;
    et_counter *counters; /* owned */
    et_power_info power;
    et_thermal_info thermal;
    et_fidelity_info fidelity;
    int n_layers;
    et_layer_profile *layers;     /* owned; 0 when not profiled */
    double profiler_overhead_pct; /* measured cost of the profilers on latency (may be slightly negative: noise);
                                      NaN when not measured */
} et_result;

/* Zeroes r and marks every section ET_AVAIL_NOT_RUN with "not measured". */
void et_result_init(et_result *r);
/* Frees the owned arrays; r is left initialised and empty. */
void et_result_free(et_result *r);
/* Frees a fidelity section's owned arrays (outputs, top1, correct) and zeroes their counts; et_result_free does
 * this for a whole result. */
void et_fidelity_info_free(et_fidelity_info *f);
/* Deep copy; returns false on allocation failure (dst is then empty). */
bool et_result_copy(et_result *dst, const et_result *src);

/* Fills stats from samples (sorted copy; percentiles by linear interpolation). n == 0 gives all zeros. */
void et_latency_stats_compute(const double *samples_ms, int n, et_latency_stats *out);

/* Instructions per cycle from the result's counters ("cycles" and "instructions" labels); NaN unless both were
 * counted (status ok and running time > 0). */
double et_result_ipc(const et_result *r);

/* A fresh random version-4 UUID, 36 characters plus NUL. */
void et_uuid_v4(char out[ET_UUID_LEN + 1]);

#endif
