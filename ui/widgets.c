/* widgets.c: sparkline, histogram, bar and table drawing (see widgets.h). */
#include "ui/widgets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const et_glyph blocks[8] = {ET_G_BLOCK1, ET_G_BLOCK2, ET_G_BLOCK3, ET_G_BLOCK4,
                                   ET_G_BLOCK5, ET_G_BLOCK6, ET_G_BLOCK7, ET_G_BLOCK8};

int et_w_sparkline(et_canvas *c, int x, int y, int w, et_role role, const double *v, int n, double lo, double hi) {
    if (w <= 0 || n <= 0)
        return 0;
    int shown = n < w ? n : w;
    double span = hi - lo;
    for (int i = 0; i < shown; i++) {
        double val = v[n - shown + i];
        int level = span > 0 && isfinite(val) ? (int)floor((val - lo) / span * 7.0 + 0.5) : 0;
        level = level < 0 ? 0 : level > 7 ? 7 : level;
        et_canvas_glyph(c, x + i, y, blocks[level], role);
    }
    return shown;
}

void et_w_histogram(et_canvas *c, et_rect r, et_role role, const double *v, int n, double lo, double hi) {
    if (r.w <= 0 || r.h <= 0 || n <= 0)
        return;
    /* about 5 samples per bin at least, so a short run does not look like noise; bins are bw columns wide */
    int want = n / 5 < 8 ? 8 : n / 5;
    int bw = (r.w + want - 1) / want;
    if (bw < 1)
        bw = 1;
    int n_bins = r.w / bw;
    int *bins = calloc((size_t)n_bins, sizeof *bins);
    if (!bins)
        return;
    double span = hi - lo;
    int most = 0;
    for (int i = 0; i < n; i++) {
        int b = span > 0 ? (int)((v[i] - lo) / span * n_bins) : 0;
        b = b < 0 ? 0 : b >= n_bins ? n_bins - 1 : b;
        if (++bins[b] > most)
            most = bins[b];
    }
    for (int col = 0; col < n_bins * bw; col++) {
        int b = col / bw;
        /* height in eighths of a row; a non-empty bin shows at least the lowest block */
        int eighths = most > 0 ? (int)floor((double)bins[b] / most * r.h * 8 + 0.5) : 0;
        if (bins[b] > 0 && eighths == 0)
            eighths = 1;
        for (int row = 0; row < r.h; row++) {
            int in_row = eighths - row * 8;
            if (in_row <= 0)
                break;
            et_canvas_glyph(c, r.x + col, r.y + r.h - 1 - row, blocks[(in_row > 8 ? 8 : in_row) - 1], role);
        }
    }
    free(bins);
}

void et_w_bar(et_canvas *c, int x, int y, int w, double frac, et_role role) {
    if (!(frac > 0))
        return;
    int cells = (int)floor(frac * w + 0.5);
    if (cells == 0)
        cells = 1;
    for (int i = 0; i < cells && i < w; i++)
        et_canvas_glyph(c, x + i, y, ET_G_BLOCK8, role);
}

/* Column order: the keys in o->cols first, then the other human columns in table order. */
static int column_order(const et_table *t, const et_w_table_opts *o, int *order) {
    int nc = et_table_n_cols(t), n = 0;
    bool *used = calloc((size_t)(nc ? nc : 1), sizeof *used);
    if (!used)
        return 0;
    for (int i = 0; o->cols && i < o->n_cols; i++) {
        int c = et_table_col_index(t, o->cols[i]);
        if (c >= 0 && !used[c] && !et_table_col_at(t, c)->machine_only) {
            order[n++] = c;
            used[c] = true;
        }
    }
    for (int c = 0; c < nc; c++)
        if (!used[c] && !et_table_col_at(t, c)->machine_only)
            order[n++] = c;
    free(used);
    return n;
}

