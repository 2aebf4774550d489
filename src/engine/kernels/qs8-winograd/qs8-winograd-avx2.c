/* qs8-winograd-avx2.c: the AVX2 int8 Winograd F(2x2, 3x3) kernels (qs8-winograd.h); built with -mavx2. The
 * transforms work on 16 channels per vector (int16 lanes on input, two int32 vectors on output) and hand their
 * last channels (fewer than 16) to the scalar kernels, whose arithmetic they repeat exactly; the requantization is
 * qgemm-avx2.h's, bit-identical to et_qs8_requantize. */
#include <immintrin.h>
#include <string.h>

#include "engine/kernels/qc8-gemm/qgemm-avx2.h"
#include "engine/kernels/qs8-winograd/qs8-winograd.h"

#define IN1(d, v)                                  \
    do {                                           \
        (v)[0] = _mm256_sub_epi16((d)[0], (d)[2]); \
        (v)[1] = _mm256_add_epi16((d)[1], (d)[2]); \
        (v)[2] = _mm256_sub_epi16((d)[2], (d)[1]); \
        (v)[3] = _mm256_sub_epi16((d)[1], (d)[3]); \
    } while (0)

void et_qs8_wino_input_2x2__avx2(size_t channels, size_t kc, const int8_t *const *d, int32_t x_zp, int16_t *v,
                                 size_t v_stride) {
    const __m256i zp = _mm256_set1_epi16((short)x_zp);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        __m256i x[16], tmp[16], col[4], tr[4];
        for (size_t i = 0; i < 16; i++)
            x[i] = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(d[i] + c))), zp);
        for (size_t j = 0; j < 4; j++) {
            for (size_t i = 0; i < 4; i++)
                col[i] = x[i * 4 + j];
            IN1(col, tr);
            for (size_t i = 0; i < 4; i++)
                tmp[i * 4 + j] = tr[i];
        }
        for (size_t i = 0; i < 4; i++) {
            IN1(tmp + i * 4, tr);
            for (size_t j = 0; j < 4; j++)
                _mm256_storeu_si256((__m256i *)(v + (i * 4 + j) * v_stride + c), tr[j]);
        }
    }
    if (c < kc) {
        const int8_t *rest[16];
        for (size_t i = 0; i < 16; i++)
            rest[i] = d[i] + c;
        et_qs8_wino_input_2x2__scalar(channels - c, kc - c, rest, x_zp, v + c, v_stride);
    }
}

/* Stores the first n (<= 16) columns of one row of int32 (columns 0-7 in lo, 8-15 in hi). */
static inline void store_row(int32_t *dst, __m256i lo, __m256i hi, size_t n) {
    if (n == 16) {
        _mm256_storeu_si256((__m256i *)dst, lo);
        _mm256_storeu_si256((__m256i *)(dst + 8), hi);
        return;
    }
    int32_t tmp[16];
    _mm256_storeu_si256((__m256i *)tmp, lo);
    _mm256_storeu_si256((__m256i *)(tmp + 8), hi);
    memcpy(dst, tmp, n * sizeof *dst);
}

/* One panel of up to 16 columns for MR (< 6) rows: acc[r] (columns 0-7, 8-15) = sum over k pairs of a[r][k..k+1] . w. */
static inline __attribute__((always_inline)) void panel_rows(const int MR, size_t n, size_t kc, const int16_t *a,
                                                             size_t a_stride, const int16_t *w, int32_t *c,
                                                             size_t c_stride) {
    __m256i lo[5], hi[5];
    const int16_t *p[5];
#pragma GCC unroll 5
    for (int r = 0; r < MR; r++)
        lo[r] = hi[r] = _mm256_setzero_si256(), p[r] = a + (size_t)r * a_stride;
    for (size_t k = 0; k < kc; k += 2) {
        const __m256i wl = _mm256_loadu_si256((const __m256i *)w);
        const __m256i wh = _mm256_loadu_si256((const __m256i *)(w + 16));
        w += 32;
#pragma GCC unroll 5
        for (int r = 0; r < MR; r++) {
            const __m256i va = et_qavx2_bcast32(p[r] + k);
            lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(va, wl));
            hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(va, wh));
        }
    }
    for (int r = 0; r < MR; r++)
        store_row(c + (size_t)r * c_stride, lo[r], hi[r], n);
}

