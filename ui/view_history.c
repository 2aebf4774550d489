/* view_history.c: the stored runs (the `runs` table: db/report.h's et_db_runs_table, so the columns and their
 * formats are the CLI's), filtered by text, sorted by a column, with marks that the compare view and the export
 * dialog use. The rows are reloaded from the database when the view is entered and when the worker stores a
 * run. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/report.h"
#include "ui/ui.h"
#include "ui/widgets.h"

/* X(enum, name shown, default descending) */
#define SORT_LIST(X)                   \
    X(SORT_STARTED, "started", true)   \
    X(SORT_P50, "p50", false)          \
    X(SORT_P99, "p99", false)          \
    X(SORT_MEM, "deployed mem", false) \
    X(SORT_ENERGY, "energy", false)    \
    X(SORT_MODEL, "model", false)      \
    X(SORT_CONFIG, "bits", true)       \
    X(SORT_STATUS, "status", false)
enum {
#define ET_X(e, s, d) e,
    SORT_LIST(ET_X)
#undef ET_X
        SORT_COUNT
};
static const char *const sort_names[] = {
#define ET_X(e, s, d) s,
    SORT_LIST(ET_X)
#undef ET_X
};
static const bool sort_desc_default[] = {
#define ET_X(e, s, d) d,
    SORT_LIST(ET_X)
#undef ET_X
};

/* The history table's columns, most useful first (the rest follow; Left/Right scroll). On a narrow screen the
 * numbers come before the model name (the filter narrows the list to one model). */
static const char *const hist_cols_wide[] =
    {"id",     "started",  "model", "config", "latency_p50_ms", "latency_p99_ms", "deployed_mib", "energy_per_inf_mj",
     "status", "baseline", "label", "host",   "iterations"};
static const char *const hist_cols_narrow[] =
    {"id",     "started",  "config", "latency_p50_ms", "latency_p99_ms", "deployed_mib", "energy_per_inf_mj",
     "status", "baseline", "label",  "model",          "host",           "iterations"};
enum { N_HIST_COLS = sizeof hist_cols_wide / sizeof hist_cols_wide[0] };
_Static_assert(sizeof hist_cols_narrow == sizeof hist_cols_wide, "the same columns in another order");

bool et_ui_is_marked(const et_ui *ui, int64_t id) {
    for (int i = 0; i < ui->n_marked; i++)
        if (ui->marked[i] == id)
            return true;
    return false;
}

static void toggle_mark(et_ui *ui, int64_t id) {
    for (int i = 0; i < ui->n_marked; i++)
        if (ui->marked[i] == id) {
            ui->marked[i] = ui->marked[--ui->n_marked];
            return;
        }
    if (ui->n_marked == ui->cap_marked) {
        int cap = ui->cap_marked ? ui->cap_marked * 2 : 16;
        int64_t *grown = realloc(ui->marked, (size_t)cap * sizeof *grown);
        if (!grown)
            return;
        ui->marked = grown;
        ui->cap_marked = cap;
    }
    ui->marked[ui->n_marked++] = id;
}

static bool contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0)
        return true;
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static bool matches(const et_run_summary *r, const char *filter) {
    if (!filter[0])
        return true;
    char cfg[160], id[32];
    et_db_config_short(&r->knobs, r->exec, cfg, sizeof cfg);
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    return contains_ci(r->model, filter) || contains_ci(r->hostname, filter) || contains_ci(r->label, filter) ||
           contains_ci(cfg, filter) || contains_ci(et_run_status_name(r->status), filter) ||
           contains_ci(r->uuid, filter) || strcmp(id, filter) == 0 ||
           (r->is_baseline && contains_ci("baseline", filter));
}

static double sort_value(const et_run_summary *r, int key) {
    switch (key) {
    case SORT_STARTED: return (double)r->started_unix_ms + (double)r->id * 1e-6;
    case SORT_P50: return r->p50_ms;
    case SORT_P99: return r->p99_ms;
    case SORT_MEM: return r->deployed_bytes;
    case SORT_ENERGY: return r->energy_per_inf_mj;
    case SORT_CONFIG: return r->knobs.weight_bits * 1000.0 + r->knobs.act_bits + (1.0 - r->knobs.prune_ratio) * 0.1;
    case SORT_STATUS: return r->status;
    default: return 0;
    }
}

