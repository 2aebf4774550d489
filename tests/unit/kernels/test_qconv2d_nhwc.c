/* test_qconv2d_nhwc.c: the quantized NHWC convolution and fully-connected operators against a naive integer
 * convolution written here (exact int32 sums with the zero point subtracted, padding = the zero point, then the
 * requantization rule of qparams.h spelled out again), over each path (gemm, igemm, dwconv) and the shapes that
 * stress them: 1x1, 3x3, 5x5, 7x7, strides, dilations, asymmetric pads, groups, depthwise, batch > 1, pixel
 * strides wider than the channels, clamps, zero points at both ends, weight widths 8, 7, 5, 4, 3, 2, a fused
 * residual (separate and in place), 1 and 2 threads, a second setup with a moved input, caller scratch. Results
 * must match exactly. Run on the path this CPU picks and again on the AVX2 and scalar paths (tests/CMakeLists.txt),
 * so that both x86 depthwise kernel sets meet the same cases. Also: the errors a user can cause. */
#include <math.h>
#include <string.h>

#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qs8-winograd/qs8-winograd.h"
#include "engine/operators/qconv2d.h"
#include "engine/operators/qfc.h"
#include "kernel_test.h"

typedef struct {
    size_t n, c, h, w, oc, groups, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    size_t in_extra, out_extra;
    int bits, clamp, residual; /* residual: 0 none, 1 separate, 2 in place */
    int32_t x_zp, y_zp;
} qconv_case;

static int8_t rand_s8(int lo, int hi) { return (int8_t)(lo + (int)(kt_rand_u32() % (uint32_t)(hi - lo + 1))); }

