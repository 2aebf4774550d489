/* fake_runs.h: synthetic et_result values for the database tests and the db benchmark, until `bench` makes real
 * ones. Everything is derived from a seed, uuid included, so a test can regenerate the run it expects to find
 * and compare it field by field with what the database gives back. Every section is filled (status ok) so that
 * a field the database forgets shows up as a difference. */
#ifndef ET_TEST_FAKE_RUNS_H
#define ET_TEST_FAKE_RUNS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/result.h"

typedef struct et_fake_opts {
    const char *model;       /* default "resnet50.onnx" */
    const char *host;        /* default "pi5" */
    int weight_bits;         /* default 32 */
    int act_bits;            /* default 32 */
    float prune;             /* default 0 */
    int threads;             /* default 1 */
    int n_samples;           /* default 100; < 0: none */
    int n_power;             /* default 20; < 0: none */
    double base_ms;          /* p50 around this; default 10 ms, scaled down by bits and pruning */
    int64_t started_unix_ms; /* default: 1.7e12 + seed seconds */
} et_fake_opts;

static inline uint64_t et_fake_mix(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline double et_fake_unit(uint64_t *s) { return (double)(et_fake_mix(s) >> 11) / 9007199254740992.0; }

static inline void et_fake_uuid(uint64_t seed, char out[ET_UUID_LEN + 1]) {
    uint64_t s = seed * 7919 + 17, a = et_fake_mix(&s), b = et_fake_mix(&s);
    snprintf(out, ET_UUID_LEN + 1, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
             (unsigned)a & 0xfff, (unsigned)(b >> 52) & 0xfff, (unsigned long long)(b & 0xffffffffffffull));
}

/* Fills r (which is freed and re-initialised first). */
static inline void et_fake_result(et_result *r, uint64_t seed, const et_fake_opts *o_in) {
    et_fake_opts o = o_in ? *o_in : (et_fake_opts){0};
    if (!o.model)
        o.model = "resnet50.onnx";
    if (!o.host)
        o.host = "pi5";
    if (!o.weight_bits)
        o.weight_bits = 32;
    if (!o.act_bits)
        o.act_bits = 32;
    if (!o.threads)
        o.threads = 1;
    if (!o.n_samples)
        o.n_samples = 100;
    if (!o.n_power)
        o.n_power = 20;
    if (!o.base_ms)
        o.base_ms = 10.0;
    if (!o.started_unix_ms)
        o.started_unix_ms = 1700000000000ll + (int64_t)seed * 1000;
    et_result_free(r);
    et_result_init(r);
    uint64_t s = seed;
    et_fake_uuid(seed, r->uuid);
    r->started_unix_ms = o.started_unix_ms;
    r->status = ET_RUN_OK;
    snprintf(r->model.name, sizeof r->model.name, "%s", o.model);
    snprintf(r->model.path, sizeof r->model.path, "/models/%s", o.model);
    /* the hash is a function of the name: one file per model name */
    uint64_t hs = 0;
    for (const char *p = o.model; *p; p++)
        hs = hs * 131 + (unsigned char)*p;
    for (int i = 0; i < 4; i++)
        snprintf(r->model.sha256 + 16 * i, 17, "%016llx", (unsigned long long)et_fake_mix(&hs));
    r->model.file_bytes = 100 * 1000 * 1000 + (int64_t)(hs % 1000);
    r->model.params = 25 * 1000 * 1000;
    r->model.macs = 4100ll * 1000 * 1000;
    snprintf(r->host.hostname, sizeof r->host.hostname, "%s", o.host);
    snprintf(r->host.cpu, sizeof r->host.cpu, "Cortex-A76");
    snprintf(r->host.arch, sizeof r->host.arch, "aarch64");
    snprintf(r->host.board, sizeof r->host.board, "Raspberry Pi 5 Model B Rev 1.0");
    snprintf(r->host.kernel, sizeof r->host.kernel, "6.6.20+rpt-rpi-2712");
    r->host.cores = 4;
    r->knobs.weight_bits = o.weight_bits;
    r->knobs.act_bits = o.act_bits;
    r->knobs.prune_ratio = o.prune;
    r->knobs.threads = o.threads;
    r->knobs.symmetric = (seed & 1) == 0;
    r->knobs.granularity = (seed & 2) ? ET_GRAN_TENSOR : ET_GRAN_CHANNEL;
    snprintf(r->engine.isa, sizeof r->engine.isa, "neon-dot");
    snprintf(r->engine.exec, sizeof r->engine.exec, "%s",
             o.weight_bits == 8 || o.weight_bits >= 16 ? "native" : "simulated");
    snprintf(r->engine.notes, sizeof r->engine.notes, "first and last layer kept fp32; seed %llu",
             (unsigned long long)seed);
    r->warmup_iters = 10;
    r->prepare_ms = 100.0 + et_fake_unit(&s);
    double scale = (o.weight_bits >= 16 ? 1.0 : 0.4) * (1.0 - 0.5 * o.prune) / (o.threads > 1 ? 0.8 * o.threads : 1.0);
    double base = o.base_ms * scale;
    if (o.n_samples > 0) {
        r->n_samples = o.n_samples;
        r->samples_ms = malloc((size_t)o.n_samples * sizeof(double));
        for (int i = 0; i < o.n_samples; i++)
            r->samples_ms[i] = base * (1.0 + 0.05 * et_fake_unit(&s)) + (i % 97 == 0 ? base * 0.3 : 0.0);
        et_latency_stats_compute(r->samples_ms, r->n_samples, &r->latency);
        r->iters = o.n_samples;
    } else {
        r->iters = 50;
        r->latency = (et_latency_stats){base * 0.99, base,        base, base * 1.01,  base * 1.05,
                                        base * 1.1,  base * 0.01, 0.01, 1000.0 / base};
    }
    r->memory.status = ET_AVAIL_OK;
    r->memory.why[0] = '\0';
    r->memory.peak_rss_bytes = (int64_t)(150e6 * (o.weight_bits >= 16 ? 1.0 : 0.4));
    snprintf(r->memory.peak_rss_method, sizeof r->memory.peak_rss_method, "clear_refs+VmHWM");
    r->memory.weights_bytes = (int64_t)(r->model.params * (o.weight_bits >= 16 ? 4 : 1));
    r->memory.weights_deploy_bytes = (int64_t)((double)r->model.params * o.weight_bits / 8.0 * (1.0 - o.prune));
    r->memory.arena_bytes = 12 << 20;
    r->deployed.status = ET_AVAIL_OK;
    r->deployed.why[0] = '\0';
    r->deployed.weights_bytes = r->memory.weights_deploy_bytes;
    r->deployed.arena_bytes = 12 << 20;
    r->deployed.runtime_bytes = 4 << 20;
    r->deployed.peak_bytes = r->deployed.weights_bytes + r->deployed.arena_bytes + r->deployed.runtime_bytes;
    r->deployed.load_peak_bytes = 2 * r->deployed.peak_bytes;
    snprintf(r->deployed.method, sizeof r->deployed.method, "separate process, VmHWM after clear_refs");
    r->n_counters = 3;
    r->counters = calloc(3, sizeof(et_counter));
    static const char *const names[] = {"perf::CYCLES", "perf::INSTRUCTIONS", "perf::CACHE-MISSES"};
    for (int i = 0; i < 3; i++) {
        et_counter *c = &r->counters[i];
        snprintf(c->name, sizeof c->name, "%s", names[i]);
        snprintf(c->label, sizeof c->label, "counter %d", i);
        c->status = i == 2 ? ET_AVAIL_NO_PERMISSION : ET_AVAIL_OK;
        snprintf(c->why, sizeof c->why, "%s", i == 2 ? "perf_event_paranoid=2" : "");
        c->raw = i == 1 ? 0xfffffffffffffff0ull : (uint64_t)(et_fake_unit(&s) * 1e12);
        c->value = (double)c->raw * 1.25;
        c->value_per_inf = c->value / 100;
        c->enabled_ns = 1000000000ull;
        c->running_ns = 800000000ull;
    }
    et_power_info *p = &r->power;
    p->status = ET_AVAIL_OK;
    p->why[0] = '\0';
    snprintf(p->source, sizeof p->source, "pi5-pmic (sum of rails)");
    p->partial = true;
    p->avg_power_w = 4.5 + et_fake_unit(&s);
    p->energy_j = p->avg_power_w * base * r->iters / 1000.0;
    p->energy_per_inf_mj = p->avg_power_w * base;
    if (o.n_power > 0) {
        p->n_samples = o.n_power;
        p->samples = malloc((size_t)o.n_power * sizeof *p->samples);
        for (int i = 0; i < o.n_power; i++)
            p->samples[i] = (et_power_sample){(int64_t)i * 1000000 + (i % 3), 4500.0 + 100.0 * et_fake_unit(&s)};
    }
    et_thermal_info *t = &r->thermal;
    t->status = ET_AVAIL_OK;
    t->why[0] = '\0';
    t->n_zones = 2;
    snprintf(t->zone[0], sizeof t->zone[0], "cpu-thermal");
    snprintf(t->zone[1], sizeof t->zone[1], "rp1_adc");
    t->temp_start_c[0] = 45.0, t->temp_end_c[0] = 61.5, t->temp_start_c[1] = 40.0, t->temp_end_c[1] = 41.0;
    t->cpu_mhz_start = 2400, t->cpu_mhz_end = 1800, t->cpu_mhz_max = 2400;
    t->throttled = (seed % 5) == 0;
    snprintf(t->throttle_why, sizeof t->throttle_why, "%s", t->throttled ? "soft temperature limit" : "");
    et_fidelity_info *f = &r->fidelity;
    f->status = ET_AVAIL_OK;
    f->why[0] = '\0';
    f->n_inputs = 64;
    f->n_compared = (seed % 3) == 0 ? 48 : 64;
    snprintf(f->eval_source, sizeof f->eval_source, "fixtures/eval");
    double loss = o.weight_bits >= 16 ? 0.0 : (8.0 / o.weight_bits) * 0.01 + o.prune * 0.02;
    f->accuracy = 0.76 - loss;
    f->baseline_accuracy = 0.76;
    f->n_outputs = 1;
    f->outputs = calloc(1, sizeof *f->outputs);
    snprintf(f->outputs[0].output, sizeof f->outputs[0].output, "logits");
    f->outputs[0].top1_agreement = 1.0 - loss;
    f->outputs[0].top5_agreement = -1.0;
    f->outputs[0].cosine = 1.0 - loss / 10;
    f->outputs[0].sqnr_db = loss == 0 ? INFINITY : 30.0;
    f->outputs[0].max_abs_err = loss;
    r->n_layers = 2;
    r->layers = calloc(2, sizeof *r->layers);
    for (int i = 0; i < 2; i++) {
        snprintf(r->layers[i].name, sizeof r->layers[i].name, "conv_%d", i);
        snprintf(r->layers[i].op, sizeof r->layers[i].op, "Conv");
        snprintf(r->layers[i].kernel, sizeof r->layers[i].kernel, "f32-igemm-6x16-neon");
        snprintf(r->layers[i].precision, sizeof r->layers[i].precision, "fp32");
        r->layers[i].time_ms = base / 2;
        r->layers[i].macs = 1000000 * (i + 1);
        /* recovery's errors (schema v2): measured for the first layer, not for the second */
        r->layers[i].recon_err_before = i == 0 ? 0.0125 : NAN;
        r->layers[i].recon_err_after = i == 0 ? 0.0031 : NAN;
    }
    r->profiler_overhead_pct = 0.8;
}

/* Compares every field; on the first difference writes its name to why and returns false. Doubles must be equal
 * bit for bit (NaN equals NaN). */
static inline bool et_fake_same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }
#define ET_FAKE_CMP(cond, name)                 \
    do {                                        \
        if (!(cond)) {                          \
            snprintf(why, why_len, "%s", name); \
            return false;                       \
        }                                       \
    } while (0)
