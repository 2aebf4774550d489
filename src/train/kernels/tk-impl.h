/* tk-impl.h: the bodies of the training kernels (tk.h) on GCC vectors of TK_WL floats, the compiler mapping
 * them to the file's ISA (AVX2 ymm, NEON q registers, SSE pairs for the baseline). Included by tk-<isa>.c after
 * it defines TK_WL and TK_NAME(x). Each loop runs whole vectors, then a scalar tail. */
#include <string.h>

typedef float tk_v __attribute__((vector_size(TK_WL * 4)));
typedef int tk_vi __attribute__((vector_size(TK_WL * 4)));

static inline tk_v TK_NAME(load)(const float *p) {
    tk_v v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void TK_NAME(store)(float *p, tk_v v) { memcpy(p, &v, sizeof v); }
static inline float TK_NAME(hsum)(tk_v v) {
    float s = 0.0f;
    for (int l = 0; l < TK_WL; l++)
        s += v[l];
    return s;
}

static void TK_NAME(mask)(float *dx, const float *dy, const float *x, float lo, float hi, size_t n, bool acc) {
    size_t i = 0;
    const tk_v vlo = (tk_v){0} + lo, vhi = (tk_v){0} + hi;
    for (; i + TK_WL <= n; i += TK_WL) {
        tk_v xv = TK_NAME(load)(x + i);
        tk_vi m = (xv > vlo) & (xv < vhi);
        tk_v g = (tk_v)((tk_vi)TK_NAME(load)(dy + i) & m);
        TK_NAME(store)(dx + i, acc ? TK_NAME(load)(dx + i) + g : g);
    }
    for (; i < n; i++) {
        float g = x[i] > lo && x[i] < hi ? dy[i] : 0.0f;
        dx[i] = acc ? dx[i] + g : g;
    }
}

static void TK_NAME(clamp)(float *y, const float *x, float lo, float hi, size_t n) {
    size_t i = 0;
    const tk_v vlo = (tk_v){0} + lo, vhi = (tk_v){0} + hi;
    for (; i + TK_WL <= n; i += TK_WL) {
        tk_v v = TK_NAME(load)(x + i);
        tk_vi m = v < vlo; /* lanes below lo take lo, then lanes above hi take hi */
        v = (tk_v)(((tk_vi)vlo & m) | ((tk_vi)v & ~m));
        m = v > vhi;
        TK_NAME(store)(y + i, (tk_v)(((tk_vi)vhi & m) | ((tk_vi)v & ~m)));
    }
    for (; i < n; i++) {
        float v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}

static void TK_NAME(add)(float *y, const float *x, size_t n) {
    size_t i = 0;
    for (; i + TK_WL <= n; i += TK_WL)
        TK_NAME(store)(y + i, TK_NAME(load)(y + i) + TK_NAME(load)(x + i));
    for (; i < n; i++)
        y[i] += x[i];
}

/* ---- depthwise convolutions on pixel-major blocks of ET_TK_CB channels (tk.h) ---------------------------------
 * One vector of ET_TK_CB floats is one pixel of every channel of a block, so the loops below are the textbook
 * loops of a convolution with a vector per pixel. tk_c is that vector whatever TK_WL is (two registers on SSE2 and
 * NEON); loads and stores go through memcpy. */
typedef float tk_c __attribute__((vector_size(ET_TK_CB * 4)));
#if defined(__GNUC__) && !defined(__clang__)
/* the helpers below are static inline and always inlined, so GCC's note that a 32-byte vector is returned in
 * another way without AVX (the SSE2 baseline) concerns no call that exists */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

static inline tk_c TK_NAME(loadc)(const float *p) {
    tk_c v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void TK_NAME(storec)(float *p, tk_c v) { memcpy(p, &v, sizeof v); }

/* The 8 x 8 transpose of r0..r7 (ri[j] -> rj[i]) in three rounds of shuffles (unpacks, pairs, halves), written
 * out so that everything stays in registers. */
#define TK_SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#define TK_T8(r0, r1, r2, r3, r4, r5, r6, r7)                                                                        \
    do {                                                                                                             \
        const tk_c t0 = TK_SHUF(r0, r1, 0, 8, 1, 9, 4, 12, 5, 13), t1 = TK_SHUF(r0, r1, 2, 10, 3, 11, 6, 14, 7, 15); \
        const tk_c t2 = TK_SHUF(r2, r3, 0, 8, 1, 9, 4, 12, 5, 13), t3 = TK_SHUF(r2, r3, 2, 10, 3, 11, 6, 14, 7, 15); \
        const tk_c t4 = TK_SHUF(r4, r5, 0, 8, 1, 9, 4, 12, 5, 13), t5 = TK_SHUF(r4, r5, 2, 10, 3, 11, 6, 14, 7, 15); \
        const tk_c t6 = TK_SHUF(r6, r7, 0, 8, 1, 9, 4, 12, 5, 13), t7 = TK_SHUF(r6, r7, 2, 10, 3, 11, 6, 14, 7, 15); \
        const tk_c u0 = TK_SHUF(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13), u1 = TK_SHUF(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15); \
        const tk_c u2 = TK_SHUF(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13), u3 = TK_SHUF(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15); \
        const tk_c u4 = TK_SHUF(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13), u5 = TK_SHUF(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15); \
        const tk_c u6 = TK_SHUF(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13), u7 = TK_SHUF(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15); \
        r0 = TK_SHUF(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11), r4 = TK_SHUF(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);            \
        r1 = TK_SHUF(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11), r5 = TK_SHUF(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);            \
        r2 = TK_SHUF(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11), r6 = TK_SHUF(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);            \
        r3 = TK_SHUF(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11), r7 = TK_SHUF(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);            \
    } while (0)

/* Where pixels [i, i + 8) of a plane of `cols` columns lie in a block with rows ldr floats apart, from the first
 * one's row and column (advanced past them). */
static inline void TK_NAME(block_pos)(size_t pos[8], size_t *r, size_t *c, size_t cols, size_t ldr) {
    /* without a test and branch per pixel (which kept pos on the stack: a third of the transposes' time) where
     * the 8 pixels wrap to the next row at most once, or each is a row of its own (dY^T's panels, one column) */
    if (cols >= 8) {
        const size_t at = *r * ldr + *c * ET_TK_CB, wrap = ldr - cols * ET_TK_CB; /* modulo 2^64 if negative */
        for (size_t j = 0; j < 8; j++)
            pos[j] = at + j * ET_TK_CB + (*c + j >= cols ? wrap : 0);
        if ((*c += 8) >= cols)
            *c -= cols, ++*r;
        return;
    }
    if (cols == 1) {
        for (size_t j = 0; j < 8; j++)
            pos[j] = (*r + j) * ldr;
        *r += 8;
        return;
    }
    for (int j = 0; j < 8; j++) {
        pos[j] = *r * ldr + *c * ET_TK_CB;
        if (++*c == cols)
            *c = 0, ++*r;
    }
}

static void TK_NAME(hwc_in)(float *xp, ptrdiff_t ldr, const float *x, ptrdiff_t plane, size_t nch, size_t rows,
                            size_t cols) {
    const size_t n = rows * cols;
    size_t i = 0, r = 0, c = 0;
    if (nch == ET_TK_CB)
        /* 8 pixels of the 8 planes, transposed into 8 pixels of the block */
        for (; i + 8 <= n; i += 8) {
            const float *xi = x + (ptrdiff_t)i;
            tk_c v0 = TK_NAME(loadc)(xi), v1 = TK_NAME(loadc)(xi + plane), v2 = TK_NAME(loadc)(xi + 2 * plane),
                 v3 = TK_NAME(loadc)(xi + 3 * plane), v4 = TK_NAME(loadc)(xi + 4 * plane),
                 v5 = TK_NAME(loadc)(xi + 5 * plane), v6 = TK_NAME(loadc)(xi + 6 * plane),
                 v7 = TK_NAME(loadc)(xi + 7 * plane);
            size_t pos[8];
            TK_T8(v0, v1, v2, v3, v4, v5, v6, v7);
            TK_NAME(block_pos)(pos, &r, &c, cols, (size_t)ldr);
            TK_NAME(storec)(xp + pos[0], v0), TK_NAME(storec)(xp + pos[1], v1);
            TK_NAME(storec)(xp + pos[2], v2), TK_NAME(storec)(xp + pos[3], v3);
            TK_NAME(storec)(xp + pos[4], v4), TK_NAME(storec)(xp + pos[5], v5);
            TK_NAME(storec)(xp + pos[6], v6), TK_NAME(storec)(xp + pos[7], v7);
        }
    for (; i < n; i++) {
        float v[ET_TK_CB] = {0};
        for (size_t l = 0; l < nch; l++)
            v[l] = x[(ptrdiff_t)l * plane + (ptrdiff_t)i];
        memcpy(xp + r * (size_t)ldr + c * ET_TK_CB, v, sizeof v);
        if (++c == cols)
            c = 0, r++;
    }
}

static void TK_NAME(hwc_out)(float *y, ptrdiff_t plane, const float *xp, ptrdiff_t ldr, size_t nch, size_t rows,
                             size_t cols, bool acc) {
    const size_t n = rows * cols;
    size_t i = 0, r = 0, c = 0;
    if (nch == ET_TK_CB)
        for (; i + 8 <= n; i += 8) {
            size_t pos[8];
            TK_NAME(block_pos)(pos, &r, &c, cols, (size_t)ldr);
            tk_c v0 = TK_NAME(loadc)(xp + pos[0]), v1 = TK_NAME(loadc)(xp + pos[1]), v2 = TK_NAME(loadc)(xp + pos[2]),
                 v3 = TK_NAME(loadc)(xp + pos[3]), v4 = TK_NAME(loadc)(xp + pos[4]), v5 = TK_NAME(loadc)(xp + pos[5]),
                 v6 = TK_NAME(loadc)(xp + pos[6]), v7 = TK_NAME(loadc)(xp + pos[7]);
            TK_T8(v0, v1, v2, v3, v4, v5, v6, v7);
            float *yi = y + (ptrdiff_t)i;
            if (acc) {
                v0 += TK_NAME(loadc)(yi), v1 += TK_NAME(loadc)(yi + plane), v2 += TK_NAME(loadc)(yi + 2 * plane);
                v3 += TK_NAME(loadc)(yi + 3 * plane), v4 += TK_NAME(loadc)(yi + 4 * plane);
                v5 += TK_NAME(loadc)(yi + 5 * plane), v6 += TK_NAME(loadc)(yi + 6 * plane);
                v7 += TK_NAME(loadc)(yi + 7 * plane);
            }
            TK_NAME(storec)(yi, v0), TK_NAME(storec)(yi + plane, v1), TK_NAME(storec)(yi + 2 * plane, v2);
            TK_NAME(storec)(yi + 3 * plane, v3), TK_NAME(storec)(yi + 4 * plane, v4);
            TK_NAME(storec)(yi + 5 * plane, v5), TK_NAME(storec)(yi + 6 * plane, v6);
            TK_NAME(storec)(yi + 7 * plane, v7);
        }
    for (; i < n; i++) {
        const float *p = xp + r * (size_t)ldr + c * ET_TK_CB;
        for (size_t l = 0; l < nch; l++) {
            float *yl = y + (ptrdiff_t)l * plane + (ptrdiff_t)i;
            *yl = acc ? *yl + p[l] : p[l];
        }
        if (++c == cols)
            c = 0, r++;
    }
}

static void TK_NAME(dw_fwd)(float *out, const float *xp, const float *w, const float *b, const et_tk_dw *g) {
    const size_t kk = g->kh * g->kw, row = g->wp * ET_TK_CB;
    const tk_c b0 = b ? TK_NAME(loadc)(b) : (tk_c){0};
    if (kk == 9) {
        /* 3x3, the common case: the nine weights stay in registers */
        const tk_c w0 = TK_NAME(loadc)(w), w1 = TK_NAME(loadc)(w + 8), w2 = TK_NAME(loadc)(w + 16),
                   w3 = TK_NAME(loadc)(w + 24), w4 = TK_NAME(loadc)(w + 32), w5 = TK_NAME(loadc)(w + 40),
                   w6 = TK_NAME(loadc)(w + 48), w7 = TK_NAME(loadc)(w + 56), w8 = TK_NAME(loadc)(w + 64);
        const size_t dy = g->dh * row, dx = g->dw * ET_TK_CB;
        for (size_t oy = 0; oy < g->oh; oy++) {
            const float *r0 = xp + oy * g->sh * row;
            for (size_t ox = 0; ox < g->ow; ox++, out += ET_TK_CB) {
                const float *p = r0 + ox * g->sw * ET_TK_CB;
                tk_c s = b0;
                s += w0 * TK_NAME(loadc)(p);
                s += w1 * TK_NAME(loadc)(p + dx);
                s += w2 * TK_NAME(loadc)(p + 2 * dx);
                s += w3 * TK_NAME(loadc)(p + dy);
                s += w4 * TK_NAME(loadc)(p + dy + dx);
                s += w5 * TK_NAME(loadc)(p + dy + 2 * dx);
                s += w6 * TK_NAME(loadc)(p + 2 * dy);
                s += w7 * TK_NAME(loadc)(p + 2 * dy + dx);
                s += w8 * TK_NAME(loadc)(p + 2 * dy + 2 * dx);
                TK_NAME(storec)(out, s);
            }
        }
        return;
    }
    for (size_t oy = 0; oy < g->oh; oy++)
        for (size_t ox = 0; ox < g->ow; ox++, out += ET_TK_CB) {
            tk_c s = b0;
            for (size_t ky = 0, k = 0; ky < g->kh; ky++) {
                const float *p = xp + (oy * g->sh + ky * g->dh) * row + ox * g->sw * ET_TK_CB;
                for (size_t kx = 0; kx < g->kw; kx++, k++)
                    s += TK_NAME(loadc)(w + k * ET_TK_CB) * TK_NAME(loadc)(p + kx * g->dw * ET_TK_CB);
            }
            TK_NAME(storec)(out, s);
        }
}

static void TK_NAME(dw_wgrad)(float *dw, float *db, const float *gy, const float *xp, const et_tk_dw *g) {
    const size_t row = g->wp * ET_TK_CB;
    if (g->kh * g->kw == 9) {
        /* 3x3: the nine sums in registers, each pixel's G read once (not once per tap) */
        tk_c s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0}, s8 = {0}, sb = {0};
        const size_t dy = g->dh * row, dx = g->dw * ET_TK_CB;
        const float *gp = gy;
        for (size_t oy = 0; oy < g->oh; oy++) {
            const float *r0 = xp + oy * g->sh * row;
            for (size_t ox = 0; ox < g->ow; ox++, gp += ET_TK_CB) {
                const float *p = r0 + ox * g->sw * ET_TK_CB;
                const tk_c v = TK_NAME(loadc)(gp);
                sb += v;
                s0 += v * TK_NAME(loadc)(p);
                s1 += v * TK_NAME(loadc)(p + dx);
                s2 += v * TK_NAME(loadc)(p + 2 * dx);
                s3 += v * TK_NAME(loadc)(p + dy);
                s4 += v * TK_NAME(loadc)(p + dy + dx);
                s5 += v * TK_NAME(loadc)(p + dy + 2 * dx);
                s6 += v * TK_NAME(loadc)(p + 2 * dy);
                s7 += v * TK_NAME(loadc)(p + 2 * dy + dx);
                s8 += v * TK_NAME(loadc)(p + 2 * dy + 2 * dx);
            }
        }
        const tk_c sums[9] = {s0, s1, s2, s3, s4, s5, s6, s7, s8};
        for (size_t k = 0; k < 9; k++)
            TK_NAME(storec)(dw + k * ET_TK_CB, TK_NAME(loadc)(dw + k * ET_TK_CB) + sums[k]);
        if (db)
            TK_NAME(storec)(db, TK_NAME(loadc)(db) + sb);
        return;
    }
    for (size_t ky = 0, k = 0; ky < g->kh; ky++)
        for (size_t kx = 0; kx < g->kw; kx++, k++) {
            tk_c s = {0};
            const float *gp = gy;
            for (size_t oy = 0; oy < g->oh; oy++) {
                const float *p = xp + (oy * g->sh + ky * g->dh) * row + kx * g->dw * ET_TK_CB;
                for (size_t ox = 0; ox < g->ow; ox++, gp += ET_TK_CB)
                    s += TK_NAME(loadc)(gp) * TK_NAME(loadc)(p + ox * g->sw * ET_TK_CB);
            }
            TK_NAME(storec)(dw + k * ET_TK_CB, TK_NAME(loadc)(dw + k * ET_TK_CB) + s);
        }
    if (db) {
        tk_c s = {0};
        for (size_t p = 0; p < g->oh * g->ow; p++)
            s += TK_NAME(loadc)(gy + p * ET_TK_CB);
        TK_NAME(storec)(db, TK_NAME(loadc)(db) + s);
    }
}

static void TK_NAME(dw_dgrad)(float *dxp, const float *gy, const float *w, const et_tk_dw *g) {
    const size_t row = g->wp * ET_TK_CB;
    for (size_t ky = 0, k = 0; ky < g->kh; ky++)
        for (size_t kx = 0; kx < g->kw; kx++, k++) {
            const tk_c wk = TK_NAME(loadc)(w + k * ET_TK_CB);
            const float *gp = gy;
            for (size_t oy = 0; oy < g->oh; oy++) {
                float *p = dxp + (oy * g->sh + ky * g->dh) * row + kx * g->dw * ET_TK_CB;
                for (size_t ox = 0; ox < g->ow; ox++, gp += ET_TK_CB) {
                    float *q = p + ox * g->sw * ET_TK_CB;
                    TK_NAME(storec)(q, TK_NAME(loadc)(q) + wk * TK_NAME(loadc)(gp));
                }
            }
        }
}