static void *xalloc(size_t bytes) {
    void *p = et_aligned_alloc(bytes + 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* The requantization rule, written out independently of the library. */
static int8_t naive_requant(int64_t acc, float mult, int has_r, int r, float r_mult, int32_t r_zp, int32_t y_zp,
                            int32_t qmin, int32_t qmax) {
    float f = (float)acc * mult;
    if (has_r) { /* two statements: a compiler may not fuse them into an FMA (clang's fp-contract=on would) */
        const float res = (float)(r - r_zp) * r_mult;
        f = f + res;
    }
    const float lo = (float)(qmin - y_zp), hi = (float)(qmax - y_zp);
    f = f >= lo ? f : lo;
    f = f <= hi ? f : hi;
    return (int8_t)(lrintf(f) + y_zp);
}

static void run_case(const qconv_case *cc, et_conv_algo algo, et_threadpool *pool, int caller_scratch) {
    const size_t gic = cc->c / cc->groups, goc = cc->oc / cc->groups, ks = cc->kh * cc->kw;
    const size_t oh = (cc->h + cc->pt + cc->pb - ((cc->kh - 1) * cc->dh + 1)) / cc->sh + 1;
    const size_t ow = (cc->w + cc->pl + cc->pr - ((cc->kw - 1) * cc->dw + 1)) / cc->sw + 1;
    const size_t in_s = cc->c + cc->in_extra, out_s = cc->oc + cc->out_extra;
    const size_t in_n = cc->n * cc->h * cc->w * in_s, out_n = cc->n * oh * ow * out_s;
    const int wmax = (1 << (cc->bits - 1)) - 1;
    int8_t *in = xalloc(2 * in_n), *w = xalloc(cc->oc * gic * ks), *out = xalloc(out_n), *res = xalloc(out_n);
    int8_t *want = xalloc(out_n);
    int32_t *bias = xalloc(cc->oc * 4);
    float *wscale = xalloc(cc->oc * 4);
    for (size_t i = 0; i < 2 * in_n; i++)
        in[i] = rand_s8(-128, 127); /* pixel-stride padding holds values that must not be read */
    for (size_t i = 0; i < cc->oc * gic * ks; i++)
        w[i] = rand_s8(-wmax, wmax);
    for (size_t i = 0; i < out_n; i++)
        res[i] = rand_s8(-128, 127);
    const float xs = 0.02f, ys = 0.05f * sqrtf((float)(gic * ks)), rs = 0.03f;
    for (size_t o = 0; o < cc->oc; o++) {
        wscale[o] = kt_rand_f32(0.5f, 1.5f) / (float)wmax;
        bias[o] = (int32_t)(kt_rand_u32() % 4001) - 2000;
    }
    et_qconv2d_nhwc_params p = {0};
    p.in_channels = cc->c, p.out_channels = cc->oc, p.groups = cc->groups;
    p.kernel_h = cc->kh, p.kernel_w = cc->kw, p.stride_h = cc->sh, p.stride_w = cc->sw;
    p.dilation_h = cc->dh, p.dilation_w = cc->dw;
    p.pad_top = cc->pt, p.pad_left = cc->pl, p.pad_bottom = cc->pb, p.pad_right = cc->pr;
    p.input_pixel_stride = in_s, p.output_pixel_stride = out_s, p.residual_pixel_stride = out_s;
    p.x_scale = xs, p.x_zp = cc->x_zp, p.y_scale = ys, p.y_zp = cc->y_zp;
    p.clamp = cc->clamp, p.qmin = cc->y_zp, p.qmax = cc->y_zp + 60 > 127 ? 127 : cc->y_zp + 60;
    p.weight_bits = cc->bits;
    p.expect_threads = (size_t)et_threadpool_size(pool); /* the Winograd scratch: one slot per thread */
    p.residual = cc->residual != 0, p.residual_scale = rs, p.residual_zp = 7;
    p.algo = algo;
    const int32_t qmin = cc->clamp ? p.qmin : -128, qmax = cc->clamp ? p.qmax : 127;
    /* the naive reference */
    for (size_t b = 0; b < cc->n; b++)
        for (size_t y = 0; y < oh; y++)
            for (size_t x = 0; x < ow; x++)
                for (size_t o = 0; o < cc->oc; o++) {
                    const size_t g = o / goc;
                    int64_t acc = bias[o];
                    for (size_t ci = 0; ci < gic; ci++)
                        for (size_t ky = 0; ky < cc->kh; ky++)
                            for (size_t kx = 0; kx < cc->kw; kx++) {
                                const long iy = (long)(y * cc->sh + ky * cc->dh) - (long)cc->pt;
                                const long ix = (long)(x * cc->sw + kx * cc->dw) - (long)cc->pl;
                                int xv = cc->x_zp;
                                if (iy >= 0 && ix >= 0 && iy < (long)cc->h && ix < (long)cc->w)
                                    xv = in[((b * cc->h + (size_t)iy) * cc->w + (size_t)ix) * in_s + g * gic + ci];
                                acc += (int64_t)(xv - cc->x_zp) * w[((o * gic + ci) * cc->kh + ky) * cc->kw + kx];
                            }
                    const size_t at = ((b * oh + y) * ow + x) * out_s + o;
                    const float mult = (float)((double)xs * wscale[o] / ys);
                    want[at] = naive_requant(acc, mult, cc->residual != 0, res[at], rs / ys, 7, cc->y_zp, qmin, qmax);
                }
    et_qconv2d_nhwc *op = NULL;
    et_err err = {0};
    KT_REQUIRE_OK(et_qconv2d_nhwc_create(&p, w, wscale, bias, &op, &err));
    ET_CHECK((et_qconv2d_nhwc_path(op) == ET_CONV_PATH_WINOGRAD) == (algo == ET_CONV_ALGO_WINOGRAD_2X2));
    ET_CHECK(et_qconv2d_nhwc_packed_bytes(op) >= cc->oc * (gic * ks * (size_t)(cc->bits <= 4 ? 1 : 2) / 2 + 8));
    const size_t sbytes = et_qconv2d_nhwc_scratch_bytes(op, cc->n, cc->h, cc->w);
    void *scratch = caller_scratch && sbytes ? xalloc(sbytes) : NULL;
    for (int pass = 0; pass < 2; pass++) {
        const int8_t *input = in;
        if (pass == 1) {
            memcpy(in + in_n, in, in_n);
            input = in + in_n;
        }
        memset(out, 0x5a, out_n);
        if (cc->residual == 2)
            memcpy(out, res, out_n);
        const int8_t *r = cc->residual == 1 ? res : cc->residual == 2 ? out : NULL;
        KT_REQUIRE_OK(et_qconv2d_nhwc_setup(op, cc->n, cc->h, cc->w, input, out, r, scratch, &err));
        KT_REQUIRE_OK(et_qconv2d_nhwc_run(op, pool, &err));
        int bad = 0;
        for (size_t px = 0; px < cc->n * oh * ow && bad < 3; px++)
            for (size_t o = 0; o < cc->oc && bad < 3; o++) {
                const size_t at = px * out_s + o;
                if (out[at] != want[at]) {
                    ET_CHECK_MSG(0,
                                 "%s %zux%zux%zux%zu->%zu k%zux%zu s%zu d%zu g%zu bits %d res %d zp %d/%d pass %d "
                                 "threads %d: pixel %zu channel %zu = %d, want %d",
                                 et_qconv2d_nhwc_kernel_name(op), cc->n, cc->h, cc->w, cc->c, cc->oc, cc->kh, cc->kw,
                                 cc->sh, cc->dh, cc->groups, cc->bits, cc->residual, (int)cc->x_zp, (int)cc->y_zp, pass,
                                 et_threadpool_size(pool), px, o, out[at], want[at]);
                    bad++;
                }
            }
        for (size_t px = 0; px < cc->n * oh * ow && cc->residual != 2; px++)
            for (size_t o = cc->oc; o < out_s; o++)
                if (out[px * out_s + o] != 0x5a && bad++ < 3)
                    ET_CHECK_MSG(0, "%s wrote past channel %zu", et_qconv2d_nhwc_kernel_name(op), cc->oc);
        et_test_checks_++;
    }
    ET_CHECK(et_qconv2d_nhwc_macs(op) == cc->n * oh * ow * cc->oc * gic * ks);
    et_qconv2d_nhwc_destroy(op);
    et_aligned_free(scratch);
    et_aligned_free(in), et_aligned_free(w), et_aligned_free(out), et_aligned_free(res), et_aligned_free(want);
    et_aligned_free(bias), et_aligned_free(wscale);
}

static const qconv_case cases[] = {
    /* n  c   h  w  oc  g  kh kw sh sw dh dw pt pl pb pr  ie oe bits cl res  xzp  yzp */
    {1, 16, 5, 7, 24, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 8, 0, 0, -128, -128},  /* gemm */
    {2, 13, 4, 3, 37, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 3, 2, 8, 1, 0, 5, -3},       /* gemm, odd channels, strides */
    {1, 64, 6, 6, 70, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 7, 0, 1, 127, 10},     /* gemm, 7-bit, residual */
    {1, 32, 3, 5, 33, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 4, 0, 2, -20, 0},      /* gemm, 4-bit, in place */
    {1, 33, 4, 4, 17, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 127},      /* gemm, 2-bit */
    {1, 3, 9, 9, 16, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 8, 1, 0, -128, -128},   /* stem */
    {1, 16, 7, 6, 20, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 0, 1, 3, -9},       /* 3x3 + residual */
    {2, 8, 8, 7, 12, 1, 5, 5, 1, 1, 1, 1, 2, 1, 2, 3, 1, 0, 8, 0, 0, 0, 0},         /* 5x5 asymmetric pads, batch */
    {1, 4, 12, 11, 9, 1, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 0, 0, 5, 0, 0, -50, 50},     /* 7x7 s2, 5-bit */
    {1, 10, 9, 9, 14, 1, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, 0, 4, 0, 0, 9, 1},        /* dilated, 4-bit */
    {1, 12, 6, 6, 18, 3, 3, 3, 1, 2, 1, 1, 1, 0, 1, 1, 0, 0, 8, 0, 0, -1, 2},       /* grouped */
    {1, 12, 5, 5, 12, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 44, -44},     /* grouped 1x1 3-bit */
    {1, 24, 7, 9, 24, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 1, 0, -128, -128}, /* depthwise */
    {2, 37, 6, 5, 37, 37, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, 8, 0, 1, 17, 0},      /* depthwise s2, tail, res */
    {1, 21, 9, 9, 21, 21, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 6, 0, 2, 0, 0},       /* depthwise 5x5 in place */
    {1, 48, 4, 4, 48, 48, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, 0, 8, 0, 0, 127, 127},   /* depthwise dilated */
    /* depthwise channel tails of the AVX2 kernels' overlapping loads/stores (MobileNetV3-Small's 72/88/120) */
    {1, 72, 7, 7, 72, 72, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 8, 0, 0, -128, 0},
    {1, 88, 5, 6, 88, 88, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 1, 1, 3, -5},
    {1, 120, 6, 5, 120, 120, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 8, 0, 2, -7, 9},
    {1, 22, 7, 7, 22, 22, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 1, 3, 8, 0, 1, 0, 0},
    {1, 19, 5, 5, 19, 19, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 0, 0, 8, 1, 0, 100, -100},
    /* depthwise tiles of the AVX-512 kernels (32 channels): full tiles only, 32 + 8, 4 x 32 + 16, 7 x 32 + 16 */
    {1, 64, 5, 5, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 1, 2, -128, 3},
    {1, 40, 7, 7, 40, 40, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 8, 0, 1, 5, -3},
    {1, 144, 6, 6, 144, 144, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, 8, 1, 1, -20, 10},
    {1, 240, 4, 4, 240, 240, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 8, 0, 0, 7, -7},
    {1, 1, 6, 6, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 0, 0, 0, 0},         /* one channel */
    {1, 96, 7, 7, 200, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 8, 1, 0, -128, -10}, /* many columns */
    {1, 200, 3, 3, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 0, 0, -128, 0},   /* deep igemm */
};

/* The int8 Winograd F(2x2) path, forced: odd sizes, channel tails, asymmetric and no padding, pixel strides,
 * residuals (separate and in place), clamps, zero points at both ends, batch 2, a 4-bit weight. */
static const qconv_case wino_cases[] = {
    {1, 16, 7, 6, 20, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 0, 1, 3, -9},
    {2, 37, 9, 5, 19, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 2, 8, 1, 0, -128, 127},
    {1, 67, 6, 8, 67, 1, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 0, 0, 8, 0, 2, 127, -128},
    {1, 1, 5, 5, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 4, 0, 0, 0, 0},
    {1, 64, 14, 14, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 1, 1, -20, 0},
    {1, 200, 3, 3, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 8, 0, 0, -128, 0},
};

static void test_cases(void) {
    et_err err = {0};
    et_threadpool *two = et_threadpool_create(2, &err);
    ET_REQUIRE(two != NULL);
    et_threadpool_set_start_ns(two, 0); /* split even small layers: the multi-thread path */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i], ET_CONV_ALGO_AUTO, NULL, (int)(i & 1));
        run_case(&cases[i], ET_CONV_ALGO_AUTO, two, (int)(~i & 1));
    }
    for (size_t i = 0; i < sizeof wino_cases / sizeof wino_cases[0]; i++) {
        run_case(&wino_cases[i], ET_CONV_ALGO_WINOGRAD_2X2, NULL, (int)(i & 1));
        run_case(&wino_cases[i], ET_CONV_ALGO_WINOGRAD_2X2, two, (int)(~i & 1));
    }
    et_threadpool_destroy(two);
}

