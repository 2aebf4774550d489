/* qgemm-avx2.h: what the AVX2 quantized GEMM/IGEMM bodies share: the A broadcast, row pointers and the
 * requantizing epilogue: 16 int32 columns (two
 * ymm, columns 0-7 and 8-15) of one row -> 16 int8, with the exact steps of et_qs8_requantize (qparams.h):
 * cvtepi32_ps and mul_ps round like the C conversions and products, max/min clamp in float, cvtps_epi32 rounds
 * to nearest even like lrintf in the default mode. Only -avx2 kernel files include it. */
#ifndef ET_KERNELS_QGEMM_AVX2_H
#define ET_KERNELS_QGEMM_AVX2_H

#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "engine/kernels/qparams.h"

/* Four bytes at p (two int16 of A, or four uint8) broadcast as one 32-bit lane: a load, no shuffle. */
static inline __m256i et_qavx2_bcast32(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* n (<= 16) int8 from p; the rest zero. Never reads past p + n. */
static inline __m128i et_qavx2_load16(const int8_t *p, size_t n) {
    if (n >= 16)
        return _mm_loadu_si128((const __m128i *)p);
    int8_t tmp[16] = {0};
    memcpy(tmp, p, n);
    return _mm_loadu_si128((const __m128i *)tmp);
}

/* Stores the first n (<= 16) bytes of v. */
static inline void et_qavx2_store16(int8_t *c, __m128i v, size_t n) {
    if (n >= 16) {
        _mm_storeu_si128((__m128i *)c, v);
        return;
    }
    if (n & 8) {
        _mm_storel_epi64((__m128i *)c, v);
        v = _mm_unpackhi_epi64(v, v);
        c += 8;
    }
    if (n & 4) {
        const int32_t x = _mm_cvtsi128_si32(v);
        memcpy(c, &x, 4);
        v = _mm_srli_epi64(v, 32);
        c += 4;
    }
    if (n & 2) {
        const int16_t x = (int16_t)_mm_extract_epi16(v, 0);
        memcpy(c, &x, 2);
        v = _mm_srli_epi32(v, 16);
        c += 2;
    }
    if (n & 1)
        *c = (int8_t)_mm_extract_epi8(v, 0);
}

/* One row's 16 sums (acc_lo / acc_hi: columns 0-7 / 8-15) as floats times the scales, plus the residual at r
 * (its first n columns; NULL: none), into f[0] / f[1]: the steps of et_qs8_requantize before the clamp. */
static inline __attribute__((always_inline)) void et_qavx2_scale16(__m256 f[2], __m256i acc_lo, __m256i acc_hi,
                                                                   __m256 s_lo, __m256 s_hi, const int8_t *r, size_t n,
                                                                   const et_qs8_requant_params *p) {
    f[0] = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_lo), s_lo);
    f[1] = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_hi), s_hi);
    if (r) {
        const __m128i rv = et_qavx2_load16(r, n);
        const __m256i rzp = _mm256_set1_epi32(p->residual_zp);
        const __m256 rs = _mm256_set1_ps(p->residual_scale);
        const __m256i r_lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(rv), rzp);
        const __m256i r_hi = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(rv, 8)), rzp);
        f[0] = _mm256_add_ps(f[0], _mm256_mul_ps(_mm256_cvtepi32_ps(r_lo), rs));
        f[1] = _mm256_add_ps(f[1], _mm256_mul_ps(_mm256_cvtepi32_ps(r_hi), rs));
    }
}

/* Requantizes one row: acc_lo / acc_hi hold columns 0-7 / 8-15, scales likewise; r (NULL: none) holds the
 * residual of the first n columns. Returns 16 int8 (columns past n are garbage). */
