/* test_qmath.c: weight and activation quantization arithmetic, fp16 rounding, selection, and the qc8 reference
 * kernels against a float computation. */
#include <stdint.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "et_test.h"
#include "tune/qmath.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void) { /* [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)(rng >> 40) / (float)(1 << 23) - 1.0f;
}

static void test_symmetric_per_channel(void) {
    enum { C = 5, K = 37 };
    float w[C * K], deq[C * K], scale[C];
    int32_t zp[C];
    int8_t q[C * K];
    for (int i = 0; i < C * K; i++)
        w[i] = frand() * (float)(1 + i / K); /* channel c spans about +-(c+1) */
    for (int bits = 2; bits <= 8; bits++) {
        et_wq_config cfg = {.bits = bits, .symmetric = true, .per_channel = true, .clip = ET_CLIP_MINMAX};
        et_wview v = {.n_ch = C, .per_ch = K, .ch_stride = K, .el_stride = 1};
        ET_REQUIRE(et_quantize_weights(w, &v, &cfg, scale, zp, q, deq, NULL) == ET_OK);
        int qmax = (1 << (bits - 1)) - 1;
        for (int c = 0; c < C; c++) {
            float amax = 0;
            for (int i = 0; i < K; i++)
                amax = fmaxf(amax, fabsf(w[c * K + i]));
            ET_CHECK_NEAR(scale[c], amax / (float)qmax, 1e-6 * amax);
            ET_CHECK_INT(zp[c], 0);
            for (int i = 0; i < K; i++) {
                int at = c * K + i;
                ET_CHECK(q[at] >= -qmax && q[at] <= qmax);
                ET_CHECK_NEAR(deq[at], scale[c] * q[at], 1e-6);
                ET_CHECK(fabsf(deq[at] - w[at]) <= scale[c] * 0.5f + 1e-6f); /* round to nearest */
            }
        }
    }
}

static void test_asymmetric_and_tensor(void) {
    enum { C = 3, K = 50 };
    float w[C * K], deq[C * K], scale[C];
    int32_t zp[C];
    for (int i = 0; i < C * K; i++)
        w[i] = 0.25f + 0.75f * (frand() + 1.0f); /* all positive: the zero point moves to the bottom */
    et_wq_config cfg = {.bits = 8, .symmetric = false, .per_channel = false, .clip = ET_CLIP_MINMAX};
    et_wview v = {.n_ch = C, .per_ch = K, .ch_stride = K, .el_stride = 1};
    ET_REQUIRE(et_quantize_weights(w, &v, &cfg, scale, zp, NULL, deq, NULL) == ET_OK);
    ET_CHECK(scale[0] == scale[1] && scale[1] == scale[2]); /* one scale for the tensor */
    ET_CHECK_INT(zp[0], -128);                              /* range [0, max]: zero at the bottom */
    float maxerr = 0;
    for (int i = 0; i < C * K; i++)
        maxerr = fmaxf(maxerr, fabsf(deq[i] - w[i]));
    ET_CHECK(maxerr <= scale[0] * 0.5f + 1e-6f);
    /* a strided view (channels along columns, like Gemm B [K][N]) gives the same codes as the transpose */
    float wt[K * C], dt[K * C], st[C];
    int32_t zt[C];
    for (int c = 0; c < C; c++)
        for (int k = 0; k < K; k++)
            wt[k * C + c] = w[c * K + k];
    et_wview vt = {.n_ch = C, .per_ch = K, .ch_stride = 1, .el_stride = C};
    cfg.per_channel = true;
    ET_REQUIRE(et_quantize_weights(wt, &vt, &cfg, st, zt, NULL, dt, NULL) == ET_OK);
    ET_REQUIRE(et_quantize_weights(w, &v, &cfg, scale, zp, NULL, deq, NULL) == ET_OK);
    for (int c = 0; c < C; c++)
        for (int k = 0; k < K; k++)
            ET_CHECK(dt[k * C + c] == deq[c * K + k]);
}

