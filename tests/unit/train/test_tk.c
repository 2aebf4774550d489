/* test_tk.c: the training kernels (src/train/kernels/tk.h) of every ISA this CPU runs (scalar, AVX2 on x86-64,
 * NEON on aarch64) against plain C loops written here: mask, clamp and add on lengths 0..67 (every vector tail)
 * and unaligned pointers, bit-identical; the depthwise block kernels (transposes in and out of pixel-major blocks
 * bit-identical, with every channel count 1..8 and nothing outside the elements named touched; forward, weight
 * and input gradients at strides 1..3, dilations 1..2, 1x1 to 5x5 and 2x3 kernels, within a relative 1e-5 of the
 * sum of magnitudes, since FMA contraction rounds differently per ISA); the GEMM with B rows at offsets where a
 * table has one (AVX2), and its dot-product GEMM over segments, against double loops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "et_test.h"
#include "train/kernels/tk.h"

enum { MAXN = 67, PAD = 3 };

static uint32_t rng = 12345u;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f; /* [-1, 1) */
}

static void fill(float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
}

/* hwc_in and hwc_out against the loops: 1..8 channels, 1..4 rows, 0..19 columns (every count of pixels modulo
 * 8 for the transposes of 8 pixels), planes at an odd stride, block rows padded, unaligned, with and without
 * accumulation; bit-identical, and nothing outside the elements named touched (the buffers are checked whole). */
static int check_transposes(const et_tk_config *tk) {
    enum { PLANE = 4 * 19 + 3, LDR = 21 * ET_TK_CB + 3, N = 8 * PLANE + 8, M = 4 * LDR + 8 };
    static float x[N], y[N], yref[N], b[M], bref[M];
    int bad = 0;
    for (size_t nch = 1; nch <= ET_TK_CB; nch++)
        for (size_t rows = 1; rows <= 4; rows++)
            for (size_t cols = 0; cols < 20; cols++)
                for (int acc = 0; acc < 2; acc++) {
                    fill(x, N);
                    fill(b, M);
                    memcpy(bref, b, sizeof b);
                    for (size_t r = 0; r < rows; r++)
                        for (size_t c = 0; c < cols; c++)
                            for (size_t l = 0; l < ET_TK_CB; l++)
                                bref[1 + r * LDR + c * ET_TK_CB + l] = l < nch ? x[1 + l * PLANE + r * cols + c] : 0.0f;
                    tk->hwc_in(b + 1, LDR, x + 1, PLANE, nch, rows, cols);
                    bad += memcmp(b, bref, sizeof b) != 0;
                    fill(y, N);
                    memcpy(yref, y, sizeof y);
                    for (size_t r = 0; r < rows; r++)
                        for (size_t c = 0; c < cols; c++)
                            for (size_t l = 0; l < nch; l++) {
                                float *d = &yref[1 + l * PLANE + r * cols + c];
                                *d = (acc ? *d : 0.0f) + b[1 + r * LDR + c * ET_TK_CB + l];
                            }
                    tk->hwc_out(y + 1, PLANE, b + 1, LDR, nch, rows, cols, acc);
                    bad += memcmp(y, yref, sizeof y) != 0;
                }
    return bad;
}

/* The padded pixel tap (ky, kx) of output pixel (oy, ox) reads: its first lane. */
static size_t tap_at(const et_tk_dw *g, size_t oy, size_t ox, size_t ky, size_t kx) {
    return ((oy * g->sh + ky * g->dh) * g->wp + ox * g->sw + kx * g->dw) * ET_TK_CB;
}

static int close_to(float got, double want, double scale) { return fabs(got - want) <= 1e-5 * (scale + 1.0); }

/* dw_fwd, dw_wgrad and dw_dgrad against loops in double, for one geometry (the padded block exactly as large as
 * the taps reach), with a bias and without, accumulating into random gradients. */
