/* report.c: a result's profiler sections as JSON and as text, the same for bench, show and the TUI's export.
 * Every section is an object with "status" and "why": a measurement that is missing says why instead of 0. */
#include <math.h>
#include <string.h>

#include "profilers/profilers.h"

static void why(et_json *j, const char *text) {
    if (text && text[0])
        et_json_string(j, "why", text);
    else
        et_json_null(j, "why");
}

static const et_counter *find(const et_result *r, const char *label) {
    for (int i = 0; i < r->n_counters; i++)
        if (strcmp(r->counters[i].label, label) == 0)
            return &r->counters[i];
    return NULL;
}

static bool counted(const et_counter *c) { return c && c->status == ET_AVAIL_OK && c->running_ns > 0; }

double et_result_ipc(const et_result *r) {
    const et_counter *cyc = find(r, "cycles"), *ins = find(r, "instructions");
    if (!counted(cyc) || !counted(ins) || cyc->value <= 0)
        return NAN;
    return ins->value / cyc->value;
}

/* The counters section's own status: ok when anything was counted; else the first reason. */
static et_avail counters_status(const et_result *r, const char **reason) {
    *reason = NULL;
    et_avail first = ET_AVAIL_NOT_RUN;
    for (int i = 0; i < r->n_counters; i++) {
        if (r->counters[i].status == ET_AVAIL_OK)
            return ET_AVAIL_OK;
        if (first == ET_AVAIL_NOT_RUN) {
            first = r->counters[i].status;
            *reason = r->counters[i].why;
        }
    }
    return first;
}

void et_profile_json(et_json *j, const et_result *r) {
    const et_memory_info *m = &r->memory;
    et_json_begin_object(j, "memory");
    et_json_string(j, "status", et_avail_name(m->status));
    why(j, m->why);
    if (m->status == ET_AVAIL_OK) {
        et_json_int(j, "peak_rss_bytes", m->peak_rss_bytes);
        et_json_string(j, "peak_rss_method", m->peak_rss_method);
    }
    et_json_int(j, "weights_bytes", m->weights_bytes);
    et_json_int(j, "weights_deploy_bytes", m->weights_deploy_bytes);
    et_json_int(j, "arena_bytes", m->arena_bytes);
    et_json_end_object(j);

    const char *reason;
    et_avail cs = counters_status(r, &reason);
    et_json_begin_object(j, "counters");
    et_json_string(j, "status", et_avail_name(cs));
    why(j, cs == ET_AVAIL_NOT_RUN ? "not measured" : reason);
    et_json_number(j, "ipc", et_result_ipc(r));
    et_json_begin_array(j, "events");
    for (int i = 0; i < r->n_counters; i++) {
        const et_counter *c = &r->counters[i];
        et_json_begin_object(j, NULL);
        et_json_string(j, "name", c->name);
        et_json_string(j, "label", c->label);
        et_json_string(j, "status", et_avail_name(c->status));
        why(j, c->why);
        if (c->status == ET_AVAIL_OK) {
            bool ok = c->running_ns > 0 || c->enabled_ns == 0;
            et_json_bool(j, "counted", ok);
            if (ok) {
                et_json_number(j, "value", c->value);
                et_json_number(j, "per_inference", c->value_per_inf);
            } else {
                et_json_null(j, "value");
                et_json_null(j, "per_inference");
            }
            et_json_int(j, "raw", (int64_t)c->raw);
            et_json_int(j, "enabled_ns", (int64_t)c->enabled_ns);
            et_json_int(j, "running_ns", (int64_t)c->running_ns);
        }
        et_json_end_object(j);
    }
    et_json_end_array(j);
    et_json_end_object(j);

    const et_power_info *p = &r->power;
    et_json_begin_object(j, "power");
    et_json_string(j, "status", et_avail_name(p->status));
    why(j, p->why);
    if (p->source[0])
        et_json_string(j, "source", p->source);
    else
        et_json_null(j, "source");
    if (p->status == ET_AVAIL_OK) {
        et_json_bool(j, "partial", p->partial);
        et_json_number(j, "avg_power_w", p->avg_power_w);
        et_json_number(j, "energy_j", p->energy_j);
        et_json_number(j, "energy_per_inference_mj", p->energy_per_inf_mj);
        et_json_int(j, "n_samples", p->n_samples);
        et_json_begin_array(j, "timeline_ms");
        for (int i = 0; i < p->n_samples; i++)
            et_json_number(j, NULL, (double)p->samples[i].t_ns / 1e6);
        et_json_end_array(j);
        et_json_begin_array(j, "timeline_mw");
        for (int i = 0; i < p->n_samples; i++)
            et_json_number(j, NULL, p->samples[i].power_mw);
        et_json_end_array(j);
    }
    et_json_end_object(j);

    const et_thermal_info *t = &r->thermal;
    et_json_begin_object(j, "thermal");
    et_json_string(j, "status", et_avail_name(t->status));
    why(j, t->why);
    if (t->status == ET_AVAIL_OK) {
        et_json_begin_array(j, "zones");
        for (int z = 0; z < t->n_zones; z++) {
            et_json_begin_object(j, NULL);
            et_json_string(j, "name", t->zone[z]);
            et_json_number(j, "start_c", t->temp_start_c[z]);
            et_json_number(j, "end_c", t->temp_end_c[z]);
            et_json_end_object(j);
        }
        et_json_end_array(j);
        et_json_number(j, "cpu_mhz_start", t->cpu_mhz_start > 0 ? t->cpu_mhz_start : NAN);
        et_json_number(j, "cpu_mhz_end", t->cpu_mhz_end > 0 ? t->cpu_mhz_end : NAN);
        et_json_number(j, "cpu_mhz_max", t->cpu_mhz_max > 0 ? t->cpu_mhz_max : NAN);
        et_json_bool(j, "throttled", t->throttled);
        et_json_string(j, "throttle_why", t->throttle_why);
    }
    et_json_end_object(j);
}

