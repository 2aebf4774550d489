/* test_views.c: keys drive the state and the backend as the issue says: arrows change knobs and post them at
 * once, b/r/0/q/?/Tab do what the help says, the history filters, sorts, marks and compares, the export dialog
 * writes every format, the open dialog keeps its error and the old model on failure. A fake backend records
 * the calls; screens are drawn into canvases to check what the user sees. */
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "et_test.h"
#include "ui/fake_ui.h"

static char *screen(et_ui *ui, int w, int h) {
    et_canvas c;
    if (!et_canvas_init(&c, w, h, false))
        return NULL;
    et_ui_draw(ui, &c);
    char *s = et_canvas_to_string(&c);
    et_canvas_free(&c);
    return s;
}

static void test_knob_keys_post_at_once(void) {
    fake_backend be;
    fake_backend_init(&be, 5);
    et_ui ui;
    et_knobs k = et_knobs_default();
    et_ui_init(&ui, &be.ops, &k, false, 4, "avx2+fma", "");
    ET_CHECK_INT(et_ui_key(&ui, ET_KEY_LEFT) & ET_UI_REDRAW, ET_UI_REDRAW); /* 32 is the first: nothing posted */
    ET_CHECK_INT(be.set_knobs_calls, 0);
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK_INT(be.set_knobs_calls, 1);
    ET_CHECK_INT(be.last_knobs.weight_bits, 16);
    et_ui_key(&ui, 'l'); /* vi alias */
    ET_CHECK_INT(be.last_knobs.weight_bits, 8);
    for (int i = 0; i < 4; i++)
        et_ui_key(&ui, ET_KEY_DOWN); /* to the prune ratio */
    ET_CHECK_INT(ui.knob, ET_KNOB_PRUNE_RATIO);
    for (int i = 0; i < 6; i++)
        et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK_NEAR(be.last_knobs.prune_ratio, 0.30, 1e-6);
    ET_CHECK_INT(be.last_knobs.weight_bits, 8);
    ET_CHECK_INT(be.set_knobs_calls, 8);
    et_ui_key(&ui, ET_KEY_UP);
    ET_CHECK_INT(ui.knob, ET_KNOB_SYMMETRIC);
    et_ui_key(&ui, '0');
    ET_CHECK(et_knobs_is_fp32(&be.last_knobs));
    et_ui_key(&ui, 'b');
    ET_CHECK_INT(be.mark_calls, 1);
    et_ui_key(&ui, 'r');
    ET_CHECK_INT(be.remeasure_calls, 1);
    ET_CHECK(et_ui_key(&ui, 'q') & ET_UI_QUIT);
    ET_CHECK(et_ui_key(&ui, ET_KEY_F10) & ET_UI_QUIT);
    et_ui_free(&ui);
}

static void test_views_help_and_tab(void) {
    fake_backend be;
    fake_backend_init(&be, 5);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    et_ui_key(&ui, ET_KEY_TAB);
    ET_CHECK_INT(ui.view, ET_VIEW_HISTORY);
    et_ui_key(&ui, ET_KEY_TAB);
    et_ui_key(&ui, ET_KEY_TAB);
    et_ui_key(&ui, ET_KEY_TAB);
    ET_CHECK_INT(ui.view, ET_VIEW_WORKBENCH);
    et_ui_key(&ui, ET_KEY_BACKTAB);
    ET_CHECK_INT(ui.view, ET_VIEW_COMPARE);
    et_ui_key(&ui, '1');
    et_ui_key(&ui, '?');
    ET_CHECK_INT(ui.dialog, ET_DIALOG_HELP);
    char *s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "Keys") && strstr(s, "previous knob"));
    free(s);
    ET_CHECK((et_ui_key(&ui, 'q') & ET_UI_QUIT) == 0); /* q closes the help first */
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    /* while the help is up, knob keys do not reach the workbench */
    et_ui_key(&ui, '?');
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK_INT(be.set_knobs_calls, 0);
    et_ui_free(&ui);
}

