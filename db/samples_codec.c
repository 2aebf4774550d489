/* samples_codec.c: encoder and checked decoder of sample blobs (format in samples_codec.h). */
#include "db/samples_codec.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

enum { VERSION = 1, MAX_VALUES = 1 << 26 }; /* 2^26 eight-byte values: 512 MiB raw, far beyond any run */

const char *et_samples_codec_name(int codec) {
    switch (codec) {
    case ET_SAMPLES_CODEC_LZ4_PLANES: return "lz4-planes";
    case ET_SAMPLES_CODEC_LZ4_NS_DIV: return "lz4-planes-ns";
    case ET_SAMPLES_CODEC_LZ4_NS_MUL: return "lz4-planes-ns*";
    default: return "?";
    }
}
const char *et_samples_elem_name(et_samples_elem e) {
    return e == ET_SAMPLES_F64 ? "f64" : e == ET_SAMPLES_POWER ? "power" : e == ET_SAMPLES_I32 ? "i32" : "?";
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}
static double double_of(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* FNV-1a over the little-endian bytes of m values. */
static uint32_t checksum(const uint64_t *u, size_t m) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < m; i++)
        for (int k = 0; k < 8; k++)
            h = (h ^ (uint8_t)(u[i] >> (8 * k))) * 16777619u;
    return h;
}

/* values (m of them, already transformed) -> header + LZ4(byte planes). raw_sum is the checksum of the plain
 * values, taken by the caller before any transform. */
static et_status encode(const uint64_t *u, size_t m, int codec, et_samples_elem elem, uint32_t count, uint32_t raw_sum,
                        unsigned char **blob, size_t *len, et_err *err) {
    *blob = NULL, *len = 0;
    size_t raw = m * 8;
    unsigned char *planes = malloc(raw ? raw : 1);
    int bound = LZ4_compressBound((int)raw);
    unsigned char *out = malloc((size_t)ET_SAMPLES_HEADER_BYTES + (size_t)bound);
    if (!planes || !out) {
        free(planes), free(out);
        return et_fail(err, ET_E_NOMEM, "out of memory encoding %zu samples", m);
    }
    for (int k = 0; k < 8; k++)
        for (size_t i = 0; i < m; i++)
            planes[(size_t)k * m + i] = (unsigned char)(u[i] >> (8 * k));
    int payload = raw ? LZ4_compress_default((const char *)planes, (char *)out + ET_SAMPLES_HEADER_BYTES, (int)raw,
                                             bound)
                      : 0;
    free(planes);
    if (raw && payload <= 0) {
        free(out);
        return et_fail(err, ET_E_RUNTIME, "LZ4 could not compress %zu samples", m);
    }
    memcpy(out, "ETSB", 4);
    out[4] = VERSION, out[5] = (unsigned char)codec, out[6] = (unsigned char)elem, out[7] = 0;
    put_u32(out + 8, count);
    put_u32(out + 12, (uint32_t)raw);
    put_u32(out + 16, (uint32_t)payload);
    put_u32(out + 20, raw_sum);
    *blob = out;
    *len = (size_t)ET_SAMPLES_HEADER_BYTES + (size_t)payload;
    return ET_OK;
}

static double ns_to_ms(int codec, int64_t ns) {
    return codec == ET_SAMPLES_CODEC_LZ4_NS_DIV ? (double)ns / 1e6 : (double)ns * 1e-6;
}

/* Latencies usually are whole nanoseconds from CLOCK_MONOTONIC converted to ms, by ns / 1e6 or by ns * 1e-6.
 * When every value is exactly that, the integers are stored instead: the same doubles come back bit for bit,
 * and integers of a few significant bytes compress far better than mantissas. Otherwise: the double bits. */
static int ns_codec(const double *v, int n) {
    static const int codecs[] = {ET_SAMPLES_CODEC_LZ4_NS_DIV, ET_SAMPLES_CODEC_LZ4_NS_MUL};
    for (size_t c = 0; c < sizeof codecs / sizeof codecs[0]; c++) {
        bool exact = n > 0;
        for (int i = 0; exact && i < n; i++) {
            double ns = v[i] * 1e6;
            exact = isfinite(v[i]) && fabs(ns) < 9e15 && bits_of(ns_to_ms(codecs[c], llround(ns))) == bits_of(v[i]);
        }
        if (exact)
            return codecs[c];
    }
    return ET_SAMPLES_CODEC_LZ4_PLANES;
}

et_status et_samples_encode_f64(const double *v, int n, unsigned char **blob, size_t *len, et_err *err) {
    if (n < 0 || n > MAX_VALUES)
        return et_fail(err, ET_E_USAGE, "%d latency samples: at most %d can be stored", n, MAX_VALUES);
    uint64_t *u = calloc((size_t)n ? (size_t)n : 1, sizeof *u);
    if (!u)
        return et_fail(err, ET_E_NOMEM, "out of memory encoding %d samples", n);
    for (int i = 0; i < n; i++)
        u[i] = bits_of(v[i]);
    uint32_t sum = checksum(u, (size_t)n);
    int codec = ns_codec(v, n);
    for (int i = 0; codec != ET_SAMPLES_CODEC_LZ4_PLANES && i < n; i++)
        u[i] = (uint64_t)llround(v[i] * 1e6);
    et_status s = encode(u, (size_t)n, codec, ET_SAMPLES_F64, (uint32_t)n, sum, blob, len, err);
    free(u);
    return s;
}

