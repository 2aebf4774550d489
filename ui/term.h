/* term.h: the terminal, the one place curses is called (ui/term.c): setup and restore, the colour table
 * [scheme][role], keys, and blitting a canvas. Everything above it works on canvases and ui/keys.h codes. */
#ifndef ET_UI_TERM_H
#define ET_UI_TERM_H

#include <stdbool.h>

#include "ui/canvas.h"
#include "util/status.h"

/* X(enum, name): how roles look. mono: attributes only (bold, underline, reverse), for NO_COLOR, --no-color and
 * terminals without colours (vt100); color8: the 8 ANSI colours; color256: 256-colour terminals. */
#define ET_SCHEME_LIST(X) \
    X(ET_SCHEME_MONO, "mono") X(ET_SCHEME_COLOR8, "8 colours") X(ET_SCHEME_COLOR256, "256 colours")
typedef enum {
#define ET_X(e, s) e,
    ET_SCHEME_LIST(ET_X)
#undef ET_X
        ET_SCHEME_COUNT
} et_scheme;

typedef struct et_term_options {
    bool no_color; /* --no-color (NO_COLOR in the environment does the same) */
    bool ascii;    /* --ascii: ASCII even in a UTF-8 locale */
} et_term_options;

typedef struct et_term et_term;

/* True when the locale's character set is UTF-8 (call after setlocale(LC_CTYPE, "")). */
bool et_term_locale_utf8(void);

/* Takes over the terminal on stdin/stdout. ET_E_USAGE when they are not a terminal, ET_E_UNSUPPORTED when
 * TERM is missing or unknown to terminfo (the message names TERM and what to set). */
et_status et_term_open(const et_term_options *o, et_term **out, et_err *err);

/* Restores the terminal (endwin) and frees t. NULL is fine. */
void et_term_close(et_term *t);

bool et_term_ascii(const et_term *t);
et_scheme et_term_scheme(const et_term *t);
const char *et_term_scheme_name(et_scheme s);

/* The terminal's size now (after SIGWINCH: asks the kernel and tells curses). */
void et_term_update_size(et_term *t, int *w, int *h);

/* The next key (ui/keys.h code) if one is waiting, else ET_KEY_NONE. Never blocks longer than the escape delay. */
int et_term_read_key(et_term *t);

/* Shows the canvas (sized as the terminal). repaint: redraw every cell (Ctrl-L, after a resize). */
void et_term_blit(et_term *t, const et_canvas *c, bool repaint);

/* On SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (a failed assert): restore the terminal, say so, then die of the
 * signal as usual. Installed by et_term_open. */
void et_term_crash_handlers(void);

#endif
