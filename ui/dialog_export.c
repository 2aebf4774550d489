/* dialog_export.c: writes the table of the view the dialog was opened from to a file, in any et_table format
 * (db/table.h: table, md, csv, json, latex, html), atomically. Up/Down pick the format (the file name's
 * extension follows), the field takes the path (Tab completes), Enter writes, Esc cancels.
 *
 * What each view exports: the workbench its comparison with the baseline; the history its rows (the marked ones
 * when any are marked); the layers view the per-layer profile; the compare view the comparison table. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/delta.h"
#include "ui/ui.h"

static const char *const extensions[] = {"txt", "md", "csv", "json", "tex", "html"};
_Static_assert(sizeof extensions / sizeof extensions[0] == ET_TABLE_FORMAT_COUNT, "one extension per format");

/* The workbench's comparison as a table. */
static et_table *workbench_table(const et_ui *ui, char *why, size_t why_len) {
    const et_worker_snapshot *s = &ui->snap;
    if (!s->have_current || s->current.iters <= 0) {
        snprintf(why, why_len, "no measurement yet");
        return NULL;
    }
    et_table *t = et_table_new("edgetune: current run against the baseline");
    if (!t) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    static const et_table_col cols[] = {
        {.key = "metric", .header = "metric", .kind = ET_COL_TEXT},
        {.key = "baseline", .header = "baseline", .kind = ET_COL_TEXT},
        {.key = "current", .header = "current", .kind = ET_COL_TEXT},
        {.key = "delta", .header = "delta", .kind = ET_COL_TEXT},
        {.key = "change", .header = "change vs baseline", .kind = ET_COL_TEXT},
        {.key = "better", .header = "better", .kind = ET_COL_INT},
    };
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        et_table_add_col(t, &cols[c]);
    et_delta_row rows[ET_DELTA_MAX_ROWS];
    int n = et_delta_rows(&s->current, s->have_baseline ? &s->baseline : NULL, true, rows, ET_DELTA_MAX_ROWS);
    for (int i = 0; i < n; i++) {
        int r = et_table_add_row(t);
        et_table_set_text(t, r, 0, rows[i].metric);
        et_table_set_text(t, r, 1, rows[i].base);
        et_table_set_text(t, r, 2, rows[i].cur);
        et_table_set_text(t, r, 3, rows[i].delta);
        et_table_set_text(t, r, 4, rows[i].change);
        et_table_set_num(t, r, 5, rows[i].verdict);
    }
    char k[160];
    et_table_add_note(t, "current: %s, %s%s", s->current.model.name, et_knobs_describe(&s->knobs, k, sizeof k),
                      s->current_run_id > 0 ? "" : " (not stored)");
    if (s->current_run_id > 0)
        et_table_add_note(t, "current run: %lld (%s)", (long long)s->current_run_id, s->current.uuid);
    et_table_add_note(t, "baseline: %s", s->have_baseline ? s->baseline_why : "none");
    et_table_add_note(t, "better: 1 better than the baseline, -1 worse, 0 the same (within 0.5 %%) or not comparable");
    return t;
}

et_table *et_ui_export_table(et_ui *ui, et_view_id from, char *why, size_t why_len) {
    switch (from) {
    case ET_VIEW_WORKBENCH: return workbench_table(ui, why, why_len);
    case ET_VIEW_HISTORY: return et_ui_history_table(ui, why, why_len);
    case ET_VIEW_LAYERS:
        if (!ui->snap.have_current || ui->snap.current.n_layers == 0) {
            snprintf(why, why_len, "no layer profile yet");
            return NULL;
        }
        return et_ui_layers_table(ui);
    case ET_VIEW_COMPARE: {
        et_table *t = NULL;
        et_err err = {0};
        if (!ui->cmp || !ui->be || !ui->be->compare) {
            snprintf(why, why_len, "no comparison: mark runs in the history and press c");
            return NULL;
        }
        if (ui->be->compare(ui->be->ctx, ui->cmp_ids, ui->n_cmp_ids, &t, &err) != ET_OK) {
            snprintf(why, why_len, "%s", err.msg);
            return NULL;
        }
        return t;
    }
    default: snprintf(why, why_len, "this view has no table"); return NULL;
    }
}

