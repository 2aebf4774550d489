/* test_qs8_vcvt.c: the int8 conversion and add kernels. The scalar kernels against the rules of qs8-vcvt.h and
 * qs8-vadd.h written out here (ties to even, NaN to qmin, infinities and huge values clamped, zero points at both
 * ends); every other config this CPU runs against the scalar one, bit for bit, over lengths 0..70 and 1000 (all
 * vector widths and tails), in place too. */
#include <string.h>

#include "engine/kernels/qs8-vadd/qs8-vadd.h"
#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"
#include "kernel_test.h"

static const et_qs8_vcvt_config *scalar_cvt(void) {
    size_t n;
    const et_qs8_vcvt_config *c = et_qs8_vcvt_configs(&n);
    return &c[n - 1];
}

static const et_qs8_vadd_config *scalar_add(void) {
    size_t n;
    const et_qs8_vadd_config *c = et_qs8_vadd_configs(&n);
    return &c[n - 1];
}

static void test_scalar_rules(void) {
    const et_qs8_vcvt_config *c = scalar_cvt();
    et_qs8_quantize_params q;
    et_qs8_quantize_params_init(&q, 0.5f, 3, -128, 127);
    const float x[] = {0.25f, 0.75f,  -0.25f,   -0.75f,    1.25f, 62.0f,   62.25f,
                       1e30f, -1e30f, INFINITY, -INFINITY, NAN,   -65.75f, -65.5f};
    /* x / 0.5 = 0.5 -> 0 (even), 1.5 -> 2, -0.5 -> -0, -1.5 -> -2, 2.5 -> 2; 124 + 3 = 127; 124.5 -> 124 + 3 */
    const int8_t want[] = {3, 5, 3, 1, 5, 127, 127, 127, -128, 127, -128, -128, -128, -128};
    int8_t y[14];
    c->quantize(14, x, y, &q);
    for (int i = 0; i < 14; i++)
        ET_CHECK_MSG(y[i] == want[i], "quantize(%g) = %d, want %d", x[i], y[i], want[i]);
    et_qs8_quantize_params_init(&q, 0.1f, -128, -128, 127);
    const float x2[] = {0.0f, -1.0f, 25.5f, 25.4f};
    const int8_t want2[] = {-128, -128, 127, 126};
    c->quantize(4, x2, y, &q);
    for (int i = 0; i < 4; i++)
        ET_CHECK_MSG(y[i] == want2[i], "quantize(%g) zp -128 = %d, want %d", x2[i], y[i], want2[i]);
    const int8_t d[] = {-128, 0, 127, 5};
    float f[4];
    const et_qs8_dequantize_params dq = {0.25f, 5};
    c->dequantize(4, d, f, &dq);
    ET_CHECK(f[0] == -33.25f && f[1] == -1.25f && f[2] == 30.5f && f[3] == 0.0f);
    et_qs8_requantize_params rq;
    et_qs8_requantize_params_init(&rq, 1.0f, 0, 2.0f, 10, -128, 127); /* y = x / 2 + 10 */
    const int8_t r[] = {1, 3, -1, -3, 127, -128};
    const int8_t rwant[] = {10, 12, 10, 8, 74, -54};
    c->requantize(6, r, y, &rq);
    for (int i = 0; i < 6; i++)
        ET_CHECK_MSG(y[i] == rwant[i], "requantize(%d) = %d, want %d", r[i], y[i], rwant[i]);
    int16_t s16[3];
    uint8_t u8[3];
    c->to_s16(3, d, s16);
    c->to_u8(3, d, u8);
    ET_CHECK(s16[0] == -128 && s16[2] == 127 && u8[0] == 0 && u8[1] == 128 && u8[2] == 255);
    int16_t padded[8];
    c->pad_rows(ET_QA_S16, 2, 3, d, 1, padded, 4); /* rows {-128, 0, 127} and {0, 127, 5}: overlapping reads */
    ET_CHECK(padded[0] == -128 && padded[1] == 0 && padded[2] == 127 && padded[3] == 0 && padded[4] == 0 &&
             padded[5] == 127 && padded[6] == 5 && padded[7] == 0);
    et_qs8_add_params ap;
    et_qs8_add_params_init(&ap, 1.0f, 0, 2.0f, -1, 1.0f, 0, -128, 127); /* y = a + 2 (b + 1) */
    const int8_t a1[] = {1, 100, -100, 0}, b1[] = {2, 100, -100, -1};
    const int8_t awant[] = {7, 127, -128, 0};
    scalar_add()->ukernel(4, a1, b1, 0, y, &ap);
    for (int i = 0; i < 4; i++)
        ET_CHECK_MSG(y[i] == awant[i], "add(%d, %d) = %d, want %d", a1[i], b1[i], y[i], awant[i]);
}

static int8_t rand_s8(void) { return (int8_t)(kt_rand_u32() & 255); }

