/* table_text.c: the two plain-text writers: aligned columns for a terminal, and a Markdown pipe table. Text
 * columns are left-aligned, numbers right-aligned; widths count UTF-8 characters, not bytes. */
#include <stdlib.h>
#include <string.h>

#include "db/table.h"

enum { CELL_MAX = 1024 };

static int display_width(const char *s) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

static bool is_numeric(const et_table_col *c) { return c->kind != ET_COL_TEXT; }

/* Blanks are held back until something visible follows them, so no line ends in blanks. */
typedef struct line_out {
    FILE *out;
    int pending;
} line_out;

static void put(line_out *l, const char *s) {
    if (!*s)
        return;
    for (; l->pending > 0; l->pending--)
        fputc(' ', l->out);
    fputs(s, l->out);
}

bool et_table_write_text(const et_table *t, FILE *out) {
    int nc = et_table_n_cols(t), nr = et_table_n_rows(t);
    int *width = calloc((size_t)(nc ? nc : 1), sizeof *width);
    if (!width)
        return false;
    char buf[CELL_MAX];
    for (int c = 0; c < nc; c++) {
        et_table_header_human(et_table_col_at(t, c), buf, sizeof buf);
        width[c] = display_width(buf);
        for (int r = 0; r < nr; r++) {
            et_table_cell_human(t, r, c, buf, sizeof buf);
            int w = display_width(buf);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    if (et_table_title(t))
        fprintf(out, "%s\n", et_table_title(t));
    for (int r = -2; r < nr; r++) { /* -2: header, -1: rule */
        line_out l = {out, 0};
        bool first = true;
        for (int c = 0; c < nc; c++) {
            const et_table_col *k = et_table_col_at(t, c);
            if (k->machine_only)
                continue;
            if (!first)
                l.pending += 2;
            first = false;
            if (r == -1) {
                memset(buf, '-', (size_t)width[c]);
                buf[width[c]] = '\0';
            } else if (r == -2) {
                et_table_header_human(k, buf, sizeof buf);
            } else {
                et_table_cell_human(t, r, c, buf, sizeof buf);
            }
            int gap = width[c] - display_width(buf);
            if (is_numeric(k)) {
                l.pending += gap;
                put(&l, buf);
            } else {
                put(&l, buf);
                l.pending += gap;
            }
        }
        fputc('\n', out);
    }
    for (int i = 0; i < et_table_n_notes(t); i++)
        fprintf(out, "%s%s\n", i == 0 ? "\n" : "", et_table_note(t, i));
    free(width);
    return !ferror(out);
}

/* A Markdown cell: '|' escaped, line breaks as spaces. */
static void md_cell(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

bool et_table_write_md(const et_table *t, FILE *out) {
    int nc = et_table_n_cols(t), nr = et_table_n_rows(t);
    char buf[CELL_MAX];
    for (int r = -2; r < nr; r++) {
        fputc('|', out);
        for (int c = 0; c < nc; c++) {
            const et_table_col *k = et_table_col_at(t, c);
            if (k->machine_only)
                continue;
            if (r == -1) {
                fputs(is_numeric(k) ? " ---: |" : " --- |", out);
                continue;
            }
            if (r == -2)
                et_table_header_human(k, buf, sizeof buf);
            else
                et_table_cell_human(t, r, c, buf, sizeof buf);
            fputc(' ', out);
            md_cell(out, buf);
            fputs(" |", out);
        }
        fputc('\n', out);
    }
    if (et_table_title(t)) { /* pandoc's table caption syntax; other renderers show it as a line of text */
        fputs("\nTable: ", out);
        md_cell(out, et_table_title(t));
        fputc('\n', out);
    }
    for (int i = 0; i < et_table_n_notes(t); i++) {
        fputs("\n", out);
        md_cell(out, et_table_note(t, i));
        fputc('\n', out);
    }
    return !ferror(out);
}
