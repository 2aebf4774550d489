/* cmd_save.c: `edgetune save MODEL [KNOBS] -o OUT.onnx`: the tuned model as an ONNX file other runtimes load
 * (model/onnx_writer.h: int8 in QDQ form, weight-only quantized weights as int8 codes, pruned weights, shrunk
 * channels). The file is then loaded back with edgetune and run on the same input as the tuned model; the
 * outputs must agree (the check prints cosine and max abs difference; --no-check skips it).
 *
 * With --act-bits 8 every layer that can be int8 is written int8: the speed guard is about edgetune's own kernels
 * on this machine, and the runtime that loads the file decides for itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/session.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "model/onnx_writer.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: edgetune save MODEL [KNOBS] -o OUT.onnx [--calib DIR] [--input NAME=FILE.npy]...\n"
            "                     [--shape NAME=DIMS]... [--no-check] [--progress]\n\n"
            "Writes the model tuned with the knobs as an ONNX file: int8 layers in QDQ form (QuantizeLinear /\n"
            "DequantizeLinear around Conv, Gemm, MatMul and Add; per-channel weight scales on axis 0), weight-only\n"
            "quantized weights as int8 codes with a DequantizeLinear (fp16 weights as float16 with a Cast), pruned\n"
            "weights, and channel-pruned layers with their smaller shapes. Opset 13 or the model's, if newer.\n"
            "The saved file is loaded back and run on the same input as the tuned model to check that they agree.\n\n"
            "  -o FILE        the ONNX file to write (replaced atomically)\n"
            "  --calib DIR    calibration inputs for --act-bits 8 and --recover (default <model>.calib/, else\n"
            "                 seeded random)\n"
            "  --no-check     do not load the saved file back\n"
            "  --progress     recovery's progress on stderr even when it is not a terminal\n\n");
    fputs(et_tensor_help, out);
    fputs(et_knob_help, out);
}

/* Runs the saved file on the session's inputs and compares with the tuned plan's outputs. */
static int check(et_session *s, const char *path, const et_tensor_args *targs) {
    et_err err = {0};
    et_model *m = NULL;
    et_load_options lo = {.shapes = targs->shapes, .n_shapes = targs->n_shapes};
    if (et_model_load(path, &lo, &m, &err) != ET_OK) {
        fprintf(stderr, "edgetune: the saved file does not load back: %s\n", err.msg);
        return 1;
    }
    et_plan *p = NULL, *tuned = et_session_plan(s);
    int rc = 0;
    if (et_plan_create(m->graph, NULL, &p, &err) != ET_OK || et_plan_n_inputs(p) != et_plan_n_inputs(tuned) ||
        et_plan_n_outputs(p) != et_plan_n_outputs(tuned)) {
        fprintf(stderr, "edgetune: the saved file does not run: %s\n", err.msg[0] ? err.msg : "inputs/outputs differ");
        et_plan_free(p);
        et_model_free(m);
        return 1;
    }
    et_session_load_inputs(s);
    for (int i = 0; i < et_plan_n_inputs(p); i++) {
        const et_tensor *a = et_plan_input(tuned, i);
        et_tensor *b = et_plan_input(p, i);
        memcpy(b->data, a->data, (size_t)et_shape_numel(&a->shape) * et_dtype_size(a->dtype));
    }
    if (et_session_infer(s, NULL, &err) != ET_OK || et_plan_run(p, NULL, &err) != ET_OK) {
        fprintf(stderr, "edgetune: checking the saved file failed: %s\n", err.msg);
        rc = 1;
    }
    for (int o = 0; rc == 0 && o < et_plan_n_outputs(p); o++) {
        const et_tensor *a = et_plan_output(tuned, o), *b = et_plan_output(p, o);
        int64_t n = et_shape_numel(&a->shape);
        if (n != et_shape_numel(&b->shape)) {
            fprintf(stderr, "edgetune: output '%s' has another size in the saved file\n", et_plan_output_name(p, o));
            rc = 1;
            break;
        }
        double dot = 0, na = 0, nb = 0, worst = 0, peak = 0;
        for (int64_t e = 0; e < n; e++) {
            double x = et_dtype_load(a->dtype, a->data, (size_t)e), y = et_dtype_load(b->dtype, b->data, (size_t)e);
            dot += x * y, na += x * x, nb += y * y;
            worst = fmax(worst, fabs(x - y));
            peak = fmax(peak, fabs(x));
        }
        double cs = na > 0 && nb > 0 ? dot / sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
        /* A loaded QDQ file computes in float (dequantized operands, float sums), the tuned model in integers:
         * a float sum within its rounding error of a half step moves one code, and deeper layers amplify those
         * moves (measured: ResNet-18 cosine 0.9997, ResNet-50 0.983, each block multiplying 1 - cosine by about
         * 4; ONNX Runtime's own evaluation of the file agrees with edgetune to the same degree). So the check is
         * agreement, not identity: cosine >= 0.95, and the same arg-max for classifier outputs ([batch, classes])
         * unless the tuned model's top two are closer than the largest difference;
         * a wrong scale or zero point gives far less. The arg-max of a feature map's last axis says nothing. */
        const bool classifier = a->shape.rank == 2 ||
                                (a->shape.rank > 2 && n == a->shape.dim[0] * a->shape.dim[a->shape.rank - 1]);
        int64_t classes = classifier ? a->shape.dim[a->shape.rank - 1] : 1;
        bool same_top = true;
        for (int64_t r = 0; classes > 1 && r + classes <= n; r += classes) {
            int64_t ia = 0, ib = 0;
            for (int64_t c = 1; c < classes; c++) {
                ia = et_dtype_load(a->dtype, a->data, (size_t)(r + c)) >
                             et_dtype_load(a->dtype, a->data, (size_t)(r + ia))
                         ? c
                         : ia;
                ib = et_dtype_load(b->dtype, b->data, (size_t)(r + c)) >
                             et_dtype_load(b->dtype, b->data, (size_t)(r + ib))
                         ? c
                         : ib;
            }
            /* a near tie in the tuned scores (closer than the largest difference between the two evaluations)
             * may flip without anything being wrong: a tiny random-weight classifier's top two are 1e-4 apart */
            const double ta = et_dtype_load(a->dtype, a->data, (size_t)(r + ia)),
                         tb = et_dtype_load(a->dtype, a->data, (size_t)(r + ib));
            same_top &= ia == ib || ta - tb <= worst;
        }
        bool ok = cs >= 0.95 && same_top;
        printf("check: output '%s' from the saved file vs the tuned model: cosine %.6f, max abs difference %.3g%s%s\n",
               et_plan_output_name(p, o), cs, worst, same_top ? "" : ", arg-max differs", ok ? "" : "  MISMATCH");
        (void)peak;
        if (!ok) {
            rc = 1;
            if (!classifier && cs >= 0.8)
                printf("note: a float evaluation of a QDQ file and integer kernels differ by rounding ties that deep "
                       "layers amplify; compare the file's accuracy on labelled data (bench --eval) before "
                       "trusting or discarding it\n");
        }
    }
    et_plan_free(p);
    et_model_free(m);
    return rc;
}

