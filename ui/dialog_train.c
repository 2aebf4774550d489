/* dialog_train.c: the training view. First a form: the training data (a folder of .npy inputs, or one batched
 * .npy), epochs, schedule (one-shot, or gradual pruning up to the knobs' ratio), peak learning rate and the file to
 * write; Enter starts `edgetune finetune` on the current knobs (src/bench/train_job.h, on its own thread through
 * the backend). Then the job: phase, epoch and step with a bar, the epoch's running loss, samples/s, time left,
 * loss and accuracy curves over the completed epochs and a row per epoch; at the end the accuracy of the fp32
 * model, of the knobs applied one-shot and of the trained model, the stored run and the file. Esc or c cancels a
 * running job (the checkpoint stays, the run is stored aborted); after it, Enter or o opens the trained file in the
 * workbench and Esc closes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/train_data.h"
#include "ui/ui.h"
#include "ui/widgets.h"

/* the learning rates offered (0: the optimizer's default, AdamW 0.001) */
static const float rates[] = {0.0f, 0.0001f, 0.0003f, 0.001f, 0.003f, 0.01f};
enum { N_RATES = sizeof rates / sizeof rates[0], MAX_EPOCHS = 100 };

enum { ROW_DATA, ROW_EPOCHS, ROW_SCHEDULE, ROW_LR, ROW_OUT, N_ROWS };
static const char *const row_names[N_ROWS] = {"data", "epochs", "schedule", "learning rate", "write to"};

/* The model's file name without folders and .onnx. */
static void model_stem(const char *path, char *out, size_t len) {
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && strcmp(dot, ".onnx") == 0)
        *dot = '\0';
}

void et_ui_train_begin(et_ui *ui) {
    if (!ui->train_active && !ui->snap.model.path[0]) { /* the defaults come from the model's path */
        et_ui_message(ui, true, "the model is still being opened: press T again in a moment");
        return;
    }
    ui->dialog = ET_DIALOG_TRAIN;
    ui->dialog_error[0] = '\0';
    if (ui->train_active)
        return;
    const char *model = ui->snap.model.path;
    if (!ui->train_data.len) {
        char def[ET_PATH_MAX];
        if (ui->train_default_data[0])
            et_field_set(&ui->train_data, ui->train_default_data);
        else if (et_train_default_set(model, "train", def, sizeof def))
            et_field_set(&ui->train_data, def);
    }
    if (!ui->train_out.len) {
        char stem[ET_NAME_MAX], out[ET_FIELD_MAX];
        model_stem(model, stem, sizeof stem);
        snprintf(out, sizeof out, "%s-trained.onnx", stem[0] ? stem : "model");
        et_field_set(&ui->train_out, out);
    }
}

/* ---- drawing ------------------------------------------------------------------------------------------------ */

static void rate_text(int i, char *buf, size_t len) {
    if (rates[i] > 0.0f)
        snprintf(buf, len, "%g", (double)rates[i]);
    else
        snprintf(buf, len, "default (AdamW 0.001, warm-up, cosine)");
}

