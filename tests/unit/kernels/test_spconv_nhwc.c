/* test_spconv_nhwc.c: the sparse 1x1 kernels and operator. Kernels: each ISA's pack must equal the scalar pack
 * on the live pixels exactly, and each spmm kernel must match a naive double-precision sum over its nonzeros
 * within the fp32 bound (K products and a split sum), for every tile size, pixel counts 1..MR, channel tails
 * around 8, empty rows and clamps. Operator: against a dense naive 1x1 convolution at several sparsities
 * (including all-zero weights and 2:4), pixel strides, residual, clamp and post-op, 1 and 2 threads; and the
 * sparse-or-dense predicate at the shapes its documentation promises. */
#include <string.h>

#include "engine/kernels/f32-spmm/f32-spmm.h"
#include "engine/operators/spconv.h"
#include "kernel_test.h"

/* Dense out x in weights with about `density` of them nonzero (2:4 when density == 0.5 and nm != 0). */
static void sparse_weights(float *w, size_t out, size_t in, double density, int nm) {
    for (size_t o = 0; o < out; o++)
        for (size_t i = 0; i < in; i++) {
            float v = kt_rand_f32(-1.0f, 1.0f);
            if (nm)
                v = (i % 4) == (o % 2) || (i % 4) == 2 + (o % 2) ? v : 0.0f;
            else if (kt_rand_f32(0.0f, 1.0f) >= density)
                v = 0.0f;
            w[o * in + i] = v;
        }
}

static void check_kernels(const et_f32_spmm_config *cfg) {
    size_t n;
    const et_f32_spmm_config *ref = &et_f32_spmm_configs(&n)[n - 1];
    for (int tile = 0; tile < ET_F32_SPMM_TILES; tile++) {
        const size_t MR = 32u >> tile;
        const size_t ks[] = {1, 7, 8, 9, 24, 37};
        const size_t ns[] = {1, 7, 8, 9, 17};
        for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++)
            for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
                for (size_t mr = 1; mr <= MR; mr += (mr < 9 ? 1 : 7)) {
                    const size_t k = ks[a], nc = ns[b], xs = k + 3, cs = nc + 2;
                    float *x = kt_alloc(MR * xs), *xt1 = kt_alloc(MR * k), *xt2 = kt_alloc(MR * k);
                    float *w = kt_alloc(nc * k), *bias = kt_alloc(nc), *c = kt_alloc(MR * cs);
                    kt_fill(x, MR * xs, -1.0f, 1.0f);
                    kt_fill(bias, nc, -1.0f, 1.0f);
                    sparse_weights(w, nc, k, 0.4, 0);
                    if (nc > 2)
                        memset(w + k, 0, k * sizeof(float)); /* an empty row */
                    cfg->pack[tile](mr, k, x, xs, xt1);
                    ref->pack[tile](mr, k, x, xs, xt2);
                    int same = 1;
                    for (size_t kk = 0; kk < k; kk++)
                        for (size_t i = 0; i < mr; i++)
                            same &= xt1[kk * MR + i] == xt2[kk * MR + i];
                    ET_CHECK_MSG(same, "%s pack mr=%zu k=%zu differs", cfg->name[tile], mr, k);
                    float values[17 * 37];
                    int32_t offsets[17 * 37];
                    uint32_t nnz[17];
                    size_t j = 0;
                    for (size_t o = 0; o < nc; o++) {
                        nnz[o] = 0;
                        for (size_t i = 0; i < k; i++)
                            if (w[o * k + i] != 0.0f)
                                values[j] = w[o * k + i], offsets[j] = (int32_t)(i * MR * 4), j++, nnz[o]++;
                    }
                    for (size_t i = 0; i < MR * cs; i++)
                        c[i] = 12345.0f;
                    const et_f32_minmax_params clamp = {-0.7f, b % 2 ? 0.9f : INFINITY};
                    cfg->ukernel[tile](mr, nc, xt1, values, offsets, nnz, bias, c, cs, &clamp);
                    int bad = 0;
                    for (size_t i = 0; i < MR && bad < 3; i++)
                        for (size_t o = 0; o < cs && bad < 3; o++) {
                            if (i >= mr || o >= nc) {
                                if (c[i * cs + o] != 12345.0f && bad++ < 3)
                                    ET_CHECK_MSG(0, "%s wrote outside the tile at [%zu][%zu]", cfg->name[tile], i, o);
                                continue;
                            }
                            double ref_v = bias[o], mag = fabs(bias[o]);
                            for (size_t kk = 0; kk < k; kk++) {
                                ref_v += (double)x[i * xs + kk] * w[o * k + kk];
                                mag += fabs((double)x[i * xs + kk] * w[o * k + kk]);
                            }
                            ref_v = ref_v < clamp.min ? clamp.min : ref_v > clamp.max ? clamp.max : ref_v;
                            const double tol = 2.0 * (double)(k + 2) * 1.2e-7 * mag + 1e-7;
                            if (!(fabs(c[i * cs + o] - ref_v) <= tol) && bad++ < 3)
                                ET_CHECK_MSG(0, "%s mr=%zu k=%zu nc=%zu: [%zu][%zu] = %.9g, want %.9g", cfg->name[tile],
                                             mr, k, nc, i, o, c[i * cs + o], ref_v);
                        }
                    et_test_checks_++;
                    et_aligned_free(x), et_aligned_free(xt1), et_aligned_free(xt2), et_aligned_free(w);
                    et_aligned_free(bias), et_aligned_free(c);
                }
    }
}

