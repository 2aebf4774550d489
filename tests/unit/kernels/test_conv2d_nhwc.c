/* test_conv2d_nhwc.c: the NHWC convolution operator against a naive NCHW direct convolution written here, in
 * double precision, over each path (gemm, igemm, dwconv) and the shapes that stress them: 1x1, 3x3, 5x5, 7x7,
 * strides, dilations, asymmetric pads, groups, depthwise, batch > 1, pixel strides wider than the channels,
 * fused clamp, residual add and post-ops, on 1 and 2 threads, and a second setup with a moved input (which
 * reuses the indirection buffer through an offset). Every 3x3 stride-1 case also runs forced through Winograd
 * F(2x2, 3x3) and F(4x4, 3x3). Tolerance: the bound of K fp32 multiply-adds (K = taps x input channels per
 * group) plus one rounding per epilogue step, times the growth of rounding errors in the Winograd transforms
 * (2x for F2, 8x for F4: measured growth is about 0.3x and 2x of the direct bound). */
#include <math.h>

#include "engine/kernels/f32-vunary/f32-vunary.h"
#include "engine/operators/conv2d.h"
#include "kernel_test.h"

typedef struct {
    size_t n, c, h, w, oc, groups, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    size_t in_extra, out_extra; /* pixel stride padding */
    int clamp, residual, post;  /* post: -1 none, else et_unary_op */
} conv_case;

static double post_ref(int op, double x) {
    switch (op) {
    case ET_UNARY_HSWISH: return x * fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
    case ET_UNARY_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ET_UNARY_HSIGMOID: return fmin(fmax(0.2 * x + 0.5, 0.0), 1.0);
    case ET_UNARY_TANH: return tanh(x);
    case ET_UNARY_LRELU: return x < 0 ? 0.1 * x : x;
    default: return x;
    }
}

static double worst_ratio[4]; /* by algo: the largest |error| / tolerance seen (printed: how much margin) */

