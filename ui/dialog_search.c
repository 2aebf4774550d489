/* dialog_search.c: the search view. First a form with the CLI's defaults: the accuracy drop allowed, the objective
 * (latency or size), the per-layer candidates, the recovery on every point, the seconds each point is timed and
 * the file the winner is written to (switching the objective switches the candidates to its default, as the
 * CLI's default follows --objective, unless they were edited); Enter starts `edgetune search` of the open model
 * with the current knobs as the base (src/search/search_worker.h, on its own thread through the backend: the same job as the CLI). Then the
 * search: the phase (sensitivity i/N, the uniform grid, the finalists) with a bar, time spent and left, the points
 * measured, a scatter plot of them (cost against the drop on the search half; uniform points 'o', per-layer ones
 * 'x', the fp32 reference 'F', the base 'B', the best uniform 'U', the winner 'W'; the Pareto front as a line)
 * and a table of the front (with each finalist's latency prediction error; when done, a line says how many
 * predictions were within 10 % of measured: src/search/search_pred.h, as the CLI's table). Esc or c cancels: the points measured so far are stored, as the CLI does on Ctrl-C.
 * Done: Enter or a applies the winner to the workbench (its knobs and per-layer overrides), w writes it as a
 * --layers-config file, Esc closes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/pareto.h"
#include "ui/scatter.h"
#include "ui/ui.h"
#include "ui/widgets.h"

static const double drops[] = {0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0};
static const double seconds[] = {0.0, 0.05, 0.25, 1.0};
enum { N_DROPS = sizeof drops / sizeof drops[0], N_SECONDS = sizeof seconds / sizeof seconds[0] };

enum { ROW_DROP, ROW_OBJECTIVE, ROW_CANDS, ROW_RECOVER, ROW_SECONDS, ROW_EFFORT, ROW_OUT, N_ROWS };
static const char *const row_names[N_ROWS] = {"max drop",     "objective", "candidates", "recovery",
                                              "time a point", "grid",      "winner to"};

/* "quick": a smaller uniform grid and fewer measurements, as these `edgetune search` flags ask */
#define QUICK_FLAGS "--uniform-act-bits 32 --uniform-prune 0 --rounds 1 --iters 20 --sens-iters 5"

/* The model's file name without folders and .onnx. */
static void model_stem(const char *path, char *out, size_t len) {
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && strcmp(dot, ".onnx") == 0)
        *dot = '\0';
}

static et_search_objective form_objective(const et_ui *ui) {
    return ui->search_objective == ET_SEARCH_SIZE ? ET_SEARCH_SIZE : ET_SEARCH_LATENCY;
}

void et_ui_search_begin(et_ui *ui) {
    if (!ui->search_active && !ui->snap.model.path[0]) {
        et_ui_message(ui, true, "the model is still being opened: press P again in a moment");
        return;
    }
    ui->dialog = ET_DIALOG_SEARCH;
    ui->dialog_error[0] = '\0';
    if (ui->search_active)
        return;
    if (!ui->search_cands.len)
        et_field_set(&ui->search_cands, et_search_default_candidates(form_objective(ui)));
    ui->search_recover = (int)ui->knobs.recover;
    if (!ui->search_out.len) {
        char stem[ET_NAME_MAX], out[ET_FIELD_MAX];
        model_stem(ui->snap.model.path, stem, sizeof stem);
        snprintf(out, sizeof out, "%s-search.cfg", stem[0] ? stem : "model");
        et_field_set(&ui->search_out, out);
    }
}

/* ---- drawing ------------------------------------------------------------------------------------------------ */

