/* args.c: the argument walker and the flags shared by several subcommands. */
#include "cli/args.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "record/layer_knobs.h"

et_args et_args_start(const char *cmd, int argc, char **argv) {
    return (et_args){.cmd = cmd, .argc = argc, .argv = argv, .i = 1};
}

bool et_args_more(et_args *a) { return !a->failed && a->i < a->argc; }

bool et_args_flag(et_args *a, const char *name) {
    if (a->only_positional || strcmp(a->argv[a->i], name) != 0)
        return false;
    a->i++;
    return true;
}

bool et_args_value(et_args *a, const char *name, const char **value) {
    if (a->only_positional)
        return false;
    const char *w = a->argv[a->i];
    size_t l = strlen(name);
    if (strncmp(w, name, l) != 0)
        return false;
    if (w[l] == '=') {
        *value = w + l + 1;
        a->i++;
        return true;
    }
    if (w[l] != '\0')
        return false;
    if (a->i + 1 >= a->argc) {
        et_cli_usage_error(a->cmd, "%s needs a value", name);
        a->failed = true;
        return false;
    }
    *value = a->argv[a->i + 1];
    a->i += 2;
    return true;
}

bool et_args_positional(et_args *a, const char **slot) {
    if (a->failed) /* an earlier matcher already reported this word */
        return false;
    const char *w = a->argv[a->i];
    if (!a->only_positional && strcmp(w, "--") == 0) {
        a->only_positional = true;
        a->i++;
        return true;
    }
    if (!a->only_positional && w[0] == '-' && w[1] != '\0') {
        et_cli_usage_error(a->cmd, "unknown option '%s'", w);
        a->failed = true;
        return false;
    }
    if (*slot) {
        et_cli_usage_error(a->cmd, "unexpected argument '%s'", w);
        a->failed = true;
        return false;
    }
    *slot = w;
    a->i++;
    return true;
}

int et_args_tensor_flag(et_args *a, et_tensor_args *t) {
    const char *v;
    if (et_args_value(a, "--shape", &v)) {
        const char *eq = strrchr(v, '=');
        if (!eq || eq == v || t->n_shapes >= ET_MAX_CLI_TENSORS || (size_t)(eq - v) >= sizeof t->names[0]) {
            et_cli_usage_error(a->cmd, "--shape '%s': expected NAME=DIMS, e.g. --shape input=1x3x224x224", v);
            return -1;
        }
        int k = t->n_shapes;
        snprintf(t->names[k], sizeof t->names[k], "%.*s", (int)(eq - v), v);
        if (!et_parse_dims(eq + 1, &t->shapes[k].shape)) {
            et_cli_usage_error(a->cmd, "--shape '%s': dims must be whole numbers joined by 'x', e.g. 1x3x224x224", v);
            return -1;
        }
        t->shapes[k].name = t->names[k];
        t->n_shapes++;
        return 1;
    }
    if (et_args_value(a, "--input", &v)) {
        const char *eq = strchr(v, '=');
        if (t->n_inputs >= ET_MAX_CLI_TENSORS) {
            et_cli_usage_error(a->cmd, "too many --input flags");
            return -1;
        }
        /* NAME=FILE, or just FILE for a single-input model */
        t->inputs[t->n_inputs].name = NULL;
        t->inputs[t->n_inputs].path = v;
        if (eq && eq != v) {
            t->inputs[t->n_inputs].name = v; /* NUL-terminated at '=' below: argv is ours to edit */
            *(char *)eq = '\0';
            t->inputs[t->n_inputs].path = eq + 1;
        }
        t->n_inputs++;
        return 1;
    }
    return a->failed ? -1 : 0;
}

