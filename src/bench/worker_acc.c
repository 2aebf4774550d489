/* worker_acc.c: folding one chunk of measurement (an et_result from et_bench_run) into the run the worker is
 * accumulating for the current knobs. Samples are appended and the statistics recomputed from all of them;
 * counters and energy add up (per-inference values are re-derived from the totals); peak memory is the largest
 * peak seen; temperatures and clocks keep the first start and the latest end; per-layer means are weighted by
 * iterations. Identity fields (uuid, start time, knobs) stay those of the accumulated run. */
#include <stdlib.h>
#include <string.h>

#include "bench/worker.h"

static bool append(void **dst, int n_dst, const void *src, int n_src, size_t elem) {
    if (n_src <= 0)
        return true;
    void *grown = realloc(*dst, (size_t)(n_dst + n_src) * elem);
    if (!grown)
        return false;
    memcpy((char *)grown + (size_t)n_dst * elem, src, (size_t)n_src * elem);
    *dst = grown;
    return true;
}

static double timed_ms(const et_result *r) {
    double t = 0;
    for (int i = 0; i < r->n_samples; i++)
        t += r->samples_ms[i];
    return t;
}

/* The first chunk: take its measured sections over (the arrays are copied, chunk stays the caller's). */
static bool take_first(et_result *acc, const et_result *c) {
    et_result copy;
    if (!et_result_copy(&copy, c))
        return false;
    free(acc->samples_ms);
    free(acc->counters);
    free(acc->power.samples);
    free(acc->layers);
    acc->warmup_iters = copy.warmup_iters;
    acc->iters = copy.iters;
    acc->latency = copy.latency;
    acc->n_samples = copy.n_samples, acc->samples_ms = copy.samples_ms;
    acc->memory = copy.memory;
    acc->n_counters = copy.n_counters, acc->counters = copy.counters;
    acc->power = copy.power;
    acc->thermal = copy.thermal;
    acc->n_layers = copy.n_layers, acc->layers = copy.layers;
    acc->profiler_overhead_pct = copy.profiler_overhead_pct;
    acc->engine = copy.engine;
    acc->prepare_ms = copy.prepare_ms;
    free(copy.fidelity.outputs);
    free(copy.fidelity.top1);
    free(copy.fidelity.correct);
    return true;
}

static void merge_counters(et_result *acc, const et_result *c) {
    for (int i = 0; i < acc->n_counters; i++) {
        et_counter *a = &acc->counters[i];
        const et_counter *b = NULL;
        for (int k = 0; k < c->n_counters && !b; k++)
            if (strcmp(c->counters[k].name, a->name) == 0)
                b = &c->counters[k];
        if (!b)
            continue;
        /* a counter that failed in an earlier chunk stays failed: its totals would cover fewer iterations */
        if (a->status != ET_AVAIL_OK || b->status != ET_AVAIL_OK)
            continue;
        a->value += b->value;
        a->raw += b->raw;
        a->enabled_ns += b->enabled_ns;
        a->running_ns += b->running_ns;
        a->value_per_inf = acc->iters > 0 ? a->value / acc->iters : 0;
    }
}

static bool merge_power(et_result *acc, const et_result *c, double acc_ms_before) {
    et_power_info *a = &acc->power;
    const et_power_info *b = &c->power;
    if (b->status != ET_AVAIL_OK)
        return true;
    if (a->status != ET_AVAIL_OK) { /* first chunk with power: start over from it */
        free(a->samples);
        *a = *b;
        a->samples = NULL;
        a->n_samples = 0;
        if (!append((void **)&a->samples, 0, b->samples, b->n_samples, sizeof *b->samples))
            return false;
        a->n_samples = b->n_samples;
        return true;
    }
    int64_t offset_ns = (int64_t)(acc_ms_before * 1e6);
    et_power_sample *grown = realloc(a->samples, (size_t)(a->n_samples + b->n_samples + 1) * sizeof *grown);
    if (!grown)
        return false;
    a->samples = grown;
    for (int i = 0; i < b->n_samples; i++) {
        a->samples[a->n_samples + i] = b->samples[i];
        a->samples[a->n_samples + i].t_ns += offset_ns;
    }
    a->n_samples += b->n_samples;
    a->energy_j += b->energy_j;
    a->partial = a->partial || b->partial;
    double total_s = (acc_ms_before + timed_ms(c)) / 1e3;
    a->avg_power_w = total_s > 0 ? a->energy_j / total_s : b->avg_power_w;
    a->energy_per_inf_mj = acc->iters > 0 ? a->energy_j * 1e3 / acc->iters : 0;
    return true;
}

static void merge_thermal(et_result *acc, const et_result *c) {
    et_thermal_info *a = &acc->thermal;
    const et_thermal_info *b = &c->thermal;
    if (b->status != ET_AVAIL_OK)
        return;
    if (a->status != ET_AVAIL_OK) {
        *a = *b;
        return;
    }
    for (int z = 0; z < a->n_zones && z < b->n_zones; z++)
        a->temp_end_c[z] = b->temp_end_c[z];
    a->cpu_mhz_end = b->cpu_mhz_end;
    if (b->cpu_mhz_max > a->cpu_mhz_max)
        a->cpu_mhz_max = b->cpu_mhz_max;
    if (b->throttled && !a->throttled) {
        a->throttled = true;
        memcpy(a->throttle_why, b->throttle_why, sizeof a->throttle_why);
    }
}

static void merge_layers(et_result *acc, const et_result *c, int n_before) {
    if (c->n_layers != acc->n_layers || c->iters <= 0)
        return;
    double wa = (double)n_before, wb = (double)c->iters;
    for (int i = 0; i < acc->n_layers; i++)
        if (strcmp(acc->layers[i].name, c->layers[i].name) == 0)
            acc->layers[i].time_ms = (acc->layers[i].time_ms * wa + c->layers[i].time_ms * wb) / (wa + wb);
}

bool et_worker_accumulate(et_result *acc, const et_result *c) {
    if (c->iters <= 0 || c->n_samples <= 0)
        return true;
    if (acc->iters <= 0)
        return take_first(acc, c);
    int n_before = acc->iters;
    double ms_before = timed_ms(acc);
    if (!append((void **)&acc->samples_ms, acc->n_samples, c->samples_ms, c->n_samples, sizeof(double)))
        return false;
    acc->n_samples += c->n_samples;
    acc->iters += c->iters;
    et_latency_stats_compute(acc->samples_ms, acc->n_samples, &acc->latency);
    if (c->memory.status == ET_AVAIL_OK &&
        (acc->memory.status != ET_AVAIL_OK || c->memory.peak_rss_bytes > acc->memory.peak_rss_bytes)) {
        acc->memory.status = ET_AVAIL_OK;
        acc->memory.why[0] = '\0';
        acc->memory.peak_rss_bytes = c->memory.peak_rss_bytes;
        memcpy(acc->memory.peak_rss_method, c->memory.peak_rss_method, sizeof acc->memory.peak_rss_method);
    }
    merge_counters(acc, c);
    merge_thermal(acc, c);
    merge_layers(acc, c, n_before);
    return merge_power(acc, c, ms_before);
}
