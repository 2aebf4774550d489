/* test_golden.c: every view and dialog rendered from fixed fake data (tests/unit/ui/fake_ui.h) into a canvas at
 * 80x24 and 132x43 (and a few special cases: ASCII, a knob setting that cannot run, the baseline measured first,
 * a terminal that is too small), compared line by line with tests/ui/golden/<name>.txt.
 *
 * A changed screen fails with the first differing line and leaves the new screen in ./golden-actual/<name>.txt;
 * after checking it, ET_UPDATE_GOLDEN=1 writes the golden files. The locale is C.UTF-8 (or C for ASCII) and
 * TZ is UTC, so the screens do not depend on the machine. */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "et_test.h"
#include "ui/fake_ui.h"

static char golden_dir[1024];

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Compares the canvas with golden/<name>.txt. */
static void check_screen(const char *name, const et_canvas *c) {
    char *got = et_canvas_to_string(c);
    ET_REQUIRE(got != NULL);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.txt", golden_dir, name);
    if (getenv("ET_UPDATE_GOLDEN")) {
        write_file(path, got);
        fprintf(stderr, "wrote %s\n", path);
        free(got);
        return;
    }
    char *want = read_file(path);
    ET_CHECK_MSG(want != NULL, "%s: missing (ET_UPDATE_GOLDEN=1 writes it)", path);
    if (want && strcmp(want, got) != 0) {
        const char *a = want, *b = got;
        int line = 1;
        while (*a && *a == *b) {
            if (*a == '\n')
                line++;
            a++, b++;
        }
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        ET_CHECK_MSG(false, "%s: line %d differs\n  want: %.*s\n  got:  %.*s", name, line,
                     (int)(ea ? ea - a : (long)strlen(a)), a, (int)(eb ? eb - b : (long)strlen(b)), b);
        mkdir("golden-actual", 0777);
        snprintf(path, sizeof path, "golden-actual/%s.txt", name);
        write_file(path, got);
    }
    free(want);
    free(got);
}

typedef void (*setup_fn)(et_ui *ui);

/* Renders the fake state after setup at w x h, twice (the first draw settles sizes and scrolling). */
static void scene(const char *name, int w, int h, bool ascii, setup_fn setup) {
    fake_backend be;
    fake_backend_init(&be, 24);
    et_ui ui;
    fake_ui_init(&ui, &be, ascii);
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, w, h, ascii));
    et_ui_draw(&ui, &c);
    if (setup)
        setup(&ui);
    et_ui_draw(&ui, &c);
    char full[128];
    snprintf(full, sizeof full, "%s_%dx%d", name, w, h);
    check_screen(full, &c);
    et_canvas_free(&c);
    et_ui_free(&ui);
}

static void keys(et_ui *ui, const int *k, int n) {
    for (int i = 0; i < n; i++)
        et_ui_key(ui, k[i]);
}

static void to_history(et_ui *ui) {
    const int k[] = {'2', ET_KEY_DOWN, ' ', ' ', '/', 'p', 'i', '5', ET_KEY_ENTER};
    keys(ui, k, sizeof k / sizeof k[0]);
}
static void to_layers(et_ui *ui) {
    const int k[] = {'3', ET_KEY_DOWN};
    keys(ui, k, sizeof k / sizeof k[0]);
}
/* The knobs of the second layer, its weight bits set to 4 in the dialog. */
static void to_layer_dialog(et_ui *ui) {
    const int k[] = {'3', ET_KEY_DOWN, ET_KEY_ENTER, ET_KEY_RIGHT, ET_KEY_RIGHT, ET_KEY_RIGHT, ET_KEY_RIGHT};
    keys(ui, k, sizeof k / sizeof k[0]);
}
/* The layers with a stored sensitivity of their setting. */
static void to_layers_sensitivity(et_ui *ui) {
    ((fake_backend *)ui->be->ctx)->with_sens = true;
    to_layers(ui);
}
/* The layers of a run with recovery: each compensated layer's error without and with it. */
static void to_layers_recovered(et_ui *ui) {
    et_result *r = &ui->snap.current;
    r->knobs.recover = ET_RECOVER_FULL;
    ui->snap.knobs.recover = ET_RECOVER_FULL;
    for (int i = 1; i < r->n_layers && i < 5; i++) {
        r->layers[i].recon_err_before = 0.0125 * i;
        r->layers[i].recon_err_after = 0.0031 * i;
    }
    to_layers(ui);
}
/* Recovery running while the tuned model is prepared: layer 12 of 52, 8 s left. */
static void recovering(et_ui *ui) {
    et_worker_snapshot *s = &ui->snap;
    s->state = ET_WORKER_PREPARING;
    s->knobs.recover = ET_RECOVER_FULL;
    s->knobs.weight_bits = 4;
    s->have_current = false;
    s->prep_done = 12, s->prep_total = 52;
    s->prep_elapsed_ms = 2450.0, s->prep_left_ms = 8400.0;
}
static void to_compare(et_ui *ui) {
    const int k[] = {'2', ' ', ' ', ' ', 'c'};
    keys(ui, k, sizeof k / sizeof k[0]);
}
static void to_help(et_ui *ui) { et_ui_key(ui, '?'); }
static void to_export(et_ui *ui) {
    const int k[] = {'2', 'e', ET_KEY_DOWN};
    keys(ui, k, sizeof k / sizeof k[0]);
}
static void to_open(et_ui *ui) {
    et_ui_key(ui, 'o');
    et_field_set(&ui->open_path, "/nonexistent-dir/model");
    et_ui_key(ui, ET_KEY_TAB);
}

