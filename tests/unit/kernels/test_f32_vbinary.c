/* test_f32_vbinary.c: the elementwise binary kernels. The scalar kernel is checked against double-precision
 * arithmetic (correctly rounded ops: 0.5 ulp); every SIMD kernel must match the scalar kernel bit for bit (every
 * op here is correctly rounded in IEEE arithmetic) for every operation, with b a vector or a scalar, clamped and
 * not, over lengths 1..70 (every tail) and 1000, in place on a and on b, and must not write past n. */
#include "engine/kernels/f32-vbinary/f32-vbinary.h"
#include "kernel_test.h"

static double reference(et_binary_op op, double a, double b) {
    switch (op) {
    case ET_BINARY_ADD: return a + b;
    case ET_BINARY_SUB: return a - b;
    case ET_BINARY_MUL: return a * b;
    case ET_BINARY_DIV: return a / b;
    case ET_BINARY_MAX: return a > b ? a : b;
    case ET_BINARY_MIN: return a < b ? a : b;
    case ET_BINARY_RSUB: return b - a;
    case ET_BINARY_RDIV: return b / a;
    default: return NAN;
    }
}

static void fill_nonzero(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        x[i] = kt_rand_f32(0.1f, 4.0f);
        if (kt_rand_u32() & 1)
            x[i] = -x[i];
    }
}

static void test_scalar_vs_double(void) {
    enum { N = 4096 };
    float *a = kt_alloc(N), *b = kt_alloc(N), *y = kt_alloc(N);
    fill_nonzero(a, N);
    fill_nonzero(b, N);
    const et_f32_minmax_params none = {-INFINITY, INFINITY}, relu6 = {0.0f, 6.0f};
    for (int op = 0; op < ET_BINARY_COUNT; op++)
        for (int bs = 0; bs < 2; bs++)
            for (int clamp = 0; clamp < 2; clamp++) {
                et_f32_vbinary_ukernel_x1__scalar((et_binary_op)op, N, a, b, bs, y, clamp ? &relu6 : &none);
                int bad = 0;
                for (size_t i = 0; i < N && bad < 3; i++) {
                    double ref = reference((et_binary_op)op, a[i], bs ? b[0] : b[i]);
                    if (clamp)
                        ref = ref < 0 ? 0 : ref > 6 ? 6 : ref;
                    if (!(fabs(y[i] - ref) <= 6e-8 * fabs(ref))) {
                        ET_CHECK_MSG(0, "%s(%.9g, %.9g) = %.9g, want %.9g", et_binary_op_name((et_binary_op)op), a[i],
                                     bs ? b[0] : b[i], y[i], ref);
                        bad++;
                    }
                }
                et_test_checks_++;
            }
    et_aligned_free(a);
    et_aligned_free(b);
    et_aligned_free(y);
}

static void sweep(const et_f32_vbinary_config *cfg) {
    enum { MAXN = 1000 };
    float *a = kt_alloc(MAXN + 1), *b = kt_alloc(MAXN + 1), *want = kt_alloc(MAXN + 1), *got = kt_alloc(MAXN + 1);
    const et_f32_minmax_params none = {-INFINITY, INFINITY}, window = {-1.5f, 2.0f};
    for (int op = 0; op < ET_BINARY_COUNT; op++)
        for (int bs = 0; bs < 2; bs++)
            for (size_t n = 1; n <= MAXN; n = n < 70 ? n + 1 : n == 70 ? MAXN : MAXN + 1) { /* 1..70, 1000 */
                const et_f32_minmax_params *p = n % 3 == 0 ? &window : &none;
                fill_nonzero(a, n);
                fill_nonzero(b, n);
                et_f32_vbinary_ukernel_x1__scalar((et_binary_op)op, n, a, b, bs, want, p);
                got[n] = 777.0f;
                const int mode = n % 4; /* 0, 1: out of place; 2: in place on a; 3: in place on b */
                if (mode == 2 || (mode == 3 && bs)) {
                    for (size_t i = 0; i < n; i++)
                        got[i] = a[i];
                    cfg->ukernel((et_binary_op)op, n, got, b, bs, got, p);
                } else if (mode == 3) {
                    for (size_t i = 0; i < n; i++)
                        got[i] = b[i];
                    cfg->ukernel((et_binary_op)op, n, a, got, bs, got, p);
                } else {
                    cfg->ukernel((et_binary_op)op, n, a, b, bs, got, p);
                }
                int bad = 0;
                for (size_t i = 0; i < n && bad < 3; i++)
                    if (got[i] != want[i]) {
                        ET_CHECK_MSG(0, "%s %s%s n=%zu mode %d: [%zu] got %.9g want %.9g", cfg->name,
                                     et_binary_op_name((et_binary_op)op), bs ? "c" : "", n, mode, i, got[i], want[i]);
                        bad++;
                    }
                ET_CHECK_MSG(got[n] == 777.0f, "%s %s n=%zu wrote past the end", cfg->name,
                             et_binary_op_name((et_binary_op)op), n);
            }
    et_aligned_free(a);
    et_aligned_free(b);
    et_aligned_free(want);
    et_aligned_free(got);
}

static void test_all_configs(void) { KT_SWEEP_CONFIGS(et_f32_vbinary_config, et_f32_vbinary_configs, name, sweep, 1); }

int main(void) {
    ET_RUN(test_scalar_vs_double);
    ET_RUN(test_all_configs);
    return et_test_done();
}
