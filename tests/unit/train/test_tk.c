/* test_tk.c: the training kernels (src/train/kernels/tk.h) of every ISA this CPU runs (scalar, AVX2 on x86-64,
 * NEON on aarch64) against plain C loops written here, on lengths 0..67 (every vector tail), unaligned pointers,
 * 1..9 taps at spread offsets, with and without accumulation. taps and dots sum in another order than the loops
 * (vector lanes), so they are compared within a relative 1e-5 of the sum of magnitudes; mask, clamp and add
 * must be bit-identical, and so must gather and scatter (strides 1..3, several rows). */
#include <math.h>
#include <string.h>

#include "et_test.h"
#include "train/kernels/tk.h"

enum { MAXN = 67, MAXT = 9, SPAN = 200, PAD = 3 };

static uint32_t rng = 12345u;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f; /* [-1, 1) */
}

static void fill(float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
}

/* gather and scatter against the loops: strides 1..3, 1..3 rows, lengths 0..40 (every vector tail), unaligned
 * rows, with and without a bias / accumulation; bit-identical, and nothing outside the elements named touched
 * (the buffers are checked whole). */
static int check_gather_scatter(const et_tk_config *tk) {
    enum { LD = 3 * 41 + 5, ROWS = 3, N = LD * ROWS + 8 };
    static float x[N], y[N], yref[N];
    int bad = 0;
    for (size_t stride = 1; stride <= 3; stride++)
        for (size_t rows = 1; rows <= ROWS; rows++)
            for (size_t n = 0; n <= 40; n++)
                for (int acc = 0; acc < 2; acc++) {
                    /* gather: rows of x at stride LD, y rows at stride n + 1 (one float off alignment) */
                    const float b = acc ? 0.25f : 0.0f;
                    fill(x, N);
                    fill(y, N);
                    memcpy(yref, y, sizeof y);
                    for (size_t r = 0; r < rows; r++)
                        for (size_t t = 0; t < n; t++)
                            yref[1 + r * (n + 1) + t] = x[1 + r * LD + stride * t] + b;
                    tk->gather(y + 1, (ptrdiff_t)(n + 1), x + 1, LD, rows, n, stride, b);
                    bad += memcmp(y, yref, sizeof y) != 0;
                    /* scatter: x rows at stride n + 1 into y rows at stride LD */
                    fill(x, N);
                    fill(y, N);
                    memcpy(yref, y, sizeof y);
                    for (size_t r = 0; r < rows; r++)
                        for (size_t t = 0; t < n; t++) {
                            float *d = &yref[1 + r * LD + stride * t];
                            *d = acc ? *d + x[1 + r * (n + 1) + t] : x[1 + r * (n + 1) + t];
                        }
                    tk->scatter(y + 1, LD, x + 1, (ptrdiff_t)(n + 1), rows, n, stride, acc);
                    bad += memcmp(y, yref, sizeof y) != 0;
                }
    return bad;
}