/* The 6-row panel written out with named accumulators: in the array form of panel_rows GCC keeps some of the 12
 * in memory (measured: the GEMM then ran at about half the speed of the igemm kernel per multiply-add). */
static void panel_6rows(size_t n, size_t kc, const int16_t *a, size_t a_stride, const int16_t *w, int32_t *c,
                        size_t c_stride) {
    const int16_t *a0 = a, *a1 = a0 + a_stride, *a2 = a1 + a_stride, *a3 = a2 + a_stride, *a4 = a3 + a_stride;
    const int16_t *a5 = a4 + a_stride;
    __m256i acc0l = _mm256_setzero_si256(), acc0h = acc0l, acc1l = acc0l, acc1h = acc0l, acc2l = acc0l;
    __m256i acc2h = acc0l, acc3l = acc0l, acc3h = acc0l, acc4l = acc0l, acc4h = acc0l, acc5l = acc0l, acc5h = acc0l;
    for (size_t k = 0; k < kc; k += 2) {
        const __m256i wl = _mm256_loadu_si256((const __m256i *)w);
        const __m256i wh = _mm256_loadu_si256((const __m256i *)(w + 16));
        w += 32;
        __m256i va = et_qavx2_bcast32(a0 + k);
        acc0l = _mm256_add_epi32(acc0l, _mm256_madd_epi16(va, wl));
        acc0h = _mm256_add_epi32(acc0h, _mm256_madd_epi16(va, wh));
        va = et_qavx2_bcast32(a1 + k);
        acc1l = _mm256_add_epi32(acc1l, _mm256_madd_epi16(va, wl));
        acc1h = _mm256_add_epi32(acc1h, _mm256_madd_epi16(va, wh));
        va = et_qavx2_bcast32(a2 + k);
        acc2l = _mm256_add_epi32(acc2l, _mm256_madd_epi16(va, wl));
        acc2h = _mm256_add_epi32(acc2h, _mm256_madd_epi16(va, wh));
        va = et_qavx2_bcast32(a3 + k);
        acc3l = _mm256_add_epi32(acc3l, _mm256_madd_epi16(va, wl));
        acc3h = _mm256_add_epi32(acc3h, _mm256_madd_epi16(va, wh));
        va = et_qavx2_bcast32(a4 + k);
        acc4l = _mm256_add_epi32(acc4l, _mm256_madd_epi16(va, wl));
        acc4h = _mm256_add_epi32(acc4h, _mm256_madd_epi16(va, wh));
        va = et_qavx2_bcast32(a5 + k);
        acc5l = _mm256_add_epi32(acc5l, _mm256_madd_epi16(va, wl));
        acc5h = _mm256_add_epi32(acc5h, _mm256_madd_epi16(va, wh));
    }
    store_row(c, acc0l, acc0h, n);
    store_row(c + c_stride, acc1l, acc1h, n);
    store_row(c + 2 * c_stride, acc2l, acc2h, n);
    store_row(c + 3 * c_stride, acc3l, acc3h, n);
    store_row(c + 4 * c_stride, acc4l, acc4h, n);
    store_row(c + 5 * c_stride, acc5l, acc5h, n);
}

