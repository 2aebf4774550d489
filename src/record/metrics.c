/* metrics.c: the metric table and how each value is read from a run (see metrics.h). */
#include "record/metrics.h"

#include <math.h>
#include <string.h>

#define MIB (1.0 / (1024.0 * 1024.0))

// clang-format off
const et_metric et_metrics[ET_METRIC_COUNT] = {
    [ET_METRIC_P50] = {"p50", "p50", "latency_p50_ms", "ms", 1, 2, ET_UNIT_MS, ET_METRIC_LOWER_IS_BETTER,
                       ET_CHANGE_RATIO, "faster", "slower", "speedup", "speed-up", true, ET_TEST_LATENCY_SAMPLES},
    [ET_METRIC_P90] = {"p90", "p90", "latency_p90_ms", "ms", 1, 2, ET_UNIT_MS, ET_METRIC_LOWER_IS_BETTER,
                       ET_CHANGE_RATIO, "faster", "slower", NULL, NULL, false},
    [ET_METRIC_P99] = {"p99", "p99", "latency_p99_ms", "ms", 1, 2, ET_UNIT_MS, ET_METRIC_LOWER_IS_BETTER,
                       ET_CHANGE_RATIO, "faster", "slower", NULL, NULL, true},
    [ET_METRIC_THROUGHPUT] = {"inf/s", "throughput", "throughput_ips", "inf/s", 1, 1, ET_UNIT_PER_S,
                              ET_METRIC_HIGHER_IS_BETTER, ET_CHANGE_RATIO, "higher", "lower", NULL, NULL, false},
    [ET_METRIC_DEPLOYED] = {"deployed", "deployed mem", "deployed_mib", "MiB", MIB, 1, ET_UNIT_BYTES,
                            ET_METRIC_LOWER_IS_BETTER, ET_CHANGE_RATIO, "smaller", "larger", "memory_ratio",
                            "memory ratio", true},
    [ET_METRIC_PEAK] = {"edgetune peak", "edgetune peak", "peak_memory_mib", "MiB", MIB, 1, ET_UNIT_BYTES,
                        ET_METRIC_LOWER_IS_BETTER, ET_CHANGE_RATIO, "smaller", "larger", NULL, NULL, false},
    [ET_METRIC_SIZE] = {"size", "size", "size_mib", "MiB", MIB, 2, ET_UNIT_BYTES, ET_METRIC_LOWER_IS_BETTER,
                        ET_CHANGE_RATIO, "smaller", "larger", "size_ratio", "size ratio", true},
    [ET_METRIC_ARENA] = {"arena", "arena", "arena_mib", "MiB", MIB, 2, ET_UNIT_BYTES, ET_METRIC_LOWER_IS_BETTER,
                         ET_CHANGE_RATIO, "smaller", "larger", NULL, NULL, false},
    [ET_METRIC_ENERGY] = {"energy/inf", "energy/inf", "energy_per_inf_mj", "mJ", 1, 3, ET_UNIT_MJ,
                          ET_METRIC_LOWER_IS_BETTER, ET_CHANGE_RATIO, "less", "more", "energy_ratio",
                          "energy ratio", true, ET_TEST_ENERGY_TIMELINE},
    [ET_METRIC_POWER] = {"avg power", "avg power", "avg_power_w", "W", 1, 2, ET_UNIT_W, ET_METRIC_NEITHER,
                         ET_CHANGE_RATIO, "lower", "higher", NULL, NULL, false},
    [ET_METRIC_IPC] = {"IPC", "IPC", "ipc", "", 1, 2, ET_UNIT_NONE, ET_METRIC_HIGHER_IS_BETTER, ET_CHANGE_RATIO,
                       "higher", "lower", NULL, NULL, false},
    [ET_METRIC_CYCLES] = {"cycles/inf", "cycles/inf", "cycles_per_inf", "", 1, 0, ET_UNIT_PER_INF,
                          ET_METRIC_LOWER_IS_BETTER, ET_CHANGE_RATIO, "fewer", "more", NULL, NULL, false},
    [ET_METRIC_TOP1] = {"top-1", "top-1 agree", "top1_agreement_pct", "%", 100, 2, ET_UNIT_FRACTION,
                        ET_METRIC_HIGHER_IS_BETTER, ET_CHANGE_POINTS, NULL, NULL, NULL, NULL, true},
    [ET_METRIC_TOP5] = {"top-5", "top-5 agree", "top5_agreement_pct", "%", 100, 2, ET_UNIT_FRACTION,
                        ET_METRIC_HIGHER_IS_BETTER, ET_CHANGE_POINTS, NULL, NULL, NULL, NULL, false},
    [ET_METRIC_ACCURACY] = {"accuracy", "accuracy", "accuracy_pct", "%", 100, 2, ET_UNIT_FRACTION,
                            ET_METRIC_HIGHER_IS_BETTER, ET_CHANGE_POINTS, NULL, NULL, "accuracy_delta_pp",
                            "accuracy delta", true, ET_TEST_PAIRED_CORRECTNESS},
};
// clang-format on

