/* cli_train.h: what `edgetune finetune` and `edgetune distill` share (cli_train.c): their flags, the progress
 * and epoch lines they print, the summary, signals. The work is src/bench/train_job.c's. */
#ifndef ET_CLI_CLI_TRAIN_H
#define ET_CLI_CLI_TRAIN_H

#include "cli/cli.h"
#include "record/train_record.h"

/* Runs `edgetune finetune|distill` with argv as given to the subcommand. Returns the exit code. */
int et_cli_train(et_cli *cli, et_train_kind kind, int argc, char **argv);

#endif
