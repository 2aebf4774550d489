/* view_workbench.c: the view users live in: knobs (left, top), the live measurement (right, top), fidelity
 * against fp32 (left, bottom) and the current run beside the baseline with deltas and ratios (right, bottom).
 *
 * At 80x24 every panel has its minimum size; larger screens give the extra rows to the histogram and the
 * comparison (which then lists the secondary metrics too) and the extra columns to the right-hand panels.
 * Knob keys change ui->knobs and post them to the worker at once: it cancels what it measures and starts over. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "record/metrics.h"
#include "record/result.h"
#include "ui/delta.h"
#include "ui/ui.h"
#include "ui/widgets.h"
#include "util/units.h"

typedef struct layout {
    et_rect knobs, live, fid, cmp;
} layout;

static layout layout_for(et_rect a) {
    int left = 25 + (a.w - 80) / 5;
    if (left > 36)
        left = 36;
    int top_h = 11 + (a.h - 21) / 2;
    layout l;
    l.knobs = (et_rect){a.x, a.y, left, top_h};
    l.live = (et_rect){a.x + left, a.y, a.w - left, top_h};
    l.fid = (et_rect){a.x, a.y + top_h, left, a.h - top_h};
    l.cmp = (et_rect){a.x + left, a.y + top_h, a.w - left, a.h - top_h};
    return l;
}

static et_rect inside(et_rect r) { return (et_rect){r.x + 1, r.y + 1, r.w - 2, r.h - 2}; }

/* ---- knobs ---------------------------------------------------------------------------------------------- */

static void draw_knobs(const et_ui *ui, et_canvas *c, et_rect r) {
    et_canvas_box(c, r, ET_ROLE_BORDER, "Knobs", ET_ROLE_PANEL);
    et_rect in = inside(r);
    /* " name        ◂ value ▸": the value right-aligned between the arrows */
    int name_w = 11, vx = in.x + 1 + name_w + 2, value_w = in.x + in.w - 1 - vx;
    /* more knobs than rows (80x24): the rows scroll so that the selected knob is always shown */
    int first = 0;
    if (ET_KNOB_COUNT > in.h && in.h > 0) {
        first = ui->knob - in.h + 1;
        first = first < 0 ? 0 : first > ET_KNOB_COUNT - in.h ? ET_KNOB_COUNT - in.h : first;
        char more[40];
        int below = ET_KNOB_COUNT - in.h - first;
        if (first > 0 && below > 0)
            snprintf(more, sizeof more, " +%d above +%d below ", first, below);
        else
            snprintf(more, sizeof more, " +%d %s ", first > 0 ? first : below, first > 0 ? "above" : "below");
        int mw = (int)strlen(more);
        if (mw + 2 < r.w)
            et_canvas_text(c, r.x + r.w - 1 - mw, r.y + r.h - 1, mw, ET_ROLE_DIM, more);
    }
    for (int k = first; k < ET_KNOB_COUNT && k - first < in.h; k++) {
        int y = in.y + k - first;
        bool sel = k == ui->knob, applies = et_knob_applies(&ui->knobs, (et_knob_id)k);
        et_role role = applies ? ET_ROLE_LABEL : ET_ROLE_DIM;
        et_canvas_text_fit(c, in.x + 1, y, name_w, role, et_knob_name((et_knob_id)k));
        char v[64];
        et_knob_value(&ui->knobs, (et_knob_id)k, v, sizeof v);
        et_canvas_text_right(c, vx, y, value_w, applies ? ET_ROLE_VALUE : ET_ROLE_DIM, v);
        if (sel) {
            /* arrows only on the selected knob: the selection reads without colour or reverse video */
            et_canvas_glyph(c, vx - 1, y, ET_G_LEFT, ET_ROLE_SELECTED);
            et_canvas_glyph(c, vx + value_w, y, ET_G_RIGHT, ET_ROLE_SELECTED);
            et_canvas_set_role(c, in.x, y, in.w, ET_ROLE_SELECTED);
        }
    }
    /* what changing the knob does, when there is room */
    int y = in.y + ET_KNOB_COUNT + 1;
    if (y < in.y + in.h) {
        et_canvas_text_fit(c, in.x + 1, y, in.w - 1, ET_ROLE_DIM, "left/right: change");
        if (y + 1 < in.y + in.h)
            et_canvas_text_fit(c, in.x + 1, y + 1, in.w - 1, ET_ROLE_DIM, "0: back to fp32");
    }
}

