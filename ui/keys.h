/* keys.h: keys and what they do. One action list (with its help text) and one binding table (key -> action,
 * with the key's name), so the help overlay, the footers and the man page's KEYS section all come from here
 * (`edgetune tui --keys` prints the table the man page was written from).
 *
 * Keys are Unicode code points for characters, and ET_KEY_* above the Unicode range for the rest; ui/term.c
 * turns curses key codes into these, so nothing else needs curses. */
#ifndef ET_UI_KEYS_H
#define ET_UI_KEYS_H

#include <stdbool.h>
#include <stdio.h>

enum {
    ET_KEY_TAB = 9,
    ET_KEY_ESC = 27,
    ET_KEY_CTRL_B = 2,
    ET_KEY_CTRL_F = 6,
    ET_KEY_CTRL_L = 12,
    ET_KEY_CTRL_U = 21,
    ET_KEY_CTRL_W = 23,
    ET_KEY_BASE = 0x110000, /* past the last code point */
    ET_KEY_UP = ET_KEY_BASE,
    ET_KEY_DOWN,
    ET_KEY_LEFT,
    ET_KEY_RIGHT,
    ET_KEY_PAGE_UP,
    ET_KEY_PAGE_DOWN,
    ET_KEY_HOME,
    ET_KEY_END,
    ET_KEY_ENTER,
    ET_KEY_BACKSPACE,
    ET_KEY_DELETE,
    ET_KEY_BACKTAB,
    ET_KEY_F1,
    ET_KEY_F10 = ET_KEY_F1 + 9,
    ET_KEY_RESIZE,
    ET_KEY_NONE,
};

/* X(enum, what it does (help), short name for footers or NULL) */
#define ET_ACTION_LIST(X)                                                                    \
    X(ET_DO_NONE, "", NULL)                                                                  \
    X(ET_DO_HELP, "show every key (any key closes the help)", "Help")                        \
    X(ET_DO_NEXT_VIEW, "next view: workbench, history, layers, compare", "Views")            \
    X(ET_DO_PREV_VIEW, "previous view", NULL)                                                \
    X(ET_DO_VIEW_WORKBENCH, "workbench: knobs, live measurement, baseline comparison", NULL) \
    X(ET_DO_VIEW_HISTORY, "history: the stored runs", NULL)                                  \
    X(ET_DO_VIEW_LAYERS, "layers: time per layer of the current run", NULL)                  \
    X(ET_DO_VIEW_COMPARE, "compare: the marked runs against their baselines", NULL)          \
    X(ET_DO_UP, "previous knob, previous row", "Knob")                                       \
    X(ET_DO_DOWN, "next knob, next row", NULL)                                               \
    X(ET_DO_LEFT, "previous knob value; scroll a table left", "Change")                      \
    X(ET_DO_RIGHT, "next knob value (fewer bits, more pruning); scroll right", NULL)         \
    X(ET_DO_PAGE_UP, "a page up", NULL)                                                      \
    X(ET_DO_PAGE_DOWN, "a page down", NULL)                                                  \
    X(ET_DO_HOME, "first knob or row", NULL)                                                 \
    X(ET_DO_END, "last knob or row", NULL)                                                   \
    X(ET_DO_BASELINE, "make the current run the baseline (compare uses it too)", "Baseline") \
    X(ET_DO_REMEASURE, "measure the current knobs again (a new run)", "Rerun")               \
    X(ET_DO_RESET, "fp32 knobs (threads stay); layer dialog: the model's value", "fp32")     \
    X(ET_DO_MARK, "mark or unmark the run under the cursor", "Mark")                         \
    X(ET_DO_UNMARK_ALL, "unmark every run", NULL)                                            \
    X(ET_DO_COMPARE, "compare the marked runs (or the run under the cursor)", "Compare")     \
    X(ET_DO_FILTER, "filter the runs by text (Enter keeps it, Esc clears it)", "Filter")     \
    X(ET_DO_SORT, "sort by the next column", "Sort")                                         \
    X(ET_DO_REVERSE, "reverse the sort order", NULL)                                         \
    X(ET_DO_EXPORT, "export the table on screen (csv, md, json, latex, html)", "Export")     \
    X(ET_DO_OPEN, "open another model (Tab completes the path)", "Open")                     \
    X(ET_DO_TRAIN, "train the model as the knobs tune it (distilled from fp32)", "Train")    \
    X(ET_DO_SEARCH, "search per-layer knobs within an accuracy drop", "Search")              \
    X(ET_DO_ENTER, "confirm a dialog; history: compare the run; layers: layer knobs", NULL)  \
    X(ET_DO_CANCEL, "close the dialog, the help or the filter", NULL)                        \
    X(ET_DO_REDRAW, "redraw the whole screen", NULL)                                         \
    X(ET_DO_QUIT, "quit (a measurement in flight is stored as aborted)", "Quit")

typedef enum {
#define ET_X(e, help, name) e,
    ET_ACTION_LIST(ET_X)
#undef ET_X
        ET_DO_COUNT
} et_action;

const char *et_action_help(et_action a);
const char *et_action_name(et_action a); /* short name for footers, or NULL */

typedef struct et_key_binding {
    int key;
    const char *label;       /* as the help shows it, UTF-8 */
    const char *label_ascii; /* the same in ASCII */
    et_action action;
} et_key_binding;

/* The binding table, in help order. */
const et_key_binding *et_key_bindings(int *n);

/* The action bound to key, ET_DO_NONE when none. */
et_action et_key_action(int key);

/* The names of the keys bound to a, joined with "/" (e.g. "q/F10"), ASCII or UTF-8. Returns buf. */
char *et_action_keys(et_action a, bool ascii, char *buf, size_t len);

/* The KEYS table as plain text (one line per action: keys, then what they do). */
void et_keys_print(FILE *out);

#endif