/* The knobs cannot run (this build has no quantization, or they are invalid). */
static void failed(et_ui *ui) {
    ui->snap.state = ET_WORKER_FAILED;
    snprintf(ui->snap.error, sizeof ui->snap.error, "quantization and pruning are not available in this build yet");
    ui->snap.have_current = false;
    const int k[] = {ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_DOWN};
    keys(ui, k, sizeof k / sizeof k[0]);
}

/* The first minutes: no baseline stored, fp32 being measured first. */
static void baseline_first(et_ui *ui) {
    et_worker_snapshot *s = &ui->snap;
    et_result_free(&s->baseline);
    et_result_init(&s->baseline);
    s->have_baseline = false;
    s->baseline_run_id = 0;
    s->baseline_why[0] = '\0';
    s->state = ET_WORKER_BASELINE;
    s->measuring_baseline = true;
    s->current_run_id = 0;
    s->current_seconds = 1.4;
    fake_ui_result(&s->current, 0);
    s->current.status = ET_RUN_RUNNING;
    s->current.fidelity.status = ET_AVAIL_NOT_RUN;
}

/* Measuring the w8a8 run, 1.2 s in, fidelity not checked yet; a message on the footer line. */
static void measuring(et_ui *ui) {
    ui->snap.state = ET_WORKER_MEASURING;
    ui->snap.current_run_id = 12;
    ui->snap.current_seconds = 1.2;
    ui->snap.current.fidelity.status = ET_AVAIL_NOT_RUN;
    ui->snap.current.power.status = ET_AVAIL_UNSUPPORTED;
    snprintf(ui->snap.current.power.why, sizeof ui->snap.current.power.why,
             "no power sensor here (see 'edgetune doctor')");
    et_ui_message(ui, false, "run 11 is now the baseline of mobilenet_v2.onnx on this host");
}

/* The demo model (fixtures/models/fmnist_demo.onnx, what `./build.sh run` opens) as a 2-core x86 VM measured
 * it: variant 0 the fp32 baseline, 1 pruned 25 %. Latency and memory are this VM's (rounded, made
 * deterministic); accuracy is the real count on fmnist_demo.eval/ (440 and 416 of 500, `edgetune bench
 * fixtures/models/fmnist_demo.onnx --prune 0.25`), the fidelity numbers likewise. */