/* When the path ends in one of our extensions, switch it to the format's. */
static void follow_extension(et_ui *ui) {
    char *dot = strrchr(ui->export_path.text, '.');
    char *slash = strrchr(ui->export_path.text, '/');
    if (!dot || (slash && dot < slash))
        return;
    for (int i = 0; i < ET_TABLE_FORMAT_COUNT; i++)
        if (strcmp(dot + 1, extensions[i]) == 0) {
            char path[ET_FIELD_MAX];
            snprintf(path, sizeof path, "%.*s.%s", (int)(dot - ui->export_path.text), ui->export_path.text,
                     extensions[ui->export_format]);
            et_field_set(&ui->export_path, path);
            return;
        }
}

static const char *const from_names[] = {"the comparison with the baseline", "the history rows", "the layer profile",
                                         "the comparison"};

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    et_rect in = et_ui_dialog_frame(c, area.w - 8 < 80 ? area.w - 8 : 80, 12, "Export");
    et_canvas_printf(c, in.x, in.y, in.w, ET_ROLE_DIALOG, "Export %s as:", from_names[ui->export_from]);
    int x = in.x;
    for (int f = 0; f < ET_TABLE_FORMAT_COUNT; f++) {
        const char *name = et_table_format_name((et_table_format)f);
        bool sel = f == ui->export_format;
        if (sel)
            et_canvas_glyph(c, x, in.y + 2, ET_G_POINTER, ET_ROLE_SELECTED);
        x += 1;
        x += et_canvas_text(c, x, in.y + 2, in.w - (x - in.x), sel ? ET_ROLE_SELECTED : ET_ROLE_DIALOG, name);
        x += 2;
    }
    et_canvas_text(c, in.x, in.y + 4, in.w, ET_ROLE_DIALOG, "to the file (Enter writes it, Esc cancels):");
    et_field_draw(&ui->export_path, c, in.x, in.y + 5, in.w, true);
    if (ui->dialog_error[0])
        et_canvas_text_fit(c, in.x, in.y + 7, in.w, ET_ROLE_ERROR, ui->dialog_error);
    else
        et_canvas_text_fit(c, in.x, in.y + 7, in.w, ET_ROLE_DIM,
                           "Up/Down: format (the extension follows); an existing file is replaced");
}

static unsigned key(et_ui *ui, et_action a, int k) {
    if (a == ET_DO_CANCEL) {
        ui->dialog = ET_DIALOG_NONE;
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_UP || k == ET_KEY_DOWN) {
        int n = ET_TABLE_FORMAT_COUNT;
        ui->export_format = (ui->export_format + (k == ET_KEY_DOWN ? 1 : n - 1)) % n;
        follow_extension(ui);
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_TAB) {
        et_completion m;
        et_field_complete_path(&ui->export_path, &m);
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_ENTER) {
        char why[ET_ERR_MSG_MAX];
        et_table *t = et_ui_export_table(ui, ui->export_from, why, sizeof why);
        if (!t) {
            snprintf(ui->dialog_error, sizeof ui->dialog_error, "nothing to export: %s", why);
            return ET_UI_REDRAW;
        }
        et_err err = {0};
        et_status st = ui->export_path.len
                           ? et_table_write_path(t, (et_table_format)ui->export_format, ui->export_path.text, &err)
                           : et_fail(&err, ET_E_USAGE, "type a file name");
        int rows = et_table_n_rows(t);
        et_table_free(t);
        if (st != ET_OK) {
            snprintf(ui->dialog_error, sizeof ui->dialog_error, "%s", err.msg);
            return ET_UI_REDRAW;
        }
        ui->dialog = ET_DIALOG_NONE;
        et_ui_message(ui, false, "exported %d row%s as %s to %s", rows, rows == 1 ? "" : "s",
                      et_table_format_name((et_table_format)ui->export_format), ui->export_path.text);
        return ET_UI_REDRAW;
    }
    if (et_field_key(&ui->export_path, k)) {
        ui->dialog_error[0] = '\0';
        return ET_UI_REDRAW;
    }
    return 0;
}

static const et_footer_item footer[] = {{ET_DO_UP, "Format"}, {ET_DO_ENTER, "Write"}, {ET_DO_CANCEL, "Cancel"}};

const et_view et_dialog_export = {.name = "export",
                                  .draw = draw,
                                  .key = key,
                                  .footer = footer,
                                  .n_footer = sizeof footer / sizeof footer[0]};