static int check_dw_geometry(const et_tk_config *tk, et_tk_dw g) {
    const size_t kk = g.kh * g.kw, hp = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    g.wp = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
    const size_t np = hp * g.wp * ET_TK_CB, no = g.oh * g.ow * ET_TK_CB, nw = kk * ET_TK_CB;
    float *xp = malloc((np + 1) * sizeof *xp), *dxp = malloc((np + 1) * sizeof *xp),
          *out = malloc((no + 2) * sizeof *xp);
    float *gy = malloc((no + 1) * sizeof *xp), *w = malloc((nw + 1) * sizeof *xp), *dw = malloc((nw + 1) * sizeof *xp);
    double *ref = calloc(np + no + nw, sizeof *ref), *mag = calloc(np + no + nw, sizeof *mag);
    float bias[ET_TK_CB + 1], db[ET_TK_CB + 1];
    int bad = 0;
    /* unaligned by one float */
    fill(xp, np + 1), fill(gy, no + 1), fill(w, nw + 1), fill(bias, ET_TK_CB + 1);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const float *b = with_bias ? bias + 1 : NULL;
        out[no + 1] = 7.0f;
        tk->dw_fwd(out + 1, xp + 1, w + 1, b, &g);
        bad += out[no + 1] != 7.0f;
        for (size_t oy = 0; oy < g.oh; oy++)
            for (size_t ox = 0; ox < g.ow; ox++)
                for (size_t l = 0; l < ET_TK_CB; l++) {
                    double s = b ? b[l] : 0.0, m = fabs(s);
                    for (size_t ky = 0; ky < g.kh; ky++)
                        for (size_t kx = 0; kx < g.kw; kx++) {
                            double t = (double)w[1 + (ky * g.kw + kx) * ET_TK_CB + l] *
                                       xp[1 + tap_at(&g, oy, ox, ky, kx) + l];
                            s += t, m += fabs(t);
                        }
                    bad += !close_to(out[1 + (oy * g.ow + ox) * ET_TK_CB + l], s, m);
                }
    }
    /* weight gradient, accumulating */
    fill(dw, nw + 1), fill(db, ET_TK_CB + 1);
    for (size_t i = 0; i < nw; i++)
        ref[i] = dw[1 + i], mag[i] = fabs(dw[1 + i]);
    double rdb[ET_TK_CB], mdb[ET_TK_CB];
    for (size_t l = 0; l < ET_TK_CB; l++)
        rdb[l] = db[1 + l], mdb[l] = fabs(db[1 + l]);
    for (size_t oy = 0; oy < g.oh; oy++)
        for (size_t ox = 0; ox < g.ow; ox++)
            for (size_t l = 0; l < ET_TK_CB; l++) {
                const double gv = gy[1 + (oy * g.ow + ox) * ET_TK_CB + l];
                rdb[l] += gv, mdb[l] += fabs(gv);
                for (size_t ky = 0; ky < g.kh; ky++)
                    for (size_t kx = 0; kx < g.kw; kx++) {
                        const size_t i = (ky * g.kw + kx) * ET_TK_CB + l;
                        const double t = gv * xp[1 + tap_at(&g, oy, ox, ky, kx) + l];
                        ref[i] += t, mag[i] += fabs(t);
                    }
            }
    tk->dw_wgrad(dw + 1, db + 1, gy + 1, xp + 1, &g);
    for (size_t i = 0; i < nw; i++)
        bad += !close_to(dw[1 + i], ref[i], mag[i]);
    for (size_t l = 0; l < ET_TK_CB; l++)
        bad += !close_to(db[1 + l], rdb[l], mdb[l]);
    /* input gradient, accumulating into the padded block */
    fill(dxp, np + 1);
    for (size_t i = 0; i < np; i++)
        ref[i] = dxp[1 + i], mag[i] = fabs(dxp[1 + i]);
    for (size_t oy = 0; oy < g.oh; oy++)
        for (size_t ox = 0; ox < g.ow; ox++)
            for (size_t ky = 0; ky < g.kh; ky++)
                for (size_t kx = 0; kx < g.kw; kx++)
                    for (size_t l = 0; l < ET_TK_CB; l++) {
                        const size_t i = tap_at(&g, oy, ox, ky, kx) + l;
                        const double t = (double)w[1 + (ky * g.kw + kx) * ET_TK_CB + l] *
                                         gy[1 + (oy * g.ow + ox) * ET_TK_CB + l];
                        ref[i] += t, mag[i] += fabs(t);
                    }
    tk->dw_dgrad(dxp + 1, gy + 1, w + 1, &g);
    for (size_t i = 0; i < np; i++)
        bad += !close_to(dxp[1 + i], ref[i], mag[i]);
    free(xp), free(dxp), free(out), free(gy), free(w), free(dw), free(ref), free(mag);
    return bad;
}

