/* run_show.c: `edgetune show RUN`: everything stored about one run, as text with a unit on every number, or as
 * one JSON object (the text's content, plus the raw samples when they were loaded). Sections that were not
 * measured say so and why, never a 0. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "db/report.h"
#include "record/layer_knobs.h"
#include "util/json.h"

static const char *bytes_text(double b, char *buf, size_t len) {
    if (!(b >= 0))
        snprintf(buf, len, "n/a");
    else if (b >= 1024.0 * 1024.0 * 1024.0)
        snprintf(buf, len, "%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
    else if (b >= 1024.0 * 1024.0)
        snprintf(buf, len, "%.2f MiB", b / (1024.0 * 1024.0));
    else if (b >= 1024.0)
        snprintf(buf, len, "%.1f KiB", b / 1024.0);
    else
        snprintf(buf, len, "%.0f B", b);
    return buf;
}

static const char *count_text(double v, char *buf, size_t len) {
    if (v >= 1e9)
        snprintf(buf, len, "%.2f G", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, len, "%.2f M", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, len, "%.2f k", v / 1e3);
    else
        snprintf(buf, len, "%.0f", v);
    return buf;
}

static double ratio_of(const et_db_blob_info *b) {
    return b->present && b->stored_bytes > 0 ? (double)b->raw_bytes / (double)b->stored_bytes : NAN;
}

static void blob_line(FILE *out, const char *what, const et_db_blob_info *b) {
    char raw[32], stored[32];
    if (!b->present) {
        fprintf(out, "  %-10s none stored\n", what);
        return;
    }
    fprintf(out, "  %-10s %d samples, %s as %s (%s raw): %.2fx compression\n", what, b->count,
            bytes_text((double)b->stored_bytes, stored, sizeof stored), b->codec,
            bytes_text((double)b->raw_bytes, raw, sizeof raw), ratio_of(b));
}

static void unavailable(FILE *out, const char *section, et_avail status, const char *why) {
    fprintf(out, "%-13s %s: %s\n", section, et_avail_name(status), why[0] ? why : "no reason recorded");
}

/* The memory lines of `show`: deployed memory first (the headline, with what it is made of), then edgetune's own
 * peak, labelled, then the weights and arena of edgetune's plan. */
static void show_memory_text(const et_result *r, FILE *out) {
    char a[64], b[64], c[64], d[64];
    const et_memory_info *mem = &r->memory;
    const et_deployed_memory *dep = &r->deployed;
    if (dep->status == ET_AVAIL_OK) {
        fprintf(out, "%-13s deployed %s: what the tuned model needs on edgetune's engine (%s)\n", "memory",
                bytes_text((double)dep->peak_bytes, a, sizeof a), dep->method);
        fprintf(out,
                "%-13s = packed weights %s + arena and scratch %s + runtime code, libc and stacks %s + thread "
                "pool and the rest; %s while loading\n",
                "", bytes_text((double)dep->weights_bytes, a, sizeof a),
                bytes_text((double)dep->arena_bytes, b, sizeof b), bytes_text((double)dep->runtime_bytes, c, sizeof c),
                bytes_text((double)dep->load_peak_bytes, d, sizeof d));
        if (dep->why[0])
            fprintf(out, "%-13s note: %s\n", "", dep->why);
    } else {
        fprintf(out, "%-13s deployed: %s: %s\n", "memory", et_avail_name(dep->status),
                dep->why[0] ? dep->why : "no reason recorded");
    }
    if (mem->status == ET_AVAIL_OK)
        fprintf(out,
                "%-13s edgetune's own peak RSS %s (%s): this process, with the pristine model and the fp32 "
                "baseline, not a deployment\n",
                "", bytes_text((double)mem->peak_rss_bytes, a, sizeof a), mem->peak_rss_method);
    else
        fprintf(out, "%-13s edgetune's own peak RSS: %s: %s\n", "", et_avail_name(mem->status),
                mem->why[0] ? mem->why : "no reason recorded");
    if (mem->weights_bytes > 0 || mem->weights_deploy_bytes > 0 || mem->arena_bytes > 0)
        fprintf(out, "%-13s weights %s in memory, %s stored at this bit-width; activation arena %s\n", "",
                bytes_text((double)mem->weights_bytes, a, sizeof a),
                bytes_text((double)mem->weights_deploy_bytes, b, sizeof b),
                bytes_text((double)mem->arena_bytes, c, sizeof c));
}

