/* term.c: the only file that calls curses (ncursesw). Terminal setup and restore, the colour table
 * [scheme][role], key translation and the canvas blit.
 *
 * Setup: newterm() on stdin/stdout (so an unknown TERM is an error we report, not an exit inside curses),
 * cbreak (Ctrl-C still sends SIGINT, which ui/app.c turns into a clean quit), noecho, keypad, nonl, no cursor,
 * a 25 ms escape delay (Esc answers at once; arrows over SSH still arrive whole), non-blocking reads (ui/app.c
 * sleeps in poll()). SIGWINCH is ui/app.c's: we resize on its request (resizeterm), not from a curses handler.
 *
 * Colours: a role is {foreground, background, attributes} per scheme. The mono scheme uses attributes only,
 * and every meaning also has a marker in the text (▲/▼, ◂ ▸, ●, "n/a"), so nothing depends on colour. */
#include "ui/term.h"

#include <curses.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <unistd.h>
#include <wchar.h>

#include "ui/keys.h"

struct et_term {
    SCREEN *screen;
    et_scheme scheme;
    bool ascii;
    wchar_t *line; /* one row of text for addnwstr */
    int line_cap;
};

static const char *const scheme_names[] = {
#define ET_X(e, s) s,
    ET_SCHEME_LIST(ET_X)
#undef ET_X
};

typedef struct role_style {
    short fg, bg; /* -1: the terminal's default */
    attr_t attr;
} role_style;

enum { DEF = -1 };

/* [scheme][role]. Meanings: see ET_ROLE_LIST in canvas.h. */
static const role_style styles[ET_SCHEME_COUNT][ET_ROLE_COUNT] =
    {
        [ET_SCHEME_MONO] =
            {
                [ET_ROLE_NORMAL] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_TITLE] = {DEF, DEF, A_REVERSE},
                [ET_ROLE_BORDER] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_PANEL] = {DEF, DEF, A_BOLD},
                [ET_ROLE_LABEL] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_VALUE] = {DEF, DEF, A_BOLD},
                [ET_ROLE_DIM] = {DEF, DEF, A_DIM},
                [ET_ROLE_GOOD] = {DEF, DEF, A_BOLD},
                [ET_ROLE_BAD] = {DEF, DEF, A_BOLD | A_UNDERLINE},
                [ET_ROLE_WARN] = {DEF, DEF, A_BOLD},
                [ET_ROLE_ERROR] = {DEF, DEF, A_BOLD},
                [ET_ROLE_SELECTED] = {DEF, DEF, A_REVERSE},
                [ET_ROLE_MARKED] = {DEF, DEF, A_BOLD},
                [ET_ROLE_HEADER] = {DEF, DEF, A_UNDERLINE},
                [ET_ROLE_FOOTER] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_KEY] = {DEF, DEF, A_REVERSE},
                [ET_ROLE_GRAPH] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_BASELINE] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_DIALOG] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_INPUT] = {DEF, DEF, A_UNDERLINE},
            },
        [ET_SCHEME_COLOR8] =
            {
                [ET_ROLE_NORMAL] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_TITLE] = {COLOR_WHITE, COLOR_BLUE, A_BOLD},
                [ET_ROLE_BORDER] = {COLOR_CYAN, DEF, A_NORMAL},
                [ET_ROLE_PANEL] = {COLOR_CYAN, DEF, A_BOLD},
                [ET_ROLE_LABEL] = {COLOR_CYAN, DEF, A_NORMAL},
                [ET_ROLE_VALUE] = {DEF, DEF, A_BOLD},
                [ET_ROLE_DIM] = {DEF, DEF, A_DIM},
                [ET_ROLE_GOOD] = {COLOR_GREEN, DEF, A_BOLD},
                [ET_ROLE_BAD] = {COLOR_RED, DEF, A_BOLD},
                [ET_ROLE_WARN] = {COLOR_YELLOW, DEF, A_NORMAL},
                [ET_ROLE_ERROR] = {COLOR_RED, DEF, A_BOLD},
                [ET_ROLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
                [ET_ROLE_MARKED] = {COLOR_YELLOW, DEF, A_BOLD},
                [ET_ROLE_HEADER] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL},
                [ET_ROLE_FOOTER] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_KEY] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
                [ET_ROLE_GRAPH] = {COLOR_GREEN, DEF, A_NORMAL},
                [ET_ROLE_BASELINE] = {COLOR_BLUE, DEF, A_BOLD},
                [ET_ROLE_DIALOG] = {DEF, DEF, A_NORMAL},
                [ET_ROLE_INPUT] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL},
            },
        [ET_SCHEME_COLOR256] =
            {
                [ET_ROLE_NORMAL] = {DEF, DEF, A_NORMAL}, [ET_ROLE_TITLE] = {231, 24, A_BOLD},
                [ET_ROLE_BORDER] = {66, DEF, A_NORMAL},  [ET_ROLE_PANEL] = {80, DEF, A_BOLD},
                [ET_ROLE_LABEL] = {74, DEF, A_NORMAL},   [ET_ROLE_VALUE] = {DEF, DEF, A_BOLD},
                [ET_ROLE_DIM] = {244, DEF, A_NORMAL},    [ET_ROLE_GOOD] = {41, DEF, A_BOLD},
                [ET_ROLE_BAD] = {203, DEF, A_BOLD},      [ET_ROLE_WARN] = {221, DEF, A_NORMAL},
                [ET_ROLE_ERROR] = {196, DEF, A_BOLD},    [ET_ROLE_SELECTED] = {16, 80, A_NORMAL},
                [ET_ROLE_MARKED] = {220, DEF, A_BOLD},   [ET_ROLE_HEADER] = {16, 71, A_NORMAL},
                [ET_ROLE_FOOTER] = {DEF, DEF, A_NORMAL}, [ET_ROLE_KEY] = {16, 74, A_NORMAL},
                [ET_ROLE_GRAPH] = {71, DEF, A_NORMAL},   [ET_ROLE_BASELINE] = {111, DEF, A_NORMAL},
                [ET_ROLE_DIALOG] = {DEF, 236, A_NORMAL}, [ET_ROLE_INPUT] = {231, 238, A_NORMAL},
            },
};

