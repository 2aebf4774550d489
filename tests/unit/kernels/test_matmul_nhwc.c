/* test_matmul_nhwc.c: the fully-connected operator (both weight layouts, batch 1 GEMV and many rows, strided
 * rows, clamp, post-op) and the dynamic matrix multiply (B plain, transposed and shared, odd sizes) against
 * naive double-precision products, on 1 and 2 threads. Tolerance: the bound of K fp32 multiply-adds. */
#include "engine/operators/matmul.h"
#include "kernel_test.h"

static double tol_for(size_t k, double abs_sum) { return 2.0 * (double)(k + 2) * 1.2e-7 * abs_sum + 1e-7; }

static void check_fc(size_t rows, size_t in, size_t out, int kn, int clamp, int post, et_threadpool *pool) {
    const size_t in_s = in + (rows % 2) * 3, out_s = out + (rows % 3);
    float *x = kt_alloc(rows * in_s), *w = kt_alloc(in * out), *b = kt_alloc(out), *y = kt_alloc(rows * out_s);
    kt_fill(x, rows * in_s, -1.0f, 1.0f);
    kt_fill(w, in * out, -0.5f, 0.5f);
    kt_fill(b, out, -0.5f, 0.5f);
    et_fully_connected_params p = {0};
    p.in_features = in, p.out_features = out, p.weights_kn = kn, p.input_stride = in_s, p.output_stride = out_s;
    p.clamp = clamp, p.out_min = -0.5f, p.out_max = 0.75f;
    p.post = post, p.post_op = ET_UNARY_HSWISH;
    et_fully_connected *op = NULL;
    et_err err = {0};
    KT_REQUIRE_OK(et_fully_connected_create(&p, w, b, &op, &err));
    ET_CHECK(et_fully_connected_packed_bytes(op) >= in * out * sizeof(float));
    KT_REQUIRE_OK(et_fully_connected_setup(op, rows, x, y, &err));
    KT_REQUIRE_OK(et_fully_connected_run(op, pool, &err));
    int bad = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t o = 0; o < out && bad < 3; o++) {
            double acc = b[o], abs_sum = fabs(b[o]);
            for (size_t i = 0; i < in; i++) {
                const double prod = (double)x[r * in_s + i] * (kn ? w[i * out + o] : w[o * in + i]);
                acc += prod;
                abs_sum += fabs(prod);
            }
            if (clamp)
                acc = acc < -0.5 ? -0.5 : acc > 0.75 ? 0.75 : acc;
            if (post)
                acc = acc * fmin(fmax(acc + 3.0, 0.0), 6.0) / 6.0;
            if (!(fabs(y[r * out_s + o] - acc) <= tol_for(in, abs_sum))) {
                ET_CHECK_MSG(0, "fc %zux%zu->%zu kn=%d: y[%zu][%zu] = %.7g, want %.7g", rows, in, out, kn, r, o,
                             y[r * out_s + o], acc);
                bad++;
            }
        }
    et_fully_connected_destroy(op);
    et_aligned_free(x);
    et_aligned_free(w);
    et_aligned_free(b);
    et_aligned_free(y);
}

static void test_fully_connected(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    et_threadpool_set_start_ns(pool, 0); /* split even small layers: the multi-thread path */
    for (int t = 0; t < 2; t++) {
        et_threadpool *pl = t ? pool : NULL;
        check_fc(1, 1280, 1000, 0, 0, 0, pl);
        check_fc(1, 37, 5, 1, 1, 0, pl);
        check_fc(7, 64, 33, 1, 0, 1, pl);
        check_fc(13, 29, 71, 0, 1, 1, pl);
        check_fc(50, 1, 3, 0, 0, 0, pl);
        check_fc(6, 128, 16, 1, 0, 0, pl);
    }
    et_threadpool_destroy(pool);
    et_fully_connected *op = NULL;
    et_fully_connected_params p = {0};
    ET_CHECK_INT(et_fully_connected_create(&p, (const float[1]){0}, NULL, &op, &err), ET_E_INPUT);
}

static void check_dynamic(size_t batch, size_t m, size_t k, size_t n, int trans, int shared, et_threadpool *pool) {
    const size_t bcount = shared ? 1 : batch;
    float *a = kt_alloc(batch * m * k), *b = kt_alloc(bcount * k * n), *c = kt_alloc(batch * m * n);
    kt_fill(a, batch * m * k, -1.0f, 1.0f);
    kt_fill(b, bcount * k * n, -1.0f, 1.0f);
    et_matmul_dynamic_params p = {0};
    p.b_transposed = trans;
    et_matmul_dynamic *op = NULL;
    et_err err = {0};
    KT_REQUIRE_OK(et_matmul_dynamic_create(&p, &op, &err));
    /* once with the operator's own scratch, once with the caller's */
    for (int pass = 0; pass < 2; pass++) {
        void *scratch = NULL;
        if (pass == 1)
            scratch = et_aligned_alloc(et_matmul_dynamic_scratch_bytes(op, batch, k, n, shared));
        KT_REQUIRE_OK(
            et_matmul_dynamic_setup(op, batch, m, k, n, a, m * k, b, shared ? 0 : k * n, c, m * n, scratch, &err));
        KT_REQUIRE_OK(et_matmul_dynamic_run(op, pool, &err));
        int bad = 0;
        for (size_t i = 0; i < batch; i++)
            for (size_t r = 0; r < m; r++)
                for (size_t col = 0; col < n && bad < 3; col++) {
                    const float *bi = b + (shared ? 0 : i * k * n);
                    double acc = 0, abs_sum = 0;
                    for (size_t l = 0; l < k; l++) {
                        const double prod = (double)a[(i * m + r) * k + l] *
                                            (trans ? bi[col * k + l] : bi[l * n + col]);
                        acc += prod;
                        abs_sum += fabs(prod);
                    }
                    const float got = c[(i * m + r) * n + col];
                    if (!(fabs(got - acc) <= tol_for(k, abs_sum))) {
                        ET_CHECK_MSG(0,
                                     "matmul %zu x %zux%zu . %zux%zu trans=%d shared=%d: c[%zu][%zu][%zu] = %.7g, "
                                     "want %.7g",
                                     batch, m, k, k, n, trans, shared, i, r, col, got, acc);
                        bad++;
                    }
                }
        et_aligned_free(scratch);
    }
    et_matmul_dynamic_destroy(op);
    et_aligned_free(a);
    et_aligned_free(b);
    et_aligned_free(c);
}

static void test_matmul_dynamic(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    et_threadpool_set_start_ns(pool, 0); /* split even small layers: the multi-thread path */
    for (int t = 0; t < 2; t++) {
        et_threadpool *pl = t ? pool : NULL;
        check_dynamic(1, 1, 1, 1, 0, 0, pl);
        check_dynamic(4, 17, 32, 17, 1, 0, pl); /* attention scores: Q . K^T */
        check_dynamic(4, 17, 17, 32, 0, 0, pl); /* P . V */
        check_dynamic(3, 7, 13, 37, 0, 1, pl);
        check_dynamic(2, 64, 64, 64, 1, 1, pl);
    }
    et_threadpool_destroy(pool);
}

int main(void) {
    ET_RUN(test_fully_connected);
    ET_RUN(test_matmul_dynamic);
    return et_test_done();
}