/* Every geometry of the depthwise kernels: 3x3 (the unrolled path) and others, strides 1..3, dilations. */
static int check_dw(const et_tk_config *tk) {
    static const et_tk_dw geoms[] = {
        {.oh = 4, .ow = 4, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1},
        {.oh = 7, .ow = 5, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .dh = 1, .dw = 1},
        {.oh = 3, .ow = 4, .kh = 3, .kw = 3, .sh = 3, .sw = 1, .dh = 2, .dw = 1},
        {.oh = 5, .ow = 6, .kh = 5, .kw = 5, .sh = 1, .sw = 2, .dh = 1, .dw = 2},
        {.oh = 2, .ow = 9, .kh = 2, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1},
        {.oh = 6, .ow = 3, .kh = 1, .kw = 1, .sh = 2, .sw = 3, .dh = 1, .dw = 1},
        {.oh = 1, .ow = 1, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof geoms / sizeof *geoms; i++)
        bad += check_dw_geometry(tk, geoms[i]);
    return bad;
}

/* gemm_boff (where the table has one) against double loops: 1..6 rows, 1..16 columns, depths 1, 7 and 37, the B
 * rows at scattered, overlapping, unaligned offsets, contiguous (ldr 0) and as 4 rows of 4 (ldr 9), output rows at
 * a stride wider than 16 with a sentinel after the nc columns of each row and after the mr rows (nothing else
 * written). Within a relative 1e-5 of the sum of magnitudes (FMA rounds differently). Returns mismatches. */
static int check_gemm_boff(const et_tk_config *tk) {
    enum { KMAX = 37, LDA = KMAX + 3, BN = 300, LDC = 21 };
    static float a[6 * LDA], b[BN], c[7 * LDC];
    static ptrdiff_t off[KMAX];
    int bad = 0;
    if (!tk->gemm_boff)
        return 0;
    static const size_t depths[] = {1, 7, KMAX}, ldrs[] = {0, 9};
    for (size_t li = 0; li < 2; li++)
        for (size_t di = 0; di < 3; di++)
            for (size_t mr = 1; mr <= 6; mr++)
                for (size_t nc = 1; nc <= 16; nc++) {
                    const size_t kc = depths[di], ldr = ldrs[li];
                    fill(a, 6 * LDA);
                    fill(b, BN);
                    for (size_t k = 0; k < kc; k++)
                        off[k] = (ptrdiff_t)((k * 37 + mr * 5 + nc) % (BN - 31));
                    for (size_t i = 0; i < 7 * LDC; i++)
                        c[i] = 7.0f;
                    tk->gemm_boff(mr, nc, kc, a, LDA, b, off, ldr, c, LDC);
                    for (size_t i = 0; i < 7; i++)
                        for (size_t j = 0; j < LDC; j++) {
                            if (i >= mr || j >= nc) {
                                bad += c[i * LDC + j] != 7.0f;
                                continue;
                            }
                            const ptrdiff_t col = ldr ? (ptrdiff_t)(j / 4 * ldr + j % 4) : (ptrdiff_t)j;
                            double want = a[i * LDA + kc], mag = fabs(want);
                            for (size_t k = 0; k < kc; k++) {
                                want += (double)a[i * LDA + k] * b[off[k] + col];
                                mag += fabs((double)a[i * LDA + k] * b[off[k] + col]);
                            }
                            bad += !close_to(c[i * LDC + j], want, mag);
                        }
                }
    return bad;
}

/* gemm_nt (where the table has one) against double loops: 1..4 rows of a, 1..3 of b, depths 8 and 24, 1 and 3
 * segments, written and accumulated, c at strides (1, 5) with a sentinel everywhere else. Returns mismatches. */
static int check_gemm_nt(const et_tk_config *tk) {
    enum { LDA = 29, SA = 4 * LDA + 3, SB = 61, CN = 20 };
    static float a[3 * SA], b[3 * SB + 8], c[CN], c0[CN];
    static const ptrdiff_t off[3] = {17, 3, 30};
    int bad = 0;
    if (!tk->gemm_nt)
        return 0;
    for (size_t kc = 8; kc <= 24; kc += 16)
        for (size_t ns = 1; ns <= 3; ns += 2)
            for (size_t mr = 1; mr <= 4; mr++)
                for (size_t nc = 1; nc <= 3; nc++)
                    for (int acc = 0; acc < 2; acc++) {
                        fill(a, 3 * SA);
                        fill(b, 3 * SB + 8);
                        fill(c, CN);
                        memcpy(c0, c, sizeof c);
                        tk->gemm_nt(mr, nc, kc, ns, a, LDA, SA, b, SB, off, c, 1, 5, acc);
                        for (size_t e = 0; e < CN; e++) {
                            const size_t i = e % 5, j = e / 5;
                            if (i >= mr || j >= nc) {
                                bad += c[e] != c0[e];
                                continue;
                            }
                            double want = acc ? c0[e] : 0.0, mag = fabs(want);
                            for (size_t s = 0; s < ns; s++)
                                for (size_t k = 0; k < kc; k++) {
                                    const double t = (double)a[s * SA + i * LDA + k] *
                                                     b[s * SB + off[j] + (ptrdiff_t)k];
                                    want += t, mag += fabs(t);
                                }
                            bad += !close_to(c[e], want, mag);
                        }
                    }
    return bad;
}

/* Mismatches of the table against the loops. */
static int check_table(const et_tk_config *tk) {
    static float xbuf[MAXN + PAD], dybuf[MAXN + PAD], ybuf[MAXN + PAD], yref[MAXN];
    /* offset by one float: the kernels must not assume alignment */
    float *x = xbuf + 1, *dy = dybuf + 1, *y = ybuf + 1;
    int bad = 0;
    for (size_t n = 0; n <= MAXN; n++)
        for (int acc = 0; acc < 2; acc++) {
            fill(xbuf, sizeof xbuf / sizeof *xbuf);
            fill(dybuf, sizeof dybuf / sizeof *dybuf);
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
            bad += y[n] != 7.0f;
        }
    bad += check_transposes(tk) + check_dw(tk) + check_gemm_boff(tk) + check_gemm_nt(tk);
    fprintf(stderr, "  %s: %d mismatches over lengths 0..%d and the depthwise geometries\n", tk->name, bad, MAXN);
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

/* The tolerance bites: a forward that drops the last tap is caught ... */
static void broken_fwd(float *out, const float *xp, const float *w, const float *b, const et_tk_dw *g) {
    float wz[25 * ET_TK_CB];
    const size_t kk = g->kh * g->kw;
    memcpy(wz, w, kk * ET_TK_CB * sizeof *wz);
    memset(wz + (kk - 1) * ET_TK_CB, 0, ET_TK_CB * sizeof *wz);
    et_tk_scalar.dw_fwd(out, xp, wz, b, g);
}

/* ... so is an input gradient one tap short (the first row of taps at a stride of one row less) ... */
static void broken_dgrad(float *dxp, const float *gy, const float *w, const et_tk_dw *g) {
    et_tk_dw h = *g;
    if (h.kh > 1)
        h.kh--;
    et_tk_scalar.dw_dgrad(dxp, gy, w, &h);
}

/* ... and a transpose that reads one column late. */
static void broken_hwc_in(float *xp, ptrdiff_t ldr, const float *x, ptrdiff_t plane, size_t nch, size_t rows,
                          size_t cols) {
    et_tk_scalar.hwc_in(xp, ldr, x + (cols > 1), plane, nch, rows, cols);
}

/* ... and a GEMM that drops its last row of B. */
static void broken_gemm_boff(size_t mr, size_t nc, size_t kc, const float *a, size_t lda, const float *b,
                             const ptrdiff_t *boff, size_t ldr, float *c, size_t ldc) {
    float a2[6 * 40];
    for (size_t i = 0; i < mr; i++) {
        memcpy(a2 + i * 40, a + i * lda, (kc - 1) * sizeof *a2);
        a2[i * 40 + kc - 1] = a[i * lda + kc]; /* the bias, one column early */
    }
    et_tk_config_get()->gemm_boff(mr, nc, kc - 1, a2, 40, b, boff, ldr, c, ldc);
}

/* ... and dot products that skip the last segment. */
static void broken_gemm_nt(size_t mr, size_t nc, size_t kc, size_t ns, const float *a, size_t lda, size_t sa,
                           const float *b, size_t sb, const ptrdiff_t *boff, float *c, size_t csi, size_t csj,
                           bool acc) {
    et_tk_config_get()->gemm_nt(mr, nc, kc, ns > 1 ? ns - 1 : ns, a, lda, sa, b, sb, boff, c, csi, csj, acc);
}

static void test_a_wrong_kernel_fails(void) {
    et_tk_config broken = et_tk_scalar;
    broken.dw_fwd = broken_fwd;
    ET_CHECK(check_dw(&broken) > 0);
    broken = et_tk_scalar;
    broken.dw_dgrad = broken_dgrad;
    ET_CHECK(check_dw(&broken) > 0);
    broken = et_tk_scalar;
    broken.hwc_in = broken_hwc_in;
    ET_CHECK(check_transposes(&broken) > 0);
    if (et_tk_config_get()->gemm_boff) {
        broken = *et_tk_config_get();
        broken.gemm_boff = broken_gemm_boff;
        ET_CHECK(check_gemm_boff(&broken) > 0);
    }
    if (et_tk_config_get()->gemm_nt) {
        broken = *et_tk_config_get();
        broken.gemm_nt = broken_gemm_nt;
        ET_CHECK(check_gemm_nt(&broken) > 0);
    }
}

int main(void) {
    ET_RUN(test_every_isa_matches_the_loops);
    ET_RUN(test_a_wrong_kernel_fails);
    return et_test_done();
}
