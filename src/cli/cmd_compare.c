/* cmd_compare.c: `edgetune compare RUN... [--baseline RUN]`: runs side by side with ratios against a baseline. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_db.h"
#include "db/report.h"

static const char usage[] =
    "usage: edgetune compare RUN... [--baseline RUN] [--min-effect PCT] [--format FMT | --json] [-o FILE]\n"
    "\n"
    "Compares runs with a baseline: absolute values and, against the baseline, speed-up (baseline p50 / run\n"
    "p50), memory ratio (baseline deployed memory / run deployed memory), size ratio (baseline size / run size;\n"
    "size: the weights as stored at the run's bit-width, or the model file of an fp32 run that did not record\n"
    "them), energy ratio (baseline energy per inference / run's) and accuracy delta (run - baseline, percentage\n"
    "points); also p99 latency and top-1 agreement. csv and json add p90, throughput, edgetune's own peak, arena,\n"
    "power, IPC, cycles and top-5.\n"
    "\n"
    "  --baseline RUN   compare every run with this one; runs of different models compare too\n"
    "                   (default: for each run, the run marked baseline for its model on its host, else the\n"
    "                   newest finished fp32 run of the same model with the same threads on the same host)\n"
    "  --min-effect PCT smallest speed-up or energy change called a win or a loss, in percent (default 3); a smaller\n"
    "                   change that is significant shows as \"~ 1.02x faster (< 3 % min effect)\"\n"
    "  --format FMT     table (default), md, csv, json, latex (booktabs) or html (one self-contained file:\n"
    "                   inline SVG pictures of the latency distributions, accuracy against latency with the\n"
    "                   Pareto front, size and energy bars, the baseline highlighted, then the table)\n"
    "  --json           the same as --format json\n"
    "  -o FILE          write to FILE (replaced atomically) instead of standard output\n"
    "\n"
    "Significance: the speed-up, the energy ratio and the accuracy delta say whether the difference is real.\n"
    "Speed-up: a Mann-Whitney U test on the medians of blocks of 25 consecutive iterations (20 to 100 blocks a\n"
    "run) and a bootstrap 95 % interval (2000 resamples, fixed seed); energy: the same test on energy per\n"
    "inference in each interval of the stored power timelines; accuracy: McNemar's test on per-input\n"
    "correctness of the same labelled evaluation set. Not significant at p < 0.05: \"= same, p 0.41\". csv and\n"
    "json add speedup_p, speedup_ci_low, speedup_ci_high, speedup_verdict and the same for energy_ratio and\n"
    "accuracy_delta_pp (with its discordant counts _lost and _won). Drift between runs on a busy or throttling\n"
    "machine is not in the test (man edgetune, compare). This is the rule for separate runs; 'edgetune sweep'\n"
    "measures its rows in rounds in one process and tests them paired by round (see its --help).\n"
    "\n"
    "RUN is a run id from 'edgetune runs', 'last', or the start of a run uuid. Baseline rows come first; the notes\n"
    "under the table say which baseline each run met and why.\n";

int et_cmd_compare(et_cli *cli, int argc, char **argv) {
    if (et_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    const char *base_ref = NULL, *out = NULL, *v = NULL;
    et_table_format fmt = ET_TABLE_TEXT;
    et_ab_options ab = et_ab_defaults();
    const char **refs = calloc((size_t)argc, sizeof *refs);
    int n_refs = 0, rc = refs ? 0 : 1;
    for (int i = 1; !rc && i < argc; i++) {
        int m;
        if ((m = et_cli_flag("compare", argc, argv, &i, "--baseline", &v)) != 0)
            rc = m < 0 ? 2 : 0, base_ref = v;
        else if ((m = et_cli_flag("compare", argc, argv, &i, "--format", &v)) != 0)
            rc = m < 0 ? 2 : et_cli_table_format("compare", v, &fmt);
        else if ((m = et_cli_flag("compare", argc, argv, &i, "--min-effect", &v)) != 0) {
            double pct = 0;
            rc = m < 0 || !et_cli_parse_double("compare", "--min-effect", v, 0, 100, &pct) ? 2 : 0;
            ab.min_effect = pct / 100.0;
        } else if ((m = et_cli_flag("compare", argc, argv, &i, "-o", &v)) != 0)
            rc = m < 0 ? 2 : 0, out = v;
        else if (strcmp(argv[i], "--json") == 0)
            fmt = ET_TABLE_JSON;
        else if (argv[i][0] == '-' && argv[i][1])
            rc = et_cli_usage_error("compare", "unknown option '%s'", argv[i]);
        else
            refs[n_refs++] = argv[i];
    }
    if (!rc && n_refs == 0)
        rc = et_cli_usage_error("compare", "which runs? give one or more RUN ids from 'edgetune runs'");
    if (fmt != ET_TABLE_CSV && fmt != ET_TABLE_JSON)
        ab.resamples = 0; /* the intervals are machine columns: the other formats do not show them (and the
                             bootstrap is most of compare's time) */
    et_db *db = NULL;
    if (!rc)
        rc = et_cli_open_db(cli, ET_DB_READ, &db);
    int64_t *ids = calloc((size_t)(n_refs ? n_refs : 1), sizeof *ids), base = 0;
    for (int i = 0; !rc && i < n_refs; i++)
        rc = et_cli_find_run(db, refs[i], &ids[i]);
    if (!rc && base_ref)
        rc = et_cli_find_run(db, base_ref, &base);
    et_table *t = NULL;
    et_err e = {0};
    if (!rc && et_db_compare_ex(db, ids, n_refs, base, &ab, fmt == ET_TABLE_HTML, &t, &e) != ET_OK)
        rc = et_cli_report(&e);
    if (!rc)
        rc = et_cli_write_table(t, fmt, out);
    et_table_free(t);
    free(ids);
    free(refs);
    et_db_close(db);
    return rc;
}