/* The per-layer overrides, one a line, each with the model-wide values it replaces; nothing without. */
static void print_layer_overrides(FILE *out, const et_knobs *k) {
    if (!et_knobs_has_layers(k))
        return;
    char desc[4096];
    et_knobs_layers_describe(k, desc, sizeof desc);
    const char *p = desc;
    bool first = true;
    while (*p) {
        const char *semi = strstr(p, "; ");
        int n = semi ? (int)(semi - p) : (int)strlen(p);
        fprintf(out, "%-13s %.*s\n", first ? "per-layer" : "", n, p);
        first = false;
        p += n + (semi ? 2 : 0);
    }
}

void et_db_show_text(const et_result *r, const et_db_run_meta *m, FILE *out) {
    char a[64], b[64], c[64], when[32], cfg[160];
    fprintf(out, "run %lld  %s%s\n", (long long)m->id, r->uuid, r->is_baseline ? "  (marked baseline)" : "");
    fprintf(out, "%-13s %s\n", "status", et_run_status_name(r->status));
    fprintf(out, "%-13s %s\n", "started", et_db_format_time(r->started_unix_ms, when, sizeof when));
    fprintf(out, "%-13s %s\n", "saved", et_db_format_time(m->saved_unix_ms, when, sizeof when));
    if (r->label[0])
        fprintf(out, "%-13s %s\n", "label", r->label);
    fprintf(out, "%-13s %s (%s)\n", "model", r->model.name, r->model.path[0] ? r->model.path : "path unknown");
    fprintf(out, "%-13s sha256 %s; %s file, %s params, %s MACs per inference\n", "",
            r->model.sha256[0] ? r->model.sha256 : "unknown", bytes_text((double)r->model.file_bytes, a, sizeof a),
            count_text((double)r->model.params, b, sizeof b), count_text((double)r->model.macs, c, sizeof c));
    fprintf(out, "%-13s %s%s%s%s, %s %s, %d cores, kernel %s%s%s\n", "host", r->host.hostname,
            r->host.board[0] ? " (" : "", r->host.board, r->host.board[0] ? ")" : "", r->host.cpu, r->host.arch,
            r->host.cores, r->host.kernel, m->machine_id[0] ? ", machine id " : "", m->machine_id);
    bool quantized = r->knobs.weight_bits < 32 || r->knobs.act_bits < 32;
    fprintf(out, "%-13s %s%s%s\n", "config", et_knobs_describe(&r->knobs, cfg, sizeof cfg), quantized ? "; " : "",
            !quantized              ? ""
            : r->knobs.quantize_all ? "every layer quantized"
                                    : "first and last layer kept fp32");
    print_layer_overrides(out, &r->knobs);
    fprintf(out, "%-13s edgetune %s, kernels %s, exec %s%s%s\n", "engine", r->engine.version,
            r->engine.isa[0] ? r->engine.isa : "?", r->engine.exec, r->engine.notes[0] ? "; " : "", r->engine.notes);
    fprintf(out, "%-13s %d timed after %d warm-up; preparing took %.1f ms\n", "iterations", r->iters, r->warmup_iters,
            r->prepare_ms);
    const et_latency_stats *l = &r->latency;
    if (r->iters > 0) {
        fprintf(out, "%-13s min %.3f  mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  std %.3f (ms)\n", "latency",
                l->min_ms, l->mean_ms, l->p50_ms, l->p90_ms, l->p99_ms, l->max_ms, l->std_ms);
        fprintf(out, "%-13s cv %.2f %%, throughput %.2f inferences/s\n", "", l->cv * 100.0, l->throughput_ips);
    } else {
        fprintf(out, "%-13s none: no timed iteration completed\n", "latency");
    }
    fprintf(out, "samples\n");
    blob_line(out, "latency", &m->latency);
    blob_line(out, "power", &m->power);
    show_memory_text(r, out);
    if (r->n_counters == 0)
        fprintf(out, "%-13s none recorded\n", "counters");
    for (int i = 0; i < r->n_counters; i++) {
        const et_counter *k = &r->counters[i];
        if (k->status == ET_AVAIL_OK)
            fprintf(out, "%-13s %-22s %.6g (%.6g per inference), raw %llu, running %.1f%% of enabled\n",
                    i ? "" : "counters", k->label[0] ? k->label : k->name, k->value, k->value_per_inf,
                    (unsigned long long)k->raw,
                    k->enabled_ns ? 100.0 * (double)k->running_ns / (double)k->enabled_ns : 0.0);
        else
            fprintf(out, "%-13s %-22s %s: %s\n", i ? "" : "counters", k->label[0] ? k->label : k->name,
                    et_avail_name(k->status), k->why);
    }
    double ipc = et_result_ipc(r);
    if (!isnan(ipc))
        fprintf(out, "%-13s %.2f instructions per cycle\n", "IPC", ipc);
    const et_power_info *p = &r->power;
    if (p->status == ET_AVAIL_OK)
        fprintf(out, "%-13s %s%s: average %.3f W, %.4f J over the timed loop, %.4f mJ per inference\n", "power",
                p->source, p->partial ? " (part of the board)" : "", p->avg_power_w, p->energy_j, p->energy_per_inf_mj);
    else
        unavailable(out, "power", p->status, p->why);
    const et_thermal_info *t = &r->thermal;
    if (t->status == ET_AVAIL_OK) {
        fprintf(out, "%-13s cpu %.0f -> %.0f MHz (max %.0f MHz)%s%s\n", "thermal", t->cpu_mhz_start, t->cpu_mhz_end,
                t->cpu_mhz_max, t->throttled ? "; THROTTLED: " : "", t->throttled ? t->throttle_why : "");
        for (int i = 0; i < t->n_zones && i < ET_MAX_ZONES; i++)
            fprintf(out, "%-13s %s %.1f -> %.1f degC\n", "", t->zone[i], t->temp_start_c[i], t->temp_end_c[i]);
    } else {
        unavailable(out, "thermal", t->status, t->why);
    }
    const et_fidelity_info *f = &r->fidelity;
    if (f->status == ET_AVAIL_OK) {
        if (f->n_compared > 0 && f->n_compared < f->n_inputs)
            fprintf(out, "%-13s %d inputs (outputs compared on a seeded subset of %d) from %s", "fidelity", f->n_inputs,
                    f->n_compared, f->eval_source);
        else
            fprintf(out, "%-13s %d inputs from %s", "fidelity", f->n_inputs, f->eval_source);
        if (f->accuracy >= 0)
            fprintf(out, "; accuracy %.2f %%", f->accuracy * 100.0);
        if (f->baseline_accuracy >= 0)
            fprintf(out, " (fp32: %.2f %%)", f->baseline_accuracy * 100.0);
        fputc('\n', out);
        for (int i = 0; i < f->n_outputs; i++) {
            const et_output_fidelity *o = &f->outputs[i];
            char t1[32] = "n/a", t5[32] = "n/a";
            if (o->top1_agreement >= 0)
                snprintf(t1, sizeof t1, "%.2f %%", o->top1_agreement * 100.0);
            if (o->top5_agreement >= 0)
                snprintf(t5, sizeof t5, "%.2f %%", o->top5_agreement * 100.0);
            fprintf(out, "%-13s %s: top-1 agreement %s, top-5 %s, cosine %.6f, SQNR %.2f dB, max abs error %.4g\n", "",
                    o->output, t1, t5, o->cosine, o->sqnr_db, o->max_abs_err);
        }
    } else {
        unavailable(out, "fidelity", f->status, f->why);
    }
    if (!isnan(r->profiler_overhead_pct)) /* a negative cost is measurement noise around zero: shown as measured */
        fprintf(out, "%-13s %+.2f %% of latency (profilers on vs off, alternating)\n", "profiler cost",
                r->profiler_overhead_pct);
    bool recon = false; /* recovery measured the layers' reconstruction errors */
    for (int i = 0; i < r->n_layers; i++)
        recon |= !isnan(r->layers[i].recon_err_before);
    if (r->n_layers > 0)
        fprintf(out, "layers (%d)    %-28s %-12s %-26s %-10s %10s %12s%s\n", r->n_layers, "name", "op", "kernel",
                "precision", "time (ms)", "MACs", recon ? "  error without/with recovery (% of output energy)" : "");
    for (int i = 0; i < r->n_layers; i++) {
        const et_layer_profile *y = &r->layers[i];
        char rerr[64] = "";
        if (recon && !isnan(y->recon_err_before))
            snprintf(rerr, sizeof rerr, "  %.3f %% -> %.3f %%", y->recon_err_before * 100.0,
                     y->recon_err_after * 100.0);
        fprintf(out, "%-13s %-28s %-12s %-26s %-10s %10.4f %12s%s\n", "", y->name, y->op, y->kernel, y->precision,
                y->time_ms, count_text((double)y->macs, a, sizeof a), rerr);
    }
}

