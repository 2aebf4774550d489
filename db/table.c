/* table.c: the table model (columns, rows, cells, notes) and the cell formatting the writers share. The writers
 * are in table_text.c, table_csv.c, table_json.c and table_markup.c; table_write.c picks one by format and writes
 * to a stream or atomically to a path. */
#include "db/table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct cell {
    char *text; /* text cell when not NULL */
    double num; /* number cell otherwise; NaN: missing */
    char *said; /* a number cell's words for humans (et_table_set_num_said), or NULL */
} cell;

typedef struct table_col {
    et_table_col c; /* strings point into owned copies below */
    char *key, *header, *unit, *up, *down;
} table_col;

struct et_table {
    char *title;
    table_col *cols;
    int n_cols, cap_cols;
    cell *cells; /* row-major, n_rows * n_cols */
    int n_rows, cap_rows;
    char **notes;
    int n_notes, cap_notes;
    char *html_figures; /* an HTML fragment the html writer puts above the table, or NULL */
    bool oom;
};

static const char *const format_names[] = {
#define ET_X(e, name, text) name,
    ET_TABLE_FORMAT_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof format_names / sizeof format_names[0] == ET_TABLE_FORMAT_COUNT, "format names");

const char *et_table_format_name(et_table_format f) {
    return (unsigned)f < ET_TABLE_FORMAT_COUNT ? format_names[f] : "?";
}
int et_table_format_parse(const char *s) {
    for (int i = 0; s && i < ET_TABLE_FORMAT_COUNT; i++)
        if (strcmp(s, format_names[i]) == 0)
            return i;
    return -1;
}
const char *et_table_format_list(void) { return "table|md|csv|json|latex|html"; }

static char *dup_or_null(et_table *t, const char *s) {
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        t->oom = true;
    return d;
}

et_table *et_table_new(const char *title) {
    et_table *t = calloc(1, sizeof *t);
    if (t)
        t->title = dup_or_null(t, title);
    return t;
}

void et_table_free(et_table *t) {
    if (!t)
        return;
    for (int i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i].text), free(t->cells[i].said);
    free(t->html_figures);
    for (int i = 0; i < t->n_cols; i++) {
        table_col *c = &t->cols[i];
        free(c->key), free(c->header), free(c->unit), free(c->up), free(c->down);
    }
    for (int i = 0; i < t->n_notes; i++)
        free(t->notes[i]);
    free(t->cells), free(t->cols), free(t->notes), free(t->title);
    free(t);
}

static bool grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap)
        return true;
    int n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    void *g = realloc(*arr, (size_t)n * elem);
    if (!g)
        return false;
    *arr = g, *cap = n;
    return true;
}

int et_table_add_col(et_table *t, const et_table_col *c) {
    if (t->n_rows > 0 || !grow((void **)&t->cols, &t->cap_cols, t->n_cols + 1, sizeof(table_col))) {
        t->oom |= t->n_rows == 0;
        return -1;
    }
    table_col *k = &t->cols[t->n_cols];
    memset(k, 0, sizeof *k);
    k->c = *c;
    k->key = dup_or_null(t, c->key ? c->key : "");
    k->header = dup_or_null(t, c->header ? c->header : "");
    k->unit = dup_or_null(t, c->unit ? c->unit : "");
    k->up = dup_or_null(t, c->up_word);
    k->down = dup_or_null(t, c->down_word);
    k->c.key = k->key ? k->key : "", k->c.header = k->header ? k->header : "", k->c.unit = k->unit ? k->unit : "";
    k->c.up_word = k->up, k->c.down_word = k->down;
    return t->n_cols++;
}

int et_table_add_row(et_table *t) {
    if (!grow((void **)&t->cells, &t->cap_rows, (t->n_rows + 1) * (t->n_cols ? t->n_cols : 1), sizeof(cell))) {
        t->oom = true;
        return -1;
    }
    for (int c = 0; c < t->n_cols; c++)
        t->cells[t->n_rows * t->n_cols + c] = (cell){NULL, NAN, NULL};
    return t->n_rows++;
}

static cell *cell_at(const et_table *t, int row, int col) {
    if (row < 0 || row >= t->n_rows || col < 0 || col >= t->n_cols)
        return NULL;
    return &t->cells[row * t->n_cols + col];
}

void et_table_set_text(et_table *t, int row, int c, const char *text) {
    cell *x = cell_at(t, row, c);
    if (!x)
        return;
    free(x->text), free(x->said);
    x->text = dup_or_null(t, text ? text : "");
    x->num = NAN;
    x->said = NULL;
}

