/* field.h: a one-line text field (the open dialog's path, the export path, the history filter) and the path
 * completion the open and export dialogs share. No curses: fields take keys from ui/keys.h and draw on a canvas. */
#ifndef ET_UI_FIELD_H
#define ET_UI_FIELD_H

#include <stdbool.h>

#include "ui/canvas.h"

enum { ET_FIELD_MAX = 1024, ET_COMPLETE_MAX = 64, ET_COMPLETE_NAME = 64 };

typedef struct et_field {
    char text[ET_FIELD_MAX]; /* UTF-8 */
    int len;                 /* bytes */
    int cursor;              /* byte offset, on a character boundary */
} et_field;

void et_field_set(et_field *f, const char *text);
/* Edits f with key: characters insert; Backspace, Delete, Left, Right, Home, End, Ctrl-U (clear to start) and
 * Ctrl-W (delete the word before the cursor) edit. Returns true when the key was used; other keys (Enter, Esc,
 * Tab, Up, Down) are left to the caller. */
bool et_field_key(et_field *f, int key);
/* Draws f in w columns at (x, y), scrolled so the cursor shows; the cursor cell gets the selected role. */
void et_field_draw(const et_field *f, et_canvas *c, int x, int y, int w, bool focused);

typedef struct et_completion {
    int n;                                         /* entries that match (may exceed the names kept) */
    char names[ET_COMPLETE_MAX][ET_COMPLETE_NAME]; /* the first matches, sorted, directories end in '/' */
} et_completion;

/* Tab in a path field: completes the last path component of f to the longest prefix shared by the matching
 * entries of its directory (a single match gets its '/' when it is a directory), and lists the matches in *out.
 * Hidden entries match only a component starting with '.'. Returns the number of matches. */
int et_field_complete_path(et_field *f, et_completion *out);

#endif
