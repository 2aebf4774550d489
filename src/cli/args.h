/* args.h: a small argument walker for subcommands. Flags take their value as the next word or after '='
 * (--iters 50, --iters=50). Errors print one usage line naming the flag and set `failed`; the command then
 * returns 2.
 *
 *   et_args a = et_args_start("bench", argc, argv);
 *   while (et_args_more(&a)) {
 *       const char *v;
 *       if (et_args_flag(&a, "--json")) json = true;
 *       else if (et_args_value(&a, "--iters", &v)) { if (!et_cli_parse_long(...)) return 2; }
 *       else if (!et_args_positional(&a, &model)) break;   // unknown option: error printed
 *   }
 *   if (a.failed) return 2;
 */
#ifndef ET_CLI_ARGS_H
#define ET_CLI_ARGS_H

#include <stdbool.h>

#include "bench/session.h"
#include "model/model.h"
#include "record/knobs.h"

typedef struct et_args {
    const char *cmd;
    int argc;
    char **argv;
    int i;
    bool failed;
    bool only_positional; /* after "--" */
} et_args;

et_args et_args_start(const char *cmd, int argc, char **argv);
bool et_args_more(et_args *a);
bool et_args_flag(et_args *a, const char *name);
/* Matches --name with a value; a missing value is an error (failed set, returns false). */
bool et_args_value(et_args *a, const char *name, const char **value);
/* Takes the current word as a positional argument: into *slot when it is NULL, else an error "unexpected";
 * an unknown option is an error too. Returns false on error. */
bool et_args_positional(et_args *a, const char **slot);

/* --shape NAME=DIMS and --input NAME=FILE.npy, shared by run, bench, sweep, save and the workbench. */
enum { ET_MAX_CLI_TENSORS = 32 };
typedef struct et_tensor_args {
    et_input_shape shapes[ET_MAX_CLI_TENSORS];
    int n_shapes;
    struct {
        const char *name, *path;
    } inputs[ET_MAX_CLI_TENSORS];
    int n_inputs;
    char names[ET_MAX_CLI_TENSORS][128]; /* storage for shape names */
} et_tensor_args;

/* Consumes --shape / --input at the current position. Returns 1 consumed, 0 not this flag, -1 error. */
int et_args_tensor_flag(et_args *a, et_tensor_args *t);

/* --eval PATH, --calib PATH, --labels FILE, --eval-limit N: the data sets of bench, sweep and the workbench. */
typedef struct et_data_args {
    const char *eval, *calib, *labels;
    long eval_limit; /* 0: every sample */
} et_data_args;

/* Consumes one of those flags at the current position. Returns 1 consumed, 0 not this flag, -1 error. */
int et_args_data_flag(et_args *a, et_data_args *d);

/* The session options the --shape/--input flags (t) and, when d is not NULL, the data-set flags give: files (the
 * caller's, ET_MAX_CLI_TENSORS entries) gets the --input pairs and so->inputs points at it; so's other fields are
 * left as they were (the caller sets the model path and, where it has one, the per-layer profile). */
void et_args_session(const et_tensor_args *t, const et_data_args *d, et_session_input_file *files,
                     et_session_options *so);

/* Consumes a knob flag (--bits, --act-bits, --granularity, --symmetric, --asymmetric, --prune,
 * --prune-method, --nm, --threads, --quantize-all). Returns 1 consumed, 0 not a knob, -1 error. */
int et_args_knob_flag(et_args *a, et_knobs *k);

/* The help lines for the knob and tensor flags, for every command's --help. */
extern const char et_knob_help[];
extern const char et_tensor_help[];
extern const char et_data_help[];

#endif