static int cmp_rows(const void *pa, const void *pb, void *ctx) {
    const et_ui *sort_ui = ctx;
    const et_run_summary *a = &sort_ui->runs[*(const int *)pa], *b = &sort_ui->runs[*(const int *)pb];
    int c;
    if (sort_ui->hist_sort == SORT_MODEL) {
        c = strcmp(a->model, b->model);
    } else {
        double x = sort_value(a, sort_ui->hist_sort), y = sort_value(b, sort_ui->hist_sort);
        /* missing numbers sort last either way */
        if (isnan(x) || isnan(y))
            return isnan(x) - isnan(y);
        c = (x > y) - (x < y);
    }
    if (c == 0)
        c = (a->id > b->id) - (a->id < b->id);
    return sort_ui->hist_desc ? -c : c;
}

static void rebuild_rows(et_ui *ui) {
    free(ui->rows);
    ui->rows = malloc((size_t)(ui->n_runs ? ui->n_runs : 1) * sizeof *ui->rows);
    ui->n_rows = 0;
    if (!ui->rows)
        return;
    for (int i = 0; i < ui->n_runs; i++)
        if (matches(&ui->runs[i], ui->filter.text))
            ui->rows[ui->n_rows++] = i;
    qsort_r(ui->rows, (size_t)ui->n_rows, sizeof *ui->rows, cmp_rows, ui);
    if (ui->hist_sel >= ui->n_rows)
        ui->hist_sel = ui->n_rows ? ui->n_rows - 1 : 0;
}

void et_ui_history_refresh(et_ui *ui) {
    if (!ui->runs_stale)
        return;
    ui->runs_stale = false;
    int64_t sel_id = ui->n_rows > 0 && ui->hist_sel < ui->n_rows ? ui->runs[ui->rows[ui->hist_sel]].id : 0;
    free(ui->runs);
    ui->runs = NULL;
    ui->n_runs = 0;
    ui->runs_error[0] = '\0';
    et_err err = {0};
    if (!ui->be || !ui->be->list_runs) {
        snprintf(ui->runs_error, sizeof ui->runs_error, "no run database: runs are not stored (--no-save)");
    } else if (ui->be->list_runs(ui->be->ctx, &ui->runs, &ui->n_runs, &err) != ET_OK) {
        snprintf(ui->runs_error, sizeof ui->runs_error, "%s", err.msg);
        ui->runs = NULL;
        ui->n_runs = 0;
    }
    rebuild_rows(ui);
    /* keep the cursor on the same run */
    for (int i = 0; sel_id && i < ui->n_rows; i++)
        if (ui->runs[ui->rows[i]].id == sel_id)
            ui->hist_sel = i;
}

/* The runs table for rows [0, n_rows) (only the marked ones when marked_only). */
static et_table *rows_table(const et_ui *ui, bool marked_only) {
    et_run_summary *sel = malloc((size_t)(ui->n_rows ? ui->n_rows : 1) * sizeof *sel);
    if (!sel)
        return NULL;
    int n = 0;
    for (int i = 0; i < ui->n_rows; i++) {
        const et_run_summary *r = &ui->runs[ui->rows[i]];
        if (!marked_only || et_ui_is_marked(ui, r->id))
            sel[n++] = *r;
    }
    et_table *t = et_db_runs_table(sel, n, "edgetune runs");
    free(sel);
    return t;
}

et_table *et_ui_history_table(et_ui *ui, char *why, size_t why_len) {
    et_ui_history_refresh(ui);
    if (ui->n_rows == 0) {
        snprintf(why, why_len, "%s", ui->runs_error[0] ? ui->runs_error : "no runs match");
        return NULL;
    }
    bool marked_only = false;
    for (int i = 0; i < ui->n_rows && !marked_only; i++)
        marked_only = et_ui_is_marked(ui, ui->runs[ui->rows[i]].id);
    et_table *t = rows_table(ui, marked_only);
    if (!t)
        snprintf(why, why_len, "out of memory");
    return t;
}