static void test_percentile_ignores_outlier(void) {
    enum { K = 20000 };
    float *w = malloc(K * sizeof *w), *deq = malloc(K * sizeof *w), s_mm, s_pc;
    int32_t zp;
    for (int i = 0; i < K; i++)
        w[i] = frand();
    w[123] = 50.0f; /* one outlier */
    et_wview v = {.n_ch = 1, .per_ch = K, .ch_stride = K, .el_stride = 1};
    et_wq_config cfg = {.bits = 8, .symmetric = true, .per_channel = true, .clip = ET_CLIP_MINMAX};
    ET_REQUIRE(et_quantize_weights(w, &v, &cfg, &s_mm, &zp, NULL, deq, NULL) == ET_OK);
    cfg.clip = ET_CLIP_PERCENTILE;
    cfg.percentile = 99.99f;
    ET_REQUIRE(et_quantize_weights(w, &v, &cfg, &s_pc, &zp, NULL, deq, NULL) == ET_OK);
    ET_CHECK_NEAR(s_mm, 50.0f / 127.0f, 1e-5);
    ET_CHECK(s_pc < 1.01f / 127.0f);              /* the range follows the bulk */
    ET_CHECK_NEAR(deq[123], 127.0f * s_pc, 1e-6); /* the outlier clips */
    free(w), free(deq);
}

static void test_zero_channel_and_bad_bits(void) {
    float w[8] = {0}, s[2], d[8];
    int32_t z[2];
    et_wview v = {.n_ch = 2, .per_ch = 4, .ch_stride = 4, .el_stride = 1};
    et_wq_config cfg = {.bits = 4, .symmetric = true, .per_channel = true};
    ET_REQUIRE(et_quantize_weights(w, &v, &cfg, s, z, NULL, d, NULL) == ET_OK);
    ET_CHECK(s[0] == 1.0f && d[3] == 0.0f);
    cfg.bits = 9;
    et_err err = {0};
    ET_CHECK(et_quantize_weights(w, &v, &cfg, s, z, NULL, d, &err) == ET_E_USAGE);
    ET_CHECK(strstr(err.msg, "--bits") != NULL);
}

static int cmp_f(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static void test_select_kth(void) {
    for (int n = 1; n < 300; n += 37) {
        float a[300], s[300];
        for (int i = 0; i < n; i++)
            a[i] = s[i] = (float)((i * 7919) % 13); /* many ties */
        qsort(s, (size_t)n, sizeof *s, cmp_f);
        for (int k = 0; k < n; k += 5) {
            float b[300];
            memcpy(b, a, sizeof b);
            ET_CHECK(et_select_kth(b, n, k) == s[k]);
        }
    }
}

/* Large arrays take the radix path: same answers as sorting, negatives, ties and infinities included. */
static void test_select_kth_large(void) {
    int64_t n = 200003;
    float *a = malloc((size_t)n * sizeof *a), *s = malloc((size_t)n * sizeof *s), *b = malloc((size_t)n * sizeof *b);
    for (int64_t i = 0; i < n; i++)
        a[i] = s[i] = i % 7 == 0 ? 0.5f : i % 1001 == 0 ? -INFINITY : frand() * 100.0f;
    a[17] = s[17] = INFINITY;
    qsort(s, (size_t)n, sizeof *s, cmp_f);
    int64_t ks[] = {0, 1, n / 7, n / 2, n - 2, n - 1};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        memcpy(b, a, (size_t)n * sizeof *b);
        ET_CHECK_MSG(et_select_kth(b, n, ks[i]) == s[ks[i]], "k %lld", (long long)ks[i]);
    }
    free(a), free(s), free(b);
}

