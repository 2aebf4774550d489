/* delta.h: the workbench's "current run against the baseline" rows, and the number formats the views share.
 *
 * Each row has the baseline's value, the current value, the difference (current - baseline, with its unit and
 * sign) and a change text that says which way is better and relative to what: "1.62x faster", "2.00x smaller",
 * "-1.2 pp". The verdict (+1 better, -1 worse, 0 the same within 0.5 % or not comparable) picks the colour and
 * the marker (ET_G_BETTER / ET_G_WORSE / ET_G_SAME), so the table reads without colour too. Missing values are
 * "n/a"; the reason is on the live panel. */
#ifndef ET_UI_DELTA_H
#define ET_UI_DELTA_H

#include <stdbool.h>
#include <stddef.h>

#include "record/result.h"

typedef struct et_delta_row {
    const char *metric;
    char base[32], cur[32], delta[32], change[32];
    int verdict;
} et_delta_row;

enum { ET_DELTA_MAX_ROWS = 16 };

/* Fills rows (at most max) for cur against base (either may be NULL: its cells are "n/a"): one per metric of
 * src/record/metrics.h, in its order, the headline metrics only unless full (for big screens). Returns the number
 * of rows. */
int et_delta_rows(const et_result *cur, const et_result *base, bool full, et_delta_row *rows, int max);

/* Number formats with units; "n/a" for a value that is missing (NaN or negative). Each returns buf. */
char *et_ui_fmt_ms(char *buf, size_t len, double ms);
char *et_ui_fmt_bytes(char *buf, size_t len, double bytes);
char *et_ui_fmt_rate(char *buf, size_t len, double per_s); /* "384 inf/s", "1.23 k inf/s" */
char *et_ui_fmt_pct(char *buf, size_t len, double frac);   /* fraction 0..1 as "99.20 %" */

#endif