static void run_case(const conv_case *cc, et_threadpool *pool, et_conv_algo algo) {
    const size_t gic = cc->c / cc->groups, goc = cc->oc / cc->groups;
    const size_t oh = (cc->h + cc->pt + cc->pb - ((cc->kh - 1) * cc->dh + 1)) / cc->sh + 1;
    const size_t ow = (cc->w + cc->pl + cc->pr - ((cc->kw - 1) * cc->dw + 1)) / cc->sw + 1;
    const size_t in_s = cc->c + cc->in_extra, out_s = cc->oc + cc->out_extra;
    const size_t in_n = cc->n * cc->h * cc->w * in_s, out_n = cc->n * oh * ow * out_s;
    float *x = kt_alloc(cc->n * cc->c * cc->h * cc->w), *w = kt_alloc(cc->oc * gic * cc->kh * cc->kw);
    float *bias = kt_alloc(cc->oc), *in = kt_alloc(2 * in_n), *out = kt_alloc(out_n), *res = kt_alloc(out_n);
    kt_fill(x, cc->n * cc->c * cc->h * cc->w, -1.0f, 1.0f);
    kt_fill(w, cc->oc * gic * cc->kh * cc->kw, -0.5f, 0.5f);
    kt_fill(bias, cc->oc, -0.5f, 0.5f);
    kt_fill(res, out_n, -1.0f, 1.0f);
    for (size_t i = 0; i < 2 * in_n; i++)
        in[i] = 999.0f; /* pixel-stride padding holds garbage that must not be read */
    for (size_t b = 0; b < cc->n; b++)
        for (size_t c = 0; c < cc->c; c++)
            for (size_t y = 0; y < cc->h; y++)
                for (size_t xx = 0; xx < cc->w; xx++)
                    in[((b * cc->h + y) * cc->w + xx) * in_s + c] = x[((b * cc->c + c) * cc->h + y) * cc->w + xx];
    et_conv2d_nhwc_params p = {0};
    p.in_channels = cc->c;
    p.out_channels = cc->oc;
    p.groups = cc->groups;
    p.kernel_h = cc->kh, p.kernel_w = cc->kw, p.stride_h = cc->sh, p.stride_w = cc->sw;
    p.dilation_h = cc->dh, p.dilation_w = cc->dw;
    p.pad_top = cc->pt, p.pad_left = cc->pl, p.pad_bottom = cc->pb, p.pad_right = cc->pr;
    p.input_pixel_stride = in_s, p.output_pixel_stride = out_s, p.residual_pixel_stride = out_s;
    p.clamp = cc->clamp;
    p.out_min = 0.0f, p.out_max = 1.5f;
    p.residual = cc->residual;
    p.post = cc->post >= 0;
    p.post_op = cc->post >= 0 ? (et_unary_op)cc->post : ET_UNARY_CLAMP;
    p.post_params = (et_f32_unary_params){0, 0, cc->post == ET_UNARY_LRELU ? 0.1f : 0.2f, 0.5f};
    p.algo = algo;
    et_conv2d_nhwc *op = NULL;
    et_err err = {0};
    KT_REQUIRE_OK(et_conv2d_nhwc_create(&p, w, bias, &op, &err));
    ET_CHECK(et_conv2d_nhwc_packed_bytes(op) >= cc->oc * (gic * cc->kh * cc->kw + 1) * sizeof(float));
    ET_CHECK_INT(et_conv2d_nhwc_path(op) == ET_CONV_PATH_WINOGRAD,
                 algo == ET_CONV_ALGO_WINOGRAD_2X2 || algo == ET_CONV_ALGO_WINOGRAD_4X4);
    const double amp = algo == ET_CONV_ALGO_WINOGRAD_2X2 ? 2.0 : algo == ET_CONV_ALGO_WINOGRAD_4X4 ? 8.0 : 1.0;
    const size_t scratch_bytes = et_conv2d_nhwc_scratch_bytes(op, cc->n, cc->h, cc->w);
    ET_CHECK_INT(scratch_bytes > 0, et_conv2d_nhwc_path(op) == ET_CONV_PATH_WINOGRAD);
    void *scratch = scratch_bytes ? et_aligned_alloc(scratch_bytes) : NULL;
    /* run twice: the second time on a copy of the input at another address, same shape */
    for (int pass = 0; pass < 2; pass++) {
        const float *input = in;
        if (pass == 1) {
            for (size_t i = 0; i < in_n; i++)
                in[in_n + i] = in[i];
            input = in + in_n;
        }
        for (size_t i = 0; i < out_n; i++)
            out[i] = 12345.0f;
        KT_REQUIRE_OK(
            et_conv2d_nhwc_setup(op, cc->n, cc->h, cc->w, input, out, cc->residual ? res : NULL, scratch, &err));
        KT_REQUIRE_OK(et_conv2d_nhwc_run(op, pool, &err));
        int bad = 0;
        for (size_t b = 0; b < cc->n; b++)
            for (size_t o = 0; o < cc->oc; o++)
                for (size_t y = 0; y < oh; y++)
                    for (size_t xx = 0; xx < ow && bad < 3; xx++) {
                        const size_t g = o / goc;
                        double acc = bias[o], abs_sum = fabs(bias[o]);
                        for (size_t ci = 0; ci < gic; ci++)
                            for (size_t ky = 0; ky < cc->kh; ky++)
                                for (size_t kx = 0; kx < cc->kw; kx++) {
                                    const long iy = (long)(y * cc->sh + ky * cc->dh) - (long)cc->pt;
                                    const long ix = (long)(xx * cc->sw + kx * cc->dw) - (long)cc->pl;
                                    if (iy < 0 || ix < 0 || iy >= (long)cc->h || ix >= (long)cc->w)
                                        continue;
                                    const double prod = (double)
                                                            x[((b * cc->c + g * gic + ci) * cc->h + iy) * cc->w + ix] *
                                                        w[((o * gic + ci) * cc->kh + ky) * cc->kw + kx];
                                    acc += prod;
                                    abs_sum += fabs(prod);
                                }
                        const size_t opix = ((b * oh + y) * ow + xx) * out_s + o;
                        if (cc->residual)
                            acc += res[opix], abs_sum += fabs(res[opix]);
                        if (cc->clamp)
                            acc = acc < 0.0 ? 0.0 : acc > 1.5 ? 1.5 : acc;
                        acc = post_ref(cc->post, acc);
                        const double tol = amp * 2.0 * (double)(gic * cc->kh * cc->kw + 3) * 1.2e-7 * abs_sum +
                                           1e-6 * fabs(acc) + 1e-7;
                        if (fabs(out[opix] - acc) / tol > worst_ratio[algo])
                            worst_ratio[algo] = fabs(out[opix] - acc) / tol;
                        if (!(fabs(out[opix] - acc) <= tol)) {
                            ET_CHECK_MSG(
                                0,
                                "%s n%zu c%zu %zux%zu oc%zu g%zu k%zux%zu s%zux%zu d%zux%zu pad %zu,%zu,%zu,%zu "
                                "(pass %d, %d threads): out[%zu][%zu][%zu][%zu] = %.7g, want %.7g",
                                et_conv2d_nhwc_kernel_name(op), cc->n, cc->c, cc->h, cc->w, cc->oc, cc->groups, cc->kh,
                                cc->kw, cc->sh, cc->sw, cc->dh, cc->dw, cc->pt, cc->pl, cc->pb, cc->pr, pass,
                                et_threadpool_size(pool), b, y, xx, o, out[opix], acc);
                            bad++;
                        }
                    }
        for (size_t px = 0; px < cc->n * oh * ow && bad < 3; px++)
            for (size_t e = cc->oc; e < out_s; e++)
                if (out[px * out_s + e] != 12345.0f && bad++ < 3)
                    ET_CHECK_MSG(0, "%s wrote into the pixel-stride padding", et_conv2d_nhwc_kernel_name(op));
        et_test_checks_++;
    }
    et_conv2d_nhwc_destroy(op);
    et_aligned_free(scratch);
    et_aligned_free(x);
    et_aligned_free(w);
    et_aligned_free(bias);
    et_aligned_free(in);
    et_aligned_free(out);
    et_aligned_free(res);
}

