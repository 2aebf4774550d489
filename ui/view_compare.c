/* view_compare.c: the marked runs against their baselines: `edgetune compare`'s table (db/report.h's
 * et_db_compare), scrolled with the arrows, notes below. Its columns: which run against which, then the headline
 * metrics of src/record/metrics.h in their order, each followed by its comparison with the baseline (speed-up,
 * memory ratio, size ratio, accuracy delta), then label, model and host. */
#include <stdio.h>

#include "record/metrics.h"
#include "ui/ui.h"
#include "ui/widgets.h"

enum { MAX_CMP_COLS = 8 + 2 * ET_METRIC_COUNT };

/* The keys of the columns shown, in order; returns their count. */
static int compare_columns(const char **cols) {
    static const char *const lead[] = {"run", "baseline", "vs", "config"}, *const tail[] = {"label", "model", "host"};
    int n = 0;
    for (size_t i = 0; i < sizeof lead / sizeof lead[0]; i++)
        cols[n++] = lead[i];
    for (int m = 0; m < ET_METRIC_COUNT; m++) {
        if (!et_metrics[m].headline)
            continue;
        cols[n++] = et_metrics[m].key;
        if (et_metrics[m].vs_key)
            cols[n++] = et_metrics[m].vs_key;
    }
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        cols[n++] = tail[i];
    return n;
}

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    char title[160];
    if (ui->cmp)
        snprintf(title, sizeof title, "Compare: %d run%s against their baselines (ratios: above 1 is better)",
                 ui->n_cmp_ids, ui->n_cmp_ids == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "Compare");
    et_canvas_box(c, area, ET_ROLE_BORDER, title, ET_ROLE_PANEL);
    et_rect in = {area.x + 2, area.y + 1, area.w - 4, area.h - 2};
    if (!ui->cmp) {
        et_canvas_text_fit(c, in.x, in.y, in.w, ui->cmp_error[0] ? ET_ROLE_ERROR : ET_ROLE_DIM,
                           ui->cmp_error[0] ? ui->cmp_error
                                            : "mark runs in the history (2, then Space on each) and press c");
        return;
    }
    int notes = et_table_n_notes(ui->cmp);
    int note_h = notes + 1 < in.h / 2 ? notes + 1 : in.h / 2;
    int table_h = in.h - note_h;
    const char *cols[MAX_CMP_COLS];
    int n_cols = compare_columns(cols);
    et_w_table_opts o = {.top = ui->cmp_top, .sel = -1, .left = ui->cmp_left, .frozen = 1, .cols = cols,
                         .n_cols = n_cols, .max_text_w = 24};
    et_w_table(c, (et_rect){in.x, in.y, in.w, table_h}, ui->cmp, &o);
    for (int i = 0; i < notes && i + 1 < note_h; i++)
        et_canvas_text_fit(c, in.x, in.y + table_h + 1 + i, in.w, ET_ROLE_DIM, et_table_note(ui->cmp, i));
}

static unsigned key(et_ui *ui, et_action a, int k) {
    (void)k;
    int rows = ui->cmp ? et_table_n_rows(ui->cmp) : 0, cols = ui->cmp ? et_w_table_columns(ui->cmp) : 0;
    switch (a) {
    case ET_DO_UP:
        if (ui->cmp_top > 0)
            ui->cmp_top--;
        return ET_UI_REDRAW;
    case ET_DO_DOWN:
        if (ui->cmp_top + 1 < rows)
            ui->cmp_top++;
        return ET_UI_REDRAW;
    case ET_DO_LEFT:
        if (ui->cmp_left > 0)
            ui->cmp_left--;
        return ET_UI_REDRAW;
    case ET_DO_RIGHT:
        if (ui->cmp_left + 2 < cols)
            ui->cmp_left++;
        return ET_UI_REDRAW;
    case ET_DO_HOME:
        ui->cmp_top = ui->cmp_left = 0;
        return ET_UI_REDRAW;
    case ET_DO_COMPARE: /* again, with the marks as they are now */
        et_ui_compare_marked(ui);
        return ET_UI_REDRAW;
    default: return 0;
    }
}

static const et_footer_item footer[] = {{ET_DO_HELP, NULL},       {ET_DO_NEXT_VIEW, NULL}, {ET_DO_UP, "Scroll"},
                                        {ET_DO_COMPARE, "Refresh"}, {ET_DO_EXPORT, NULL},    {ET_DO_QUIT, NULL}};

const et_view et_view_compare = {
    .name = "compare", .draw = draw, .key = key, .footer = footer, .n_footer = sizeof footer / sizeof footer[0]};
