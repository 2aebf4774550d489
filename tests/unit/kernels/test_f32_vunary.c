/* test_f32_vunary.c: the unary (activation) kernels. The scalar kernel is checked against libm in double
 * precision (sigmoid and tanh to 1e-6 relative, or 1e-30 absolute where the result is below the float
 * denormal range; the piecewise-linear ops to 3 ulp); every SIMD kernel is checked against the scalar kernel
 * (4e-7 relative: the same formula with the same FMAs) over lengths 1..70 (every tail) and 1000, in place too,
 * including the boundary values of each approximation. */
#include <math.h>

#include "engine/kernels/f32-vunary/f32-vunary.h"
#include "kernel_test.h"

static const float special[] = {0.0f,   -0.0f,  1e-30f, -1e-30f, 1e-4f,  -1e-4f,  0.4999f, 0.5f,  -0.5f,  0.5001f,
                                -3.0f,  3.0f,   -2.9f,  6.0f,    -6.0f,  9.0f,    -9.0f,   20.0f, -20.0f, 87.0f,
                                -87.0f, -87.4f, 88.0f,  -88.0f,  100.0f, -100.0f, 1e30f,   -1e30f};
enum { NSPECIAL = sizeof special / sizeof special[0] };

static double reference(et_unary_op op, double x, const et_f32_unary_params *p) {
    switch (op) {
    case ET_UNARY_CLAMP: return x < p->min ? p->min : x > p->max ? p->max : x;
    case ET_UNARY_HSWISH: return x * fmin(fmax(x + 3.0, 0.0), 6.0) / 6.0;
    case ET_UNARY_HSIGMOID: return fmin(fmax(p->alpha * x + p->beta, 0.0), 1.0);
    case ET_UNARY_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ET_UNARY_TANH: return tanh(x);
    case ET_UNARY_LRELU: return x < 0 ? p->alpha * x : x;
    default: return NAN;
    }
}

static void fill_inputs(float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = i % 3 == 0 ? special[kt_rand_u32() % NSPECIAL] : kt_rand_f32(-12.0f, 12.0f);
}

static void test_scalar_vs_libm(void) {
    const et_f32_unary_params p = {-0.7f, 2.5f, 0.2f, 0.5f};
    enum { N = 20000 };
    float *x = kt_alloc(N), *y = kt_alloc(N);
    fill_inputs(x, N);
    for (size_t i = 0; i < NSPECIAL; i++)
        x[i] = special[i];
    for (int op = 0; op < ET_UNARY_COUNT; op++) {
        et_f32_vunary_ukernel_x1__scalar((et_unary_op)op, N, x, y, &p);
        int bad = 0;
        for (size_t i = 0; i < N && bad < 3; i++) {
            const double ref = reference((et_unary_op)op, x[i], &p);
            const double rel = (op == ET_UNARY_SIGMOID || op == ET_UNARY_TANH) ? 1e-6
                                                                               : 3.6e-7; /* two or three roundings */
            const double tol = rel * fabs(ref) + 1e-30;
            if (!(fabs(y[i] - ref) <= tol)) {
                ET_CHECK_MSG(0, "%s(%.9g) = %.9g, want %.9g", et_unary_op_name((et_unary_op)op), x[i], y[i], ref);
                bad++;
            }
        }
        et_test_checks_++;
    }
    et_aligned_free(x);
    et_aligned_free(y);
}

static void sweep(const et_f32_vunary_config *cfg) {
    const et_f32_unary_params p = {-0.7f, 2.5f, 1.0f / 6.0f, 0.5f};
    enum { MAXN = 1000 };
    float *x = kt_alloc(MAXN + 1), *want = kt_alloc(MAXN + 1), *got = kt_alloc(MAXN + 1);
    for (int op = 0; op < ET_UNARY_COUNT; op++) {
        for (size_t n = 1; n <= MAXN; n = n < 70 ? n + 1 : n == 70 ? MAXN : MAXN + 1) { /* 1..70, 1000 */
            fill_inputs(x, n);
            x[n] = got[n] = 777.0f;
            et_f32_vunary_ukernel_x1__scalar((et_unary_op)op, n, x, want, &p);
            const int in_place = n % 2;
            if (in_place) {
                for (size_t i = 0; i < n; i++)
                    got[i] = x[i];
                cfg->ukernel((et_unary_op)op, n, got, got, &p);
            } else {
                cfg->ukernel((et_unary_op)op, n, x, got, &p);
            }
            int bad = 0;
            for (size_t i = 0; i < n && bad < 3; i++)
                if (!(fabs(got[i] - want[i]) <= 4e-7 * fabs(want[i]) + 1e-30)) {
                    ET_CHECK_MSG(0, "%s %s n=%zu (%s): x=%.9g got %.9g want %.9g", cfg->name,
                                 et_unary_op_name((et_unary_op)op), n, in_place ? "in place" : "out of place", x[i],
                                 got[i], want[i]);
                    bad++;
                }
            ET_CHECK_MSG(got[n] == 777.0f, "%s %s n=%zu wrote past the end", cfg->name,
                         et_unary_op_name((et_unary_op)op), n);
        }
    }
    et_aligned_free(x);
    et_aligned_free(want);
    et_aligned_free(got);
}

static void test_all_configs(void) { KT_SWEEP_CONFIGS(et_f32_vunary_config, et_f32_vunary_configs, name, sweep, 1); }

int main(void) {
    ET_RUN(test_scalar_vs_libm);
    ET_RUN(test_all_configs);
    return et_test_done();
}