static void draw_form(const et_ui *ui, et_canvas *c, et_rect in) {
    char knobs[160], line[512];
    snprintf(line, sizeof line, "fine-tune %s as the knobs tune it, distilled from its fp32 self (no labels needed)",
             ui->snap.model.name);
    et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_DIALOG, line);
    snprintf(line, sizeof line, "knobs: %s", et_knobs_describe(&ui->knobs, knobs, sizeof knobs));
    et_canvas_text_fit(c, in.x, in.y + 1, in.w, ET_ROLE_DIALOG, line);
    int lx = in.x + 2, vx = in.x + 17, vw = in.w - 17;
    for (int r = 0; r < N_ROWS; r++) {
        int y = in.y + 3 + r;
        bool sel = r == ui->train_row;
        if (sel)
            et_canvas_glyph(c, in.x, y, ET_G_POINTER, ET_ROLE_SELECTED);
        et_canvas_text(c, lx, y, 14, sel ? ET_ROLE_SELECTED : ET_ROLE_LABEL, row_names[r]);
        char v[96];
        switch (r) {
        case ROW_DATA: et_field_draw(&ui->train_data, c, vx, y, vw, sel); continue;
        case ROW_OUT: et_field_draw(&ui->train_out, c, vx, y, vw, sel); continue;
        case ROW_EPOCHS: snprintf(v, sizeof v, "%d", ui->train_epochs); break;
        case ROW_SCHEDULE:
            snprintf(v, sizeof v, "%s",
                     ui->train_gradual ? "gradual (prune from 0 up to the ratio while training)"
                                       : "one-shot (prune once, then train)");
            break;
        default: rate_text(ui->train_lr, v, sizeof v); break;
        }
        et_canvas_text_fit(c, vx, y, vw, ET_ROLE_VALUE, v);
    }
    int y = in.y + 4 + N_ROWS;
    if (!ui->train_data.len) {
        char stem[ET_NAME_MAX];
        model_stem(ui->snap.model.path, stem, sizeof stem);
        snprintf(line, sizeof line,
                 "no training data: type a folder of .npy inputs (there is no %s.train/ beside "
                 "the model)",
                 stem);
        et_canvas_text_fit(c, in.x, y++, in.w, ET_ROLE_WARN, line);
    }
    if (ui->dialog_error[0])
        et_canvas_text_fit(c, in.x, y, in.w, ET_ROLE_ERROR, ui->dialog_error);
    et_canvas_text_fit(c, in.x, in.y + in.h - 2, in.w, ET_ROLE_DIM,
                       "each epoch is checkpointed to the file's .ckpt; the run is stored like `edgetune finetune`'s");
    et_canvas_text_fit(c, in.x, in.y + in.h - 1, in.w, ET_ROLE_DIM,
                       "Up/Down: row   Left/Right: change   Tab: complete   Enter: start   Esc: close");
}

static void clock_text(double s, char *buf, size_t len) {
    int t = s > 0 && s < 359999 ? (int)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, len, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%d:%02d", t / 60, t % 60);
}

/* The accuracy of an epoch: on the evaluation labels, else the agreement with the fp32 model, else < 0. */
static double epoch_acc(const et_train_epoch *e) { return e->eval_acc >= 0 ? e->eval_acc : e->eval_agree; }

/* values v[0..n) stretched over w cells, as a sparkline between lo and hi */
static void curve(et_canvas *c, int x, int y, int w, const double *v, int n, double lo, double hi) {
    double cells[64];
    if (w > 64)
        w = 64;
    int per = n > 0 && n <= w ? w / n : 1, m = 0;
    for (int i = n > w ? n - w : 0; i < n && m < w; i++)
        for (int k = 0; k < per && m < w; k++)
            cells[m++] = v[i];
    et_w_sparkline(c, x, y, m, ET_ROLE_GRAPH, cells, m, lo, hi);
}

/* The two curves over the completed epochs, with their first and last values. */
static void draw_curves(const et_train_snapshot *s, et_canvas *c, et_rect in, int y) {
    const et_train_record *t = &s->record;
    double loss[ET_TRAIN_MAX_EPOCHS], acc[ET_TRAIN_MAX_EPOCHS];
    int n = t->n_epochs < ET_TRAIN_MAX_EPOCHS ? t->n_epochs : ET_TRAIN_MAX_EPOCHS, na = 0;
    double lmax = 0, alo = 1, ahi = 0;
    for (int e = 0; e < n; e++) {
        loss[e] = t->epoch[e].loss;
        lmax = fmax(lmax, loss[e]);
        if (epoch_acc(&t->epoch[e]) >= 0) {
            acc[na] = epoch_acc(&t->epoch[e]);
            alo = fmin(alo, acc[na]), ahi = fmax(ahi, acc[na]);
            na++;
        }
    }
    bool labels = n > 0 && t->epoch[n - 1].eval_acc >= 0;
    int cw = 24, tx = in.x + 18 + cw + 2;
    et_canvas_text(c, in.x, y, 17, ET_ROLE_LABEL, "loss per epoch");
    et_canvas_text(c, in.x, y + 1, 17, ET_ROLE_LABEL, labels ? "eval accuracy" : "agreement w/ fp32");
    if (n == 0) {
        et_canvas_text_fit(c, in.x + 18, y, in.w - 18, ET_ROLE_DIM, "(after the first epoch)");
        return;
    }
    curve(c, in.x + 18, y, cw, loss, n, 0, lmax > 0 ? lmax : 1);
    et_canvas_printf(c, tx, y, in.w - (tx - in.x), ET_ROLE_VALUE, "%.4f -> %.4f", loss[0], loss[n - 1]);
    if (na == 0) {
        et_canvas_text_fit(c, in.x + 18, y + 1, in.w - 18, ET_ROLE_DIM, "not measured (no evaluation set)");
        return;
    }
    /* a scale that shows the change: from a little under the lowest to the highest */
    double lo = alo - fmax(0.01, (ahi - alo) * 0.5);
    curve(c, in.x + 18, y + 1, cw, acc, na, lo > 0 ? lo : 0, ahi > lo ? ahi : lo + 0.01);
    et_canvas_printf(c, tx, y + 1, in.w - (tx - in.x), ET_ROLE_VALUE, "%.2f %% -> %.2f %%", 100.0 * acc[0],
                     100.0 * acc[na - 1]);
}

