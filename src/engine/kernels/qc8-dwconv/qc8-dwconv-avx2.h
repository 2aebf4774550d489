/* qc8-dwconv-avx2.h: what the AVX2 quantized depthwise kernels share (included only by the AVX2 kernels of this
 * folder): loading and storing a channel tail of 1-15 bytes, and the requantization of 16 accumulated channels.
 *
 * Tails: a tile of n < 16 channels used to go through memcpy into a zeroed 16-byte buffer for every tap of every
 * pixel (a library call per tap); on MobileNetV3-Small's 72-, 88- and 120-channel layers that made the int8 kernel
 * twice as slow as the fp32 one (per-layer profile, 1 thread). Now a tail is two overlapping 8-byte (n >= 8) or
 * 4-byte (n >= 4) loads, put in place by one vpshufb whose mask depends only on n (built once per call); a store
 * is two overlapping stores. Exactly the n bytes of the tail are read and written, as the call contract wants
 * (qc8-dwconv.h); the overlapping store writes its bytes twice with the same value. */
#ifndef ET_KERNELS_QC8_DWCONV_AVX2_H
#define ET_KERNELS_QC8_DWCONV_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

typedef struct {
    size_t n;        /* bytes in the tail, 1-15 (0: none) */
    __m128i load;    /* vpshufb mask: the two overlapping loads -> bytes 0..n-1, zeros after */
    __m128i store_2; /* vpshufb mask: bytes n-h..n-1 -> lanes 0..h-1 for the second store (h = 8 or 4) */
} et_qdw_tail;

/* The masks for a tail of n bytes (1-15); n = 0 (no tail) returns at once: a kernel calls this once per call, for
 * rows of a few pixels, where 16 mask bytes built in a loop would show. */
static inline et_qdw_tail et_qdw_tail_init(size_t n) {
    et_qdw_tail t = {.n = n};
    if (n == 0) {
        t.load = t.store_2 = _mm_setzero_si128();
        return t;
    }
    int8_t m[16], s[16];
    const size_t h = n >= 8 ? 8 : 4; /* size of each of the two loads (n < 4: one byte at a time, no shuffle) */
    for (size_t i = 0; i < 16; i++) {
        if (n < 4)
            m[i] = i < n ? (int8_t)i : (int8_t)-128;
        else
            m[i] = i < h ? (int8_t)i : i < n ? (int8_t)(i + 2 * h - n) : (int8_t)-128;
        s[i] = n >= 4 && i < h ? (int8_t)(n - h + i) : (int8_t)-128;
    }
    t.load = _mm_loadu_si128((const __m128i *)m);
    t.store_2 = _mm_loadu_si128((const __m128i *)s);
    return t;
}

static inline uint32_t et_qdw_load_u32(const int8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The t->n bytes at p in lanes 0..n-1, zeros after. */
static inline __m128i et_qdw_load_tail(const int8_t *p, const et_qdw_tail *t) {
    const size_t n = t->n;
    __m128i v;
    if (n >= 8)
        v = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)p), _mm_loadl_epi64((const __m128i *)(p + n - 8)));
    else if (n >= 4)
        v = _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)et_qdw_load_u32(p)),
                               _mm_cvtsi32_si128((int)et_qdw_load_u32(p + n - 4)));
    else
        v = _mm_cvtsi32_si128((int)((uint32_t)(uint8_t)p[0] | (n > 1 ? (uint32_t)(uint8_t)p[1] << 8 : 0) |
                                    (n > 2 ? (uint32_t)(uint8_t)p[2] << 16 : 0)));
    return _mm_shuffle_epi8(v, t->load);
}

/* Stores lanes 0..n-1 of v at p (exactly n bytes). */
static inline void et_qdw_store_tail(int8_t *p, __m128i v, const et_qdw_tail *t) {
    const size_t n = t->n;
    if (n >= 8) {
        _mm_storel_epi64((__m128i *)p, v);
        _mm_storel_epi64((__m128i *)(p + n - 8), _mm_shuffle_epi8(v, t->store_2));
    } else if (n >= 4) {
        const uint32_t a = (uint32_t)_mm_cvtsi128_si32(v),
                       b = (uint32_t)_mm_cvtsi128_si32(_mm_shuffle_epi8(v, t->store_2));
        memcpy(p, &a, sizeof a);
        memcpy(p + n - 4, &b, sizeof b);
    } else {
        const uint32_t a = (uint32_t)_mm_cvtsi128_si32(v);
        p[0] = (int8_t)a;
        if (n > 1)
            p[1] = (int8_t)(a >> 8);
        if (n > 2)
            p[2] = (int8_t)(a >> 16);
    }
}

/* The constants of the requantization (et_qdw_requant), set once per call. */
typedef struct {
    __m256 hi, rs;
    __m256i zp, rzp;
    __m128i qmin, acc_order;
} et_qdw_rq;

static inline et_qdw_rq et_qdw_rq_init(const et_qs8_requant_params *params) {
    et_qdw_rq q;
    q.hi = _mm256_set1_ps(params->out_hi);
    q.qmin = _mm_set1_epi8((char)((int32_t)params->out_lo + params->out_zp));
    q.zp = _mm256_set1_epi16((short)params->out_zp);
    q.rzp = _mm256_set1_epi32(params->residual_zp);
    q.rs = _mm256_set1_ps(params->residual_scale);
    /* channel order of the accumulators: 0-3, 8-11 | 4-7, 12-15 */
    q.acc_order = _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    return q;
}

/* 16 int8 outputs in channel order from the accumulators (channels 0-3, 8-11 | 4-7, 12-15), the scales s (same
 * order) and, when has_r, the 16 residual int8 rv (channel order). The upper clamp is in float, the lower one
 * after the saturating packs (see qc8-dwconv-9p16c-avx2.c); bit-exact with et_qs8_requantize(_residual). */
static inline __m128i et_qdw_requant(__m256i acc_lo, __m256i acc_hi, const float *s, int has_r, __m128i rv,
                                     const et_qdw_rq *q) {
    __m256 f_lo = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_lo), _mm256_loadu_ps(s));
    __m256 f_hi = _mm256_mul_ps(_mm256_cvtepi32_ps(acc_hi), _mm256_loadu_ps(s + 8));
    if (has_r) {
        const __m128i r = _mm_shuffle_epi8(rv, q->acc_order);
        const __m256i r_lo = _mm256_sub_epi32(_mm256_cvtepi8_epi32(r), q->rzp);
        const __m256i r_hi = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(r, 8)), q->rzp);
        f_lo = _mm256_add_ps(f_lo, _mm256_mul_ps(_mm256_cvtepi32_ps(r_lo), q->rs));
        f_hi = _mm256_add_ps(f_hi, _mm256_mul_ps(_mm256_cvtepi32_ps(r_hi), q->rs));
    }
    f_lo = _mm256_min_ps(f_lo, q->hi);
    f_hi = _mm256_min_ps(f_hi, q->hi);
    /* per 128-bit lane: [0-3 | 4-7] and [8-11 | 12-15]: in order */
    const __m256i v = _mm256_adds_epi16(_mm256_packs_epi32(_mm256_cvtps_epi32(f_lo), _mm256_cvtps_epi32(f_hi)), q->zp);
    return _mm_max_epi8(_mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)), q->qmin);
}

#endif