static void test_workbench_screen(void) {
    fake_backend be;
    fake_backend_init(&be, 5);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    char *s = screen(&ui, 80, 24);
    ET_REQUIRE(s != NULL);
    /* header: model, host, threads, ISA, CPU; both runs with delta and the ratio's direction in words */
    ET_CHECK(strstr(s, "mobilenet_v2.onnx") && strstr(s, "host pi5") && strstr(s, "4 threads") &&
             strstr(s, "neon+dot"));
    ET_CHECK(strstr(s, "9.87 ms") && strstr(s, "4.13 ms") && strstr(s, "-5.74 ms") && strstr(s, "2.39x faster"));
    ET_CHECK(strstr(s, "THROTTLED") != NULL);
    free(s);
    /* knobs that cannot run: the reason on the screen, prefixed n/a */
    ui.snap.state = ET_WORKER_FAILED;
    snprintf(ui.snap.error, sizeof ui.snap.error, "quantization is not available");
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "n/a: quantization is not available"));
    free(s);
    s = screen(&ui, 79, 24);
    ET_CHECK(s && strstr(s, "terminal too small: 79x24") && strstr(s, "at least 80x24"));
    free(s);
    et_ui_free(&ui);
}

static void test_history_filter_sort_mark_compare(void) {
    fake_backend be;
    fake_backend_init(&be, 10);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    et_ui_key(&ui, '2');
    char *s = screen(&ui, 100, 30);
    ET_CHECK(s && strstr(s, "Runs: 10 of 10"));
    free(s);
    ET_CHECK_INT(ui.runs[ui.rows[0]].id, 10); /* newest first */
    /* filter */
    et_ui_key(&ui, '/');
    for (const char *p = "jetson"; *p; p++)
        et_ui_key(&ui, *p);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK(!ui.filtering);
    for (int i = 0; i < ui.n_rows; i++)
        ET_CHECK_STR(ui.runs[ui.rows[i]].hostname, "jetson");
    ET_CHECK(ui.n_rows > 0 && ui.n_rows < 10);
    et_ui_key(&ui, ET_KEY_ESC);
    ET_CHECK_INT(ui.n_rows, 10);
    /* sort by p50, ascending */
    et_ui_key(&ui, 's');
    ET_CHECK_INT(ui.hist_sort, 1);
    for (int i = 1; i < ui.n_rows; i++)
        ET_CHECK(ui.runs[ui.rows[i - 1]].p50_ms <= ui.runs[ui.rows[i]].p50_ms);
    et_ui_key(&ui, 'S');
    for (int i = 1; i < ui.n_rows; i++)
        ET_CHECK(ui.runs[ui.rows[i - 1]].p50_ms >= ui.runs[ui.rows[i]].p50_ms);
    /* mark two and compare them */
    et_ui_key(&ui, 'g');
    int64_t first = ui.runs[ui.rows[0]].id, second = ui.runs[ui.rows[1]].id;
    et_ui_key(&ui, ' ');
    et_ui_key(&ui, ' ');
    ET_CHECK(et_ui_is_marked(&ui, first) && et_ui_is_marked(&ui, second));
    et_ui_key(&ui, 'c');
    ET_CHECK_INT(ui.view, ET_VIEW_COMPARE);
    ET_CHECK_INT(be.n_compared, 2);
    ET_CHECK(be.compared[0] == first && be.compared[1] == second);
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "Compare: 2 runs") && strstr(s, "faster"));
    free(s);
    /* Enter in the history compares the run under the cursor only, and keeps the marks */
    et_ui_key(&ui, '2');
    et_ui_key(&ui, 'G');
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.n_compared, 1);
    ET_CHECK_INT(ui.n_marked, 2);
    et_ui_key(&ui, '2');
    et_ui_key(&ui, 'u');
    ET_CHECK_INT(ui.n_marked, 0);
    et_ui_free(&ui);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_export_every_format(void) {
    fake_backend be;
    fake_backend_init(&be, 6);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    char dir[] = "/tmp/et_export_XXXXXX";
    ET_REQUIRE(mkdtemp(dir) != NULL);
    et_ui_key(&ui, '2');
    et_ui_key(&ui, ' '); /* one marked run: only it is exported */
    for (int f = 0; f < ET_TABLE_FORMAT_COUNT; f++) {
        et_ui_key(&ui, 'e');
        ET_REQUIRE(ui.dialog == ET_DIALOG_EXPORT);
        ui.export_format = f;
        char path[256];
        snprintf(path, sizeof path, "%s/runs.%s", dir, et_table_format_name((et_table_format)f));
        et_field_set(&ui.export_path, path);
        et_ui_key(&ui, ET_KEY_ENTER);
        ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
        ET_CHECK(strstr(ui.message, "exported 1 row") != NULL);
        char *text = slurp(path);
        ET_CHECK_MSG(text && strstr(text, "mobilenet"), "%s", path); /* LaTeX escapes the underscore */
    }
    char *csv = slurp(strcat(strcpy((char[256]){0}, dir), "/runs.csv"));
    ET_CHECK(csv && strncmp(csv, "id,", 3) == 0);
    /* the format keys move the extension along */
    et_ui_key(&ui, 'e');
    et_field_set(&ui.export_path, "out.csv");
    ui.export_format = ET_TABLE_CSV;
    et_ui_key(&ui, ET_KEY_DOWN);
    ET_CHECK_STR(ui.export_path.text, "out.json");
    /* a path that cannot be written: the error stays in the dialog */
    et_field_set(&ui.export_path, "/nonexistent-dir/x.json");
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_EXPORT);
    ET_CHECK(strstr(ui.dialog_error, "/nonexistent-dir") != NULL);
    et_ui_key(&ui, ET_KEY_ESC);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    /* the workbench exports its comparison */
    et_ui_key(&ui, '1');
    et_ui_key(&ui, 'e');
    char path[256];
    snprintf(path, sizeof path, "%s/bench.md", dir);
    ui.export_format = ET_TABLE_MD;
    et_field_set(&ui.export_path, path);
    et_ui_key(&ui, ET_KEY_ENTER);
    char *md = slurp(path);
    ET_CHECK(md && strstr(md, "faster") && strstr(md, "| p50"));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ET_CHECK(system(cmd) == 0);
    et_ui_free(&ui);
}