const char *et_term_scheme_name(et_scheme s) { return (unsigned)s < ET_SCHEME_COUNT ? scheme_names[s] : "?"; }

bool et_term_locale_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* The terminal is ours: the crash handlers restore it. The one piece of state a signal handler can see. */
static volatile sig_atomic_t term_active;

static void on_crash(int sig) {
    if (term_active) {
        term_active = 0;
        endwin(); /* not async-signal-safe, but the process is dying and a raw terminal is worse */
        static const char msg[] = "\nedgetune: crashed; the terminal was restored. Please report this.\n";
        ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)n;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void et_term_crash_handlers(void) {
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

static void setup_colours(et_term *t) {
    if (t->scheme == ET_SCHEME_MONO)
        return;
    start_color();
    use_default_colors();
    for (int r = 0; r < ET_ROLE_COUNT; r++) {
        const role_style *s = &styles[t->scheme][r];
        init_pair((short)(r + 1), s->fg, s->bg);
    }
}

et_status et_term_open(const et_term_options *o, et_term **out, et_err *err) {
    *out = NULL;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return et_fail(err, ET_E_USAGE,
                       "the workbench needs a terminal on stdin and stdout; for scripts use 'edgetune bench MODEL'");
    const char *term = getenv("TERM");
    if (!term || !*term)
        return et_fail(err, ET_E_UNSUPPORTED, "TERM is not set; set it to your terminal, e.g. TERM=xterm-256color");
    int setup_err = 0;
    if (setupterm(term, STDOUT_FILENO, &setup_err) != OK) {
        return et_fail(err, ET_E_UNSUPPORTED,
                       "TERM=%s is unknown to terminfo here; try TERM=xterm-256color, screen, linux or vt100", term);
    }
    del_curterm(cur_term);
    et_term *t = calloc(1, sizeof *t);
    if (!t)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    t->ascii = o->ascii || !et_term_locale_utf8();
    set_escdelay(25);
    t->screen = newterm(term, stdout, stdin);
    if (!t->screen) {
        free(t);
        return et_fail(err, ET_E_UNSUPPORTED, "cannot use TERM=%s; try TERM=xterm-256color or vt100", term);
    }
    set_term(t->screen);
    term_active = 1;
    et_term_crash_handlers();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    intrflush(stdscr, FALSE);
    leaveok(stdscr, TRUE);
    curs_set(0);
    const char *no_color = getenv("NO_COLOR");
    if (o->no_color || (no_color && *no_color) || !has_colors())
        t->scheme = ET_SCHEME_MONO;
    else
        t->scheme = COLORS >= 256 ? ET_SCHEME_COLOR256 : ET_SCHEME_COLOR8;
    setup_colours(t);
    *out = t;
    return ET_OK;
}

void et_term_close(et_term *t) {
    if (!t)
        return;
    curs_set(1);
    endwin();
    term_active = 0;
    delscreen(t->screen);
    free(t->line);
    free(t);
}

bool et_term_ascii(const et_term *t) { return t->ascii; }
et_scheme et_term_scheme(const et_term *t) { return t->scheme; }

void et_term_update_size(et_term *t, int *w, int *h) {
    (void)t;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0 &&
        (ws.ws_col != COLS || ws.ws_row != LINES))
        resizeterm(ws.ws_row, ws.ws_col);
    *w = COLS;
    *h = LINES;
}

int et_term_read_key(et_term *t) {
    (void)t;
    wint_t ch;
    int rc = wget_wch(stdscr, &ch);
    if (rc == ERR)
        return ET_KEY_NONE;
    if (rc == KEY_CODE_YES) {
        switch (ch) {
        case KEY_UP: return ET_KEY_UP;
        case KEY_DOWN: return ET_KEY_DOWN;
        case KEY_LEFT: return ET_KEY_LEFT;
        case KEY_RIGHT: return ET_KEY_RIGHT;
        case KEY_PPAGE: return ET_KEY_PAGE_UP;
        case KEY_NPAGE: return ET_KEY_PAGE_DOWN;
        case KEY_HOME: return ET_KEY_HOME;
        case KEY_END: return ET_KEY_END;
        case KEY_ENTER: return ET_KEY_ENTER;
        case KEY_BACKSPACE: return ET_KEY_BACKSPACE;
        case KEY_DC: return ET_KEY_DELETE;
        case KEY_BTAB: return ET_KEY_BACKTAB;
        case KEY_RESIZE: return ET_KEY_RESIZE;
        default:
            if (ch >= KEY_F(1) && ch <= KEY_F(10))
                return ET_KEY_F1 + (int)(ch - KEY_F(1));
            return ET_KEY_NONE;
        }
    }
    if (ch == '\r' || ch == '\n')
        return ET_KEY_ENTER;
    if (ch == 127 || ch == 8)
        return ET_KEY_BACKSPACE;
    return (int)ch;
}

static attr_t attr_of(const et_term *t, int role) {
    const role_style *s = &styles[t->scheme][role < ET_ROLE_COUNT ? role : 0];
    attr_t a = s->attr;
    if (t->scheme != ET_SCHEME_MONO)
        a |= COLOR_PAIR(role + 1);
    return a;
}

void et_term_blit(et_term *t, const et_canvas *c, bool repaint) {
    if (c->w > t->line_cap) {
        wchar_t *grown = realloc(t->line, ((size_t)c->w + 1) * sizeof *grown);
        if (!grown)
            return;
        t->line = grown;
        t->line_cap = c->w;
    }
    int rows = c->h < LINES ? c->h : LINES, cols = c->w < COLS ? c->w : COLS;
    for (int y = 0; y < rows; y++) {
        int x = 0;
        while (x < cols) {
            int role = c->cells[y * c->w + x].role, n = 0;
            while (x + n < cols && c->cells[y * c->w + x + n].role == role) {
                t->line[n] = (wchar_t)c->cells[y * c->w + x + n].cp;
                n++;
            }
            /* the bottom-right cell cannot be written without scrolling on some terminals: leave it */
            if (y == LINES - 1 && x + n == COLS)
                n--;
            t->line[n > 0 ? n : 0] = L'\0';
            attrset(attr_of(t, role));
            if (n > 0)
                mvaddnwstr(y, x, t->line, n);
            x += n > 0 ? n : 1;
            if (n <= 0)
                break;
        }
    }
    attrset(A_NORMAL);
    if (repaint)
        clearok(curscr, TRUE);
    wnoutrefresh(stdscr);
    doupdate();
}