int et_args_knob_flag(et_args *a, et_knobs *k) {
    const char *v;
    long l;
    double d;
    if (et_args_value(a, "--bits", &v)) {
        if (!et_cli_parse_long(a->cmd, "--bits", v, 2, 32, &l))
            return -1;
        k->weight_bits = (int)l;
    } else if (et_args_value(a, "--act-bits", &v)) {
        if (!et_cli_parse_long(a->cmd, "--act-bits", v, 2, 32, &l))
            return -1;
        k->act_bits = (int)l;
    } else if (et_args_value(a, "--granularity", &v)) {
        int g = et_granularity_parse(v);
        if (g < 0) {
            et_cli_usage_error(a->cmd, "--granularity '%s': expected tensor or channel", v);
            return -1;
        }
        k->granularity = (et_granularity)g;
    } else if (et_args_flag(a, "--symmetric")) {
        k->symmetric = true;
    } else if (et_args_flag(a, "--asymmetric")) {
        k->symmetric = false;
    } else if (et_args_value(a, "--prune", &v)) {
        if (!et_cli_parse_double(a->cmd, "--prune", v, 0.0, 0.95, &d))
            return -1;
        k->prune_ratio = (float)d;
    } else if (et_args_value(a, "--prune-method", &v)) {
        int m = et_prune_method_parse(v);
        if (m < 0) {
            et_cli_usage_error(a->cmd, "--prune-method '%s': expected unstructured, global, nm or channel", v);
            return -1;
        }
        k->prune_method = (et_prune_method)m;
    } else if (et_args_value(a, "--nm", &v)) {
        int n, m;
        char tail;
        if (sscanf(v, "%d:%d%c", &n, &m, &tail) != 2 || n < 1 || m < 2 || n >= m || m > 16) {
            et_cli_usage_error(a->cmd, "--nm '%s': expected N:M with 1 <= N < M <= 16, e.g. 2:4", v);
            return -1;
        }
        k->nm_n = n, k->nm_m = m;
    } else if (et_args_value(a, "--threads", &v)) {
        if (!et_cli_parse_long(a->cmd, "--threads", v, 1, 256, &l))
            return -1;
        k->threads = (int)l;
    } else if (et_args_flag(a, "--quantize-all")) {
        k->quantize_all = true;
    } else if (et_args_value(a, "--clip", &v)) {
        int c = et_clip_parse(v);
        if (c < 0) {
            et_cli_usage_error(a->cmd, "--clip '%s': expected minmax or percentile", v);
            return -1;
        }
        k->clip = (et_clip)c;
    } else if (et_args_flag(a, "--force-int8")) {
        k->force_int8 = true;
    } else if (et_args_value(a, "--recover", &v)) {
        int r = et_recover_parse(v);
        if (r < 0) {
            et_cli_usage_error(a->cmd, "--recover '%s': expected none, bias or full", v);
            return -1;
        }
        k->recover = (et_recover)r;
    } else if (et_args_value(a, "--calib-method", &v)) {
        int m = et_calib_method_parse(v);
        if (m < 0) {
            et_cli_usage_error(a->cmd, "--calib-method '%s': expected minmax, percentile, mse or entropy", v);
            return -1;
        }
        k->calib_method = (et_calib_method)m;
    } else if (et_args_value(a, "--layer", &v)) { /* per-layer overrides (record/layer_knobs.h) */
        et_err e = {0};
        if (et_knobs_add_layer_spec(k, v, &e) != ET_OK) {
            et_cli_usage_error(a->cmd, "%s", e.msg);
            return -1;
        }
    } else if (et_args_value(a, "--layers-config", &v)) {
        et_err e = {0};
        if (et_knobs_load_layers_config(k, v, &e) != ET_OK) {
            et_cli_usage_error(a->cmd, "%s", e.msg);
            return -1;
        }
    } else {
        return a->failed ? -1 : 0;
    }
    return 1;
}

void et_args_session(const et_tensor_args *t, const et_data_args *d, et_session_input_file *files,
                     et_session_options *so) {
    for (int i = 0; i < t->n_inputs; i++)
        files[i] = (et_session_input_file){t->inputs[i].name, t->inputs[i].path};
    so->shapes = t->shapes, so->n_shapes = t->n_shapes;
    so->inputs = files, so->n_inputs = t->n_inputs;
    if (d) {
        so->eval_dir = d->eval, so->calib_dir = d->calib, so->labels_path = d->labels;
        so->eval_limit = d->eval_limit;
    }
}