void et_ui_compare_marked(et_ui *ui) {
    et_table_free(ui->cmp);
    ui->cmp = NULL;
    ui->cmp_error[0] = '\0';
    ui->cmp_top = ui->cmp_left = 0;
    free(ui->cmp_ids);
    ui->cmp_ids = NULL;
    ui->n_cmp_ids = 0;
    et_ui_history_refresh(ui);
    int n = 0;
    int64_t *ids = malloc((size_t)(ui->n_rows + 1) * sizeof *ids);
    if (!ids) {
        snprintf(ui->cmp_error, sizeof ui->cmp_error, "out of memory");
        return;
    }
    /* marked runs in the order the history shows them; else the run under the cursor */
    for (int i = 0; i < ui->n_rows; i++)
        if (et_ui_is_marked(ui, ui->runs[ui->rows[i]].id))
            ids[n++] = ui->runs[ui->rows[i]].id;
    if (n == 0 && ui->n_rows > 0 && ui->hist_sel < ui->n_rows)
        ids[n++] = ui->runs[ui->rows[ui->hist_sel]].id;
    if (n == 0) {
        snprintf(ui->cmp_error, sizeof ui->cmp_error,
                 "no runs to compare: mark runs in the history (2, then Space on each) and press c");
        free(ids);
        return;
    }
    et_err err = {0};
    if (!ui->be || !ui->be->compare) {
        snprintf(ui->cmp_error, sizeof ui->cmp_error, "no run database: runs are not stored (--no-save)");
        free(ids);
        return;
    }
    if (ui->be->compare(ui->be->ctx, ids, n, &ui->cmp, &err) != ET_OK) {
        snprintf(ui->cmp_error, sizeof ui->cmp_error, "%s", err.msg);
        ui->cmp = NULL;
        free(ids);
        return;
    }
    ui->cmp_ids = ids;
    ui->n_cmp_ids = n;
}

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    int marked_here = 0;
    for (int i = 0; i < ui->n_rows; i++)
        marked_here += et_ui_is_marked(ui, ui->runs[ui->rows[i]].id);
    char title[256], marks[32] = "";
    if (marked_here)
        snprintf(marks, sizeof marks, ", %d marked", marked_here);
    snprintf(title, sizeof title, "Runs: %d of %d, sorted by %s %s%s", ui->n_rows, ui->n_runs,
             sort_names[ui->hist_sort], ui->hist_desc ? "(descending)" : "(ascending)", marks);
    et_canvas_box(c, area, ET_ROLE_BORDER, title, ET_ROLE_PANEL);
    et_rect in = {area.x + 1, area.y + 1, area.w - 2, area.h - 2};
    bool show_filter = ui->filtering || ui->filter.len > 0;
    int table_h = in.h - 2 - (show_filter ? 1 : 0);
    if (ui->runs_error[0]) {
        et_canvas_text_fit(c, in.x + 1, in.y, in.w - 2, ET_ROLE_ERROR, ui->runs_error);
        return;
    }
    if (ui->n_runs == 0) {
        et_canvas_text_fit(c, in.x + 1, in.y, in.w - 2, ET_ROLE_DIM,
                           "no runs stored yet: every measurement the workbench completes is stored here");
    } else if (ui->n_rows == 0) {
        et_canvas_text_fit(c, in.x + 1, in.y, in.w - 2, ET_ROLE_DIM, "no run matches the filter (Esc clears it)");
    } else {
        et_table *t = rows_table(ui, false);
        if (t) {
            et_w_table_opts o = {.top = ui->hist_top,
                                 .sel = ui->hist_sel,
                                 .left = ui->hist_left,
                                 .frozen = 1,
                                 .mark_w = 2,
                                 .cols = in.w >= 120 ? hist_cols_wide : hist_cols_narrow,
                                 .n_cols = N_HIST_COLS,
                                 .max_text_w = 28};
            et_w_table(c, (et_rect){in.x, in.y, in.w, table_h}, t, &o);
            for (int line = 1; line < table_h; line++) {
                int row = ui->hist_top + line - 1;
                if (row >= ui->n_rows)
                    break;
                if (et_ui_is_marked(ui, ui->runs[ui->rows[row]].id))
                    et_canvas_glyph(c, in.x, in.y + line, ET_G_MARK,
                                    row == ui->hist_sel ? ET_ROLE_SELECTED : ET_ROLE_MARKED);
            }
            et_table_free(t);
        }
    }
    int y = in.y + in.h - 1;
    if (show_filter) {
        int n = et_canvas_text(c, in.x + 1, y - 1, in.w, ET_ROLE_LABEL, "filter: ");
        et_field_draw(&ui->filter, c, in.x + 1 + n, y - 1, in.w - 2 - n, ui->filtering);
    }
    if (ui->n_rows > 0 && ui->hist_sel < ui->n_rows) {
        const et_run_summary *r = &ui->runs[ui->rows[ui->hist_sel]];
        char line[256];
        snprintf(line, sizeof line, "run %lld  %s  %s%s%s", (long long)r->id, r->uuid,
                 r->is_baseline ? "baseline of its model on its host" : "", r->label[0] ? "  label: " : "", r->label);
        et_canvas_text_fit(c, in.x + 1, y, in.w - 2, ET_ROLE_DIM, line);
    }
}