/* A row per completed epoch (the last ones that fit between y and y_end). */
static void draw_epochs(const et_train_snapshot *s, et_canvas *c, et_rect in, int y, int y_end) {
    const et_train_record *t = &s->record;
    et_canvas_text(c, in.x, y, in.w, ET_ROLE_HEADER,
                   "epoch      loss  eval acc  agreement  sparsity   samples/s   time");
    int rows = y_end - y - 1, first = t->n_epochs > rows ? t->n_epochs - rows : 0;
    for (int e = first; e < t->n_epochs; e++) {
        const et_train_epoch *p = &t->epoch[e];
        char acc[16], agree[16];
        snprintf(acc, sizeof acc, p->eval_acc >= 0 ? "%.2f %%" : "n/a", 100.0 * p->eval_acc);
        snprintf(agree, sizeof agree, p->eval_agree >= 0 ? "%.2f %%" : "n/a", 100.0 * p->eval_agree);
        et_canvas_printf(c, in.x, y + 1 + e - first, in.w, ET_ROLE_VALUE, "%5d %9.4f %9s %10s %7.1f %% %11.0f %6.1f s",
                         p->epoch, p->loss, acc, agree, 100.0 * p->sparsity, p->samples_per_s, p->seconds);
    }
}

static void pct(char *buf, size_t len, double f, double ref) {
    if (f < 0)
        snprintf(buf, len, "n/a");
    else if (ref < 0)
        snprintf(buf, len, "%.2f %%", 100.0 * f);
    else
        snprintf(buf, len, "%.2f %% (%+.2f pp)", 100.0 * f, 100.0 * (f - ref));
}

/* The last lines: the accuracies, then the outcome (or what is happening). */
static void draw_outcome(const et_ui *ui, et_canvas *c, et_rect in) {
    const et_train_snapshot *s = &ui->train;
    const et_train_record *t = &s->record;
    int y = in.y + in.h - 4;
    char line[ET_ERR_MSG_MAX + ET_PATH_MAX];
    if (t->acc_fp32 >= 0 || t->acc_before >= 0) {
        char fp[24], before[40], after[40];
        pct(fp, sizeof fp, t->acc_fp32, -1);
        pct(before, sizeof before, t->acc_before, t->acc_fp32);
        pct(after, sizeof after, t->acc_after, t->acc_fp32);
        et_canvas_text(c, in.x, y, 9, ET_ROLE_LABEL, "accuracy");
        snprintf(line, sizeof line, "fp32 %s   knobs one-shot %s", fp, before);
        et_canvas_text_fit(c, in.x + 10, y, in.w - 10, ET_ROLE_VALUE, line);
        int n = et_canvas_printf(c, in.x + 10, y + 1, in.w - 10, s->finished ? ET_ROLE_VALUE : ET_ROLE_DIM,
                                 "trained %s", s->finished ? after : "(after the last epoch)");
        if (t->eval_source[0]) {
            snprintf(line, sizeof line, "  on %s", t->eval_source);
            et_canvas_text_fit(c, in.x + 10 + n, y + 1, in.w - 10 - n, ET_ROLE_DIM, line);
        }
    }
    y += 2;
    if (!s->finished) {
        et_canvas_text_fit(c, in.x, y, in.w, s->cancel_asked ? ET_ROLE_WARN : ET_ROLE_DIM,
                           s->cancel_asked ? "cancelling: the checkpoint is written at the next step..."
                                           : "Esc or c: cancel (the checkpoint stays; the run is stored aborted)");
        return;
    }
    char run[64] = "not stored";
    if (s->run_id > 0)
        snprintf(run, sizeof run, "run %lld", (long long)s->run_id);
    if (s->status == ET_OK)
        snprintf(line, sizeof line, "done in %.1f s: wrote %s, stored as %s", s->elapsed_s, t->output_path, run);
    else if (s->status == ET_E_CANCELLED) /* the job's own words name a command line; the view has none */
        snprintf(line, sizeof line, "cancelled (%s aborted); checkpoint kept: %s", run, s->checkpoint_path);
    else
        snprintf(line, sizeof line, "%s (%s)", s->error, run);
    et_canvas_text_fit(c, in.x, y, in.w,
                       s->status == ET_OK            ? ET_ROLE_GOOD
                       : s->status == ET_E_CANCELLED ? ET_ROLE_WARN
                                                     : ET_ROLE_ERROR,
                       line);
    et_canvas_text_fit(c, in.x, y + 1, in.w, ET_ROLE_DIM,
                       t->output_path[0]             ? "Enter or o: open the trained file in the workbench   Esc: close"
                       : s->status == ET_E_CANCELLED ? "Esc: close   (`edgetune finetune` with the same model, knobs, "
                                                       "data and -o, plus --resume, continues it)"
                                                     : "Esc: close");
}

