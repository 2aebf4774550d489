/* test_f32_gemm.c: every GEMM microkernel (scalar included) against a naive double-precision product of the
 * unpacked operands, over tile-sized, tail and prime shapes, strided A and C rows, and with clamps. The packing
 * is checked by the same comparison, since the reference never sees the packed form.
 * Tolerance: |c - ref| <= 2 k eps sum_k |a b| + eps |ref|, the bound of k fp32 multiply-adds. */
#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "kernel_test.h"

static void check_gemm(const et_f32_gemm_config *cfg, int use1, size_t m, size_t n, size_t k, size_t a_stride,
                       size_t cm_stride, float cmin, float cmax) {
    const et_f32_gemm_ukernel_fn fn = use1 ? cfg->ukernel1 : cfg->ukernel;
    const size_t mr = use1 ? 1 : cfg->mr;
    float *a = kt_alloc(m * a_stride + k);
    float *b = kt_alloc(k * n), *bias = kt_alloc(n);
    float *packed = kt_alloc(et_f32_gemm_packed_floats(cfg->nr, n, k));
    float *c = kt_alloc(m * cm_stride + n);
    kt_fill(a, m * a_stride + k, -1.0f, 1.0f);
    kt_fill(b, k * n, -1.0f, 1.0f);
    kt_fill(bias, n, -1.0f, 1.0f);
    for (size_t i = 0; i < m * cm_stride + n; i++)
        c[i] = 12345.0f;
    et_f32_gemm_pack(cfg->nr, n, k, b, 1, n, bias, packed);
    const et_f32_minmax_params p = {cmin, cmax};
    for (size_t i0 = 0; i0 < m; i0 += mr) {
        const size_t rows = m - i0 < mr ? m - i0 : mr;
        fn(rows, n, k, a + i0 * a_stride, a_stride, packed, c + i0 * cm_stride, cm_stride, &p);
    }
    int bad = 0;
    for (size_t i = 0; i < m && bad < 3; i++) {
        for (size_t j = 0; j < n && bad < 3; j++) {
            const float got = c[i * cm_stride + j];
            double ref = bias[j], abs_sum = fabs(bias[j]);
            for (size_t l = 0; l < k; l++) {
                ref += (double)a[i * a_stride + l] * b[l * n + j];
                abs_sum += fabs((double)a[i * a_stride + l] * b[l * n + j]);
            }
            ref = ref < cmin ? cmin : ref > cmax ? cmax : ref;
            const double tol = 2.0 * (double)(k + 1) * 1.19e-7 * abs_sum + 1.19e-7 * fabs(ref) + 1e-30;
            if (!(fabs(got - ref) <= tol)) {
                ET_CHECK_MSG(0, "%s m=%zu n=%zu k=%zu: c[%zu][%zu] = %.9g, want %.9g (tol %.3g)",
                             use1 ? cfg->name1 : cfg->name, m, n, k, i, j, got, ref, tol);
                bad++;
            }
        }
        if (cm_stride > n && c[i * cm_stride + n] != 12345.0f && bad++ < 3) /* the column after n is untouched */
            ET_CHECK_MSG(0, "%s m=%zu n=%zu k=%zu wrote past column n at row %zu", use1 ? cfg->name1 : cfg->name, m, n,
                         k, i);
    }
    et_test_checks_++;
    et_aligned_free(a);
    et_aligned_free(b);
    et_aligned_free(bias);
    et_aligned_free(packed);
    et_aligned_free(c);
}

static void sweep(const et_f32_gemm_config *cfg) {
    const size_t mr = cfg->mr, nr = cfg->nr;
    const size_t ks[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 64, 131};
    for (int use1 = 0; use1 < 2; use1++) {
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            const size_t k = ks[ki];
            /* every row count up to 2 MR + 1, and column counts around one and two panels */
            for (size_t m = 1; m <= 2 * mr + 1; m++) {
                /* nr / 2 and nr + nr / 2 (+ 1): a last panel of exactly half width, and one past it */
                const size_t ns[] = {1,      2,           3,          nr / 2, nr / 2 + 1, nr - 1,    nr,
                                     nr + 1, nr + nr / 2, 2 * nr - 1, 2 * nr, 2 * nr + 3, 3 * nr + 5};
                for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
                    const size_t n = ns[ni];
                    if (n == 0)
                        continue;
                    check_gemm(cfg, use1, m, n, k, k, n, -INFINITY, INFINITY);
                }
            }
            /* strided rows (A and C wider than the operands), prime sizes */
            check_gemm(cfg, use1, 7, 37, k, k + 5, 41, -INFINITY, INFINITY);
            check_gemm(cfg, use1, 13, 29, k, k + 3, 31, -INFINITY, INFINITY);
        }
        /* clamps: Relu6-like and a narrow window */
        check_gemm(cfg, use1, 11, 3 * nr + 1, 67, 67, 3 * nr + 1, 0.0f, 6.0f);
        check_gemm(cfg, use1, 5, nr + 3, 23, 29, nr + 9, -0.25f, 0.3f);
        check_gemm(cfg, use1, 2 * mr, 2 * nr, 257, 257, 2 * nr, -1.0f, INFINITY);
    }
}

static void test_gemm_pack_layout(void) {
    /* 2 columns, k = 3, panels of 4: [b0 b1 0 0][w00 w10 0 0][w01 w11 0 0][w02 w12 0 0] */
    const float w[6] = {1, 2, 3, 4, 5, 6}; /* O x I: column j row i at w[j * 3 + i] */
    const float bias[2] = {-1, -2};
    float packed[16];
    ET_CHECK_INT(et_f32_gemm_packed_floats(4, 2, 3), 16);
    et_f32_gemm_pack(4, 2, 3, w, 3, 1, bias, packed);
    const float want[16] = {-1, -2, 0, 0, 1, 4, 0, 0, 2, 5, 0, 0, 3, 6, 0, 0};
    for (int i = 0; i < 16; i++)
        ET_CHECK_NEAR(packed[i], want[i], 0);
}

static void test_all_configs(void) { KT_SWEEP_CONFIGS(et_f32_gemm_config, et_f32_gemm_configs, name, sweep, 0); }

int main(void) {
    ET_RUN(test_gemm_pack_layout);
    ET_RUN(test_all_configs);
    return et_test_done();
}
