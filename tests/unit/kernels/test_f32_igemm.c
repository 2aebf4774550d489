/* test_f32_igemm.c: every indirect-GEMM microkernel against a naive double-precision sum over the rows its
 * indirection buffer names: random rows of an input pool, some taps on the zero buffer (which must not be
 * offset), a non-zero a_offset, tails in rows, columns, channels and taps, and clamps.
 * Tolerance: the bound of ks*kc fp32 multiply-adds, as in test_f32_gemm. */
#include <stdint.h>

#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "kernel_test.h"

static void check_igemm(const et_f32_igemm_config *cfg, size_t mr, size_t n, size_t kc, size_t ks, size_t cm_stride,
                        float cmin, float cmax) {
    const size_t MR = cfg->mr, pool_rows = 17, offset_rows = 3;
    float *pool = kt_alloc((pool_rows + offset_rows) * kc);
    float *zero = kt_alloc(kc);
    float *w = kt_alloc(n * kc * ks), *bias = kt_alloc(n);
    float *packed = kt_alloc(et_f32_igemm_packed_floats(cfg->nr, n, ks, kc));
    float *c = kt_alloc(MR * cm_stride + n);
    const float **ind = malloc(ks * MR * sizeof *ind);
    kt_fill(pool, (pool_rows + offset_rows) * kc, -1.0f, 1.0f);
    for (size_t i = 0; i < kc; i++)
        zero[i] = 0.0f;
    kt_fill(w, n * kc * ks, -1.0f, 1.0f);
    kt_fill(bias, n, -1.0f, 1.0f);
    for (size_t i = 0; i < MR * cm_stride + n; i++)
        c[i] = 12345.0f;
    /* pointers name rows 0..pool_rows-1; a_offset moves them offset_rows further */
    for (size_t t = 0; t < ks; t++)
        for (size_t i = 0; i < MR; i++)
            ind[t * MR + i] = (kt_rand_u32() % 5 == 0) ? zero : pool + (kt_rand_u32() % pool_rows) * kc;
    const size_t a_offset = offset_rows * kc * sizeof(float);
    et_f32_igemm_pack_oihw(cfg->nr, n, ks, kc, w, bias, packed);
    const et_f32_minmax_params p = {cmin, cmax};
    cfg->ukernel(mr, n, kc, ks, ind, packed, c, cm_stride, a_offset, zero, &p);
    int bad = 0;
    for (size_t i = 0; i < mr && bad < 3; i++) {
        for (size_t j = 0; j < n && bad < 3; j++) {
            double ref = bias[j], abs_sum = fabs(bias[j]);
            for (size_t t = 0; t < ks; t++) {
                const float *row = ind[t * MR + i];
                if (row != zero)
                    row += offset_rows * kc;
                for (size_t k = 0; k < kc; k++) {
                    const double prod = (double)row[k] * w[(j * kc + k) * ks + t];
                    ref += prod;
                    abs_sum += fabs(prod);
                }
            }
            ref = ref < cmin ? cmin : ref > cmax ? cmax : ref;
            const double tol = 2.0 * (double)(ks * kc + 1) * 1.19e-7 * abs_sum + 1.19e-7 * fabs(ref);
            const float got = c[i * cm_stride + j];
            if (!(fabs(got - ref) <= tol)) {
                ET_CHECK_MSG(0, "%s mr=%zu n=%zu kc=%zu ks=%zu: c[%zu][%zu] = %.9g, want %.9g", cfg->name, mr, n, kc,
                             ks, i, j, got, ref);
                bad++;
            }
        }
        if (cm_stride > n)
            ET_CHECK_MSG(c[i * cm_stride + n] == 12345.0f, "%s wrote past column %zu", cfg->name, n);
    }
    for (size_t i = mr; i < MR; i++) /* rows past mr must stay untouched */
        for (size_t j = 0; j < n; j++)
            if (c[i * cm_stride + j] != 12345.0f && bad++ < 3)
                ET_CHECK_MSG(0, "%s mr=%zu wrote row %zu", cfg->name, mr, i);
    et_test_checks_++;
    free(ind);
    et_aligned_free(pool);
    et_aligned_free(zero);
    et_aligned_free(w);
    et_aligned_free(bias);
    et_aligned_free(packed);
    et_aligned_free(c);
}

static void sweep(const et_f32_igemm_config *cfg) {
    const size_t nr = cfg->nr;
    const size_t kcs[] = {1, 2, 3, 5, 8, 16, 19, 32};
    const size_t kss[] = {1, 2, 4, 9, 25};
    for (size_t a = 0; a < sizeof kcs / sizeof kcs[0]; a++)
        for (size_t b = 0; b < sizeof kss / sizeof kss[0]; b++)
            for (size_t mr = 1; mr <= cfg->mr; mr++) {
                const size_t ns[] = {1, nr / 2, nr - 1, nr, nr + 1, nr + nr / 2, 2 * nr + 3};
                for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
                    if (ns[ni] > 0)
                        check_igemm(cfg, mr, ns[ni], kcs[a], kss[b], ns[ni] + 3, -INFINITY, INFINITY);
            }
    check_igemm(cfg, cfg->mr, 3 * nr + 7, 13, 9, 3 * nr + 7, 0.0f, 6.0f);
    check_igemm(cfg, cfg->mr - 1, nr + 1, 7, 5, nr + 2, -0.2f, 0.1f);
}

static void test_all_configs(void) { KT_SWEEP_CONFIGS(et_f32_igemm_config, et_f32_igemm_configs, name, sweep, 0); }

int main(void) {
    ET_RUN(test_all_configs);
    return et_test_done();
}
