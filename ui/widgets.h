/* widgets.h: drawing pieces on a canvas: sparkline, histogram, bar, and a scrollable view of an et_table (the
 * same tables `runs`, `compare` and the exports use). Pure functions of their arguments. */
#ifndef ET_UI_WIDGETS_H
#define ET_UI_WIDGETS_H

#include "db/table.h"
#include "ui/canvas.h"

/* The last w values of v[0..n) as one row of eighth blocks between lo and hi (values above hi are full
 * blocks). Returns the number of values drawn. */
int et_w_sparkline(et_canvas *c, int x, int y, int w, et_role role, const double *v, int n, double lo, double hi);

/* A histogram of v[0..n) over [lo, hi] across r.w columns (at most one bin per 5 values, each bin one or more
 * columns wide), bars r.h rows high (eighth blocks), scaled to the fullest bin; values outside [lo, hi] go to
 * the first and last bin. */
void et_w_histogram(et_canvas *c, et_rect r, et_role role, const double *v, int n, double lo, double hi);

/* A horizontal bar of frac (0..1) of w cells. */
void et_w_bar(et_canvas *c, int x, int y, int w, double frac, et_role role);

/* An et_table in r: a header row, then rows from `top`; `sel` (a row index or -1) is drawn selected, `left`
 * human columns are scrolled out (the first `frozen` stay). cols (may be NULL) orders the columns by key; the
 * others follow in table order. Cells of ratio and delta columns with a better direction get the better / worse
 * roles. mark_w > 0 reserves that many cells on the left of each row for the caller (marks). */
typedef struct et_w_table_opts {
    int top, sel, left, frozen, mark_w;
    const char *const *cols;
    int n_cols;
    int max_text_w; /* widest text column (longer cells end in an ellipsis); 0: 32 */
} et_w_table_opts;
void et_w_table(et_canvas *c, et_rect r, const et_table *t, const et_w_table_opts *o);

/* How many human columns could be scrolled (for clamping `left`). */
int et_w_table_columns(const et_table *t);

#endif