static void test_open_dialog(void) {
    fake_backend be;
    fake_backend_init(&be, 3);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    et_ui_key(&ui, 'o');
    ET_CHECK_INT(ui.dialog, ET_DIALOG_OPEN);
    ET_CHECK_STR(ui.open_path.text, "/models/"); /* starts in the open model's folder */
    et_field_set(&ui.open_path, "/missing.onnx");
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_OPEN);
    ET_CHECK(strstr(ui.dialog_error, "no such file") != NULL);
    et_ui_key(&ui, ET_KEY_CTRL_U);
    for (const char *p = "/m/other.onnx"; *p; p++)
        et_ui_key(&ui, *p);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    ET_CHECK_STR(be.opened, "/m/other.onnx");
    ET_CHECK_INT(be.set_knobs_calls, 0); /* typing a path never turned a knob */
    et_ui_free(&ui);
}

static void test_worker_message_and_stale_history(void) {
    fake_backend be;
    fake_backend_init(&be, 3);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    et_ui_key(&ui, '2');
    char *s = screen(&ui, 80, 24);
    free(s);
    ET_CHECK(!ui.runs_stale);
    ui.snap.runs_saved++;
    snprintf(ui.snap.message, sizeof ui.snap.message, "run 13 is now the baseline");
    ui.snap.message_seq++;
    et_ui_snapshot_changed(&ui);
    ET_CHECK(ui.runs_stale);
    ET_CHECK_STR(ui.message, "run 13 is now the baseline");
    et_ui_key(&ui, ET_KEY_DOWN); /* the next key clears the message line */
    ET_CHECK_STR(ui.message, "");
    et_ui_free(&ui);
}