static void test_kernels(void) {
    size_t n;
    const et_f32_spmm_config *cfgs = et_f32_spmm_configs(&n);
    for (size_t i = 0; i < n; i++) {
        if (!et_kreq_runnable(cfgs[i].req)) {
            fprintf(stderr, "skip %s: this CPU lacks %s\n", cfgs[i].name[0], et_kreq_name(cfgs[i].req));
            continue;
        }
        check_kernels(&cfgs[i]);
    }
}

static void run_op(size_t pixels, size_t in, size_t out, double density, int nm, int residual, int post,
                   et_threadpool *pool) {
    const size_t xs = in + 2, ys = out + 1;
    float *x = kt_alloc(pixels * xs), *w = kt_alloc(out * in), *bias = kt_alloc(out);
    float *y = kt_alloc(pixels * ys), *r = kt_alloc(pixels * ys);
    kt_fill(x, pixels * xs, -1.0f, 1.0f);
    kt_fill(bias, out, -0.5f, 0.5f);
    kt_fill(r, pixels * ys, -1.0f, 1.0f);
    sparse_weights(w, out, in, density, nm);
    et_spconv_nhwc_params p = {0};
    p.in_channels = in, p.out_channels = out;
    p.input_pixel_stride = xs, p.output_pixel_stride = ys, p.residual_pixel_stride = ys;
    p.clamp = true, p.out_min = -1.0f, p.out_max = 2.0f;
    p.residual = residual;
    p.post = post, p.post_op = ET_UNARY_HSWISH;
    et_spconv_nhwc *op = NULL;
    et_err err = {0};
    KT_REQUIRE_OK(et_spconv_nhwc_create(&p, w, in, 1, bias, &op, &err));
    ET_CHECK(et_spconv_nhwc_nonzeros(op) == et_spconv_count_nonzeros(w, out, in, in, 1));
    for (size_t i = 0; i < pixels * ys; i++)
        y[i] = 777.0f;
    KT_REQUIRE_OK(et_spconv_nhwc_setup(op, pixels, x, y, residual ? r : NULL, &err));
    KT_REQUIRE_OK(et_spconv_nhwc_run(op, pool, &err));
    int bad = 0;
    for (size_t px = 0; px < pixels && bad < 3; px++) {
        for (size_t o = 0; o < out && bad < 3; o++) {
            double v = bias[o], mag = fabs(bias[o]);
            for (size_t i = 0; i < in; i++)
                v += (double)x[px * xs + i] * w[o * in + i], mag += fabs((double)x[px * xs + i] * w[o * in + i]);
            if (residual)
                v += r[px * ys + o], mag += fabs(r[px * ys + o]);
            v = v < -1.0 ? -1.0 : v > 2.0 ? 2.0 : v;
            if (post)
                v = v * fmin(fmax(v + 3.0, 0.0), 6.0) / 6.0;
            const double tol = 3.0 * (double)(in + 3) * 1.2e-7 * mag + 1e-6;
            if (!(fabs(y[px * ys + o] - v) <= tol) && bad++ < 3)
                ET_CHECK_MSG(0, "%s %zu px %zu->%zu density %.2f: [%zu][%zu] = %.9g, want %.9g",
                             et_spconv_nhwc_kernel_name(op), pixels, in, out, density, px, o, y[px * ys + o], v);
        }
        if (y[px * ys + out] != 777.0f && bad++ < 3)
            ET_CHECK_MSG(0, "wrote past the output channels");
    }
    et_test_checks_++;
    et_spconv_nhwc_destroy(op);
    et_aligned_free(x), et_aligned_free(w), et_aligned_free(bias), et_aligned_free(y), et_aligned_free(r);
}

