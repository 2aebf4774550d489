/* cmd_rm.c: `edgetune rm RUN...`: removes runs. Every RUN is resolved before anything is removed, so a typo in
 * the third argument does not leave the first two gone and the rest there. */
#include <stdlib.h>

#include "cli/cli_db.h"

int et_cmd_rm(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        fputs("usage: edgetune rm RUN...\n"
              "\n"
              "Removes runs and everything stored with them (samples, counters, layers). Every RUN is checked\n"
              "first: if one does not exist, nothing is removed. RUN is a run id, 'last', or the start of a run\n"
              "uuid. There is no undo; 'edgetune show RUN --json' keeps a copy.\n",
              stdout);
        return 0;
    }
    if (argc < 2)
        return et_cli_usage_error("rm", "which runs? give one or more RUN ids from 'edgetune runs'");
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1])
            return et_cli_usage_error("rm", "unknown option '%s'", argv[i]);
    et_db *db = NULL;
    int rc = et_cli_open_db(cli, ET_DB_WRITE, &db);
    int64_t *ids = calloc((size_t)argc, sizeof *ids);
    if (!ids)
        rc = rc ? rc : 1;
    for (int i = 1; !rc && i < argc; i++)
        rc = et_cli_find_run(db, argv[i], &ids[i]);
    et_err e = {0};
    for (int i = 1; !rc && i < argc; i++) {
        bool dup = false;
        for (int j = 1; j < i; j++)
            dup |= ids[j] == ids[i];
        if (dup)
            continue;
        if (et_db_delete_run(db, ids[i], &e) != ET_OK)
            rc = et_cli_report(&e);
        else
            printf("removed run %lld\n", (long long)ids[i]);
    }
    free(ids);
    et_db_close(db);
    return rc;
}
