/* x32-zip3-x16-avx512f.c: 16 values of each plane into 48 interleaved ones per step (see x32-zip.h): each of the
 * three output vectors is two two-source permutes, planes 0 and 1 first, then plane 2 into its lanes. The tail
 * (n % 16) goes one value at a time. Built with -mavx512f. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/x32-zip/x32-zip.h"

/* Output vector k, lane p holds value e = (16k + p) / 3 of plane j = (16k + p) % 3. FIRST picks planes 0 and 1
 * (lane index e of x0, 16 + e of x1; plane-2 lanes are filled next, 0 there), SECOND keeps those lanes (p) and
 * takes plane 2's (16 + e of x2). */
static const int32_t FIRST[3][16] = {
    {0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5},
    {21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26},
    {0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0},
};
static const int32_t SECOND[3][16] = {
    {0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15},
    {0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15},
    {26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31},
};

ET_X32_ZIP3_UKERNEL(et_x32_zip3_ukernel_x16__avx512f) {
    ET_X32_ZIP3_REQUIRE();
    const __m512i f0 = _mm512_loadu_si512(FIRST[0]), f1 = _mm512_loadu_si512(FIRST[1]);
    const __m512i f2 = _mm512_loadu_si512(FIRST[2]), s0 = _mm512_loadu_si512(SECOND[0]);
    const __m512i s1 = _mm512_loadu_si512(SECOND[1]), s2 = _mm512_loadu_si512(SECOND[2]);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 a = _mm512_loadu_ps(x0 + i), b = _mm512_loadu_ps(x1 + i), c = _mm512_loadu_ps(x2 + i);
        _mm512_storeu_ps(y + 3 * i, _mm512_permutex2var_ps(_mm512_permutex2var_ps(a, f0, b), s0, c));
        _mm512_storeu_ps(y + 3 * i + 16, _mm512_permutex2var_ps(_mm512_permutex2var_ps(a, f1, b), s1, c));
        _mm512_storeu_ps(y + 3 * i + 32, _mm512_permutex2var_ps(_mm512_permutex2var_ps(a, f2, b), s2, c));
    }
    for (; i < n; i++) {
        y[3 * i] = x0[i];
        y[3 * i + 1] = x1[i];
        y[3 * i + 2] = x2[i];
    }
}