et_status et_samples_encode_power(const et_power_sample *p, int n, unsigned char **blob, size_t *len, et_err *err) {
    if (n < 0 || n > MAX_VALUES / 2)
        return et_fail(err, ET_E_USAGE, "%d power samples: at most %d can be stored", n, MAX_VALUES / 2);
    size_t m = (size_t)n * 2;
    uint64_t *u = calloc(m ? m : 1, sizeof *u);
    if (!u)
        return et_fail(err, ET_E_NOMEM, "out of memory encoding %d power samples", n);
    for (int i = 0; i < n; i++) {
        u[i] = (uint64_t)p[i].t_ns;
        u[(size_t)n + (size_t)i] = bits_of(p[i].power_mw);
    }
    uint32_t sum = checksum(u, m);
    for (int i = n - 1; i > 0; i--) /* times are regular: their differences repeat */
        u[i] -= u[i - 1];
    et_status s = encode(u, m, ET_SAMPLES_CODEC_LZ4_PLANES, ET_SAMPLES_POWER, (uint32_t)n, sum, blob, len, err);
    free(u);
    return s;
}

et_status et_samples_encode_i32(const int32_t *v, int n, unsigned char **blob, size_t *len, et_err *err) {
    if (n < 0 || n > MAX_VALUES)
        return et_fail(err, ET_E_USAGE, "%d per-input values: at most %d can be stored", n, MAX_VALUES);
    uint64_t *u = calloc((size_t)n ? (size_t)n : 1, sizeof *u);
    if (!u)
        return et_fail(err, ET_E_NOMEM, "out of memory encoding %d per-input values", n);
    for (int i = 0; i < n; i++) /* zero-extended: the four high planes are zeros that LZ4 folds away */
        u[i] = (uint64_t)(uint32_t)v[i];
    et_status s = encode(u, (size_t)n, ET_SAMPLES_CODEC_LZ4_PLANES, ET_SAMPLES_I32, (uint32_t)n, checksum(u, (size_t)n),
                         blob, len, err);
    free(u);
    return s;
}

et_status et_samples_peek(const void *blob, size_t len, et_samples_header *h, et_err *err) {
    const unsigned char *b = blob;
    if (!b || len < ET_SAMPLES_HEADER_BYTES)
        return et_fail(err, ET_E_INPUT, "blob is truncated: %zu bytes, shorter than its %d-byte header", len,
                       ET_SAMPLES_HEADER_BYTES);
    if (memcmp(b, "ETSB", 4) != 0)
        return et_fail(err, ET_E_INPUT, "blob is not an edgetune sample blob (bad magic)");
    h->version = b[4], h->codec = b[5], h->elem = (et_samples_elem)b[6];
    h->count = get_u32(b + 8), h->raw_bytes = get_u32(b + 12);
    h->payload_bytes = get_u32(b + 16), h->checksum = get_u32(b + 20);
    bool ns = h->codec == ET_SAMPLES_CODEC_LZ4_NS_DIV || h->codec == ET_SAMPLES_CODEC_LZ4_NS_MUL;
    if (h->version != VERSION || !(h->codec == ET_SAMPLES_CODEC_LZ4_PLANES || (ns && b[6] == ET_SAMPLES_F64)))
        return et_fail(err, ET_E_UNSUPPORTED, "blob has version %d codec %d, which this edgetune cannot read",
                       h->version, h->codec);
    if (h->elem != ET_SAMPLES_F64 && h->elem != ET_SAMPLES_POWER && h->elem != ET_SAMPLES_I32)
        return et_fail(err, ET_E_INPUT, "blob has unknown element type %d", (int)h->elem);
    uint64_t per = h->elem == ET_SAMPLES_POWER ? 16 : 8;
    if (h->count > MAX_VALUES || (uint64_t)h->count * per != h->raw_bytes)
        return et_fail(err, ET_E_INPUT, "blob header is inconsistent (count %u, raw %u bytes)", h->count, h->raw_bytes);
    if ((uint64_t)h->payload_bytes + ET_SAMPLES_HEADER_BYTES != len)
        return et_fail(err, ET_E_INPUT, "blob is truncated or padded: %zu bytes where the header says %u", len,
                       h->payload_bytes + ET_SAMPLES_HEADER_BYTES);
    return ET_OK;
}

