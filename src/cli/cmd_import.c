/* cmd_import.c: `edgetune import OTHER.db...`: merges runs measured on other devices. */
#include "cli/cli_db.h"

int et_cmd_import(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        fputs("usage: edgetune import OTHER.db...\n"
              "\n"
              "Copies the runs of other run databases (for example ~/.local/share/edgetune/runs.db fetched from a\n"
              "Raspberry Pi or a Jetson) into this one, with everything stored with them. A run already here\n"
              "(same uuid) is skipped, so importing the same file again adds nothing. Each device stays its own\n"
              "host, even when two share a hostname. OTHER.db is only read. Each file is imported in one\n"
              "transaction; a file that cannot be imported is reported and the others are still imported\n"
              "(exit code 2 then).\n",
              stdout);
        return 0;
    }
    if (argc < 2)
        return et_cli_usage_error("import", "which databases? give one or more OTHER.db paths");
    et_db *db = NULL;
    int rc = et_cli_open_db(cli, ET_DB_WRITE, &db);
    if (rc)
        return rc;
    for (int i = 1; i < argc; i++) {
        et_import_stats st;
        et_err e = {0};
        if (et_db_import(db, argv[i], &st, &e) != ET_OK) {
            int code = et_cli_report(&e);
            rc = rc ? rc : code;
            continue;
        }
        printf("%s: %d run%s added, %d already here (%d new host%s, %d new model%s)\n", argv[i], st.runs_added,
               st.runs_added == 1 ? "" : "s", st.runs_skipped, st.hosts_added, st.hosts_added == 1 ? "" : "s",
               st.models_added, st.models_added == 1 ? "" : "s");
    }
    et_db_close(db);
    return rc;
}