/* ---- live panel ------------------------------------------------------------------------------------------ */

/* Writes "label value" pairs along a line; returns the next x. */
static int pair(et_canvas *c, int x, int y, int right, const char *label, const char *value, et_role vrole) {
    if (x >= right)
        return x;
    x += et_canvas_text(c, x, y, right - x, ET_ROLE_LABEL, label);
    if (x < right)
        x += et_canvas_text(c, x, y, right - x, ET_ROLE_NORMAL, " ");
    x += et_canvas_text_fit(c, x, y, right - x, vrole, value);
    return x + 2;
}

static void na_line(et_canvas *c, int x, int y, int w, const char *label, const char *why) {
    int n = et_canvas_text(c, x, y, w, ET_ROLE_LABEL, label);
    char text[ET_WHY_MAX + 16];
    snprintf(text, sizeof text, " n/a: %s", why && why[0] ? why : "no reason recorded");
    et_canvas_text_fit(c, x + n, y, w - n, ET_ROLE_DIM, text);
}

/* Word-wraps text into w columns from line y; returns the lines used (at most max_lines). */
static int wrap(et_canvas *c, int x, int y, int w, int max_lines, et_role role, const char *text) {
    int used = 0;
    const char *p = text;
    while (*p && used < max_lines) {
        int len = (int)strlen(p);
        int take = len;
        if (et_text_width(p) > w) {
            /* break at the last blank that keeps the line within w bytes (close enough for ASCII text) */
            take = w < len ? w : len;
            int b = take;
            while (b > 0 && p[b] != ' ')
                b--;
            if (b > 0)
                take = b;
        }
        char line[512];
        snprintf(line, sizeof line, "%.*s", take, p);
        if (used == max_lines - 1 && p[take])
            et_canvas_text_fit(c, x, y + used, w, role, p);
        else
            et_canvas_text(c, x, y + used, w, role, line);
        used++;
        p += take;
        while (*p == ' ')
            p++;
    }
    return used;
}

static const char *first_counter_why(const et_result *r) {
    for (int i = 0; i < r->n_counters; i++)
        if (r->counters[i].status != ET_AVAIL_OK)
            return r->counters[i].why;
    return r->n_counters ? "counted, but no cycles or instructions" : "not measured";
}

