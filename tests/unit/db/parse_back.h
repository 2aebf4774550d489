/* parse_back.h: small, strict readers used only by tests to read exported tables back: an RFC 4180 CSV reader, a
 * JSON parser (RFC 8259 values into a tree), and an XML well-formedness checker for the HTML export. They reject
 * what the specifications reject, so an export that parses here is valid, not just plausible. */
#ifndef ET_TEST_PARSE_BACK_H
#define ET_TEST_PARSE_BACK_H

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- CSV (RFC 4180): fields[r][c]; returns false on a syntax error. CRLF required between records. ---- */
typedef struct csv_doc {
    int n_rows, n_cols[512];
    char *cell[512][64];
} csv_doc;

static inline bool csv_parse(const char *s, csv_doc *d) {
    memset(d, 0, sizeof *d);
    char buf[4096];
    int r = 0, c = 0;
    const char *p = s;
    while (*p) {
        size_t n = 0;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p)
                    return false; /* unterminated quote */
                if (*p == '"') {
                    if (p[1] == '"') {
                        buf[n++] = '"', p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                buf[n++] = *p++;
            }
            if (*p != ',' && !(p[0] == '\r' && p[1] == '\n') && *p)
                return false; /* text after a closing quote */
        } else {
            while (*p && *p != ',' && *p != '\r' && *p != '\n') {
                if (*p == '"')
                    return false; /* a quote inside an unquoted field */
                buf[n++] = *p++;
            }
            if (*p == '\n')
                return false; /* bare LF */
        }
        buf[n] = '\0';
        if (r >= 512 || c >= 64)
            return false;
        d->cell[r][c++] = strdup(buf);
        if (*p == ',') {
            p++;
        } else if (p[0] == '\r' && p[1] == '\n') {
            p += 2;
            d->n_cols[r++] = c, c = 0;
        } else if (*p == '\r') {
            return false;
        }
    }
    if (c > 0)
        d->n_cols[r++] = c;
    d->n_rows = r;
    return true;
}

static inline void csv_free(csv_doc *d) {
    for (int r = 0; r < 512; r++)
        for (int c = 0; c < 64; c++)
            free(d->cell[r][c]);
}

/* ---- JSON ---- */
typedef enum { JS_NULL, JS_BOOL, JS_NUM, JS_STR, JS_ARR, JS_OBJ } js_type;
typedef struct js {
    js_type type;
    double num;
    bool b;
    char *str;
    int n;
    struct js *items; /* array items or object values */
    char **keys;      /* object keys */
} js;

typedef struct js_parser {
    const char *p;
    bool ok;
} js_parser;

static inline void js_ws(js_parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static inline char *js_string(js_parser *ps) {
    if (*ps->p != '"') {
        ps->ok = false;
        return NULL;
    }
    ps->p++;
    char *out = malloc(strlen(ps->p) + 1);
    size_t n = 0;
    while (*ps->p && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            ps->ok = false;
            break;
        }
        if (c == '\\') {
            ps->p++;
            switch (*ps->p) {
            case '"': out[n++] = '"'; break;
            case '\\': out[n++] = '\\'; break;
            case '/': out[n++] = '/'; break;
            case 'b': out[n++] = '\b'; break;
            case 'f': out[n++] = '\f'; break;
            case 'n': out[n++] = '\n'; break;
            case 'r': out[n++] = '\r'; break;
            case 't': out[n++] = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 1; i <= 4; i++) {
                    if (!isxdigit((unsigned char)ps->p[i])) {
                        ps->ok = false;
                        break;
                    }
                    v = v * 16 + (unsigned)(isdigit((unsigned char)ps->p[i])
                                                ? ps->p[i] - '0'
                                                : tolower((unsigned char)ps->p[i]) - 'a' + 10);
                }
                out[n++] = v < 0x80 ? (char)v : '?';
                ps->p += 4;
                break;
            }
            default: ps->ok = false;
            }
            ps->p++;
        } else {
            out[n++] = *ps->p++;
        }
    }
    if (*ps->p != '"')
        ps->ok = false;
    else
        ps->p++;
    out[n] = '\0';
    return out;
}

