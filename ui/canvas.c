/* canvas.c: the text grid views draw into (see canvas.h). */
#include "ui/canvas.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static const char *const role_names[] = {
#define ET_X(e, s) s,
    ET_ROLE_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof role_names / sizeof role_names[0] == ET_ROLE_COUNT, "role names");

static const char *const glyph_utf8[] = {
#define ET_X(e, u, a) u,
    ET_GLYPH_LIST(ET_X)
#undef ET_X
};
static const char *const glyph_ascii[] = {
#define ET_X(e, u, a) a,
    ET_GLYPH_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof glyph_utf8 / sizeof glyph_utf8[0] == ET_G_COUNT, "glyphs");

const char *et_role_name(et_role r) { return (unsigned)r < ET_ROLE_COUNT ? role_names[r] : "?"; }

bool et_canvas_init(et_canvas *c, int w, int h, bool ascii) {
    c->w = c->h = 0;
    c->ascii = ascii;
    c->cells = NULL;
    return et_canvas_resize(c, w, h);
}

void et_canvas_free(et_canvas *c) {
    free(c->cells);
    c->cells = NULL;
    c->w = c->h = 0;
}

bool et_canvas_resize(et_canvas *c, int w, int h) {
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    et_cell *cells = malloc((size_t)w * (size_t)h * sizeof *cells);
    if (!cells)
        return false;
    free(c->cells);
    c->cells = cells;
    c->w = w;
    c->h = h;
    et_canvas_clear(c);
    return true;
}

void et_canvas_clear(et_canvas *c) {
    for (int i = 0; i < c->w * c->h; i++)
        c->cells[i] = (et_cell){' ', ET_ROLE_NORMAL};
}

const et_cell *et_canvas_at(const et_canvas *c, int x, int y) {
    return x >= 0 && y >= 0 && x < c->w && y < c->h ? &c->cells[y * c->w + x] : NULL;
}

void et_canvas_put(et_canvas *c, int x, int y, uint32_t cp, et_role role) {
    if (x >= 0 && y >= 0 && x < c->w && y < c->h)
        c->cells[y * c->w + x] = (et_cell){cp, (uint8_t)role};
}

/* Next code point of UTF-8 text; invalid sequences give U+FFFD and advance one byte. */
static uint32_t next_cp(const unsigned char **p) {
    const unsigned char *s = *p;
    uint32_t cp;
    int n;
    if (s[0] < 0x80)
        cp = s[0], n = 1;
    else if ((s[0] & 0xe0) == 0xc0)
        cp = s[0] & 0x1f, n = 2;
    else if ((s[0] & 0xf0) == 0xe0)
        cp = s[0] & 0x0f, n = 3;
    else if ((s[0] & 0xf8) == 0xf0)
        cp = s[0] & 0x07, n = 4;
    else {
        *p = s + 1;
        return 0xfffd;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *p = s + 1;
            return 0xfffd;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *p = s + n;
    return cp;
}

/* What a code point becomes on this canvas: itself when it is a printable one-column character. */
static uint32_t shown_cp(const et_canvas *c, uint32_t cp) {
    if (cp < 0x20 || cp == 0x7f)
        return '?';
    if (cp < 0x80)
        return cp;
    if (c->ascii || cp == 0xfffd)
        return '?';
    return wcwidth((wchar_t)cp) == 1 ? cp : '?';
}

int et_text_width(const char *text) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        next_cp(&p);
        n++;
    }
    return n;
}

int et_canvas_text(et_canvas *c, int x, int y, int max_w, et_role role, const char *text) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n < max_w && x + n < c->w;) {
        uint32_t cp = next_cp(&p);
        et_canvas_put(c, x + n, y, shown_cp(c, cp), role);
        n++;
    }
    return n;
}

int et_canvas_text_fit(et_canvas *c, int x, int y, int max_w, et_role role, const char *text) {
    if (max_w <= 0)
        return 0;
    if (et_text_width(text) <= max_w)
        return et_canvas_text(c, x, y, max_w, role, text);
    int n = et_canvas_text(c, x, y, max_w - 1, role, text);
    et_canvas_glyph(c, x + n, y, ET_G_ELLIPSIS, role);
    return n + 1;
}

