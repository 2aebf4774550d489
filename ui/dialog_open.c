/* dialog_open.c: open another model: a path field with Tab completion (the matches are listed under it).
 * Enter asks the backend to open it: a new session and worker with the current knobs; on failure the error
 * stays in the dialog and the old model keeps running. */
#include <stdio.h>

#include "ui/ui.h"

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    int h = area.h - 6 < 16 ? area.h - 6 : 16;
    et_rect in = et_ui_dialog_frame(c, area.w - 8 < 90 ? area.w - 8 : 90, h, "Open model");
    et_canvas_text(c, in.x, in.y, in.w, ET_ROLE_DIALOG, "ONNX model file (Tab completes, Enter opens, Esc cancels):");
    et_field_draw(&ui->open_path, c, in.x, in.y + 1, in.w, true);
    int y = in.y + 3;
    if (ui->dialog_error[0]) {
        et_canvas_text_fit(c, in.x, y, in.w, ET_ROLE_ERROR, ui->dialog_error);
        y += 2;
    }
    const et_completion *m = &ui->completion;
    if (m->n > 1) {
        et_canvas_printf(c, in.x, y++, in.w, ET_ROLE_DIM, "%d matches:", m->n);
        /* the matches in columns */
        int col_w = 24, cols = in.w / col_w > 0 ? in.w / col_w : 1;
        int kept = m->n < ET_COMPLETE_MAX ? m->n : ET_COMPLETE_MAX;
        for (int i = 0; i < kept; i++) {
            int row = i / cols, x = in.x + (i % cols) * col_w;
            if (y + row >= in.y + in.h)
                break;
            et_canvas_text_fit(c, x, y + row, col_w - 1, ET_ROLE_DIALOG, m->names[i]);
        }
    }
}

static unsigned key(et_ui *ui, et_action a, int k) {
    if (a == ET_DO_CANCEL) {
        ui->dialog = ET_DIALOG_NONE;
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_TAB) {
        ui->dialog_error[0] = '\0';
        if (et_field_complete_path(&ui->open_path, &ui->completion) == 0)
            snprintf(ui->dialog_error, sizeof ui->dialog_error, "no file matches '%s'", ui->open_path.text);
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_ENTER) {
        et_err err = {0};
        if (!ui->open_path.len) {
            snprintf(ui->dialog_error, sizeof ui->dialog_error, "type the path of an .onnx file");
            return ET_UI_REDRAW;
        }
        if (!ui->be || !ui->be->open_model || ui->be->open_model(ui->be->ctx, ui->open_path.text, &err) != ET_OK) {
            snprintf(ui->dialog_error, sizeof ui->dialog_error, "%s", err.msg[0] ? err.msg : "cannot open models here");
            return ET_UI_REDRAW;
        }
        ui->dialog = ET_DIALOG_NONE;
        ui->runs_stale = true;
        et_ui_message(ui, false, "opened %s", ui->open_path.text);
        return ET_UI_REDRAW;
    }
    if (et_field_key(&ui->open_path, k)) {
        ui->completion.n = 0;
        return ET_UI_REDRAW;
    }
    return 0;
}

static const et_footer_item footer[] = {{ET_DO_NEXT_VIEW, "Complete"}, {ET_DO_ENTER, "Open"}, {ET_DO_CANCEL, "Cancel"}};

const et_view et_dialog_open = {.name = "open",
                                .draw = draw,
                                .key = key,
                                .footer = footer,
                                .n_footer = sizeof footer / sizeof footer[0]};