static void json_avail(et_json *j, et_avail status, const char *why) {
    et_json_string(j, "status", et_avail_name(status));
    et_json_string(j, "why", status == ET_AVAIL_OK ? NULL : why);
}

static void json_blob(et_json *j, const char *key, const et_db_blob_info *b) {
    if (!b->present) {
        et_json_null(j, key);
        return;
    }
    et_json_begin_object(j, key);
    et_json_int(j, "count", b->count);
    et_json_string(j, "codec", b->codec);
    et_json_int(j, "raw_bytes", b->raw_bytes);
    et_json_int(j, "stored_bytes", b->stored_bytes);
    et_json_number(j, "compression_ratio", ratio_of(b));
    et_json_end_object(j);
}

static void json_nonneg(et_json *j, const char *key, double v) {
    if (v >= 0)
        et_json_number(j, key, v);
    else
        et_json_null(j, key);
}

/* Latency statistics (null before the first timed iteration), what the sample blobs hold, and the samples when they
 * were loaded. */
static void json_latency(et_json *j, const et_result *r, const et_db_run_meta *m) {
    const et_latency_stats *l = &r->latency;
    if (r->iters > 0) {
        et_json_begin_object(j, "latency_ms");
        et_json_number(j, "min", l->min_ms);
        et_json_number(j, "mean", l->mean_ms);
        et_json_number(j, "p50", l->p50_ms);
        et_json_number(j, "p90", l->p90_ms);
        et_json_number(j, "p99", l->p99_ms);
        et_json_number(j, "max", l->max_ms);
        et_json_number(j, "std", l->std_ms);
        et_json_end_object(j);
    } else {
        et_json_null(j, "latency_ms");
    }
    et_json_number(j, "latency_cv", l->cv);
    et_json_number(j, "throughput_ips", l->throughput_ips);
    et_json_begin_object(j, "samples");
    json_blob(j, "latency", &m->latency);
    json_blob(j, "power", &m->power);
    et_json_end_object(j);
    if (r->samples_ms) {
        et_json_begin_array(j, "latency_samples_ms");
        for (int i = 0; i < r->n_samples; i++)
            et_json_number(j, NULL, r->samples_ms[i]);
        et_json_end_array(j);
    }
}

