/* scatter.h: a scatter plot in text cells, for the compare view: quality against latency, one mark per run,
 * the Pareto front (et_pareto, the rule `sweep` marks its rows by) as a staircase of braille dots (UTF-8) or dots
 * (ASCII), axes with their ranges and units. Draws only; the caller picks the points. */
#ifndef ET_UI_SCATTER_H
#define ET_UI_SCATTER_H

#include <stdbool.h>

#include "ui/canvas.h"

typedef struct et_scatter_point {
    double x, y;   /* cost (lower is better) and quality (higher is better); NaN: not drawn */
    char mark;     /* one ASCII character: the run's row in the table ('1'..'9', 'a'...), 'B' for a baseline */
    bool baseline; /* drawn in the baseline's role */
} et_scatter_point;

/* Draws the points into r (at least 24 x 6 cells; smaller: a one-line "too small" note). x_unit and y_unit name
 * the axes ("p50 ms", "accuracy %"). Points on the same cell: the later one wins, and the cell shows '+'. */
void et_w_scatter(et_canvas *c, et_rect r, const et_scatter_point *pts, int n, const char *x_unit, const char *y_unit);

#endif