int et_w_table_columns(const et_table *t) {
    int n = 0;
    for (int c = 0; c < et_table_n_cols(t); c++)
        n += !et_table_col_at(t, c)->machine_only;
    return n;
}

static et_role cell_role(const et_table *t, int row, int col) {
    const et_table_col *k = et_table_col_at(t, col);
    double v = et_table_num_at(t, row, col);
    if (isnan(v))
        return et_table_text_at(t, row, col) ? ET_ROLE_NORMAL : ET_ROLE_DIM;
    if (k->kind == ET_COL_RATIO && k->up_word) {
        if (fabs(v - 1.0) < 0.005)
            return ET_ROLE_NORMAL;
        return v > 1.0 ? ET_ROLE_GOOD : ET_ROLE_BAD;
    }
    if (k->kind == ET_COL_DELTA && k->better != ET_BETTER_NONE && v != 0.0)
        return (v > 0) == (k->better == ET_BETTER_HIGHER) ? ET_ROLE_GOOD : ET_ROLE_BAD;
    return ET_ROLE_NORMAL;
}

void et_w_table(et_canvas *c, et_rect r, const et_table *t, const et_w_table_opts *o) {
    int nc = et_table_n_cols(t), nr = et_table_n_rows(t);
    if (nc == 0 || r.w <= 0 || r.h <= 0)
        return;
    int *order = calloc((size_t)nc, sizeof *order), *width = calloc((size_t)nc, sizeof *width);
    if (!order || !width) {
        free(order), free(width);
        return;
    }
    int n = column_order(t, o, order);
    int max_text = o->max_text_w > 0 ? o->max_text_w : 32;
    char buf[512];
    for (int i = 0; i < n; i++) {
        int col = order[i];
        et_table_header_human(et_table_col_at(t, col), buf, sizeof buf);
        width[i] = et_text_width(buf);
        for (int row = 0; row < nr; row++) {
            et_table_cell_human(t, row, col, buf, sizeof buf);
            int cw = et_text_width(buf);
            width[i] = cw > width[i] ? cw : width[i];
        }
        if (et_table_col_at(t, col)->kind == ET_COL_TEXT && width[i] > max_text)
            width[i] = max_text;
    }
    /* visible columns: the frozen ones, then from `left` on */
    int *vis = calloc((size_t)n + 1, sizeof *vis), nv = 0;
    if (!vis) {
        free(order), free(width);
        return;
    }
    int frozen = o->frozen < n ? o->frozen : n;
    for (int i = 0; i < frozen; i++)
        vis[nv++] = i;
    for (int i = frozen + (o->left > 0 ? o->left : 0); i < n; i++)
        vis[nv++] = i;
    int x0 = r.x + o->mark_w, avail = r.w - o->mark_w;
    for (int line = 0; line < r.h; line++) {
        int row = line == 0 ? -1 : o->top + line - 1;
        if (row >= nr)
            break;
        int x = x0;
        for (int v = 0; v < nv && x < x0 + avail; v++) {
            int i = vis[v], col = order[i];
            const et_table_col *k = et_table_col_at(t, col);
            int cw = width[i] < x0 + avail - x ? width[i] : x0 + avail - x;
            et_role role = row < 0 ? ET_ROLE_HEADER : cell_role(t, row, col);
            if (row < 0)
                et_table_header_human(k, buf, sizeof buf);
            else
                et_table_cell_human(t, row, col, buf, sizeof buf);
            if (k->kind == ET_COL_TEXT)
                et_canvas_text_fit(c, x, r.y + line, cw, role, buf);
            else
                et_canvas_text_right(c, x, r.y + line, cw, role, buf);
            x += width[i] + 2;
        }
        if (row < 0)
            et_canvas_set_role(c, r.x, r.y, r.w, ET_ROLE_HEADER);
        else if (row == o->sel)
            et_canvas_set_role(c, r.x, r.y + line, r.w, ET_ROLE_SELECTED);
    }
    free(order), free(width), free(vis);
}
