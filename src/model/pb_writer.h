/* pb_writer.h: a protobuf wire-format encoder into a growable buffer, enough to write ONNX files (onnx_writer.c).
 *
 * Messages are built bottom-up: encode a sub-message into its own writer, then embed it as a length-delimited
 * field of the parent (et_pbw_msg). Allocation failures are remembered (`failed`) so that building code checks
 * once at the end. */
#ifndef ET_MODEL_PB_WRITER_H
#define ET_MODEL_PB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct et_pbw {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
} et_pbw;

void et_pbw_free(et_pbw *w);
void et_pbw_raw(et_pbw *w, const void *data, size_t len);
void et_pbw_varint(et_pbw *w, uint64_t v);
/* Fields: varint (int32/int64/enum: negative values as 10-byte two's complement, as protobuf does), fixed32
 * float, length-delimited bytes/strings, embedded message, packed repeated int64. */
void et_pbw_uint(et_pbw *w, uint32_t field, uint64_t v);
void et_pbw_int(et_pbw *w, uint32_t field, int64_t v);
void et_pbw_float(et_pbw *w, uint32_t field, float v);
void et_pbw_bytes(et_pbw *w, uint32_t field, const void *data, size_t len);
void et_pbw_str(et_pbw *w, uint32_t field, const char *s);
void et_pbw_msg(et_pbw *w, uint32_t field, const et_pbw *sub);

#endif
