/* test_samples_codec.c: sample blobs round-trip bit for bit (NaN, infinities, negative zero, empty), compress
 * clock-like data, and every kind of damage is an error rather than wrong numbers. */
#include <stdint.h>

#include "db/samples_codec.h"
#include "et_test.h"
#include "fake_runs.h"

static void test_f64_roundtrip_bits(void) {
    double v[] = {0.0, -0.0, 1.5, -2.25, 1e-300, 1e300, NAN, INFINITY, -INFINITY, 12.3456789};
    int n = (int)(sizeof v / sizeof v[0]);
    unsigned char *blob;
    size_t len;
    et_err e = {0};
    ET_REQUIRE(et_samples_encode_f64(v, n, &blob, &len, &e) == ET_OK);
    et_samples_header h;
    ET_CHECK_INT(et_samples_peek(blob, len, &h, &e), ET_OK);
    ET_CHECK_INT(h.count, n);
    ET_CHECK_INT(h.raw_bytes, n * 8);
    ET_CHECK_INT(h.elem, ET_SAMPLES_F64);
    ET_CHECK_INT(h.payload_bytes + ET_SAMPLES_HEADER_BYTES, len);
    double *out;
    int m;
    ET_CHECK_INT(et_samples_decode_f64(blob, len, n, &out, &m, &e), ET_OK);
    ET_CHECK_INT(m, n);
    ET_CHECK(memcmp(out, v, sizeof v) == 0);
    free(out);
    ET_CHECK_INT(et_samples_decode_f64(blob, len, n + 1, &out, &m, &e), ET_E_INPUT); /* count must match */
    ET_CHECK(strstr(e.msg, "samples where the run records") != NULL);
    free(blob);
    /* empty */
    ET_REQUIRE(et_samples_encode_f64(NULL, 0, &blob, &len, &e) == ET_OK);
    ET_CHECK_INT(et_samples_decode_f64(blob, len, 0, &out, &m, &e), ET_OK);
    ET_CHECK_INT(m, 0);
    ET_CHECK(out == NULL);
    free(blob);
}

static void test_latency_compresses(void) {
    /* clock-like samples: ns resolution converted to ms */
    enum { N = 10000 };
    double *v = malloc(N * sizeof *v);
    uint64_t s = 1;
    for (int i = 0; i < N; i++)
        v[i] = (double)(12000000 + (int64_t)(et_fake_unit(&s) * 400000)) / 1e6;
    unsigned char *blob;
    size_t len;
    et_err e = {0};
    ET_REQUIRE(et_samples_encode_f64(v, N, &blob, &len, &e) == ET_OK);
    double ratio = (double)(N * 8) / (double)len;
    fprintf(stderr, "10000 clock latency samples: %zu bytes, ratio %.2fx\n", len, ratio);
    ET_CHECK(ratio > 2.0);
    et_samples_header h;
    ET_CHECK_INT(et_samples_peek(blob, len, &h, &e), ET_OK);
    ET_CHECK_INT(h.codec, ET_SAMPLES_CODEC_LZ4_NS_DIV);
    double *out;
    int m;
    ET_CHECK_INT(et_samples_decode_f64(blob, len, N, &out, &m, &e), ET_OK);
    ET_CHECK(m == N && memcmp(out, v, N * sizeof *v) == 0);
    free(out), free(blob);
    /* ns * 1e-6 conversion: also stored as integers, also exact */
    s = 1;
    for (int i = 0; i < N; i++)
        v[i] = (double)(12000000 + (int64_t)(et_fake_unit(&s) * 400000)) * 1e-6;
    ET_REQUIRE(et_samples_encode_f64(v, N, &blob, &len, &e) == ET_OK);
    ET_CHECK_INT(et_samples_peek(blob, len, &h, &e), ET_OK);
    ET_CHECK_INT(h.codec, ET_SAMPLES_CODEC_LZ4_NS_MUL);
    ET_CHECK_INT(et_samples_decode_f64(blob, len, N, &out, &m, &e), ET_OK);
    ET_CHECK(m == N && memcmp(out, v, N * sizeof *v) == 0);
    free(out), free(blob);
    /* arbitrary doubles: the bits themselves, still somewhat smaller */
    for (int i = 0; i < N; i++)
        v[i] = 12.0 + et_fake_unit(&s);
    ET_REQUIRE(et_samples_encode_f64(v, N, &blob, &len, &e) == ET_OK);
    fprintf(stderr, "10000 arbitrary doubles: ratio %.2fx\n", (double)(N * 8) / (double)len);
    ET_CHECK_INT(et_samples_peek(blob, len, &h, &e), ET_OK);
    ET_CHECK_INT(h.codec, ET_SAMPLES_CODEC_LZ4_PLANES);
    ET_CHECK_INT(et_samples_decode_f64(blob, len, N, &out, &m, &e), ET_OK);
    ET_CHECK(m == N && memcmp(out, v, N * sizeof *v) == 0);
    free(out), free(blob), free(v);
}