static void test_act_qparams_and_fp16(void) {
    float s;
    int32_t zp;
    et_act_qparams(-1.0f, 3.0f, &s, &zp);
    ET_CHECK_NEAR(s, 4.0f / 255.0f, 1e-7);
    ET_CHECK_NEAR(s * (float)(-128 - zp), -1.0f, s); /* the codes span the range */
    ET_CHECK_NEAR(s * (float)(127 - zp), 3.0f, s);
    ET_CHECK(et_quantize_f32(0.0f, s, zp) == zp);
    ET_CHECK(et_quantize_f32(1e9f, s, zp) == 127 && et_quantize_f32(NAN, s, zp) == -128);
    et_act_qparams(0.5f, 6.0f, &s, &zp); /* range widened to contain 0 */
    ET_CHECK_INT(zp, -128);
    et_act_qparams(0.0f, 0.0f, &s, &zp);
    ET_CHECK(s == 1.0f && zp == 0);
    float in[3] = {1.0f / 3.0f, 65504.0f, 1e-8f}, out[3];
    et_round_fp16(in, out, 3);
    ET_CHECK_NEAR(out[0], 0.333251953125, 0);
    ET_CHECK(out[1] == 65504.0f && out[2] == 0.0f);
}

/* The reference conv against float arithmetic on the dequantized operands: within one code. */
static void test_qc8_conv_ref_matches_float(void) {
    for (int depthwise = 0; depthwise < 2; depthwise++) {
        et_qc8_conv_desc d = {.batch = 2,
                              .in_h = 7,
                              .in_w = 6,
                              .in_c = depthwise ? 12 : 5,
                              .groups = depthwise ? 12 : 1,
                              .kernel_h = 3,
                              .kernel_w = 3,
                              .stride_h = 2,
                              .stride_w = 1,
                              .dilation_h = 1,
                              .dilation_w = 2,
                              .pad_top = 1,
                              .pad_left = 2};
        d.out_c = depthwise ? 12 : 4;
        d.out_h = (d.in_h + 2 * d.pad_top - 3) / 2 + 1;
        d.out_w = (d.in_w + 2 * d.pad_left - 5) / 1 + 1;
        size_t ipg = d.in_c / d.groups, nx = d.batch * d.in_h * d.in_w * d.in_c, nw = d.out_c * ipg * 9;
        size_t ny = d.batch * d.out_h * d.out_w * d.out_c;
        int8_t *x = malloc(nx), *w = malloc(nw), *wp = malloc(nw), *y = malloc(ny);
        float xs = 0.05f, ys = 0.1f, ws[12], mult[12];
        int32_t bias[12];
        d.x_zp = 3, d.y_zp = -5;
        for (size_t i = 0; i < nx; i++)
            x[i] = (int8_t)(frand() * 127);
        for (size_t i = 0; i < nw; i++)
            w[i] = (int8_t)(frand() * 127);
        for (size_t c = 0; c < d.out_c; c++) {
            ws[c] = 0.01f * (float)(c + 1);
            bias[c] = (int32_t)(frand() * 500);
            mult[c] = et_qc8_multiplier(xs, ws[c], ys);
        }
        et_qc8_act_range(0.0f, INFINITY, ys, d.y_zp, &d.qmin, &d.qmax); /* Relu */
        ET_CHECK_INT(d.qmin, -5);
        if (depthwise)
            et_qc8_pack_hwc(w, d.out_c, 3, 3, wp);
        else
            et_qc8_pack_ohwi(w, d.out_c, ipg, 3, 3, wp);
        et_qc8_conv2d_nhwc_ref(&d, x, wp, bias, mult, y, 0, d.batch * d.out_h * d.out_w);
        int worst = 0;
        for (size_t b = 0; b < d.batch; b++)
            for (size_t oy = 0; oy < d.out_h; oy++)
                for (size_t ox = 0; ox < d.out_w; ox++)
                    for (size_t oc = 0; oc < d.out_c; oc++) {
                        size_t g = oc / (d.out_c / d.groups);
                        double acc = (double)bias[oc] * xs * ws[oc];
                        for (size_t ky = 0; ky < 3; ky++)
                            for (size_t kx = 0; kx < 3; kx++) {
                                long iy = (long)(oy * 2 + ky) - 1, ix = (long)(ox + kx * 2) - 2;
                                if (iy < 0 || ix < 0 || iy >= (long)d.in_h || ix >= (long)d.in_w)
                                    continue;
                                for (size_t ic = 0; ic < ipg; ic++) {
                                    double xv =
                                        xs *
                                        (x[((b * d.in_h + (size_t)iy) * d.in_w + (size_t)ix) * d.in_c + g * ipg + ic] -
                                         d.x_zp);
                                    acc += xv * ws[oc] * w[((oc * ipg + ic) * 3 + ky) * 3 + kx];
                                }
                            }
                        double r = fmax(acc, 0.0) / ys + d.y_zp;
                        long want = lrint(r < -128 ? -128 : r > 127 ? 127 : r);
                        int got = y[((b * d.out_h + oy) * d.out_w + ox) * d.out_c + oc];
                        worst = abs((int)want - got) > worst ? abs((int)want - got) : worst;
                    }
        ET_CHECK_MSG(worst <= 1, "depthwise %d: off by %d codes", depthwise, worst);
        free(x), free(w), free(wp), free(y);
    }
}

