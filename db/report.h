/* report.h: what the front ends print from the database: the `runs` listing and the `compare` table (as
 * et_table, so every export format comes for free), and everything about one run for `show` (text and JSON).
 * The TUI's history and compare views call the same functions. */
#ifndef ET_DB_REPORT_H
#define ET_DB_REPORT_H

#include <stdio.h>

#include "db/db.h"
#include "db/table.h"
#include "stats/ab.h"

/* A short knob summary for table cells: "fp32, 1 thr", "w8a8 prune 30%, 4 thr", "w4a32 nm 2:4, 2 thr (sim)",
 * "w4a32 rec full, 1 thr" (recovery on). */
char *et_db_config_short(const et_knobs *k, const char *exec, char *buf, size_t len);

/* Local time "YYYY-MM-DD HH:MM:SS" of a unix time in ms; "?" when it cannot be shown. */
char *et_db_format_time(int64_t unix_ms, char *buf, size_t len);

/* The `runs` listing as a table (newest first, as given). NULL when out of memory. Columns: id, uuid*, started,
 * started_unix_ms*, model, host, config, iters, latency_p50_ms, latency_p99_ms, deployed_mib (what the tuned model
 * needs when deployed), peak_memory_mib* (edgetune's own peak), energy_per_inf_mj, status, baseline, label
 * (* machine formats only). */
et_table *et_db_runs_table(const et_run_summary *runs, int n, const char *title);

/* Builds the comparison of runs ids[0..n) against baseline_id (0: each run against its default baseline,
 * et_db_default_baseline). Rows: the baseline(s) first, then each run once, in the order given. Columns: run,
 * uuid*, baseline (yes on baseline rows), vs (the baseline's run id), label, model, host, config, then each metric of
 * src/record/metrics.h in its order under its key (latency_p50_ms, deployed_mib, size_mib, ...), followed by its
 * comparison with the baseline where it has one: speedup (baseline p50 / run p50), memory_ratio (baseline deployed
 * memory / run's), size_ratio (baseline size / run size), accuracy_delta_pp (run - baseline). Metrics that are not
 * headline metrics are machine-only (*). Notes say which baseline each run met and how ratios are defined.
 * *out (et_table_free it). ET_E_INPUT for an unknown id; database errors as usual. */
et_status et_db_compare(et_db *db, const int64_t *ids, int n, int64_t baseline_id, et_table **out, et_err *err);
/* The same with the A/B options (significance level, --min-effect); et_db_compare uses et_ab_defaults(). Tested
 * comparisons (speed-up: latency samples; accuracy delta: per-input correctness) say their verdict in human formats
 * ("1.21x faster, p <0.001", "= same, p 0.41") and carry <key>_p, <key>_ci_low, <key>_ci_high and <key>_verdict
 * columns in machine formats; a note states the rule, and one per comparison that could not be tested says why.
 * html_figures: the report's pictures (db/report_svg.h) go with the table for the html writer. */
et_status et_db_compare_ex(et_db *db, const int64_t *ids, int n, int64_t baseline_id, const et_ab_options *o,
                           bool html_figures, et_table **out, et_err *err);

/* `show`: everything stored about run run_id as text with units, or as one JSON object. r is the loaded run
 * (samples optional), meta its storage facts. */
void et_db_show_text(const et_result *r, const et_db_run_meta *meta, FILE *out);
void et_db_show_json(const et_result *r, const et_db_run_meta *meta, FILE *out);
/* The same with a training run's record (train may be NULL): show's JSON object gets a "training" member. */
void et_db_show_json_train(const et_result *r, const et_db_run_meta *meta, const et_train_record *train, FILE *out);

/* The training section of `show` (train_show.c): lineage, data set, settings, accuracies, a line per epoch. */
void et_db_show_train_text(const et_train_record *t, FILE *out);
struct et_json;
void et_db_train_json(struct et_json *j, const et_train_record *t);

#endif
