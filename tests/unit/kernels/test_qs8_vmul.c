/* test_qs8_vmul.c: the int8 multiply kernels (qs8-vmul.h). The scalar kernel against qc8-ref's et_qc8_mul_ref
 * (zero points at the ends, saturating products, clamps); every other config this CPU runs against the scalar one,
 * bit for bit, over lengths 0..70 and 1000 (vector widths and tails), b a vector or one broadcast element, in
 * place too, and the extreme products (zero points and inputs at -128 and 127: (-128 - 127)(127 + 128)); and one
 * hand-computed case, so a kernel and a reference wrong the same way still fail. The rows form (one gate row for
 * many rows) of every config, scalar included, against et_qc8_mul_ref row by row: odd and 16-multiple channel
 * counts, one to 3136 rows, in place. */
#include <string.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/kernels/qs8-vmul/qs8-vmul.h"
#include "kernel_test.h"

static const et_qs8_vmul_config *scalar_mul(void) {
    size_t n;
    const et_qs8_vmul_config *c = et_qs8_vmul_configs(&n);
    return &c[n - 1];
}

/* Random parameters: scales from 1/512 to 1, zero points over the whole int8 range, sometimes a Relu-like clamp. */
static void random_params(et_qs8_mul_params *k, et_qc8_mul_params *q) {
    const float sa = (float)(1 + kt_rand_u32() % 512) / 512.0f, sb = (float)(1 + kt_rand_u32() % 512) / 512.0f;
    const float sy = (float)(1 + kt_rand_u32() % 512) / 512.0f;
    q->a_zp = (int32_t)(kt_rand_u32() % 256) - 128;
    q->b_zp = (int32_t)(kt_rand_u32() % 256) - 128;
    q->y_zp = (int32_t)(kt_rand_u32() % 256) - 128;
    q->qmin = kt_rand_u32() % 3 == 0 ? q->y_zp : -128;
    q->qmax = 127;
    et_qs8_mul_params_init(k, sa, q->a_zp, sb, q->b_zp, sy, q->y_zp, q->qmin, q->qmax);
    q->mult = k->mult;
}

static void test_hand_computed(void) {
    /* s_a 0.5, s_b 0.25, s_y 0.125: mult 1; (10 - 2)(5 - 1) = 32 -> 32 + 3 = 35; (-100 - 2)(127 - 1) saturates */
    et_qs8_mul_params k;
    et_qs8_mul_params_init(&k, 0.5f, 2, 0.25f, 1, 0.125f, 3, -128, 127);
    const int8_t a[2] = {10, -100}, b[2] = {5, 127};
    int8_t y[2];
    scalar_mul()->ukernel(2, a, b, 0, y, &k);
    ET_CHECK(y[0] == 35 && y[1] == -128);
}

static void test_scalar_is_reference(void) {
    enum { N = 4096 };
    int8_t a[N], b[N], want[N], got[N];
    for (int round = 0; round < 20; round++) {
        et_qs8_mul_params k;
        et_qc8_mul_params q;
        random_params(&k, &q);
        for (int i = 0; i < N; i++) {
            a[i] = (int8_t)(i & 255); /* every value of a against random b, and the extremes */
            b[i] = (int8_t)(kt_rand_u32() & 255);
        }
        b[0] = -128, b[1] = 127;
        for (int bs = 0; bs < 2; bs++) {
            et_qc8_mul_ref(&q, N, a, 1, b, bs ? 0 : 1, want);
            scalar_mul()->ukernel(N, a, b, bs, got, &k);
            ET_CHECK_MSG(memcmp(want, got, N) == 0, "round %d b_scalar %d", round, bs);
        }
    }
}

static void test_configs_match_scalar(void) {
    size_t n_cfg;
    const et_qs8_vmul_config *cfg = et_qs8_vmul_configs(&n_cfg);
    enum { MAX = 1000 };
    int8_t a[MAX], b[MAX], y1[MAX + 32], y2[MAX + 32], inplace[MAX];
    for (size_t ci = 0; ci + 1 < n_cfg; ci++) {
        const et_qs8_vmul_config *c = &cfg[ci];
        if (!et_kreq_runnable(c->req)) {
            fprintf(stderr, "skip %s: this CPU lacks %s\n", c->name, et_kreq_name(c->req));
            continue;
        }
        for (size_t len = 0; len <= MAX; len = len < 70 ? len + 1 : MAX + 1) {
            const size_t n = len > MAX ? MAX : len;
            for (int bs = 0; bs < 2; bs++) {
                et_qs8_mul_params k;
                et_qc8_mul_params q;
                random_params(&k, &q);
                for (size_t i = 0; i < n; i++) {
                    a[i] = (int8_t)(kt_rand_u32() & 255);
                    b[i] = (int8_t)(kt_rand_u32() & 255);
                }
                if (n == 0)
                    b[0] = 0;
                memset(y1, 0x55, sizeof y1);
                memset(y2, 0x55, sizeof y2);
                scalar_mul()->ukernel(n, a, b, bs, y1, &k);
                c->ukernel(n, a, b, bs, y2, &k);
                ET_CHECK_MSG(memcmp(y1, y2, sizeof y1) == 0, "%s length %zu b_scalar %d (or wrote past the end)",
                             c->name, n, bs);
                memcpy(inplace, a, n);
                c->ukernel(n, inplace, b, bs, inplace, &k);
                ET_CHECK_MSG(memcmp(y1, inplace, n) == 0, "%s in place, length %zu", c->name, n);
            }
        }
    }
}