/* Mismatches of the table against the loops. */
static int check_table(const et_tk_config *tk) {
    static float xbuf[MAXN + SPAN + PAD], dybuf[MAXN + PAD], ybuf[MAXN + PAD], yref[MAXN], wv[MAXT];
    static ptrdiff_t off[MAXT];
    /* offset by one float: the kernels must not assume alignment */
    float *x = xbuf + 1, *dy = dybuf + 1, *y = ybuf + 1;
    int bad = 0;
    for (int ntaps = 1; ntaps <= MAXT; ntaps += 2)
        for (size_t n = 0; n <= MAXN; n++)
            for (int acc = 0; acc < 2; acc++) {
                fill(xbuf, sizeof xbuf / sizeof *xbuf);
                fill(dybuf, sizeof dybuf / sizeof *dybuf);
                fill(wv, MAXT);
                for (int k = 0; k < ntaps; k++)
                    off[k] = (ptrdiff_t)((k * 37 + k * k) % SPAN);
                /* taps */
                fill(ybuf, sizeof ybuf / sizeof *ybuf);
                double scale = 0;
                for (size_t i = 0; i < n; i++) {
                    double s = acc ? y[i] : 0.0, m = acc ? fabs(y[i]) : 0.0;
                    for (int k = 0; k < ntaps; k++)
                        s += (double)wv[k] * x[i + (size_t)off[k]], m += fabs(wv[k] * x[i + (size_t)off[k]]);
                    yref[i] = (float)s;
                    scale = m > scale ? m : scale;
                }
                tk->taps(y, x, off, wv, ntaps, n, acc);
                for (size_t i = 0; i < n; i++)
                    bad += fabs(y[i] - yref[i]) > 1e-5 * (scale + 1.0);
                /* dots */
                float out[MAXT], ref[MAXT];
                fill(out, MAXT);
                memcpy(ref, out, sizeof out);
                for (int k = 0; k < ntaps; k++) {
                    double s = ref[k], m = fabs(ref[k]);
                    for (size_t i = 0; i < n; i++)
                        s += (double)dy[i] * x[i + (size_t)off[k]], m += fabs(dy[i] * x[i + (size_t)off[k]]);
                    ref[k] = (float)s;
                    scale = m;
                    tk->dots(dy, x, off + k, 1, n, out + k);
                    bad += fabs(out[k] - ref[k]) > 1e-5 * (scale + 1.0);
                }
                /* mask: the backward of Clip(-0.3, 0.4) */
                fill(ybuf, sizeof ybuf / sizeof *ybuf);
                for (size_t i = 0; i < n; i++) {
                    float g = x[i] > -0.3f && x[i] < 0.4f ? dy[i] : 0.0f;
                    yref[i] = acc ? y[i] + g : g;
                }
                tk->mask(y, dy, x, -0.3f, 0.4f, n, acc);
                bad += n && memcmp(y, yref, n * sizeof *y) != 0;
                /* clamp */
                for (size_t i = 0; i < n; i++)
                    yref[i] = fminf(fmaxf(x[i], -0.3f), 0.4f);
                tk->clamp(y, x, -0.3f, 0.4f, n);
                bad += n && memcmp(y, yref, n * sizeof *y) != 0;
                /* add */
                fill(ybuf, sizeof ybuf / sizeof *ybuf);
                for (size_t i = 0; i < n; i++)
                    yref[i] = y[i] + x[i];
                tk->add(y, x, n);
                bad += n && memcmp(y, yref, n * sizeof *y) != 0;
                /* nothing written past n */
                y[n] = 7.0f;
                tk->add(y, x, n);
                tk->clamp(y, x, -0.3f, 0.4f, n);
                tk->taps(y, x, off, wv, ntaps, n, false);
                bad += y[n] != 7.0f;
            }
    bad += check_gather_scatter(tk);
    fprintf(stderr, "  %s: %d mismatches over lengths 0..%d, 1..%d taps\n", tk->name, bad, MAXN, MAXT);
    return bad;
}

static void test_every_isa_matches_the_loops(void) {
    int tables = 0;
    for (int isa = 0; isa < ET_ISA_COUNT; isa++) {
        const et_tk_config *tk = et_tk_config_for((et_cpu_isa)isa);
        if (!tk || !et_cpu_can_run((et_cpu_isa)isa))
            continue;
        ET_CHECK_MSG(check_table(tk) == 0, "%s differs from the loops", tk->name);
        tables++;
    }
    ET_CHECK(tables >= 1);
    ET_CHECK(et_tk_config_get() != NULL);
}

/* The tolerance bites: a kernel that drops one tap is caught. */
static void broken_taps(float *y, const float *x, const ptrdiff_t *off, const float *w, int ntaps, size_t n, bool acc) {
    et_tk_scalar.taps(y, x, off, w, ntaps > 1 ? ntaps - 1 : ntaps, n, acc);
}

/* ... and a stride-2 gather that reads one column late. */
static void broken_gather(float *y, ptrdiff_t ldy, const float *x, ptrdiff_t ldx, size_t rows, size_t n, size_t stride,
                          float b) {
    et_tk_scalar.gather(y, ldy, stride == 2 ? x + 1 : x, ldx, rows, n, stride, b);
}

static void test_a_wrong_kernel_fails(void) {
    et_tk_config broken = et_tk_scalar;
    broken.taps = broken_taps;
    ET_CHECK(check_table(&broken) > 0);
    broken = et_tk_scalar;
    broken.gather = broken_gather;
    ET_CHECK(check_gather_scatter(&broken) > 0);
}

int main(void) {
    ET_RUN(test_every_isa_matches_the_loops);
    ET_RUN(test_a_wrong_kernel_fails);
    return et_test_done();
}