static void draw_latency(const et_result *r, et_canvas *c, et_rect in, int *y, int hist_h) {
    char a[32], b[32], d[96], e[32];
    int x = in.x, right = in.x + in.w;
    x = pair(c, x, *y, right, "p50", et_ui_fmt_ms(a, sizeof a, r->latency.p50_ms), ET_ROLE_VALUE);
    x = pair(c, x, *y, right, "p90", et_ui_fmt_ms(b, sizeof b, r->latency.p90_ms), ET_ROLE_VALUE);
    x = pair(c, x, *y, right, "p99", et_ui_fmt_ms(d, sizeof d, r->latency.p99_ms), ET_ROLE_VALUE);
    pair(c, x, *y, right, "max", et_ui_fmt_ms(e, sizeof e, r->latency.max_ms), ET_ROLE_VALUE);
    (*y)++;
    /* sparkline: the latest iterations, scaled between their min and max */
    int label_w = et_canvas_printf(c, in.x, *y, in.w, ET_ROLE_LABEL, "last %d ",
                                   r->n_samples < in.w - 9 ? r->n_samples : in.w - 9);
    int spark_w = in.w - label_w;
    int shown = r->n_samples < spark_w ? r->n_samples : spark_w;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = r->n_samples - shown; i < r->n_samples; i++) {
        lo = r->samples_ms[i] < lo ? r->samples_ms[i] : lo;
        hi = r->samples_ms[i] > hi ? r->samples_ms[i] : hi;
    }
    et_w_sparkline(c, in.x + label_w, *y, spark_w, ET_ROLE_GRAPH, r->samples_ms, r->n_samples, lo, hi);
    (*y)++;
    /* histogram of every sample from min to p99 (the slowest 1 % land in the last bin) */
    double hlo = r->latency.min_ms, hhi = r->latency.p99_ms > hlo ? r->latency.p99_ms : hlo + 1e-6;
    et_ui_fmt_ms(a, sizeof a, hlo);
    et_ui_fmt_ms(b, sizeof b, hhi);
    if (hist_h <= 1) {
        int lw = et_canvas_text(c, in.x, *y, in.w, ET_ROLE_LABEL, a);
        int rw = et_text_width(b) + 4;
        int bins = in.w - lw - rw - 1;
        et_w_histogram(c, (et_rect){in.x + lw + 1, *y, bins, 1}, ET_ROLE_GRAPH, r->samples_ms, r->n_samples, hlo, hhi);
        snprintf(d, sizeof d, "%s p99", b);
        et_canvas_text(c, in.x + lw + 2 + bins, *y, rw, ET_ROLE_LABEL, d);
        (*y)++;
    } else {
        et_w_histogram(c, (et_rect){in.x, *y, in.w, hist_h - 1}, ET_ROLE_GRAPH, r->samples_ms, r->n_samples, hlo, hhi);
        *y += hist_h - 1;
        et_canvas_text(c, in.x, *y, in.w, ET_ROLE_LABEL, a);
        snprintf(d, sizeof d, "histogram of %d samples, min to p99", r->n_samples);
        int dw = et_text_width(d);
        if (dw + 20 < in.w)
            et_canvas_text(c, in.x + (in.w - dw) / 2, *y, dw, ET_ROLE_DIM, d);
        snprintf(d, sizeof d, "%s p99", b);
        et_canvas_text_right(c, in.x, *y, in.w, ET_ROLE_LABEL, d);
        (*y)++;
    }
}