/* n c h w oc groups kh kw sh sw dh dw pt pl pb pr in_extra out_extra clamp residual post */
static const conv_case cases[] = {
    {1, 8, 5, 7, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, -1},  /* 1x1: gemm */
    {2, 19, 6, 5, 37, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 3, 5, 1, 0, -1}, /* gemm, batch, strides, clamp */
    {1, 32, 7, 7, 24, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, -1}, /* gemm + residual + relu */
    {1, 16, 4, 4, 96, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, ET_UNARY_HSWISH},
    {1, 12, 3, 3, 8, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 0, 0, -1},   /* grouped 1x1 */
    {1, 3, 11, 13, 32, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, -1}, /* stem: 3x3 s2 */
    {2, 17, 9, 8, 23, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 0, 1, -1},  /* 3x3 p1, batch, residual */
    {1, 8, 10, 9, 13, 1, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, ET_UNARY_SIGMOID},
    {1, 3, 15, 15, 16, 1, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 0, 0, 1, 0, -1},         /* ResNet stem shape */
    {1, 6, 9, 11, 10, 1, 3, 3, 1, 2, 2, 3, 2, 0, 1, 3, 0, 0, 0, 0, -1},          /* dilation, asymmetric pads */
    {1, 8, 8, 8, 12, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -1},           /* grouped 3x3 */
    {1, 16, 6, 6, 32, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, -1},          /* 1x1 stride 2: igemm */
    {1, 4, 5, 5, 4, 1, 2, 3, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, ET_UNARY_TANH}, /* rectangular kernel */
    {2, 3, 13, 11, 40, 1, 3, 3, 2, 1, 2, 1, 1, 2, 0, 1, 2, 3, 1, 1, -1},         /* few channels: batch, dilation */
    {2, 3, 13, 11, 40, 1, 3, 5, 2, 1, 1, 1, 1, 2, 0, 3, 0, 0, 1, 1, -1},         /* wide taps: batch, asymmetric pads */
    {1, 1, 9, 9, 7, 1, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, ET_UNARY_SIGMOID},     /* one input channel */
    {1, 24, 9, 9, 24, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, -1},                /* depthwise 3x3 relu6-ish */
    {2, 37, 8, 7, 37, 37, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 3, 2, 0, 0, -1},                /* depthwise s2, asymmetric */
    {1, 19, 10, 10, 19, 19, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, ET_UNARY_HSWISH}, /* depthwise 5x5 */
    {1, 16, 9, 9, 16, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, 0, 0, 1, -1}, /* depthwise dilated + residual */
    {1, 5, 12, 12, 5, 5, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 0, 0, 0, 0, ET_UNARY_LRELU},
    {1, 8, 4, 4, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -1}, /* depthwise multiplier 2: igemm */
    {1, 64, 7, 7, 160, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, ET_UNARY_HSIGMOID},
    {1, 128, 7, 7, 256, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, -1}, /* weights over L2 budget: N outer */
    /* 3x3 stride 1 shapes for Winograd: sizes not multiples of the block, valid and asymmetric padding, post-ops */
    {1, 20, 13, 11, 24, 1, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 0, 0, 1, 0, -1},
    {1, 9, 6, 6, 33, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, ET_UNARY_HSWISH},
    {2, 64, 14, 14, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 3, 1, 1, -1},
    {1, 1, 5, 5, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, ET_UNARY_SIGMOID},
};