/* The Winograd path against the direct (igemm) path of the same operator, byte for byte, at ResNet-50-like
 * shapes (a 3x3 stride-1 layer with padding, with and without a fused residual), on 1 thread and on 3 (many
 * blocks, each thread in its own slot of a scratch sized for 3: threads sharing a slot would corrupt tiles), and
 * the automatic choice: a large layer picks Winograd where this CPU has its vector kernels, a 7x7 one does not. */
static void test_winograd_vs_igemm(void) {
    static const size_t shapes[][3] = {{28, 28, 64}, {15, 13, 48}};
    for (size_t si = 0; si < 2; si++) {
        const size_t h = shapes[si][0], wd = shapes[si][1], c = shapes[si][2], k = c + 16 * si, n_out = h * wd * k;
        int8_t *in = xalloc(h * wd * c), *w = xalloc(k * c * 9), *o1 = xalloc(n_out), *o2 = xalloc(n_out);
        int8_t *res = xalloc(n_out);
        int32_t *bias = xalloc(k * 4);
        float *ws = xalloc(k * 4);
        for (size_t i = 0; i < h * wd * c; i++)
            in[i] = rand_s8(-128, 127);
        for (size_t i = 0; i < k * c * 9; i++)
            w[i] = rand_s8(-127, 127);
        for (size_t i = 0; i < n_out; i++)
            res[i] = rand_s8(-128, 127);
        for (size_t o = 0; o < k; o++)
            bias[o] = (int32_t)(kt_rand_u32() % 4001) - 2000, ws[o] = kt_rand_f32(0.5f, 1.5f) / 127.0f;
        et_qconv2d_nhwc_params p = {0};
        p.in_channels = c, p.out_channels = k, p.kernel_h = p.kernel_w = 3;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
        p.x_scale = 0.02f, p.x_zp = -17, p.y_scale = 0.05f * sqrtf((float)c * 9.0f), p.y_zp = 4;
        p.clamp = true, p.qmin = 4, p.qmax = 127; /* a fused Relu */
        p.residual = si == 0, p.residual_scale = 0.03f, p.residual_zp = -2;
        p.expect_batch = 1, p.expect_h = h, p.expect_w = wd, p.expect_threads = 3;
        et_qconv2d_nhwc *direct = NULL, *wino = NULL, *autop = NULL;
        et_err err = {0};
        p.algo = ET_CONV_ALGO_DIRECT;
        KT_REQUIRE_OK(et_qconv2d_nhwc_create(&p, w, ws, bias, &direct, &err));
        p.algo = ET_CONV_ALGO_WINOGRAD_2X2;
        KT_REQUIRE_OK(et_qconv2d_nhwc_create(&p, w, ws, bias, &wino, &err));
        p.algo = ET_CONV_ALGO_AUTO;
        KT_REQUIRE_OK(et_qconv2d_nhwc_create(&p, w, ws, bias, &autop, &err));
        ET_CHECK(et_qconv2d_nhwc_path(direct) == ET_CONV_PATH_IGEMM);
        ET_CHECK(et_qconv2d_nhwc_path(wino) == ET_CONV_PATH_WINOGRAD);
        ET_CHECK(strstr(et_qconv2d_nhwc_kernel_name(wino), "qs8-winograd-2x2") != NULL);
        const bool vector = et_qs8_wino_config_get()->req != ET_KREQ_SCALAR &&
                            et_qgemm_config_get(8)->a_format == ET_QA_S16; /* AVX2 without VNNI */
        ET_CHECK((et_qconv2d_nhwc_path(autop) == ET_CONV_PATH_WINOGRAD) == vector);
        KT_REQUIRE_OK(et_qconv2d_nhwc_setup(direct, 1, h, wd, in, o1, res, NULL, &err));
        KT_REQUIRE_OK(et_qconv2d_nhwc_run(direct, NULL, &err));
        KT_REQUIRE_OK(et_qconv2d_nhwc_setup(wino, 1, h, wd, in, o2, res, NULL, &err));
        KT_REQUIRE_OK(et_qconv2d_nhwc_run(wino, NULL, &err));
        size_t bad = 0, distinct = 0;
        int seen[256] = {0};
        for (size_t i = 0; i < n_out; i++) {
            bad += o1[i] != o2[i];
            distinct += !seen[(uint8_t)o1[i]]++;
        }
        ET_CHECK_MSG(bad == 0, "Winograd differs from igemm in %zu of %zu outputs (%zux%zux%zu)", bad, n_out, h, wd, c);
        ET_CHECK_MSG(distinct > 40, "only %zu distinct outputs: the comparison would see little", distinct);
        et_threadpool *three = et_threadpool_create(3, &err);
        ET_REQUIRE(three != NULL);
        et_threadpool_set_start_ns(three, 0);
        for (int round = 0; round < 4; round++) {
            memset(o2, 0x5a, n_out);
            KT_REQUIRE_OK(et_qconv2d_nhwc_run(wino, three, &err));
            bad = 0;
            for (size_t i = 0; i < n_out; i++)
                bad += o1[i] != o2[i];
            ET_CHECK_MSG(bad == 0, "Winograd on 3 threads differs from igemm in %zu of %zu outputs (%zux%zux%zu)", bad,
                         n_out, h, wd, c);
        }
        et_threadpool_destroy(three);
        et_qconv2d_nhwc_destroy(direct), et_qconv2d_nhwc_destroy(wino), et_qconv2d_nhwc_destroy(autop);
        et_aligned_free(in), et_aligned_free(w), et_aligned_free(o1), et_aligned_free(o2), et_aligned_free(res);
        et_aligned_free(bias), et_aligned_free(ws);
    }
    /* a 7x7 output keeps the direct path; an int8 F(4x4) is refused */
    int8_t w[16 * 16 * 9] = {0};
    float ws[16];
    for (size_t o = 0; o < 16; o++)
        ws[o] = 0.01f;
    et_qconv2d_nhwc_params p = {0};
    p.in_channels = p.out_channels = 16, p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    p.x_scale = p.y_scale = 1.0f, p.expect_batch = 1, p.expect_h = p.expect_w = 7;
    et_qconv2d_nhwc *op = NULL;
    et_err err = {0};
    KT_REQUIRE_OK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err));
    ET_CHECK(et_qconv2d_nhwc_path(op) == ET_CONV_PATH_IGEMM);
    et_qconv2d_nhwc_destroy(op);
    p.algo = ET_CONV_ALGO_WINOGRAD_4X4;
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_UNSUPPORTED && op == NULL);
}

