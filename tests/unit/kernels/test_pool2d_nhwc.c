/* test_pool2d_nhwc.c: the NHWC pooling operators against naive NCHW pooling written here: max and average,
 * stride, dilation (max), asymmetric padding, count_include_pad both ways, ceil-mode-like extra padding,
 * batch > 1, pixel strides, clamp, 1 and 2 threads, a moved input; and global average pooling. Max pooling is
 * exact; averages are within the bound of ks adds and one multiply. */
#include "engine/operators/pool2d.h"
#include "kernel_test.h"

typedef struct {
    et_pool_kind kind;
    size_t n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int include_pad, clamp;
} pool_case;

static void run_case(const pool_case *pc, et_threadpool *pool) {
    et_pool2d_nhwc_params p = {0};
    p.kind = pc->kind, p.channels = pc->c, p.kernel_h = pc->kh, p.kernel_w = pc->kw, p.stride_h = pc->sh;
    p.stride_w = pc->sw, p.dilation_h = pc->dh, p.dilation_w = pc->dw;
    p.pad_top = pc->pt, p.pad_left = pc->pl, p.pad_bottom = pc->pb, p.pad_right = pc->pr;
    p.count_include_pad = pc->include_pad, p.clamp = pc->clamp, p.out_min = -0.5f, p.out_max = 0.75f;
    p.input_pixel_stride = pc->c + 2, p.output_pixel_stride = pc->c + 1;
    et_pool2d_nhwc *op = NULL;
    et_err err = {0};
    KT_REQUIRE_OK(et_pool2d_nhwc_create(&p, &op, &err));
    size_t oh, ow;
    const bool sized = et_pool2d_nhwc_output_size(op, pc->h, pc->w, &oh, &ow);
    ET_REQUIRE(sized);
    const size_t in_n = pc->n * pc->h * pc->w * (pc->c + 2), out_n = pc->n * oh * ow * (pc->c + 1);
    float *in = kt_alloc(2 * in_n), *out = kt_alloc(out_n);
    kt_fill(in, 2 * in_n, -2.0f, 1.0f);
    for (int pass = 0; pass < 2; pass++) {
        const float *input = in + pass * in_n;
        KT_REQUIRE_OK(et_pool2d_nhwc_setup(op, pc->n, pc->h, pc->w, input, out, &err));
        KT_REQUIRE_OK(et_pool2d_nhwc_run(op, pool, &err));
        int bad = 0;
        for (size_t b = 0; b < pc->n; b++)
            for (size_t y = 0; y < oh; y++)
                for (size_t x = 0; x < ow; x++)
                    for (size_t c = 0; c < pc->c && bad < 3; c++) {
                        double acc = pc->kind == ET_POOL_MAX ? -INFINITY : 0.0, abs_sum = 0;
                        size_t count = 0;
                        for (size_t ky = 0; ky < pc->kh; ky++)
                            for (size_t kx = 0; kx < pc->kw; kx++) {
                                const long iy = (long)(y * pc->sh + ky * pc->dh) - (long)pc->pt;
                                const long ix = (long)(x * pc->sw + kx * pc->dw) - (long)pc->pl;
                                if (iy < 0 || ix < 0 || iy >= (long)pc->h || ix >= (long)pc->w) {
                                    count += pc->include_pad;
                                    continue;
                                }
                                const double v = input[((b * pc->h + iy) * pc->w + ix) * (pc->c + 2) + c];
                                acc = pc->kind == ET_POOL_MAX ? fmax(acc, v) : acc + v;
                                abs_sum += fabs(v);
                                count++;
                            }
                        if (pc->kind == ET_POOL_AVG)
                            acc /= (double)count, abs_sum /= (double)count;
                        if (pc->clamp)
                            acc = acc < -0.5 ? -0.5 : acc > 0.75 ? 0.75 : acc;
                        const float got = out[((b * oh + y) * ow + x) * (pc->c + 1) + c];
                        const double tol = pc->kind == ET_POOL_MAX ? 0.0
                                                                   : (double)(pc->kh * pc->kw + 2) * 1.2e-7 * abs_sum;
                        if (!(fabs(got - acc) <= tol)) {
                            ET_CHECK_MSG(0,
                                         "%s %zux%zu c%zu k%zux%zu s%zu d%zu pass %d: [%zu][%zu][%zu][%zu] = %.7g, "
                                         "want %.7g",
                                         et_pool2d_nhwc_kernel_name(op), pc->h, pc->w, pc->c, pc->kh, pc->kw, pc->sh,
                                         pc->dh, pass, b, y, x, c, got, acc);
                            bad++;
                        }
                    }
    }
    et_pool2d_nhwc_destroy(op);
    et_aligned_free(in);
    et_aligned_free(out);
}