/* Memory: the deployed memory first (the headline), then edgetune's own process. */
static void json_memory(et_json *j, const et_result *r) {
    const et_memory_info *mem = &r->memory;
    const et_deployed_memory *dep = &r->deployed;
    et_json_begin_object(j, "memory");
    /* the headline first: what the tuned model needs when deployed; then edgetune's own process */
    if (dep->status == ET_AVAIL_OK)
        et_json_int(j, "deployed_bytes", dep->peak_bytes);
    else
        et_json_null(j, "deployed_bytes");
    et_json_begin_object(j, "deployed");
    json_avail(j, dep->status, dep->why);
    if (dep->status == ET_AVAIL_OK && dep->why[0])
        et_json_string(j, "note", dep->why);
    et_json_string(j, "includes",
                   "the tuned plan alone in a separate process: packed weights at the deployed "
                   "bit-width, arena and scratch, thread pool, the runtime's code and libc");
    et_json_string(j, "method", dep->method);
    if (dep->status == ET_AVAIL_OK) {
        et_json_int(j, "peak_bytes", dep->peak_bytes);
        et_json_int(j, "weights_bytes", dep->weights_bytes);
        et_json_int(j, "arena_bytes", dep->arena_bytes);
        et_json_int(j, "runtime_bytes", dep->runtime_bytes);
        et_json_int(j, "load_peak_bytes", dep->load_peak_bytes);
    }
    et_json_end_object(j);
    /* edgetune's own process (pristine model, baseline, tuned plan): status, why and peak_rss_* are about it */
    json_avail(j, mem->status, mem->why);
    et_json_string(j, "peak_rss_of", "edgetune's own process (pristine model, fp32 baseline, tuned plan)");
    if (mem->status == ET_AVAIL_OK)
        et_json_int(j, "peak_rss_bytes", mem->peak_rss_bytes);
    else
        et_json_null(j, "peak_rss_bytes");
    et_json_string(j, "peak_rss_method", mem->peak_rss_method);
    et_json_int(j, "weights_bytes", mem->weights_bytes);
    et_json_int(j, "weights_deploy_bytes", mem->weights_deploy_bytes);
    et_json_int(j, "arena_bytes", mem->arena_bytes);
    et_json_end_object(j);
}