static void draw_form(const et_ui *ui, et_canvas *c, et_rect in) {
    char knobs[160], line[512];
    snprintf(line, sizeof line, "search per-layer knobs of %s for this machine, as `edgetune search` does",
             ui->snap.model.name);
    et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_DIALOG, line);
    snprintf(line, sizeof line, "base: %s (each weight layer may take a candidate instead)",
             et_knobs_describe(&ui->knobs, knobs, sizeof knobs));
    et_canvas_text_fit(c, in.x, in.y + 1, in.w, ET_ROLE_DIALOG, line);
    int lx = in.x + 2, vx = in.x + 17, vw = in.w - 17;
    for (int r = 0; r < N_ROWS; r++) {
        int y = in.y + 3 + r;
        bool sel = r == ui->search_row;
        if (sel)
            et_canvas_glyph(c, in.x, y, ET_G_POINTER, ET_ROLE_SELECTED);
        et_canvas_text(c, lx, y, 14, sel ? ET_ROLE_SELECTED : ET_ROLE_LABEL, row_names[r]);
        char v[128];
        switch (r) {
        case ROW_CANDS: et_field_draw(&ui->search_cands, c, vx, y, vw, sel); continue;
        case ROW_OUT: et_field_draw(&ui->search_out, c, vx, y, vw, sel); continue;
        case ROW_DROP:
            snprintf(v, sizeof v, "%g pp against fp32 (on the search half of the evaluation set)",
                     drops[ui->search_drop]);
            break;
        case ROW_OBJECTIVE:
            snprintf(v, sizeof v, "%s",
                     ui->search_objective == ET_SEARCH_SIZE ? "size (weights as stored)"
                                                            : "latency (p50 on this machine)");
            break;
        case ROW_RECOVER:
            snprintf(v, sizeof v, "%s (on every point: sensitivities, finalists, uniform grid)",
                     et_recover_name((et_recover)ui->search_recover));
            break;
        case ROW_EFFORT:
            snprintf(v, sizeof v, "%s",
                     ui->search_quick ? "quick: weight bits 32,8,4 only, 1 round, 20 iterations (" QUICK_FLAGS ")"
                                      : "the CLI's: bits 32,8,4 x act 32,8 x prune 0,0.25,0.5 x unstructured,channel; "
                                        "2 rounds");
            break;
        default:
            snprintf(v, sizeof v, "%g s per point per round (0: exactly the iterations)", seconds[ui->search_seconds]);
            break;
        }
        et_canvas_text_fit(c, vx, y, vw, ET_ROLE_VALUE, v);
    }
    if (ui->dialog_error[0])
        et_canvas_text_fit(c, in.x, in.y + 4 + N_ROWS, in.w, ET_ROLE_ERROR, ui->dialog_error);
    et_canvas_text_fit(c, in.x, in.y + in.h - 3, in.w, ET_ROLE_DIM,
                       "every measured point is stored as a run labelled 'search <time>: <point>', as the CLI does");
    et_canvas_text_fit(c, in.x, in.y + in.h - 2, in.w, ET_ROLE_DIM,
                       "the workbench's own measurement shares the CPU: leave the knobs alone while it runs");
    et_canvas_text_fit(c, in.x, in.y + in.h - 1, in.w, ET_ROLE_DIM,
                       "Up/Down: row   Left/Right: change   Enter: start   Esc: close");
}

static void clock_text(double s, char *buf, size_t len) {
    int t = s > 0 && s < 359999 ? (int)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, len, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%d:%02d", t / 60, t % 60);
}

static double cost_of(const et_search_snapshot *s, const et_search_snap_point *p) {
    if (!p->measured)
        return NAN;
    return s->objective == ET_SEARCH_SIZE ? (double)p->bytes / 1024.0 : p->p50_ms;
}

static char mark_of(const et_search_snapshot *s, int i) {
    if (i == s->winner)
        return 'W';
    if (i == s->best_uniform)
        return 'U';
    switch (s->pts[i].kind) {
    case ET_SP_REFERENCE: return 'F';
    case ET_SP_BASE: return 'B';
    case ET_SP_UNIFORM: return 'o';
    default: return 'x';
    }
}

/* The Pareto-optimal measured points (cost against drop on the search half), in order of cost; returns how many. */
static int front_rows(const et_search_snapshot *s, int *order) {
    double cost[ET_SEARCH_SNAP_POINTS], qual[ET_SEARCH_SNAP_POINTS];
    bool opt[ET_SEARCH_SNAP_POINTS];
    for (int i = 0; i < s->n_pts; i++) {
        cost[i] = cost_of(s, &s->pts[i]);
        qual[i] = -s->pts[i].drop_search_pp;
    }
    et_pareto(cost, qual, s->n_pts, opt);
    int n = 0;
    for (int i = 0; i < s->n_pts; i++)
        if (opt[i]) {
            int k = n++;
            for (; k > 0 && cost[order[k - 1]] > cost[i]; k--)
                order[k] = order[k - 1];
            order[k] = i;
        }
    return n;
}

