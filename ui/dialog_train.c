/* dialog_train.c: the training view. First a form: what to train (fine-tune the open model as the knobs tune it,
 * or distill it, the teacher, into a student file), the training data (a folder of .npy inputs, or one batched
 * .npy), epochs, schedule (one-shot, or gradual pruning up to the knobs' ratio), peak learning rate, the file to
 * write, when that file's checkpoint exists whether to start from it (resume), and the weight of feature
 * distillation (fine-tune only: --feature-kd, off by default); Enter starts `edgetune
 * finetune` or `edgetune distill` on the current knobs (src/bench/train_job.h, on its own thread through the
 * backend, which refuses in the form what the job would refuse: a student with other inputs or outputs, a resume
 * without a checkpoint). Then the job: phase, epoch and step with a bar, the epoch's running loss, samples/s, time
 * left, loss and accuracy curves over the completed epochs and a row per epoch; at the end the accuracy of the
 * fp32 model, of the knobs applied one-shot (distill: of the untrained student) and of the trained model, the
 * stored run and the file. Esc or c cancels a running job (the checkpoint stays, the run is stored aborted);
 * after a cancelled job r resumes it from the checkpoint (the new run names the aborted one as its parent); after
 * a finished one, Enter or o opens the trained file in the workbench and Esc closes. The view decides nothing the
 * CLI does not: it draws and forwards. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/train_data.h"
#include "ui/ui.h"
#include "ui/widgets.h"

/* the learning rates offered (0: the optimizer's default, AdamW 0.001) */
static const float rates[] = {0.0f, 0.0001f, 0.0003f, 0.001f, 0.003f, 0.01f};
/* the feature distillation weights offered (0: off; the CLI's --feature-kd takes any in 0..100) */
static const float fkd_weights[] = {0.0f, 0.3f, 1.0f, 3.0f, 10.0f};
enum { N_RATES = sizeof rates / sizeof rates[0], N_FKD = sizeof fkd_weights / sizeof fkd_weights[0], MAX_EPOCHS = 100 };

/* ROW_DATA is 0: the row the form opens on (et_ui.train_row starts at 0). Shown in the order of `order`. */
enum { ROW_DATA, ROW_EPOCHS, ROW_SCHEDULE, ROW_LR, ROW_OUT, ROW_FROM, ROW_KIND, ROW_STUDENT, ROW_FKD, N_ROWS };
static const char *const row_names[N_ROWS] = {"data",  "epochs", "schedule", "learning rate", "write to",
                                              "start", "train",  "student",  "features"};
static const int order[N_ROWS] = {ROW_KIND, ROW_STUDENT, ROW_DATA, ROW_EPOCHS, ROW_SCHEDULE,
                                  ROW_LR,   ROW_OUT,     ROW_FROM, ROW_FKD};

/* Whether the form's output has a checkpoint to resume (asked of the backend: the file system's answer). */
static bool have_checkpoint(const et_ui *ui) {
    return ui->be && ui->be->train_checkpoint && ui->train_out.len &&
           ui->be->train_checkpoint(ui->be->ctx, ui->train_out.text);
}

/* Rows that mean nothing for the form's choices are shown dim and skipped by Up/Down: the student when
 * fine-tuning, the schedule and the features when distilling (the student trains as it is and has its own
 * layers), the start when there is no checkpoint. */
static bool row_live(const et_ui *ui, int r) {
    if (r == ROW_STUDENT)
        return ui->train_distill;
    if (r == ROW_SCHEDULE || r == ROW_FKD)
        return !ui->train_distill;
    if (r == ROW_FROM)
        return have_checkpoint(ui);
    return true;
}

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

