/* field.c: one-line text fields and path completion (see field.h). */
#include "ui/field.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ui/keys.h"

void et_field_set(et_field *f, const char *text) {
    snprintf(f->text, sizeof f->text, "%s", text);
    f->len = (int)strlen(f->text);
    f->cursor = f->len;
}

static bool is_cont(char ch) { return ((unsigned char)ch & 0xc0) == 0x80; }

static int prev_char(const et_field *f, int at) {
    do
        at--;
    while (at > 0 && is_cont(f->text[at]));
    return at < 0 ? 0 : at;
}

static int next_char(const et_field *f, int at) {
    if (at >= f->len)
        return f->len;
    do
        at++;
    while (at < f->len && is_cont(f->text[at]));
    return at;
}

static void delete_range(et_field *f, int from, int to) {
    memmove(f->text + from, f->text + to, (size_t)(f->len - to) + 1);
    f->len -= to - from;
    f->cursor = from;
}

static int encode(int key, char out[4]) {
    unsigned cp = (unsigned)key;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12)), out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18)), out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

bool et_field_key(et_field *f, int key) {
    switch (key) {
    case ET_KEY_LEFT: f->cursor = prev_char(f, f->cursor); return true;
    case ET_KEY_RIGHT: f->cursor = next_char(f, f->cursor); return true;
    case ET_KEY_HOME: f->cursor = 0; return true;
    case ET_KEY_END: f->cursor = f->len; return true;
    case ET_KEY_BACKSPACE:
        if (f->cursor > 0)
            delete_range(f, prev_char(f, f->cursor), f->cursor);
        return true;
    case ET_KEY_DELETE:
        if (f->cursor < f->len)
            delete_range(f, f->cursor, next_char(f, f->cursor));
        return true;
    case ET_KEY_CTRL_U: delete_range(f, 0, f->cursor); return true;
    case ET_KEY_CTRL_W: {
        int at = f->cursor;
        while (at > 0 && f->text[at - 1] == ' ')
            at--;
        while (at > 0 && f->text[at - 1] != ' ' && f->text[at - 1] != '/')
            at--;
        if (at == f->cursor && at > 0)
            at--; /* a lone '/' */
        delete_range(f, at, f->cursor);
        return true;
    }
    default: break;
    }
    if (key < 0x20 || key == 0x7f || key >= ET_KEY_BASE)
        return false;
    char bytes[4];
    int n = encode(key, bytes);
    if (f->len + n >= (int)sizeof f->text)
        return true; /* full: swallow it */
    memmove(f->text + f->cursor + n, f->text + f->cursor, (size_t)(f->len - f->cursor) + 1);
    memcpy(f->text + f->cursor, bytes, (size_t)n);
    f->len += n;
    f->cursor += n;
    return true;
}

/* Characters (not bytes) in text[0, bytes). */
static int chars_in(const char *text, int bytes) {
    int n = 0;
    for (int i = 0; i < bytes; i++)
        n += !is_cont(text[i]);
    return n;
}

void et_field_draw(const et_field *f, et_canvas *c, int x, int y, int w, bool focused) {
    if (w <= 0)
        return;
    et_canvas_fill(c, (et_rect){x, y, w, 1}, ' ', ET_ROLE_INPUT);
    int cur = chars_in(f->text, f->cursor);
    int first = cur >= w ? cur - w + 1 : 0; /* characters scrolled out on the left */
    const char *p = f->text;
    for (int skip = first; skip > 0 && *p; skip--)
        do
            p++;
        while (*p && is_cont(*p));
    et_canvas_text(c, x, y, w, ET_ROLE_INPUT, p);
    if (focused)
        et_canvas_set_role(c, x + cur - first, y, 1, ET_ROLE_SELECTED);
}

static int cmp_name(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

int et_field_complete_path(et_field *f, et_completion *out) {
    out->n = 0;
    char dir[ET_FIELD_MAX], base[ET_FIELD_MAX];
    const char *slash = strrchr(f->text, '/');
    if (slash) {
        int dlen = (int)(slash - f->text) + 1;
        snprintf(dir, sizeof dir, "%.*s", dlen, f->text);
        snprintf(base, sizeof base, "%s", slash + 1);
    } else {
        snprintf(dir, sizeof dir, "./");
        snprintf(base, sizeof base, "%s", f->text);
    }
    char open_dir[ET_FIELD_MAX + 8];
    if (dir[0] == '~' && dir[1] == '/' && getenv("HOME"))
        snprintf(open_dir, sizeof open_dir, "%s%s", getenv("HOME"), dir + 1);
    else
        snprintf(open_dir, sizeof open_dir, "%s", dir);
    DIR *d = opendir(open_dir);
    if (!d)
        return 0;
    size_t blen = strlen(base);
    char common[ET_FIELD_MAX] = "";
    bool common_set = false, only_is_dir = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_name[0] == '.' && base[0] != '.')
            continue;
        if (strncmp(e->d_name, base, blen) != 0)
            continue;
        char full[2 * ET_FIELD_MAX + 8];
        snprintf(full, sizeof full, "%s%s", open_dir, e->d_name);
        struct stat st;
        bool is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        if (out->n < ET_COMPLETE_MAX)
            snprintf(out->names[out->n], ET_COMPLETE_NAME, "%s%s", e->d_name, is_dir ? "/" : "");
        out->n++;
        only_is_dir = is_dir;
        if (!common_set) {
            snprintf(common, sizeof common, "%s", e->d_name);
            common_set = true;
        } else {
            size_t i = 0;
            while (common[i] && common[i] == e->d_name[i])
                i++;
            common[i] = '\0';
        }
    }
    closedir(d);
    int kept = out->n < ET_COMPLETE_MAX ? out->n : ET_COMPLETE_MAX;
    qsort(out->names, (size_t)kept, sizeof out->names[0], cmp_name);
    if (out->n == 0)
        return 0;
    char text[ET_FIELD_MAX];
    snprintf(text, sizeof text, "%s%s%s", slash ? dir : "", common, out->n == 1 && only_is_dir ? "/" : "");
    et_field_set(f, text);
    return out->n;
}