int et_canvas_text_right(et_canvas *c, int x, int y, int w, et_role role, const char *text) {
    int tw = et_text_width(text);
    int start = tw >= w ? x : x + w - tw;
    et_canvas_text_fit(c, start, y, w, role, text);
    return start;
}

int et_canvas_printf(et_canvas *c, int x, int y, int max_w, et_role role, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return et_canvas_text(c, x, y, max_w, role, buf);
}

const char *et_canvas_glyph_text(const et_canvas *c, et_glyph g) {
    if ((unsigned)g >= ET_G_COUNT)
        return "?";
    return c->ascii ? glyph_ascii[g] : glyph_utf8[g];
}

void et_canvas_glyph(et_canvas *c, int x, int y, et_glyph g, et_role role) {
    const char *t = et_canvas_glyph_text(c, g);
    const unsigned char *p = (const unsigned char *)t;
    et_canvas_put(c, x, y, *p ? next_cp(&p) : ' ', role);
}

void et_canvas_fill(et_canvas *c, et_rect r, uint32_t cp, et_role role) {
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            et_canvas_put(c, x, y, cp, role);
}

void et_canvas_set_role(et_canvas *c, int x, int y, int w, et_role role) {
    for (int i = 0; i < w; i++)
        if (x + i >= 0 && x + i < c->w && y >= 0 && y < c->h)
            c->cells[y * c->w + x + i].role = (uint8_t)role;
}

void et_canvas_box(et_canvas *c, et_rect r, et_role border, const char *title, et_role title_role) {
    if (r.w < 2 || r.h < 2)
        return;
    for (int x = r.x + 1; x < r.x + r.w - 1; x++) {
        et_canvas_glyph(c, x, r.y, ET_G_HLINE, border);
        et_canvas_glyph(c, x, r.y + r.h - 1, ET_G_HLINE, border);
    }
    for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
        et_canvas_glyph(c, r.x, y, ET_G_VLINE, border);
        et_canvas_glyph(c, r.x + r.w - 1, y, ET_G_VLINE, border);
    }
    et_canvas_glyph(c, r.x, r.y, ET_G_TL, border);
    et_canvas_glyph(c, r.x + r.w - 1, r.y, ET_G_TR, border);
    et_canvas_glyph(c, r.x, r.y + r.h - 1, ET_G_BL, border);
    et_canvas_glyph(c, r.x + r.w - 1, r.y + r.h - 1, ET_G_BR, border);
    if (title && *title && r.w > 4) {
        et_canvas_put(c, r.x + 1, r.y, ' ', title_role);
        int n = et_canvas_text_fit(c, r.x + 2, r.y, r.w - 4, title_role, title);
        et_canvas_put(c, r.x + 2 + n, r.y, ' ', title_role);
    }
}

static void put_utf8(uint32_t cp, char *out, int *len) {
    if (cp < 0x80) {
        out[(*len)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*len)++] = (char)(0xc0 | (cp >> 6));
        out[(*len)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*len)++] = (char)(0xe0 | (cp >> 12));
        out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*len)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*len)++] = (char)(0xf0 | (cp >> 18));
        out[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*len)++] = (char)(0x80 | (cp & 0x3f));
    }
}

/* Row y as UTF-8 without trailing blanks into out (at least 4 * w + 1 bytes); returns its length. */
static int row_text(const et_canvas *c, int y, char *out) {
    int len = 0, keep = 0;
    for (int x = 0; x < c->w; x++) {
        put_utf8(c->cells[y * c->w + x].cp, out, &len);
        if (c->cells[y * c->w + x].cp != ' ')
            keep = len;
    }
    out[keep] = '\0';
    return keep;
}

bool et_canvas_write_text(const et_canvas *c, FILE *out) {
    char *line = malloc((size_t)c->w * 4 + 1);
    if (!line)
        return false;
    bool ok = true;
    for (int y = 0; y < c->h && ok; y++) {
        row_text(c, y, line);
        ok = fputs(line, out) >= 0 && fputc('\n', out) != EOF;
    }
    free(line);
    return ok;
}

char *et_canvas_to_string(const et_canvas *c) {
    size_t cap = (size_t)c->h * ((size_t)c->w * 4 + 1) + 1;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t len = 0;
    for (int y = 0; y < c->h; y++) {
        len += (size_t)row_text(c, y, s + len);
        s[len++] = '\n';
    }
    s[len] = '\0';
    return s;
}
