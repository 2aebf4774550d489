/* profilers.c: the set of profilers one run uses, in the order README.md (section 1) asks for:
 *   start: reset the memory peak, read temperatures and clocks, start the power sampler thread, and open the
 *          counters last, so that the sampler thread exists before them and the open costs stay out of the loop;
 *   stop:  disable the counters first, then stop the sampler, read temperatures, clocks and the memory peak. */
#include "profilers/profilers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profilers/counters.h"
#include "profilers/memory.h"
#include "profilers/power.h"
#include "profilers/thermal.h"

struct et_profilers {
    et_profiler_config cfg;
    char events[1024];
    et_sysroot sr;
    const et_perf_ops *perf;
    const et_vcio_ops *vcio;
    et_perf_env penv;
    et_counters *counters;
    int n_sources, chosen;
    et_power_source sources[ET_POWER_SOURCE_COUNT];
    et_power_sampler *sampler;
    int power_start_errno;
    et_memory mem;
    et_thermal th;
    bool thermal_ready;
    bool started;
};

et_profiler_config et_profiler_config_all(void) {
    et_profiler_config c = {true, true, true, true, NULL, 0};
    return c;
}

et_status et_profilers_open(const et_profiler_config *cfg, et_profilers **out, et_err *err) {
    return et_profilers_open_env(cfg, NULL, out, err);
}

et_status et_profilers_open_env(const et_profiler_config *cfg, const et_profiler_env *env, et_profilers **out,
                                et_err *err) {
    *out = NULL;
    et_profilers *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory for the profilers");
    p->cfg = *cfg;
    p->chosen = -1;
    if (cfg->events) {
        snprintf(p->events, sizeof p->events, "%s", cfg->events);
        p->cfg.events = p->events;
    }
    et_status st = et_sysroot_open(env ? env->sysroot : NULL, &p->sr, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    p->perf = env && env->perf ? env->perf : et_perf_ops_system();
    p->vcio = env && env->vcio ? env->vcio : et_vcio_ops_system();
    bool trial = p->sr.is_real || (env && env->perf);
    et_perf_env_read(&p->sr, &p->penv);

    if (cfg->counters) {
        st = et_counters_create(p->cfg.events, &p->sr, p->perf, trial, &p->counters, err);
        if (st != ET_OK) {
            et_profilers_close(p);
            return st;
        }
    }
    if (cfg->power) {
        for (int i = 0; i < ET_POWER_SOURCE_COUNT; i++) {
            et_power_source *s = &p->sources[p->n_sources++];
            et_power_source_init(s, et_power_sources[i], &p->sr, p->perf, p->vcio, &p->penv, trial);
            if (p->chosen < 0 && s->probe.status == ET_AVAIL_OK)
                p->chosen = p->n_sources - 1;
        }
        if (p->chosen >= 0) {
            st = et_sampler_create(&p->sources[p->chosen], cfg->power_interval_ms, &p->sampler, err);
            if (st != ET_OK) {
                et_profilers_close(p);
                return st;
            }
        }
    }
    et_memory_init(&p->mem, &p->sr);
    if (cfg->thermal) {
        et_thermal_init(&p->th, &p->sr, p->vcio);
        p->thermal_ready = true;
    }
    *out = p;
    return ET_OK;
}

void et_profilers_start(et_profilers *p, const pid_t *tids, int n_tids) {
    if (p->cfg.memory)
        et_memory_start(&p->mem);
    if (p->thermal_ready)
        et_thermal_snapshot(&p->th, false);
    p->power_start_errno = 0;
    if (p->sampler)
        p->power_start_errno = -et_sampler_start(p->sampler);
    if (p->counters)
        et_counters_start(p->counters, tids, n_tids);
    p->started = true;
}

void et_profilers_stop(et_profilers *p) {
    if (!p->started)
        return;
    if (p->counters)
        et_counters_stop(p->counters);
    if (p->sampler && p->power_start_errno == 0)
        et_sampler_stop(p->sampler);
    if (p->thermal_ready)
        et_thermal_snapshot(&p->th, true);
    if (p->cfg.memory)
        et_memory_stop(&p->mem);
    p->started = false;
}

/* Why no power was measured: the reason of a source whose hardware is here (a Pi 4, RAPL without permission),
 * else the summary of what is missing. */
static void power_unavailable(const et_profilers *p, et_power_info *out) {
    const et_power_source *best = NULL;
    for (int i = 0; i < p->n_sources; i++) {
        const et_power_source *s = &p->sources[i];
        if (!s->relevant)
            continue;
        if (!best || (s->probe.status == ET_AVAIL_NO_PERMISSION && best->probe.status != ET_AVAIL_NO_PERMISSION))
            best = s;
    }
    if (best) {
        out->status = best->probe.status;
        snprintf(out->why, sizeof out->why, "%s: %s", best->ops->title, best->probe.why);
        return;
    }
    out->status = ET_AVAIL_UNSUPPORTED;
    snprintf(out->why, sizeof out->why,
             "no power sensor here: no RAPL (powercap or perf power PMU), no hwmon "
             "power/energy sensor, no Jetson INA3221, not a Raspberry Pi 5 (see 'edgetune doctor')");
}

void et_profilers_read(et_profilers *p, int iterations, et_result *r) {
    if (p->cfg.memory) {
        et_memory_fill(&p->mem, &r->memory);
    } else {
        r->memory.status = ET_AVAIL_NOT_RUN;
        snprintf(r->memory.why, sizeof r->memory.why, "switched off");
    }

    free(r->counters);
    r->counters = NULL;
    r->n_counters = 0;
    if (p->counters)
        r->n_counters = et_counters_read(p->counters, iterations, &r->counters);

    free(r->power.samples);
    memset(&r->power, 0, sizeof r->power);
    if (!p->cfg.power) {
        r->power.status = ET_AVAIL_NOT_RUN;
        snprintf(r->power.why, sizeof r->power.why, "switched off");
    } else if (!p->sampler) {
        power_unavailable(p, &r->power);
    } else if (p->power_start_errno) {
        const et_power_source *s = &p->sources[p->chosen];
        s->ops->read(s, &r->power);
        r->power.status = et_avail_from_errno(p->power_start_errno);
        snprintf(r->power.why, sizeof r->power.why, "%s: starting failed: %s", s->label,
                 et_errno_name(p->power_start_errno));
    } else {
        et_sampler_read(p->sampler, iterations, &r->power);
    }

    if (p->thermal_ready) {
        et_thermal_fill(&p->th, &r->thermal);
    } else {
        r->thermal.status = ET_AVAIL_NOT_RUN;
        snprintf(r->thermal.why, sizeof r->thermal.why, "switched off");
    }
}

void et_profilers_close(et_profilers *p) {
    if (!p)
        return;
    if (p->started)
        et_profilers_stop(p);
    et_sampler_destroy(p->sampler);
    et_counters_destroy(p->counters);
    if (p->thermal_ready)
        et_thermal_free(&p->th);
    et_sysroot_close(&p->sr);
    free(p);
}