/* IPC and every counter with its availability, scaled value and raw reading. */
static void json_counters(et_json *j, const et_result *r) {
    et_json_number(j, "ipc", et_result_ipc(r)); /* null unless cycles and instructions were counted */
    et_json_begin_array(j, "counters");
    for (int i = 0; i < r->n_counters; i++) {
        const et_counter *c = &r->counters[i];
        et_json_begin_object(j, NULL);
        et_json_string(j, "name", c->name);
        et_json_string(j, "label", c->label);
        json_avail(j, c->status, c->why);
        et_json_number(j, "value", c->value);
        et_json_number(j, "value_per_inf", c->value_per_inf);
        et_json_number(j, "raw", (double)c->raw);
        et_json_int(j, "enabled_ns", (int64_t)c->enabled_ns);
        et_json_int(j, "running_ns", (int64_t)c->running_ns);
        et_json_end_object(j);
    }
    et_json_end_array(j);
}

/* Power and energy (null unless measured), and the timeline when it was loaded. */
static void json_power(et_json *j, const et_result *r) {
    const et_power_info *p = &r->power;
    et_json_begin_object(j, "power");
    json_avail(j, p->status, p->why);
    et_json_string(j, "source", p->source);
    et_json_bool(j, "partial", p->partial);
    et_json_number(j, "avg_power_w", p->status == ET_AVAIL_OK ? p->avg_power_w : NAN);
    et_json_number(j, "energy_j", p->status == ET_AVAIL_OK ? p->energy_j : NAN);
    et_json_number(j, "energy_per_inf_mj", p->status == ET_AVAIL_OK ? p->energy_per_inf_mj : NAN);
    if (p->samples) {
        et_json_begin_array(j, "timeline");
        for (int i = 0; i < p->n_samples; i++) {
            et_json_begin_object(j, NULL);
            et_json_int(j, "t_ns", p->samples[i].t_ns);
            et_json_number(j, "power_mw", p->samples[i].power_mw);
            et_json_end_object(j);
        }
        et_json_end_array(j);
    }
    et_json_end_object(j);
}