/* The training dialog: T opens the form (no data beside the model: a clear line, nothing started); typed data,
 * epochs, schedule and rate reach the backend with the current knobs; while the job runs Esc and c cancel and
 * the dialog stays; once finished Enter opens the trained file at fp32 knobs and closes the job; a stored
 * training run makes the history stale. */
static void test_train_dialog(void) {
    fake_backend be;
    fake_backend_init(&be, 3);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    char model[ET_PATH_MAX];
    snprintf(model, sizeof model, "%s", ui.snap.model.path);
    ui.snap.model.path[0] = '\0'; /* before the first snapshot: no model path to take defaults from */
    et_ui_key(&ui, 'T');
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    ET_CHECK(strstr(ui.message, "still being opened") != NULL);
    snprintf(ui.snap.model.path, sizeof ui.snap.model.path, "%s", model);
    et_ui_key(&ui, 'T');
    ET_CHECK_INT(ui.dialog, ET_DIALOG_TRAIN);
    ET_CHECK_STR(ui.train_data.text, ""); /* /models/mobilenet_v2.train does not exist here */
    ET_CHECK_STR(ui.train_out.text, "mobilenet_v2-trained.onnx");
    char *s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "no training data: type a folder of .npy inputs") != NULL);
    free(s);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.train_start_calls, 0);
    ET_CHECK(strstr(ui.dialog_error, "no training data") != NULL);
    et_ui_key(&ui, 'q'); /* typed into the data field: q does not quit here */
    ET_CHECK_STR(ui.train_data.text, "q");
    et_ui_key(&ui, ET_KEY_CTRL_U);
    for (const char *p = "/data/missing"; *p; p++)
        et_ui_key(&ui, *p);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.train_start_calls, 1);
    ET_CHECK(!ui.train_active);
    ET_CHECK(strstr(ui.dialog_error, "no such file") != NULL);
    et_field_set(&ui.train_data, "/data/fmnist.train");
    /* epochs 2, gradual, rate 0.0003, then write to and (start is dim: no checkpoint) features at weight 3 */
    const int k[] = {ET_KEY_DOWN,  ET_KEY_RIGHT, ET_KEY_RIGHT, ET_KEY_LEFT,  ET_KEY_DOWN,
                     ET_KEY_RIGHT, ET_KEY_DOWN,  'l',          'l',          ET_KEY_DOWN,
                     ET_KEY_DOWN,  ET_KEY_RIGHT, ET_KEY_RIGHT, ET_KEY_RIGHT, ET_KEY_ENTER};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        et_ui_key(&ui, k[i]);
    ET_CHECK_INT(be.train_start_calls, 2);
    ET_CHECK(ui.train_active);
    ET_CHECK_STR(be.train_data, "/data/fmnist.train");
    ET_CHECK_STR(be.train_out, "mobilenet_v2-trained.onnx");
    ET_CHECK_INT(be.train_epochs, 2);
    ET_CHECK(be.train_gradual);
    ET_CHECK_NEAR(be.train_lr, 0.0003, 1e-9);
    ET_CHECK_NEAR(be.train_fkd, 3.0, 1e-9);
    ET_CHECK_INT(be.train_knobs.weight_bits, 8);
    ET_CHECK_NEAR(be.train_knobs.prune_ratio, 0.3, 1e-6);
    ET_CHECK_INT(be.set_knobs_calls, 0); /* the form's arrows never turned a knob */
    fake_ui_train(&ui.train, false);
    et_ui_key(&ui, 'c');
    ET_CHECK_INT(be.train_cancel_calls, 1);
    et_ui_key(&ui, ET_KEY_ESC);
    ET_CHECK_INT(be.train_cancel_calls, 2);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_TRAIN); /* it stays until the job has stopped */
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "cancelling: the checkpoint is written") != NULL);
    free(s);
    fake_ui_train(&ui.train, true);
    ui.runs_stale = false;
    et_ui_train_changed(&ui);
    ET_CHECK(ui.runs_stale);
    ET_CHECK_INT(ui.train_run_seen, 13);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_STR(be.opened, "mobilenet_v2-trained.onnx");
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    ET_CHECK_INT(be.train_close_calls, 1);
    ET_CHECK_INT(be.set_knobs_calls, 1);
    ET_CHECK_INT(be.last_knobs.weight_bits, 32);
    ET_CHECK_INT(be.last_knobs.threads, 4);
    ET_CHECK(!ui.train_active);
    et_ui_free(&ui);
}

