/* json.h: a streaming JSON writer (RFC 8259) onto a FILE. Keys are given with each value; pass key = NULL inside
 * arrays and for the top-level value. Non-finite numbers are written as null (JSON has no NaN/inf). Strings are
 * escaped; invalid UTF-8 bytes are replaced by U+FFFD so the output always parses. */
#ifndef ET_UTIL_JSON_H
#define ET_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { ET_JSON_MAX_DEPTH = 32 };

typedef struct et_json {
    FILE *out;
    bool pretty;
    int depth;
    bool has_items[ET_JSON_MAX_DEPTH];
} et_json;

void et_json_init(et_json *j, FILE *out, bool pretty);
void et_json_begin_object(et_json *j, const char *key);
void et_json_end_object(et_json *j);
void et_json_begin_array(et_json *j, const char *key);
void et_json_end_array(et_json *j);
void et_json_string(et_json *j, const char *key, const char *value); /* NULL value -> null */
void et_json_number(et_json *j, const char *key, double value);
void et_json_int(et_json *j, const char *key, int64_t value);
void et_json_bool(et_json *j, const char *key, bool value);
void et_json_null(et_json *j, const char *key);
/* Ends the document with a newline. */
void et_json_finish(et_json *j);

/* Writes s as a JSON string literal (with quotes) to out. */
void et_json_write_escaped(FILE *out, const char *s);

#endif
