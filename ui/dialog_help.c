/* dialog_help.c: every key, from the one binding table (ui/keys.c): keys on the left, what they do on the right.
 * Up/Down scroll when the list is taller than the screen; any other key closes it. */
#include <stdio.h>

#include "ui/ui.h"

static int n_lines(void) { return ET_DO_COUNT - 1; }

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    int h = n_lines() + 6;
    et_canvas_fill(c, (et_rect){area.x, area.y + 1, area.w, area.h - 2}, ' ', ET_ROLE_NORMAL); /* an overlay */
    et_rect in = et_ui_dialog_frame(c, area.w - 4 < 100 ? area.w - 4 : 100, h, "Keys");
    int rows = in.h - 2;
    int key_w = 14;
    int top = ui->help_top;
    for (int i = 0; i < rows && top + i < n_lines(); i++) {
        et_action a = (et_action)(top + i + 1);
        char keys[96];
        et_action_keys(a, c->ascii, keys, sizeof keys);
        et_canvas_text_fit(c, in.x, in.y + i, key_w - 1, ET_ROLE_KEY, keys);
        et_canvas_text_fit(c, in.x + key_w, in.y + i, in.w - key_w, ET_ROLE_DIALOG, et_action_help(a));
    }
    char more[128];
    if (n_lines() > rows)
        snprintf(more, sizeof more, "Up/Down scroll (%d-%d of %d); any other key closes", top + 1,
                 top + rows < n_lines() ? top + rows : n_lines(), n_lines());
    else
        snprintf(more, sizeof more, "any key closes this help; 'man edgetune' has the rest");
    et_canvas_text_fit(c, in.x, in.y + in.h - 1, in.w, ET_ROLE_DIM, more);
}

static unsigned key(et_ui *ui, et_action a, int k) {
    (void)k;
    int rows = ui->h - 2 - 4; /* as the frame is clipped to the screen */
    int max_top = n_lines() - rows > 0 ? n_lines() - rows : 0;
    if (a == ET_DO_DOWN || a == ET_DO_PAGE_DOWN) {
        ui->help_top += a == ET_DO_DOWN ? 1 : rows;
        if (ui->help_top > max_top)
            ui->help_top = max_top;
        return ET_UI_REDRAW;
    }
    if (a == ET_DO_UP || a == ET_DO_PAGE_UP) {
        ui->help_top -= a == ET_DO_UP ? 1 : rows;
        if (ui->help_top < 0)
            ui->help_top = 0;
        return ET_UI_REDRAW;
    }
    ui->dialog = ET_DIALOG_NONE;
    return ET_UI_REDRAW; /* q closes the help too; a second q quits */
}

static const et_footer_item footer[] = {{ET_DO_UP, "Scroll"}, {ET_DO_CANCEL, "Close"}};

const et_view et_dialog_help = {.name = "help",
                                .draw = draw,
                                .key = key,
                                .footer = footer,
                                .n_footer = sizeof footer / sizeof footer[0]};
