/* canvas.h: a text grid that views draw into: one code point and one role (what the cell means: value, better,
 * worse, selected, ...) per cell. Only ui/term.c turns it into curses calls (a role becomes colours and
 * attributes there, per colour scheme); tests turn it into plain text and compare it with golden screens, so no
 * view needs a terminal to be tested.
 *
 * Every character is one column: text is decoded from UTF-8 and anything that is not a printable one-column
 * character (control bytes, invalid UTF-8, wide CJK, anything outside ASCII on an ASCII canvas) becomes '?'.
 * Drawing outside the grid is clipped, never an error. Glyphs (box lines, blocks, arrows) come from one table
 * with a UTF-8 and an ASCII form, picked by the canvas's `ascii` flag. */
#ifndef ET_UI_CANVAS_H
#define ET_UI_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* X(enum, name) what a cell means; ui/term.c maps each to colours and attributes per scheme. */
#define ET_ROLE_LIST(X)                         \
    X(ET_ROLE_NORMAL, "normal")                 \
    X(ET_ROLE_TITLE, "title bar")               \
    X(ET_ROLE_BORDER, "panel border")           \
    X(ET_ROLE_PANEL, "panel title")             \
    X(ET_ROLE_LABEL, "label")                   \
    X(ET_ROLE_VALUE, "value")                   \
    X(ET_ROLE_DIM, "unavailable or inactive")   \
    X(ET_ROLE_GOOD, "better than the baseline") \
    X(ET_ROLE_BAD, "worse than the baseline")   \
    X(ET_ROLE_WARN, "warning")                  \
    X(ET_ROLE_ERROR, "error")                   \
    X(ET_ROLE_SELECTED, "selected")             \
    X(ET_ROLE_MARKED, "marked")                 \
    X(ET_ROLE_HEADER, "table header")           \
    X(ET_ROLE_FOOTER, "footer")                 \
    X(ET_ROLE_KEY, "key name")                  \
    X(ET_ROLE_GRAPH, "graph")                   \
    X(ET_ROLE_BASELINE, "baseline")             \
    X(ET_ROLE_DIALOG, "dialog")                 \
    X(ET_ROLE_INPUT, "text field")
typedef enum {
#define ET_X(e, s) e,
    ET_ROLE_LIST(ET_X)
#undef ET_X
        ET_ROLE_COUNT
} et_role;
const char *et_role_name(et_role r);

/* X(enum, UTF-8, ASCII) */
#define ET_GLYPH_LIST(X)                           \
    X(ET_G_HLINE, "\u2500", "-")                   \
    X(ET_G_VLINE, "\u2502", "|")                   \
    X(ET_G_TL, "\u250c", "+")                      \
    X(ET_G_TR, "\u2510", "+")                      \
    X(ET_G_BL, "\u2514", "+")                      \
    X(ET_G_BR, "\u2518", "+")                      \
    X(ET_G_BETTER, "\u25b2", "+") /* ▲ */        \
    X(ET_G_WORSE, "\u25bc", "-")  /* ▼ */        \
    X(ET_G_SAME, "=", "=")                         \
    X(ET_G_LEFT, "\u25c2", "<")    /* ◂ */       \
    X(ET_G_RIGHT, "\u25b8", ">")   /* ▸ */       \
    X(ET_G_POINTER, "\u25b6", ">") /* ▶ */       \
    X(ET_G_MARK, "\u25cf", "*")    /* ● */       \
    X(ET_G_ELLIPSIS, "\u2026", "~")                \
    X(ET_G_BLOCK1, "\u2581", "_") /* ▁ .. █ */ \
    X(ET_G_BLOCK2, "\u2582", ".")                  \
    X(ET_G_BLOCK3, "\u2583", "-")                  \
    X(ET_G_BLOCK4, "\u2584", "=")                  \
    X(ET_G_BLOCK5, "\u2585", "+")                  \
    X(ET_G_BLOCK6, "\u2586", "*")                  \
    X(ET_G_BLOCK7, "\u2587", "%")                  \
    X(ET_G_BLOCK8, "\u2588", "#")                  \
    X(ET_G_SHADE, "\u2591", ".") /* ░ */         \
    X(ET_G_DEGREE, "\u00b0", "")                   \
    X(ET_G_DOTS, "\u00b7", ".") /* · */
typedef enum {
#define ET_X(e, u, a) e,
    ET_GLYPH_LIST(ET_X)
#undef ET_X
        ET_G_COUNT
} et_glyph;

typedef struct et_cell {
    uint32_t cp;  /* Unicode code point, one column */
    uint8_t role; /* et_role */
} et_cell;

typedef struct et_canvas {
    int w, h;
    bool ascii;     /* glyphs and text in ASCII only (locale without UTF-8, or --ascii) */
    et_cell *cells; /* h rows of w cells, owned */
} et_canvas;

typedef struct et_rect {
    int x, y, w, h;
} et_rect;

/* Allocates a w x h canvas of blanks. Returns false when out of memory (c is then empty). */
bool et_canvas_init(et_canvas *c, int w, int h, bool ascii);
void et_canvas_free(et_canvas *c);
/* New size, blank. Returns false when out of memory (the old grid is kept). */
bool et_canvas_resize(et_canvas *c, int w, int h);
void et_canvas_clear(et_canvas *c);

const et_cell *et_canvas_at(const et_canvas *c, int x, int y); /* NULL outside */

/* Writes UTF-8 text at (x, y), at most max_w columns (and never past the right edge); returns the columns used. */
int et_canvas_text(et_canvas *c, int x, int y, int max_w, et_role role, const char *text);
/* As et_canvas_text, but text longer than max_w ends in an ellipsis glyph instead of being cut. */
int et_canvas_text_fit(et_canvas *c, int x, int y, int max_w, et_role role, const char *text);
/* Right-aligned in [x, x + w): returns the column where the text starts. */
int et_canvas_text_right(et_canvas *c, int x, int y, int w, et_role role, const char *text);
int et_canvas_printf(et_canvas *c, int x, int y, int max_w, et_role role, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

void et_canvas_put(et_canvas *c, int x, int y, uint32_t cp, et_role role);
void et_canvas_glyph(et_canvas *c, int x, int y, et_glyph g, et_role role);
/* The glyph as text (UTF-8 or ASCII per the canvas); "" for glyphs ASCII has no form for (degree). */
const char *et_canvas_glyph_text(const et_canvas *c, et_glyph g);
void et_canvas_fill(et_canvas *c, et_rect r, uint32_t cp, et_role role);
/* Changes the role of w cells from (x, y), keeping the characters (selection bars). */
void et_canvas_set_role(et_canvas *c, int x, int y, int w, et_role role);
/* A frame around r with the title in its top edge; the inside is left as it is. */
void et_canvas_box(et_canvas *c, et_rect r, et_role border, const char *title, et_role title_role);

/* Display columns of UTF-8 text as the canvas would draw it. */
int et_text_width(const char *text);

/* The grid as UTF-8 text, one line per row, trailing blanks removed. Returns false on a write error. */
bool et_canvas_write_text(const et_canvas *c, FILE *out);
/* The same into a malloc'ed string (NULL when out of memory). */
char *et_canvas_to_string(const et_canvas *c);

#endif