/* Resume and distill in the training view. The form's 'start' row is skipped (and Enter starts afresh) while the
 * output has no checkpoint; once the backend reports one, the row is live and turned to resume, and the job starts
 * with resume set. After a cancelled job, r resumes only when the checkpoint exists (else r does nothing: no call);
 * after a finished one r does nothing. Distill: the student row is skipped while fine-tuning; turned to distill,
 * an empty student is refused in the form, a student whose outputs differ is refused with the backend's line
 * (nothing started), a good one starts a distill job with the open model as the teacher and no gradual pruning. */
static void test_train_resume_distill(void) {
    fake_backend be;
    fake_backend_init(&be, 3);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    snprintf(ui.train_default_data, sizeof ui.train_default_data, "/data/fmnist.train");
    et_ui_key(&ui, 'T');
    ET_CHECK_INT(ui.dialog, ET_DIALOG_TRAIN);
    /* no checkpoint: from 'write to', Down skips 'start' to features, then wraps to the first row (train) */
    for (int i = 0; i < 6; i++) /* data -> epochs -> schedule -> rate -> write to -> features -> train */
        et_ui_key(&ui, ET_KEY_DOWN);
    char *s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "▶ train ") != NULL);
    ET_CHECK(s && strstr(s, "from scratch (no checkpoint mobilenet_v2-trained.onnx.") != NULL);
    free(s);
    et_ui_key(&ui, ET_KEY_DOWN); /* train -> data: the student row is skipped while fine-tuning */
    et_ui_key(&ui, 'x');
    ET_CHECK_STR(ui.train_data.text, "/data/fmnist.trainx");
    et_ui_key(&ui, ET_KEY_BACKSPACE);
    /* a checkpoint appears: the row is live, Right turns it to resume */
    snprintf(be.train_ckpt_for, sizeof be.train_ckpt_for, "mobilenet_v2-trained.onnx");
    for (int i = 0; i < 5; i++) /* data -> ... -> write to -> start */
        et_ui_key(&ui, ET_KEY_DOWN);
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK(ui.train_resume);
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "▶ start          resume from the checkpoint mobilenet_v2-trained.onnx.") != NULL);
    free(s);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.train_start_calls, 1);
    ET_CHECK(ui.train_active);
    ET_CHECK(be.train_resume);
    ET_CHECK(!be.train_distill);
    /* the job cancelled: r resumes while the checkpoint is there */
    fake_ui_train(&ui.train, false);
    ui.train.finished = true, ui.train.training = false;
    ui.train.status = ET_E_CANCELLED;
    snprintf(ui.train.out_path, sizeof ui.train.out_path, "mobilenet_v2-trained.onnx");
    be.train_ckpt_for[0] = '\0';
    et_ui_key(&ui, 'r');
    ET_CHECK_INT(be.train_resume_calls, 0); /* the checkpoint is gone: nothing offered */
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "r: resume") == NULL);
    free(s);
    snprintf(be.train_ckpt_for, sizeof be.train_ckpt_for, "mobilenet_v2-trained.onnx");
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "r: resume from the checkpoint") != NULL);
    free(s);
    et_ui_key(&ui, 'r');
    ET_CHECK_INT(be.train_resume_calls, 1);
    ET_CHECK(ui.train_active && !ui.train.finished && ui.train.resume);
    ET_CHECK_STR(ui.train.out_path, "mobilenet_v2-trained.onnx");
    fake_ui_train(&ui.train, true); /* finished: r does nothing more */
    et_ui_key(&ui, 'r');
    ET_CHECK_INT(be.train_resume_calls, 1);
    et_ui_key(&ui, ET_KEY_ESC);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    /* distill */
    et_ui_key(&ui, 'T');
    ui.train_resume = false;
    while (ui.train_row != 0) /* back to the data row */
        et_ui_key(&ui, ET_KEY_UP);
    et_ui_key(&ui, ET_KEY_UP); /* data -> train (the student is skipped) */
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK(ui.train_distill);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.train_start_calls, 1);
    ET_CHECK(strstr(ui.dialog_error, "type the student's .onnx file") != NULL);
    et_ui_key(&ui, ET_KEY_DOWN); /* train -> student */
    for (const char *p = "/models/digits.onnx"; *p; p++)
        et_ui_key(&ui, *p);
    ET_CHECK_STR(ui.train_student.text, "/models/digits.onnx");
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.train_start_calls, 2);
    ET_CHECK(!ui.train_active);
    ET_CHECK(strstr(ui.dialog_error, "distillation needs the same inputs and outputs") != NULL);
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "the student /models/digits.onnx: its output 0 is [1,10]") != NULL);
    free(s);
    et_ui_key(&ui, ET_KEY_CTRL_U);
    for (const char *p = "/models/student.onnx"; *p; p++)
        et_ui_key(&ui, *p);
    ui.train_gradual = true; /* left from a fine-tune: a distill job never prunes gradually */
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.train_start_calls, 3);
    ET_CHECK(ui.train_active);
    ET_CHECK(be.train_distill);
    ET_CHECK(!be.train_gradual);
    ET_CHECK(!be.train_resume);
    ET_CHECK_STR(be.train_student, "/models/student.onnx");
    ET_CHECK(ui.train.kind == ET_TRAIN_DISTILL);
    s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "distilling mobilenet_v2.onnx into student") != NULL);
    free(s);
    et_ui_free(&ui);
}

