/* samples_codec.h: per-iteration latency samples and power timelines as compact, self-checking blobs.
 *
 * Blob = 24-byte header + LZ4 block. Header (little-endian): magic "ETSB", version 1, codec (1 = LZ4 over
 * byte planes), element type (1 = f64 latency in ms; 2 = power samples: t_ns as i64 then power_mw as f64, stored
 * as two arrays, times delta-encoded; 3 = i32 per evaluation input, top-1 class or correctness 0/1, each held
 * zero-extended in 8 planes, raw bytes 8 per value), a reserved 0, count (u32), raw bytes (u32: the plain little-endian array,
 * what the ratio is measured against), payload bytes (u32: the LZ4 block after the header) and an FNV-1a 32
 * checksum of the raw bytes.
 *
 * Why byte planes: doubles from a clock differ mostly in their low mantissa bytes; putting byte k of every value
 * together (as Blosc's shuffle does) turns the sign/exponent/high-mantissa bytes into long runs LZ4 can find.
 * Latencies that are whole nanoseconds converted to ms (the usual case) are stored as the integers (codecs 2 and
 * 3), which come back as the very same doubles; the checksum is always over the doubles' bits.
 *
 * Decoding checks every field against the blob length and the caller's expected count, decompresses with bounds
 * checks, and verifies the checksum, so a truncated or altered blob is an error, never wrong numbers. */
#ifndef ET_DB_SAMPLES_CODEC_H
#define ET_DB_SAMPLES_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "record/result.h"
#include "util/status.h"

enum {
    ET_SAMPLES_HEADER_BYTES = 24,
    ET_SAMPLES_CODEC_LZ4_PLANES = 1, /* the values' bits in byte planes */
    ET_SAMPLES_CODEC_LZ4_NS_DIV = 2, /* f64 only: whole ns as int64 in byte planes; value = ns / 1e6 */
    ET_SAMPLES_CODEC_LZ4_NS_MUL = 3, /* f64 only: as 2; value = ns * 1e-6 */
};
typedef enum { ET_SAMPLES_F64 = 1, ET_SAMPLES_POWER = 2, ET_SAMPLES_I32 = 3 } et_samples_elem;

typedef struct et_samples_header {
    int version, codec;
    et_samples_elem elem;
    uint32_t count, raw_bytes, payload_bytes, checksum;
} et_samples_header;

/* Name of the codec for the samples.codec column ("lz4-planes", "lz4-planes-ns") and of an element type ("f64", "power"). */
const char *et_samples_codec_name(int codec);
const char *et_samples_elem_name(et_samples_elem e);

/* Encode n values; *blob (free() it) gets *len bytes. ET_E_NOMEM, or ET_E_USAGE when n is too large. */
et_status et_samples_encode_f64(const double *v, int n, unsigned char **blob, size_t *len, et_err *err);
et_status et_samples_encode_power(const et_power_sample *p, int n, unsigned char **blob, size_t *len, et_err *err);
et_status et_samples_encode_i32(const int32_t *v, int n, unsigned char **blob, size_t *len, et_err *err);

/* Reads and checks the header against len. ET_E_INPUT (one line, no prefix) when it does not hold. */
et_status et_samples_peek(const void *blob, size_t len, et_samples_header *h, et_err *err);

/* Decode a blob made by the matching encoder; expect_count (>= 0) must match the header's count. *out (free() it)
 * gets *n values (NULL when 0). ET_E_INPUT with one line (no prefix: the caller names the run) when the blob is
 * truncated, of another type, or fails its checksum. */
et_status et_samples_decode_f64(const void *blob, size_t len, int expect_count, double **out, int *n, et_err *err);
et_status et_samples_decode_power(const void *blob, size_t len, int expect_count, et_power_sample **out, int *n,
                                  et_err *err);
et_status et_samples_decode_i32(const void *blob, size_t len, int expect_count, int32_t **out, int *n, et_err *err);

#endif
