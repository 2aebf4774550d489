/* pb.h: a bounds-checked reader for the protobuf wire format, enough for ONNX files.
 *
 * A reader walks the fields of one message held in [p, end). Nothing is copied: length-delimited fields point
 * into the caller's buffer (the mapped model file). Every length, varint and offset is checked against `end`;
 * errors name the byte offset from `base` (the start of the file) so a user can see where a file is damaged. */
#ifndef ET_MODEL_PB_H
#define ET_MODEL_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

enum { ET_PB_VARINT = 0, ET_PB_I64 = 1, ET_PB_LEN = 2, ET_PB_I32 = 5 };

typedef struct et_pb {
    const uint8_t *base; /* start of the file, for error offsets */
    const uint8_t *p, *end;
    const char *what; /* the file name, for error messages */
} et_pb;

typedef struct et_pb_field {
    uint32_t num;
    int wire;
    uint64_t u64;        /* VARINT, I64, I32 payloads */
    const uint8_t *data; /* LEN payload */
    size_t len;
    size_t offset; /* byte offset of the field's key from base */
} et_pb_field;

/* A reader over the sub-message held by a LEN field. */
static inline et_pb et_pb_sub(const et_pb *parent, const et_pb_field *f) {
    et_pb r = {parent->base, f->data, f->data + f->len, parent->what};
    return r;
}

/* Reads the next field. Returns 1 with *f filled, 0 at the end of the message, -1 on malformed input
 * (err filled with the byte offset: truncated varint or length past the end, deprecated groups, bad wire type). */
int et_pb_next(et_pb *r, et_pb_field *f, et_err *err);

/* Decodes one varint at *pp and advances it; false when it runs past end or exceeds 10 bytes. */
bool et_pb_read_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out);

/* Packed repeated scalars in a LEN field, or a single unpacked element: callers use these through
 * et_pb_count_* then et_pb_read_*. Varint arrays return -1 on a malformed varint. */
int64_t et_pb_count_varints(const uint8_t *p, size_t len);
/* Decodes up to n varints from a packed run into out (as int64 two's complement). Returns the count. */
int64_t et_pb_read_varints(const uint8_t *p, size_t len, int64_t *out, int64_t n);

#endif