static void test_qc8_add_fc(void) {
    int8_t a[3] = {10, -128, 127}, b[3] = {-10, -128, 127}, y[3];
    et_qc8_add_params p = {.a_zp = 0, .b_zp = 0, .y_zp = 0, .qmin = -128, .qmax = 127, .a_mult = 0.5f, .b_mult = 0.5f};
    et_qc8_add_ref(&p, a, b, y, 0, 3);
    ET_CHECK(y[0] == 0 && y[1] == -128 && y[2] == 127);
    int8_t x[2 * 3] = {1, 2, 3, -1, -2, -3}, w[2 * 3] = {1, 0, 1, 2, 2, 2}, o[4];
    int32_t bias[2] = {10, -4};
    float m[2] = {1.0f, 0.5f};
    et_qc8_fc_ref(3, 2, x, 1, w, bias, m, 0, -128, 127, o, 0, 2);
    /* row 0: (0,1,2): 10 + 0 + 2 = 12 | -4 + 2*(0+1+2) = 2 -> *0.5 = 1 */
    ET_CHECK(o[0] == 12 && o[1] == 1);
    /* row 1: (-2,-3,-4): 10 - 2 - 4 = 4 | -4 + 2*(-9) = -22 -> -11 */
    ET_CHECK(o[2] == 4 && o[3] == -11);
}

static float hswish(const void *ctx, float x) {
    (void)ctx;
    float h = x / 6.0f + 0.5f;
    return x * (h < 0.0f ? 0.0f : h > 1.0f ? 1.0f : h);
}

static float sigm(const void *ctx, float x) {
    (void)ctx;
    return 1.0f / (1.0f + expf(-x));
}

/* The int8 table of an activation: every entry within half an output step of the float function of its input
 * code (the only error is the output's rounding), clamped to [qmin, qmax]; the lookup reads entry x + 128. */
static void test_qc8_lut(void) {
    const struct {
        float (*f)(const void *, float);
        float xs, ys;
        int32_t xz, yz;
    } cases[] = {{hswish, 10.0f / 255.0f, 9.0f / 255.0f, -52, -90}, {sigm, 16.0f / 255.0f, 1.0f / 255.0f, 0, -128}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int8_t table[256];
        et_qc8_lut_init(cases[c].f, NULL, cases[c].xs, cases[c].xz, cases[c].ys, cases[c].yz, -128, 127, table);
        for (int q = -128; q < 128; q++) {
            const float want = cases[c].f(NULL, (float)(q - cases[c].xz) * cases[c].xs);
            float lo = (float)(-128 - cases[c].yz) * cases[c].ys, hi = (float)(127 - cases[c].yz) * cases[c].ys;
            const float clamped = want < lo ? lo : want > hi ? hi : want;
            const float got = (float)(table[q + 128] - cases[c].yz) * cases[c].ys;
            ET_CHECK_MSG(fabsf(got - clamped) <= 0.5f * cases[c].ys + 1e-6f, "case %zu code %d: %g vs %g", c, q,
                         (double)got, (double)want);
        }
        int8_t x[256], y[256];
        for (int i = 0; i < 256; i++)
            x[i] = (int8_t)(i - 128);
        et_qc8_lut_ref(table, x, y, 0, 256);
        ET_CHECK(memcmp(y, table, 256) == 0); /* x runs through -128..127: y is the table */
    }
    int8_t narrow[256];
    et_qc8_lut_init(sigm, NULL, 0.1f, 0, 1.0f / 255.0f, -128, -100, 100, narrow);
    for (int i = 0; i < 256; i++)
        ET_CHECK(narrow[i] >= -100 && narrow[i] <= 100);
}

