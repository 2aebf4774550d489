/* pb_writer.c: protobuf encoding (see pb_writer.h). */
#include "model/pb_writer.h"

#include <stdlib.h>
#include <string.h>

void et_pbw_free(et_pbw *w) {
    free(w->buf);
    memset(w, 0, sizeof *w);
}

static bool reserve(et_pbw *w, size_t extra) {
    if (w->failed)
        return false;
    if (w->len + extra <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + extra) {
        if (cap > SIZE_MAX / 2) {
            w->failed = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *b = realloc(w->buf, cap);
    if (!b) {
        w->failed = true;
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

void et_pbw_raw(et_pbw *w, const void *data, size_t len) {
    if (len && reserve(w, len)) {
        memcpy(w->buf + w->len, data, len);
        w->len += len;
    }
}

void et_pbw_varint(et_pbw *w, uint64_t v) {
    uint8_t b[10];
    size_t n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    et_pbw_raw(w, b, n);
}

static void key(et_pbw *w, uint32_t field, int wire) { et_pbw_varint(w, ((uint64_t)field << 3) | (uint64_t)wire); }

void et_pbw_uint(et_pbw *w, uint32_t field, uint64_t v) {
    key(w, field, 0);
    et_pbw_varint(w, v);
}

void et_pbw_int(et_pbw *w, uint32_t field, int64_t v) { et_pbw_uint(w, field, (uint64_t)v); }

void et_pbw_float(et_pbw *w, uint32_t field, float v) {
    key(w, field, 5);
    uint32_t u;
    memcpy(&u, &v, 4);
    uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    et_pbw_raw(w, b, 4);
}

void et_pbw_bytes(et_pbw *w, uint32_t field, const void *data, size_t len) {
    key(w, field, 2);
    et_pbw_varint(w, len);
    et_pbw_raw(w, data, len);
}

void et_pbw_str(et_pbw *w, uint32_t field, const char *s) { et_pbw_bytes(w, field, s, strlen(s)); }

void et_pbw_msg(et_pbw *w, uint32_t field, const et_pbw *sub) {
    if (sub->failed)
        w->failed = true;
    et_pbw_bytes(w, field, sub->buf, sub->len);
}
