/* x8-lut-x32-avx2.c: AVX2 table lookup (see x8-lut.h), 32 bytes per step. The index u = x + 128 splits into its
 * high and low nibble; each of the 16 rows of 16 entries is looked up with vpshufb by the low nibble and kept
 * where the high nibble is that row (compare + blend). Tails go through the same step on a padded copy. */
#include <immintrin.h>
#include <string.h>

#include "engine/kernels/x8-lut/x8-lut.h"

static inline __m256i lookup(__m256i vx, const __m256i rows[16]) {
    const __m256i nib = _mm256_set1_epi8(0x0f);
    const __m256i u = _mm256_xor_si256(vx, _mm256_set1_epi8((char)0x80));
    const __m256i lo = _mm256_and_si256(u, nib), hi = _mm256_and_si256(_mm256_srli_epi16(u, 4), nib);
    __m256i r = _mm256_shuffle_epi8(rows[0], lo);
    for (int k = 1; k < 16; k++)
        r = _mm256_blendv_epi8(r, _mm256_shuffle_epi8(rows[k], lo), _mm256_cmpeq_epi8(hi, _mm256_set1_epi8((char)k)));
    return r;
}

ET_X8_LUT_UKERNEL(et_x8_lut_ukernel_x32__avx2) {
    ET_X8_LUT_REQUIRE();
    if (n == 0)
        return;
    __m256i rows[16];
    for (int k = 0; k < 16; k++)
        rows[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(table + 16 * k)));
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(y + i), lookup(_mm256_loadu_si256((const __m256i *)(x + i)), rows));
    if (i < n) {
        int8_t buf[32] = {0};
        memcpy(buf, x + i, n - i);
        _mm256_storeu_si256((__m256i *)buf, lookup(_mm256_loadu_si256((const __m256i *)buf), rows));
        memcpy(y + i, buf, n - i);
    }
}