static void demo_result(et_result *r, int variant) {
    fake_ui_result(r, 0);
    bool pruned = variant == 1;
    snprintf(r->model.name, sizeof r->model.name, "fmnist_demo.onnx");
    snprintf(r->model.path, sizeof r->model.path, "/src/edgetune/fixtures/models/fmnist_demo.onnx");
    r->model.file_bytes = 2316000;
    r->model.params = 574394;
    r->model.macs = 31270000;
    snprintf(r->host.hostname, sizeof r->host.hostname, "vm");
    snprintf(r->host.cpu, sizeof r->host.cpu, "AMD EPYC");
    snprintf(r->host.arch, sizeof r->host.arch, "x86_64");
    r->host.board[0] = '\0';
    r->host.cores = 2;
    r->knobs = et_knobs_default();
    r->knobs.prune_ratio = pruned ? 0.25f : 0.0f;
    snprintf(r->engine.isa, sizeof r->engine.isa, "avx2+fma");
    r->prepare_ms = pruned ? 13.7 : 4.2;
    for (int i = 0; i < r->n_samples; i++)
        r->samples_ms[i] *= (pruned ? 0.81 : 0.8) / 9.8; /* 25 % unstructured runs dense here: about the same */
    et_latency_stats_compute(r->samples_ms, r->n_samples, &r->latency);
    r->memory.weights_bytes = r->memory.weights_deploy_bytes = 2296000;
    r->memory.arena_bytes = 354400;
    r->deployed.weights_bytes = r->memory.weights_bytes;
    r->deployed.arena_bytes = r->memory.arena_bytes;
    r->deployed.runtime_bytes = 4820000;
    r->deployed.peak_bytes = pruned ? 8440000 : 8520000;
    r->n_counters = 0;
    r->power.status = ET_AVAIL_UNSUPPORTED;
    snprintf(r->power.why, sizeof r->power.why, "no power sensor here: no RAPL (powercap) readable");
    r->memory.peak_rss_bytes = pruned ? 27 << 20 : 26 << 20;
    r->thermal.n_zones = 0;
    r->thermal.cpu_mhz_start = r->thermal.cpu_mhz_end = r->thermal.cpu_mhz_max = 2445;
    r->thermal.throttled = false;
    r->fidelity.n_inputs = 500;
    snprintf(r->fidelity.eval_source, sizeof r->fidelity.eval_source, "/src/edgetune/fixtures/models/fmnist_demo.eval");
    r->fidelity.accuracy = pruned ? 0.832 : 0.88;
    r->fidelity.baseline_accuracy = 0.88;
    et_output_fidelity *o = &r->fidelity.outputs[0];
    snprintf(o->output, sizeof o->output, "output");
    o->top1_agreement = pruned ? 0.92 : 1.0;
    o->top5_agreement = 1.0;
    o->cosine = pruned ? 0.976197 : 1.0;
    o->sqnr_db = pruned ? 10.14 : INFINITY;
    o->max_abs_err = pruned ? 6.602 : 0.0;
}

/* The demo, pruned 25 % against its fp32 baseline (run 1), settled as run 2. */
static void demo_pruned(et_ui *ui) {
    et_worker_snapshot *s = &ui->snap;
    demo_result(&s->current, 1);
    demo_result(&s->baseline, 0);
    s->knobs = ui->knobs = s->current.knobs;
    s->model = s->current.model;
    s->host = s->current.host;
    s->current_run_id = 2, s->last_saved_run_id = 2, s->baseline_run_id = 1;
    snprintf(s->baseline_why, sizeof s->baseline_why, "run 1 (newest fp32, 1 thread)");
    ui->max_threads = 2;
    snprintf(ui->isa, sizeof ui->isa, "avx2+fma");
    s->seq++;
    s->baseline_seq++;
    ui->knob = ET_KNOB_PRUNE_RATIO;
}

/* The same within a second of the key: accuracy checked first (the evaluation pass is quick), no latency yet. */
static void demo_accuracy_first(et_ui *ui) {
    demo_pruned(ui);
    et_worker_snapshot *s = &ui->snap;
    s->state = ET_WORKER_MEASURING;
    s->current_seconds = 0;
    s->current.status = ET_RUN_RUNNING;
    free(s->current.samples_ms);
    s->current.samples_ms = NULL;
    s->current.n_samples = s->current.iters = 0;
    memset(&s->current.latency, 0, sizeof s->current.latency);
    s->current.deployed.status = ET_AVAIL_NOT_RUN;
}

/* ... and a moment earlier, while it checks: the previous setting's numbers are gone, nothing measured yet. */
/* The training dialog: the form (T from the workbench, data given by `tui --data`), a job in its third epoch, a
 * job finished, and one cancelled. */
