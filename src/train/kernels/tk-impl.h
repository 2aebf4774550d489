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

static void TK_NAME(taps)(float *y, const float *x, const ptrdiff_t *off, const float *w, int ntaps, size_t n,
                          bool acc) {
    size_t i = 0;
    for (; i + TK_WL <= n; i += TK_WL) {
        tk_v s = acc ? TK_NAME(load)(y + i) : (tk_v){0};
        for (int k = 0; k < ntaps; k++)
            s += TK_NAME(load)(x + i + off[k]) * w[k];
        TK_NAME(store)(y + i, s);
    }
    for (; i < n; i++) {
        float s = acc ? y[i] : 0.0f;
        for (int k = 0; k < ntaps; k++)
            s += x[i + (size_t)off[k]] * w[k];
        y[i] = s;
    }
}

static void TK_NAME(dots)(const float *dy, const float *x, const ptrdiff_t *off, int ntaps, size_t n, float *out) {
    for (int k = 0; k < ntaps; k++) {
        const float *xk = x + off[k];
        tk_v s = {0};
        size_t i = 0;
        for (; i + TK_WL <= n; i += TK_WL)
            s += TK_NAME(load)(dy + i) * TK_NAME(load)(xk + i);
        float t = TK_NAME(hsum)(s);
        for (; i < n; i++)
            t += dy[i] * xk[i];
        out[k] += t;
    }
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