/* Points whose drop is far past the budget (4x it and 1 pp more) are left off the plot, which would otherwise
 * squeeze every point that matters into one line; the caption says how many. */
static bool on_plot(const et_search_snapshot *s, int i) {
    return s->pts[i].measured && s->pts[i].drop_search_pp <= 4.0 * s->max_drop_pp + 1.0;
}

static void draw_plot(const et_search_snapshot *s, et_canvas *c, et_rect r) {
    et_scatter_point pts[ET_SEARCH_SNAP_POINTS];
    int n = 0, off = 0;
    for (int i = 0; i < s->n_pts; i++) { /* the winner and the best uniform last: on top */
        off += s->pts[i].measured && !on_plot(s, i);
        if (i == s->winner || i == s->best_uniform || !on_plot(s, i))
            continue;
        pts[n++] = (et_scatter_point){cost_of(s, &s->pts[i]), -s->pts[i].drop_search_pp, mark_of(s, i), false};
    }
    for (int k = 0; k < 2; k++) {
        int i = k == 0 ? s->best_uniform : s->winner;
        if (i >= 0 && i < s->n_pts)
            pts[n++] = (et_scatter_point){cost_of(s, &s->pts[i]), -s->pts[i].drop_search_pp, mark_of(s, i), true};
    }
    char caption[160];
    snprintf(caption, sizeof caption, "-drop pp (search half); o uniform x per-layer U W%s", off ? "; " : "");
    if (off)
        snprintf(caption + strlen(caption), sizeof caption - strlen(caption), "%d off (drop > %.3g pp)", off,
                 4.0 * s->max_drop_pp + 1.0);
    et_w_scatter(c, r, pts, n, s->objective == ET_SEARCH_SIZE ? "size KiB" : "p50 ms", caption);
}

static void draw_front(const et_search_snapshot *s, et_canvas *c, et_rect r) {
    int order[ET_SEARCH_SNAP_POINTS];
    int n = front_rows(s, order);
    int nw = r.w - 50 < 20 ? 20 : r.w - 50 > 60 ? 60 : r.w - 50; /* the name column takes what the numbers leave */
    et_canvas_printf(c, r.x, r.y, r.w, ET_ROLE_HEADER, "%-2s %-*s %9s %9s %8s %8s %8s", "", nw, "Pareto front: point",
                     "p50 ms", "size KiB", "drop pp", "held-out", "pred err");
    if (n == 0)
        et_canvas_text_fit(c, r.x, r.y + 1, r.w, ET_ROLE_DIM, "(no point measured yet)");
    bool winner_on = false;
    for (int k = 0; k < n; k++)
        winner_on |= order[k] == s->winner;
    if (!winner_on && s->winner >= 0 && n < ET_SEARCH_SNAP_POINTS)
        order[n++] = s->winner; /* the winner (best within the drop) below the front when timing put it off it */
    for (int k = 0; k < n && k < r.h - 1; k++) {
        const et_search_snap_point *p = &s->pts[order[k]];
        bool w = order[k] == s->winner;
        char err[16] = ""; /* the latency prediction's error, finalists only (search_pred.h) */
        if (p->kind == ET_SP_FINALIST && !isnan(p->pred_err_pct))
            snprintf(err, sizeof err, "%+.1f%%", p->pred_err_pct);
        et_canvas_printf(c, r.x, r.y + 1 + k, r.w, w ? ET_ROLE_GOOD : ET_ROLE_VALUE,
                         "%c  %-*.*s %9.4f %9.1f %8.2f %8.2f %8s", mark_of(s, order[k]), nw, nw, p->name, p->p50_ms,
                         (double)p->bytes / 1024.0, p->drop_search_pp, p->drop_heldout_pp, err);
    }
}

