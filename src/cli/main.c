/* main.c: the edgetune executable. Strips the global flags (--db, --version, --help), then dispatches to the
 * subcommand named first, or to the workbench (`tui`) when the first word is not a subcommand. */
#include <stdio.h>
#include <string.h>

#include "bench/deploy_memory.h"
#include "cli/cli.h"

typedef struct {
    const char *name;
    int (*fn)(et_cli *, int, char **);
    const char *summary;
} command;

static const command commands[] = {
#define ET_X(n, s) {#n, et_cmd_##n, s},
    ET_COMMAND_LIST(ET_X)
#undef ET_X
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_help(FILE *out) {
    fprintf(out, "usage: edgetune [--db PATH] [COMMAND] [ARGS...]\n"
                 "       edgetune [MODEL.onnx]        open the workbench (the demo model when none is given)\n\n"
                 "commands:\n");
    int width = 0; /* the summaries line up after the longest command name */
    for (int i = 0; i < N_COMMANDS; i++)
        width = (int)strlen(commands[i].name) > width ? (int)strlen(commands[i].name) : width;
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-*s %s\n", width, commands[i].name, commands[i].summary);
    fprintf(out, "\nglobal options:\n"
                 "  --db PATH   the run database (default: $EDGETUNE_DB, else $XDG_DATA_HOME/edgetune/runs.db,\n"
                 "              else ~/.local/share/edgetune/runs.db)\n"
                 "  --help      this text; 'edgetune COMMAND --help' for a command\n"
                 "  --version   print the version\n\n"
                 "exit codes: 0 ok, 1 failure while running, 2 bad usage or bad input\n"
                 "see also: man edgetune\n");
}

static const command *find_command(const char *name) {
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv) {
    /* the deployed-memory measurement's own process: first, before anything else is loaded or touched */
    if (argc >= 2 && strcmp(argv[1], ET_DEPLOY_COMMAND) == 0)
        return et_deploy_child_main(argc - 1, argv + 1);
    et_cli cli = {0};
    /* Remove global flags wherever they appear (before a "--"), so subcommands never see them. */
    int n = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                argv[n++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--db") == 0) {
            if (i + 1 >= argc)
                return et_cli_usage_error(NULL, "--db needs a path");
            cli.db_path = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            cli.db_path = argv[i] + 5;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("edgetune %s\n", ET_VERSION);
            return 0;
        } else {
            argv[n++] = argv[i];
        }
    }
    argc = n;
    argv[argc] = NULL;
    if (cli.db_path && !*cli.db_path)
        return et_cli_usage_error(NULL, "--db needs a non-empty path");

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
        print_help(stdout);
        return 0;
    }
    const command *cmd = argc >= 2 ? find_command(argv[1]) : NULL;
    if (cmd)
        return cmd->fn(&cli, argc - 1, argv + 1);
    const command *tui = find_command("tui");
    if (tui) {
        /* `edgetune`, `edgetune model.onnx` and `edgetune --seconds 2 model.onnx` open the workbench, whose
         * option parser reports anything it does not know */
        argv[0] = "tui";
        return tui->fn(&cli, argc, argv);
    }
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    return et_cli_usage_error(NULL, "unknown command or option '%s'", argv[1]);
}
