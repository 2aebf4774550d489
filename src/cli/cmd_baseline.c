/* cmd_baseline.c: `edgetune baseline RUN [--clear]`: marks the run `compare` uses as baseline for its model on its
 * host. */
#include <string.h>

#include "cli/cli_db.h"

int et_cmd_baseline(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        fputs("usage: edgetune baseline RUN [--clear]\n"
              "\n"
              "Marks RUN as the baseline of its model on its host: 'edgetune compare' then compares that model's\n"
              "runs on that host with it, instead of with the newest fp32 run with the same threads. Marking a\n"
              "run unmarks the model's previous baseline on that host. --clear removes the mark from RUN.\n"
              "RUN is a run id, 'last', or the start of a run uuid. 'edgetune runs --baselines' lists the marks.\n",
              stdout);
        return 0;
    }
    bool clear = false;
    const char *ref = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--clear") == 0)
            clear = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return et_cli_usage_error("baseline", "unknown option '%s'", argv[i]);
        else if (ref)
            return et_cli_usage_error("baseline", "one RUN at a time");
        else
            ref = argv[i];
    }
    if (!ref)
        return et_cli_usage_error("baseline", "which run? give a RUN id from 'edgetune runs'");
    et_db *db = NULL;
    int rc = et_cli_open_db(cli, ET_DB_WRITE, &db);
    int64_t id = 0, previous = 0;
    if (!rc)
        rc = et_cli_find_run(db, ref, &id);
    et_err e = {0};
    if (!rc && et_db_set_baseline(db, id, !clear, &previous, &e) != ET_OK)
        rc = et_cli_report(&e);
    if (!rc && clear)
        printf("run %lld is no longer marked as baseline\n", (long long)id);
    else if (!rc && previous)
        printf("run %lld is now the baseline of its model on its host (instead of run %lld)\n", (long long)id,
               (long long)previous);
    else if (!rc)
        printf("run %lld is now the baseline of its model on its host\n", (long long)id);
    et_db_close(db);
    return rc;
}
