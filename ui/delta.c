/* delta.c: current-vs-baseline rows and number formats (see delta.h). The metric list is one table: how to read
 * the value from a result, its unit format, which way is better and the words for the ratio. */
#include "ui/delta.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "record/result.h"
#include "util/units.h"

char *et_ui_fmt_ms(char *buf, size_t len, double ms) {
    if (!(ms >= 0) || !isfinite(ms))
        snprintf(buf, len, "n/a");
    else
        et_fmt_ms(buf, len, ms);
    return buf;
}

char *et_ui_fmt_bytes(char *buf, size_t len, double bytes) {
    if (!(bytes >= 0) || !isfinite(bytes))
        snprintf(buf, len, "n/a");
    else
        et_fmt_bytes(buf, len, bytes);
    return buf;
}

char *et_ui_fmt_rate(char *buf, size_t len, double per_s) {
    if (!(per_s > 0) || !isfinite(per_s)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    char n[32];
    if (per_s < 10)
        snprintf(n, sizeof n, "%.2f", per_s);
    else if (per_s < 1000)
        snprintf(n, sizeof n, "%.0f", per_s);
    else
        et_fmt_count(n, sizeof n, per_s);
    snprintf(buf, len, "%s inf/s", n);
    return buf;
}

char *et_ui_fmt_pct(char *buf, size_t len, double frac) {
    if (!(frac >= 0) || !isfinite(frac))
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.2f %%", frac * 100.0);
    return buf;
}

typedef enum { U_MS, U_BYTES, U_RATE, U_MJ, U_W, U_PLAIN, U_COUNT, U_PCT } unit;
typedef enum { LOWER, HIGHER, NEUTRAL } better;
typedef enum { R_RATIO, R_PP } change_kind;

static const et_counter *counter(const et_result *r, const char *label) {
    for (int i = 0; i < r->n_counters; i++)
        if (strcmp(r->counters[i].label, label) == 0 && r->counters[i].status == ET_AVAIL_OK &&
            r->counters[i].running_ns > 0)
            return &r->counters[i];
    return NULL;
}

static double top_agreement(const et_result *r, int k) {
    if (r->fidelity.status != ET_AVAIL_OK || r->fidelity.n_outputs < 1)
        return NAN;
    double v = k == 1 ? r->fidelity.outputs[0].top1_agreement : r->fidelity.outputs[0].top5_agreement;
    return v >= 0 ? v : NAN;
}

typedef enum {
    M_P50, M_P90, M_P99, M_RATE, M_DEPLOYED, M_PEAK, M_WEIGHTS, M_ARENA, M_ENERGY, M_POWER, M_IPC, M_CYCLES, M_TOP1, M_TOP5,
    M_ACC
} metric_id;

static double value_of(const et_result *r, metric_id m) {
    if (!r)
        return NAN;
    bool timed = r->iters > 0;
    switch (m) {
    case M_P50: return timed ? r->latency.p50_ms : NAN;
    case M_P90: return timed ? r->latency.p90_ms : NAN;
    case M_P99: return timed ? r->latency.p99_ms : NAN;
    case M_RATE: return timed ? r->latency.throughput_ips : NAN;
    case M_DEPLOYED:
        return r->deployed.status == ET_AVAIL_OK && r->deployed.peak_bytes > 0 ? (double)r->deployed.peak_bytes : NAN;
    case M_PEAK: return r->memory.status == ET_AVAIL_OK ? (double)r->memory.peak_rss_bytes : NAN;
    case M_WEIGHTS:
        return r->memory.weights_deploy_bytes > 0 ? (double)r->memory.weights_deploy_bytes
               : r->memory.weights_bytes > 0      ? (double)r->memory.weights_bytes
                                                  : NAN;
    case M_ARENA: return r->memory.arena_bytes > 0 ? (double)r->memory.arena_bytes : NAN;
    case M_ENERGY: return r->power.status == ET_AVAIL_OK ? r->power.energy_per_inf_mj : NAN;
    case M_POWER: return r->power.status == ET_AVAIL_OK ? r->power.avg_power_w : NAN;
    case M_IPC: return et_result_ipc(r);
    case M_CYCLES: {
        const et_counter *c = counter(r, "cycles");
        return c ? c->value_per_inf : NAN;
    }
    case M_TOP1: return top_agreement(r, 1);
    case M_TOP5: return top_agreement(r, 5);
    case M_ACC: return r->fidelity.status == ET_AVAIL_OK && r->fidelity.accuracy >= 0 ? r->fidelity.accuracy : NAN;
    }
    return NAN;
}

typedef struct metric {
    metric_id id;
    const char *name;
    unit unit;
    better better;
    change_kind change;
    const char *up_word, *down_word; /* ratio >= 1 (better) and < 1 */
    bool full_only;
} metric;

static const metric metrics[] = {
    {M_P50, "p50", U_MS, LOWER, R_RATIO, "faster", "slower", false},
    {M_P90, "p90", U_MS, LOWER, R_RATIO, "faster", "slower", true},
    {M_P99, "p99", U_MS, LOWER, R_RATIO, "faster", "slower", false},
    {M_RATE, "inf/s", U_RATE, HIGHER, R_RATIO, "higher", "lower", false},
    {M_DEPLOYED, "deployed", U_BYTES, LOWER, R_RATIO, "smaller", "larger", false},
    {M_PEAK, "edgetune peak", U_BYTES, LOWER, R_RATIO, "smaller", "larger", true},
    {M_WEIGHTS, "weights", U_BYTES, LOWER, R_RATIO, "smaller", "larger", false},
    {M_ARENA, "arena", U_BYTES, LOWER, R_RATIO, "smaller", "larger", true},
    {M_ENERGY, "energy/inf", U_MJ, LOWER, R_RATIO, "less", "more", false},
    {M_POWER, "avg power", U_W, NEUTRAL, R_RATIO, "lower", "higher", true},
    {M_IPC, "IPC", U_PLAIN, HIGHER, R_RATIO, "higher", "lower", false},
    {M_CYCLES, "cycles/inf", U_COUNT, LOWER, R_RATIO, "fewer", "more", true},
    {M_TOP1, "top-1", U_PCT, HIGHER, R_PP, NULL, NULL, false},
    {M_TOP5, "top-5", U_PCT, HIGHER, R_PP, NULL, NULL, true},
    {M_ACC, "accuracy", U_PCT, HIGHER, R_PP, NULL, NULL, false},
};
enum { N_METRICS = sizeof metrics / sizeof metrics[0] };

/* A signed difference, compact (at most 8 columns for the usual ranges: "-0.51 ms", "+12 MiB"). */
static void format_delta(unit u, double v, char *buf, size_t len) {
    const char *s = v > 0 ? "+" : v < 0 ? "-" : "";
    double a = fabs(v);
    const char *digits = a < 10 ? "%s%.2f%s" : a < 100 ? "%s%.1f%s" : "%s%.0f%s";
    switch (u) {
    case U_MS:
        if (a >= 1000)
            snprintf(buf, len, "%s%.2f s", s, a / 1000);
        else
            snprintf(buf, len, digits, s, a, " ms");
        break;
    case U_BYTES: {
        static const char *const units[] = {" B", " KiB", " MiB", " GiB"};
        int i = 0;
        while (a >= 1024 && i < 3)
            a /= 1024, i++;
        snprintf(buf, len, i == 0 ? "%s%.0f%s" : a < 10 ? "%s%.1f%s" : "%s%.0f%s", s, a, units[i]);
        break;
    }
    case U_RATE:
    case U_COUNT: {
        char n[32];
        et_fmt_count(n, sizeof n, a);
        snprintf(buf, len, "%s%s", s, n);
        break;
    }
    case U_MJ: snprintf(buf, len, digits, s, a, " mJ"); break;
    case U_W: snprintf(buf, len, digits, s, a, " W"); break;
    case U_PLAIN: snprintf(buf, len, "%s%.2f", s, a); break;
    case U_PCT: snprintf(buf, len, "%s%.1f pp", s, a * 100.0); break;
    }
}

static void format(unit u, double v, bool sign, char *buf, size_t len) {
    if (isnan(v)) {
        snprintf(buf, len, "n/a");
        return;
    }
    if (sign) {
        format_delta(u, v, buf, len);
        return;
    }
    char num[32];
    double a = v;
    switch (u) {
    case U_MS: et_fmt_ms(num, sizeof num, a); break;
    case U_BYTES: et_fmt_bytes(num, sizeof num, a); break;
    case U_RATE: /* the metric's name carries the unit: inf/s */
        if (a < 10)
            snprintf(num, sizeof num, "%.2f", a);
        else if (a < 1000)
            snprintf(num, sizeof num, "%.0f", a);
        else
            et_fmt_count(num, sizeof num, a);
        break;
    case U_MJ: snprintf(num, sizeof num, a < 10 ? "%.3f mJ" : "%.1f mJ", a); break;
    case U_W: snprintf(num, sizeof num, "%.2f W", a); break;
    case U_PLAIN: snprintf(num, sizeof num, "%.2f", a); break;
    case U_COUNT: et_fmt_count(num, sizeof num, a); break;
    case U_PCT: snprintf(num, sizeof num, "%.1f %%", a * 100.0); break;
    }
    snprintf(buf, len, "%s", num);
}

static void change_text(const metric *m, double b, double c, et_delta_row *row) {
    row->verdict = 0;
    if (isnan(b) || isnan(c)) {
        snprintf(row->change, sizeof row->change, "n/a");
        return;
    }
    if (m->change == R_PP) {
        double pp = (c - b) * 100.0;
        if (fabs(pp) < 0.05) {
            snprintf(row->change, sizeof row->change, "same");
            return;
        }
        snprintf(row->change, sizeof row->change, "%+.1f pp", pp);
        row->verdict = (pp > 0) == (m->better == HIGHER) ? 1 : -1;
        return;
    }
    if (!(b > 0) || !(c > 0)) {
        snprintf(row->change, sizeof row->change, "n/a");
        return;
    }
    /* ratio >= 1 means better (or "up" for a neutral metric) */
    double ratio = m->better == HIGHER ? c / b : b / c;
    if (fabs(ratio - 1.0) < 0.005) {
        snprintf(row->change, sizeof row->change, "same");
        return;
    }
    bool up = ratio >= 1.0;
    double x = up ? ratio : 1.0 / ratio;
    snprintf(row->change, sizeof row->change, x < 10 ? "%.2fx %s" : "%.1fx %s", x, up ? m->up_word : m->down_word);
    if (m->better != NEUTRAL)
        row->verdict = up ? 1 : -1;
}

int et_delta_rows(const et_result *cur, const et_result *base, bool full, et_delta_row *rows, int max) {
    int n = 0;
    for (int i = 0; i < N_METRICS && n < max; i++) {
        const metric *m = &metrics[i];
        if (m->full_only && !full)
            continue;
        et_delta_row *row = &rows[n++];
        memset(row, 0, sizeof *row);
        row->metric = m->name;
        double b = value_of(base, m->id), c = value_of(cur, m->id);
        if ((m->id == M_TOP1 || m->id == M_TOP5) && base)
            b = 1.0; /* the baseline agrees with itself: the reference */
        format(m->unit, b, false, row->base, sizeof row->base);
        format(m->unit, c, false, row->cur, sizeof row->cur);
        if (isnan(b) || isnan(c))
            snprintf(row->delta, sizeof row->delta, "n/a");
        else
            format(m->unit, c - b, true, row->delta, sizeof row->delta);
        change_text(m, b, c, row);
    }
    return n;
}
