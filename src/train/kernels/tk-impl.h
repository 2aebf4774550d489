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

/* The stride-2 shuffles (__builtin_shufflevector: GCC 12 and clang) and half vectors for the tails of short
 * rows (a depthwise plane's rows are 4 to 16 floats). */
typedef float tk_h __attribute__((vector_size(TK_WL * 2)));
#if TK_WL == 8
#define TK_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define TK_EVEN_HALF(a) __builtin_shufflevector(a, a, 0, 2, 4, 6)
#define TK_DUP_LO(a) __builtin_shufflevector(a, a, 0, 0, 1, 1, 2, 2, 3, 3)
#define TK_DUP_HI(a) __builtin_shufflevector(a, a, 4, 4, 5, 5, 6, 6, 7, 7)
#define TK_DUP_HALF(h) __builtin_shufflevector(h, h, 0, 0, 1, 1, 2, 2, 3, 3)
#define TK_PICK(a, b) __builtin_shufflevector(a, b, 0, 9, 2, 11, 4, 13, 6, 15)
#elif TK_WL == 4
#define TK_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6)
#define TK_EVEN_HALF(a) __builtin_shufflevector(a, a, 0, 2)
#define TK_DUP_LO(a) __builtin_shufflevector(a, a, 0, 0, 1, 1)
#define TK_DUP_HI(a) __builtin_shufflevector(a, a, 2, 2, 3, 3)
#define TK_DUP_HALF(h) __builtin_shufflevector(h, h, 0, 0, 1, 1)
#define TK_PICK(a, b) __builtin_shufflevector(a, b, 0, 5, 2, 7)
#else
#error "tk-impl.h: TK_WL must be 4 or 8"
#endif

static inline tk_h TK_NAME(loadh)(const float *p) {
    tk_h v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void TK_NAME(storeh)(float *p, tk_h v) { memcpy(p, &v, sizeof v); }

static void TK_NAME(gather)(float *y, ptrdiff_t ldy, const float *x, ptrdiff_t ldx, size_t rows, size_t n,
                            size_t stride, float b) {
    const tk_v vb = (tk_v){0} + b;
    const tk_h hb = (tk_h){0} + b;
    for (size_t r = 0; r < rows; r++, y += ldy, x += ldx) {
        size_t t = 0;
        if (stride == 1) {
            for (; t + TK_WL <= n; t += TK_WL)
                TK_NAME(store)(y + t, TK_NAME(load)(x + t) + vb);
            if (t + TK_WL / 2 <= n) {
                TK_NAME(storeh)(y + t, TK_NAME(loadh)(x + t) + hb);
                t += TK_WL / 2;
            }
        } else if (stride == 2) {
            /* two vectors cover x[2t .. 2t + 2 WL): the last one read, 2t + 2 WL - 1, stays below 2 (n - 1)
             * while t + WL < n, so nothing past the last element picked is read; likewise one vector while
             * t + WL / 2 < n */
            for (; t + TK_WL < n; t += TK_WL)
                TK_NAME(store)(y + t, TK_EVEN(TK_NAME(load)(x + 2 * t), TK_NAME(load)(x + 2 * t + TK_WL)) + vb);
            if (t + TK_WL / 2 < n) {
                TK_NAME(storeh)(y + t, TK_EVEN_HALF(TK_NAME(load)(x + 2 * t)) + hb);
                t += TK_WL / 2;
            }
        }
        for (; t < n; t++)
            y[t] = x[stride * t] + b;
    }
}

static void TK_NAME(scatter)(float *y, ptrdiff_t ldy, const float *x, ptrdiff_t ldx, size_t rows, size_t n,
                             size_t stride, bool acc) {
    for (size_t r = 0; r < rows; r++, y += ldy, x += ldx) {
        size_t t = 0;
        if (stride == 1) {
            for (; t + TK_WL <= n; t += TK_WL)
                TK_NAME(store)(y + t, acc ? TK_NAME(load)(y + t) + TK_NAME(load)(x + t) : TK_NAME(load)(x + t));
            if (t + TK_WL / 2 <= n) {
                TK_NAME(storeh)(y + t, acc ? TK_NAME(loadh)(y + t) + TK_NAME(loadh)(x + t) : TK_NAME(loadh)(x + t));
                t += TK_WL / 2;
            }
        } else if (stride == 2) {
            /* y[2t .. 2t + 2 WL) rewritten, the odd lanes with their own values: the last, 2t + 2 WL - 1, stays
             * below 2 (n - 1) while t + WL < n; likewise y[2t .. 2t + WL) while t + WL / 2 < n */
            for (; t + TK_WL < n; t += TK_WL) {
                const tk_v xv = TK_NAME(load)(x + t), lo = TK_DUP_LO(xv), hi = TK_DUP_HI(xv);
                const tk_v ya = TK_NAME(load)(y + 2 * t), yb = TK_NAME(load)(y + 2 * t + TK_WL);
                TK_NAME(store)(y + 2 * t, TK_PICK(acc ? ya + lo : lo, ya));
                TK_NAME(store)(y + 2 * t + TK_WL, TK_PICK(acc ? yb + hi : hi, yb));
            }
            if (t + TK_WL / 2 < n) {
                const tk_v lo = TK_DUP_HALF(TK_NAME(loadh)(x + t)), ya = TK_NAME(load)(y + 2 * t);
                TK_NAME(store)(y + 2 * t, TK_PICK(acc ? ya + lo : lo, ya));
                t += TK_WL / 2;
            }
        }
        for (; t < n; t++)
            y[stride * t] = acc ? y[stride * t] + x[t] : x[t];
    }
}
