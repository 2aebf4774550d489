/* cmd_show.c: `edgetune show RUN`: everything stored about one run. */
#include <string.h>

#include "cli/cli_db.h"
#include "db/report.h"

static const char usage[] =
    "usage: edgetune show RUN [--json] [--no-samples]\n"
    "\n"
    "Prints everything stored about one run: model, host, knobs, engine, iterations, latency statistics (ms),\n"
    "the stored latency samples and power timeline (count, codec, stored and raw size, compression ratio),\n"
    "memory, counters, power and energy, thermal state, fidelity per output and the per-layer profile. A section\n"
    "that was not measured says so and why. A training run ('edgetune finetune', 'edgetune distill') adds its\n"
    "training: lineage (parent or teacher, student and output files with their sha256), the data set (path,\n"
    "samples, sha256), settings, accuracy before and after training against fp32, why it stopped, and a line\n"
    "per epoch (loss, evaluation accuracy, teacher agreement, sparsity, learning rate, samples/s).\n"
    "\n"
    "RUN is a run id from 'edgetune runs', 'last' for the newest run, or the start of a run uuid (4+ characters).\n"
    "  --json         one JSON object, with every latency sample (ms) and the power timeline\n"
    "  --no-samples   do not decode the sample blobs (shows a run whose blob is damaged)\n";

int et_cmd_show(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    bool json = false, samples = true;
    const char *ref = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--no-samples") == 0)
            samples = false;
        else if (argv[i][0] == '-' && argv[i][1])
            return et_cli_usage_error("show", "unknown option '%s'", argv[i]);
        else if (ref)
            return et_cli_usage_error("show", "one RUN at a time ('%s' and '%s'); 'edgetune compare' takes several",
                                      ref, argv[i]);
        else
            ref = argv[i];
    }
    if (!ref)
        return et_cli_usage_error("show", "which run? give a RUN id from 'edgetune runs', or 'last'");
    et_db *db = NULL;
    int rc = et_cli_open_db(cli, ET_DB_READ, &db);
    int64_t id = 0;
    if (!rc)
        rc = et_cli_find_run(db, ref, &id);
    et_result r;
    et_result_init(&r);
    et_db_run_meta meta;
    et_train_record train;
    et_train_record_init(&train);
    bool trained = false;
    et_err e = {0};
    if (!rc &&
        (et_db_load_run(db, id, samples ? ET_DB_LOAD_ALL : ET_DB_LOAD_NO_SAMPLES, &r, &e) != ET_OK ||
         et_db_run_meta_get(db, id, &meta, &e) != ET_OK || et_db_load_train(db, id, &train, &trained, &e) != ET_OK))
        rc = et_cli_report(&e);
    if (!rc) {
        if (json) {
            et_db_show_json_train(&r, &meta, trained ? &train : NULL, stdout);
        } else {
            et_db_show_text(&r, &meta, stdout);
            if (trained)
                et_db_show_train_text(&train, stdout);
        }
        if (fflush(stdout) != 0)
            rc = 1;
    }
    et_result_free(&r);
    et_train_record_free(&train);
    et_db_close(db);
    return rc;
}