static const et_counter *counted(const et_result *r, const char *label) {
    for (int i = 0; i < r->n_counters; i++)
        if (strcmp(r->counters[i].label, label) == 0 && r->counters[i].status == ET_AVAIL_OK &&
            r->counters[i].running_ns > 0)
            return &r->counters[i];
    return NULL;
}

static double positive(double v) { return v > 0 ? v : NAN; }

static double timed(const et_result *r, double ms) { return r->iters > 0 ? positive(ms) : NAN; }

/* The size rule (metrics.h): deployed weight bytes, else the file of an fp32 run, else missing. */
static double size_of(const et_result *r) {
    if (r->memory.weights_deploy_bytes > 0)
        return (double)r->memory.weights_deploy_bytes;
    return et_knobs_is_fp32(&r->knobs) ? positive((double)r->model.file_bytes) : NAN;
}

/* Agreement of the first output's top-k classes with the fp32 model's (k is 1 or 5). */
static double agreement(const et_result *r, int k) {
    const et_fidelity_info *f = &r->fidelity;
    if (f->status != ET_AVAIL_OK || f->n_outputs < 1)
        return NAN;
    double v = k == 1 ? f->outputs[0].top1_agreement : f->outputs[0].top5_agreement;
    return v >= 0 ? v : NAN;
}

double et_metric_value(const et_result *r, et_metric_id m) {
    if (!r)
        return NAN;
    bool power = r->power.status == ET_AVAIL_OK;
    switch (m) {
    case ET_METRIC_P50: return timed(r, r->latency.p50_ms);
    case ET_METRIC_P90: return timed(r, r->latency.p90_ms);
    case ET_METRIC_P99: return timed(r, r->latency.p99_ms);
    case ET_METRIC_THROUGHPUT: return timed(r, r->latency.throughput_ips);
    case ET_METRIC_DEPLOYED: return r->deployed.status == ET_AVAIL_OK ? positive((double)r->deployed.peak_bytes) : NAN;
    case ET_METRIC_PEAK: return r->memory.status == ET_AVAIL_OK ? positive((double)r->memory.peak_rss_bytes) : NAN;
    case ET_METRIC_SIZE: return size_of(r);
    case ET_METRIC_ARENA: return positive((double)r->memory.arena_bytes);
    case ET_METRIC_ENERGY: return power ? r->power.energy_per_inf_mj : NAN;
    case ET_METRIC_POWER: return power ? r->power.avg_power_w : NAN;
    case ET_METRIC_IPC: return et_result_ipc(r);
    case ET_METRIC_CYCLES: {
        const et_counter *c = counted(r, "cycles");
        return c ? c->value_per_inf : NAN;
    }
    case ET_METRIC_TOP1: return agreement(r, 1);
    case ET_METRIC_TOP5: return agreement(r, 5);
    case ET_METRIC_ACCURACY:
        return r->fidelity.status == ET_AVAIL_OK && r->fidelity.accuracy >= 0 ? r->fidelity.accuracy : NAN;
    case ET_METRIC_COUNT: break;
    }
    return NAN;
}

double et_metric_ratio(et_metric_id m, double base, double cur) {
    if (!(base > 0) || !(cur > 0))
        return NAN;
    return et_metrics[m].better == ET_METRIC_HIGHER_IS_BETTER ? cur / base : base / cur;
}

double et_metric_points(double base, double cur) { return (cur - base) * 100.0; }
