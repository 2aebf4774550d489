/* view_layers.c: where the time of the current run goes, layer by layer: time per inference, share of the
 * total, MACs, and the kernel and precision that ran (the same data `edgetune bench --layers` prints, from
 * et_result.layers); with recovery, each compensated layer's reconstruction error on the calibration set
 * without and with it. Sorted by time (s switches to plan order). Enter on a weight layer opens its knobs
 * (dialog_layer.c): a per-layer override, measured at once like a workbench knob. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/layer_knobs.h"
#include "ui/ui.h"
#include "ui/widgets.h"

enum {
    L_INDEX,
    L_NAME,
    L_OP,
    L_KERNEL,
    L_PRECISION,
    L_TIME,
    L_SHARE,
    L_MACS,
    L_RATE,
    L_ERR_NONE,
    L_ERR_REC,
    L_SENS,
    L_COUNT
};
// clang-format off
static const et_table_col layer_cols[L_COUNT] = {
    [L_INDEX] = {.key = "step", .header = "#", .kind = ET_COL_INT},
    [L_NAME] = {.key = "layer", .header = "layer", .kind = ET_COL_TEXT},
    [L_OP] = {.key = "op", .header = "op", .kind = ET_COL_TEXT},
    [L_KERNEL] = {.key = "kernel", .header = "kernel", .kind = ET_COL_TEXT},
    [L_PRECISION] = {.key = "precision", .header = "precision", .kind = ET_COL_TEXT},
    [L_TIME] = {.key = "time_ms", .header = "time", .unit = "ms", .kind = ET_COL_REAL, .decimals = 4},
    [L_SHARE] = {.key = "share_pct", .header = "share", .unit = "%", .kind = ET_COL_REAL, .decimals = 1},
    [L_MACS] = {.key = "macs_m", .header = "MACs", .unit = "M", .kind = ET_COL_REAL, .decimals = 2},
    [L_RATE] = {.key = "gmacs_per_s", .header = "rate", .unit = "GMAC/s", .kind = ET_COL_REAL, .decimals = 2},
    /* output error on the calibration set, % of the output's energy: round to nearest / magnitude, recovered */
    [L_ERR_NONE] = {.key = "err_none_pct", .header = "err none", .unit = "%", .kind = ET_COL_REAL, .decimals = 3},
    [L_ERR_REC] = {.key = "err_recovered_pct", .header = "err rec", .unit = "%", .kind = ET_COL_REAL, .decimals = 3},
    /* the stored sensitivity of this setting (edgetune sensitivity): each candidate's accuracy change, in pp */
    [L_SENS] = {.key = "sensitivity_pp", .header = "sensitivity", .unit = "pp", .kind = ET_COL_TEXT},
};
// clang-format on

static int by_time(const void *a, const void *b, void *ctx) {
    const et_layer_profile *l = ctx;
    double x = l[*(const int *)a].time_ms, y = l[*(const int *)b].time_ms;
    return (x < y) - (x > y);
}

/* "bits=4 -0.25, prune=0.5 -3.50": the stored points of layer `name` (candidate and accuracy change in pp), or ""
 * when none. Returns buf. */
