/* view_compare.c: the marked runs against their baselines: `edgetune compare`'s table (db/report.h's
 * et_db_compare), scrolled with the arrows, notes below. Its columns: which run against which, then the headline
 * metrics of src/record/metrics.h in their order, each followed by its comparison with the baseline (speed-up,
 * memory ratio, size ratio, accuracy delta), then label, model and host. Where the screen has room below the
 * table, a scatter plot of accuracy (else top-1 agreement) against p50 with the Pareto front (ui/scatter.h):
 * each run is marked by its row in the table (1, 2, ...; B for a baseline). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "record/metrics.h"
#include "ui/scatter.h"
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

/* The scatter of the table's rows: p50 against accuracy where a row has it, else top-1 agreement. */
static void draw_scatter(const et_table *t, et_canvas *c, et_rect r) {
    int rows = et_table_n_rows(t), xc = et_table_col_index(t, et_metrics[ET_METRIC_P50].key),
        ac = et_table_col_index(t, et_metrics[ET_METRIC_ACCURACY].key),
        tc = et_table_col_index(t, et_metrics[ET_METRIC_TOP1].key), bc = et_table_col_index(t, "baseline");
    bool acc = ac >= 0;
    for (int i = 0; acc && i < rows; i++)
        acc = !isnan(et_table_num_at(t, i, ac));
    int yc = acc ? ac : tc;
    et_scatter_point *pts = calloc((size_t)(rows ? rows : 1), sizeof *pts);
    if (!pts || xc < 0 || yc < 0) {
        free(pts);
        return;
    }
    for (int i = 0; i < rows; i++) {
        bool base = bc >= 0 && et_table_num_at(t, i, bc) == 1;
        pts[i] = (et_scatter_point){.x = et_table_num_at(t, i, xc),
                                    .y = et_table_num_at(t, i, yc),
                                    .mark = base    ? 'B'
                                            : i < 9 ? (char)('1' + i)
                                                    : (char)('a' + (i - 9) % 26),
                                    .baseline = base};
    }
    et_w_scatter(c, r, pts, rows, "p50 ms",
                 acc ? "accuracy % (marks: table rows, B baseline; front dotted)"
                     : "top-1 agreement % (marks: table rows, B baseline; front dotted)");
    free(pts);
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
    /* room for the scatter below the table's rows: then the notes keep at most 3 lines */
    int rows_h = et_table_n_rows(ui->cmp) + 2, short_notes = notes + 1 < 3 ? notes + 1 : 3;
    int plot_h = in.h - rows_h - short_notes;
    if (plot_h >= 8) {
        table_h = rows_h, note_h = short_notes;
        draw_scatter(ui->cmp, c, (et_rect){in.x, in.y + table_h, in.w, plot_h});
    }
    const char *cols[MAX_CMP_COLS];
    int n_cols = compare_columns(cols);
    et_w_table_opts o = {.top = ui->cmp_top,
                         .sel = -1,
                         .left = ui->cmp_left,
                         .frozen = 1,
                         .cols = cols,
                         .n_cols = n_cols,
                         .max_text_w = 24};
    et_w_table(c, (et_rect){in.x, in.y, in.w, table_h}, ui->cmp, &o);
    int notes_y = plot_h >= 8 ? in.y + table_h + plot_h - 1 : in.y + table_h;
    for (int i = 0; i < notes && i + 1 < note_h; i++)
        et_canvas_text_fit(c, in.x, notes_y + 1 + i, in.w, ET_ROLE_DIM, et_table_note(ui->cmp, i));
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
    case ET_DO_HOME: ui->cmp_top = ui->cmp_left = 0; return ET_UI_REDRAW;
    case ET_DO_COMPARE: /* again, with the marks as they are now */ et_ui_compare_marked(ui); return ET_UI_REDRAW;
    default: return 0;
    }
}

static const et_footer_item footer[] = {{ET_DO_HELP, NULL},         {ET_DO_NEXT_VIEW, NULL}, {ET_DO_UP, "Scroll"},
                                        {ET_DO_COMPARE, "Refresh"}, {ET_DO_EXPORT, NULL},    {ET_DO_QUIT, NULL}};

const et_view et_view_compare = {.name = "compare",
                                 .draw = draw,
                                 .key = key,
                                 .footer = footer,
                                 .n_footer = sizeof footer / sizeof footer[0]};