static void train_form(et_ui *ui) {
    snprintf(ui->train_default_data, sizeof ui->train_default_data, "/models/mobilenet_v2.train");
    const int k[] = {'T', ET_KEY_DOWN, ET_KEY_RIGHT, ET_KEY_RIGHT, ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_RIGHT};
    keys(ui, k, sizeof k / sizeof k[0]);
}
/* The form with feature distillation turned on (from the rate: write to, then features, start being dim). */
static void train_form_features(et_ui *ui) {
    train_form(ui);
    const int k[] = {ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_RIGHT, ET_KEY_RIGHT, ET_KEY_RIGHT};
    keys(ui, k, sizeof k / sizeof k[0]);
}
static void train_running(et_ui *ui) {
    train_form(ui);
    et_ui_key(ui, ET_KEY_ENTER);
    fake_ui_train(&ui->train, false);
}
static void train_done(et_ui *ui) {
    train_form(ui);
    et_ui_key(ui, ET_KEY_ENTER);
    fake_ui_train(&ui->train, true);
}
static fake_backend *fake_of(et_ui *ui) { return (fake_backend *)ui->be->ctx; }
static void train_cancelled(et_ui *ui) {
    train_running(ui);
    snprintf(fake_of(ui)->train_ckpt_for, sizeof fake_of(ui)->train_ckpt_for, "mobilenet_v2-trained.onnx");
    ui->train.finished = true;
    ui->train.training = false;
    ui->train.status = ET_E_CANCELLED;
    ui->train.run_id = 13;
    snprintf(ui->train.out_path, sizeof ui->train.out_path, "mobilenet_v2-trained.onnx");
    snprintf(ui->train.checkpoint_path, sizeof ui->train.checkpoint_path, "mobilenet_v2-trained.onnx.ckpt");
    snprintf(ui->train.error, sizeof ui->train.error,
             "training cancelled at step 746; the checkpoint mobilenet_v2-trained.onnx.ckpt keeps it: run the same "
             "command with --resume");
}

/* Resume and distill: the form when the output's checkpoint exists (its 'start' row live, turned to resume); the
 * job resumed and finished (the run names its parent); a resume refused for other settings (the job's line
 * wrapped); the form turned to distill with a student whose outputs differ (refused in the form); a distillation
 * finished. */
static void train_form_resume(et_ui *ui) {
    snprintf(fake_of(ui)->train_ckpt_for, sizeof fake_of(ui)->train_ckpt_for, "mobilenet_v2-trained.onnx");
    train_form(ui);
    const int k[] = {ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_RIGHT}; /* from the rate: write to, start */
    keys(ui, k, sizeof k / sizeof k[0]);
}
static void train_resumed_done(et_ui *ui) {
    train_form_resume(ui);
    et_ui_key(ui, ET_KEY_ENTER);
    fake_ui_train(&ui->train, true);
    ui->train.resume = true;
    snprintf(ui->train.record.resumed_from, sizeof ui->train.record.resumed_from,
             "33333333-3333-4333-8333-333333333333");
}
static void train_resume_refused(et_ui *ui) {
    train_form_resume(ui);
    et_ui_key(ui, ET_KEY_ENTER);
    fake_ui_train(&ui->train, true);
    et_train_snapshot *s = &ui->train;
    et_train_record_free(&s->record);
    et_train_record_init(&s->record);
    s->resume = true;
    s->status = ET_E_INPUT;
    s->run_id = 0;
    s->elapsed_s = 4.2;
    snprintf(s->error, sizeof s->error,
             "checkpoint mobilenet_v2-trained.onnx.ckpt was made for other settings (w8, where these have w4); "
             "train without --resume to start over, or give the same model, knobs, data and settings");
}
/* The form turned to distill with student typed in, then Enter. */
static void distill_start(et_ui *ui, const char *student) {
    train_form(ui);
    const int k[] = {ET_KEY_UP, ET_KEY_UP, ET_KEY_UP, ET_KEY_UP, ET_KEY_RIGHT, ET_KEY_DOWN}; /* the rate to train */
    keys(ui, k, sizeof k / sizeof k[0]);
    for (const char *p = student; *p; p++)
        et_ui_key(ui, *p);
    et_ui_key(ui, ET_KEY_ENTER);
}
static void train_distill_form(et_ui *ui) { distill_start(ui, "/models/digits.onnx"); }
static void train_distill_done(et_ui *ui) {
    distill_start(ui, "/models/mbv2_student.onnx");
    fake_ui_train(&ui->train, true);
    ui->train.kind = ET_TRAIN_DISTILL;
    snprintf(ui->train.student_path, sizeof ui->train.student_path, "/models/mbv2_student.onnx");
    ui->train.record.acc_before = 0.1;
}