static bool winograd_shape(const conv_case *cc) {
    return cc->kh == 3 && cc->kw == 3 && cc->sh == 1 && cc->sw == 1 && cc->dh == 1 && cc->dw == 1 && cc->groups == 1;
}

static void test_conv_cases(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    et_threadpool_set_start_ns(pool, 0); /* split even small layers: the multi-thread path */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i], NULL, ET_CONV_ALGO_AUTO);
        run_case(&cases[i], pool, ET_CONV_ALGO_AUTO);
        if (winograd_shape(&cases[i]))
            for (et_conv_algo a = ET_CONV_ALGO_WINOGRAD_2X2; a <= ET_CONV_ALGO_WINOGRAD_4X4; a++) {
                run_case(&cases[i], NULL, a);
                run_case(&cases[i], pool, a);
            }
    }
    printf("worst |error| / tolerance: direct %.3f, winograd 2x2 %.3f, winograd 4x4 %.3f\n", worst_ratio[0],
           worst_ratio[2], worst_ratio[3]);
    et_threadpool_destroy(pool);
}

static void test_conv_paths_and_errors(void) {
    et_conv2d_nhwc_params p = {0};
    const float w[4 * 4 * 9] = {0}; /* the largest weight below: 4 -> 4 channels, 3x3 */
    et_conv2d_nhwc *op = NULL;
    et_err err = {0};
    p.in_channels = 4, p.out_channels = 4, p.kernel_h = 1, p.kernel_w = 1;
    KT_REQUIRE_OK(et_conv2d_nhwc_create(&p, w, NULL, &op, &err));
    ET_CHECK_INT(et_conv2d_nhwc_path(op), ET_CONV_PATH_GEMM);
    ET_CHECK(strstr(et_conv2d_nhwc_kernel_name(op), "f32-gemm-") != NULL);
    float buf[16];
    ET_CHECK_INT(et_conv2d_nhwc_run(op, NULL, &err), ET_E_RUNTIME);
    ET_CHECK_INT(et_conv2d_nhwc_setup(op, 1, 2, 2, NULL, buf, NULL, NULL, &err), ET_E_INPUT);
    et_conv2d_nhwc_destroy(op);
    p.kernel_h = p.kernel_w = 3, p.groups = 4;
    KT_REQUIRE_OK(et_conv2d_nhwc_create(&p, w, NULL, &op, &err));
    ET_CHECK_INT(et_conv2d_nhwc_path(op), ET_CONV_PATH_DWCONV);
    ET_CHECK(strstr(et_conv2d_nhwc_kernel_name(op), "f32-dwconv-") != NULL);
    ET_CHECK_INT(et_conv2d_nhwc_setup(op, 1, 2, 2, buf, buf, NULL, NULL, &err), ET_E_INPUT); /* 2x2 < 3x3 */
    ET_CHECK(strstr(err.msg, "smaller than the 3x3 kernel") != NULL);
    et_conv2d_nhwc_destroy(op);
    p.groups = 1;
    KT_REQUIRE_OK(et_conv2d_nhwc_create(&p, w, NULL, &op, &err));
    ET_CHECK_INT(et_conv2d_nhwc_path(op), ET_CONV_PATH_IGEMM);
    et_conv2d_nhwc_destroy(op);
    p.groups = 3;
    ET_CHECK_INT(et_conv2d_nhwc_create(&p, w, NULL, &op, &err), ET_E_INPUT);
    ET_CHECK(op == NULL);
    ET_CHECK(strstr(err.msg, "not divisible by group count 3") != NULL);
}

int main(void) {
    ET_RUN(test_conv_paths_and_errors);
    ET_RUN(test_conv_cases);
    return et_test_done();
}