/* Checks, decompresses and un-shuffles into *u (m values). */
static et_status decode(const void *blob, size_t len, et_samples_elem want, int expect_count, uint64_t **u_out,
                        size_t *m_out, et_samples_header *h, et_err *err) {
    *u_out = NULL, *m_out = 0;
    et_status s = et_samples_peek(blob, len, h, err);
    if (s != ET_OK)
        return s;
    if (h->elem != want)
        return et_fail(err, ET_E_INPUT, "blob holds %s samples where %s were expected", et_samples_elem_name(h->elem),
                       et_samples_elem_name(want));
    if (expect_count >= 0 && (uint32_t)expect_count != h->count)
        return et_fail(err, ET_E_INPUT, "blob holds %u samples where the run records %d", h->count, expect_count);
    size_t raw = h->raw_bytes, m = raw / 8;
    unsigned char *planes = malloc(raw ? raw : 1);
    uint64_t *u = calloc(m ? m : 1, sizeof *u);
    if (!planes || !u) {
        free(planes), free(u);
        return et_fail(err, ET_E_NOMEM, "out of memory decoding %u samples", h->count);
    }
    int got = raw ? LZ4_decompress_safe((const char *)blob + ET_SAMPLES_HEADER_BYTES, (char *)planes,
                                        (int)h->payload_bytes, (int)raw)
                  : 0;
    if (got != (int)raw) {
        free(planes), free(u);
        return et_fail(err, ET_E_INPUT, "blob does not decompress (%s)", got < 0 ? "malformed LZ4 data" : "short");
    }
    for (int k = 0; k < 8; k++)
        for (size_t i = 0; i < m; i++)
            u[i] |= (uint64_t)planes[(size_t)k * m + i] << (8 * k);
    free(planes);
    *u_out = u, *m_out = m;
    return ET_OK;
}

et_status et_samples_decode_f64(const void *blob, size_t len, int expect_count, double **out, int *n, et_err *err) {
    *out = NULL, *n = 0;
    uint64_t *u;
    size_t m;
    et_samples_header h;
    et_status s = decode(blob, len, ET_SAMPLES_F64, expect_count, &u, &m, &h, err);
    if (s != ET_OK)
        return s;
    double *v = m ? malloc(m * sizeof *v) : NULL;
    if (m && !v) {
        free(u);
        return et_fail(err, ET_E_NOMEM, "out of memory decoding %zu samples", m);
    }
    for (size_t i = 0; i < m; i++)
        v[i] = h.codec == ET_SAMPLES_CODEC_LZ4_PLANES ? double_of(u[i]) : ns_to_ms(h.codec, (int64_t)u[i]);
    for (size_t i = 0; i < m; i++)
        u[i] = bits_of(v[i]);
    if (checksum(u, m) != h.checksum) {
        free(u), free(v);
        return et_fail(err, ET_E_INPUT, "blob fails its checksum (altered or damaged)");
    }
    free(u);
    *out = v, *n = (int)m;
    return ET_OK;
}

et_status et_samples_decode_power(const void *blob, size_t len, int expect_count, et_power_sample **out, int *n,
                                  et_err *err) {
    *out = NULL, *n = 0;
    uint64_t *u;
    size_t m;
    et_samples_header h;
    et_status s = decode(blob, len, ET_SAMPLES_POWER, expect_count, &u, &m, &h, err);
    if (s != ET_OK)
        return s;
    size_t count = m / 2;
    for (size_t i = 1; i < count; i++)
        u[i] += u[i - 1];
    if (checksum(u, m) != h.checksum) {
        free(u);
        return et_fail(err, ET_E_INPUT, "blob fails its checksum (altered or damaged)");
    }
    et_power_sample *p = count ? malloc(count * sizeof *p) : NULL;
    if (count && !p) {
        free(u);
        return et_fail(err, ET_E_NOMEM, "out of memory decoding %zu power samples", count);
    }
    for (size_t i = 0; i < count; i++) {
        p[i].t_ns = (int64_t)u[i];
        p[i].power_mw = double_of(u[count + i]);
    }
    free(u);
    *out = p, *n = (int)count;
    return ET_OK;
}

et_status et_samples_decode_i32(const void *blob, size_t len, int expect_count, int32_t **out, int *n, et_err *err) {
    *out = NULL, *n = 0;
    uint64_t *u;
    size_t m;
    et_samples_header h;
    et_status s = decode(blob, len, ET_SAMPLES_I32, expect_count, &u, &m, &h, err);
    if (s != ET_OK)
        return s;
    bool fits = checksum(u, m) == h.checksum;
    for (size_t i = 0; fits && i < m; i++)
        fits = u[i] <= UINT32_MAX;
    int32_t *v = m && fits ? malloc(m * sizeof *v) : NULL;
    if (!fits || (m && !v)) {
        free(u);
        return fits ? et_fail(err, ET_E_NOMEM, "out of memory decoding %zu per-input values", m)
                    : et_fail(err, ET_E_INPUT, "blob fails its checksum (altered or damaged)");
    }
    for (size_t i = 0; i < m; i++)
        v[i] = (int32_t)(uint32_t)u[i];
    free(u);
    *out = v, *n = (int)m;
    return ET_OK;
}