static const pool_case cases[] = {
    {ET_POOL_MAX, 1, 64, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0}, /* ResNet maxpool */
    {ET_POOL_MAX, 2, 13, 9, 11, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 0, 1},    /* ceil mode as extra padding */
    {ET_POOL_MAX, 1, 5, 10, 10, 3, 2, 1, 2, 2, 3, 2, 1, 0, 2, 0, 0},    /* dilation, asymmetric pads */
    {ET_POOL_AVG, 1, 17, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
    {ET_POOL_AVG, 1, 17, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
    {ET_POOL_AVG, 2, 9, 7, 6, 2, 2, 2, 2, 1, 1, 0, 0, 1, 0, 0, 1},
    {ET_POOL_AVG, 1, 33, 5, 5, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
};

static void test_pool_cases(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    et_threadpool_set_start_ns(pool, 0); /* split even small layers: the multi-thread path */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i], NULL);
        run_case(&cases[i], pool);
    }
    et_threadpool_destroy(pool);
}

static void test_global_avgpool(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    et_threadpool_set_start_ns(pool, 0); /* split even small layers: the multi-thread path */
    const size_t batch = 2, pixels = 49, channels = 1280 + 7, stride = channels + 3;
    float *in = kt_alloc(batch * pixels * stride), *out = kt_alloc(batch * channels);
    kt_fill(in, batch * pixels * stride, -1.0f, 1.0f);
    for (int t = 0; t < 2; t++) {
        et_global_avgpool_nhwc(batch, pixels, channels, in, stride, out, 0, -INFINITY, INFINITY, t ? pool : NULL);
        int bad = 0;
        for (size_t b = 0; b < batch; b++)
            for (size_t c = 0; c < channels && bad < 3; c++) {
                double acc = 0, abs_sum = 0;
                for (size_t p = 0; p < pixels; p++)
                    acc += in[(b * pixels + p) * stride + c], abs_sum += fabs(in[(b * pixels + p) * stride + c]);
                acc /= (double)pixels;
                if (!(fabs(out[b * channels + c] - acc) <= (double)(pixels + 2) * 1.2e-7 * abs_sum / (double)pixels)) {
                    ET_CHECK_MSG(0, "global avgpool [%zu][%zu] = %.7g, want %.7g", b, c, out[b * channels + c], acc);
                    bad++;
                }
            }
    }
    et_threadpool_destroy(pool);
    et_aligned_free(in);
    et_aligned_free(out);
}

static void test_pool_errors(void) {
    et_pool2d_nhwc_params p = {0};
    et_pool2d_nhwc *op = NULL;
    et_err err = {0};
    ET_CHECK_INT(et_pool2d_nhwc_create(&p, &op, &err), ET_E_INPUT);
    p.channels = 4, p.kernel_h = p.kernel_w = 3;
    KT_REQUIRE_OK(et_pool2d_nhwc_create(&p, &op, &err));
    float buf[64];
    ET_CHECK_INT(et_pool2d_nhwc_run(op, NULL, &err), ET_E_RUNTIME);
    ET_CHECK_INT(et_pool2d_nhwc_setup(op, 1, 2, 2, buf, buf, &err), ET_E_INPUT);
    et_pool2d_nhwc_destroy(op);
}

int main(void) {
    ET_RUN(test_pool_errors);
    ET_RUN(test_pool_cases);
    ET_RUN(test_global_avgpool);
    return et_test_done();
}
