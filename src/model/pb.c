/* pb.c: protobuf wire-format field reader. */
#include "model/pb.h"

bool et_pb_read_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return false;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return true;
        }
        if (shift == 63)
            return false;
    }
    return false;
}

int et_pb_next(et_pb *r, et_pb_field *f, et_err *err) {
    if (r->p >= r->end)
        return 0;
    size_t off = (size_t)(r->p - r->base);
    uint64_t key;
    if (!et_pb_read_varint(&r->p, r->end, &key)) {
        et_fail(err, ET_E_INPUT, "%s: byte %zu: truncated field key; the file is damaged or not an ONNX model", r->what,
                off);
        return -1;
    }
    f->num = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    f->offset = off;
    f->data = NULL;
    f->len = 0;
    f->u64 = 0;
    if (f->num == 0 || key >> 32) {
        et_fail(err, ET_E_INPUT, "%s: byte %zu: invalid field number; the file is damaged or not an ONNX model",
                r->what, off);
        return -1;
    }
    switch (f->wire) {
    case ET_PB_VARINT:
        if (!et_pb_read_varint(&r->p, r->end, &f->u64)) {
            et_fail(err, ET_E_INPUT, "%s: byte %zu: truncated number; the file is damaged", r->what, off);
            return -1;
        }
        return 1;
    case ET_PB_I64:
    case ET_PB_I32: {
        size_t n = f->wire == ET_PB_I64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n) {
            et_fail(err, ET_E_INPUT, "%s: byte %zu: truncated %zu-byte value; the file is damaged", r->what, off, n);
            return -1;
        }
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v |= (uint64_t)r->p[i] << (8 * i);
        f->u64 = v;
        r->p += n;
        return 1;
    }
    case ET_PB_LEN: {
        uint64_t len;
        if (!et_pb_read_varint(&r->p, r->end, &len)) {
            et_fail(err, ET_E_INPUT, "%s: byte %zu: truncated length; the file is damaged", r->what, off);
            return -1;
        }
        if (len > (uint64_t)(r->end - r->p)) {
            et_fail(err, ET_E_INPUT,
                    "%s: byte %zu: field %u claims %llu bytes but only %zu remain; the file is truncated or damaged",
                    r->what, off, f->num, (unsigned long long)len, (size_t)(r->end - r->p));
            return -1;
        }
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return 1;
    }
    default:
        et_fail(err, ET_E_INPUT, "%s: byte %zu: unsupported wire type %d; the file is damaged or not an ONNX model",
                r->what, off, f->wire);
        return -1;
    }
}

int64_t et_pb_count_varints(const uint8_t *p, size_t len) {
    const uint8_t *end = p + len;
    int64_t n = 0;
    uint64_t v;
    while (p < end) {
        if (!et_pb_read_varint(&p, end, &v))
            return -1;
        n++;
    }
    return n;
}

int64_t et_pb_read_varints(const uint8_t *p, size_t len, int64_t *out, int64_t n) {
    const uint8_t *end = p + len;
    int64_t i = 0;
    uint64_t v;
    while (p < end && i < n && et_pb_read_varint(&p, end, &v))
        out[i++] = (int64_t)v;
    return i;
}
