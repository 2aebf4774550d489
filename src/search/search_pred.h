/* search_pred.h: how good a search's latency predictions were (what the search says to be trusted): each finalist's predicted p50
 * against its measured one, both on the same footing, and how many are within a tolerance. Where the paired timing
 * (search_paired.h) timed both the finalist and the point its prediction starts from (pred_from), the measured side
 * is the finalist's paired p50 (the median of its alternating rounds) and the predicted side the start's paired
 * p50 minus the time the changed layers save (pred_paired_ms): the same rounds, so a slow spell of the machine
 * moves both alike. Otherwise (no paired timing, a search stopped before it) the fastest of --rounds on both sides
 * (pred_p50_ms against p50), and the check says it was not paired. Both front ends (the CLI's table, the
 * workbench's search view) show what these return. Pure: no I/O. */
#ifndef ET_SEARCH_SEARCH_PRED_H
#define ET_SEARCH_SEARCH_PRED_H

#include <stdbool.h>
#include <stddef.h>

#include "search/search.h"

/* The tolerance the search is held to: predicted latency of the finalists within 10 % of measured. */
#define ET_SEARCH_PRED_TOL_PCT 10.0

typedef struct et_search_pred_check {
    double pred_ms, meas_ms; /* predicted and measured p50 (ms) */
    double err_pct;          /* 100 x (predicted - measured) / measured */
    bool paired;             /* both from the paired timing; false: both the fastest of --rounds */
} et_search_pred_check;

/* Sets each finalist's pred_paired_ms: its start point's (pred_from's) paired p50 minus pred_saved_ms; NaN when
 * the finalist or its start was not timed in the paired rounds, or the saving is unknown. */
void et_search_pred_paired(et_search_result *res);

/* The check of point i: true with *out filled for a measured finalist with a prediction; false (out NaN) for
 * other points and finalists whose start point was not measured. */
bool et_search_pred_latency(const et_search_result *res, int i, et_search_pred_check *out);

typedef struct et_search_pred_summary {
    int n_known;     /* finalists with a check */
    int n_within;    /* of them, |err_pct| <= tol_pct */
    int n_paired;    /* of them, checked on the paired timing */
    double tol_pct;  /* the tolerance used */
    double max_abs;  /* the largest |err_pct| (NaN with none) */
    double mean_abs; /* the mean |err_pct| (NaN with none) */
} et_search_pred_summary;

/* The checks of every finalist of res summed up at tolerance tol_pct (percent). */
et_search_pred_summary et_search_pred_summarize(const et_search_result *res, double tol_pct);

/* The summary as one line for both front ends, e.g. "predicted p50 within 10 % of measured: 7 of 9 finalists (mean
 * |error| 4.1 %, largest 12.3 %; measured: the paired p50)"; "no latency prediction to check" with none. Returns
 * buf. */
const char *et_search_pred_say(const et_search_pred_summary *s, char *buf, size_t len);

#endif
