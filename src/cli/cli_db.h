/* cli_db.h: what the run-database subcommands (runs, show, compare, label, rm, baseline, import) share: flag
 * values, opening the database, resolving RUN arguments and writing tables, each printing its own one-line error
 * so that a subcommand can `return` the exit code it gets. */
#ifndef ET_CLI_DB_H
#define ET_CLI_DB_H

#include "cli/cli.h"
#include "db/db.h"
#include "db/table.h"

/* argv[*i] is "--name VALUE" or "--name=VALUE": sets *value (advancing *i past VALUE) and returns 1; returns 0
 * when argv[*i] is another argument; returns -1 after printing a usage error when VALUE is missing. */
int et_cli_flag(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value);

/* Opens the run database (cli->db_path or the default) in mode. Returns 0, or the exit code after printing. */
int et_cli_open_db(const et_cli *cli, et_db_mode mode, et_db **db);

/* Resolves a RUN argument (id, "last" or uuid prefix). Returns 0, or the exit code after printing. */
int et_cli_find_run(et_db *db, const char *ref, int64_t *id);

/* Parses a --format value. Returns 0, or 2 after printing a usage error. */
int et_cli_table_format(const char *cmd, const char *s, et_table_format *f);

/* Writes t to path (NULL or "-": stdout; a file is replaced atomically). Returns 0 or the exit code after
 * printing. */
int et_cli_write_table(const et_table *t, et_table_format f, const char *path);

#endif