static void draw_resources(const et_result *r, const et_canvas *cc, et_canvas *c, et_rect in, int *y) {
    char a[48], b[48], d[64];
    int right = in.x + in.w, x;
    (void)cc;
    /* throughput and iterations */
    x = pair(c, in.x, *y, right, "throughput", et_ui_fmt_rate(a, sizeof a, r->latency.throughput_ips), ET_ROLE_VALUE);
    snprintf(b, sizeof b, "%d", r->iters);
    x = pair(c, x, *y, right, "iterations", b, ET_ROLE_VALUE);
    snprintf(d, sizeof d, "%.0f %%", r->latency.cv * 100.0);
    pair(c, x, *y, right, "cv", d, ET_ROLE_VALUE);
    (*y)++;
    /* memory: what a deployment needs first; edgetune's own peak after, named as such */
    x = in.x;
    if (r->deployed.status == ET_AVAIL_OK)
        x = pair(c, x, *y, right, "deployed", et_ui_fmt_bytes(a, sizeof a, (double)r->deployed.peak_bytes),
                 ET_ROLE_VALUE);
    else
        x = pair(c, x, *y, right, "deployed", "n/a", ET_ROLE_DIM);
    x = pair(c, x, *y, right, et_metrics[ET_METRIC_SIZE].name,
             et_ui_fmt_bytes(a, sizeof a, et_metric_value(r, ET_METRIC_SIZE)), ET_ROLE_VALUE);
    x = pair(c, x, *y, right, "arena", et_ui_fmt_bytes(b, sizeof b, (double)r->memory.arena_bytes), ET_ROLE_VALUE);
    et_ui_fmt_bytes(a, sizeof a, (double)r->memory.peak_rss_bytes);
    if (r->memory.status == ET_AVAIL_OK && x + et_text_width("edgetune peak ") + et_text_width(a) <= right)
        pair(c, x, *y, right, "edgetune peak", a, ET_ROLE_DIM); /* secondary: whole or not at all */
    (*y)++;
    /* counters */
    double ipc = et_result_ipc(r);
    if (!isnan(ipc)) {
        snprintf(a, sizeof a, "%.2f", ipc);
        x = pair(c, in.x, *y, right, "IPC", a, ET_ROLE_VALUE);
        for (int i = 0; i < r->n_counters; i++)
            if (strcmp(r->counters[i].label, "cycles") == 0) {
                char n[32];
                snprintf(b, sizeof b, "%s/inf", et_fmt_count(n, sizeof n, r->counters[i].value_per_inf));
                x = pair(c, x, *y, right, "cycles", b, ET_ROLE_VALUE);
            }
        for (int i = 0; i < r->n_counters; i++)
            if (strcmp(r->counters[i].label, "cache-misses (LLC)") == 0 && r->counters[i].status == ET_AVAIL_OK) {
                char n[32];
                snprintf(b, sizeof b, "%s/inf", et_fmt_count(n, sizeof n, r->counters[i].value_per_inf));
                pair(c, x, *y, right, "LLC misses", b, ET_ROLE_VALUE);
            }
    } else {
        na_line(c, in.x, *y, in.w, "counters", first_counter_why(r));
    }
    (*y)++;
    /* power */
    const et_power_info *p = &r->power;
    if (p->status == ET_AVAIL_OK) {
        snprintf(a, sizeof a, "%.2f W", p->avg_power_w);
        x = pair(c, in.x, *y, right, "power", a, ET_ROLE_VALUE);
        snprintf(b, sizeof b, "%.3f mJ/inf", p->energy_per_inf_mj);
        x = pair(c, x, *y, right, "energy", b, ET_ROLE_VALUE);
        snprintf(d, sizeof d, "(%s%s)", p->source, p->partial ? ", part of the board" : "");
        et_canvas_text_fit(c, x, *y, right - x, ET_ROLE_DIM, d);
    } else {
        na_line(c, in.x, *y, in.w, "power", p->why);
    }
    (*y)++;
    /* thermal and clocks */
    const et_thermal_info *t = &r->thermal;
    if (t->status == ET_AVAIL_OK) {
        x = in.x;
        if (t->n_zones > 0) {
            snprintf(a, sizeof a, "%.1f%s%.1f %sC", t->temp_start_c[0], c->ascii ? "->" : "\u2192", t->temp_end_c[0],
                     et_canvas_glyph_text(c, ET_G_DEGREE));
            x = pair(c, x, *y, right, "temp", a, ET_ROLE_VALUE);
        } else {
            x = pair(c, x, *y, right, "temp", "n/a", ET_ROLE_DIM);
        }
        if (t->cpu_mhz_end > 0) {
            if (t->cpu_mhz_max > 0 && !t->throttled) /* throttled: the room goes to the reason */
                snprintf(b, sizeof b, "%.0f MHz (max %.0f)", t->cpu_mhz_end, t->cpu_mhz_max);
            else
                snprintf(b, sizeof b, "%.0f MHz", t->cpu_mhz_end);
            x = pair(c, x, *y, right, "clock", b, ET_ROLE_VALUE);
        }
        if (t->throttled) {
            snprintf(d, sizeof d, "THROTTLED%s%s", t->throttle_why[0] ? ": " : "", t->throttle_why);
            et_canvas_text_fit(c, x, *y, right - x, ET_ROLE_BAD, d);
        } else {
            et_canvas_text_fit(c, x, *y, right - x, ET_ROLE_DIM, "not throttled");
        }
    } else {
        na_line(c, in.x, *y, in.w, "thermal", t->why);
    }
    (*y)++;
}

