/* cmd_bench.c: `edgetune bench MODEL [KNOBS] [--iters N] [--warmup N] [--seconds S] [--json] [--no-save]
 * [--label TEXT] ...`: one measured run, printed and saved in the run database.
 *
 * The database is opened (and the run row begun, status 'running') before measuring, so an unwritable database
 * fails in a second, not after the measurement, and a killed process leaves a run the next open marks aborted.
 * SIGINT, SIGTERM and SIGHUP stop the measurement between iterations; what was measured is saved as aborted. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/deploy_memory.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "db/db.h"
#include "db/report.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: edgetune bench MODEL [KNOBS] [--iters N] [--warmup N] [--seconds S] [--until-stable]\n"
            "                      [--stable-within PCT] [--json] [--no-save]\n"
            "                      [--label TEXT] [--baseline] [--layers] [--events LIST|list] [--no-profilers]\n"
            "                      [--eval PATH] [--labels FILE] [--eval-limit N] [--calib PATH] [--progress]\n"
            "                      [--input NAME=FILE.npy]... [--shape NAME=DIMS]...\n\n"
            "Measures the model with the knobs: warm-up, timed iterations (latency percentiles in ms), peak memory,\n"
            "perf counters, power and energy per inference, temperatures and clocks (each, or why it is not\n"
            "available here: see 'edgetune doctor'), and fidelity against the fp32 baseline. The run is saved in the\n"
            "database unless --no-save.\n\n"
            "  --iters N          timed iterations (default 50)\n"
            "  --warmup N         untimed iterations first (default 5)\n"
            "  --seconds S        time for at least S seconds (and at least --iters iterations)\n"
            "  --until-stable     time (at least --iters) until the 95 %% interval of the median is within\n"
            "                     --stable-within of it, or until --seconds (the cap; default 30) pass; the run's\n"
            "                     notes say which stop it met and the width reached\n"
            "  --stable-within PCT  the interval's half-width for --until-stable, %% of the median (default 1)\n"
            "  --json             print one JSON object instead of text\n"
            "  --no-save          do not store the run\n"
            "  --label TEXT       a label stored with the run\n"
            "  --baseline         mark the run as its model's baseline on this host\n"
            "  --layers           per-layer time, share, kernel and precision\n"
            "  --events LIST      perf counter events (libpfm4 names, comma separated); 'list' shows them\n"
            "  --no-profilers     latency only: no counters, power, memory or thermal readings\n"
            "  --no-fidelity      skip the comparison with the fp32 baseline\n"
            "  --overhead R       also measure what profiling costs: R rounds of --iters iterations with the\n"
            "                     profilers off and on, alternating (result: profiler overhead in %% of latency)\n"
            "  --progress         recovery's progress on stderr even when it is not a terminal\n\n");
    fputs(et_tensor_help, out);
    fputs(et_data_help, out);
    fputs(et_knob_help, out);
}

/* --until-stable and --stable-within PCT (which implies it): 1 when one was read, -1 on a bad value, else 0. */
static int stability_flag(et_args *a, bool *until_stable, double *pct) {
    const char *v;
    if (et_args_flag(a, "--until-stable"))
        return *until_stable = true, 1;
    if (!et_args_value(a, "--stable-within", &v))
        return 0;
    *until_stable = true;
    return et_cli_parse_double("bench", "--stable-within", v, 0.01, 50, pct) ? 1 : -1;
}

/* Sets cfg up for --until-stable at +-pct %: the time cap is --seconds, else 30 s. 2 (said) with --overhead. */
static int apply_stability(et_bench_config *cfg, double pct) {
    if (cfg->overhead_rounds > 0)
        return et_cli_usage_error("bench", "--until-stable and --overhead do not go together: measure them apart");
    cfg->stable_rel = pct / 100.0;
    if (!(cfg->seconds > 0))
        cfg->seconds = 30;
    return 0;
}

/* A progress line on a terminal, rewritten in place and erased at the end. */
static void progress(void *ctx, int done, int total, double last_ms) {
    (void)ctx;
    if (total > 0 && (done == total || done % 10 == 0))
        fprintf(stderr, "\rbench: %d/%d timed iterations, last %.3f ms   %s", done, total, last_ms,
                done == total ? "\r\033[K" : "");
}

/* The measurement, with SIGINT, SIGTERM and SIGHUP stopping it between iterations (ET_E_CANCELLED; r holds what
 * was measured) and, with progress_line, the line of timed iterations. The handlers are restored before returning. */