static inline void js_value(js_parser *ps, js *v, int depth) {
    memset(v, 0, sizeof *v);
    js_ws(ps);
    if (depth > 64) {
        ps->ok = false;
        return;
    }
    char c = *ps->p;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        v->type = obj ? JS_OBJ : JS_ARR;
        ps->p++;
        js_ws(ps);
        if (*ps->p == (obj ? '}' : ']')) {
            ps->p++;
            return;
        }
        for (;;) {
            v->items = realloc(v->items, (size_t)(v->n + 1) * sizeof *v->items);
            if (obj) {
                v->keys = realloc(v->keys, (size_t)(v->n + 1) * sizeof *v->keys);
                js_ws(ps);
                v->keys[v->n] = js_string(ps);
                js_ws(ps);
                if (*ps->p != ':') {
                    ps->ok = false;
                    v->n++;
                    memset(&v->items[v->n - 1], 0, sizeof(js));
                    return;
                }
                ps->p++;
            }
            js_value(ps, &v->items[v->n++], depth + 1);
            js_ws(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p == (obj ? '}' : ']')) {
                ps->p++;
                return;
            }
            ps->ok = false;
            return;
        }
    }
    if (c == '"') {
        v->type = JS_STR;
        v->str = js_string(ps);
        return;
    }
    if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
        v->type = JS_BOOL;
        v->b = c == 't';
        ps->p += v->b ? 4 : 5;
        return;
    }
    if (!strncmp(ps->p, "null", 4)) {
        v->type = JS_NULL;
        ps->p += 4;
        return;
    }
    /* number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    const char *start = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (*ps->p == '0')
        ps->p++;
    else if (isdigit((unsigned char)*ps->p))
        while (isdigit((unsigned char)*ps->p))
            ps->p++;
    else {
        ps->ok = false;
        return;
    }
    if (*ps->p == '.') {
        ps->p++;
        if (!isdigit((unsigned char)*ps->p))
            ps->ok = false;
        while (isdigit((unsigned char)*ps->p))
            ps->p++;
    }
    if (*ps->p == 'e' || *ps->p == 'E') {
        ps->p++;
        if (*ps->p == '+' || *ps->p == '-')
            ps->p++;
        if (!isdigit((unsigned char)*ps->p))
            ps->ok = false;
        while (isdigit((unsigned char)*ps->p))
            ps->p++;
    }
    v->type = JS_NUM;
    v->num = strtod(start, NULL);
}

/* Parses a whole document; false when it is not exactly one JSON value. */
static inline bool js_parse(const char *s, js *out) {
    js_parser ps = {s, true};
    js_value(&ps, out, 0);
    js_ws(&ps);
    return ps.ok && *ps.p == '\0';
}

static inline const js *js_get(const js *o, const char *key) {
    for (int i = 0; o && o->type == JS_OBJ && i < o->n; i++)
        if (o->keys[i] && strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

static inline void js_free(js *v) {
    for (int i = 0; i < v->n; i++) {
        js_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items), free(v->keys), free(v->str);
}

/* ---- XML well-formedness (for the HTML export): balanced tags, quoted attributes, known entities, no stray
 * '<' or '&'. Returns NULL when well-formed, else a static description. Collects text of elements named
 * `collect` (e.g. "td") into texts[] (entities decoded). ---- */
static inline const char *xml_check(const char *s, const char *collect, char texts[][256], int *n_texts, int max) {
    const char *stack[64];
    size_t stack_len[64];
    int depth = 0, roots = 0;
    bool in_collect = false;
    char cur[256];
    size_t cur_n = 0;
    *n_texts = 0;
    const char *p = s;
    while (*p) {
        if (*p == '<') {
            if (!strncmp(p, "<!DOCTYPE", 9)) {
                p = strchr(p, '>');
                if (!p)
                    return "unterminated doctype";
                p++;
                continue;
            }
            if (!strncmp(p, "<!--", 4)) {
                p = strstr(p, "-->");
                if (!p)
                    return "unterminated comment";
                p += 3;
                continue;
            }
            bool closing = p[1] == '/';
            const char *name = p + 1 + closing;
            size_t len = 0;
            while (isalnum((unsigned char)name[len]))
                len++;
            if (len == 0)
                return "bad tag name";
            const char *q = name + len;
            /* attributes */
            for (;;) {
                while (*q == ' ' || *q == '\n')
                    q++;
                if (*q == '>' || (q[0] == '/' && q[1] == '>'))
                    break;
                if (closing)
                    return "attribute in closing tag";
                const char *an = q;
                while (isalnum((unsigned char)*q) || *q == '-')
                    q++;
                if (q == an || *q != '=' || q[1] != '"')
                    return "attribute without a quoted value";
                q = strchr(q + 2, '"');
                if (!q)
                    return "unterminated attribute";
                for (const char *a = an; a < q; a++)
                    if (*a == '<')
                        return "'<' in attribute";
                q++;
            }
            bool self = *q == '/';
            if (closing) {
                if (depth == 0 || stack_len[depth - 1] != len || strncmp(stack[depth - 1], name, len) != 0)
                    return "mismatched closing tag";
                depth--;
                if (in_collect && strlen(collect) == len && !strncmp(name, collect, len)) {
                    cur[cur_n] = '\0';
                    if (*n_texts < max)
                        memcpy(texts[(*n_texts)++], cur, cur_n + 1);
                    in_collect = false;
                }
            } else if (!self) {
                if (depth == 0)
                    roots++;
                if (depth >= 64)
                    return "too deep";
                stack[depth] = name, stack_len[depth] = len, depth++;
                if (strlen(collect) == len && !strncmp(name, collect, len))
                    in_collect = true, cur_n = 0;
            }
            p = q + (self ? 2 : 1);
            continue;
        }
        char c = *p;
        if (c == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
            static const char decoded[] = {'&', '<', '>', '"', '\''};
            size_t k = 0;
            while (k < 5 && strncmp(p, ents[k], strlen(ents[k])) != 0)
                k++;
            if (k == 5)
                return "unknown or bare entity";
            c = decoded[k];
            p += strlen(ents[k]);
        } else {
            if (c == '>')
                return "bare '>'";
            p++;
        }
        if (in_collect && cur_n < sizeof cur - 1)
            cur[cur_n++] = c;
    }
    if (depth != 0)
        return "unclosed element";
    if (roots != 1)
        return "not exactly one root element";
    return NULL;
}

#endif