static void draw_live(const et_ui *ui, et_canvas *c, et_rect r) {
    const et_worker_snapshot *s = &ui->snap;
    char title[256], k[160];
    et_knobs_describe(&s->knobs, k, sizeof k);
    if (s->state == ET_WORKER_BASELINE || s->measuring_baseline)
        snprintf(title, sizeof title, "Live: fp32 baseline first, then %s", k);
    else
        snprintf(title, sizeof title, "Live: %s", k);
    et_canvas_box(c, r, ET_ROLE_BORDER, title, ET_ROLE_PANEL);
    et_rect in = inside(r);
    in.x += 1, in.w -= 2;
    int y = in.y;
    if (s->state == ET_WORKER_FAILED) {
        char line[ET_ERR_MSG_MAX + 8];
        snprintf(line, sizeof line, "n/a: %s", s->error);
        y += wrap(c, in.x, y, in.w, in.h - 2, ET_ROLE_ERROR, line);
        wrap(c, in.x, y + 1, in.w, 2, ET_ROLE_DIM,
             "these knobs cannot be measured here: change a knob, or press 0 for fp32");
        return;
    }
    if (!s->have_current || s->current.iters <= 0) {
        char rec[160];
        const char *what = s->state == ET_WORKER_PREPARING  ? "preparing: deriving the model and its plan"
                           : s->state == ET_WORKER_STARTING ? "starting the measurement"
                           : s->state == ET_WORKER_FIDELITY ? "checking fidelity against fp32 first; latency next"
                                                            : "warming up";
        if (s->state == ET_WORKER_PREPARING && s->prep_total > 0) { /* recovery: layer by layer */
            char left[48] = "";
            if (s->prep_left_ms >= 0 && s->prep_done > 0 && s->prep_done < s->prep_total)
                snprintf(left, sizeof left, ", about %.0f s left", s->prep_left_ms / 1000.0 + 0.5);
            snprintf(rec, sizeof rec, "preparing: recovering layer %d of %d, %.1f s%s (a knob change cancels it)",
                     s->prep_done, s->prep_total, s->prep_elapsed_ms / 1000.0, left);
            what = rec;
        }
        et_canvas_text_fit(c, in.x, y, in.w, ET_ROLE_DIM, what);
        return;
    }
    const et_result *cur = &s->current;
    int hist_h = 1 + (in.h - 9 > 0 ? in.h - 9 : 0);
    draw_latency(cur, c, in, &y, hist_h);
    draw_resources(cur, c, c, in, &y);
    /* the bottom line: engine, preparation, where the run went */
    char line[512], prep[32];
    snprintf(prep, sizeof prep, "%.1f ms", cur->prepare_ms);
    if (s->state == ET_WORKER_SETTLED)
        snprintf(line, sizeof line, "exec %s, %s; prepared in %s; %s", cur->engine.exec, cur->engine.isa, prep,
                 s->current_run_id > 0 ? "stored" : "not stored");
    else
        snprintf(line, sizeof line, "exec %s, %s; prepared in %s; %s %.1f s", cur->engine.exec, cur->engine.isa, prep,
                 et_worker_state_name(s->state), s->current_seconds);
    if (y < in.y + in.h)
        et_canvas_text_fit(c, in.x, in.y + in.h - 1, in.w, ET_ROLE_DIM, line);
}

/* ---- fidelity -------------------------------------------------------------------------------------------- */

static void fid_row(et_canvas *c, et_rect in, int *y, const char *label, const char *value, et_role role) {
    if (*y >= in.y + in.h)
        return;
    et_canvas_text(c, in.x, *y, 10, ET_ROLE_LABEL, label);
    et_canvas_text_fit(c, in.x + 10, *y, in.w - 10, role, value);
    (*y)++;
}