static const char *sensitivity_text(const et_ui *ui, const char *name, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < ui->n_sens && used < len; i++) {
        const et_sens_point *p = &ui->sens[i];
        if (strcmp(p->layer, name) != 0)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s %+.2f", used ? ", " : "", p->candidate, p->quality_delta_pp);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

void et_ui_layers_refresh(et_ui *ui) {
    const et_worker_snapshot *s = &ui->snap;
    /* a settled, stored run: its setting's analysis (looked up once per run) */
    if (s->state != ET_WORKER_SETTLED || s->current_run_id <= 0 || s->current_run_id == ui->sens_run)
        return;
    ui->sens_run = s->current_run_id;
    free(ui->sens);
    ui->sens = NULL;
    ui->n_sens = 0;
    et_err e = {0};
    if (ui->be && ui->be->sensitivity &&
        ui->be->sensitivity(ui->be->ctx, s->current_run_id, s->current.fidelity.eval_hash, &ui->sens, &ui->n_sens,
                            &e) != ET_OK)
        et_ui_message(ui, true, "stored sensitivity: %s", e.msg);
}

/* The layers of the current run in order (sorted by time when by_time_order). */
static et_table *layers_table(const et_ui *ui, bool sort_by_time) {
    const et_result *r = &ui->snap.current;
    et_table *t = et_table_new("edgetune layers");
    if (!t)
        return NULL;
    for (int c = 0; c < L_COUNT; c++)
        et_table_add_col(t, &layer_cols[c]);
    int *order = malloc((size_t)(r->n_layers ? r->n_layers : 1) * sizeof *order);
    if (!order)
        return t;
    double total = 0;
    for (int i = 0; i < r->n_layers; i++) {
        order[i] = i;
        total += r->layers[i].time_ms;
    }
    if (sort_by_time)
        qsort_r(order, (size_t)r->n_layers, sizeof *order, by_time, r->layers);
    for (int k = 0; k < r->n_layers; k++) {
        const et_layer_profile *l = &r->layers[order[k]];
        int row = et_table_add_row(t);
        et_table_set_num(t, row, L_INDEX, order[k] + 1);
        et_table_set_text(t, row, L_NAME, l->name);
        et_table_set_text(t, row, L_OP, l->op);
        et_table_set_text(t, row, L_KERNEL, l->kernel);
        et_table_set_text(t, row, L_PRECISION, l->precision);
        et_table_set_num(t, row, L_TIME, l->time_ms);
        et_table_set_num(t, row, L_SHARE, total > 0 ? l->time_ms / total * 100.0 : NAN);
        et_table_set_num(t, row, L_MACS, (double)l->macs / 1e6);
        et_table_set_num(t, row, L_RATE, l->time_ms > 0 && l->macs > 0 ? (double)l->macs / (l->time_ms * 1e6) : NAN);
        et_table_set_num(t, row, L_ERR_NONE, l->recon_err_before * 100.0);
        et_table_set_num(t, row, L_ERR_REC, l->recon_err_after * 100.0);
        char sens[256];
        et_table_set_text(t, row, L_SENS, sensitivity_text(ui, l->name, sens, sizeof sens));
    }
    et_table_add_note(t,
                      "time: mean per inference over %d timed iterations; share: of the sum of layer times (%.3f ms)",
                      r->iters, total);
    bool recon = false;
    for (int i = 0; i < r->n_layers; i++)
        recon |= !isnan(r->layers[i].recon_err_before);
    if (recon)
        et_table_add_note(t,
                          "err none / err rec: the layer's output error on the calibration set, %% of its energy, "
                          "with rounding and magnitude pruning / with recovery (%s)",
                          et_recover_name(r->knobs.recover));
    if (ui->n_sens > 0)
        et_table_add_note(t,
                          "sensitivity: each candidate's accuracy (or top-1 agreement) change in pp with only that "
                          "layer changed, stored by `edgetune sensitivity` with these knobs (base run %lld)",
                          (long long)ui->sens[0].from_run);
    free(order);
    return t;
}

et_table *et_ui_layers_table(const et_ui *ui) { return layers_table(ui, false); }

static const char *const cols[] = {"step",   "time_ms", "share_pct", "op",         "precision",
                                   "kernel", "layer",   "macs_m",    "gmacs_per_s"};
/* with recovery: its errors right after the share */
static const char *const cols_recon[] = {"step",      "time_ms", "share_pct", "err_none_pct", "err_recovered_pct", "op",
                                         "precision", "kernel",  "layer",     "macs_m",       "gmacs_per_s"};
/* with a stored sensitivity: it right after the share */
static const char *const cols_sens[] = {"step",      "time_ms", "share_pct", "sensitivity_pp", "op",
                                        "precision", "kernel",  "layer",     "macs_m",         "gmacs_per_s"};

/* " [per-layer: bits 4, prune 0.5]" when overrides (from --layer / --layers-config or the layer dialog) set knobs
 * of the layer `name`, else "". Returns buf. */
static const char *layer_overrides(const et_knobs *k, const char *name, char *buf, size_t len) {
    buf[0] = '\0';
    et_layer_override ov[ET_MAX_LAYER_OVERRIDES];
    int n = et_knobs_has_layers(k) ? et_knobs_layer_overrides(k, ov, ET_MAX_LAYER_OVERRIDES, NULL) : 0;
    unsigned set = 0;
    et_knobs lk = et_knobs_for_layer(k, ov, n > 0 ? n : 0, name, &set, NULL);
    if (!set)
        return buf;
    char prune[48] = "";
    if (set & (ET_LK_PRUNE | ET_LK_METHOD))
        snprintf(prune, sizeof prune, ", prune %g %s", (double)lk.prune_ratio, et_prune_method_name(lk.prune_method));
    snprintf(buf, len, "  [per-layer: bits %d, act-bits %d%s%s%s]", lk.weight_bits, lk.act_bits, prune,
             set & ET_LK_RECOVER ? ", recover " : "", set & ET_LK_RECOVER ? et_recover_name(lk.recover) : "");
    return buf;
}

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    const et_worker_snapshot *s = &ui->snap;
    const et_result *r = &s->current;
    char title[256], k[160];
    et_knobs_describe(&s->knobs, k, sizeof k);
    snprintf(title, sizeof title, "Layers: %s, %d steps, sorted by %s", k, s->have_current ? r->n_layers : 0,
             ui->layers_sort ? "time" : "plan order");
    et_canvas_box(c, area, ET_ROLE_BORDER, title, ET_ROLE_PANEL);
    et_rect in = {area.x + 2, area.y + 1, area.w - 4, area.h - 2};
    if (s->state == ET_WORKER_FAILED) {
        char line[ET_ERR_MSG_MAX + 8];
        snprintf(line, sizeof line, "n/a: %s", s->error);
        et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_ERROR, line);
        return;
    }
    if (!s->have_current || r->n_layers == 0 || r->iters == 0) {
        et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_DIM, "n/a: no layer profile yet (the run is starting)");
        return;
    }
    et_table *t = layers_table(ui, ui->layers_sort != 0);
    if (!t)
        return;
    int table_h = in.h - 2;
    int sel = ui->layers_sel;
    bool recon = false;
    for (int i = 0; i < r->n_layers; i++)
        recon |= !isnan(r->layers[i].recon_err_before);
    et_w_table_opts o = {.top = ui->layers_top,
                         .sel = sel,
                         .left = ui->layers_left,
                         .frozen = 1,
                         .cols = recon            ? cols_recon
                                 : ui->n_sens > 0 ? cols_sens
                                                  : cols,
                         .n_cols = recon            ? sizeof cols_recon / sizeof cols_recon[0]
                                   : ui->n_sens > 0 ? sizeof cols_sens / sizeof cols_sens[0]
                                                    : sizeof cols / sizeof cols[0],
                         .max_text_w = in.w > 120 ? 48 : 26};
    et_w_table(c, (et_rect){in.x, in.y, in.w, table_h}, t, &o);
    /* the share as a bar under the table for the selected layer */
    if (sel >= 0 && sel < et_table_n_rows(t)) {
        double share = et_table_num_at(t, sel, L_SHARE);
        char line[256];
        snprintf(line, sizeof line, "%5.1f %% ", share);
        int n = et_canvas_text(c, in.x, in.y + in.h - 1, in.w, ET_ROLE_LABEL, line);
        et_w_bar(c, in.x + n, in.y + in.h - 1, 30, share / 100.0, ET_ROLE_GRAPH);
        char ovt[160];
        const char *name = et_table_text_at(t, sel, L_NAME);
        snprintf(line, sizeof line, " %s%s", name, layer_overrides(&s->knobs, name, ovt, sizeof ovt));
        et_canvas_text_fit(c, in.x + n + 31, in.y + in.h - 1, in.w - n - 31, ET_ROLE_DIM, line);
    }
    et_table_free(t);
}