void et_qs8_wino_gemm_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const int16_t *a, size_t a_stride, const int16_t *w,
                                   int32_t *c, size_t c_stride) {
    for (size_t col0 = 0; col0 < nc; col0 += ET_QS8_WINO_NR) {
        const int16_t *panel = w + col0 / ET_QS8_WINO_NR * (kc * ET_QS8_WINO_NR);
        const size_t n = nc - col0 < ET_QS8_WINO_NR ? nc - col0 : ET_QS8_WINO_NR;
        int32_t *cc = c + col0;
        switch (mr) { /* a compile-time row count in each: the accumulators stay in registers */
        case 6: panel_6rows(n, kc, a, a_stride, panel, cc, c_stride); break;
        case 5: panel_rows(5, n, kc, a, a_stride, panel, cc, c_stride); break;
        case 4: panel_rows(4, n, kc, a, a_stride, panel, cc, c_stride); break;
        case 3: panel_rows(3, n, kc, a, a_stride, panel, cc, c_stride); break;
        case 2: panel_rows(2, n, kc, a, a_stride, panel, cc, c_stride); break;
        default: panel_rows(1, n, kc, a, a_stride, panel, cc, c_stride); break;
        }
    }
}

/* A^T of F(2, 3) on int32 vectors (wrapping adds, as the scalar kernel's uint32_t). */
#define OUT1(s, y)                                                           \
    do {                                                                     \
        (y)[0] = _mm256_add_epi32(_mm256_add_epi32((s)[0], (s)[1]), (s)[2]); \
        (y)[1] = _mm256_sub_epi32(_mm256_sub_epi32((s)[1], (s)[2]), (s)[3]); \
    } while (0)

/* The 2x2 sums of 8 channels from position vectors x[16] (divided by 4, plus bias): out[q] for pixel q. */
static inline __attribute__((always_inline)) void out8(const __m256i x[16], __m256i bias, __m256i out[4]) {
    __m256i col[4], tr[2], tmp[8], s[2];
    for (size_t j = 0; j < 4; j++) {
        for (size_t i = 0; i < 4; i++)
            col[i] = x[i * 4 + j];
        OUT1(col, tr);
        tmp[j] = tr[0];
        tmp[4 + j] = tr[1];
    }
    for (size_t i = 0; i < 2; i++) {
        OUT1(tmp + i * 4, s);
        for (size_t j = 0; j < 2; j++) /* exact division: the sum is 4 x the convolution */
            out[i * 2 + j] = _mm256_add_epi32(_mm256_srai_epi32(s[j], 2), bias);
    }
}

void et_qs8_wino_output_2x2__avx2(size_t channels, const int32_t *m, size_t m_stride, const int32_t *bias,
                                  const float *scale, int8_t *const *y, const int8_t *const *r,
                                  const et_qs8_requant_params *p) {
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        __m256i x[16], lo[4], hi[4];
        for (size_t q = 0; q < 16; q++)
            x[q] = _mm256_loadu_si256((const __m256i *)(m + q * m_stride + c));
        out8(x, _mm256_loadu_si256((const __m256i *)(bias + c)), lo);
        for (size_t q = 0; q < 16; q++)
            x[q] = _mm256_loadu_si256((const __m256i *)(m + q * m_stride + c + 8));
        out8(x, _mm256_loadu_si256((const __m256i *)(bias + c + 8)), hi);
        const __m256 s_lo = _mm256_loadu_ps(scale + c), s_hi = _mm256_loadu_ps(scale + c + 8);
        for (size_t q = 0; q < 4; q++) {
            if (!y[q])
                continue;
            const __m128i o = et_qavx2_requant16(lo[q], hi[q], s_lo, s_hi, r ? r[q] + c : NULL, 16, p);
            et_qavx2_store16(y[q] + c, o, 16);
        }
    }
    if (c < channels) {
        int8_t *yy[4];
        const int8_t *rr[4];
        for (size_t q = 0; q < 4; q++) {
            yy[q] = y[q] ? y[q] + c : NULL;
            rr[q] = r && r[q] ? r[q] + c : NULL;
        }
        et_qs8_wino_output_2x2__scalar(channels - c, m + c, m_stride, bias + c, scale + c, yy, r ? rr : NULL, p);
    }
}
