/* f32-winograd-impl.h: the transforms of f32-winograd.h written once over a vector type; each ISA's file
 * defines the type and its few primitives and includes this, so every ISA runs the same arithmetic in the same
 * order (and the scalar build of it is the reference the fast ones are tested against).
 *
 * The includer defines WL (floats per vector) and WSUF (the ISA suffix of the function names). WL > 1 uses a GCC
 * vector type (f32-winograd-vector.h), where arithmetic with a scalar constant broadcasts it; WL 1 is plain float. */
#include <math.h>
#include <stddef.h>

#define WCAT2(a, b) a##b
#define WCAT(a, b) WCAT2(a, b)

static inline float WCAT(wclamp1_, WSUF)(float x, float lo, float hi) {
    x = x < hi ? x : hi;
    return x > lo ? x : lo;
}

#if WL > 1
#include "engine/kernels/f32-winograd/f32-winograd-vector.h"
#else
typedef float WV;
#define WLOAD(p) (*(p))
#define WSTORE(p, v) (*(p) = (v))
#define WCLAMP(v, lo, hi) WCAT(wclamp1_, WSUF)(v, lo, hi)
#endif

/* 1D transforms, t inputs to t (input) or m (output) values, on any arithmetic type. Lavin & Gray's matrices:
 * F(2,3): B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], A^T = [1 1 1 0; 0 1 -1 -1]
 * F(4,3): B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
 *         A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1] */
#define W_IN2(d, v)               \
    do {                          \
        (v)[0] = (d)[0] - (d)[2]; \
        (v)[1] = (d)[1] + (d)[2]; \
        (v)[2] = (d)[2] - (d)[1]; \
        (v)[3] = (d)[1] - (d)[3]; \
    } while (0)
#define W_OUT2(s, y)                       \
    do {                                   \
        (y)[0] = (s)[0] + (s)[1] + (s)[2]; \
        (y)[1] = (s)[1] - (s)[2] - (s)[3]; \
    } while (0)
#define W_IN4(d, v)                                                                        \
    do {                                                                                   \
        const __typeof__((d)[0]) a1 = (d)[4] - 4.0f * (d)[2], a2 = (d)[3] - 4.0f * (d)[1]; \
        const __typeof__((d)[0]) b1 = (d)[4] - (d)[2], b2 = 2.0f * ((d)[3] - (d)[1]);      \
        (v)[0] = 4.0f * (d)[0] - 5.0f * (d)[2] + (d)[4];                                   \
        (v)[1] = a1 + a2;                                                                  \
        (v)[2] = a1 - a2;                                                                  \
        (v)[3] = b1 + b2;                                                                  \
        (v)[4] = b1 - b2;                                                                  \
        (v)[5] = 4.0f * (d)[1] - 5.0f * (d)[3] + (d)[5];                                   \
    } while (0)
#define W_OUT4(s, y)                                                           \
    do {                                                                       \
        const __typeof__((s)[0]) p12 = (s)[1] + (s)[2], m12 = (s)[1] - (s)[2]; \
        const __typeof__((s)[0]) p34 = (s)[3] + (s)[4], m34 = (s)[3] - (s)[4]; \
        (y)[0] = (s)[0] + p12 + p34;                                           \
        (y)[1] = m12 + 2.0f * m34;                                             \
        (y)[2] = p12 + 4.0f * p34;                                             \
        (y)[3] = m12 + 8.0f * m34 + (s)[5];                                    \
    } while (0)

/* One 2D input transform of T-typed values: load t x t, columns then rows. LOADX(i) loads tile element i. */
#define W_INPUT_2D(T, t, IN1, LOADX, STOREX)                                                      \
    do {                                                                                          \
        T col[6], tr[6], tmp[36];                                                                 \
        _Pragma("GCC unroll 6") for (size_t j = 0; j < (t); j++) {                                \
            _Pragma("GCC unroll 6") for (size_t i = 0; i < (t); i++) col[i] = LOADX(i * (t) + j); \
            IN1(col, tr);                                                                         \
            for (size_t i = 0; i < (t); i++)                                                      \
                tmp[i * (t) + j] = tr[i];                                                         \
        }                                                                                         \
        for (size_t i = 0; i < (t); i++) {                                                        \
            IN1(tmp + i * (t), tr);                                                               \
            for (size_t j = 0; j < (t); j++)                                                      \
                STOREX(i *(t) + j, tr[j]);                                                        \
        }                                                                                         \
    } while (0)

