/* report_svg.c: the pictures of an HTML report (see report_svg.h). Each figure is an <svg> with a viewBox, so it
 * scales with the page, and a <figcaption> that says what is drawn and in which unit. Colours come from one small
 * palette; the baseline is orange and labelled, so the pictures also read in greyscale. */
#include "db/report_svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/metrics.h"
#include "stats/pareto.h"

enum { W = 760, LEFT = 190, RIGHT = 30, ROW_H = 22 };
static const char COL_RUN[] = "#3b6ea8", COL_BASE[] = "#e07b00", COL_FRONT[] = "#2a9d4b", COL_AXIS[] = "#444";

static void text_esc(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double quantile(const double *sorted, int n, double q) {
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    return i >= n - 1 ? sorted[n - 1] : sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

/* p5, p25, p50, p75, p95 of a run's latency: from its samples, else from the stored statistics (min for p5 and
 * p25, p90 for p75, p99 for p95: a wider box, said in the caption). false when it has none. */
static bool five_numbers(const et_result *r, double q[5], bool *from_samples) {
    *from_samples = false;
    if (r->n_samples > 1 && r->samples_ms) {
        double *s = malloc((size_t)r->n_samples * sizeof *s);
        if (s) {
            memcpy(s, r->samples_ms, (size_t)r->n_samples * sizeof *s);
            qsort(s, (size_t)r->n_samples, sizeof *s, cmp_double);
            const double at[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
            for (int i = 0; i < 5; i++)
                q[i] = quantile(s, r->n_samples, at[i]);
            free(s);
            *from_samples = true;
            return true;
        }
    }
    if (!(r->latency.p50_ms > 0))
        return false;
    const et_latency_stats *l = &r->latency;
    q[0] = l->min_ms, q[1] = l->min_ms, q[2] = l->p50_ms, q[3] = l->p90_ms, q[4] = l->p99_ms;
    return true;
}

static double x_of(double v, double lo, double hi) { return LEFT + (v - lo) / (hi - lo) * (W - LEFT - RIGHT); }

static void axis(FILE *f, int y, double lo, double hi, const char *unit) {
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>\n", LEFT, y, W - RIGHT, y, COL_AXIS);
    for (int k = 0; k <= 4; k++) {
        double v = lo + (hi - lo) * k / 4.0, x = x_of(v, lo, hi);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>", x, y, x, y + 4, COL_AXIS);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.3g</text>\n", x, y + 16, v);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n", W - RIGHT, y + 30, unit);
}

static void row_label(FILE *f, int y, const et_report_run *run) {
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\"%s>", LEFT - 8, y + 4,
            run->is_baseline ? " font-weight=\"bold\"" : "");
    text_esc(f, run->name);
    if (run->is_baseline)
        fputs(" (baseline)", f);
    fputs("</text>\n", f);
}

static void open_figure(FILE *f, const char *id, int h) {
    fprintf(f,
            "<figure id=\"%s\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" role=\"img\">\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
            id, W, h, W, h, W, h);
}

static void close_figure(FILE *f, const char *caption) {
    fputs("</svg>\n<figcaption>", f);
    text_esc(f, caption);
    fputs("</figcaption>\n</figure>\n", f);
}

static void latency_boxes(FILE *f, const et_report_run *runs, int n) {
    double(*q)[5] = calloc((size_t)(n ? n : 1), sizeof *q);
    bool *ok = calloc((size_t)(n ? n : 1), sizeof *ok), all_samples = true;
    if (!q || !ok) {
        free(q), free(ok);
        return;
    }
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < n; i++) {
        bool s = false;
        ok[i] = five_numbers(runs[i].r, q[i], &s);
        all_samples &= s || !ok[i];
        if (ok[i])
            lo = fmin(lo, q[i][0]), hi = fmax(hi, q[i][4]);
    }
    if (!(hi > lo))
        lo = 0, hi = hi > 0 ? hi * 1.1 : 1;
    lo = fmax(0, lo - (hi - lo) * 0.05), hi += (hi - lo) * 0.05;
    int h = 30 + n * ROW_H + 40;
    open_figure(f, "latency", h);
    for (int i = 0; i < n; i++) {
        int y = 20 + i * ROW_H + ROW_H / 2;
        row_label(f, y, &runs[i]);
        if (!ok[i]) {
            fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">n/a</text>\n", LEFT + 4, y + 4);
            continue;
        }
        const char *c = runs[i].is_baseline ? COL_BASE : COL_RUN;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>", x_of(q[i][0], lo, hi), y,
                x_of(q[i][4], lo, hi), y, c);
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.35\" "
                "stroke=\"%s\"/>",
                x_of(q[i][1], lo, hi), y - 7, fmax(1, x_of(q[i][3], lo, hi) - x_of(q[i][1], lo, hi)), 14, c, c);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                x_of(q[i][2], lo, hi), y - 8, x_of(q[i][2], lo, hi), y + 8, c);
    }
    axis(f, 24 + n * ROW_H, lo, hi, "latency (ms)");
    close_figure(f, all_samples ? "Latency per inference (ms): whiskers p5-p95, box p25-p75, thick line the median, "
                                  "from every timed iteration."
                                : "Latency per inference (ms): whiskers p5-p95, box p25-p75, thick line the median; "
                                  "runs without stored samples: min to p99 from their statistics.");
    free(q), free(ok);
}

