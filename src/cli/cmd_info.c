/* cmd_info.c: `edgetune info MODEL [--json]` (placeholder until the ONNX reader lands). */
#include "cli/cli.h"

int et_cmd_info(et_cli *cli, int argc, char **argv) {
    (void)cli;
    if (et_cli_wants_help(argc, argv)) {
        printf("usage: edgetune info MODEL [--shape NAME=DIMS]... [--json]\n");
        return 0;
    }
    return et_cli_usage_error("info", "not implemented yet");
}