static void draw_job(const et_ui *ui, et_canvas *c, et_rect in) {
    const et_train_snapshot *s = &ui->train;
    char knobs[160], left[16], spent[16], line[512];
    snprintf(line, sizeof line, "fine-tuning %s, %s, %d epoch%s%s", ui->snap.model.name,
             et_knobs_describe(&ui->knobs, knobs, sizeof knobs), s->epochs, s->epochs == 1 ? "" : "s",
             ui->train_gradual ? ", gradual pruning" : "");
    et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_DIALOG, line);
    clock_text(s->elapsed_s, spent, sizeof spent);
    if (!s->training) {
        et_canvas_printf(c, in.x, in.y + 1, in.w, ET_ROLE_VALUE, "%s%s   %s elapsed",
                         s->finished ? "finished" : et_train_job_phase_name(s->phase), s->finished ? "" : "...", spent);
    } else {
        int n = et_canvas_printf(c, in.x, in.y + 1, in.w, ET_ROLE_VALUE, "epoch %d/%d  step %lld/%lld ", s->epoch,
                                 s->epochs, (long long)s->step_in_epoch, (long long)s->steps_per_epoch);
        double frac = s->total_steps > 0 ? (double)s->global_step / (double)s->total_steps : 0.0;
        int bw = in.w - n - 16;
        et_w_bar(c, in.x + n, in.y + 1, bw, frac, ET_ROLE_GRAPH);
        et_canvas_printf(c, in.x + n + bw + 1, in.y + 1, 15, ET_ROLE_VALUE, "%3.0f %% of all", 100.0 * frac);
        clock_text(s->eta_s, left, sizeof left);
        et_canvas_printf(c, in.x, in.y + 2, in.w, ET_ROLE_VALUE,
                         "loss %.4f (epoch's mean so far)  %.0f samples/s  %s left  %s spent", s->loss,
                         s->samples_per_s, left, spent);
    }
    if (s->note[0] && !s->finished)
        et_canvas_text_fit(c, in.x, in.y + 3, in.w, ET_ROLE_DIM, s->note);
    draw_curves(s, c, in, in.y + 5);
    draw_epochs(s, c, in, in.y + 8, in.y + in.h - 4);
    draw_outcome(ui, c, in);
}

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    et_canvas_fill(c, (et_rect){area.x, area.y + 1, area.w, area.h - 2}, ' ', ET_ROLE_NORMAL); /* an overlay */
    et_rect in = et_ui_dialog_frame(c, area.w - 4 < 110 ? area.w - 4 : 110, area.h - 2 < 26 ? area.h - 2 : 26, "Train");
    if (ui->train_active)
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
    if (!ui->train_data.len) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error,
                 "no training data: type a folder of .npy inputs (or one batched .npy) in the data row");
        return ET_UI_REDRAW;
    }
    if (!ui->train_out.len) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "type the file to write in the 'write to' row");
        return ET_UI_REDRAW;
    }
    if (!ui->be || !ui->be->train_start) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "training is not available here");
        return ET_UI_REDRAW;
    }
    et_train_job_options o = et_train_job_options_default();
    o.model_path = ui->snap.model.path;
    o.knobs = ui->knobs;
    o.data_path = ui->train_data.text;
    o.out_path = ui->train_out.text;
    o.epochs = ui->train_epochs;
    o.gradual = ui->train_gradual;
    o.lr = rates[ui->train_lr];
    et_err err = {0};
    if (ui->be->train_start(ui->be->ctx, &o, &err) != ET_OK) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "%s", err.msg);
        return ET_UI_REDRAW;
    }
    et_train_snapshot_free(&ui->train);
    ui->train.epochs = o.epochs;
    ui->train_active = true;
    ui->dialog_error[0] = '\0';
    return ET_UI_REDRAW;
}