static void test_operator(void) {
    et_err err = {0};
    et_threadpool *two = et_threadpool_create(2, &err);
    ET_REQUIRE(two != NULL);
    et_threadpool_set_start_ns(two, 0); /* split even small layers: the multi-thread path */
    for (int t = 0; t < 2; t++) {
        et_threadpool *pool = t ? two : NULL;
        run_op(49, 96, 24, 0.1, 0, 0, 0, pool);
        run_op(50, 24, 144, 0.3, 0, 0, 1, pool);
        run_op(5, 160, 960, 0.1, 0, 1, 0, pool);
        run_op(33, 576, 40, 0.0, 0, 1, 0, pool);   /* every weight zero: bias (+ residual) only */
        run_op(70, 64, 64, 0.5, 1, 0, 0, pool);    /* 2:4 */
        run_op(17, 1000, 13, 0.05, 0, 0, 0, pool); /* MR = 16 */
        run_op(9, 1500, 9, 0.05, 0, 1, 1, pool);   /* MR = 8 */
        run_op(1, 1280, 1000, 0.1, 0, 0, 0, pool); /* a classifier, one row */
    }
    et_threadpool_destroy(two);
    float w[4] = {1, 0, 0, 1};
    et_spconv_nhwc_params p = {0};
    p.in_channels = 3000, p.out_channels = 1;
    et_spconv_nhwc *op = NULL;
    ET_CHECK(et_spconv_nhwc_create(&p, w, 0, 0, NULL, &op, &err) == ET_E_UNSUPPORTED && op == NULL);
    p.in_channels = 2, p.out_channels = 2;
    ET_CHECK(et_spconv_nhwc_create(&p, w, 2, 1, NULL, &op, &err) == ET_OK);
    ET_CHECK(et_spconv_nhwc_run(op, NULL, &err) == ET_E_RUNTIME);
    ET_CHECK(et_spconv_nhwc_setup(op, 0, w, w, NULL, &err) == ET_E_INPUT);
    et_spconv_nhwc_destroy(op);
}

static void test_predicate(void) {
    /* dense weights never go sparse; 90 % sparse MobileNetV2 1x1 layers do; 2:4 (50 %) stays dense */
    const size_t shapes[][3] = {{3136, 24, 144}, {784, 192, 32},  {196, 384, 64}, {49, 960, 320},
                                {49, 320, 1280}, {3136, 144, 24}, {12544, 32, 16}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        ET_CHECK_MSG(!et_spconv_nhwc_faster(m, k, n, k * n), "dense %zux%zux%zu called faster sparse", m, k, n);
        ET_CHECK_MSG(!et_spconv_nhwc_faster(m, k, n, k * n / 2), "2:4 %zux%zux%zu called faster sparse", m, k, n);
        if (k >= 96 || n >= 96)
            ET_CHECK_MSG(et_spconv_nhwc_faster(m, k, n, k * n / 10), "90 %% %zux%zux%zu called slower", m, k, n);
    }
    ET_CHECK(!et_spconv_nhwc_faster(100, 5000, 10, 10)); /* beyond the tiles */
    ET_CHECK(!et_spconv_nhwc_faster(0, 10, 10, 1));
}

int main(void) {
    ET_RUN(test_kernels);
    ET_RUN(test_operator);
    ET_RUN(test_predicate);
    return et_test_done();
}