/* The search view: the form (P from the workbench, objective size, recovery full), a search in its uniform grid,
 * one finished with a winner, and one cancelled after 9 points. */
static void search_form(et_ui *ui) {
    const int k[] = {'P', ET_KEY_DOWN, ET_KEY_RIGHT, ET_KEY_DOWN, ET_KEY_DOWN, ET_KEY_RIGHT, ET_KEY_RIGHT};
    keys(ui, k, sizeof k / sizeof k[0]);
}
static void search_running(et_ui *ui) {
    et_ui_key(ui, 'P');
    et_ui_key(ui, ET_KEY_ENTER);
    fake_ui_search(&ui->search, false);
}
static void search_done(et_ui *ui) {
    et_ui_key(ui, 'P');
    et_ui_key(ui, ET_KEY_ENTER);
    fake_ui_search(&ui->search, true);
}
static void search_cancelled(et_ui *ui) {
    search_running(ui);
    et_ui_key(ui, 'c');
    et_search_snapshot *s = &ui->search;
    s->finished = s->cancelled = true;
    s->status = ET_E_CANCELLED;
    s->winner = -1;
    s->elapsed_s = 75.0;
    snprintf(s->group, sizeof s->group, "search 20260315T101500");
    s->n_stored = 9;
}

static void demo_checking(et_ui *ui) {
    demo_accuracy_first(ui);
    et_worker_snapshot *s = &ui->snap;
    s->state = ET_WORKER_FIDELITY;
    s->current.fidelity.status = ET_AVAIL_NOT_RUN;
}

static void test_screens(void) {
    static const int sizes[2][2] = {{80, 24}, {132, 43}};
    for (int i = 0; i < 2; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        scene("workbench", w, h, false, NULL);
        scene("history", w, h, false, to_history);
        scene("layers", w, h, false, to_layers);
        scene("layer_dialog", w, h, false, to_layer_dialog);
        scene("compare", w, h, false, to_compare);
        scene("help", w, h, false, to_help);
        scene("export", w, h, false, to_export);
        scene("open", w, h, false, to_open);
        scene("failed", w, h, false, failed);
        scene("baseline_first", w, h, false, baseline_first);
        scene("measuring", w, h, false, measuring);
        scene("train_form", w, h, false, train_form);
        scene("train_running", w, h, false, train_running);
        scene("train_done", w, h, false, train_done);
        scene("train_form_resume", w, h, false, train_form_resume);
        scene("train_resumed_done", w, h, false, train_resumed_done);
        scene("train_resume_refused", w, h, false, train_resume_refused);
        scene("train_cancelled", w, h, false, train_cancelled);
        scene("train_distill_form", w, h, false, train_distill_form);
        scene("train_distill_done", w, h, false, train_distill_done);
        scene("search_form", w, h, false, search_form);
        scene("search_running", w, h, false, search_running);
        scene("search_done", w, h, false, search_done);
    }
    scene("search_cancelled", 80, 24, false, search_cancelled);
    scene("search_done_ascii", 80, 24, true, search_done);
    scene("train_cancelled_ascii", 80, 24, true, train_cancelled);
    scene("train_distill_form_ascii", 80, 24, true, train_distill_form);
    scene("train_running_ascii", 80, 24, true, train_running);
    scene("train_form_features", 80, 24, false, train_form_features);
    scene("layers_recovered", 132, 43, false, to_layers_recovered);
    scene("layers_sensitivity", 132, 43, false, to_layers_sensitivity);
    scene("recovering", 80, 24, false, recovering);
    scene("demo_pruned", 80, 24, false, demo_pruned);
    scene("demo_pruned", 132, 43, false, demo_pruned);
    scene("demo_accuracy_first", 80, 24, false, demo_accuracy_first);
    scene("demo_checking", 80, 24, false, demo_checking);
    scene("workbench_ascii", 80, 24, true, NULL);
    scene("history_ascii", 80, 24, true, to_history);
    scene("compare_ascii", 80, 24, true, to_compare);
    scene("too_small", 60, 20, false, NULL);
}

int main(void) {
    setenv("TZ", "UTC", 1);
    tzset();
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        setlocale(LC_CTYPE, "C.utf8");
    snprintf(golden_dir, sizeof golden_dir, "%s/tests/ui/golden", et_test_source_dir());
    ET_RUN(test_screens);
    return et_test_done();
}
