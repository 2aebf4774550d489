/* scatter.c: the text scatter plot (see scatter.h). The plot area is the rectangle less a left margin for the
 * quality labels and a bottom line for the latency labels; a point at (x, y) goes to the cell its value falls in.
 * The Pareto front is drawn first, at braille resolution (2 x 4 dots a cell) in UTF-8, so the marks stay on top. */
#include "ui/scatter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/pareto.h"

enum { LABEL_W = 8 };

typedef struct plot {
    int x0, y0, w, h; /* the plot area in cells */
    double xlo, xhi, ylo, yhi;
} plot;

/* The sub-cell coordinates (in dots: 2 per cell across, 4 down) of a value. */
static double dot_x(const plot *p, double x) { return (x - p->xlo) / (p->xhi - p->xlo) * (p->w * 2 - 1); }
static double dot_y(const plot *p, double y) { return (p->yhi - y) / (p->yhi - p->ylo) * (p->h * 4 - 1); }

/* Sets one dot: a braille cell accumulates its dots (U+2800 + bits); in ASCII a '.' */
static void dot(et_canvas *c, const plot *p, uint8_t *bits, int dx, int dy) {
    if (dx < 0 || dy < 0 || dx >= p->w * 2 || dy >= p->h * 4)
        return;
    static const uint8_t bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    int cx = dx / 2, cy = dy / 4;
    uint8_t *b = &bits[cy * p->w + cx];
    *b |= bit[dy % 4][dx % 2];
    et_canvas_put(c, p->x0 + cx, p->y0 + cy, c->ascii ? '.' : 0x2800u + *b, ET_ROLE_GOOD);
}

static void line(et_canvas *c, const plot *p, uint8_t *bits, double ax, double ay, double bx, double by) {
    int steps = (int)fmax(fabs(bx - ax), fabs(by - ay)) + 1;
    for (int i = 0; i <= steps; i++)
        dot(c, p, bits, (int)lround(ax + (bx - ax) * i / steps), (int)lround(ay + (by - ay) * i / steps));
}

/* The staircase through the Pareto-optimal points in order of cost, on to the right edge. */
static void front(et_canvas *c, const plot *p, const et_scatter_point *pts, int n) {
    double *xs = malloc((size_t)(n ? n : 1) * sizeof *xs), *ys = malloc((size_t)(n ? n : 1) * sizeof *ys);
    bool *opt = calloc((size_t)(n ? n : 1), sizeof *opt);
    uint8_t *bits = calloc((size_t)p->w * (size_t)p->h, 1);
    int *order = malloc((size_t)(n ? n : 1) * sizeof *order), no = 0;
    if (xs && ys && opt && bits && order) {
        for (int i = 0; i < n; i++)
            xs[i] = pts[i].x, ys[i] = pts[i].y;
        et_pareto(xs, ys, n, opt);
        for (int i = 0; i < n; i++)
            if (opt[i]) {
                int k = no++;
                for (; k > 0 && xs[order[k - 1]] > xs[i]; k--)
                    order[k] = order[k - 1];
                order[k] = i;
            }
        for (int k = 0; k < no; k++) {
            double x = dot_x(p, xs[order[k]]), y = dot_y(p, ys[order[k]]);
            double next_x = k + 1 < no ? dot_x(p, xs[order[k + 1]]) : p->w * 2 - 1;
            line(c, p, bits, x, y, next_x, y); /* across to the next point's cost */
            if (k + 1 < no)
                line(c, p, bits, next_x, y, next_x, dot_y(p, ys[order[k + 1]])); /* up to its quality */
        }
    }
    free(xs), free(ys), free(opt), free(bits), free(order);
}

static bool range(const et_scatter_point *pts, int n, plot *p) {
    p->xlo = p->ylo = INFINITY, p->xhi = p->yhi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (isnan(pts[i].x) || isnan(pts[i].y))
            continue;
        p->xlo = fmin(p->xlo, pts[i].x), p->xhi = fmax(p->xhi, pts[i].x);
        p->ylo = fmin(p->ylo, pts[i].y), p->yhi = fmax(p->yhi, pts[i].y);
    }
    if (!(p->xhi >= p->xlo))
        return false;
    double xpad = fmax((p->xhi - p->xlo) * 0.05, fabs(p->xhi) * 0.02 + 1e-9);
    double ypad = fmax((p->yhi - p->ylo) * 0.1, fabs(p->yhi) * 0.005 + 1e-9);
    p->xlo -= xpad, p->xhi += xpad, p->ylo -= ypad, p->yhi += ypad;
    return true;
}

void et_w_scatter(et_canvas *c, et_rect r, const et_scatter_point *pts, int n, const char *x_unit, const char *y_unit) {
    if (r.w < 24 || r.h < 6) {
        et_canvas_text_fit(c, r.x, r.y, r.w, ET_ROLE_DIM, "(too small for the scatter plot)");
        return;
    }
    plot p = {.x0 = r.x + LABEL_W, .y0 = r.y + 1, .w = r.w - LABEL_W, .h = r.h - 3};
    et_canvas_text_fit(c, r.x, r.y, r.w, ET_ROLE_HEADER, y_unit);
    if (!range(pts, n, &p)) {
        et_canvas_text_fit(c, p.x0, p.y0, p.w, ET_ROLE_DIM, "no run has both values");
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", p.yhi);
    et_canvas_text_right(c, r.x, p.y0, LABEL_W - 1, ET_ROLE_LABEL, buf);
    snprintf(buf, sizeof buf, "%.2f", p.ylo);
    et_canvas_text_right(c, r.x, p.y0 + p.h - 1, LABEL_W - 1, ET_ROLE_LABEL, buf);
    for (int y = 0; y < p.h; y++)
        et_canvas_put(c, p.x0 - 1, p.y0 + y, c->ascii ? '|' : 0x2502u, ET_ROLE_BORDER);
    for (int x = -1; x < p.w; x++)
        et_canvas_put(c, p.x0 + x, p.y0 + p.h, x < 0 ? (c->ascii ? '+' : 0x2514u) : (c->ascii ? '-' : 0x2500u),
                      ET_ROLE_BORDER);
    snprintf(buf, sizeof buf, "%.3g", p.xlo);
    et_canvas_text(c, p.x0, p.y0 + p.h + 1, p.w, ET_ROLE_LABEL, buf);
    char right[64];
    snprintf(right, sizeof right, "%.3g  %s", p.xhi, x_unit);
    et_canvas_text_right(c, p.x0, p.y0 + p.h + 1, p.w, ET_ROLE_LABEL, right);
    front(c, &p, pts, n);
    int *seen = calloc((size_t)p.w * (size_t)p.h, sizeof *seen);
    for (int i = 0; seen && i < n; i++) {
        if (isnan(pts[i].x) || isnan(pts[i].y))
            continue;
        int cx = (int)(dot_x(&p, pts[i].x) / 2), cy = (int)(dot_y(&p, pts[i].y) / 4);
        if (cx < 0 || cy < 0 || cx >= p.w || cy >= p.h)
            continue;
        bool shared = seen[cy * p.w + cx]++ > 0;
        et_canvas_put(c, p.x0 + cx, p.y0 + cy, shared ? '+' : (uint32_t)(unsigned char)pts[i].mark,
                      pts[i].baseline ? ET_ROLE_BASELINE : ET_ROLE_VALUE);
    }
    free(seen);
}
