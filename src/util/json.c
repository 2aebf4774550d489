/* json.c: streaming JSON writer. */
#include "util/json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

void et_json_init(et_json *j, FILE *out, bool pretty) {
    j->out = out;
    j->pretty = pretty;
    j->depth = 0;
    j->has_items[0] = false;
}

static void indent(et_json *j) {
    if (!j->pretty)
        return;
    fputc('\n', j->out);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->out);
}

/* Writes the separator and the key (if any) before a value. */
static void prefix(et_json *j, const char *key) {
    if (j->depth > 0) {
        if (j->has_items[j->depth])
            fputc(',', j->out);
        indent(j);
    }
    j->has_items[j->depth] = true;
    if (key) {
        et_json_write_escaped(j->out, key);
        fputs(j->pretty ? ": " : ":", j->out);
    }
}

static void open_scope(et_json *j, const char *key, char c) {
    prefix(j, key);
    fputc(c, j->out);
    assert(j->depth + 1 < ET_JSON_MAX_DEPTH);
    j->depth++;
    j->has_items[j->depth] = false;
}

static void close_scope(et_json *j, char c) {
    assert(j->depth > 0);
    bool had = j->has_items[j->depth];
    j->depth--;
    if (had)
        indent(j);
    fputc(c, j->out);
}

void et_json_begin_object(et_json *j, const char *key) { open_scope(j, key, '{'); }
void et_json_end_object(et_json *j) { close_scope(j, '}'); }
void et_json_begin_array(et_json *j, const char *key) { open_scope(j, key, '['); }
void et_json_end_array(et_json *j) { close_scope(j, ']'); }

void et_json_write_escaped(FILE *out, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', out), fputc(c, out), p++;
        } else if (c == '\n') {
            fputs("\\n", out), p++;
        } else if (c == '\t') {
            fputs("\\t", out), p++;
        } else if (c == '\r') {
            fputs("\\r", out), p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c), p++;
        } else if (c < 0x80) {
            fputc(c, out), p++;
        } else {
            /* validate one UTF-8 sequence */
            int len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
            bool ok = len > 0;
            for (int i = 1; ok && i < len; i++)
                ok = (p[i] & 0xc0) == 0x80;
            if (ok) {
                fwrite(p, 1, (size_t)len, out);
                p += len;
            } else {
                fputs("\xef\xbf\xbd", out);
                p++;
            }
        }
    }
    fputc('"', out);
}

void et_json_string(et_json *j, const char *key, const char *value) {
    prefix(j, key);
    if (value)
        et_json_write_escaped(j->out, value);
    else
        fputs("null", j->out);
}

void et_json_number(et_json *j, const char *key, double value) {
    prefix(j, key);
    if (isfinite(value)) {
        /* shortest of %.15g / %.17g that reads back as the same double */
        char buf[40];
        snprintf(buf, sizeof buf, "%.15g", value);
        if (strtod(buf, NULL) != value)
            snprintf(buf, sizeof buf, "%.17g", value);
        fputs(buf, j->out);
    } else
        fputs("null", j->out);
}

void et_json_int(et_json *j, const char *key, int64_t value) {
    prefix(j, key);
    fprintf(j->out, "%" PRId64, value);
}

void et_json_bool(et_json *j, const char *key, bool value) {
    prefix(j, key);
    fputs(value ? "true" : "false", j->out);
}

void et_json_null(et_json *j, const char *key) {
    prefix(j, key);
    fputs("null", j->out);
}

void et_json_finish(et_json *j) {
    assert(j->depth == 0);
    fputc('\n', j->out);
    fflush(j->out);
}