static void clamp(et_ui *ui) {
    int page = ui->h - 3 - 2 - 3 - ((ui->filtering || ui->filter.len) ? 1 : 0); /* rows of runs on screen */
    if (page < 1)
        page = 1;
    if (ui->hist_sel >= ui->n_rows)
        ui->hist_sel = ui->n_rows - 1;
    if (ui->hist_sel < 0)
        ui->hist_sel = 0;
    if (ui->hist_top > ui->hist_sel)
        ui->hist_top = ui->hist_sel;
    if (ui->hist_sel >= ui->hist_top + page)
        ui->hist_top = ui->hist_sel - page + 1;
    if (ui->hist_top < 0)
        ui->hist_top = 0;
}

static void resize(et_ui *ui, et_rect area) {
    (void)area;
    clamp(ui);
}

static unsigned key(et_ui *ui, et_action a, int k) {
    int page = ui->h - 8 > 1 ? ui->h - 8 : 1;
    if (ui->filtering) {
        if (a == ET_DO_CANCEL) {
            et_field_set(&ui->filter, "");
            ui->filtering = false;
        } else if (k == ET_KEY_ENTER) {
            ui->filtering = false;
        } else if (k == ET_KEY_UP || k == ET_KEY_DOWN) {
            ui->hist_sel += k == ET_KEY_UP ? -1 : 1;
        } else if (!et_field_key(&ui->filter, k)) {
            return 0;
        }
        rebuild_rows(ui);
        clamp(ui);
        return ET_UI_REDRAW;
    }
    et_ui_history_refresh(ui);
    switch (a) {
    case ET_DO_UP: ui->hist_sel--; break;
    case ET_DO_DOWN: ui->hist_sel++; break;
    case ET_DO_PAGE_UP: ui->hist_sel -= page; break;
    case ET_DO_PAGE_DOWN: ui->hist_sel += page; break;
    case ET_DO_HOME: ui->hist_sel = 0; break;
    case ET_DO_END: ui->hist_sel = ui->n_rows - 1; break;
    case ET_DO_LEFT:
        if (ui->hist_left > 0)
            ui->hist_left--;
        break;
    case ET_DO_RIGHT:
        if (ui->hist_left < N_HIST_COLS - 2)
            ui->hist_left++;
        break;
    case ET_DO_MARK:
        if (ui->n_rows > 0) {
            toggle_mark(ui, ui->runs[ui->rows[ui->hist_sel]].id);
            ui->hist_sel++;
        }
        break;
    case ET_DO_UNMARK_ALL: ui->n_marked = 0; break;
    case ET_DO_FILTER: ui->filtering = true; break;
    case ET_DO_CANCEL:
        if (!ui->filter.len)
            return 0;
        et_field_set(&ui->filter, "");
        rebuild_rows(ui);
        break;
    case ET_DO_SORT:
        ui->hist_sort = (ui->hist_sort + 1) % SORT_COUNT;
        ui->hist_desc = sort_desc_default[ui->hist_sort];
        rebuild_rows(ui);
        break;
    case ET_DO_REVERSE:
        ui->hist_desc = !ui->hist_desc;
        rebuild_rows(ui);
        break;
    case ET_DO_COMPARE:
    case ET_DO_ENTER:
        if (a == ET_DO_ENTER) { /* just this run against its baseline */
            int64_t *keep = ui->marked;
            int n = ui->n_marked;
            ui->marked = NULL, ui->n_marked = 0;
            int cap = ui->cap_marked;
            ui->cap_marked = 0;
            et_ui_compare_marked(ui);
            free(ui->marked);
            ui->marked = keep, ui->n_marked = n, ui->cap_marked = cap;
        } else {
            et_ui_compare_marked(ui);
        }
        ui->view = ET_VIEW_COMPARE;
        return ET_UI_REDRAW;
    default: return 0;
    }
    clamp(ui);
    return ET_UI_REDRAW;
}

static const et_footer_item footer[] = {{ET_DO_HELP, NULL},    {ET_DO_NEXT_VIEW, NULL}, {ET_DO_MARK, NULL},
                                        {ET_DO_COMPARE, NULL}, {ET_DO_FILTER, NULL},    {ET_DO_SORT, NULL},
                                        {ET_DO_EXPORT, NULL},  {ET_DO_QUIT, NULL}};

const et_view et_view_history = {.name = "history",
                                 .draw = draw,
                                 .key = key,
                                 .resize = resize,
                                 .footer = footer,
                                 .n_footer = sizeof footer / sizeof footer[0]};