static void print_status_line(FILE *out, const char *what, et_avail s, const char *reason) {
    fprintf(out, "%-9s %s%s%s\n", what, et_avail_name(s), reason && reason[0] ? ": " : "", reason ? reason : "");
}

void et_profile_print(FILE *out, const et_result *r) {
    const et_memory_info *m = &r->memory;
    if (m->status == ET_AVAIL_OK)
        fprintf(out, "memory    peak RSS %.1f MiB (%s)%s%s\n", (double)m->peak_rss_bytes / 1048576.0,
                m->peak_rss_method, m->why[0] ? "; " : "", m->why);
    else
        print_status_line(out, "memory", m->status, m->why);

    const char *reason;
    et_avail cs = counters_status(r, &reason);
    if (cs != ET_AVAIL_OK) {
        print_status_line(out, "counters", cs, reason);
    } else {
        double ipc = et_result_ipc(r);
        fprintf(out, "counters  per inference");
        if (isfinite(ipc))
            fprintf(out, ", IPC %.2f (instructions per cycle)", ipc);
        fputc('\n', out);
        for (int i = 0; i < r->n_counters; i++) {
            const et_counter *c = &r->counters[i];
            if (c->status != ET_AVAIL_OK)
                fprintf(out, "  %-26s %s: %s\n", c->label, et_avail_name(c->status), c->why);
            else if (c->enabled_ns > 0 && c->running_ns == 0)
                fprintf(out, "  %-26s not counted: %s\n", c->label, c->why);
            else
                fprintf(out, "  %-26s %14.*f%s%s\n", c->label, fabs(c->value_per_inf) < 1000 ? 2 : 0,
                        c->value_per_inf, c->why[0] ? "  " : "", c->why);
        }
    }

    const et_power_info *p = &r->power;
    if (p->status == ET_AVAIL_OK)
        fprintf(out, "power     %.3f W average, %.3f mJ per inference, %.3f J in all (%s%s, %d samples)%s%s\n",
                p->avg_power_w, p->energy_per_inf_mj, p->energy_j, p->source, p->partial ? ", partial" : "",
                p->n_samples, p->why[0] ? "; " : "", p->why);
    else
        print_status_line(out, "power", p->status, p->why);

    const et_thermal_info *t = &r->thermal;
    if (t->status != ET_AVAIL_OK) {
        print_status_line(out, "thermal", t->status, t->why);
        return;
    }
    fprintf(out, "thermal  ");
    for (int z = 0; z < t->n_zones; z++)
        fprintf(out, " %s %.1f -> %.1f C%s", t->zone[z], t->temp_start_c[z], t->temp_end_c[z],
                z + 1 < t->n_zones ? "," : "");
    if (t->cpu_mhz_end > 0) {
        fprintf(out, "%s clock %.0f -> %.0f MHz", t->n_zones ? ";" : "", t->cpu_mhz_start, t->cpu_mhz_end);
        if (t->cpu_mhz_max > 0)
            fprintf(out, " (max %.0f MHz)", t->cpu_mhz_max);
    }
    fputc('\n', out);
    if (t->why[0])
        fprintf(out, "          %s\n", t->why);
    fprintf(out, "          %s%s\n", t->throttled ? "THROTTLED: " : "", t->throttle_why);
}
