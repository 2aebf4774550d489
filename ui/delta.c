/* delta.c: current-vs-baseline rows and number formats (see delta.h). The rows are the metric table of
 * src/record/metrics.h, the one `compare` reads too (how a value is read from a result, which way is better, the
 * words for a ratio); this file only formats them for the panel. */
#include "ui/delta.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "db/significance.h"
#include "record/metrics.h"
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

/* A signed difference, compact (at most 8 columns for the usual ranges: "-0.51 ms", "+12 MiB"). */
static void format_delta(et_metric_unit u, double v, char *buf, size_t len) {
    const char *s = v > 0 ? "+" : v < 0 ? "-" : "";
    double a = fabs(v);
    const char *digits = a < 10 ? "%s%.2f%s" : a < 100 ? "%s%.1f%s" : "%s%.0f%s";
    switch (u) {
    case ET_UNIT_MS:
        if (a >= 1000)
            snprintf(buf, len, "%s%.2f s", s, a / 1000);
        else
            snprintf(buf, len, digits, s, a, " ms");
        break;
    case ET_UNIT_BYTES: {
        static const char *const units[] = {" B", " KiB", " MiB", " GiB"};
        int i = 0;
        while (a >= 1024 && i < 3)
            a /= 1024, i++;
        snprintf(buf, len, i == 0 ? "%s%.0f%s" : a < 10 ? "%s%.1f%s" : "%s%.0f%s", s, a, units[i]);
        break;
    }
    case ET_UNIT_PER_S:
    case ET_UNIT_PER_INF: {
        char n[32];
        et_fmt_count(n, sizeof n, a);
        snprintf(buf, len, "%s%s", s, n);
        break;
    }
    case ET_UNIT_MJ: snprintf(buf, len, digits, s, a, " mJ"); break;
    case ET_UNIT_W: snprintf(buf, len, digits, s, a, " W"); break;
    case ET_UNIT_NONE: snprintf(buf, len, "%s%.2f", s, a); break;
    case ET_UNIT_FRACTION: snprintf(buf, len, "%s%.1f pp", s, a * 100.0); break;
    }
}

static void format(et_metric_unit u, double v, bool sign, char *buf, size_t len) {
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
    case ET_UNIT_MS: et_fmt_ms(num, sizeof num, a); break;
    case ET_UNIT_BYTES: et_fmt_bytes(num, sizeof num, a); break;
    case ET_UNIT_PER_S: /* the metric's name carries the unit: inf/s */
        if (a < 10)
            snprintf(num, sizeof num, "%.2f", a);
        else if (a < 1000)
            snprintf(num, sizeof num, "%.0f", a);
        else
            et_fmt_count(num, sizeof num, a);
        break;
    case ET_UNIT_MJ: snprintf(num, sizeof num, a < 10 ? "%.3f mJ" : "%.1f mJ", a); break;
    case ET_UNIT_W: snprintf(num, sizeof num, "%.2f W", a); break;
    case ET_UNIT_NONE: snprintf(num, sizeof num, "%.2f", a); break;
    case ET_UNIT_PER_INF: et_fmt_count(num, sizeof num, a); break;
    case ET_UNIT_FRACTION: snprintf(num, sizeof num, "%.1f %%", a * 100.0); break;
    }
    snprintf(buf, len, "%s", num);
}

static void change_text(et_metric_id id, double b, double c, et_delta_row *row) {
    const et_metric *m = &et_metrics[id];
    row->verdict = 0;
    if (isnan(b) || isnan(c)) {
        snprintf(row->change, sizeof row->change, "n/a");
        return;
    }
    if (m->change == ET_CHANGE_POINTS) {
        double pp = et_metric_points(b, c);
        if (fabs(pp) < 0.05) {
            snprintf(row->change, sizeof row->change, "same");
            return;
        }
        snprintf(row->change, sizeof row->change, "%+.1f pp", pp);
        row->verdict = (pp > 0) == (m->better == ET_METRIC_HIGHER_IS_BETTER) ? 1 : -1;
        return;
    }
    /* above 1 means better (or "up" for a metric that is neither) */
    double ratio = et_metric_ratio(id, b, c);
    if (isnan(ratio)) {
        snprintf(row->change, sizeof row->change, "n/a");
        return;
    }
    if (fabs(ratio - 1.0) < 0.005) {
        snprintf(row->change, sizeof row->change, "same");
        return;
    }
    bool up = ratio >= 1.0;
    double x = up ? ratio : 1.0 / ratio;
    snprintf(row->change, sizeof row->change, x < 10 ? "%.2fx %s" : "%.1fx %s", x, up ? m->up_word : m->down_word);
    if (m->better != ET_METRIC_NEITHER)
        row->verdict = up ? 1 : -1;
}

/* A tested metric whose raw data both runs hold (latency samples, per-input correctness) says its test's verdict,
 * as compare does: row->said gets compare's words ("= same, p 0.41", "1.62x faster, p <0.001"); row->change the
 * short form for narrow panels ("= same", "~1.02x faster" for significant but under the min effect, else the
 * plain change), and only a change called better or worse keeps its marker. Without the raw data the plain change
 * stays and said is empty. */
static void tested_text(et_metric_id id, const et_result *cur, const et_result *base, double b, double c,
                        et_delta_row *row) {
    const et_metric *m = &et_metrics[id];
    et_ab_options o = et_ab_defaults();
    o.resamples = 0; /* the panel shows the verdict and p, not the interval: no bootstrap on every refresh */
    et_ab ab;
    if (isnan(b) || isnan(c) || !et_db_significance(base, cur, id, &o, &ab))
        return;
    if (m->change == ET_CHANGE_RATIO)
        ab.estimate = et_metric_ratio(id, b, c); /* the row's own ratio; the verdict is the test's */
    et_ab_say(&ab, &o, m->change == ET_CHANGE_POINTS, m->up_word, m->down_word, row->said, sizeof row->said);
    if (ab.verdict == ET_AB_SAME)
        snprintf(row->change, sizeof row->change, "= same");
    else if (ab.verdict == ET_AB_SMALL) {
        char plain[sizeof row->change];
        snprintf(plain, sizeof plain, "%s", row->change);
        snprintf(row->change, sizeof row->change, "~%s", plain);
    }
    row->verdict = ab.verdict == ET_AB_BETTER ? 1 : ab.verdict == ET_AB_WORSE ? -1 : 0;
}

int et_delta_rows(const et_result *cur, const et_result *base, bool full, et_delta_row *rows, int max) {
    int n = 0;
    for (int i = 0; i < ET_METRIC_COUNT && n < max; i++) {
        const et_metric *m = &et_metrics[i];
        if (!m->headline && !full)
            continue;
        et_delta_row *row = &rows[n++];
        memset(row, 0, sizeof *row);
        row->metric = m->name;
        double b = et_metric_value(base, (et_metric_id)i), c = et_metric_value(cur, (et_metric_id)i);
        if ((i == ET_METRIC_TOP1 || i == ET_METRIC_TOP5) && base)
            b = 1.0; /* the baseline is the fp32 model these agree with: it agrees with itself */
        format(m->unit, b, false, row->base, sizeof row->base);
        format(m->unit, c, false, row->cur, sizeof row->cur);
        if (isnan(b) || isnan(c))
            snprintf(row->delta, sizeof row->delta, "n/a");
        else
            format(m->unit, c - b, true, row->delta, sizeof row->delta);
        change_text((et_metric_id)i, b, c, row);
        if (m->test != ET_TEST_NONE && cur && base)
            tested_text((et_metric_id)i, cur, base, b, c, row);
    }
    return n;
}