static void test_configs_match_scalar(void) {
    size_t n_cvt, n_add;
    const et_qs8_vcvt_config *cvt = et_qs8_vcvt_configs(&n_cvt);
    const et_qs8_vadd_config *add = et_qs8_vadd_configs(&n_add);
    const et_qs8_vcvt_config *rc = scalar_cvt();
    enum { MAX = 1000 };
    float *xf = kt_alloc(MAX), *f1 = kt_alloc(MAX), *f2 = kt_alloc(MAX);
    int8_t a[MAX], b[MAX], y1[MAX + 16], y2[MAX + 16];
    int16_t s1[MAX], s2[MAX];
    for (size_t ci = 0; ci + 1 < n_cvt || ci + 1 < n_add; ci++) {
        const et_qs8_vcvt_config *c = ci + 1 < n_cvt ? &cvt[ci] : NULL;
        const et_qs8_vadd_config *ad = ci + 1 < n_add ? &add[ci] : NULL;
        if (c && !et_kreq_runnable(c->req)) {
            fprintf(stderr, "skip %s: this CPU lacks %s\n", c->name, et_kreq_name(c->req));
            c = NULL;
        }
        if (ad && !et_kreq_runnable(ad->req)) {
            fprintf(stderr, "skip %s: this CPU lacks %s\n", ad->name, et_kreq_name(ad->req));
            ad = NULL;
        }
        for (size_t len = 0; len <= MAX; len = len < 70 ? len + 1 : MAX + 1) {
            const size_t n = len > MAX ? MAX : len;
            for (size_t i = 0; i < n; i++) {
                xf[i] = kt_rand_f32(-30.0f, 30.0f);
                if (i % 17 == 3)
                    xf[i] = (float)((int)(kt_rand_u32() % 61) - 30) * 0.25f + 0.125f; /* exact ties at scale 0.25 */
                a[i] = rand_s8(), b[i] = rand_s8();
            }
            if (n > 5)
                xf[5] = NAN, xf[4] = INFINITY;
            const int32_t zp = (int32_t)(kt_rand_u32() % 256) - 128;
            if (c) {
                et_qs8_quantize_params q;
                et_qs8_quantize_params_init(&q, 0.25f, zp, zp > 0 ? -128 : zp, 127);
                c->quantize(n, xf, y1, &q), rc->quantize(n, xf, y2, &q);
                ET_CHECK_MSG(memcmp(y1, y2, n) == 0, "%s quantize n=%zu differs from scalar", c->name, n);
                const et_qs8_dequantize_params dq = {0.37f, zp};
                c->dequantize(n, a, f1, &dq), rc->dequantize(n, a, f2, &dq);
                ET_CHECK_MSG(memcmp(f1, f2, n * sizeof(float)) == 0, "%s dequantize n=%zu differs", c->name, n);
                et_qs8_requantize_params rq;
                et_qs8_requantize_params_init(&rq, 0.3f, zp, 0.7f, -zp / 2, -100, 120);
                c->requantize(n, a, y1, &rq), rc->requantize(n, a, y2, &rq);
                ET_CHECK_MSG(memcmp(y1, y2, n) == 0, "%s requantize n=%zu differs", c->name, n);
                memcpy(y1, a, n); /* in place */
                c->requantize(n, y1, y1, &rq);
                ET_CHECK_MSG(memcmp(y1, y2, n) == 0, "%s requantize in place n=%zu differs", c->name, n);
                c->to_s16(n, a, s1), rc->to_s16(n, a, s2);
                ET_CHECK_MSG(memcmp(s1, s2, n * 2) == 0, "%s to_s16 n=%zu differs", c->name, n);
                c->to_u8(n, a, (uint8_t *)y1), rc->to_u8(n, a, (uint8_t *)y2);
                ET_CHECK_MSG(memcmp(y1, y2, n) == 0, "%s to_u8 n=%zu differs", c->name, n);
                /* padded rows: RGB pixels (3 -> 4, the shuffle path), and others */
                const size_t shapes[][3] = {{3, 3, 4}, {3, 5, 4}, {5, 5, 8}, {1, 1, 2}, {7, 9, 8}};
                for (size_t sh = 0; sh < 5; sh++) {
                    const size_t w = shapes[sh][0], xs = shapes[sh][1], ys = shapes[sh][2], rows = n / xs;
                    for (int f = 0; f < 3; f++) {
                        int16_t p1[MAX + 64], p2[MAX + 64];
                        memset(p1, 0x55, sizeof p1), memset(p2, 0x55, sizeof p2);
                        if (rows * ys * 2 > sizeof p1)
                            continue;
                        c->pad_rows((et_qa_format)f, rows, w, a, xs, p1, ys);
                        rc->pad_rows((et_qa_format)f, rows, w, a, xs, p2, ys);
                        ET_CHECK_MSG(memcmp(p1, p2, sizeof p1) == 0,
                                     "%s pad_rows %zu/%zu/%zu rows=%zu format %d differs", c->name, w, xs, ys, rows, f);
                    }
                }
            }
            if (ad) {
                et_qs8_add_params p;
                et_qs8_add_params_init(&p, 0.11f, zp, 0.23f, -zp / 3, 0.19f, zp / 2, -128, 127);
                for (int bs = 0; bs < 2; bs++) {
                    ad->ukernel(n, a, b, bs, y1, &p), scalar_add()->ukernel(n, a, b, bs, y2, &p);
                    ET_CHECK_MSG(memcmp(y1, y2, n) == 0, "%s n=%zu b_scalar=%d differs", ad->name, n, bs);
                }
                memcpy(y1, a, n);
                ad->ukernel(n, y1, b, 0, y1, &p);
                scalar_add()->ukernel(n, a, b, 0, y2, &p);
                ET_CHECK_MSG(memcmp(y1, y2, n) == 0, "%s in place n=%zu differs", ad->name, n);
            }
        }
    }
    et_aligned_free(xf), et_aligned_free(f1), et_aligned_free(f2);
}

int main(void) {
    ET_RUN(test_scalar_rules);
    ET_RUN(test_configs_match_scalar);
    return et_test_done();
}