static et_status run_with_signals(et_session *s, et_bench_config *cfg, bool progress_line, et_result *r, et_err *err) {
    struct sigaction sa = {0}, old_int, old_term, old_hup;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    cfg->cancel = (const volatile int *)&stop_requested;
    cfg->deploy_exe = ET_DEPLOY_SELF_EXE;
    if (progress_line)
        cfg->progress = progress;
    et_status st = et_bench_run(s, cfg, r, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return st;
}

/* Completes the run row begun before measuring and, with --baseline and a run that finished, marks it. On a
 * database error *rc gets the exit code (the error is reported) and the status is returned. */
static et_status store_run(et_db *db, int64_t run_id, bool baseline, et_result *r, int *rc) {
    et_err err = {0};
    et_status s = et_db_finish_run(db, run_id, r, &err);
    if (s == ET_OK && baseline && r->status == ET_RUN_OK)
        s = et_db_set_baseline(db, run_id, true, NULL, &err);
    if (s != ET_OK) {
        *rc = et_cli_report(&err);
        return s;
    }
    r->is_baseline = baseline && r->status == ET_RUN_OK;
    return ET_OK;
}

/* The run as `show` prints it (text, or JSON), and where it was saved. */
static void print_run(et_db *db, int64_t run_id, const et_result *r, bool json) {
    et_db_run_meta meta = {0};
    if (db) {
        et_err err = {0};
        et_db_run_meta_get(db, run_id, &meta, &err);
    }
    if (json) {
        et_db_show_json(r, &meta, stdout);
        return;
    }
    et_db_show_text(r, &meta, stdout);
    if (db)
        printf("saved as run %lld in %s\n", (long long)run_id, et_db_path(db));
}

/* What the command line asks of bench. */
typedef struct bench_args {
    et_tensor_args targs;
    et_knobs knobs;
    et_bench_config cfg;
    const char *model, *label;
    et_data_args data;
    bool json, save, layers, baseline, show_progress, until_stable;
    double stable_pct;
} bench_args;

/* Reads the flags into *b. Returns -1 to go on, or the exit code to return now (2 after a bad flag, which it
 * has reported; `--events list`'s own code after printing the list). */
static int parse_args(int argc, char **argv, bench_args *b) {
    et_args a = et_args_start("bench", argc, argv);
    const char *v;
    long l;
    double d;
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, &b->targs)) != 0 || (r = et_args_knob_flag(&a, &b->knobs)) != 0 ||
            (r = et_args_data_flag(&a, &b->data)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_value(&a, "--iters", &v)) {
            if (!et_cli_parse_long("bench", "--iters", v, 1, 100000, &l))
                return 2;
            b->cfg.iters = (int)l;
        } else if (et_args_value(&a, "--warmup", &v)) {
            if (!et_cli_parse_long("bench", "--warmup", v, 0, 100000, &l))
                return 2;
            b->cfg.warmup = (int)l;
        } else if (et_args_value(&a, "--seconds", &v)) {
            if (!et_cli_parse_double("bench", "--seconds", v, 0.001, 86400, &d))
                return 2;
            b->cfg.seconds = d;
            b->cfg.iters = 1;
        } else if ((r = stability_flag(&a, &b->until_stable, &b->stable_pct)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_flag(&a, "--json")) {
            b->json = true;
        } else if (et_args_flag(&a, "--no-save")) {
            b->save = false;
        } else if (et_args_value(&a, "--label", &b->label)) {
        } else if (et_args_flag(&a, "--baseline")) {
            b->baseline = true;
        } else if (et_args_flag(&a, "--layers")) {
            b->layers = true;
        } else if (et_args_value(&a, "--events", &v)) {
            if (strcmp(v, "list") == 0) {
                et_err err = {0};
                return et_counters_list_events(stdout, &err) == ET_OK ? 0 : et_cli_report(&err);
            }
            b->cfg.prof.events = v;
        } else if (et_args_flag(&a, "--no-profilers")) {
            b->cfg.profilers = false;
        } else if (et_args_value(&a, "--overhead", &v)) {
            if (!et_cli_parse_long("bench", "--overhead", v, 1, 1000, &l))
                return 2;
            b->cfg.overhead_rounds = (int)l;
        } else if (et_args_flag(&a, "--no-fidelity")) {
            b->cfg.fidelity = false;
        } else if (et_args_flag(&a, "--progress")) {
            b->show_progress = true;
        } else if (!et_args_positional(&a, &b->model)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!b->model)
        return et_cli_usage_error("bench", "give the model file");
    if (b->until_stable && apply_stability(&b->cfg, b->stable_pct) != 0)
        return 2;
    return -1;
}

int et_cmd_bench(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    bench_args b = {.knobs = et_knobs_default(), .cfg = et_bench_config_default(), .save = true, .stable_pct = 1.0};
    int prc = parse_args(argc, argv, &b);
    if (prc >= 0)
        return prc;
    et_err err = {0};
    if (et_knobs_validate(&b.knobs, &err) != ET_OK)
        return et_cli_report(&err);

    et_db *db = NULL;
    if (b.save && et_db_open(cli->db_path, ET_DB_WRITE, &db, &err) != ET_OK)
        return et_cli_report(&err);

    et_session_input_file files[ET_MAX_CLI_TENSORS];
    et_session_options so = {.model_path = b.model, .profile_layers = b.layers};
    et_args_session(&b.targs, &b.data, files, &so);
    et_session *s = NULL;
    et_result r;
    et_result_init(&r);
    int rc = 0;
    int64_t run_id = 0;
    if (et_session_open(&so, &s, &err) != ET_OK ||
        et_cli_configure(s, &b.knobs, b.show_progress, NULL, &err) != ET_OK) {
        rc = et_cli_report(&err);
        goto done;
    }
    et_cli_note(et_session_notes(s));
    if (b.label)
        snprintf(r.label, sizeof r.label, "%s", b.label);
    et_session_describe(s, &r);
    if (db && et_db_begin_run(db, &r, &run_id, &err) != ET_OK) {
        rc = et_cli_report(&err);
        goto done;
    }
    b.cfg.layers = b.layers;
    et_status st = run_with_signals(s, &b.cfg, !b.json && isatty(STDERR_FILENO), &r, &err);
    if (st != ET_OK && st != ET_E_CANCELLED)
        rc = et_cli_report(&err);
    if (st == ET_E_CANCELLED) {
        fprintf(stderr, "\nedgetune: stopped after %d timed iterations; the run is saved as aborted\n", r.iters);
        rc = 1;
    }
    if (db && store_run(db, run_id, b.baseline, &r, &rc) != ET_OK)
        goto done;
    if (st == ET_OK || st == ET_E_CANCELLED)
        print_run(db, run_id, &r, b.json);
done:
    et_result_free(&r);
    et_session_free(s);
    et_db_close(db);
    return rc;
}
