/* cmd_info.c: `edgetune info MODEL [--shape NAME=DIMS]... [--json]`: inputs, outputs, shapes, op histogram,
 * params, MACs, bytes. Works on models edgetune cannot run too: it then lists the unsupported operators. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "model/model_info.h"
#include "util/json.h"
#include "util/units.h"

enum { MAX_HIST = 128 };

static void usage(FILE *out) {
    fprintf(out, "usage: edgetune info MODEL [--shape NAME=DIMS]... [--json]\n\n"
                 "Inputs and outputs with types and shapes, the operators as stored and as edgetune runs them\n"
                 "(after constant folding and fusion), parameters, multiply-accumulates per inference, and bytes.\n"
                 "Dynamic dims other than the batch need --shape for params and MACs.\n\n");
    fputs(et_tensor_help, out);
}

static void io_text(const et_graph *g, const int *idx, int n, const char *what) {
    for (int i = 0; i < n; i++) {
        const et_value *v = &g->values[idx[i]];
        char s[128] = "";
        if (v->shape.rank > 0 || v->kind == ET_VAL_INPUT) {
            size_t at = 0;
            for (int d = 0; d < v->shape.rank && at < sizeof s; d++) {
                int w = v->shape.dim[d] >= 0
                            ? snprintf(s + at, sizeof s - at, "%s%lld", d ? "x" : "", (long long)v->shape.dim[d])
                            : snprintf(s + at, sizeof s - at, "%s%s", d ? "x" : "",
                                       v->dim_param[d] ? v->dim_param[d] : "?");
                if (w > 0)
                    at += (size_t)w;
            }
            if (v->shape.rank == 0)
                snprintf(s, sizeof s, "scalar");
        }
        printf("%-10s %s: %s %s\n", i == 0 ? what : "", v->name, et_dtype_name(v->dtype), s[0] ? s : "?");
    }
}

static void io_json(et_json *j, const char *key, const et_graph *g, const int *idx, int n) {
    et_json_begin_array(j, key);
    for (int i = 0; i < n; i++) {
        const et_value *v = &g->values[idx[i]];
        et_json_begin_object(j, NULL);
        et_json_string(j, "name", v->name);
        et_json_string(j, "type", et_dtype_name(v->dtype));
        et_json_begin_array(j, "shape");
        for (int d = 0; d < v->shape.rank; d++) {
            if (v->shape.dim[d] >= 0)
                et_json_int(j, NULL, v->shape.dim[d]);
            else
                et_json_string(j, NULL, v->dim_param[d] ? v->dim_param[d] : "?");
        }
        et_json_end_array(j);
        et_json_end_object(j);
    }
    et_json_end_array(j);
}

static void hist_text(const char *what, const et_graph *g) {
    et_op_count h[MAX_HIST];
    int n = et_graph_op_histogram(g, h, MAX_HIST);
    printf("%-10s ", what);
    for (int i = 0; i < n && i < MAX_HIST; i++)
        printf("%s%s %d", i ? ", " : "", h[i].op_type, h[i].count);
    printf("%s\n", n ? "" : "(none)");
}

static void hist_json(et_json *j, const char *key, const et_graph *g) {
    et_op_count h[MAX_HIST];
    int n = et_graph_op_histogram(g, h, MAX_HIST);
    et_json_begin_object(j, key);
    for (int i = 0; i < n && i < MAX_HIST; i++)
        et_json_int(j, h[i].op_type, h[i].count);
    et_json_end_object(j);
}

int et_cmd_info(et_cli *cli, int argc, char **argv) {
    (void)cli;
    if (et_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    et_args a = et_args_start("info", argc, argv);
    et_tensor_args targs = {0};
    const char *path = NULL;
    bool json = false;
    while (et_args_more(&a)) {
        int r;
        if ((r = et_args_tensor_flag(&a, &targs)) != 0) {
            if (r < 0)
                return 2;
        } else if (et_args_flag(&a, "--json")) {
            json = true;
        } else if (!et_args_positional(&a, &path)) {
            break;
        }
    }
    if (a.failed)
        return 2;
    if (!path)
        return et_cli_usage_error("info", "give the model file");
    if (targs.n_inputs)
        return et_cli_usage_error("info", "--input is not used by info");

    et_err err = {0};
    et_model *raw = NULL, *full = NULL;
    et_load_options ro = {.read_only = true, .allow_unsupported = true};
    if (et_model_load(path, &ro, &raw, &err) != ET_OK)
        return et_cli_report(&err);
    /* the runnable form: shapes, folding, fusion (fails for unsupported ops or unknown dims; say why) */
    et_err ferr = {0};
    et_load_options lo = {.shapes = targs.shapes, .n_shapes = targs.n_shapes};
    if (!raw->unsupported[0] && et_model_load(path, &lo, &full, &ferr) != ET_OK && ferr.status == ET_E_USAGE &&
        targs.n_shapes) {
        et_model_free(raw);
        return et_cli_report(&ferr); /* a bad --shape is the user's to fix */
    }
    const et_graph *g = raw->graph;
    if (json) {
        et_json j;
        et_json_init(&j, stdout, true);
        et_json_begin_object(&j, NULL);
        et_json_string(&j, "model", raw->name);
        et_json_string(&j, "path", raw->path);
        et_json_int(&j, "file_bytes", (int64_t)raw->file_bytes);
        et_json_string(&j, "sha256", raw->sha256);
        et_json_string(&j, "producer", raw->producer);
        et_json_int(&j, "ir_version", raw->ir_version);
        et_json_int(&j, "opset", g->opset);
        io_json(&j, "inputs", g, g->inputs, g->n_inputs);
        io_json(&j, "outputs", full ? full->graph : g, full ? full->graph->outputs : g->outputs,
                full ? full->graph->n_outputs : g->n_outputs);
        hist_json(&j, "ops_stored", g);
        if (full) {
            hist_json(&j, "ops_run", full->graph);
            et_json_int(&j, "params", et_graph_param_count(full->graph));
            et_json_int(&j, "weight_bytes", et_graph_weight_bytes(full->graph));
            et_json_int(&j, "macs", et_graph_macs(full->graph));
        } else {
            et_json_null(&j, "ops_run");
            et_json_null(&j, "params");
            et_json_null(&j, "weight_bytes");
            et_json_null(&j, "macs");
        }
        et_json_string(&j, "unsupported", raw->unsupported[0] ? raw->unsupported : NULL);
        et_json_string(&j, "not_runnable_because",
                       full                  ? NULL
                       : raw->unsupported[0] ? "unsupported operators"
                                             : ferr.msg);
        et_json_end_object(&j);
        et_json_finish(&j);
    } else {
        char b1[32], b2[32];
        printf("%-10s %s (%s)\n", "model", raw->path, et_fmt_bytes(b1, sizeof b1, (double)raw->file_bytes));
        printf("%-10s %s\n", "sha256", raw->sha256);
        printf("%-10s %s, IR version %lld, opset %lld\n", "producer", raw->producer[0] ? raw->producer : "(unknown)",
               (long long)raw->ir_version, (long long)g->opset);
        io_text(g, g->inputs, g->n_inputs, "inputs");
        if (full)
            io_text(full->graph, full->graph->outputs, full->graph->n_outputs, "outputs");
        else
            io_text(g, g->outputs, g->n_outputs, "outputs");
        hist_text("ops", g);
        if (full) {
            hist_text("runs as", full->graph);
            printf("%-10s %s (%s as fp32)\n", "params",
                   et_fmt_count(b1, sizeof b1, (double)et_graph_param_count(full->graph)),
                   et_fmt_bytes(b2, sizeof b2, (double)et_graph_weight_bytes(full->graph)));
            printf("%-10s %s multiply-accumulates per inference\n", "MACs",
                   et_fmt_count(b1, sizeof b1, (double)et_graph_macs(full->graph)));
        } else if (raw->unsupported[0]) {
            printf("%-10s edgetune cannot run this model: unsupported operators: %s\n", "note", raw->unsupported);
        } else {
            printf("%-10s params and MACs need static shapes: %s\n", "note", ferr.msg);
        }
    }
    et_model_free(raw);
    et_model_free(full);
    return 0;
}