/* Clocks, throttling and the thermal zones. */
static void json_thermal(et_json *j, const et_result *r) {
    const et_thermal_info *t = &r->thermal;
    et_json_begin_object(j, "thermal");
    json_avail(j, t->status, t->why);
    et_json_number(j, "cpu_mhz_start", t->cpu_mhz_start);
    et_json_number(j, "cpu_mhz_end", t->cpu_mhz_end);
    et_json_number(j, "cpu_mhz_max", t->cpu_mhz_max);
    et_json_bool(j, "throttled", t->throttled);
    et_json_string(j, "throttle_why", t->throttle_why);
    et_json_begin_array(j, "zones");
    for (int i = 0; i < t->n_zones && i < ET_MAX_ZONES; i++) {
        et_json_begin_object(j, NULL);
        et_json_string(j, "zone", t->zone[i]);
        et_json_number(j, "temp_start_c", t->temp_start_c[i]);
        et_json_number(j, "temp_end_c", t->temp_end_c[i]);
        et_json_end_object(j);
    }
    et_json_end_array(j);
    et_json_end_object(j);
}

/* Fidelity against the fp32 baseline, per output. */
static void json_fidelity(et_json *j, const et_result *r) {
    const et_fidelity_info *f = &r->fidelity;
    et_json_begin_object(j, "fidelity");
    json_avail(j, f->status, f->why);
    et_json_int(j, "n_inputs", f->n_inputs);
    et_json_int(j, "n_compared", f->n_compared > 0 ? f->n_compared : f->n_inputs);
    et_json_string(j, "eval_source", f->eval_source);
    json_nonneg(j, "accuracy", f->accuracy);
    json_nonneg(j, "baseline_accuracy", f->baseline_accuracy);
    et_json_begin_array(j, "outputs");
    for (int i = 0; i < f->n_outputs; i++) {
        const et_output_fidelity *o = &f->outputs[i];
        et_json_begin_object(j, NULL);
        et_json_string(j, "output", o->output);
        json_nonneg(j, "top1_agreement", o->top1_agreement);
        json_nonneg(j, "top5_agreement", o->top5_agreement);
        et_json_number(j, "cosine", o->cosine);
        if (isinf(o->sqnr_db)) /* identical outputs: JSON has no infinity */
            et_json_string(j, "sqnr_db", o->sqnr_db > 0 ? "inf" : "-inf");
        else
            et_json_number(j, "sqnr_db", o->sqnr_db);
        et_json_number(j, "max_abs_err", o->max_abs_err);
        et_json_end_object(j);
    }
    et_json_end_array(j);
    et_json_end_object(j);
}

void et_db_show_json(const et_result *r, const et_db_run_meta *m, FILE *out) { et_db_show_json_train(r, m, NULL, out); }