static void test_power_roundtrip(void) {
    enum { N = 500 };
    et_power_sample p[N];
    uint64_t s = 2;
    for (int i = 0; i < N; i++)
        p[i] = (et_power_sample){(int64_t)i * 10000000 + (i % 7) - 3, 4000 + 500 * et_fake_unit(&s)};
    p[3].t_ns = -5; /* not monotonic, negative: still exact */
    unsigned char *blob;
    size_t len;
    et_err e = {0};
    ET_REQUIRE(et_samples_encode_power(p, N, &blob, &len, &e) == ET_OK);
    ET_CHECK(len < N * 16);
    et_power_sample *out;
    int m;
    ET_CHECK_INT(et_samples_decode_power(blob, len, N, &out, &m, &e), ET_OK);
    ET_CHECK_INT(m, N);
    for (int i = 0; i < m && i < N; i++)
        ET_CHECK(out[i].t_ns == p[i].t_ns && out[i].power_mw == p[i].power_mw);
    free(out);
    double *wrong;
    ET_CHECK_INT(et_samples_decode_f64(blob, len, -1, &wrong, &m, &e), ET_E_INPUT); /* a power blob is not f64 */
    free(blob);
}

static void test_damage_is_detected(void) {
    enum { N = 2000 };
    double v[N];
    uint64_t s = 5;
    for (int i = 0; i < N; i++)
        v[i] = 3.0 + et_fake_unit(&s);
    unsigned char *blob;
    size_t len;
    et_err e = {0};
    ET_REQUIRE(et_samples_encode_f64(v, N, &blob, &len, &e) == ET_OK);
    double *out = NULL;
    int m;
    /* every truncation */
    int caught = 0, tries = 0;
    for (size_t cut = 0; cut < len; cut += 1 + cut / 8, tries++)
        caught += et_samples_decode_f64(blob, cut, N, &out, &m, &e) == ET_E_INPUT && !out;
    ET_CHECK_INT(caught, tries);
    ET_CHECK_INT(et_samples_decode_f64(blob, 10, N, &out, &m, &e), ET_E_INPUT);
    ET_CHECK(strstr(e.msg, "truncated") != NULL);
    /* every single flipped bit in the payload: an error, never different numbers */
    int wrong_numbers = 0;
    for (size_t i = ET_SAMPLES_HEADER_BYTES; i < len; i += 7) {
        blob[i] ^= 0x10;
        et_status st = et_samples_decode_f64(blob, len, N, &out, &m, &e);
        if (st == ET_OK)
            wrong_numbers += memcmp(out, v, sizeof v) != 0;
        free(out);
        out = NULL;
        blob[i] ^= 0x10;
    }
    ET_CHECK_INT(wrong_numbers, 0);
    /* header damage */
    blob[0] = 'X';
    ET_CHECK_INT(et_samples_decode_f64(blob, len, N, &out, &m, &e), ET_E_INPUT);
    blob[0] = 'E';
    blob[5] = 9; /* unknown codec */
    ET_CHECK_INT(et_samples_decode_f64(blob, len, N, &out, &m, &e), ET_E_UNSUPPORTED);
    blob[5] = 1;
    blob[8] ^= 1; /* count no longer matches raw size */
    ET_CHECK_INT(et_samples_decode_f64(blob, len, -1, &out, &m, &e), ET_E_INPUT);
    blob[8] ^= 1;
    ET_CHECK_INT(et_samples_decode_f64(blob, len, N, &out, &m, &e), ET_OK);
    free(out);
    free(blob);
}

int main(void) {
    ET_RUN(test_f64_roundtrip_bits);
    ET_RUN(test_latency_compresses);
    ET_RUN(test_power_roundtrip);
    ET_RUN(test_damage_is_detected);
    return et_test_done();
}