/* Label placement in the scatter: a label goes beside its point, right-above, right-below, left-above or
 * left-below (then the same a line further out), whichever first overlaps neither another label nor a point;
 * points drawn on the same spot (within 4 px) share one label; a label with no free place becomes a number
 * ("[3]") in the first place that fits it, and the caption names it. Widths are estimated (6 px a
 * character at font-size 10), which is all an SVG without scripts can know before the browser lays it out. */
typedef struct box {
    double x0, y0, x1, y1;
} box;

enum { MAX_BOXES = 256 };
typedef struct placed {
    box b[MAX_BOXES];
    int n;
} placed;

static bool box_free(const placed *pl, box b, double xmax) {
    if (b.x0 < LEFT || b.x1 > xmax || b.y0 < 0)
        return false;
    for (int i = 0; i < pl->n; i++)
        if (b.x0 < pl->b[i].x1 && pl->b[i].x0 < b.x1 && b.y0 < pl->b[i].y1 && pl->b[i].y0 < b.y1)
            return false;
    return true;
}

static void keep_box(placed *pl, box b) {
    if (pl->n < MAX_BOXES)
        pl->b[pl->n++] = b;
}

/* Finds a place for a label of n_chars beside (px, py): *tx, *ty, *end (text-anchor end) get it; false when no
 * candidate is free (the first candidate is returned then). */
static bool place_label(placed *pl, double px, double py, int n_chars, double xmax, double *tx, double *ty, bool *end) {
    static const struct {
        double dx, dy;
        bool end;
    } cand[8] = {{8, -6, false},  {8, 14, false}, {-8, -6, true},  {-8, 14, true},
                 {8, -18, false}, {8, 26, false}, {-8, -18, true}, {-8, 26, true}};
    double w = 6.0 * n_chars;
    for (int k = 0; k < 8; k++) {
        double x = px + cand[k].dx, y = py + cand[k].dy;
        box b = {cand[k].end ? x - w : x, y - 10, cand[k].end ? x : x + w, y + 2};
        if (box_free(pl, b, xmax)) {
            keep_box(pl, b);
            *tx = x, *ty = y, *end = cand[k].end;
            return true;
        }
    }
    *tx = px + cand[0].dx, *ty = py + cand[0].dy, *end = false;
    return false;
}

/* The labels of the scatter's points (px, py: NaN for a point not drawn), the baseline's and the front's first so
 * that crowding numbers the others; numbered labels are listed in numbered (cap bytes: "[1] name; [2] ...").
 * Returns how many were numbered. */
static int point_labels(FILE *f, const et_report_run *runs, int n, const double *px, const double *py,
                        const bool *on_front, placed *pl, char *numbered, size_t cap) {
    int n_numbered = 0, *leader = malloc((size_t)(n > 0 ? n : 1) * sizeof *leader);
    size_t used = 0;
    if (!leader)
        return 0;
    for (int i = 0; i < n; i++) { /* a point on the spot of an earlier group's first point joins that group */
        leader[i] = i;
        for (int j = 0; j < i && leader[i] == i; j++)
            if (leader[j] == j && !isnan(px[j]) && fabs(px[j] - px[i]) < 4 && fabs(py[j] - py[i]) < 4)
                leader[i] = j;
    }
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            bool first = false; /* a group is labelled first when it holds the baseline or a point of the front */
            for (int j = i; j < n; j++)
                first |= leader[j] == i && (runs[j].is_baseline || on_front[j]);
            if (isnan(px[i]) || leader[i] != i || (pass == 0) != first)
                continue;
            char text[512];
            size_t len = 0;
            for (int j = i; j < n && len < sizeof text - 1; j++)
                if (leader[j] == i)
                    len += (size_t)snprintf(text + len, sizeof text - len, "%s%s%s", len ? ", " : "", runs[j].name,
                                            runs[j].is_baseline ? " (baseline)"
                                            : on_front[j]       ? " *"
                                                                : "");
            double tx, ty;
            bool end;
            char num[16] = "";
            if (!place_label(pl, px[i], py[i], (int)strlen(text), W, &tx, &ty, &end)) {
                snprintf(num, sizeof num, "[%d]", ++n_numbered);
                place_label(pl, px[i], py[i], (int)strlen(num), W, &tx, &ty, &end);
                if (used < cap)
                    used += (size_t)snprintf(numbered + used, cap - used, "%s%s %s", used ? "; " : "", num, text);
            }
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\"%s>", tx, ty, end ? " text-anchor=\"end\"" : "");
            text_esc(f, num[0] ? num : text);
            fputs("</text>\n", f);
        }
    if (n_numbered && used + 1 < cap)
        strcat(numbered, ".");
    free(leader);
    return n_numbered;
}

