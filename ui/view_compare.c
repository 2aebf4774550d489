/* view_compare.c: the marked runs against their baselines: `edgetune compare`'s table (db/report.h's
 * et_db_compare: speed-up, deployed memory and its ratio, size ratio, energy, accuracy), scrolled with the arrows, notes below. */
#include <stdio.h>

#include "ui/ui.h"
#include "ui/widgets.h"

static const char *const cmp_cols[] = {"run",       "baseline",     "vs",           "config",  "latency_p50_ms",
                                       "speedup",   "deployed_mib", "memory_ratio", "size_mib", "size_ratio",
                                       "energy_per_inf_mj", "top1_agreement_pct", "accuracy_pct",
                                       "accuracy_delta_pp", "latency_p99_ms", "label", "model", "host"};
enum { N_CMP_COLS = sizeof cmp_cols / sizeof cmp_cols[0] };

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
    et_w_table_opts o = {.top = ui->cmp_top, .sel = -1, .left = ui->cmp_left, .frozen = 1, .cols = cmp_cols,
                         .n_cols = N_CMP_COLS, .max_text_w = 24};
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