static inline bool et_fake_results_equal(const et_result *a, const et_result *b, bool with_samples, char *why,
                                         size_t why_len) {
    ET_FAKE_CMP(strcmp(a->uuid, b->uuid) == 0, "uuid");
    ET_FAKE_CMP(a->started_unix_ms == b->started_unix_ms, "started_unix_ms");
    ET_FAKE_CMP(a->status == b->status, "status");
    ET_FAKE_CMP(strcmp(a->label, b->label) == 0, "label");
    ET_FAKE_CMP(a->is_baseline == b->is_baseline, "is_baseline");
    ET_FAKE_CMP(memcmp(&a->model, &b->model, sizeof a->model) == 0 ||
                    (!strcmp(a->model.name, b->model.name) && !strcmp(a->model.path, b->model.path) &&
                     !strcmp(a->model.sha256, b->model.sha256) && a->model.file_bytes == b->model.file_bytes &&
                     a->model.params == b->model.params && a->model.macs == b->model.macs),
                "model");
    ET_FAKE_CMP(!strcmp(a->host.hostname, b->host.hostname) && !strcmp(a->host.cpu, b->host.cpu) &&
                    !strcmp(a->host.arch, b->host.arch) && !strcmp(a->host.board, b->host.board) &&
                    !strcmp(a->host.kernel, b->host.kernel) && a->host.cores == b->host.cores,
                "host");
    const et_knobs *ka = &a->knobs, *kb = &b->knobs;
    ET_FAKE_CMP(ka->weight_bits == kb->weight_bits && ka->act_bits == kb->act_bits &&
                    ka->granularity == kb->granularity && ka->symmetric == kb->symmetric &&
                    ka->prune_ratio == kb->prune_ratio && ka->prune_method == kb->prune_method &&
                    ka->nm_n == kb->nm_n && ka->nm_m == kb->nm_m && ka->threads == kb->threads &&
                    ka->quantize_all == kb->quantize_all && ka->clip == kb->clip && ka->force_int8 == kb->force_int8 &&
                    ka->recover == kb->recover && ka->calib_method == kb->calib_method &&
                    strcmp(ka->layers, kb->layers) == 0,
                "knobs");
    ET_FAKE_CMP(!strcmp(a->engine.version, b->engine.version) && !strcmp(a->engine.isa, b->engine.isa) &&
                    !strcmp(a->engine.exec, b->engine.exec) && !strcmp(a->engine.notes, b->engine.notes),
                "engine");
    ET_FAKE_CMP(a->warmup_iters == b->warmup_iters && a->iters == b->iters, "iterations");
    ET_FAKE_CMP(et_fake_same_double(a->prepare_ms, b->prepare_ms), "prepare_ms");
    ET_FAKE_CMP(et_fake_same_double(a->profiler_overhead_pct, b->profiler_overhead_pct), "profiler_overhead_pct");
    const double la[] = {a->latency.min_ms, a->latency.mean_ms, a->latency.p50_ms,
                         a->latency.p90_ms, a->latency.p99_ms,  a->latency.max_ms,
                         a->latency.std_ms, a->latency.cv,      a->latency.throughput_ips};
    const double lb[] = {b->latency.min_ms, b->latency.mean_ms, b->latency.p50_ms,
                         b->latency.p90_ms, b->latency.p99_ms,  b->latency.max_ms,
                         b->latency.std_ms, b->latency.cv,      b->latency.throughput_ips};
    for (int i = 0; i < 9; i++)
        ET_FAKE_CMP(et_fake_same_double(la[i], lb[i]), "latency stats");
    if (with_samples) {
        ET_FAKE_CMP(a->n_samples == b->n_samples, "n_samples");
        for (int i = 0; i < a->n_samples; i++)
            ET_FAKE_CMP(et_fake_same_double(a->samples_ms[i], b->samples_ms[i]), "samples_ms");
        ET_FAKE_CMP(a->power.n_samples == b->power.n_samples, "power.n_samples");
        for (int i = 0; i < a->power.n_samples; i++)
            ET_FAKE_CMP(a->power.samples[i].t_ns == b->power.samples[i].t_ns &&
                            et_fake_same_double(a->power.samples[i].power_mw, b->power.samples[i].power_mw),
                        "power timeline");
    }
    const et_memory_info *ma = &a->memory, *mb = &b->memory;
    ET_FAKE_CMP(ma->status == mb->status && !strcmp(ma->why, mb->why) && ma->peak_rss_bytes == mb->peak_rss_bytes &&
                    !strcmp(ma->peak_rss_method, mb->peak_rss_method) && ma->weights_bytes == mb->weights_bytes &&
                    ma->weights_deploy_bytes == mb->weights_deploy_bytes && ma->arena_bytes == mb->arena_bytes,
                "memory");
    const et_deployed_memory *da = &a->deployed, *db_ = &b->deployed;
    ET_FAKE_CMP(da->status == db_->status && !strcmp(da->why, db_->why) &&
                    (da->status != ET_AVAIL_OK ||
                     (da->peak_bytes == db_->peak_bytes && da->runtime_bytes == db_->runtime_bytes &&
                      da->load_peak_bytes == db_->load_peak_bytes && da->weights_bytes == db_->weights_bytes &&
                      da->arena_bytes == db_->arena_bytes && !strcmp(da->method, db_->method))),
                "deployed memory");
    ET_FAKE_CMP(a->n_counters == b->n_counters, "n_counters");
    for (int i = 0; i < a->n_counters; i++) {
        const et_counter *x = &a->counters[i], *y = &b->counters[i];
        ET_FAKE_CMP(!strcmp(x->name, y->name) && !strcmp(x->label, y->label) && x->status == y->status &&
                        !strcmp(x->why, y->why) && et_fake_same_double(x->value, y->value) &&
                        et_fake_same_double(x->value_per_inf, y->value_per_inf) && x->raw == y->raw &&
                        x->enabled_ns == y->enabled_ns && x->running_ns == y->running_ns,
                    "counter");
    }
    const et_power_info *pa = &a->power, *pb = &b->power;
    ET_FAKE_CMP(pa->status == pb->status && !strcmp(pa->why, pb->why) && !strcmp(pa->source, pb->source) &&
                    pa->partial == pb->partial && et_fake_same_double(pa->avg_power_w, pb->avg_power_w) &&
                    et_fake_same_double(pa->energy_j, pb->energy_j) &&
                    et_fake_same_double(pa->energy_per_inf_mj, pb->energy_per_inf_mj),
                "power");
    const et_thermal_info *ta = &a->thermal, *tb = &b->thermal;
    ET_FAKE_CMP(ta->status == tb->status && !strcmp(ta->why, tb->why) && ta->n_zones == tb->n_zones &&
                    et_fake_same_double(ta->cpu_mhz_start, tb->cpu_mhz_start) &&
                    et_fake_same_double(ta->cpu_mhz_end, tb->cpu_mhz_end) &&
                    et_fake_same_double(ta->cpu_mhz_max, tb->cpu_mhz_max) && ta->throttled == tb->throttled &&
                    !strcmp(ta->throttle_why, tb->throttle_why),
                "thermal");
    for (int i = 0; i < ta->n_zones; i++)
        ET_FAKE_CMP(!strcmp(ta->zone[i], tb->zone[i]) && ta->temp_start_c[i] == tb->temp_start_c[i] &&
                        ta->temp_end_c[i] == tb->temp_end_c[i],
                    "thermal zone");
    const et_fidelity_info *fa = &a->fidelity, *fb = &b->fidelity;
    ET_FAKE_CMP(fa->status == fb->status && !strcmp(fa->why, fb->why) && fa->n_inputs == fb->n_inputs &&
                    (fa->status != ET_AVAIL_OK || fa->n_compared == fb->n_compared) &&
                    !strcmp(fa->eval_source, fb->eval_source) && et_fake_same_double(fa->accuracy, fb->accuracy) &&
                    et_fake_same_double(fa->baseline_accuracy, fb->baseline_accuracy) && fa->n_outputs == fb->n_outputs,
                "fidelity");
    for (int i = 0; i < fa->n_outputs; i++) {
        const et_output_fidelity *x = &fa->outputs[i], *y = &fb->outputs[i];
        ET_FAKE_CMP(!strcmp(x->output, y->output) && et_fake_same_double(x->top1_agreement, y->top1_agreement) &&
                        et_fake_same_double(x->top5_agreement, y->top5_agreement) &&
                        et_fake_same_double(x->cosine, y->cosine) && et_fake_same_double(x->sqnr_db, y->sqnr_db) &&
                        et_fake_same_double(x->max_abs_err, y->max_abs_err),
                    "fidelity output");
    }
    ET_FAKE_CMP(a->n_layers == b->n_layers, "n_layers");
    for (int i = 0; i < a->n_layers; i++) {
        const et_layer_profile *x = &a->layers[i], *y = &b->layers[i];
        ET_FAKE_CMP(!strcmp(x->name, y->name) && !strcmp(x->op, y->op) && !strcmp(x->kernel, y->kernel) &&
                        !strcmp(x->precision, y->precision) && et_fake_same_double(x->time_ms, y->time_ms) &&
                        x->macs == y->macs && et_fake_same_double(x->recon_err_before, y->recon_err_before) &&
                        et_fake_same_double(x->recon_err_after, y->recon_err_after),
                    "layer");
    }
    return true;
}
#undef ET_FAKE_CMP

#endif
