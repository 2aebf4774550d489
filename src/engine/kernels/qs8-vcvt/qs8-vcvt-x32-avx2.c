/* qs8-vcvt-x32-avx2.c: AVX2 conversion kernels (see qs8-vcvt.h). The vector loops reproduce
 * et_qs8_round_clamp step by step (div/mul, max, min, cvtps_epi32 = lrintf in the default rounding mode, + zp);
 * tails shorter than a vector run the same rule one element at a time, so results match the scalar kernels. */
#include <immintrin.h>
#include <string.h>

#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"

/* 16 int32 (two ymm, in order) + zp -> 16 int8 in order. */
static inline __m128i pack16(__m256i lo, __m256i hi, __m256i zp16) {
    __m256i v = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
    v = _mm256_adds_epi16(v, zp16);
    return _mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

void et_qs8_quantize_ukernel_x32__avx2(size_t n, const float *x, int8_t *y, const et_qs8_quantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    const __m256 s = _mm256_set1_ps(p->scale), lo = _mm256_set1_ps(p->out.out_lo), hi = _mm256_set1_ps(p->out.out_hi);
    const __m256i zp = _mm256_set1_epi16((short)p->out.out_zp);
    for (; n >= 32; n -= 32, x += 32, y += 32) {
        __m256i v[4];
        for (int j = 0; j < 4; j++) {
            const __m256 f = _mm256_div_ps(_mm256_loadu_ps(x + 8 * j), s);
            v[j] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(f, lo), hi));
        }
        _mm_storeu_si128((__m128i *)y, pack16(v[0], v[1], zp));
        _mm_storeu_si128((__m128i *)(y + 16), pack16(v[2], v[3], zp));
    }
    for (size_t i = 0; i < n; i++)
        y[i] = et_qs8_round_clamp(x[i] / p->scale, &p->out);
}

void et_qs8_dequantize_ukernel_x32__avx2(size_t n, const int8_t *x, float *y, const et_qs8_dequantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    const __m256 s = _mm256_set1_ps(p->scale);
    const __m256i zp = _mm256_set1_epi32(p->zp);
    for (; n >= 16; n -= 16, x += 16, y += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)x);
        const __m256i lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(v), zp);
        const __m256i hi = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)), zp);
        _mm256_storeu_ps(y, _mm256_mul_ps(_mm256_cvtepi32_ps(lo), s));
        _mm256_storeu_ps(y + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(hi), s));
    }
    for (size_t i = 0; i < n; i++)
        y[i] = (float)((int32_t)x[i] - p->zp) * p->scale;
}

void et_qs8_requantize_ukernel_x32__avx2(size_t n, const int8_t *x, int8_t *y, const et_qs8_requantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    const __m256 s = _mm256_set1_ps(p->scale), lo = _mm256_set1_ps(p->out.out_lo), hi = _mm256_set1_ps(p->out.out_hi);
    const __m256i in_zp = _mm256_set1_epi32(p->in_zp), zp = _mm256_set1_epi16((short)p->out.out_zp);
    for (; n >= 16; n -= 16, x += 16, y += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)x);
        __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(v), in_zp)), s);
        __m256 f1 =
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)), in_zp)), s);
        f0 = _mm256_min_ps(_mm256_max_ps(f0, lo), hi);
        f1 = _mm256_min_ps(_mm256_max_ps(f1, lo), hi);
        _mm_storeu_si128((__m128i *)y, pack16(_mm256_cvtps_epi32(f0), _mm256_cvtps_epi32(f1), zp));
    }
    for (size_t i = 0; i < n; i++)
        y[i] = et_qs8_round_clamp((float)((int32_t)x[i] - p->in_zp) * p->scale, &p->out);
}

void et_qs8_to_s16_ukernel_x32__avx2(size_t n, const int8_t *x, int16_t *y) {
    ET_QS8_VCVT_REQUIRE();
    for (; n >= 32; n -= 32, x += 32, y += 32) {
        _mm256_storeu_si256((__m256i *)y, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x)));
        _mm256_storeu_si256((__m256i *)(y + 16), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + 16))));
    }
    for (size_t i = 0; i < n; i++)
        y[i] = x[i];
}

void et_qs8_to_u8_ukernel_x32__avx2(size_t n, const int8_t *x, uint8_t *y) {
    ET_QS8_VCVT_REQUIRE();
    const __m256i sign = _mm256_set1_epi8((char)0x80);
    for (; n >= 32; n -= 32, x += 32, y += 32)
        _mm256_storeu_si256((__m256i *)y, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x), sign));
    for (size_t i = 0; i < n; i++)
        y[i] = (uint8_t)((uint8_t)x[i] ^ 0x80u);
}

/* 16 int8 -> the format at y (16 int16, or 16 bytes flipped or copied). */
static inline void cvt16(et_qa_format f, __m128i v, void *y) {
    if (f == ET_QA_S16)
        _mm256_storeu_si256((__m256i *)y, _mm256_cvtepi8_epi16(v));
    else
        _mm_storeu_si128((__m128i *)y, f == ET_QA_U8 ? _mm_xor_si128(v, _mm_set1_epi8((char)0x80)) : v);
}

void et_qs8_pad_rows_ukernel_x32__avx2(et_qa_format f, size_t rows, size_t n, const int8_t *x, size_t x_stride, void *y,
                                       size_t y_stride) {
    ET_QS8_PAD_ROWS_REQUIRE();
    const size_t eb = f == ET_QA_S16 ? 2 : 1;
    size_t r = 0;
    if (n == 3 && x_stride == 3 && y_stride == 4 && f != ET_QA_S8) {
        /* dense RGB pixels: 4 pixels (12 bytes) per 16-byte load; shuffle indexes 0x80 write zero */
        const __m128i spread = _mm_setr_epi8(0, 1, 2, -128, 3, 4, 5, -128, 6, 7, 8, -128, 9, 10, 11, -128);
        const __m128i flip = _mm_setr_epi8(-128, -128, -128, 0, -128, -128, -128, 0, -128, -128, -128, 0, -128, -128,
                                           -128, 0);
        for (; r + 6 <= rows; r += 4) { /* + 6: the 16-byte load stays within the 3 * rows input bytes */
            const __m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(x + 3 * r)), spread);
            if (f == ET_QA_S16)
                _mm256_storeu_si256((__m256i *)((int16_t *)y + 4 * r), _mm256_cvtepi8_epi16(v));
            else
                _mm_storeu_si128((__m128i *)((uint8_t *)y + 4 * r), _mm_xor_si128(v, flip));
        }
    } else if (n >= 16) {
        /* 16 at a time; a tail converts the row's last 16 again (overlapping, same values): no read past the row */
        for (; r < rows; r++) {
            const int8_t *xr = x + r * x_stride;
            uint8_t *yr = (uint8_t *)y + r * y_stride * eb;
            size_t i = 0;
            for (; i + 16 <= n; i += 16)
                cvt16(f, _mm_loadu_si128((const __m128i *)(xr + i)), yr + i * eb);
            if (i < n)
                cvt16(f, _mm_loadu_si128((const __m128i *)(xr + n - 16)), yr + (n - 16) * eb);
            if (y_stride > n)
                memset(yr + n * eb, 0, (y_stride - n) * eb);
        }
    }
    et_qs8_pad_rows_ukernel_x1__scalar(f, rows - r, n, x + r * x_stride, x_stride, (uint8_t *)y + r * y_stride * eb,
                                       y_stride);
}
