/* placeholder */
#include "cli/cli.h"
int et_cmd_save(et_cli *cli, int argc, char **argv) {
    (void)cli, (void)argc, (void)argv;
    return 2;
}
