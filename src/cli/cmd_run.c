/* cmd_run.c: `edgetune run MODEL [--input NAME=FILE.npy]... [--shape NAME=DIMS]... [--output-dir DIR] [KNOBS]`:
 * one inference; prints each output's type, shape and a summary, and writes DIR/<output name>.npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/session.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "tune/fidelity.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: edgetune run MODEL [--input NAME=FILE.npy]... [--shape NAME=DIMS]... [--output-dir DIR] "
            "[KNOBS] [--calib PATH] [--progress]\n\n"
            "Runs the model once and prints each output. Inputs not given with --input get seeded random data.\n"
            "Given inputs whose values the model needs to plan its shapes (a Reshape's shape, Pad's pads, Resize's\n"
            "scales or sizes, Slice's starts, ... given as graph inputs; at most 64 elements each) are bound as\n"
            "constants before planning, and stderr says which.\n"
            "--output-dir DIR writes each output to DIR/<output name>.npy (characters outside [A-Za-z0-9._-]\n"
            "in the name become '_'; bfloat16 outputs as uint16 holding the bits, as numpy has no bfloat16).\n"
            "--calib PATH: calibration inputs (.npy files or one batched .npy) for --act-bits 8 and --recover\n"
            "(default <model>.calib/, else seeded random inputs). --progress: recovery's progress on stderr even\n"
            "when it is not a terminal.\n\n");
    fputs(et_tensor_help, out);
    fputs(et_knob_help, out);
}

/* The output file name: every character outside [A-Za-z0-9._-] replaced by '_'. */
static void sanitize(const char *name, char *out, size_t len) {
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        out[i] = ok ? c : '_';
    }
    out[i] = '\0';
    if (i == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, len, "output");
}

int et_cmd_run(et_cli *cli, int argc, char **argv) {
    (void)cli;
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    et_args a = et_args_start("run", argc, argv);
    et_tensor_args targs = {0};
    et_knobs knobs = et_knobs_default();
    const char *model = NULL, *out_dir = NULL, *calib = NULL;
    bool show_progress = false;
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, &targs)) != 0 || (r = et_args_knob_flag(&a, &knobs)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_value(&a, "--output-dir", &out_dir) || et_args_value(&a, "--calib", &calib)) {
        } else if (et_args_flag(&a, "--progress")) {
            show_progress = true;
        } else if (!et_args_positional(&a, &model)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!model)
        return et_cli_usage_error("run", "give the model file");
    et_session_input_file files[ET_MAX_CLI_TENSORS];
    et_session_options so = {.model_path = model, .calib_dir = calib};
    et_args_session(&targs, NULL, files, &so);
    et_err err = {0};
    et_session *s = NULL;
    if (et_session_open(&so, &s, &err) != ET_OK || et_cli_configure(s, &knobs, show_progress, NULL, &err) != ET_OK ||
        et_session_infer(s, NULL, &err) != ET_OK) {
        et_session_free(s);
        return et_cli_report(&err);
    }
    et_cli_note(et_session_notes(s));
    if (out_dir) {
        if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "edgetune: %s: cannot create the folder: %s\n", out_dir, strerror(errno));
            et_session_free(s);
            return 2;
        }
    }
    et_plan *plan = et_session_plan(s);
    int rc = 0;
    for (int i = 0; i < et_plan_n_outputs(plan); i++) {
        const et_tensor *t = et_plan_output(plan, i);
        const char *name = et_plan_output_name(plan, i);
        char shape[128];
        et_shape_str(&t->shape, shape, sizeof shape);
        printf("%s: %s %s", name, et_dtype_name(t->dtype), shape);
        int64_t n = et_shape_numel(&t->shape);
        if (n > 0 && et_dtype_is_numeric(t->dtype)) {
            printf("  [");
            for (int64_t k = 0; k < n && k < 5; k++)
                printf("%s%.6g", k ? ", " : "", et_dtype_load(t->dtype, t->data, (size_t)k));
            printf("%s]", n > 5 ? ", ..." : "");
            if (t->dtype == ET_DT_F32 && t->shape.rank >= 1 && t->shape.dim[t->shape.rank - 1] > 1 &&
                n == t->shape.dim[t->shape.rank - 1])
                printf("  argmax %lld", (long long)et_argmax_f32(t->data, n));
        }
        putchar('\n');
        if (out_dir) {
            char file[256], path[4096];
            sanitize(name, file, sizeof file);
            snprintf(path, sizeof path, "%s/%s.npy", out_dir, file);
            if (et_npy_write(path, t->dtype, &t->shape, t->data, &err) != ET_OK) {
                rc = et_cli_report(&err);
                break;
            }
            printf("  -> %s\n", path);
        }
    }
    et_session_free(s);
    return rc;
}