void et_table_set_num(et_table *t, int row, int c, double v) {
    cell *x = cell_at(t, row, c);
    if (!x)
        return;
    free(x->text), free(x->said);
    x->text = NULL, x->said = NULL;
    x->num = v;
}

void et_table_set_num_said(et_table *t, int row, int c, double v, const char *said) {
    et_table_set_num(t, row, c, v);
    cell *x = cell_at(t, row, c);
    if (x && said)
        x->said = dup_or_null(t, said);
}

void et_table_add_note(et_table *t, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!grow((void **)&t->notes, &t->cap_notes, t->n_notes + 1, sizeof(char *))) {
        t->oom = true;
        return;
    }
    char *d = dup_or_null(t, buf);
    if (d)
        t->notes[t->n_notes++] = d;
}

void et_table_set_html_figures(et_table *t, const char *html) {
    free(t->html_figures);
    t->html_figures = html ? dup_or_null(t, html) : NULL;
}
const char *et_table_html_figures(const et_table *t) { return t->html_figures; }

int et_table_n_rows(const et_table *t) { return t->n_rows; }
int et_table_n_cols(const et_table *t) { return t->n_cols; }
int et_table_n_notes(const et_table *t) { return t->n_notes; }
const char *et_table_title(const et_table *t) { return t->title; }
bool et_table_out_of_memory(const et_table *t) { return t->oom; }
const char *et_table_note(const et_table *t, int i) { return i >= 0 && i < t->n_notes ? t->notes[i] : NULL; }
const et_table_col *et_table_col_at(const et_table *t, int c) { return c >= 0 && c < t->n_cols ? &t->cols[c].c : NULL; }
const char *et_table_text_at(const et_table *t, int row, int c) {
    const cell *x = cell_at(t, row, c);
    return x ? x->text : NULL;
}
double et_table_num_at(const et_table *t, int row, int c) {
    const cell *x = cell_at(t, row, c);
    return x && !x->text ? x->num : NAN;
}
int et_table_col_index(const et_table *t, const char *key) {
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i].c.key, key) == 0)
            return i;
    return -1;
}

/* Fixed decimals, but never "0.00" for a small non-zero value: then two significant digits. */
static void fixed(double v, int decimals, char *buf, size_t len) {
    snprintf(buf, len, "%.*f", decimals, v);
    if (v != 0 && fabs(v) < 0.5 * pow(10, -decimals))
        snprintf(buf, len, "%.2g", v);
}

void et_table_cell_human(const et_table *t, int row, int c, char *buf, size_t len) {
    const cell *x = cell_at(t, row, c);
    buf[0] = '\0';
    if (!x)
        return;
    if (x->text || x->said) {
        snprintf(buf, len, "%s", x->text ? x->text : x->said);
        return;
    }
    const et_table_col *k = &t->cols[c].c;
    double v = x->num;
    if (isnan(v)) {
        snprintf(buf, len, "n/a");
        return;
    }
    char num[64];
    switch (k->kind) {
    case ET_COL_TEXT:
    case ET_COL_REAL: fixed(v, k->decimals, buf, len); break;
    case ET_COL_INT: snprintf(buf, len, "%.0f", v); break;
    case ET_COL_BOOL: snprintf(buf, len, "%s", v != 0 ? "yes" : ""); break;
    case ET_COL_DELTA:
        fixed(v, k->decimals, num, sizeof num);
        snprintf(buf, len, "%s%s", v > 0 && num[0] != '-' ? "+" : "", num);
        break;
    case ET_COL_RATIO: {
        bool up = v >= 1.0;
        double shown = up || v <= 0 ? v : 1.0 / v;
        fixed(shown, k->decimals, num, sizeof num);
        const char *word = up ? k->up_word : k->down_word;
        bool one = strtod(num, NULL) == 1.0; /* no direction for "1.00x" */
        if (!up && !k->down_word)            /* no words: plain ratio below 1 */
            fixed(v, k->decimals, num, sizeof num), word = NULL;
        snprintf(buf, len, "%sx%s%s", num, word && !one ? " " : "", word && !one ? word : "");
        break;
    }
    }
}

void et_table_num_machine(double v, char *buf, size_t len) {
    if (!isfinite(v)) {
        snprintf(buf, len, "%s", isnan(v) ? "" : v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void et_table_header_human(const et_table_col *c, char *buf, size_t len) {
    if (c->unit[0] && c->kind != ET_COL_RATIO)
        snprintf(buf, len, "%s (%s)", c->header, c->unit);
    else
        snprintf(buf, len, "%s", c->header);
}
