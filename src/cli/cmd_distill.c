/* cmd_distill.c: `edgetune distill TEACHER.onnx STUDENT.onnx --data PATH -o OUT.onnx ...`: any student with the
 * teacher's inputs and outputs, trained on the teacher's outputs (cli_train.c parses and prints;
 * src/bench/train_job.c does the work). */
#include "cli/cli_train.h"

int et_cmd_distill(et_cli *cli, int argc, char **argv) { return et_cli_train(cli, ET_TRAIN_DISTILL, argc, argv); }
