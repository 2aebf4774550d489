/* result.c: lifetime, copying and statistics of et_result. */
#include "record/result.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const avail_names[] = {
#define ET_X(e, s) s,
    ET_AVAIL_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof avail_names / sizeof avail_names[0] == ET_AVAIL_COUNT, "avail names");

const char *et_avail_name(et_avail a) { return (unsigned)a < ET_AVAIL_COUNT ? avail_names[a] : "?"; }

const char *et_run_status_name(et_run_status s) {
    switch (s) {
    case ET_RUN_OK: return "ok";
    case ET_RUN_ABORTED: return "aborted";
    case ET_RUN_FAILED: return "failed";
    case ET_RUN_RUNNING: return "running";
    }
    return "?";
}

static void not_run(et_avail *status, char *why, size_t len) {
    *status = ET_AVAIL_NOT_RUN;
    snprintf(why, len, "not measured");
}

void et_result_init(et_result *r) {
    memset(r, 0, sizeof *r);
    r->knobs = et_knobs_default();
    not_run(&r->deployed.status, r->deployed.why, sizeof r->deployed.why);
    not_run(&r->memory.status, r->memory.why, sizeof r->memory.why);
    not_run(&r->power.status, r->power.why, sizeof r->power.why);
    not_run(&r->thermal.status, r->thermal.why, sizeof r->thermal.why);
    not_run(&r->fidelity.status, r->fidelity.why, sizeof r->fidelity.why);
    r->fidelity.accuracy = -1.0;
    r->fidelity.baseline_accuracy = -1.0;
    r->profiler_overhead_pct = NAN;
    snprintf(r->engine.version, sizeof r->engine.version, "%s", ET_VERSION);
    snprintf(r->engine.exec, sizeof r->engine.exec, "native");
}

void et_fidelity_info_free(et_fidelity_info *f) {
    free(f->outputs), free(f->top1), free(f->correct);
    f->outputs = NULL, f->n_outputs = 0;
    f->top1 = NULL, f->correct = NULL, f->n_per_input = 0;
}

void et_result_free(et_result *r) {
    free(r->samples_ms);
    free(r->counters);
    free(r->power.samples);
    free(r->fidelity.outputs);
    free(r->fidelity.top1);
    free(r->fidelity.correct);
    free(r->layers);
    r->samples_ms = NULL, r->n_samples = 0;
    r->counters = NULL, r->n_counters = 0;
    r->power.samples = NULL, r->power.n_samples = 0;
    r->fidelity.outputs = NULL, r->fidelity.n_outputs = 0;
    r->fidelity.top1 = NULL, r->fidelity.correct = NULL, r->fidelity.n_per_input = 0;
    r->layers = NULL, r->n_layers = 0;
}

static bool dup_array(void **dst, const void *src, size_t n, size_t elem) {
    *dst = NULL;
    if (n == 0 || !src)
        return true;
    *dst = malloc(n * elem);
    if (!*dst)
        return false;
    memcpy(*dst, src, n * elem);
    return true;
}

bool et_result_copy(et_result *dst, const et_result *src) {
    *dst = *src;
    /* every array is attempted (so each pointer is either a copy or NULL) before judging success */
    bool ok = dup_array((void **)&dst->samples_ms, src->samples_ms, (size_t)src->n_samples, sizeof(double));
    ok = dup_array((void **)&dst->counters, src->counters, (size_t)src->n_counters, sizeof(et_counter)) && ok;
    ok = dup_array((void **)&dst->power.samples, src->power.samples, (size_t)src->power.n_samples,
                   sizeof(et_power_sample)) &&
         ok;
    ok = dup_array((void **)&dst->fidelity.outputs, src->fidelity.outputs, (size_t)src->fidelity.n_outputs,
                   sizeof(et_output_fidelity)) &&
         ok;
    ok = dup_array((void **)&dst->fidelity.top1, src->fidelity.top1, (size_t)src->fidelity.n_per_input,
                   sizeof(int32_t)) &&
         ok;
    ok = dup_array((void **)&dst->fidelity.correct, src->fidelity.correct, (size_t)src->fidelity.n_per_input,
                   sizeof(uint8_t)) &&
         ok;
    ok = dup_array((void **)&dst->layers, src->layers, (size_t)src->n_layers, sizeof(et_layer_profile)) && ok;
    if (!ok) {
        et_result_free(dst);
        et_result_init(dst);
    }
    return ok;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, int n, double p) {
    double pos = p * (n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    double frac = pos - lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

void et_latency_stats_compute(const double *samples_ms, int n, et_latency_stats *out) {
    memset(out, 0, sizeof *out);
    if (n <= 0)
        return;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return;
    memcpy(s, samples_ms, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += s[i];
    double mean = sum / n, var = 0;
    for (int i = 0; i < n; i++)
        var += (s[i] - mean) * (s[i] - mean);
    out->min_ms = s[0];
    out->max_ms = s[n - 1];
    out->mean_ms = mean;
    out->p50_ms = percentile(s, n, 0.50);
    out->p90_ms = percentile(s, n, 0.90);
    out->p99_ms = percentile(s, n, 0.99);
    out->std_ms = n > 1 ? sqrt(var / (n - 1)) : 0.0;
    out->cv = mean > 0 ? out->std_ms / mean : 0.0;
    out->throughput_ips = mean > 0 ? 1000.0 / mean : 0.0;
    free(s);
}

static const et_counter *find_counter(const et_result *r, const char *label) {
    for (int i = 0; i < r->n_counters; i++)
        if (strcmp(r->counters[i].label, label) == 0)
            return &r->counters[i];
    return NULL;
}

static bool counted(const et_counter *c) { return c && c->status == ET_AVAIL_OK && c->running_ns > 0; }

double et_result_ipc(const et_result *r) {
    const et_counter *cyc = find_counter(r, "cycles"), *ins = find_counter(r, "instructions");
    if (!counted(cyc) || !counted(ins) || cyc->value <= 0)
        return NAN;
    return ins->value / cyc->value;
}

void et_uuid_v4(char out[ET_UUID_LEN + 1]) {
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof b) { /* no urandom (chroot): time and address bits, still unique enough */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)&ts ^ (uint64_t)getpid();
        for (int i = 0; i < 16; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            b[i] = (unsigned char)x;
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, ET_UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