int et_cmd_save(et_cli *cli, int argc, char **argv) {
    (void)cli;
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    et_args a = et_args_start("save", argc, argv);
    et_tensor_args targs = {0};
    et_knobs knobs = et_knobs_default();
    const char *model = NULL, *out = NULL, *calib = NULL;
    bool do_check = true, show_progress = false;
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, &targs)) != 0 || (r = et_args_knob_flag(&a, &knobs)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_value(&a, "-o", &out) || et_args_value(&a, "--calib", &calib)) {
        } else if (et_args_flag(&a, "--no-check")) {
            do_check = false;
        } else if (et_args_flag(&a, "--progress")) {
            show_progress = true;
        } else if (!et_args_positional(&a, &model)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!model)
        return et_cli_usage_error("save", "give the model file");
    if (!out)
        return et_cli_usage_error("save", "give the file to write with -o OUT.onnx");
    knobs.force_int8 = true; /* every layer that can be int8 is int8 in the file */
    et_err err = {0};
    if (et_knobs_validate(&knobs, &err) != ET_OK)
        return et_cli_report(&err);
    et_session_input_file files[ET_MAX_CLI_TENSORS];
    et_session_options so = {.model_path = model, .calib_dir = calib};
    et_args_session(&targs, NULL, files, &so);
    et_session *s = NULL;
    if (et_session_open(&so, &s, &err) != ET_OK || et_cli_configure(s, &knobs, show_progress, NULL, &err) != ET_OK) {
        et_session_free(s);
        return et_cli_report(&err);
    }
    et_cli_note(et_session_notes(s));
    et_onnx_write_info info = {0};
    if (et_onnx_write(et_session_tuned(s), out, "edgetune 0.1.0", &info, &err) != ET_OK) {
        et_session_free(s);
        return et_cli_report(&err);
    }
    const et_tune_report *rep = et_session_tune_report(s);
    char desc[160];
    printf("wrote %s: %.2f MiB, opset %lld, %d nodes (%d QuantizeLinear/DequantizeLinear); %s\n", out,
           (double)info.bytes / 1048576.0, (long long)info.opset, info.n_nodes, info.n_qdq,
           et_knobs_describe(&knobs, desc, sizeof desc));
    if (rep->notes[0])
        printf("notes: %s\n", rep->notes);
    if (knobs.act_bits == 8 && knobs.weight_bits == 8)
        printf("hint: ONNX Runtime's int8 kernels on x86 CPUs without AVX-512 VNNI saturate with full-range 8-bit "
               "weights (u8s8), so its results drift from this file's QDQ semantics; --bits 7 avoids that\n");
    int rc = do_check ? check(s, out, &targs) : 0;
    et_session_free(s);
    return rc;
}