static void test_fully_connected(void) {
    const size_t rows = 5, in = 37, outf = 29;
    int8_t *x = xalloc(rows * in), *w = xalloc(in * outf), *y = xalloc(rows * outf);
    int32_t bias[29];
    float ws[29];
    for (size_t i = 0; i < rows * in; i++)
        x[i] = rand_s8(-128, 127);
    for (size_t i = 0; i < in * outf; i++)
        w[i] = rand_s8(-127, 127);
    for (size_t o = 0; o < outf; o++)
        bias[o] = (int32_t)(kt_rand_u32() % 2001) - 1000, ws[o] = kt_rand_f32(0.002f, 0.01f);
    for (int kn = 0; kn < 2; kn++) {
        et_qfully_connected_params p = {0};
        p.in_features = in, p.out_features = outf, p.weights_kn = kn;
        p.x_scale = 0.1f, p.x_zp = -3, p.y_scale = 0.4f, p.y_zp = 2;
        et_qfully_connected *fc = NULL;
        et_err err = {0};
        KT_REQUIRE_OK(et_qfully_connected_create(&p, w, ws, bias, &fc, &err));
        KT_REQUIRE_OK(et_qfully_connected_setup(fc, rows, x, y, &err));
        KT_REQUIRE_OK(et_qfully_connected_run(fc, NULL, &err));
        int bad = 0;
        for (size_t r = 0; r < rows; r++)
            for (size_t o = 0; o < outf; o++) {
                int64_t acc = bias[o];
                for (size_t i = 0; i < in; i++)
                    acc += (int64_t)(x[r * in + i] + 3) * w[kn ? i * outf + o : o * in + i];
                const int8_t want = naive_requant(acc, (float)(0.1 * (double)ws[o] / 0.4), 0, 0, 0, 0, 2, -128, 127);
                if (y[r * outf + o] != want && bad++ < 3)
                    ET_CHECK_MSG(0, "fc kn=%d [%zu][%zu] = %d, want %d", kn, r, o, y[r * outf + o], want);
            }
        ET_CHECK(et_qfully_connected_packed_bytes(fc) > 0);
        ET_CHECK(strstr(et_qfully_connected_kernel_name(fc), "gemm") != NULL);
        et_qfully_connected_destroy(fc);
    }
    et_aligned_free(x), et_aligned_free(w), et_aligned_free(y);
}

