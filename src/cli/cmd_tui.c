/* cmd_tui.c: `edgetune [tui] [MODEL] [KNOBS] ...`: the workbench (ui/app.c). With no MODEL it opens the demo
 * model: the path compiled in (ET_DEMO_MODEL, the source tree's fixtures/models/fmnist_demo.onnx, a classifier
 * trained on Fashion-MNIST), else fmnist_demo.onnx in ../fixtures/models/ or ../share/edgetune/ next to the
 * binary. Its fmnist_demo.eval/ (500 labelled test images) and fmnist_demo.calib/ beside it are picked up by the
 * session's one rule for every model (<model>.eval/, <model>.calib/; session.h), so accuracy shows at once. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/deploy_memory.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "ui/app.h"
#include "ui/keys.h"

#ifndef ET_DEMO_MODEL
#define ET_DEMO_MODEL ""
#endif

static void usage(FILE *out) {
    fprintf(out,
            "usage: edgetune [tui] [MODEL] [KNOBS] [--no-save] [--seconds S] [--min-seconds S] [--no-profilers]\n"
            "                [--no-fidelity] [--eval PATH] [--labels FILE] [--eval-limit N] [--calib PATH]\n"
            "                [--input NAME=FILE.npy]... [--data PATH]\n"
            "                [--shape NAME=DIMS]... [--ascii] [--no-color] [--keys]\n\n"
            "The workbench: turn the knobs and watch latency, memory, counters, power, temperature and fidelity\n"
            "settle beside the fp32 baseline, live. Every measurement that completes is stored as a run in the\n"
            "database (see --db); the baseline (fp32 with the same threads) is measured first when none is stored.\n"
            "Views: workbench, history (stored runs: filter, sort, mark, compare, export), layers, compare.\n"
            "T in the workbench opens the training view: fine-tune the model as the knobs tune it (as `edgetune\n"
            "finetune` does) with loss and accuracy per epoch, samples/s and time left, cancellable.\n"
            "Press ? inside for every key. Needs a terminal of at least 80x24.\n\n"
            "With no MODEL it opens the bundled demo model,\n  %s:\n"
            "a small classifier trained on Fashion-MNIST, with 500 labelled test images in fmnist_demo.eval/ and\n"
            "calibration images in fmnist_demo.calib/ beside it. For every model, <model>.eval/ and <model>.calib/\n"
            "next to it are used unless --eval and --calib say otherwise (the same rule as bench and sweep).\n"
            "Fidelity and accuracy are checked right after a knob change, before latency, when one pass over the\n"
            "evaluation set should take at most 1 s (its size times the baseline's median latency; the demo: about\n"
            "0.4 s); otherwise after the latency settles.\n\n"
            "  --data PATH        training data for the training view (T): a folder of .npy inputs or one\n"
            "                     batched .npy (default <model>.train/ when it exists)\n"
            "  --no-save          do not store runs (history and compare stay empty)\n"
            "  --seconds S        measure each setting for at most S seconds (default 6; it stops earlier\n"
            "                     once the median latency settles)\n"
            "  --min-seconds S    ... and for at least S seconds (default 1)\n"
            "  --no-profilers     latency only: no counters, power, memory or thermal readings\n"
            "  --no-fidelity      skip the comparison with the fp32 outputs\n"
            "  --ascii            ASCII only, even in a UTF-8 locale (the default without UTF-8)\n"
            "  --no-color         attributes only, no colours (NO_COLOR in the environment does the same)\n"
            "  --keys             print every key and what it does, then exit\n\n",
            ET_DEMO_MODEL[0] ? ET_DEMO_MODEL : "fixtures/models/fmnist_demo.onnx");
    fputs(et_tensor_help, out);
    fputs(et_data_help, out);
    fputs(et_knob_help, out);
}

static bool is_file(const char *p) {
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The demo model: compiled-in path, else next to the binary. Returns false when none is found. */
static bool find_demo(char *out, size_t len) {
    if (is_file(ET_DEMO_MODEL)) {
        snprintf(out, len, "%s", ET_DEMO_MODEL);
        return true;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    static const char *const rel[] = {"/../fixtures/models/fmnist_demo.onnx", "/../share/edgetune/fmnist_demo.onnx",
                                      "/fmnist_demo.onnx"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(out, len, "%s%s", exe, rel[i]);
        if (is_file(out))
            return true;
    }
    return false;
}

int et_cmd_tui(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    et_args a = et_args_start("tui", argc, argv);
    et_tensor_args targs = {0};
    et_app_options o = {.knobs = et_knobs_default(), .worker = et_worker_options_default()};
    const char *model = NULL, *v;
    et_data_args data = {0};
    double d;
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, &targs)) != 0 || (r = et_args_knob_flag(&a, &o.knobs)) != 0 ||
            (r = et_args_data_flag(&a, &data)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_value(&a, "--data", &v)) {
            struct stat st;
            if (stat(v, &st) != 0) {
                fprintf(stderr, "edgetune tui: --data %s: %s; give a folder of .npy inputs or one batched .npy\n", v,
                        strerror(errno));
                return 2;
            }
            o.train_data = v;
        } else if (et_args_flag(&a, "--no-save")) {
            o.worker.save = false;
        } else if (et_args_value(&a, "--seconds", &v)) {
            if (!et_cli_parse_double("tui", "--seconds", v, 0.1, 86400, &d))
                return 2;
            o.worker.max_seconds = d;
        } else if (et_args_value(&a, "--min-seconds", &v)) {
            if (!et_cli_parse_double("tui", "--min-seconds", v, 0, 86400, &d))
                return 2;
            o.worker.min_seconds = d;
        } else if (et_args_flag(&a, "--no-profilers")) {
            o.worker.profilers = false;
        } else if (et_args_flag(&a, "--no-fidelity")) {
            o.worker.fidelity = false;
        } else if (et_args_flag(&a, "--ascii")) {
            o.ascii = true;
        } else if (et_args_flag(&a, "--no-color") || et_args_flag(&a, "--no-colour")) {
            o.no_color = true;
        } else if (et_args_flag(&a, "--keys")) {
            et_keys_print(stdout);
            return 0;
        } else if (!et_args_positional(&a, &model)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (o.worker.min_seconds > o.worker.max_seconds)
        o.worker.max_seconds = o.worker.min_seconds;
    char demo[PATH_MAX];
    if (!model) {
        if (!find_demo(demo, sizeof demo)) {
            fprintf(stderr,
                    "edgetune: no MODEL given and the demo model is not where it was built (%s); give a "
                    "model: edgetune MODEL.onnx\n",
                    ET_DEMO_MODEL[0] ? ET_DEMO_MODEL : "fixtures/models/fmnist_demo.onnx");
            return 2;
        }
        model = demo;
    }
    et_session_input_file files[ET_MAX_CLI_TENSORS];
    o.session.model_path = model;
    et_args_session(&targs, &data, files, &o.session);
    o.worker.db_path = cli->db_path;
    o.worker.deploy_exe = ET_DEPLOY_SELF_EXE;
    return et_app_run(&o);
}