/* The last three lines: the outcome (or what is happening) and the keys. */
static void draw_outcome(const et_ui *ui, et_canvas *c, et_rect in) {
    const et_search_snapshot *s = &ui->search;
    int y = in.y + in.h - 3;
    char line[ET_ERR_MSG_MAX * 2 + 128];
    if (!s->finished) {
        et_canvas_text_fit(c, in.x, y + 2, in.w, s->cancel_asked ? ET_ROLE_WARN : ET_ROLE_DIM,
                           s->cancel_asked ? "cancelling: stopping at the next point; what was measured is stored..."
                                           : "Esc or c: cancel (the points measured so far are kept and stored)");
        return;
    }
    if (s->status != ET_OK && s->status != ET_E_CANCELLED && s->n_measured > 0)
        snprintf(line, sizeof line, "ended by an error after %d measured points (kept): %s", s->n_measured, s->error);
    else if (s->status != ET_OK && s->status != ET_E_CANCELLED)
        snprintf(line, sizeof line, "%s", s->error);
    else if (s->winner >= 0)
        snprintf(line, sizeof line, "%s in %.1f s: winner %s, %.2f pp on the search half (%.2f held out)",
                 s->cancelled ? "cancelled" : "done", s->elapsed_s, s->pts[s->winner].name,
                 s->pts[s->winner].drop_search_pp, s->pts[s->winner].drop_heldout_pp);
    else
        snprintf(line, sizeof line, "%s in %.1f s: no finalist measured within %.2f pp",
                 s->cancelled ? "cancelled" : "done", s->elapsed_s, s->max_drop_pp);
    et_canvas_text_fit(c, in.x, y, in.w,
                       s->status == ET_OK            ? ET_ROLE_GOOD
                       : s->status == ET_E_CANCELLED ? ET_ROLE_WARN
                                                     : ET_ROLE_ERROR,
                       line);
    if (s->n_stored > 0)
        snprintf(line, sizeof line, "%d points stored as '%s: ...'%s%s", s->n_stored, s->group,
                 s->out_note[0] ? "; " : "", s->out_note);
    else
        snprintf(line, sizeof line, "not stored%s%s", s->out_note[0] ? "; " : "", s->out_note);
    et_canvas_text_fit(c, in.x, y + 1, in.w, ET_ROLE_VALUE, line);
    et_canvas_text_fit(c, in.x, y + 2, in.w, ET_ROLE_DIM,
                       s->winner >= 0
                           ? "Enter or a: apply the winner to the workbench   w: write it (--layers-config)   "
                             "Esc: close"
                           : "Esc: close");
}

static void draw_job(const et_ui *ui, et_canvas *c, et_rect in) {
    const et_search_snapshot *s = &ui->search;
    char knobs[160], spent[16], left[16], line[512];
    snprintf(line, sizeof line, "searching %s: max drop %.2f pp, %s, base %s", ui->snap.model.name, s->max_drop_pp,
             s->objective == ET_SEARCH_SIZE ? "size" : "latency", et_knobs_describe(&ui->knobs, knobs, sizeof knobs));
    et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_DIALOG, line);
    clock_text(s->elapsed_s, spent, sizeof spent);
    if (s->left_s >= 0)
        clock_text(s->left_s, left, sizeof left);
    else
        snprintf(left, sizeof left, "?");
    int n;
    if (s->finished)
        n = et_canvas_printf(c, in.x, in.y + 1, in.w, ET_ROLE_VALUE, "finished ");
    else if (strcmp(s->phase, "sensitivity") == 0)
        n = et_canvas_printf(c, in.x, in.y + 1, in.w, ET_ROLE_VALUE, "sensitivity %d/%d ", s->done, s->total);
    else if (s->total > 0)
        n = et_canvas_printf(c, in.x, in.y + 1, in.w, ET_ROLE_VALUE, "round %d/%d: %s %d/%d ", s->round, s->rounds,
                             strcmp(s->phase, "uniform") == 0 ? "uniform grid" : s->phase, s->done, s->total);
    else
        n = et_canvas_printf(c, in.x, in.y + 1, in.w, ET_ROLE_VALUE, "%s... ", s->phase);
    int bw = in.w - n - 44 > 8 ? in.w - n - 44 : 0;
    if (bw > 0)
        et_w_bar(c, in.x + n, in.y + 1, bw,
                 s->finished    ? 1.0
                 : s->total > 0 ? (double)s->done / s->total
                                : 0.0,
                 ET_ROLE_GRAPH);
    et_canvas_printf(c, in.x + n + bw + 1, in.y + 1, in.w - n - bw - 1, ET_ROLE_VALUE, "%s spent  %s left  %d measured",
                     spent, s->finished ? "0:00" : left, s->n_measured);
    et_canvas_text_fit(c, in.x, in.y + 2, in.w, ET_ROLE_DIM, s->fidelity[0] && !s->line[0] ? s->fidelity : s->line);
    bool pred = s->finished && s->pred_line[0]; /* how good the latency predictions were: a line above the outcome */
    et_rect body = {in.x, in.y + 4, in.w, in.h - 4 - 4 - (pred ? 1 : 0)};
    if (pred)
        et_canvas_text_fit(c, in.x, in.y + in.h - 4, in.w, ET_ROLE_VALUE, s->pred_line);
    if (body.w >= 120) { /* side by side */
        int pw = body.w - 76;
        draw_plot(s, c, (et_rect){body.x, body.y, pw, body.h});
        draw_front(s, c, (et_rect){body.x + pw + 2, body.y, body.w - pw - 2, body.h});
    } else {
        int ph = body.h * 3 / 5;
        draw_plot(s, c, (et_rect){body.x, body.y, body.w, ph});
        draw_front(s, c, (et_rect){body.x, body.y + ph, body.w, body.h - ph});
    }
    draw_outcome(ui, c, in);
}

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    et_canvas_fill(c, (et_rect){area.x, area.y + 1, area.w, area.h - 2}, ' ', ET_ROLE_NORMAL); /* an overlay */
    et_rect in = et_ui_dialog_frame(c, area.w - 4 < 150 ? area.w - 4 : 150, area.h - 2 < 40 ? area.h - 2 : 40,
                                    "Search");
    if (ui->search_active)
        draw_job(ui, c, in);
    else
        draw_form(ui, c, in);
}

