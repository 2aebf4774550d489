/* cmd_finetune.c: `edgetune finetune MODEL [KNOBS] --data PATH -o OUT.onnx ...`: the model as tuned by the knobs,
 * trained to reproduce its fp32 self (cli_train.c parses and prints; src/bench/train_job.c does the work). */
#include "cli/cli_train.h"

int et_cmd_finetune(et_cli *cli, int argc, char **argv) { return et_cli_train(cli, ET_TRAIN_FINETUNE, argc, argv); }