/* Quality of a run for the scatter: accuracy when use_acc, else top-1 agreement with fp32; NaN when missing. */
static double quality_of(const et_result *r, bool use_acc) {
    return et_metric_value(r, use_acc ? ET_METRIC_ACCURACY : ET_METRIC_TOP1);
}

static void scatter(FILE *f, const et_report_run *runs, int n) {
    bool use_acc = n > 0;
    for (int i = 0; i < n; i++)
        use_acc &= !isnan(et_metric_value(runs[i].r, ET_METRIC_ACCURACY));
    double xlo = INFINITY, xhi = 0, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < n; i++) {
        double x = et_metric_value(runs[i].r, ET_METRIC_P50), y = quality_of(runs[i].r, use_acc) * 100.0;
        if (isnan(x) || isnan(y))
            continue;
        xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
    }
    if (!(xhi >= xlo))
        xlo = 0, xhi = 1, ylo = 0, yhi = 100;
    double xpad = fmax((xhi - xlo) * 0.12, xhi * 0.02 + 1e-9), ypad = fmax((yhi - ylo) * 0.1, 0.5);
    xlo = fmax(0, xlo - xpad), xhi += 2.5 * xpad, ylo -= ypad, yhi = fmin(100.0 + ypad, yhi + ypad);
    const int top = 20, plot_h = 260, h = top + plot_h + 50;
    open_figure(f, "scatter", h);
    /* y axis */
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>\n", LEFT, top, LEFT, top + plot_h,
            COL_AXIS);
    for (int k = 0; k <= 4; k++) {
        double v = ylo + (yhi - ylo) * k / 4.0, y = top + plot_h - (v - ylo) / (yhi - ylo) * plot_h;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>\n", LEFT - 6, y + 4, v);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s (%%)</text>\n", LEFT - 6, top - 6,
            use_acc ? "accuracy" : "top-1 agreement");
    axis(f, top + plot_h, xlo, xhi, "p50 latency (ms)");
    /* the Pareto front, by the rule sweep marks its rows with (stats/pareto.h) */
    int *front = calloc((size_t)(n ? n : 1), sizeof *front), nf = 0;
    double *xs = calloc((size_t)(n ? n : 1), sizeof *xs), *ys = calloc((size_t)(n ? n : 1), sizeof *ys);
    bool *opt = calloc((size_t)(n ? n : 1), sizeof *opt);
    if (front && xs && ys && opt) {
        for (int i = 0; i < n; i++)
            xs[i] = et_metric_value(runs[i].r, ET_METRIC_P50), ys[i] = quality_of(runs[i].r, use_acc);
        et_pareto(xs, ys, n, opt);
        for (int i = 0; i < n; i++)
            if (opt[i])
                front[nf++] = i;
    }
    free(xs), free(ys), free(opt);
    for (int a = 1; a < nf; a++) /* by latency */
        for (int b = a; b > 0 && et_metric_value(runs[front[b]].r, ET_METRIC_P50) <
                                     et_metric_value(runs[front[b - 1]].r, ET_METRIC_P50);
             b--) {
            int t = front[b];
            front[b] = front[b - 1], front[b - 1] = t;
        }
    if (nf > 0) { /* a staircase through the front, on to the right edge: what lies below and right is dominated */
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"6 3\" points=\"",
                COL_FRONT);
        double prev_y = NAN;
        for (int k = 0; k < nf; k++) {
            const et_result *r = runs[front[k]].r;
            double px = x_of(et_metric_value(r, ET_METRIC_P50), xlo, xhi),
                   py = top + plot_h - (quality_of(r, use_acc) * 100.0 - ylo) / (yhi - ylo) * plot_h;
            if (k > 0)
                fprintf(f, "%.1f,%.1f ", px, prev_y);
            fprintf(f, "%.1f,%.1f ", px, py);
            prev_y = py;
        }
        fprintf(f, "%d,%.1f\"/>\n", W - RIGHT, prev_y);
    }
    /* the points first (their circles are obstacles for every label), then the labels: the baseline's and the
     * front's first, so crowding numbers the others */
    placed *pl = calloc(1, sizeof *pl);
    double *px = calloc((size_t)(n ? n : 1), sizeof *px), *py = calloc((size_t)(n ? n : 1), sizeof *py);
    bool *on_front = calloc((size_t)(n ? n : 1), sizeof *on_front);
    char *numbered = calloc(1, 4096);
    if (!pl || !px || !py || !on_front || !numbered)
        n = 0;
    for (int i = 0; i < n; i++) {
        double x = et_metric_value(runs[i].r, ET_METRIC_P50), y = quality_of(runs[i].r, use_acc) * 100.0;
        px[i] = py[i] = NAN;
        if (isnan(x) || isnan(y))
            continue;
        for (int k = 0; k < nf; k++)
            on_front[i] |= front[k] == i;
        px[i] = x_of(x, xlo, xhi), py[i] = top + plot_h - (y - ylo) / (yhi - ylo) * plot_h;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"%s\" stroke-width=\"2\"/>\n", px[i],
                py[i], runs[i].is_baseline ? 7 : 5, runs[i].is_baseline ? COL_BASE : COL_RUN,
                on_front[i] ? COL_FRONT : "none");
        keep_box(pl, (box){px[i] - 7, py[i] - 7, px[i] + 7, py[i] + 7});
    }
    int n_numbered = point_labels(f, runs, n, px, py, on_front, pl, numbered, 4000);
    free(front), free(pl), free(px), free(py), free(on_front);
    char caption[4600];
    snprintf(caption, sizeof caption, "%s%s%s",
             use_acc ? "Accuracy (%) against p50 latency (ms); the dashed green staircase is the Pareto front (no "
                       "other run both faster and at least as accurate), its runs ringed green and marked *."
                     : "Top-1 agreement with fp32 (%) against p50 latency (ms); the dashed green staircase is the "
                       "Pareto front (no other run both faster and at least as faithful), marked *.",
             n_numbered ? " Crowded points are numbered: " : "", n_numbered && numbered ? numbered : "");
    free(numbered);
    close_figure(f, caption);
}

