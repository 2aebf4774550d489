/* qc8-dwconv-avx512.h: what the AVX-512 quantized depthwise kernels share (included only by the -avx512f kernels of
 * this folder, built with AVX-512F/BW/VL): 32 channels per step, the S16_PAIRS layout of qc8-dwconv.h with a tile of
 * 32, the arithmetic of the AVX2 kernels (qc8-dwconv-avx2.h) on registers twice as wide.
 *
 * A pair of taps is two vpmovsxbw (32 int8 -> 32 int16 each), vpunpck{l,h}wd and two vpmaddwd: 64 exact
 * multiply-adds. Within each 128-bit lane the interleave leaves channels 8k..8k+3 in the "lo" accumulator and
 * 8k+4..8k+7 in the "hi" one (k = 0..3), the order the packed biases, weights and scales follow; vpackssdw puts
 * the 32 channels back in order and vpmovswb narrows them with the saturation vpacksswb has. A channel tail
 * (channels % 32) is loaded and stored through an AVX-512 byte mask: exactly its bytes are read and written, as
 * the call contract wants, and a masked-off byte past the end of a buffer does not fault. */
#ifndef ET_KERNELS_QC8_DWCONV_AVX512_H
#define ET_KERNELS_QC8_DWCONV_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

/* The mask of a tail of n bytes (0-31). */
static inline __mmask32 et_qdw512_tail_mask(size_t n) { return (__mmask32)((1u << n) - 1u); }

/* The 32 int8 at p; with `masked`, only the bytes of mask m (zeros elsewhere). Inlined with a constant `masked`,
 * so that the full tiles carry no mask. */
static inline __attribute__((always_inline)) __m256i et_qdw512_load(const int8_t *p, int masked, __mmask32 m) {
    return masked ? _mm256_maskz_loadu_epi8(m, p) : _mm256_loadu_si256((const __m256i *)p);
}

static inline __attribute__((always_inline)) void et_qdw512_store(int8_t *p, __m256i v, int masked, __mmask32 m) {
    if (masked)
        _mm256_mask_storeu_epi8(p, m, v);
    else
        _mm256_storeu_si256((__m256i *)p, v);
}

/* *lo, *hi += taps a, b of 32 channels (int8, channel order) against the packed pair at w (64 bytes for the lo
 * lanes, then 64 for the hi lanes). */
static inline __attribute__((always_inline)) void et_qdw512_pair(__m256i a, __m256i b, const uint8_t *w, __m512i *lo,
                                                                 __m512i *hi) {
    const __m512i x0 = _mm512_cvtepi8_epi16(a), x1 = _mm512_cvtepi8_epi16(b);
    *lo = _mm512_add_epi32(*lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(x0, x1), _mm512_loadu_si512(w)));
    *hi = _mm512_add_epi32(*hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(x0, x1), _mm512_loadu_si512(w + 64)));
}

/* The constants of the requantization (et_qdw512_requant), set once per call. */
typedef struct {
    __m512 hi, rs;
    __m512i zp, rzp;
    __m256i qmin, r_order;
} et_qdw512_rq;

static inline et_qdw512_rq et_qdw512_rq_init(const et_qs8_requant_params *params) {
    et_qdw512_rq q;
    q.hi = _mm512_set1_ps(params->out_hi);
    q.qmin = _mm256_set1_epi8((char)((int32_t)params->out_lo + params->out_zp));
    q.zp = _mm512_set1_epi16((short)params->out_zp);
    q.rzp = _mm512_set1_epi32(params->residual_zp);
    q.rs = _mm512_set1_ps(params->residual_scale);
    /* per 16-byte lane: channels 0-3, 8-11, 4-7, 12-15; a vpermq then gathers the lanes' first halves (lo order)
     * and second halves (hi order) */
    q.r_order = _mm256_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5,
                                 6, 7, 12, 13, 14, 15);
    return q;
}

/* 32 int8 outputs in channel order from the accumulators (lo, hi order), the scales s (same order) and, when
 * has_r, the 32 residual int8 rv (channel order). As in qc8-dwconv-avx2.h: the upper clamp in float, the lower one
 * after the saturating narrowing (one vpmaxsb); no FMA; bit-exact with et_qs8_requantize(_residual). */
static inline __m256i et_qdw512_requant(__m512i lo, __m512i hi, const float *s, int has_r, __m256i rv,
                                        const et_qdw512_rq *q) {
    __m512 f_lo = _mm512_mul_ps(_mm512_cvtepi32_ps(lo), _mm512_loadu_ps(s));
    __m512 f_hi = _mm512_mul_ps(_mm512_cvtepi32_ps(hi), _mm512_loadu_ps(s + 16));
    if (has_r) {
        const __m256i r = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(rv, q->r_order), _MM_SHUFFLE(3, 1, 2, 0));
        const __m512i r_lo = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(r)), q->rzp);
        const __m512i r_hi = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(r, 1)), q->rzp);
        f_lo = _mm512_add_ps(f_lo, _mm512_mul_ps(_mm512_cvtepi32_ps(r_lo), q->rs));
        f_hi = _mm512_add_ps(f_hi, _mm512_mul_ps(_mm512_cvtepi32_ps(r_hi), q->rs));
    }
    f_lo = _mm512_min_ps(f_lo, q->hi);
    f_hi = _mm512_min_ps(f_hi, q->hi);
    /* per 128-bit lane k: channels 8k..8k+3 of lo, then 8k+4..8k+7 of hi: in order */
    const __m512i v = _mm512_adds_epi16(_mm512_packs_epi32(_mm512_cvtps_epi32(f_lo), _mm512_cvtps_epi32(f_hi)), q->zp);
    return _mm256_max_epi8(_mm512_cvtsepi16_epi8(v), q->qmin);
}

#endif
