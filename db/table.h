/* table.h: a generic typed table and its writers, for `runs`, `compare` and `sweep` (and the TUI's export).
 *
 * A table has a title, columns (a machine key, a human header, a unit, a kind, decimals, and which direction is
 * better), rows of cells (text, or a number; NaN or an unset cell is "missing") and notes (one-line remarks such
 * as which run is the baseline). Writers:
 *   table  aligned plain text for a terminal; md  Markdown pipe table; csv  RFC 4180 (CRLF, quoted where needed);
 *   json   {"title", "columns": [{key, header, unit, kind, better}], "rows": [{key: value}], "notes"};
 *   latex  booktabs table (\toprule/\midrule/\bottomrule), special characters escaped;
 *   html   a well-formed HTML5 document with one <table>, text escaped.
 * Human formats (table, md, latex, html) show numbers with the column's decimals, ratios as "2.10x faster" and
 * deltas with a sign; machine formats (csv, json) carry the full-precision number, with the unit in the header
 * (csv) or the column list (json). Missing numbers are "n/a" for humans, an empty field in csv, null in json.
 *
 * Ownership: the table copies every string it is given. Allocation failures are remembered and reported by the
 * writers (ET_E_NOMEM), so building code need not check each call. */
#ifndef ET_DB_TABLE_H
#define ET_DB_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/status.h"

#define ET_TABLE_FORMAT_LIST(X)                  \
    X(ET_TABLE_TEXT, "table", "aligned text")    \
    X(ET_TABLE_MD, "md", "Markdown")             \
    X(ET_TABLE_CSV, "csv", "CSV (RFC 4180)")     \
    X(ET_TABLE_JSON, "json", "JSON")             \
    X(ET_TABLE_LATEX, "latex", "LaTeX booktabs") \
    X(ET_TABLE_HTML, "html", "HTML")
typedef enum {
#define ET_X(e, name, text) e,
    ET_TABLE_FORMAT_LIST(ET_X)
#undef ET_X
        ET_TABLE_FORMAT_COUNT
} et_table_format;

/* "table", "md", ...; -1 from parse when unknown. et_table_format_list() is "table|md|csv|json|latex|html". */
const char *et_table_format_name(et_table_format f);
int et_table_format_parse(const char *s);
const char *et_table_format_list(void);

typedef enum {
    ET_COL_TEXT,
    ET_COL_INT,   /* whole number */
    ET_COL_REAL,  /* number with `decimals` */
    ET_COL_RATIO, /* "2.10x faster" / "2.00x slower" (below 1 shown inverted with down_word) */
    ET_COL_DELTA, /* signed difference, "+1.20" */
    ET_COL_BOOL,  /* number 0/1: "yes"/"" for humans, true/false for machines */
} et_col_kind;

typedef enum { ET_BETTER_NONE, ET_BETTER_LOWER, ET_BETTER_HIGHER } et_better;

typedef struct et_table_col {
    const char *key;    /* JSON key: [a-z0-9_], e.g. "latency_p50_ms" */
    const char *header; /* human header, e.g. "p50" */
    const char *unit;   /* "ms", "MiB", "x", "pp", "" */
    et_col_kind kind;
    int decimals;
    et_better better;
    const char *up_word;   /* ET_COL_RATIO: word for a ratio >= 1 ("faster", "smaller"); NULL: none */
    const char *down_word; /* ... and for a ratio < 1 ("slower", "larger") */
    bool machine_only;     /* shown in csv and json only (e.g. uuid) */
} et_table_col;

typedef struct et_table et_table;

/* A new empty table; NULL when out of memory. title may be NULL. */
et_table *et_table_new(const char *title);
void et_table_free(et_table *t);

/* Adds a column / a row; returns its index, or -1 when out of memory (remembered, see above). Columns must all be
 * added before the first row. */
int et_table_add_col(et_table *t, const et_table_col *c);
int et_table_add_row(et_table *t);
/* Sets a cell (out-of-range indices are ignored). NaN makes a number cell missing. */
void et_table_set_text(et_table *t, int row, int col, const char *text);
void et_table_set_num(et_table *t, int row, int col, double v);
/* A number cell that human formats show as `said` instead of the formatted number ("= same, p 0.41" where the
 * number is a speed-up that is not significant); machine formats carry the number. */
void et_table_set_num_said(et_table *t, int row, int col, double v, const char *said);
void et_table_add_note(et_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An HTML fragment (the report's pictures, db/report_svg.h) that the html writer puts above the table; the other
 * formats ignore it. Copied; NULL removes it. */
void et_table_set_html_figures(et_table *t, const char *html);
const char *et_table_html_figures(const et_table *t);

/* Read access, for writers and tests. */
int et_table_n_rows(const et_table *t);
int et_table_n_cols(const et_table *t);
int et_table_n_notes(const et_table *t);
const char *et_table_title(const et_table *t);
/* True when building the table ran out of memory somewhere (the writers then fail with ET_E_NOMEM). */
bool et_table_out_of_memory(const et_table *t);
const char *et_table_note(const et_table *t, int i);
const et_table_col *et_table_col_at(const et_table *t, int col);
/* The text of a text cell (NULL when the cell is a number or missing); the value of a number cell (NaN otherwise). */
const char *et_table_text_at(const et_table *t, int row, int col);
double et_table_num_at(const et_table *t, int row, int col);
/* The column index of a key, or -1. */
int et_table_col_index(const et_table *t, const char *key);

/* A cell as humans see it (text, or the number formatted per its column; "n/a" when missing). */
void et_table_cell_human(const et_table *t, int row, int col, char *buf, size_t len);
/* A number as machines read it: the shortest text that reads back as the same double. */
void et_table_num_machine(double v, char *buf, size_t len);
/* "header (unit)" or "header". */
void et_table_header_human(const et_table_col *c, char *buf, size_t len);

/* Writes t in format f to out (table_write.c, as the next one). ET_E_NOMEM when building the table ran out of memory, ET_E_IO on a write error. */
et_status et_table_write(const et_table *t, et_table_format f, FILE *out, et_err *err);

/* Writes t to path atomically (a temporary file in the same directory, renamed over path once complete), so a
 * failure never leaves half a file; path "-" is stdout. ET_E_IO / ET_E_PERMISSION naming the path. */
et_status et_table_write_path(const et_table *t, et_table_format f, const char *path, et_err *err);

/* Per-format writers (table_*.c), called by et_table_write; each returns false on a write error of out. */
bool et_table_write_text(const et_table *t, FILE *out);
bool et_table_write_md(const et_table *t, FILE *out);
bool et_table_write_csv(const et_table *t, FILE *out);
bool et_table_write_json(const et_table *t, FILE *out);
bool et_table_write_latex(const et_table *t, FILE *out);
bool et_table_write_html(const et_table *t, FILE *out);

#endif