/* ---- keys --------------------------------------------------------------------------------------------------- */

static unsigned start(et_ui *ui) {
    if (!ui->snap.model.path[0]) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "the model is still being opened: press Enter again");
        return ET_UI_REDRAW;
    }
    if (!ui->be || !ui->be->search_start) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "search is not available here");
        return ET_UI_REDRAW;
    }
    et_search_worker_options o = et_search_worker_options_default();
    o.model_path = ui->snap.model.path;
    o.knobs = ui->knobs;
    o.knobs.recover = (et_recover)ui->search_recover;
    o.max_drop_pp = drops[ui->search_drop];
    o.objective = form_objective(ui);
    o.candidates = ui->search_cands.text;
    o.point_s = seconds[ui->search_seconds];
    if (ui->search_quick) { /* QUICK_FLAGS */
        o.uniform_act_bits = "32";
        o.uniform_prune = "0";
        o.rounds = 1;
        o.iters = 20;
        o.sens_iters = 5;
    }
    et_err err = {0};
    if (ui->be->search_start(ui->be->ctx, &o, &err) != ET_OK) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "%s", err.msg);
        return ET_UI_REDRAW;
    }
    memset(&ui->search, 0, sizeof ui->search);
    ui->search.winner = ui->search.best_uniform = -1;
    ui->search.left_s = -1.0;
    ui->search.objective = o.objective;
    ui->search.max_drop_pp = o.max_drop_pp;
    snprintf(ui->search.phase, sizeof ui->search.phase, "opening");
    ui->search_active = true;
    ui->dialog_error[0] = '\0';
    return ET_UI_REDRAW;
}

static void close_search(et_ui *ui) {
    if (ui->be && ui->be->search_close)
        ui->be->search_close(ui->be->ctx);
    ui->search_active = false;
    ui->dialog = ET_DIALOG_NONE;
}

/* The winner's knobs (the base and its per-layer overrides) become the workbench's, measured at once. */
static unsigned apply_winner(et_ui *ui) {
    const et_search_snapshot *s = &ui->search;
    if (s->winner < 0)
        return 0;
    char name[96];
    snprintf(name, sizeof name, "%s", s->pts[s->winner].name);
    int n_layers = 0;
    for (const char *p = s->winner_knobs.layers; *p; p++)
        n_layers += *p == '\n';
    if (s->winner_knobs.layers[0])
        n_layers++;
    ui->knobs = s->winner_knobs;
    if (ui->be && ui->be->set_knobs)
        ui->be->set_knobs(ui->be->ctx, &ui->knobs);
    close_search(ui);
    ui->view = ET_VIEW_WORKBENCH;
    et_ui_message(ui, false, "applied the search's winner (%s): %d per-layer override%s; the layers view lists them",
                  name, n_layers, n_layers == 1 ? "" : "s");
    return ET_UI_REDRAW;
}