/* The search view: P opens the form with the CLI's defaults; Enter starts the search with the knobs as the base
 * and the form's settings (a bad candidate list stays in the form with the backend's words); c and Esc cancel a
 * running search (the view stays until it stopped); a finished one's stored points make the history stale; w
 * writes the winner to the form's file (an unwritable path is said); Enter applies the winner's knobs and
 * overrides to the workbench and closes the view. */
static void test_search_dialog(void) {
    fake_backend be;
    fake_backend_init(&be, 3);
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    et_ui_key(&ui, '3'); /* from the layers view too */
    et_ui_key(&ui, 'P');
    ET_CHECK_INT(ui.dialog, ET_DIALOG_SEARCH);
    ET_CHECK_STR(ui.search_cands.text, ET_SEARCH_DEFAULT_CANDIDATES);
    ET_CHECK_STR(ui.search_out.text, "mobilenet_v2-search.cfg");
    /* the objective switches the candidates between its defaults (the CLI's) until they are edited */
    et_ui_key(&ui, ET_KEY_DOWN);
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK_INT(ui.search_objective, ET_SEARCH_SIZE);
    ET_CHECK_STR(ui.search_cands.text, ET_SEARCH_SIZE_CANDIDATES);
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK_STR(ui.search_cands.text, ET_SEARCH_DEFAULT_CANDIDATES);
    et_field_set(&ui.search_cands, "bits=4;bits=2");
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK_STR(ui.search_cands.text, "bits=4;bits=2");
    et_ui_key(&ui, ET_KEY_RIGHT);
    ET_CHECK_INT(ui.search_objective, ET_SEARCH_LATENCY);
    et_ui_key(&ui, ET_KEY_UP);
    et_field_set(&ui.search_cands, "bogus");
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(be.search_start_calls, 1);
    ET_CHECK(!ui.search_active);
    ET_CHECK(strstr(ui.dialog_error, "candidate 'bogus'") != NULL);
    et_field_set(&ui.search_cands, "bits=4");
    /* max drop 1 -> 2 pp, objective size, recovery none -> bias, seconds 0.25 -> 1, the quick grid */
    const int k[] = {ET_KEY_RIGHT, ET_KEY_DOWN,  ET_KEY_RIGHT, ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_RIGHT,
                     ET_KEY_DOWN,  ET_KEY_RIGHT, ET_KEY_DOWN,  'l',         ET_KEY_ENTER};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        et_ui_key(&ui, k[i]);
    ET_CHECK_INT(be.search_start_calls, 2);
    ET_CHECK(ui.search_active);
    ET_CHECK_NEAR(be.search_opts.max_drop_pp, 2.0, 1e-12);
    ET_CHECK_INT(be.search_opts.objective, ET_SEARCH_SIZE);
    ET_CHECK_STR(be.search_cands, "bits=4");
    ET_CHECK_INT(be.search_opts.knobs.recover, ET_RECOVER_BIAS);
    ET_CHECK_INT(be.search_opts.knobs.weight_bits, 8); /* the base: the knobs on screen */
    ET_CHECK_NEAR(be.search_opts.knobs.prune_ratio, 0.3, 1e-6);
    ET_CHECK_NEAR(be.search_opts.point_s, 1.0, 1e-12);
    ET_CHECK_INT(be.search_opts.rounds, 1); /* quick */
    ET_CHECK_INT(be.search_opts.iters, 20);
    ET_CHECK_INT(be.set_knobs_calls, 0); /* the form's arrows never turned a knob */
    fake_ui_search(&ui.search, false);
    char *s = screen(&ui, 132, 43);
    ET_CHECK(s && strstr(s, "round 1/2: uniform grid 5/8") != NULL && strstr(s, "9 measured") != NULL);
    ET_CHECK(s && strstr(s, "Pareto front") != NULL);
    free(s);
    et_ui_key(&ui, 'c');
    ET_CHECK_INT(be.search_cancel_calls, 1);
    et_ui_key(&ui, ET_KEY_ESC);
    ET_CHECK_INT(be.search_cancel_calls, 2);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_SEARCH); /* it stays until the search has stopped */
    et_ui_key(&ui, 'w');                       /* nothing to write yet */
    ET_CHECK_INT(be.search_write_calls, 0);
    fake_ui_search(&ui.search, true);
    ui.runs_stale = false;
    et_ui_search_changed(&ui);
    ET_CHECK(ui.runs_stale);
    et_field_set(&ui.search_out, "/nonexistent/w.cfg");
    et_ui_key(&ui, 'w');
    ET_CHECK(ui.message_is_error && strstr(ui.message, "cannot write /nonexistent/w.cfg") != NULL);
    et_field_set(&ui.search_out, "w.cfg");
    et_ui_key(&ui, 'w');
    ET_CHECK_STR(be.search_written, "w.cfg");
    ET_CHECK_INT(be.search_write_calls, 2);
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    ET_CHECK_INT(ui.view, ET_VIEW_WORKBENCH);
    ET_CHECK_INT(be.search_close_calls, 1);
    ET_CHECK_INT(be.set_knobs_calls, 1);
    ET_CHECK_STR(be.last_knobs.layers, ui.search.winner_knobs.layers);
    ET_CHECK(strstr(be.last_knobs.layers, "/features/features.1/conv/Conv bits=4") != NULL);
    ET_CHECK(strstr(ui.message, "2 per-layer overrides") != NULL);
    ET_CHECK(!ui.search_active);
    et_ui_free(&ui);
}