static void draw_fidelity(const et_ui *ui, et_canvas *c, et_rect r) {
    et_canvas_box(c, r, ET_ROLE_BORDER, "Fidelity vs fp32", ET_ROLE_PANEL);
    et_rect in = inside(r);
    in.x += 1, in.w -= 2;
    const et_worker_snapshot *s = &ui->snap;
    const et_fidelity_info *f = &s->current.fidelity;
    int y = in.y;
    if (s->state == ET_WORKER_FAILED) {
        wrap(c, in.x, y, in.w, in.h, ET_ROLE_DIM, "n/a: these knobs did not run");
        return;
    }
    if (!s->have_current || f->status != ET_AVAIL_OK) {
        const char *why = !s->have_current || f->status == ET_AVAIL_NOT_RUN
                              ? (s->state == ET_WORKER_SETTLED    ? "n/a: not measured"
                                 : s->state == ET_WORKER_FIDELITY ? "checking against fp32 on the evaluation set"
                                                                  : "checked when the run settles")
                              : f->why;
        wrap(c, in.x, y, in.w, in.h, ET_ROLE_DIM, why);
        return;
    }
    if (f->n_outputs < 1) {
        wrap(c, in.x, y, in.w, in.h, ET_ROLE_DIM, "n/a: the model has no outputs to compare");
        return;
    }
    const et_output_fidelity *o = &f->outputs[0];
    char v[64];
    fid_row(c, in, &y, "top-1", et_ui_fmt_pct(v, sizeof v, o->top1_agreement), ET_ROLE_VALUE);
    if (o->top5_agreement >= 0)
        fid_row(c, in, &y, "top-5", et_ui_fmt_pct(v, sizeof v, o->top5_agreement), ET_ROLE_VALUE);
    else
        fid_row(c, in, &y, "top-5", "n/a: < 5 classes", ET_ROLE_DIM);
    snprintf(v, sizeof v, "%.6f", o->cosine);
    fid_row(c, in, &y, "cosine", v, ET_ROLE_VALUE);
    if (isinf(o->sqnr_db))
        snprintf(v, sizeof v, "inf dB");
    else
        snprintf(v, sizeof v, "%.1f dB", o->sqnr_db);
    fid_row(c, in, &y, "SQNR", v, ET_ROLE_VALUE);
    snprintf(v, sizeof v, "%.4g", o->max_abs_err);
    fid_row(c, in, &y, "max |err|", v, ET_ROLE_VALUE);
    if (f->accuracy >= 0) {
        snprintf(v, sizeof v, "%.1f %%", f->accuracy * 100.0);
        fid_row(c, in, &y, "accuracy", v, ET_ROLE_VALUE);
        if (f->baseline_accuracy >= 0) {
            double pp = (f->accuracy - f->baseline_accuracy) * 100.0;
            if (in.w >= 32)
                snprintf(v, sizeof v, "%+.1f pp (fp32 %.1f %%)", pp, f->baseline_accuracy * 100.0);
            else
                snprintf(v, sizeof v, "%+.1f pp", pp);
            fid_row(c, in, &y, " vs fp32", v, pp < -0.05 ? ET_ROLE_BAD : pp > 0.05 ? ET_ROLE_GOOD : ET_ROLE_VALUE);
        }
    } else {
        fid_row(c, in, &y, "accuracy", "n/a: no labels", ET_ROLE_DIM);
    }
    const char *src = strrchr(f->eval_source, '/');
    snprintf(v, sizeof v, "%d inputs: %s", f->n_inputs, src ? src + 1 : f->eval_source);
    if (y < in.y + in.h)
        et_canvas_text_fit(c, in.x, y++, in.w, ET_ROLE_DIM, v);
    if (f->n_outputs > 1 && y < in.y + in.h)
        et_canvas_printf(c, in.x, y, in.w, ET_ROLE_DIM, "(first of %d outputs)", f->n_outputs);
}

/* ---- comparison with the baseline ------------------------------------------------------------------------ */

