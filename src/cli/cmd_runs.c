/* cmd_runs.c: `edgetune runs`: the stored runs, newest first, filtered, in any table format. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_db.h"
#include "db/report.h"

static const char usage[] =
    "usage: edgetune runs [FILTERS] [--limit N] [--format FMT | --json] [-o FILE]\n"
    "\n"
    "Lists the stored runs, newest first.\n"
    "\n"
    "filters (all must match):\n"
    "  --model M          model name contains M, or the model's sha256 starts with M (8+ hex digits)\n"
    "  --host H           hostname contains H\n"
    "  --label TEXT       label contains TEXT\n"
    "  --bits N           weight bits (32 16 8 7 6 5 4 3 2)\n"
    "  --act-bits N       activation bits (32 or 8)\n"
    "  --prune R          prune ratio R (0 to 0.95)\n"
    "  --prune-method M   unstructured, global, nm or channel\n"
    "  --threads T        thread count\n"
    "  --baselines        only runs marked as baseline ('edgetune baseline RUN')\n"
    "\n"
    "output:\n"
    "  --limit N          at most N runs (default 50; 0 for all)\n"
    "  --format FMT       table (default), md, csv, json, latex or html\n"
    "  --json             the same as --format json\n"
    "  -o FILE            write to FILE (replaced atomically) instead of standard output\n"
    "\n"
    "Columns: id, started (local time), model, host, config, iterations, p50 and p99 latency (ms), peak memory\n"
    "(MiB), energy per inference (mJ), status, baseline mark, label; csv and json add the uuid and the start time\n"
    "in unix ms. 'n/a' (csv: empty, json: null) marks what was not measured.\n";

int et_cmd_runs(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    et_run_filter f = et_run_filter_any();
    f.limit = 50;
    et_table_format fmt = ET_TABLE_TEXT;
    const char *out = NULL, *v = NULL;
    for (int i = 1; i < argc; i++) {
        int m;
        long n;
        double d;
        if ((m = et_cli_flag("runs", argc, argv, &i, "--model", &v)) != 0) {
            if (m < 0)
                return 2;
            f.model = v;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--host", &v)) != 0) {
            if (m < 0)
                return 2;
            f.host = v;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--label", &v)) != 0) {
            if (m < 0)
                return 2;
            f.label = v;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--bits", &v)) != 0) {
            if (m < 0 || !et_cli_parse_long("runs", "--bits", v, 2, 32, &n))
                return 2;
            f.weight_bits = (int)n;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--act-bits", &v)) != 0) {
            if (m < 0 || !et_cli_parse_long("runs", "--act-bits", v, 8, 32, &n))
                return 2;
            f.act_bits = (int)n;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--prune-method", &v)) != 0) {
            if (m < 0)
                return 2;
            if ((f.prune_method = et_prune_method_parse(v)) < 0)
                return et_cli_usage_error("runs", "--prune-method '%s': expected unstructured, global, nm or channel",
                                          v);
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--prune", &v)) != 0) {
            if (m < 0 || !et_cli_parse_double("runs", "--prune", v, 0, 0.95, &d))
                return 2;
            f.prune_ratio = d;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--threads", &v)) != 0) {
            if (m < 0 || !et_cli_parse_long("runs", "--threads", v, 1, 256, &n))
                return 2;
            f.threads = (int)n;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--limit", &v)) != 0) {
            if (m < 0 || !et_cli_parse_long("runs", "--limit", v, 0, 1000000000, &n))
                return 2;
            f.limit = (int)n;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "--format", &v)) != 0) {
            if (m < 0 || et_cli_table_format("runs", v, &fmt) != 0)
                return 2;
        } else if ((m = et_cli_flag("runs", argc, argv, &i, "-o", &v)) != 0) {
            if (m < 0)
                return 2;
            out = v;
        } else if (strcmp(argv[i], "--json") == 0) {
            fmt = ET_TABLE_JSON;
        } else if (strcmp(argv[i], "--baselines") == 0) {
            f.baselines_only = true;
        } else {
            return et_cli_usage_error("runs", "unknown argument '%s'", argv[i]);
        }
    }
    char path[ET_PATH_MAX];
    et_err e = {0};
    if (et_db_resolve_path(cli->db_path, path, sizeof path, &e) != ET_OK)
        return et_cli_report(&e);
    et_run_summary *rows = NULL;
    int n = 0;
    et_db *db = NULL;
    bool no_db = access(path, F_OK) != 0; /* no database yet: an empty list, not an error */
    if (!no_db) {
        int rc = et_cli_open_db(cli, ET_DB_READ, &db);
        if (rc)
            return rc;
        if (et_db_list_runs(db, &f, &rows, &n, &e) != ET_OK) {
            et_db_close(db);
            return et_cli_report(&e);
        }
    }
    et_table *t = et_db_runs_table(rows, n, NULL);
    if (t && no_db)
        et_table_add_note(t, "no runs yet: %s does not exist ('edgetune bench' saves runs there)", path);
    else if (t && n == 0)
        et_table_add_note(t, "no runs match in %s", path);
    else if (t && f.limit > 0 && n == f.limit)
        et_table_add_note(t, "the newest %d runs; --limit N shows more, --limit 0 all", n);
    int rc = t ? et_cli_write_table(t, fmt, out) : et_cli_report(&(et_err){ET_E_NOMEM, "out of memory"});
    et_table_free(t);
    free(rows);
    et_db_close(db);
    return rc;
}