/* The layers view's Enter opens the selected weight layer's knobs: each change is that layer's own line of the
 * per-layer overrides, posted at once; 0 gives a key back to the model (the line goes when it sets nothing); a
 * layer without weights says why it cannot be edited. */
static void test_layer_dialog(void) {
    fake_backend be;
    fake_backend_init(&be, 3);
    et_ui ui;
    fake_ui_init(&ui, &be, false); /* w8 a8, 30 % pruned */
    const int open[] = {'3', ET_KEY_DOWN, ET_KEY_ENTER};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++)
        et_ui_key(&ui, open[i]);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_LAYER);
    ET_CHECK_STR(ui.layer_name, "/features/features.1/conv/Conv");
    char *s = screen(&ui, 80, 24);
    ET_CHECK(s && strstr(s, "Layer /features/features.1/conv/Conv") && strstr(s, "model (8)"));
    free(s);
    et_ui_key(&ui, ET_KEY_RIGHT); /* weight bits 8 -> 7 */
    ET_CHECK_STR(ui.knobs.layers, "/features/features.1/conv/Conv bits=7");
    ET_CHECK_INT(be.set_knobs_calls, 1);
    ET_CHECK_STR(be.last_knobs.layers, ui.knobs.layers);
    const int prune[] = {ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_RIGHT}; /* prune 30 % -> 35 % */
    for (size_t i = 0; i < sizeof prune / sizeof prune[0]; i++)
        et_ui_key(&ui, prune[i]);
    ET_CHECK_STR(ui.knobs.layers, "/features/features.1/conv/Conv bits=7 prune=0.35");
    ET_CHECK_NEAR(ui.knobs.prune_ratio, 0.3, 1e-6); /* the model-wide knob did not move */
    et_ui_key(&ui, '0');                            /* prune back to the model's */
    ET_CHECK_STR(ui.knobs.layers, "/features/features.1/conv/Conv bits=7");
    et_ui_key(&ui, ET_KEY_UP);
    et_ui_key(&ui, ET_KEY_UP);
    et_ui_key(&ui, '0');
    ET_CHECK_STR(ui.knobs.layers, "");
    ET_CHECK_INT(be.set_knobs_calls, 4);
    et_ui_key(&ui, '0'); /* nothing of its own left: nothing posted */
    ET_CHECK_INT(be.set_knobs_calls, 4);
    et_ui_key(&ui, ET_KEY_ESC);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    et_ui_key(&ui, ET_KEY_END); /* GlobalAveragePool, the shortest step */
    et_ui_key(&ui, ET_KEY_ENTER);
    ET_CHECK_INT(ui.dialog, ET_DIALOG_NONE);
    ET_CHECK(strstr(ui.message, "is a GlobalAveragePool step") != NULL);
    et_ui_free(&ui);
}

