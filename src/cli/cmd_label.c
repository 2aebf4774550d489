/* cmd_label.c: `edgetune label RUN TEXT`: names a run ("" clears the label). */
#include <string.h>

#include "cli/cli_db.h"

int et_cmd_label(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        fputs("usage: edgetune label RUN TEXT\n"
              "\n"
              "Sets the label of a run (shown by 'runs', 'show' and 'compare'; 'runs --label TEXT' filters by it).\n"
              "An empty TEXT (\"\") removes the label. RUN is a run id, 'last', or the start of a run uuid.\n",
              stdout);
        return 0;
    }
    if (argc != 3)
        return et_cli_usage_error("label", "expected RUN and TEXT (quote TEXT if it has spaces)");
    et_db *db = NULL;
    int rc = et_cli_open_db(cli, ET_DB_WRITE, &db);
    int64_t id = 0;
    if (!rc)
        rc = et_cli_find_run(db, argv[1], &id);
    et_err e = {0};
    if (!rc && et_db_set_label(db, id, argv[2], &e) != ET_OK)
        rc = et_cli_report(&e);
    if (!rc)
        printf(argv[2][0] ? "run %lld: label '%s'\n" : "run %lld: label removed\n", (long long)id, argv[2]);
    et_db_close(db);
    return rc;
}
