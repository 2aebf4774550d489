/* power_sampler.c: the thread that samples a power source during the timed loop (design in power.h).
 *
 * Every sample is taken by exactly one thread at a time: the first by start() before the thread exists, the
 * middle ones by the thread, the last by stop() after joining it, so the accumulators need no lock; the mutex
 * and condition variable only carry the stop request, which wakes the sleeping thread at once.
 * Units: energy accumulates in µJ; µJ per ns * 1e6 = mW; mW * ns * 1e-6 = µJ. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profilers/power.h"

enum { TIMELINE_CAP = 4096 };

struct et_power_sampler {
    et_power_source *src;
    int base_interval_ms, interval_ms; /* interval_ms doubles when the timeline is thinned */
    /* timeline */
    int n, cap;
    int64_t *t_ns;
    double *mw;
    /* accumulation over one window */
    int64_t t0_ns, t_last_ns;
    bool have_prev;
    double prev[ET_POWER_MAX_CHANNELS];
    double prev_mw;
    double energy_uj;
    double last_de_uj; /* energy and time behind the newest timeline point (ENERGY) */
    int64_t last_dt_ns;
    int n_taken, n_failed, last_errno;
    /* the thread */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop_requested, thread_running, sync_ready;
};

static void append(et_power_sampler *s, int64_t t_ns, double mw) {
    if (s->n == s->cap) { /* full: keep every other sample and sample half as often */
        for (int i = 0; i < s->n / 2; i++) {
            s->t_ns[i] = s->t_ns[2 * i + 1];
            s->mw[i] = s->mw[2 * i + 1];
        }
        s->n /= 2;
        s->interval_ms *= 2;
    }
    s->t_ns[s->n] = t_ns;
    s->mw[s->n] = mw;
    s->n++;
}

static void take_sample(et_power_sampler *s) {
    et_power_raw raw;
    memset(&raw, 0, sizeof raw);
    int r = s->src->ops->sample(s->src, &raw);
    int64_t now = et_monotonic_ns();
    if (r < 0) {
        s->n_failed++;
        s->last_errno = -r;
        return;
    }
    s->n_taken++;
    if (!s->have_prev) {
        s->t0_ns = now;
        s->t_last_ns = now;
        s->have_prev = true;
        memcpy(s->prev, raw.value, sizeof s->prev);
        s->prev_mw = raw.value[0];
        if (s->src->kind == ET_POWER_POWER)
            append(s, 0, raw.value[0]);
        return;
    }
    int64_t dt = now - s->t_last_ns;
    if (dt <= 0)
        return;
    if (s->src->kind == ET_POWER_ENERGY) {
        double de = 0;
        for (int i = 0; i < raw.n; i++) {
            de += et_energy_delta_uj(s->prev[i], raw.value[i], raw.wrap_uj[i]);
            s->prev[i] = raw.value[i];
        }
        s->energy_uj += de;
        if (s->n > 0 && dt < (int64_t)s->interval_ms * 250000) {
            /* a sliver (the stop sample right after a thread sample): a counter that updates every ms or so says
             * little over it, so fold it into the newest point instead of plotting a spike or a zero */
            s->last_de_uj += de;
            s->last_dt_ns += dt;
            s->t_ns[s->n - 1] = now - s->t0_ns;
            s->mw[s->n - 1] = s->last_de_uj / (double)s->last_dt_ns * 1e6;
        } else {
            s->last_de_uj = de;
            s->last_dt_ns = dt;
            append(s, now - s->t0_ns, de / (double)dt * 1e6);
        }
    } else {
        s->energy_uj += 0.5 * (s->prev_mw + raw.value[0]) * (double)dt * 1e-6;
        s->prev_mw = raw.value[0];
        append(s, now - s->t0_ns, raw.value[0]);
    }
    s->t_last_ns = now;
}