/* The layers view shows the stored sensitivity of the current run's setting: looked up once per settled run,
 * shown per layer, exported with the table. */
static void test_layers_sensitivity(void) {
    fake_backend be;
    fake_backend_init(&be, 3);
    be.with_sens = true;
    et_ui ui;
    fake_ui_init(&ui, &be, false);
    et_ui_key(&ui, '3');
    char *s = screen(&ui, 132, 43);
    ET_CHECK(s && strstr(s, "bits=4 -0.25, prune=0.5 -3.50") && strstr(s, "sensitivity"));
    free(s);
    s = screen(&ui, 132, 43);
    free(s);
    ET_CHECK_INT(be.sens_calls, 1); /* once per run, not per draw */
    et_table *t = et_ui_layers_table(&ui);
    ET_REQUIRE(t != NULL);
    bool found = false;
    for (int r = 0; r < et_table_n_rows(t); r++)
        found |= strcmp(et_table_text_at(t, r, 11), "bits=4 -1.00") == 0; /* /classifier/layer_4 */
    ET_CHECK(found);
    et_table_free(t);
    ui.snap.current_run_id = 13; /* a new run: looked up again */
    s = screen(&ui, 132, 43);
    free(s);
    ET_CHECK_INT(be.sens_calls, 2);
    et_ui_free(&ui);
}

int main(void) {
    setlocale(LC_CTYPE, "C.UTF-8");
    setenv("TZ", "UTC", 1);
    ET_RUN(test_knob_keys_post_at_once);
    ET_RUN(test_views_help_and_tab);
    ET_RUN(test_workbench_screen);
    ET_RUN(test_history_filter_sort_mark_compare);
    ET_RUN(test_export_every_format);
    ET_RUN(test_open_dialog);
    ET_RUN(test_layer_dialog);
    ET_RUN(test_layers_sensitivity);
    ET_RUN(test_worker_message_and_stale_history);
    ET_RUN(test_train_dialog);
    ET_RUN(test_train_resume_distill);
    ET_RUN(test_search_dialog);
    return et_test_done();
}
