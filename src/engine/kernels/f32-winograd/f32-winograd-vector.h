/* f32-winograd-vector.h: the primitives f32-winograd-impl.h needs, as a GCC vector of WL floats (the compiler
 * maps it to AVX2 ymm, NEON q-register pairs, ...). Included by the ISA files after they define WL and WSUF. */
#include <string.h>

typedef float WV __attribute__((vector_size(WL * 4)));
typedef int WVI __attribute__((vector_size(WL * 4)));

static inline WV WCAT(wload_, WSUF)(const float *p) {
    WV v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void WCAT(wstore_, WSUF)(float *p, WV v) { memcpy(p, &v, sizeof v); }
/* min(max(x, lo), hi) lane by lane; a NaN lane becomes lo, as the GEMM kernels' max/min do */
static inline WV WCAT(wclamp_, WSUF)(WV x, float lo, float hi) {
    const WV zero = {0}, vlo = zero + lo, vhi = zero + hi;
    WVI m = x < vhi;
    x = (WV)(((WVI)x & m) | ((WVI)vhi & ~m));
    m = x > vlo;
    return (WV)(((WVI)x & m) | ((WVI)vlo & ~m));
}
#define WLOAD(p) WCAT(wload_, WSUF)(p)
#define WSTORE(p, v) WCAT(wstore_, WSUF)(p, v)
#define WCLAMP(v, lo, hi) WCAT(wclamp_, WSUF)(v, lo, hi)