/* text over at most n lines of width w from (x, y), broken at spaces; returns the lines used. */
static int text_wrap(et_canvas *c, int x, int y, int w, int n, et_role role, const char *text) {
    int used = 0;
    while (*text && used < n && w > 0) {
        size_t len = strlen(text), cut = len;
        if ((int)len > w && used < n - 1) {
            cut = (size_t)w;
            while (cut > 0 && text[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = (size_t)w;
        }
        char line[ET_ERR_MSG_MAX + ET_PATH_MAX];
        snprintf(line, sizeof line, "%.*s", (int)cut, text);
        et_canvas_text_fit(c, x, y + used++, w, role, line);
        text += cut;
        while (*text == ' ')
            text++;
    }
    return used;
}

static void draw_form(const et_ui *ui, et_canvas *c, et_rect in) {
    char knobs[160], line[512];
    if (ui->train_distill)
        snprintf(line, sizeof line,
                 "distill %s (the teacher) into a student: it learns the teacher's outputs (no labels needed)",
                 ui->snap.model.name);
    else
        snprintf(line, sizeof line,
                 "fine-tune %s as the knobs tune it, distilled from its fp32 self (no labels needed)",
                 ui->snap.model.name);
    et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_DIALOG, line);
    snprintf(line, sizeof line, "%s: %s", ui->train_distill ? "the student's knobs" : "knobs",
             et_knobs_describe(&ui->knobs, knobs, sizeof knobs));
    et_canvas_text_fit(c, in.x, in.y + 1, in.w, ET_ROLE_DIALOG, line);
    int lx = in.x + 2, vx = in.x + 17, vw = in.w - 17;
    bool ckpt = have_checkpoint(ui);
    for (int i = 0; i < N_ROWS; i++) {
        int r = order[i], y = in.y + 3 + i;
        bool sel = r == ui->train_row, live = row_live(ui, r);
        if (sel)
            et_canvas_glyph(c, in.x, y, ET_G_POINTER, ET_ROLE_SELECTED);
        et_canvas_text(c, lx, y, 14, sel ? ET_ROLE_SELECTED : live ? ET_ROLE_LABEL : ET_ROLE_DIM, row_names[r]);
        char v[ET_PATH_MAX + 64];
        switch (r) {
        case ROW_DATA: et_field_draw(&ui->train_data, c, vx, y, vw, sel); continue;
        case ROW_OUT: et_field_draw(&ui->train_out, c, vx, y, vw, sel); continue;
        case ROW_STUDENT:
            if (live) {
                et_field_draw(&ui->train_student, c, vx, y, vw, sel);
                continue;
            }
            snprintf(v, sizeof v, "(distill only)");
            break;
        case ROW_KIND:
            snprintf(v, sizeof v, "%s",
                     ui->train_distill ? "distill into a student (same inputs and outputs as the teacher)"
                                       : "fine-tune the model as the knobs tune it");
            break;
        case ROW_EPOCHS: snprintf(v, sizeof v, "%d", ui->train_epochs); break;
        case ROW_SCHEDULE:
            snprintf(v, sizeof v, "%s",
                     ui->train_distill   ? "(fine-tune only: distill trains the student as it is)"
                     : ui->train_gradual ? "gradual (prune from 0 up to the ratio while training)"
                                         : "one-shot (prune once, then train)");
            break;
        case ROW_FKD:
            if (ui->train_distill)
                snprintf(v, sizeof v, "(fine-tune only: the student has its own layers)");
            else if (fkd_weights[ui->train_fkd] > 0.0f)
                snprintf(v, sizeof v, "weight %g: convolution outputs pulled toward fp32's",
                         (double)fkd_weights[ui->train_fkd]);
            else
                snprintf(v, sizeof v, "off (the outputs alone are distilled)");
            break;
        case ROW_FROM:
            if (!ckpt)
                snprintf(v, sizeof v, "from scratch (no checkpoint %s.ckpt)", ui->train_out.text);
            else
                snprintf(v, sizeof v,
                         ui->train_resume ? "resume from the checkpoint %s.ckpt"
                                          : "from scratch (replacing the checkpoint %s.ckpt)",
                         ui->train_out.text);
            break;
        default: rate_text(ui->train_lr, v, sizeof v); break;
        }
        et_canvas_text_fit(c, vx, y, vw, live ? ET_ROLE_VALUE : ET_ROLE_DIM, v);
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
    if (ui->dialog_error[0]) /* the job's line (a student's shapes, a checkpoint's settings) can be long */
        text_wrap(c, in.x, y, in.w, 3, ET_ROLE_ERROR, ui->dialog_error);
    et_canvas_text_fit(c, in.x, in.y + in.h - 2, in.w, ET_ROLE_DIM,
                       ui->train_distill ? "each epoch is checkpointed to the file's .ckpt; the run is stored like "
                                           "`edgetune distill`'s"
                                         : "each epoch is checkpointed to the file's .ckpt; the run is stored like "
                                           "`edgetune finetune`'s");
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

/* A finished job that can go on from its checkpoint: cancelled, or aborted by a checkpoint that could not be
 * written (the previous one intact), and the checkpoint is there. */
static bool resumable(const et_ui *ui) {
    const et_train_snapshot *s = &ui->train;
    return s->finished && (s->status == ET_E_CANCELLED || s->status == ET_E_IO) && ui->be && ui->be->train_resume &&
           ui->be->train_checkpoint && ui->be->train_checkpoint(ui->be->ctx, s->out_path);
}

/* The last lines: the accuracies, then the outcome (or what is happening). */
static void draw_outcome(const et_ui *ui, et_canvas *c, et_rect in) {
    const et_train_snapshot *s = &ui->train;
    const et_train_record *t = &s->record;
    int y = in.y + in.h - 4;
    char line[ET_ERR_MSG_MAX + ET_PATH_MAX];
    bool failed = s->finished && s->status != ET_OK && s->status != ET_E_CANCELLED && s->status != ET_E_IO;
    if ((t->acc_fp32 >= 0 || t->acc_before >= 0) && !failed) {
        char fp[24], before[40], after[40];
        pct(fp, sizeof fp, t->acc_fp32, -1);
        pct(before, sizeof before, t->acc_before, t->acc_fp32);
        pct(after, sizeof after, t->acc_after, t->acc_fp32);
        et_canvas_text(c, in.x, y, 9, ET_ROLE_LABEL, "accuracy");
        snprintf(line, sizeof line, "fp32 %s   %s %s", fp,
                 s->kind == ET_TRAIN_DISTILL ? "student untrained" : "knobs one-shot", before);
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
    if (failed) { /* the job's one line (a checkpoint for other settings is a long one): over the accuracy rows */
        snprintf(line, sizeof line, "%s (%s)", s->error, run);
        text_wrap(c, in.x, y - 2, in.w, 3, ET_ROLE_ERROR, line);
        et_canvas_text_fit(c, in.x, y + 1, in.w, ET_ROLE_DIM, "Esc: close");
        return;
    }
    if (s->status == ET_OK)
        snprintf(line, sizeof line, "done in %.1f s: wrote %s, stored as %s", s->elapsed_s, t->output_path, run);
    else if (s->status == ET_E_CANCELLED) /* the job's own words name a command line; the view has none */
        snprintf(line, sizeof line, "cancelled (%s aborted); checkpoint kept: %s", run, s->checkpoint_path);
    else
        snprintf(line, sizeof line, "%s (%s aborted)", s->error, run);
    et_canvas_text_fit(c, in.x, y, in.w,
                       s->status == ET_OK            ? ET_ROLE_GOOD
                       : s->status == ET_E_CANCELLED ? ET_ROLE_WARN
                                                     : ET_ROLE_ERROR,
                       line);
    et_canvas_text_fit(c, in.x, y + 1, in.w, ET_ROLE_DIM,
                       t->output_path[0] ? "Enter or o: open the trained file in the workbench   Esc: close"
                       : resumable(ui)   ? "r: resume from the checkpoint (a new run; this one stays aborted)   "
                                           "Esc: close"
                                         : "Esc: close");
}

static void draw_job(const et_ui *ui, et_canvas *c, et_rect in) {
    const et_train_snapshot *s = &ui->train;
    char knobs[160], left[16], spent[16], line[ET_PATH_MAX + 512], student[ET_NAME_MAX];
    model_stem(s->student_path, student, sizeof student);
    const char *from = s->resume ? "resumed: " : ""; /* first: the title is cut at the dialog's width */
    if (s->kind == ET_TRAIN_DISTILL)
        snprintf(line, sizeof line, "%sdistilling %s into %s, %s, %d epoch%s", from, ui->snap.model.name, student,
                 et_knobs_describe(&ui->knobs, knobs, sizeof knobs), s->epochs, s->epochs == 1 ? "" : "s");
    else
        snprintf(line, sizeof line, "%sfine-tuning %s, %s, %d epoch%s%s", from, ui->snap.model.name,
                 et_knobs_describe(&ui->knobs, knobs, sizeof knobs), s->epochs, s->epochs == 1 ? "" : "s",
                 s->gradual ? ", gradual pruning" : "");
    et_canvas_text_fit(c, in.x, in.y, in.w, ET_ROLE_DIALOG, line);
    clock_text(s->elapsed_s, spent, sizeof spent);
    if (!s->training) {
        int n = et_canvas_printf(c, in.x, in.y + 1, in.w, ET_ROLE_VALUE, "%s%s   %s elapsed",
                                 s->finished ? "finished" : et_train_job_phase_name(s->phase), s->finished ? "" : "...",
                                 spent);
        if (s->record.resumed_from[0]) /* lineage: the run whose checkpoint this one continues */
            et_canvas_printf(c, in.x + n, in.y + 1, in.w - n, ET_ROLE_DIM, "   continues run %.8s from its checkpoint",
                             s->record.resumed_from);
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
    if (ui->train_distill && !ui->train_student.len) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error,
                 "type the student's .onnx file in the 'student' row (same inputs and outputs as %s)",
                 ui->snap.model.name);
        return ET_UI_REDRAW;
    }
    if (!ui->be || !ui->be->train_start) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "training is not available here");
        return ET_UI_REDRAW;
    }
    et_train_job_options o = et_train_job_options_default();
    o.kind = ui->train_distill ? ET_TRAIN_DISTILL : ET_TRAIN_FINETUNE;
    o.model_path = ui->snap.model.path;
    o.student_path = ui->train_distill ? ui->train_student.text : NULL;
    o.knobs = ui->knobs;
    o.data_path = ui->train_data.text;
    o.out_path = ui->train_out.text;
    o.epochs = ui->train_epochs;
    o.gradual = !ui->train_distill && ui->train_gradual;
    o.resume = ui->train_resume && have_checkpoint(ui);
    o.lr = rates[ui->train_lr];
    o.feature_kd = ui->train_distill ? 0.0f : fkd_weights[ui->train_fkd];
    et_err err = {0};
    if (ui->be->train_start(ui->be->ctx, &o, &err) != ET_OK) {
        snprintf(ui->dialog_error, sizeof ui->dialog_error, "%s", err.msg);
        return ET_UI_REDRAW;
    }
    et_train_snapshot_free(&ui->train);
    ui->train.epochs = o.epochs;
    ui->train.kind = o.kind;
    ui->train.gradual = o.gradual;
    ui->train.resume = o.resume;
    snprintf(ui->train.out_path, sizeof ui->train.out_path, "%s", o.out_path);
    snprintf(ui->train.student_path, sizeof ui->train.student_path, "%s", o.student_path ? o.student_path : "");
    ui->train_active = true;
    ui->dialog_error[0] = '\0';
    return ET_UI_REDRAW;
}

/* r after a cancelled job: the backend starts the same job again from its checkpoint. A refusal (the checkpoint
 * gone) stays on the message line and the finished job stays shown. */
static unsigned resume(et_ui *ui) {
    if (!resumable(ui))
        return 0;
    et_train_snapshot was = ui->train; /* plain fields only: its epochs are freed below */
    et_err err = {0};
    if (ui->be->train_resume(ui->be->ctx, &err) != ET_OK) {
        et_ui_message(ui, true, "%s", err.msg);
        return ET_UI_REDRAW;
    }
    et_train_snapshot_free(&ui->train);
    ui->train.epochs = was.epochs;
    ui->train.kind = was.kind;
    ui->train.gradual = was.gradual;
    ui->train.resume = true;
    memcpy(ui->train.out_path, was.out_path, sizeof was.out_path);
    memcpy(ui->train.student_path, was.student_path, sizeof was.student_path);
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
    if (k == 'r')
        return resume(ui);
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

/* The next live row in display order, dir +1 or -1 (the current one when no other is live). */
static int next_row(const et_ui *ui, int dir) {
    int at = 0;
    for (int i = 0; i < N_ROWS; i++)
        if (order[i] == ui->train_row)
            at = i;
    for (int step = 1; step < N_ROWS; step++) {
        int r = order[(at + dir * step + 2 * N_ROWS) % N_ROWS];
        if (row_live(ui, r))
            return r;
    }
    return ui->train_row;
}

static unsigned form_key(et_ui *ui, et_action a, int k) {
    if (a == ET_DO_CANCEL) {
        ui->dialog = ET_DIALOG_NONE;
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_UP || k == ET_KEY_DOWN) {
        ui->train_row = next_row(ui, k == ET_KEY_DOWN ? 1 : -1);
        return ET_UI_REDRAW;
    }
    if (k == ET_KEY_ENTER)
        return start(ui);
    et_field *f = ui->train_row == ROW_DATA      ? &ui->train_data
                  : ui->train_row == ROW_OUT     ? &ui->train_out
                  : ui->train_row == ROW_STUDENT ? &ui->train_student
                                                 : NULL;
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
    else if (ui->train_row == ROW_KIND)
        ui->train_distill = !ui->train_distill;
    else if (ui->train_row == ROW_FROM)
        ui->train_resume = !ui->train_resume;
    else if (ui->train_row == ROW_FKD)
        ui->train_fkd = (ui->train_fkd + dir + N_FKD) % N_FKD;
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