static void bars(FILE *f, const char *id, const et_report_run *runs, int n, et_metric_id m, double scale,
                 const char *unit, const char *caption) {
    double hi = 0;
    for (int i = 0; i < n; i++) {
        double v = et_metric_value(runs[i].r, m) * scale;
        if (!isnan(v))
            hi = fmax(hi, v);
    }
    hi = hi > 0 ? hi * 1.1 : 1;
    int h = 30 + n * ROW_H + 40;
    open_figure(f, id, h);
    for (int i = 0; i < n; i++) {
        int y = 20 + i * ROW_H + ROW_H / 2;
        row_label(f, y, &runs[i]);
        double v = et_metric_value(runs[i].r, m) * scale;
        if (isnan(v)) {
            fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">n/a</text>\n", LEFT + 4, y + 4);
            continue;
        }
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\"/>", LEFT, y - 7,
                fmax(1, x_of(v, 0, hi) - LEFT), runs[i].is_baseline ? COL_BASE : COL_RUN);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%.3g %s</text>\n", x_of(v, 0, hi) + 4, y + 4, v, unit);
    }
    char u[32];
    snprintf(u, sizeof u, "%s", unit);
    axis(f, 24 + n * ROW_H, 0, hi, u);
    close_figure(f, caption);
}

char *et_report_svg_figures(const et_report_run *runs, int n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("<section class=\"figures\">\n", f);
    latency_boxes(f, runs, n);
    scatter(f, runs, n);
    bars(f, "size", runs, n, ET_METRIC_SIZE, 1.0 / 1048576.0, "MiB",
         "Size (MiB): the weights as stored at each run's bit-width (the model file for an fp32 run that did not "
         "record them).");
    bars(f, "energy", runs, n, ET_METRIC_ENERGY, 1.0, "mJ",
         "Energy per inference (mJ), where a power source measured it (n/a: none on this device).");
    fputs("</section>\n", f);
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}