void et_db_show_json_train(const et_result *r, const et_db_run_meta *m, const et_train_record *train, FILE *out) {
    et_json j;
    char buf[64];
    et_json_init(&j, out, true);
    et_json_begin_object(&j, NULL);
    et_json_int(&j, "run_id", m->id);
    et_json_string(&j, "uuid", r->uuid);
    et_json_string(&j, "status", et_run_status_name(r->status));
    et_json_string(&j, "label", r->label);
    et_json_bool(&j, "baseline", r->is_baseline);
    et_json_int(&j, "started_unix_ms", r->started_unix_ms);
    et_json_int(&j, "saved_unix_ms", m->saved_unix_ms);
    et_json_begin_object(&j, "model");
    et_json_string(&j, "name", r->model.name);
    et_json_string(&j, "path", r->model.path);
    et_json_string(&j, "sha256", r->model.sha256);
    et_json_int(&j, "file_bytes", r->model.file_bytes);
    et_json_int(&j, "params", r->model.params);
    et_json_int(&j, "macs", r->model.macs);
    et_json_end_object(&j);
    et_json_begin_object(&j, "host");
    et_json_string(&j, "hostname", r->host.hostname);
    et_json_string(&j, "cpu", r->host.cpu);
    et_json_string(&j, "arch", r->host.arch);
    et_json_string(&j, "board", r->host.board);
    et_json_string(&j, "kernel", r->host.kernel);
    et_json_int(&j, "cores", r->host.cores);
    et_json_string(&j, "machine_id", m->machine_id);
    et_json_end_object(&j);
    const et_knobs *k = &r->knobs;
    et_json_begin_object(&j, "config");
    et_json_int(&j, "weight_bits", k->weight_bits);
    et_json_int(&j, "act_bits", k->act_bits);
    et_json_string(&j, "granularity", et_granularity_name(k->granularity));
    et_json_bool(&j, "symmetric", k->symmetric);
    et_json_number(&j, "prune_ratio", (double)k->prune_ratio);
    et_json_string(&j, "prune_method", et_prune_method_name(k->prune_method));
    snprintf(buf, sizeof buf, "%d:%d", k->nm_n, k->nm_m);
    et_json_string(&j, "nm", buf);
    et_json_int(&j, "threads", k->threads);
    et_json_bool(&j, "quantize_all", k->quantize_all);
    et_json_string(&j, "clip", et_clip_name(k->clip));
    et_json_bool(&j, "force_int8", k->force_int8);
    et_json_string(&j, "recover", et_recover_name(k->recover));
    et_json_string(&j, "calib_method", et_calib_method_name(k->calib_method));
    et_json_string(&j, "layers", k->layers); /* per-layer overrides, canonical text; "" none */
    et_json_end_object(&j);
    et_json_begin_object(&j, "engine");
    et_json_string(&j, "version", r->engine.version);
    et_json_string(&j, "isa", r->engine.isa);
    et_json_string(&j, "exec", r->engine.exec);
    et_json_string(&j, "notes", r->engine.notes);
    et_json_end_object(&j);
    et_json_int(&j, "warmup_iterations", r->warmup_iters);
    et_json_int(&j, "iterations", r->iters);
    et_json_number(&j, "prepare_ms", r->prepare_ms);
    et_json_number(&j, "profiler_overhead_pct", r->profiler_overhead_pct); /* null when not measured */
    json_latency(&j, r, m);
    json_memory(&j, r);
    json_counters(&j, r);
    json_power(&j, r);
    json_thermal(&j, r);
    json_fidelity(&j, r);
    et_json_begin_array(&j, "layers");
    for (int i = 0; i < r->n_layers; i++) {
        const et_layer_profile *y = &r->layers[i];
        et_json_begin_object(&j, NULL);
        et_json_string(&j, "name", y->name);
        et_json_string(&j, "op", y->op);
        et_json_string(&j, "kernel", y->kernel);
        et_json_string(&j, "precision", y->precision);
        et_json_number(&j, "time_ms", y->time_ms);
        et_json_int(&j, "macs", y->macs);
        et_json_number(&j, "recon_err_before", y->recon_err_before); /* fractions; null when not measured */
        et_json_number(&j, "recon_err_after", y->recon_err_after);
        et_json_end_object(&j);
    }
    et_json_end_array(&j);
    if (train)
        et_db_train_json(&j, train);
    et_json_end_object(&j);
    et_json_finish(&j);
}