/* int8 Mul and global average pooling against the float computation on the dequantized codes: within half an
 * output step (the requantization's rounding), and clamped. */
static void test_qc8_mul_gap(void) {
    const float as = 0.05f, bs = 1.0f / 255.0f, ys = 0.04f;
    const et_qc8_mul_params p = {.a_zp = 3, .b_zp = -128, .y_zp = -5, .qmin = -128, .qmax = 127, .mult = as * bs / ys};
    int8_t a[64], b[64], y[64], yb[64];
    for (int i = 0; i < 64; i++) {
        a[i] = (int8_t)(i * 37 % 256 - 128);
        b[i] = (int8_t)(i * 91 % 256 - 128);
    }
    et_qc8_mul_ref(&p, 64, a, 1, b, 1, y);
    et_qc8_mul_ref(&p, 64, a, 1, b + 7, 0, yb); /* b broadcast: one gate for the whole row */
    for (int i = 0; i < 64; i++) {
        const float want = (float)(a[i] - 3) * as * (float)(b[i] + 128) * bs;
        const float wantb = (float)(a[i] - 3) * as * (float)(b[7] + 128) * bs;
        const float lo = (float)(-128 + 5) * ys, hi = (float)(127 + 5) * ys;
        ET_CHECK(fabsf((float)(y[i] + 5) * ys - fminf(fmaxf(want, lo), hi)) <= 0.5f * ys + 1e-5f);
        ET_CHECK(fabsf((float)(yb[i] + 5) * ys - fminf(fmaxf(wantb, lo), hi)) <= 0.5f * ys + 1e-5f);
    }
    enum { P = 49, C = 5 };
    int8_t x[P * C], g[C];
    for (int i = 0; i < P * C; i++)
        x[i] = (int8_t)(i * 53 % 256 - 128);
    const float xs = 0.1f, gs = 0.02f;
    et_qc8_gavgpool_ref(P, C, x, C, 10, xs / (gs * P), 4, -128, 127, g);
    for (int c = 0; c < C; c++) {
        float mean = 0.0f;
        for (int q = 0; q < P; q++)
            mean += (float)(x[q * C + c] - 10) * xs;
        mean /= P;
        const float want = fminf(fmaxf(mean, (float)(-128 - 4) * gs), (float)(127 - 4) * gs);
        ET_CHECK_MSG(fabsf((float)(g[c] - 4) * gs - want) <= 0.5f * gs + 1e-5f, "channel %d", c);
    }
}

int main(void) {
    ET_RUN(test_symmetric_per_channel);
    ET_RUN(test_asymmetric_and_tensor);
    ET_RUN(test_percentile_ignores_outlier);
    ET_RUN(test_zero_channel_and_bad_bits);
    ET_RUN(test_select_kth);
    ET_RUN(test_select_kth_large);
    ET_RUN(test_act_qparams_and_fp16);
    ET_RUN(test_qc8_conv_ref_matches_float);
    ET_RUN(test_qc8_add_fc);
    ET_RUN(test_qc8_lut);
    ET_RUN(test_qc8_mul_gap);
    return et_test_done();
}
