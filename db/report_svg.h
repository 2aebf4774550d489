/* report_svg.h: the pictures of an HTML report (`compare --format html`, `sweep --format html`): inline SVG, no
 * scripts, no network. db/report_svg.c draws them from the runs; the table writer puts them above the table
 * (et_table_set_html_figures). */
#ifndef ET_DB_REPORT_SVG_H
#define ET_DB_REPORT_SVG_H

#include <stdbool.h>

#include "record/result.h"

typedef struct et_report_run {
    const et_result *r; /* its samples are used when loaded */
    const char *name;   /* the row's short name: "run 12 w8a8, 4 thr", "w4 + 50% channel" */
    bool is_baseline;   /* highlighted */
} et_report_run;

/* Four figures as one HTML fragment (a <section> of <figure>s with inline <svg>): latency distributions (a box
 * plot per run: whiskers p5-p95, box p25-p75, the median; from the samples, else the stored percentiles), quality
 * against p50 latency (accuracy where every run has it, else top-1 agreement with fp32) with the Pareto front
 * (no other run both faster and at least as good) drawn and marked, and bars of size and of energy per inference
 * ("n/a" where a run has none). The baseline is drawn in its own colour and named so. Returns a malloc'd string
 * (the caller frees it), NULL when out of memory. */
char *et_report_svg_figures(const et_report_run *runs, int n);

#endif