static void add_ms(struct timespec *ts, int ms) {
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

static void *sampler_main(void *arg) {
    et_power_sampler *s = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    add_ms(&next, s->interval_ms);
    pthread_mutex_lock(&s->mu);
    while (!s->stop_requested) {
        int rc = pthread_cond_timedwait(&s->cv, &s->mu, &next);
        if (s->stop_requested)
            break;
        if (rc != ETIMEDOUT)
            continue; /* spurious wake-up */
        pthread_mutex_unlock(&s->mu);
        take_sample(s);
        pthread_mutex_lock(&s->mu);
        add_ms(&next, s->interval_ms);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (next.tv_sec < now.tv_sec || (next.tv_sec == now.tv_sec && next.tv_nsec < now.tv_nsec)) {
            next = now; /* a slow sample (the Pi's mailbox): do not try to catch up */
            add_ms(&next, s->interval_ms);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

et_status et_sampler_create(et_power_source *src, int interval_ms, et_power_sampler **out, et_err *err) {
    return et_sampler_create_with(src, interval_ms, TIMELINE_CAP, out, err);
}

et_status et_sampler_create_with(et_power_source *src, int interval_ms, int timeline_cap, et_power_sampler **out,
                                 et_err *err) {
    *out = NULL;
    if (timeline_cap < 2)
        timeline_cap = 2;
    et_power_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return et_fail(err, ET_E_NOMEM, "out of memory for the power sampler");
    s->src = src;
    s->base_interval_ms = interval_ms > 0 ? interval_ms : src->interval_ms > 0 ? src->interval_ms : 100;
    if (s->base_interval_ms < src->min_interval_ms)
        s->base_interval_ms = src->min_interval_ms;
    s->interval_ms = s->base_interval_ms;
    s->cap = timeline_cap;
    s->t_ns = malloc((size_t)s->cap * sizeof *s->t_ns);
    s->mw = malloc((size_t)s->cap * sizeof *s->mw);
    pthread_condattr_t ca;
    bool sync_ok = pthread_condattr_init(&ca) == 0;
    sync_ok = sync_ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
    sync_ok = sync_ok && pthread_cond_init(&s->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (sync_ok && pthread_mutex_init(&s->mu, NULL) != 0) {
        pthread_cond_destroy(&s->cv);
        sync_ok = false;
    }
    s->sync_ready = sync_ok;
    if (!s->t_ns || !s->mw || !sync_ok) {
        et_sampler_destroy(s);
        return et_fail(err, ET_E_NOMEM, "cannot set up the power sampler (memory or pthread)");
    }
    *out = s;
    return ET_OK;
}

int et_sampler_start(et_power_sampler *s) {
    s->n = 0;
    s->have_prev = false;
    s->energy_uj = 0;
    s->last_de_uj = 0;
    s->last_dt_ns = 0;
    s->n_taken = s->n_failed = s->last_errno = 0;
    s->t0_ns = s->t_last_ns = 0;
    s->stop_requested = false;
    s->interval_ms = s->base_interval_ms;
    int r = s->src->ops->start(s->src);
    if (r < 0)
        return r;
    take_sample(s);
    if (pthread_create(&s->thread, NULL, sampler_main, s) != 0)
        return -EAGAIN; /* keep going with start and stop samples only */
    s->thread_running = true;
    return 0;
}

void et_sampler_stop(et_power_sampler *s) {
    if (s->thread_running) {
        pthread_mutex_lock(&s->mu);
        s->stop_requested = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
        s->thread_running = false;
    }
    take_sample(s);
    s->src->ops->stop(s->src);
}

void et_sampler_read(const et_power_sampler *s, int iterations, et_power_info *out) {
    s->src->ops->read(s->src, out);
    free(out->samples);
    out->samples = NULL;
    out->n_samples = 0;
    double window_s = (double)(s->t_last_ns - s->t0_ns) / 1e9;
    if (s->n_taken < 2 || window_s <= 0) {
        out->status = ET_AVAIL_ERROR;
        snprintf(out->why, sizeof out->why, "%s: %d of %d samples read%s%s", s->src->label, s->n_taken,
                 s->n_taken + s->n_failed, s->last_errno ? ", last error " : "",
                 s->last_errno ? et_errno_name(s->last_errno) : "");
        return;
    }
    if (s->src->kind == ET_POWER_ENERGY && s->energy_uj <= 0 && window_s >= 0.05) {
        out->status = ET_AVAIL_UNSUPPORTED;
        snprintf(out->why, sizeof out->why,
                 "%s: the energy counter did not advance in %.0f ms (a VM exposing "
                 "RAPL without the hardware, or a frozen sensor)",
                 s->src->label, window_s * 1e3);
        return;
    }
    out->status = ET_AVAIL_OK;
    out->why[0] = '\0';
    out->energy_j = s->energy_uj / 1e6;
    out->avg_power_w = out->energy_j / window_s;
    out->energy_per_inf_mj = iterations > 0 ? out->energy_j * 1000.0 / iterations : 0.0;
    if (s->n > 0) {
        out->samples = malloc((size_t)s->n * sizeof *out->samples);
        if (out->samples) {
            for (int i = 0; i < s->n; i++) {
                out->samples[i].t_ns = s->t_ns[i];
                out->samples[i].power_mw = s->mw[i];
            }
            out->n_samples = s->n;
        }
    }
    if (s->n_failed)
        snprintf(out->why, sizeof out->why, "%d of %d samples failed (%s) and were skipped", s->n_failed,
                 s->n_taken + s->n_failed, et_errno_name(s->last_errno));
    else if (s->src->kind == ET_POWER_ENERGY && window_s < 0.1)
        snprintf(out->why, sizeof out->why,
                 "window of %.0f ms: energy counters are coarse below 100 ms, run more "
                 "iterations for a reliable number",
                 window_s * 1e3);
    else if (s->n_taken < 3)
        snprintf(out->why, sizeof out->why,
                 "only the start and end samples in a %.0f ms window (sampling every "
                 "%d ms): run longer for a timeline",
                 window_s * 1e3, s->interval_ms);
}

void et_sampler_destroy(et_power_sampler *s) {
    if (!s)
        return;
    if (s->thread_running)
        et_sampler_stop(s);
    if (s->sync_ready) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    free(s->t_ns);
    free(s->mw);
    free(s);
}
