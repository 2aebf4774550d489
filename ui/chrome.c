/* chrome.c: what surrounds every view: the header (model, host, threads, ISA, CPU), the view tabs with the
 * worker's state, the footer with the view's main keys (or the message line), and dialog frames. */
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

static const char *const view_names[] = {
#define ET_X(e, s) s,
    ET_VIEW_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof view_names / sizeof view_names[0] == ET_VIEW_COUNT, "view names");

void et_ui_draw_header(const et_ui *ui, et_canvas *c, int y) {
    const et_worker_snapshot *s = &ui->snap;
    const char *sep = c->ascii ? " | " : " \u2502 ";
    char line[1024];
    snprintf(line, sizeof line, " edgetune  %s%shost %s%s%d thread%s%sISA %s%sCPU %s (%s, %d cores)",
             s->model.name[0] ? s->model.name : "(no model)", sep, s->host.hostname[0] ? s->host.hostname : "?", sep,
             ui->knobs.threads, ui->knobs.threads == 1 ? "" : "s", sep, ui->isa, sep,
             s->host.cpu[0] ? s->host.cpu : "unknown CPU", s->host.arch[0] ? s->host.arch : "?", s->host.cores);
    et_canvas_fill(c, (et_rect){0, y, c->w, 1}, ' ', ET_ROLE_TITLE);
    et_canvas_text_fit(c, 0, y, c->w, ET_ROLE_TITLE, line);
}

/* The worker's state in a few words, and the role to show it in. */
static et_role state_text(const et_ui *ui, char *buf, size_t len) {
    const et_worker_snapshot *s = &ui->snap;
    switch (s->state) {
    case ET_WORKER_BASELINE: snprintf(buf, len, "baseline: measuring %.1f s", s->current_seconds); return ET_ROLE_WARN;
    case ET_WORKER_MEASURING:
        snprintf(buf, len, "measuring %.1f s: %d iters", s->current_seconds, s->current.iters);
        return ET_ROLE_WARN;
    case ET_WORKER_SETTLED:
        if (s->current_run_id > 0)
            snprintf(buf, len, "settled: stored as run %lld", (long long)s->current_run_id);
        else
            snprintf(buf, len, "settled (not stored)");
        return ET_ROLE_GOOD;
    case ET_WORKER_FAILED: snprintf(buf, len, "n/a for these knobs"); return ET_ROLE_ERROR;
    case ET_WORKER_PREPARING:
        if (s->prep_total > 0 && s->prep_done > 0 && s->prep_left_ms >= 0 && s->prep_done < s->prep_total)
            snprintf(buf, len, "recovering: layer %d of %d, %.0f s left", s->prep_done, s->prep_total,
                     s->prep_left_ms / 1000.0 + 0.5);
        else if (s->prep_total > 0)
            snprintf(buf, len, "recovering: layer %d of %d", s->prep_done, s->prep_total);
        else
            snprintf(buf, len, "%s", et_worker_state_name(s->state));
        return ET_ROLE_WARN;
    default: snprintf(buf, len, "%s", et_worker_state_name(s->state)); return ET_ROLE_WARN;
    }
}

void et_ui_draw_tabs(const et_ui *ui, et_canvas *c, int y) {
    int x = 1;
    for (int v = 0; v < ET_VIEW_COUNT; v++) {
        char tab[48];
        snprintf(tab, sizeof tab, " %d %s ", v + 1, view_names[v]);
        x += et_canvas_text(c, x, y, c->w - x, v == (int)ui->view ? ET_ROLE_SELECTED : ET_ROLE_LABEL, tab);
        x += 1;
    }
    char st[160];
    et_role role = state_text(ui, st, sizeof st);
    if (ui->snap.db_error[0] && strlen(st) + 20 < sizeof st) {
        strcat(st, "; runs NOT stored");
        role = ET_ROLE_ERROR;
    }
    int room = c->w - x - 1;
    if (room > 8)
        et_canvas_text_right(c, x, y, room, role, st);
}

/* The key text of a footer item: the action's first key; arrows show their pair (Up with Down, Left with Right). */
static void footer_keys(const et_canvas *c, et_action a, char *keys, size_t len) {
    char more[64];
    et_action_keys(a, c->ascii, keys, len);
    char *slash = strchr(keys, '/');
    if (slash && slash != keys)
        *slash = '\0';
    if (a == ET_DO_UP || a == ET_DO_LEFT) {
        if (c->ascii) { /* "UpDown" reads badly: short pairs */
            snprintf(keys, len, "%s", a == ET_DO_UP ? "Up/Dn" : "Lt/Rt");
        } else {
            et_action_keys(a + 1, c->ascii, more, sizeof more);
            char *s2 = strchr(more, '/');
            if (s2)
                *s2 = '\0';
            strncat(keys, more, len - strlen(keys) - 1);
        }
    }
}

static int footer_item_width(const et_canvas *c, const et_footer_item *it) {
    char keys[64];
    footer_keys(c, it->action, keys, sizeof keys);
    const char *name = it->name ? it->name : et_action_name(it->action);
    return et_text_width(keys) + 1 + (int)strlen(name ? name : "") + 2;
}

static int draw_footer_item(et_canvas *c, int x, int y, const et_footer_item *it) {
    char keys[64];
    footer_keys(c, it->action, keys, sizeof keys);
    const char *name = it->name ? it->name : et_action_name(it->action);
    x += et_canvas_text(c, x, y, c->w - x, ET_ROLE_KEY, keys);
    x += et_canvas_text(c, x, y, c->w - x, ET_ROLE_FOOTER, " ");
    x += et_canvas_text(c, x, y, c->w - x, ET_ROLE_FOOTER, name ? name : "");
    return x + 2;
}

void et_ui_draw_footer(const et_ui *ui, et_canvas *c, int y, const et_view *v) {
    et_canvas_fill(c, (et_rect){0, y, c->w, 1}, ' ', ET_ROLE_FOOTER);
    if (ui->message[0]) {
        et_canvas_text_fit(c, 1, y, c->w - 2, ui->message_is_error ? ET_ROLE_ERROR : ET_ROLE_FOOTER, ui->message);
        return;
    }
    if (v->n_footer == 0)
        return;
    /* the last item (quit, cancel) always shows: the ones before it fill what room is left */
    const et_footer_item *last = &v->footer[v->n_footer - 1];
    int room = c->w - footer_item_width(c, last), x = 0;
    for (int i = 0; i + 1 < v->n_footer; i++) {
        if (x + footer_item_width(c, &v->footer[i]) - 2 > room)
            break;
        x = draw_footer_item(c, x, y, &v->footer[i]);
    }
    draw_footer_item(c, x, y, last);
}

et_rect et_ui_dialog_frame(et_canvas *c, int w, int h, const char *title) {
    if (w > c->w - 2)
        w = c->w - 2;
    if (h > c->h - 2)
        h = c->h - 2;
    et_rect r = {(c->w - w) / 2, (c->h - h) / 2, w, h};
    et_canvas_fill(c, r, ' ', ET_ROLE_DIALOG);
    et_canvas_box(c, r, ET_ROLE_BORDER, title, ET_ROLE_PANEL);
    return (et_rect){r.x + 2, r.y + 1, r.w - 4, r.h - 2};
}