static unsigned write_winner(et_ui *ui) {
    if (ui->search.winner < 0 || !ui->be || !ui->be->search_write)
        return 0;
    et_err err = {0};
    if (ui->be->search_write(ui->be->ctx, ui->search_out.text, &err) != ET_OK)
        et_ui_message(ui, true, "%s", err.msg);
    else
        et_ui_message(ui, false, "wrote %s: `edgetune bench MODEL --layers-config %s` measures it again",
                      ui->search_out.text, ui->search_out.text);
    return ET_UI_REDRAW;
}

static unsigned job_key(et_ui *ui, et_action a, int k) {
    if (!ui->search.finished) {
        if ((a == ET_DO_CANCEL || k == 'c') && ui->be && ui->be->search_cancel) {
            ui->be->search_cancel(ui->be->ctx);
            ui->search.cancel_asked = true;
            return ET_UI_REDRAW;
        }
        return 0;
    }
    if (k == ET_KEY_ENTER || k == 'a')
        return apply_winner(ui);
    if (k == 'w')
        return write_winner(ui);
    if (a == ET_DO_CANCEL) {
        close_search(ui);
        return ET_UI_REDRAW;
    }
    return 0;
}

static int step(int v, int dir, int n) { return (v + dir + n) % n; }

static unsigned form_key(et_ui *ui, et_action a, int k) {
    if (a == ET_DO_CANCEL) {
        ui->dialog = ET_DIALOG_NONE;
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_UP || k == ET_KEY_DOWN) {
        ui->search_row = (ui->search_row + (k == ET_KEY_DOWN ? 1 : N_ROWS - 1)) % N_ROWS;
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_ENTER)
        return start(ui);
    et_field *f = ui->search_row == ROW_CANDS ? &ui->search_cands : ui->search_row == ROW_OUT ? &ui->search_out : NULL;
    if (f && k == ET_KEY_TAB && f == &ui->search_out) {
        et_completion m;
        et_field_complete_path(f, &m);
        return ET_UI_REDRAW;
    }
    if (f) {
        if (!et_field_key(f, k))
            return 0;
        ui->dialog_error[0] = '\0';
        return ET_UI_REDRAW;
    }
    int dir = a == ET_DO_RIGHT ? 1 : a == ET_DO_LEFT ? -1 : 0;
    if (!dir)
        return 0;
    switch (ui->search_row) {
    case ROW_DROP: ui->search_drop = step(ui->search_drop, dir, N_DROPS); break;
    case ROW_OBJECTIVE: {
        const char *was = et_search_default_candidates(form_objective(ui));
        ui->search_objective = form_objective(ui) == ET_SEARCH_SIZE ? ET_SEARCH_LATENCY : ET_SEARCH_SIZE;
        if (strcmp(ui->search_cands.text, was) == 0) /* not edited: the new objective's default, as the CLI's */
            et_field_set(&ui->search_cands, et_search_default_candidates(form_objective(ui)));
        break;
    }
    case ROW_RECOVER: ui->search_recover = step(ui->search_recover, dir, ET_RECOVER_COUNT); break;
    case ROW_EFFORT: ui->search_quick = !ui->search_quick; break;
    default: ui->search_seconds = step(ui->search_seconds, dir, N_SECONDS); break;
    }
    ui->dialog_error[0] = '\0';
    return ET_UI_REDRAW;
}

static unsigned key(et_ui *ui, et_action a, int k) {
    return ui->search_active ? job_key(ui, a, k) : form_key(ui, a, k);
}

static const et_footer_item footer[] = {{ET_DO_ENTER, "Start/Apply"}, {ET_DO_CANCEL, "Cancel/Close"}};

const et_view et_dialog_search = {.name = "search",
                                  .draw = draw,
                                  .key = key,
                                  .footer = footer,
                                  .n_footer = sizeof footer / sizeof footer[0]};