/* Opens the trained file in the workbench at fp32 knobs (the file is already tuned), threads kept, measured on
 * the evaluation set of the model it was trained from. */
static unsigned open_trained(et_ui *ui) {
    const char *path = ui->train.record.output_path;
    et_err err = {0};
    if (!path[0] || !ui->be || !ui->be->open_model)
        return 0;
    et_status (*open)(void *, const char *, et_err *) = ui->be->open_trained ? ui->be->open_trained
                                                                             : ui->be->open_model;
    if (open(ui->be->ctx, path, &err) != ET_OK) {
        et_ui_message(ui, true, "%s", err.msg);
        return ET_UI_REDRAW;
    }
    et_knobs k = et_knobs_default();
    k.threads = ui->knobs.threads;
    ui->knobs = k;
    if (ui->be->set_knobs)
        ui->be->set_knobs(ui->be->ctx, &k);
    ui->dialog = ET_DIALOG_NONE;
    ui->runs_stale = true;
    et_ui_message(ui, false, "opened the trained %s (as written: knobs at fp32)", path);
    if (ui->be->train_close)
        ui->be->train_close(ui->be->ctx);
    ui->train_active = false;
    return ET_UI_REDRAW;
}

static unsigned job_key(et_ui *ui, et_action a, int k) {
    if (!ui->train.finished) {
        if ((a == ET_DO_CANCEL || k == 'c') && ui->be && ui->be->train_cancel) {
            ui->be->train_cancel(ui->be->ctx);
            ui->train.cancel_asked = true;
            return ET_UI_REDRAW;
        }
        return 0;
    }
    if (k == ET_KEY_ENTER || k == 'o')
        return open_trained(ui);
    if (a == ET_DO_CANCEL) {
        if (ui->be && ui->be->train_close)
            ui->be->train_close(ui->be->ctx);
        ui->train_active = false;
        ui->dialog = ET_DIALOG_NONE;
        return ET_UI_REDRAW;
    }
    return 0;
}

static unsigned form_key(et_ui *ui, et_action a, int k) {
    if (a == ET_DO_CANCEL) {
        ui->dialog = ET_DIALOG_NONE;
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_UP || k == ET_KEY_DOWN) {
        ui->train_row = (ui->train_row + (k == ET_KEY_DOWN ? 1 : N_ROWS - 1)) % N_ROWS;
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_ENTER)
        return start(ui);
    et_field *f = ui->train_row == ROW_DATA ? &ui->train_data : ui->train_row == ROW_OUT ? &ui->train_out : NULL;
    if (f && k == ET_KEY_TAB) {
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
    if (ui->train_row == ROW_EPOCHS)
        ui->train_epochs = ui->train_epochs + dir < 1            ? 1
                           : ui->train_epochs + dir > MAX_EPOCHS ? MAX_EPOCHS
                                                                 : ui->train_epochs + dir;
    else if (ui->train_row == ROW_SCHEDULE)
        ui->train_gradual = !ui->train_gradual;
    else
        ui->train_lr = (ui->train_lr + dir + N_RATES) % N_RATES;
    ui->dialog_error[0] = '\0';
    return ET_UI_REDRAW;
}

static unsigned key(et_ui *ui, et_action a, int k) { return ui->train_active ? job_key(ui, a, k) : form_key(ui, a, k); }

static const et_footer_item footer[] = {{ET_DO_ENTER, "Start/Open"}, {ET_DO_CANCEL, "Cancel/Close"}};

const et_view et_dialog_train = {.name = "train",
                                 .draw = draw,
                                 .key = key,
                                 .footer = footer,
                                 .n_footer = sizeof footer / sizeof footer[0]};
