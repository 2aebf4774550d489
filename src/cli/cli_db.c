/* cli_db.c: helpers of the run-database subcommands (see cli_db.h). */
#include "cli/cli_db.h"

#include <string.h>

int et_cli_flag(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        et_cli_usage_error(cmd, "%s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int et_cli_open_db(const et_cli *cli, et_db_mode mode, et_db **db) {
    et_err e = {0};
    if (et_db_open(cli->db_path, mode, db, &e) != ET_OK)
        return et_cli_report(&e);
    return 0;
}

int et_cli_find_run(et_db *db, const char *ref, int64_t *id) {
    et_err e = {0};
    if (et_db_find_run(db, ref, id, &e) != ET_OK)
        return et_cli_report(&e);
    return 0;
}

int et_cli_table_format(const char *cmd, const char *s, et_table_format *f) {
    int v = et_table_format_parse(s);
    if (v < 0)
        return et_cli_usage_error(cmd, "--format '%s': expected one of %s", s, et_table_format_list());
    *f = (et_table_format)v;
    return 0;
}

int et_cli_write_table(const et_table *t, et_table_format f, const char *path) {
    et_err e = {0};
    if (et_table_write_path(t, f, path, &e) != ET_OK)
        return et_cli_report(&e);
    return 0;
}
