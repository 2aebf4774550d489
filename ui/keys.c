/* keys.c: the action list and the key bindings (see keys.h). vi keys are aliases of the arrows. */
#include "ui/keys.h"

#include <stdio.h>
#include <string.h>

static const char *const action_help[] = {
#define ET_X(e, help, name) help,
    ET_ACTION_LIST(ET_X)
#undef ET_X
};
static const char *const action_names[] = {
#define ET_X(e, help, name) name,
    ET_ACTION_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof action_help / sizeof action_help[0] == ET_DO_COUNT, "action help");

const char *et_action_help(et_action a) { return (unsigned)a < ET_DO_COUNT ? action_help[a] : ""; }
const char *et_action_name(et_action a) { return (unsigned)a < ET_DO_COUNT ? action_names[a] : NULL; }

static const et_key_binding bindings[] = {
    {'?', "?", "?", ET_DO_HELP},
    {ET_KEY_F1, "F1", "F1", ET_DO_HELP},
    {ET_KEY_TAB, "Tab", "Tab", ET_DO_NEXT_VIEW},
    {ET_KEY_BACKTAB, "Shift-Tab", "Shift-Tab", ET_DO_PREV_VIEW},
    {'1', "1", "1", ET_DO_VIEW_WORKBENCH},
    {'2', "2", "2", ET_DO_VIEW_HISTORY},
    {'3', "3", "3", ET_DO_VIEW_LAYERS},
    {'4', "4", "4", ET_DO_VIEW_COMPARE},
    {ET_KEY_UP, "\u2191", "Up", ET_DO_UP},
    {'k', "k", "k", ET_DO_UP},
    {ET_KEY_DOWN, "\u2193", "Down", ET_DO_DOWN},
    {'j', "j", "j", ET_DO_DOWN},
    {ET_KEY_LEFT, "\u2190", "Left", ET_DO_LEFT},
    {'h', "h", "h", ET_DO_LEFT},
    {ET_KEY_RIGHT, "\u2192", "Right", ET_DO_RIGHT},
    {'l', "l", "l", ET_DO_RIGHT},
    {ET_KEY_PAGE_UP, "PgUp", "PgUp", ET_DO_PAGE_UP},
    {ET_KEY_CTRL_B, "Ctrl-B", "Ctrl-B", ET_DO_PAGE_UP},
    {ET_KEY_PAGE_DOWN, "PgDn", "PgDn", ET_DO_PAGE_DOWN},
    {ET_KEY_CTRL_F, "Ctrl-F", "Ctrl-F", ET_DO_PAGE_DOWN},
    {ET_KEY_HOME, "Home", "Home", ET_DO_HOME},
    {'g', "g", "g", ET_DO_HOME},
    {ET_KEY_END, "End", "End", ET_DO_END},
    {'G', "G", "G", ET_DO_END},
    {'b', "b", "b", ET_DO_BASELINE},
    {'r', "r", "r", ET_DO_REMEASURE},
    {'0', "0", "0", ET_DO_RESET},
    {' ', "Space", "Space", ET_DO_MARK},
    {'u', "u", "u", ET_DO_UNMARK_ALL},
    {'c', "c", "c", ET_DO_COMPARE},
    {'/', "/", "/", ET_DO_FILTER},
    {'s', "s", "s", ET_DO_SORT},
    {'S', "S", "S", ET_DO_REVERSE},
    {'e', "e", "e", ET_DO_EXPORT},
    {'o', "o", "o", ET_DO_OPEN},
    {'T', "T", "T", ET_DO_TRAIN},
    {'P', "P", "P", ET_DO_SEARCH},
    {ET_KEY_ENTER, "Enter", "Enter", ET_DO_ENTER},
    {ET_KEY_ESC, "Esc", "Esc", ET_DO_CANCEL},
    {ET_KEY_CTRL_L, "Ctrl-L", "Ctrl-L", ET_DO_REDRAW},
    {'q', "q", "q", ET_DO_QUIT},
    {ET_KEY_F10, "F10", "F10", ET_DO_QUIT},
};
enum { N_BINDINGS = sizeof bindings / sizeof bindings[0] };

const et_key_binding *et_key_bindings(int *n) {
    *n = N_BINDINGS;
    return bindings;
}

et_action et_key_action(int key) {
    for (int i = 0; i < N_BINDINGS; i++)
        if (bindings[i].key == key)
            return bindings[i].action;
    return ET_DO_NONE;
}

char *et_action_keys(et_action a, bool ascii, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_BINDINGS; i++) {
        if (bindings[i].action != a)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? "/" : "",
                         ascii ? bindings[i].label_ascii : bindings[i].label);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

void et_keys_print(FILE *out) {
    for (int a = 1; a < ET_DO_COUNT; a++) {
        char keys[64];
        et_action_keys((et_action)a, true, keys, sizeof keys);
        fprintf(out, "  %-18s %s\n", keys, action_help[a]);
    }
}