static void draw_compare(const et_ui *ui, et_canvas *c, et_rect r) {
    const et_worker_snapshot *s = &ui->snap;
    char title[320];
    if (s->have_baseline)
        snprintf(title, sizeof title, "vs baseline: %s", s->baseline_why);
    else if (s->measuring_baseline || s->state == ET_WORKER_BASELINE)
        snprintf(title, sizeof title, "vs baseline: measuring fp32 with %d thread%s first", s->knobs.threads,
                 s->knobs.threads == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "vs baseline: none yet (fp32 is measured first)");
    et_canvas_box(c, r, ET_ROLE_BORDER, title, ET_ROLE_PANEL);
    et_rect in = inside(r);
    et_delta_row rows[ET_DELTA_MAX_ROWS];
    bool full = in.h - 1 >= 14;
    /* the current run shows once it has latency samples, or fidelity (checked first when it is quick, worker.h):
     * the cells that need samples read "..." until the first ones arrive */
    bool show_cur = s->have_current && (s->current.iters > 0 || s->current.fidelity.status == ET_AVAIL_OK) &&
                    s->state != ET_WORKER_FAILED && !(s->measuring_baseline || s->state == ET_WORKER_BASELINE);
    bool pending = show_cur && s->current.iters == 0;
    int n = et_delta_rows(show_cur ? &s->current : NULL, s->have_baseline ? &s->baseline : NULL, full, rows,
                          ET_DELTA_MAX_ROWS);
    /* columns: metric, baseline, current, delta, then marker and change */
    int extra = in.w - 53 > 0 ? (in.w - 53) / 4 : 0;
    if (extra > 4)
        extra = 4;
    int mw = 10 + extra, vw = 8 + extra, dw = 8 + extra;
    int xb = in.x + mw + 1, xc = xb + vw + 1, xd = xc + vw + 1, xm = xd + dw + 1, cw = in.x + in.w - xm - 2;
    et_canvas_text(c, in.x, in.y, mw, ET_ROLE_HEADER, "metric");
    et_canvas_text_right(c, xb, in.y, vw, ET_ROLE_HEADER, "baseline");
    et_canvas_text_right(c, xc, in.y, vw, ET_ROLE_HEADER, "current");
    et_canvas_text_right(c, xd, in.y, dw, ET_ROLE_HEADER, "delta");
    char legend[64];
    bool roomy = in.x + in.w - xm >= 16;
    snprintf(legend, sizeof legend, roomy ? "%s better %s worse" : "%sbetter %sworse",
             et_canvas_glyph_text(c, ET_G_BETTER), et_canvas_glyph_text(c, ET_G_WORSE));
    et_canvas_text_fit(c, xm, in.y, in.x + in.w - xm, ET_ROLE_HEADER, legend);
    et_canvas_set_role(c, in.x, in.y, in.w, ET_ROLE_HEADER);
    const char *cur_na = s->state == ET_WORKER_FAILED ? "n/a" : "...";
    for (int i = 0; i < n && i + 1 < in.h; i++) {
        int y = in.y + 1 + i;
        const et_delta_row *row = &rows[i];
        et_canvas_text(c, in.x, y, mw, ET_ROLE_LABEL, row->metric);
        et_canvas_text_right(c, xb, y, vw, s->have_baseline ? ET_ROLE_BASELINE : ET_ROLE_DIM,
                             s->have_baseline ? row->base : "...");
        bool not_yet = pending && strcmp(row->cur, "n/a") == 0;
        et_canvas_text_right(c, xc, y, vw, not_yet ? ET_ROLE_DIM : ET_ROLE_VALUE,
                             not_yet    ? "..."
                             : show_cur ? row->cur
                                        : cur_na);
        if (!show_cur || !s->have_baseline || not_yet)
            continue;
        et_role role = row->verdict > 0 ? ET_ROLE_GOOD : row->verdict < 0 ? ET_ROLE_BAD : ET_ROLE_NORMAL;
        et_canvas_text_right(c, xd, y, dw, role, row->delta);
        if (strcmp(row->change, "n/a") == 0) {
            et_canvas_text(c, xm + 2, y, cw, ET_ROLE_DIM, "n/a");
            continue;
        }
        et_canvas_glyph(c, xm, y, row->verdict > 0 ? ET_G_BETTER : row->verdict < 0 ? ET_G_WORSE : ET_G_SAME, role);
        /* a tested change in compare's words where they fit ("= same, p 0.41"), else the short form */
        bool said_fits = row->said[0] && (int)strlen(row->said) <= cw;
        const char *said = said_fits ? row->said : row->change;
        if (strncmp(said, "= ", 2) == 0)
            said += 2; /* the glyph before it is already the "=" */
        et_canvas_text_fit(c, xm + 2, y, cw, role, said);
    }
}

