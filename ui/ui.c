/* ui.c: key dispatch (dialog first, then global keys, then the view) and the screen layout: header, tabs, the
 * view, footer; the "terminal too small" notice below 80x24. It holds the table of views and dialogs, so it sits
 * above them; what they share about the state (the message line) is state.c, below them. */
#include "ui/ui.h"

#include <stdio.h>
#include <string.h>

static const et_view *const views[ET_VIEW_COUNT] = {&et_view_workbench, &et_view_history, &et_view_layers,
                                                    &et_view_compare};
static const et_view *const dialogs[ET_DIALOG_COUNT] =
    {NULL, &et_dialog_help, &et_dialog_open, &et_dialog_export, &et_dialog_layer, &et_dialog_train, &et_dialog_search};

static void set_view(et_ui *ui, et_view_id v) {
    ui->view = v;
    if (v == ET_VIEW_HISTORY)
        ui->runs_stale = true;
    if (v == ET_VIEW_COMPARE && !ui->cmp && !ui->cmp_error[0])
        et_ui_compare_marked(ui);
}

unsigned et_ui_key(et_ui *ui, int key) {
    if (key == ET_KEY_RESIZE)
        return ET_UI_REDRAW;
    ui->message[0] = '\0';
    et_action a = et_key_action(key);
    if (ui->dialog != ET_DIALOG_NONE)
        return dialogs[ui->dialog]->key(ui, a, key);
    if (ui->view == ET_VIEW_HISTORY && ui->filtering)
        return views[ui->view]->key(ui, a, key);
    switch (a) {
    case ET_DO_QUIT: return ET_UI_QUIT;
    case ET_DO_HELP:
        ui->dialog = ET_DIALOG_HELP;
        ui->help_top = 0;
        return ET_UI_REDRAW;
    case ET_DO_NEXT_VIEW: set_view(ui, (et_view_id)((ui->view + 1) % ET_VIEW_COUNT)); return ET_UI_REDRAW;
    case ET_DO_PREV_VIEW:
        set_view(ui, (et_view_id)((ui->view + ET_VIEW_COUNT - 1) % ET_VIEW_COUNT));
        return ET_UI_REDRAW;
    case ET_DO_VIEW_WORKBENCH: set_view(ui, ET_VIEW_WORKBENCH); return ET_UI_REDRAW;
    case ET_DO_VIEW_HISTORY: set_view(ui, ET_VIEW_HISTORY); return ET_UI_REDRAW;
    case ET_DO_VIEW_LAYERS: set_view(ui, ET_VIEW_LAYERS); return ET_UI_REDRAW;
    case ET_DO_VIEW_COMPARE: set_view(ui, ET_VIEW_COMPARE); return ET_UI_REDRAW;
    case ET_DO_OPEN:
        ui->dialog = ET_DIALOG_OPEN;
        ui->dialog_error[0] = '\0';
        ui->completion.n = 0;
        if (!ui->open_path.len) {
            /* start in the folder of the model that is open */
            char dir[ET_FIELD_MAX];
            snprintf(dir, sizeof dir, "%s", ui->snap.model.path);
            char *slash = strrchr(dir, '/');
            if (slash)
                slash[1] = '\0';
            else
                dir[0] = '\0';
            et_field_set(&ui->open_path, dir);
        }
        return ET_UI_REDRAW;
    case ET_DO_EXPORT: {
        char why[256];
        et_table *t = et_ui_export_table(ui, ui->view, why, sizeof why);
        if (!t) {
            et_ui_message(ui, true, "nothing to export: %s", why);
            return ET_UI_REDRAW;
        }
        et_table_free(t);
        ui->dialog = ET_DIALOG_EXPORT;
        ui->export_from = ui->view;
        ui->dialog_error[0] = '\0';
        if (!ui->export_path.len)
            et_field_set(&ui->export_path, "edgetune-export.csv");
        return ET_UI_REDRAW;
    }
    case ET_DO_REDRAW: return ET_UI_REPAINT | ET_UI_REDRAW;
    default: return views[ui->view]->key(ui, a, key);
    }
}

static void draw_too_small(et_canvas *c) {
    char line[128];
    snprintf(line, sizeof line, "terminal too small: %dx%d", c->w, c->h);
    int y = c->h / 2 - 1;
    int x = (c->w - (int)strlen(line)) / 2;
    et_canvas_text(c, x > 0 ? x : 0, y, c->w, ET_ROLE_ERROR, line);
    snprintf(line, sizeof line, "edgetune needs at least %dx%d", ET_UI_MIN_W, ET_UI_MIN_H);
    x = (c->w - (int)strlen(line)) / 2;
    et_canvas_text(c, x > 0 ? x : 0, y + 1, c->w, ET_ROLE_NORMAL, line);
    const char *hint = "enlarge the window, or press q to quit";
    x = (c->w - (int)strlen(hint)) / 2;
    et_canvas_text(c, x > 0 ? x : 0, y + 2, c->w, ET_ROLE_DIM, hint);
}

void et_ui_draw(et_ui *ui, et_canvas *c) {
    et_canvas_clear(c);
    if (c->w < ET_UI_MIN_W || c->h < ET_UI_MIN_H) {
        ui->w = c->w, ui->h = c->h;
        draw_too_small(c);
        return;
    }
    et_rect area = {0, 2, c->w, c->h - 3};
    if (ui->w != c->w || ui->h != c->h) {
        ui->w = c->w, ui->h = c->h;
        for (int v = 0; v < ET_VIEW_COUNT; v++)
            if (views[v]->resize)
                views[v]->resize(ui, area);
    }
    if (ui->view == ET_VIEW_HISTORY || (ui->dialog == ET_DIALOG_EXPORT && ui->export_from == ET_VIEW_HISTORY))
        et_ui_history_refresh(ui);
    if (ui->view == ET_VIEW_LAYERS || (ui->dialog == ET_DIALOG_EXPORT && ui->export_from == ET_VIEW_LAYERS))
        et_ui_layers_refresh(ui);
    et_ui_draw_header(ui, c, 0);
    et_ui_draw_tabs(ui, c, 1);
    views[ui->view]->draw(ui, c, area);
    et_ui_draw_footer(ui, c, c->h - 1, ui->dialog ? dialogs[ui->dialog] : views[ui->view]);
    if (ui->dialog != ET_DIALOG_NONE)
        dialogs[ui->dialog]->draw(ui, c, (et_rect){0, 0, c->w, c->h});
}