#define W_DEFINE_INPUT(NAME, t, IN1)                                                           \
    void WCAT(NAME, WSUF)(size_t channels, const float *const *d, float *v, size_t v_stride) { \
        ET_F32_WINO_INPUT_REQUIRE();                                                           \
        size_t c = 0;                                                                          \
        for (; c + WL <= channels; c += WL) {                                                  \
            W_INPUT_2D(WV, t, IN1, V_LOAD, V_STORE);                                           \
        }                                                                                      \
        for (; c < channels; c++) {                                                            \
            W_INPUT_2D(float, t, IN1, S_LOAD, S_STORE);                                        \
        }                                                                                      \
    }
#define V_LOAD(i) WLOAD(d[i] + c)
#define V_STORE(p, x) WSTORE(v + (p)*v_stride + c, x)
#define S_LOAD(i) d[i][c]
#define S_STORE(p, x) v[(p)*v_stride + c] = (x)

W_DEFINE_INPUT(et_f32_wino_input_2x2__, 4, W_IN2)
W_DEFINE_INPUT(et_f32_wino_input_4x4__, 6, W_IN4)

/* One 2D output transform: t x t products to m x m, columns then rows, then bias, residual, clamp, store. */
#define W_OUTPUT_2D(T, t, m, OUT1, LOADX, BIAS, RES, CLAMPX, STOREX)                              \
    do {                                                                                          \
        T col[6], tr[4], tmp[24];                                                                 \
        _Pragma("GCC unroll 6") for (size_t j = 0; j < (t); j++) {                                \
            _Pragma("GCC unroll 6") for (size_t i = 0; i < (t); i++) col[i] = LOADX(i * (t) + j); \
            OUT1(col, tr);                                                                        \
            for (size_t i = 0; i < (m); i++)                                                      \
                tmp[i * (t) + j] = tr[i];                                                         \
        }                                                                                         \
        const T bv = BIAS;                                                                        \
        for (size_t i = 0; i < (m); i++) {                                                        \
            OUT1(tmp + i * (t), tr);                                                              \
            for (size_t j = 0; j < (m); j++) {                                                    \
                float *dst = y[i * (m) + j];                                                      \
                if (!dst)                                                                         \
                    continue;                                                                     \
                T o = tr[j] + bv;                                                                 \
                if (r)                                                                            \
                    o = o + RES(i * (m) + j);                                                     \
                STOREX(dst, CLAMPX(o));                                                           \
            }                                                                                     \
        }                                                                                         \
    } while (0)

#define W_DEFINE_OUTPUT(NAME, t, m, OUT1)                                                                        \
    void WCAT(NAME, WSUF)(size_t channels, const float *mm, size_t m_stride, const float *bias, float *const *y, \
                          const float *const *r, float min, float max) {                                         \
        ET_F32_WINO_OUTPUT_REQUIRE();                                                                            \
        size_t c = 0;                                                                                            \
        for (; c + WL <= channels; c += WL) {                                                                    \
            W_OUTPUT_2D(WV, t, m, OUT1, VO_LOAD, WLOAD(bias + c), VO_RES, VO_CLAMP, VO_STORE);                   \
        }                                                                                                        \
        for (; c < channels; c++) {                                                                              \
            W_OUTPUT_2D(float, t, m, OUT1, SO_LOAD, bias[c], SO_RES, SO_CLAMP, SO_STORE);                        \
        }                                                                                                        \
    }
#define VO_LOAD(p) WLOAD(mm + (p)*m_stride + c)
#define VO_RES(q) WLOAD(r[q] + c)
#define VO_CLAMP(x) WCLAMP(x, min, max)
#define VO_STORE(dst, x) WSTORE(dst + c, x)
#define SO_LOAD(p) mm[(p)*m_stride + c]
#define SO_RES(q) r[q][c]
#define SO_CLAMP(x) WCAT(wclamp1_, WSUF)(x, min, max)
#define SO_STORE(dst, x) (dst)[c] = (x)

W_DEFINE_OUTPUT(et_f32_wino_output_2x2__, 4, 2, W_OUT2)
W_DEFINE_OUTPUT(et_f32_wino_output_4x4__, 6, 4, W_OUT4)