/* ---- the view -------------------------------------------------------------------------------------------- */

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    layout l = layout_for(area);
    draw_knobs(ui, c, l.knobs);
    draw_live(ui, c, l.live);
    draw_fidelity(ui, c, l.fid);
    draw_compare(ui, c, l.cmp);
}

static void post_knobs(et_ui *ui) {
    if (ui->be && ui->be->set_knobs)
        ui->be->set_knobs(ui->be->ctx, &ui->knobs);
}

static unsigned key(et_ui *ui, et_action a, int k) {
    (void)k;
    switch (a) {
    case ET_DO_UP: ui->knob = (ui->knob + ET_KNOB_COUNT - 1) % ET_KNOB_COUNT; return ET_UI_REDRAW;
    case ET_DO_DOWN: ui->knob = (ui->knob + 1) % ET_KNOB_COUNT; return ET_UI_REDRAW;
    case ET_DO_HOME: ui->knob = 0; return ET_UI_REDRAW;
    case ET_DO_END: ui->knob = ET_KNOB_COUNT - 1; return ET_UI_REDRAW;
    case ET_DO_LEFT:
    case ET_DO_RIGHT:
        if (!et_knob_step(&ui->knobs, (et_knob_id)ui->knob, a == ET_DO_RIGHT ? 1 : -1, ui->max_threads))
            return ET_UI_REDRAW; /* at the end of the list: nothing changes */
        post_knobs(ui);
        return ET_UI_REDRAW;
    case ET_DO_RESET: {
        int threads = ui->knobs.threads;
        ui->knobs = et_knobs_default();
        ui->knobs.threads = threads;
        post_knobs(ui);
        return ET_UI_REDRAW;
    }
    case ET_DO_REMEASURE:
        if (ui->be && ui->be->remeasure)
            ui->be->remeasure(ui->be->ctx);
        et_ui_message(ui, false, "measuring the current knobs again");
        return ET_UI_REDRAW;
    case ET_DO_BASELINE:
        if (ui->snap.state == ET_WORKER_FAILED) {
            et_ui_message(ui, true, "nothing to mark: these knobs did not run");
            return ET_UI_REDRAW;
        }
        if (ui->be && ui->be->mark_baseline)
            ui->be->mark_baseline(ui->be->ctx);
        if (ui->snap.state != ET_WORKER_SETTLED)
            et_ui_message(ui, false, "this run becomes the baseline when it settles");
        return ET_UI_REDRAW;
    case ET_DO_TRAIN: et_ui_train_begin(ui); return ET_UI_REDRAW;
    case ET_DO_SEARCH: et_ui_search_begin(ui); return ET_UI_REDRAW;
    default: return 0;
    }
}

static const et_footer_item footer[] = {{ET_DO_HELP, NULL},     {ET_DO_NEXT_VIEW, NULL}, {ET_DO_UP, "Knob"},
                                        {ET_DO_LEFT, "Change"}, {ET_DO_BASELINE, NULL},  {ET_DO_REMEASURE, NULL},
                                        {ET_DO_RESET, NULL},    {ET_DO_OPEN, NULL},      {ET_DO_TRAIN, NULL},
                                        {ET_DO_QUIT, NULL}};

const et_view et_view_workbench = {.name = "workbench",
                                   .draw = draw,
                                   .key = key,
                                   .footer = footer,
                                   .n_footer = sizeof footer / sizeof footer[0]};