static inline __m128i et_qavx2_requant16(__m256i acc_lo, __m256i acc_hi, __m256 s_lo, __m256 s_hi, const int8_t *r,
                                         size_t n, const et_qs8_requant_params *p) {
    __m256 f[2];
    et_qavx2_scale16(f, acc_lo, acc_hi, s_lo, s_hi, r, n, p);
    __m256 f_lo = f[0], f_hi = f[1];
    const __m256 lo = _mm256_set1_ps(p->out_lo), hi = _mm256_set1_ps(p->out_hi);
    f_lo = _mm256_min_ps(_mm256_max_ps(f_lo, lo), hi);
    f_hi = _mm256_min_ps(_mm256_max_ps(f_hi, lo), hi);
    /* packs interleaves the halves per 128-bit lane: [0-3 8-11 | 4-7 12-15]; the permute restores the order */
    __m256i v = _mm256_packs_epi32(_mm256_cvtps_epi32(f_lo), _mm256_cvtps_epi32(f_hi));
    v = _mm256_permute4x64_epi64(v, 0xD8);
    v = _mm256_adds_epi16(v, _mm256_set1_epi16((short)p->out_zp));
    return _mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

/* The clamp of the 6 x 16 epilogue below is split to save two instructions a row and stays exact (et_qs8_round_clamp):
 * the upper bound in float, min(hi, f), which passes a NaN on as et_qs8_round_clamp does not (cvtps_epi32 turns
 * it into INT32_MIN, which saturates to the lower bound, the value the scalar rule gives a NaN); the lower bound
 * in int8 after the zero point, max(q, qmin), because rounding is monotonic and the bound an integer, so
 * round(max(f, lo)) = max(round(f), lo); packs_epi32, adds_epi16 and packs_epi16 saturate anything below -128 to
 * -128 <= qmin and nothing above 127 reaches them (hi + zp = qmax). Two rows share a pack: bytes per 128-bit lane
 * [a 0-3, a 8-11, b 0-3, b 8-11 | a 4-7, a 12-15, b 4-7, b 12-15], as dwords d0..d7; vpermd puts them back in
 * column order: a = d0 d4 d1 d5, b = d2 d6 d3 d7.
 *
 * It goes in phases over all six rows (scale, clamp and convert, pack) rather than row pair by row pair: the 12
 * accumulators then become floats and ints in place, and the constants of a phase are loaded only when the
 * registers of the one before are free. Pair by pair, 12 accumulators and 6 constants were live at once, GCC
 * spilled the accumulators to the stack and read them back (about 24 instructions a tile, kernel_ab.sh
 * --callgrind).
 *
 * The 6 x 16 tile at column offset off: as et_qavx2_store_6x16, with `res` a compile-time constant (whether rr
 * holds residual rows), so that the residual-free tile has no test per row. */
static inline __attribute__((always_inline)) void
et_qavx2_store_6x16_res(const __m256i acc[12], const uint8_t *s, size_t n, int8_t *const cr[6],
                        const int8_t *const rr[6], size_t off, const bool res, const et_qs8_requant_params *params) {
    const __m256 s_lo = _mm256_loadu_ps((const float *)(const void *)s);
    const __m256 s_hi = _mm256_loadu_ps((const float *)(const void *)(s + 32));
    __m256 f[12];
#pragma GCC unroll 6
    for (size_t i = 0; i < 6; i++)
        et_qavx2_scale16(&f[2 * i], acc[2 * i], acc[2 * i + 1], s_lo, s_hi, res ? rr[i] + off : NULL, n, params);
    const __m256 hi = _mm256_set1_ps(params->out_hi);
    __m256i v[12];
#pragma GCC unroll 12
    for (size_t i = 0; i < 12; i++)
        v[i] = _mm256_cvtps_epi32(_mm256_min_ps(hi, f[i]));
    const __m256i zp16 = _mm256_set1_epi16((short)params->out_zp);
#pragma GCC unroll 6
    for (size_t i = 0; i < 6; i++)
        v[i] = _mm256_adds_epi16(_mm256_packs_epi32(v[2 * i], v[2 * i + 1]), zp16);
    const __m256i qmin8 = _mm256_set1_epi8((char)((int32_t)params->out_lo + params->out_zp));
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i o[3];
#pragma GCC unroll 3
    for (size_t q = 0; q < 3; q++)
        o[q] = _mm256_permutevar8x32_epi32(_mm256_max_epi8(_mm256_packs_epi16(v[2 * q], v[2 * q + 1]), qmin8), perm);
    if (n >= 16) {
#pragma GCC unroll 3
        for (size_t q = 3; q-- > 0;) {
            _mm_storeu_si128((__m128i *)(cr[2 * q + 1] + off), _mm256_extracti128_si256(o[q], 1));
            _mm_storeu_si128((__m128i *)(cr[2 * q] + off), _mm256_castsi256_si128(o[q]));
        }
    } else {
#pragma GCC unroll 3
        for (size_t q = 3; q-- > 0;) {
            et_qavx2_store16(cr[2 * q + 1] + off, _mm256_extracti128_si256(o[q], 1), n);
            et_qavx2_store16(cr[2 * q] + off, _mm256_castsi256_si128(o[q]), n);
        }
    }
}

/* The end of a 6 x 16 panel: requantizes acc (row i: acc[2i] columns 0-7, acc[2i+1] 8-15) with the panel's
 * scales at s and stores the first n (<= 16) columns of each row i at cr[i] + off; residual row i (rr[0] NULL:
 * none, else every row's) is read at rr[i] + off. Every residual row is read before any output row is written,
 * so r may be c (an in-place residual add). Inlined, straight-line, two rows per pack, row pointers that stay
 * put while the caller steps off: as a called function with a loop over rows, a residual test per row and row
 * pointers stepped through memory, it cost about as many instructions per tile as the multiply-adds of a
 * 16-deep 1x1 convolution (kernel_ab.sh --callgrind has the counts). Results equal et_qavx2_requant16's
 * (et_qs8_requantize). */
static inline __attribute__((always_inline)) void et_qavx2_store_6x16(const __m256i acc[12], const uint8_t *s, size_t n,
                                                                      int8_t *const cr[6], const int8_t *const rr[6],
                                                                      size_t off, const et_qs8_requant_params *params) {
    if (rr[0])
        et_qavx2_store_6x16_res(acc, s, n, cr, rr, off, true, params);
    else
        et_qavx2_store_6x16_res(acc, s, n, cr, rr, off, false, params);
}

/* Row pointers of an MR-row tile: rows i >= mr alias row mr - 1 (XNNPACK's convention). */
#define ET_QAVX2_ROWS(MR, T, base, stride, out)                                                      \
    do {                                                                                             \
        for (size_t i_ = 0; i_ < (MR); i_++)                                                         \
            (out)[i_] = (base) ? (T)((uintptr_t)(base) + (i_ < mr ? i_ : mr - 1) * (stride)) : NULL; \
    } while (0)

#endif