static void test_errors(void) {
    int8_t w[2 * 4 * 9];
    float ws[4] = {0.1f, 0.1f, 0.1f, 0.1f};
    memset(w, 1, sizeof w);
    et_qconv2d_nhwc_params p = {0};
    p.in_channels = 2, p.out_channels = 4, p.kernel_h = p.kernel_w = 3;
    p.x_scale = 1.0f, p.y_scale = 1.0f;
    et_qconv2d_nhwc *op = NULL;
    et_err err = {0};
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_OK);
    int8_t in[2 * 2 * 2] = {0}, out[4] = {0};
    ET_CHECK(et_qconv2d_nhwc_run(op, NULL, &err) == ET_E_RUNTIME);                         /* before setup */
    ET_CHECK(et_qconv2d_nhwc_setup(op, 1, 2, 2, in, out, NULL, NULL, &err) == ET_E_INPUT); /* smaller than kernel */
    ET_CHECK(et_qconv2d_nhwc_setup(op, 1, 3, 3, NULL, out, NULL, NULL, &err) == ET_E_INPUT);
    et_qconv2d_nhwc_destroy(op);
    p.weight_bits = 4;
    w[5] = 8; /* outside [-7, 7] */
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_INPUT && op == NULL);
    ET_CHECK(strstr(err.msg, "element 5") != NULL);
    p.weight_bits = 8;
    w[5] = -128; /* not symmetric */
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_INPUT);
    w[5] = 1;
    p.x_zp = 128;
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_INPUT);
    p.x_zp = 0, p.y_scale = 0.0f;
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_INPUT);
    p.y_scale = 1.0f, p.clamp = true, p.qmin = 5, p.qmax = 4;
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_INPUT);
    p.clamp = false, p.weight_bits = 9;
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_INPUT);
    p.weight_bits = 8, p.groups = 3;
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_INPUT);
    /* too deep for int32: 8000 channels x 3x3 */
    p.groups = 1, p.in_channels = 8000, p.out_channels = 1;
    ET_CHECK(et_qconv2d_nhwc_create(&p, w, ws, NULL, &op, &err) == ET_E_UNSUPPORTED);
}

int main(void) {
    ET_RUN(test_cases);
    ET_RUN(test_winograd_vs_igemm);
    ET_RUN(test_fully_connected);
    ET_RUN(test_errors);
    return et_test_done();
}