/* Zero points and inputs at the ends of int8 (products up to 255^2 either sign) and ties of the rounding
 * (mult 0.5: odd products land on .5), every config against the scalar one, 37 elements (a step and a tail); an
 * input zero point of 40000, which no int8 tensor has (and int16 cannot hold), must give the scalar bytes too
 * (NEON hands it to scalar). */
static void test_configs_extremes(void) {
    size_t n_cfg;
    const et_qs8_vmul_config *cfg = et_qs8_vmul_configs(&n_cfg);
    static const int8_t ends[] = {-128, -127, -1, 0, 1, 126, 127};
    static const int32_t zps[] = {-128, 0, 127, 40000};
    static const float mults[] = {0.5f, 1.0f / 512, 3.0f};
    enum { N = 37 };
    int8_t a[N], b[N], y1[N], y2[N];
    for (size_t i = 0; i < N; i++) {
        a[i] = ends[i % 7];
        b[i] = ends[(i / 7 + i) % 7];
    }
    for (size_t ci = 0; ci + 1 < n_cfg; ci++) {
        const et_qs8_vmul_config *c = &cfg[ci];
        if (!et_kreq_runnable(c->req))
            continue;
        for (int za = 0; za < 4; za++)
            for (int zb = 0; zb < 4; zb++)
                for (int zy = 0; zy < 3; zy++)
                    for (int im = 0; im < 3; im++)
                        for (int bs = 0; bs < 2; bs++) {
                            et_qs8_mul_params k;
                            et_qs8_mul_params_init(&k, 1.0f, zps[za], 1.0f, zps[zb], 1.0f, zps[zy], -128, 127);
                            k.mult = mults[im];
                            scalar_mul()->ukernel(N, a, b, bs, y1, &k);
                            c->ukernel(N, a, b, bs, y2, &k);
                            ET_CHECK_MSG(memcmp(y1, y2, N) == 0, "%s zero points %d %d %d mult %g b_scalar %d", c->name,
                                         zps[za], zps[zb], zps[zy], (double)mults[im], bs);
                        }
    }
}

/* The rows form of every config against the reference row by row, out of place and in place (y == a); the bytes
 * after the last row must stay untouched. */
static void test_rows_match_reference(void) {
    size_t n_cfg;
    const et_qs8_vmul_config *cfg = et_qs8_vmul_configs(&n_cfg);
    static const size_t chans[] = {1, 5, 15, 16, 17, 23, 31, 32, 33, 48, 72, 120};
    static const size_t nrows[] = {1, 2, 7, 50};
    enum { MAX = 3136 * 16 };
    static int8_t a[MAX], b[120], want[MAX + 32], got[MAX + 32];
    for (size_t ci = 0; ci < n_cfg; ci++) {
        const et_qs8_vmul_config *c = &cfg[ci];
        if (!et_kreq_runnable(c->req))
            continue;
        for (size_t ic = 0; ic <= sizeof chans / sizeof chans[0]; ic++)
            for (size_t ir = 0; ir < sizeof nrows / sizeof nrows[0]; ir++) {
                /* the last round: MobileNetV3-Small's first SE block, 56 x 56 rows of 16 channels */
                const int big = ic == sizeof chans / sizeof chans[0];
                const size_t n = big ? 16 : chans[ic], rows = big ? 3136 : nrows[ir];
                et_qs8_mul_params k;
                et_qc8_mul_params q;
                random_params(&k, &q);
                for (size_t i = 0; i < rows * n; i++)
                    a[i] = (int8_t)(kt_rand_u32() & 255);
                for (size_t i = 0; i < n; i++)
                    b[i] = (int8_t)(kt_rand_u32() & 255);
                memset(want, 0x55, sizeof want);
                memset(got, 0x55, sizeof got);
                for (size_t r = 0; r < rows; r++)
                    et_qc8_mul_ref(&q, n, a + r * n, 1, b, 1, want + r * n);
                c->rows(rows, n, a, b, got, &k);
                ET_CHECK_MSG(memcmp(want, got, sizeof want) == 0, "%s rows %zu of %zu (or wrote past the end)", c->name,
                             rows, n);
                c->rows(rows, n, a, b, a, &k);
                ET_CHECK_MSG(memcmp(want, a, rows * n) == 0, "%s in place, rows %zu of %zu", c->name, rows, n);
                if (big)
                    break;
            }
    }
}

int main(void) {
    ET_RUN(test_hand_computed);
    ET_RUN(test_scalar_is_reference);
    ET_RUN(test_configs_match_scalar);
    ET_RUN(test_configs_extremes);
    ET_RUN(test_rows_match_reference);
    return et_test_done();
}
