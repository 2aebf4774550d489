/* cli.h: the subcommand table and what every subcommand shares.
 *
 * Each subcommand lives in src/cli/cmd_<name>.c as `int et_cmd_<name>(et_cli *cli, int argc, char **argv)`,
 * where argv[0] is the subcommand name; it returns the process exit code (0 ok, 1 failure while running,
 * 2 bad usage or bad input). Subcommands hold no logic of their own beyond parsing and printing: the work is in
 * src/, db/ and profilers/ so the TUI can call the same functions. */
#ifndef ET_CLI_CLI_H
#define ET_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "util/status.h"

typedef struct et_cli {
    const char *db_path; /* --db PATH, or NULL: db/ resolves EDGETUNE_DB and the XDG default */
} et_cli;

/* X(name, summary) in the order `edgetune --help` lists them. */
#define ET_COMMAND_LIST(X)                                                                                       \
    X(tui, "the workbench (default): knobs, live measurement, baseline, history; no MODEL: the demo")            \
    X(info, "inputs, outputs, shapes, op histogram, params, MACs, bytes of a model")                             \
    X(run, "one inference: inputs from .npy files, outputs printed and written as .npy")                         \
    X(bench, "measure latency, memory, counters, power and fidelity with the knobs; saves a run")                \
    X(sweep, "a grid of bits x prune ratio x method: size, latency, speed-up, fidelity, Pareto rows")            \
    X(sensitivity, "per weight layer and candidate setting: accuracy change, time and bytes saved")              \
    X(search, "a per-layer configuration within an accuracy drop: fastest or smallest, measured")                \
    X(save, "the tuned model as an ONNX file other runtimes load (int8 in QDQ form, pruned, shrunk)")            \
    X(finetune, "train the tuned model to match its fp32 original on data (distillation, QAT, gradual pruning)") \
    X(distill, "train a student model to reproduce a teacher's outputs on data")                                 \
    X(runs, "stored runs, newest first, filtered by model, host, knob, label")                                   \
    X(show, "everything stored about one run")                                                                   \
    X(compare, "runs side by side against a baseline: speed-up, size, memory, energy, accuracy")                 \
    X(label, "set or clear the label of a run")                                                                  \
    X(baseline, "mark the run compare uses as baseline for its model on its host")                               \
    X(rm, "remove runs")                                                                                         \
    X(import, "merge the runs of another device's runs.db")                                                      \
    X(doctor, "which profilers work here (counters, power, memory, thermal), and why not")

#define ET_X(name, summary) int et_cmd_##name(et_cli *cli, int argc, char **argv);
ET_COMMAND_LIST(ET_X)
#undef ET_X

/* Prints "edgetune CMD: <message>; see 'edgetune CMD --help'" to stderr and returns 2. */
int et_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "edgetune: <note>" to stderr once, when note is not empty (a session's notes: inputs bound as constants). */
void et_cli_note(const char *note);

/* Prints "edgetune: <err->msg>" to stderr and returns the exit code for err->status. */
int et_cli_report(const et_err *err);

/* Strict number parsing for flag values: the whole string must be a number within [min, max].
 * On failure they print a usage error naming the flag and return false. */
bool et_cli_parse_long(const char *cmd, const char *flag, const char *s, long min, long max, long *out);
bool et_cli_parse_double(const char *cmd, const char *flag, const char *s, double min, double max, double *out);

/* True when argv[i] is -h or --help for any i >= 1. */
bool et_cli_wants_help(int argc, char **argv);

struct et_session;
struct et_knobs;
/* et_session_configure with what long work needs on a terminal: recovery's progress ("recovering: layer i of n,
 * time left") on stderr when it is a terminal or `progress` (--progress) is set, and SIGINT, SIGTERM or SIGHUP
 * cancelling it at the next layer (ET_E_CANCELLED, "cancelled ..."; exit code 1). A caller with its own signal
 * handling passes its flag as cancel (else NULL: the handlers are installed for the call). */
et_status et_cli_configure(struct et_session *s, const struct et_knobs *k, bool progress, const volatile int *cancel,
                           et_err *err);

#endif