/* Opens the layer dialog on the selected row when it is a weight layer, else says why not. */
static void edit_selected(et_ui *ui) {
    const et_result *r = &ui->snap.current;
    if (!ui->snap.have_current || r->n_layers == 0) {
        et_ui_message(ui, true, "no layers yet: the run is starting");
        return;
    }
    et_table *t = layers_table(ui, ui->layers_sort != 0);
    if (!t || ui->layers_sel < 0 || ui->layers_sel >= et_table_n_rows(t)) {
        et_table_free(t);
        return;
    }
    const char *name = et_table_text_at(t, ui->layers_sel, L_NAME), *op = et_table_text_at(t, ui->layers_sel, L_OP);
    if (et_ui_layer_is_editable(op))
        et_ui_layer_edit_open(ui, name);
    else
        et_ui_message(ui, true, "%s is a %s step: per-layer knobs apply to weight layers (Conv, Gemm, MatMul)", name,
                      op);
    et_table_free(t);
}

static unsigned key(et_ui *ui, et_action a, int k) {
    (void)k;
    int n = ui->snap.have_current ? ui->snap.current.n_layers : 0;
    int page = ui->h - 8 > 1 ? ui->h - 8 : 1; /* rows of layers on screen */
    switch (a) {
    case ET_DO_UP: ui->layers_sel--; break;
    case ET_DO_DOWN: ui->layers_sel++; break;
    case ET_DO_PAGE_UP: ui->layers_sel -= page; break;
    case ET_DO_PAGE_DOWN: ui->layers_sel += page; break;
    case ET_DO_HOME: ui->layers_sel = 0; break;
    case ET_DO_END: ui->layers_sel = n - 1; break;
    case ET_DO_SORT:
    case ET_DO_REVERSE: ui->layers_sort = !ui->layers_sort; break;
    case ET_DO_ENTER: edit_selected(ui); return ET_UI_REDRAW;
    case ET_DO_SEARCH: et_ui_search_begin(ui); return ET_UI_REDRAW;
    case ET_DO_LEFT:
        if (ui->layers_left > 0)
            ui->layers_left--;
        break;
    case ET_DO_RIGHT:
        if (ui->layers_left < 6)
            ui->layers_left++;
        break;
    default: return 0;
    }
    if (ui->layers_sel >= n)
        ui->layers_sel = n - 1;
    if (ui->layers_sel < 0)
        ui->layers_sel = 0;
    if (ui->layers_top > ui->layers_sel)
        ui->layers_top = ui->layers_sel;
    if (ui->layers_sel >= ui->layers_top + page)
        ui->layers_top = ui->layers_sel - page + 1;
    return ET_UI_REDRAW;
}

static void resize(et_ui *ui, et_rect area) {
    int page = area.h - 5 > 1 ? area.h - 5 : 1;
    if (ui->layers_sel >= ui->layers_top + page)
        ui->layers_top = ui->layers_sel - page + 1;
}

static const et_footer_item footer[] = {{ET_DO_HELP, NULL},     {ET_DO_NEXT_VIEW, NULL}, {ET_DO_UP, "Layer"},
                                        {ET_DO_ENTER, "Knobs"}, {ET_DO_SORT, NULL},      {ET_DO_EXPORT, NULL},
                                        {ET_DO_QUIT, NULL}};

const et_view et_view_layers = {.name = "layers",
                                .draw = draw,
                                .key = key,
                                .resize = resize,
                                .footer = footer,
                                .n_footer = sizeof footer / sizeof footer[0]};
