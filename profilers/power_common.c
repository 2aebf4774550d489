/* power_common.c: what the power sources share: setup, the doctor detail text and wrap-safe counter deltas. The
 * sources call it; it calls none of them (their list is power_sources.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "profilers/power.h"

void et_power_source_init(et_power_source *s, const et_power_ops *ops, const et_sysroot *sr, const et_perf_ops *perf,
                          const et_vcio_ops *vcio, const et_perf_env *penv, bool trial) {
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->sr = sr;
    s->perf = perf ? perf : et_perf_ops_system();
    s->vcio = vcio ? vcio : et_vcio_ops_system();
    s->penv = penv;
    s->trial = trial;
    s->interval_ms = 100;
    for (int i = 0; i < ET_POWER_MAX_CHANNELS; i++)
        s->ch[i].fd = -1;
    et_probe_set(&s->probe, ET_AVAIL_ERROR, 0, NULL, "not probed");
    ops->probe(s);
}

void et_power_detail_add(et_power_source *s, const char *fmt, ...) {
    size_t used = strlen(s->detail);
    if (used + 1 >= sizeof s->detail)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->detail + used, sizeof s->detail - used, fmt, ap);
    va_end(ap);
}

int et_power_start_nothing(et_power_source *s) {
    (void)s;
    return 0;
}

void et_power_stop_nothing(et_power_source *s) { (void)s; }

void et_power_read_label(const et_power_source *s, et_power_info *out) {
    snprintf(out->source, sizeof out->source, "%s", s->label);
    out->partial = s->partial;
}

double et_energy_delta_uj(double e0, double e1, double range_uj) {
    if (e1 >= e0)
        return e1 - e0;
    if (range_uj > 0 && e0 <= range_uj)
        return e1 + (range_uj - e0);
    return 0.0; /* went backwards without a known range (counter reset): count nothing rather than garbage */
}

int et_power_check_advance(et_power_source *s, int wait_ms, double *delta_uj) {
    *delta_uj = 0;
    int r = s->ops->start(s);
    if (r < 0)
        return r;
    et_power_raw a, b;
    memset(&a, 0, sizeof a), memset(&b, 0, sizeof b);
    r = s->ops->sample(s, &a);
    if (r == 0) {
        struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        r = s->ops->sample(s, &b);
    }
    s->ops->stop(s);
    if (r < 0)
        return r;
    for (int i = 0; i < a.n && i < b.n; i++)
        *delta_uj += et_energy_delta_uj(a.value[i], b.value[i], a.wrap_uj[i]);
    return 0;
}