int et_args_data_flag(et_args *a, et_data_args *d) {
    const char *v;
    if (et_args_value(a, "--eval", &d->eval) || et_args_value(a, "--calib", &d->calib) ||
        et_args_value(a, "--labels", &d->labels))
        return 1;
    if (et_args_value(a, "--eval-limit", &v))
        return et_cli_parse_long(a->cmd, "--eval-limit", v, 1, 1000000000L, &d->eval_limit) ? 1 : -1;
    return a->failed ? -1 : 0;
}

const char et_knob_help[] =
    "knobs:\n"
    "  --bits N              weight bits: 32 (fp32), 16 (fp16), 8, 7, 6, 5, 4, 3, 2 (default 32)\n"
    "  --act-bits N          activation bits: 32 or 8 (default 32)\n"
    "  --granularity G       weight scales per 'channel' (default) or per 'tensor'\n"
    "  --symmetric           symmetric weight quantization (default)\n"
    "  --asymmetric          asymmetric (zero point) weight quantization\n"
    "  --prune R             pruning ratio from 0 to 0.95 (default 0)\n"
    "  --prune-method M      unstructured (per layer, default), global, nm, channel\n"
    "  --nm N:M              keep N of every M weights with --prune-method nm (default 2:4)\n"
    "  --threads T           inference threads (default 1)\n"
    "  --quantize-all        also quantize (and prune) the first and last layer (kept fp32 by default)\n"
    "  --clip C              weight range: minmax (default) or percentile (99.99th of |w|)\n"
    "  --force-int8          with --act-bits 8: int8 even for layers measured slower than fp32 here\n"
    "  --recover R           win accuracy back from the calibration inputs: none (default), bias (bias\n"
    "                        correction), full (GPTQ rounding, SparseGPT masks, least-squares refit after\n"
    "                        channel pruning, then bias correction; layer by layer)\n"
    "  --calib-method M      with --act-bits 8: activation ranges from minmax (default), percentile, mse or\n"
    "                        entropy\n"
    "  --layer NAME:K=V,...  per-layer override of the knobs above for the weight layer NAME (or a glob):\n"
    "                        keys bits, act-bits, prune, method, recover; repeatable, later ones win, e.g.\n"
    "                        --layer conv1:bits=4,prune=0.5; each layer is recovered at its own bits,\n"
    "                        pruning and recover= (none: not compensated; default --recover)\n"
    "  --layers-config FILE  per-layer overrides from FILE: one '<name or glob> key=value ...' per line, '#'\n"
    "                        comments (edgetune(1), PER-LAYER CONFIGURATION)\n";

const char et_tensor_help[] =
    "inputs:\n"
    "  --shape NAME=DIMS     fix an input's dims, e.g. --shape input=1x3x224x224 (batch defaults to 1)\n"
    "  --input NAME=FILE     feed an input from a .npy file (FILE alone for a single-input model; a uint16\n"
    "                        file feeds a bfloat16 input with its bits); small inputs that the model needs as\n"
    "                        values to plan (a Reshape's shape, Pad's pads, ...) are bound as constants\n";

const char et_data_help[] =
    "data sets:\n"
    "  --eval PATH           evaluation inputs for fidelity: a folder of .npy files (one sample each, or a\n"
    "                        batch N x ...), or one batched .npy; every sample is used, in file-name order\n"
    "                        (default: <model>.eval/ when present, else 8 seeded random inputs)\n"
    "  --labels FILE         class labels for accuracy: labels.txt (one integer per line) or labels.npy,\n"
    "                        one per sample (default: labels.txt or labels.npy in the --eval folder)\n"
    "  --eval-limit N        use a seeded random subset of N samples (each keeps its label)\n"
    "  --calib PATH          calibration inputs for --act-bits 8, in the same forms (default <model>.calib/;\n"
    "                        at most 1024 samples and 256 MiB are used: a seeded subset of a larger set)\n"
    "  A data set's sample shape fixes the model input's dynamic dims (unless --shape gives them).\n";
