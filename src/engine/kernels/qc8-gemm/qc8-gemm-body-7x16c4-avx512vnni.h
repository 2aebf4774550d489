/* qc8-gemm-body-7x16c4-avx512vnni.h: the AVX-512 VNNI 7 x 16 body, k in quads, of qc8-gemm-7x16c4-avx512vnni.c
 * and qc8-igemm-7x16c4-avx512vnni.c, which differ only in where a row of A starts. A template (gemm-body.h): the
 * kernel file names the kernel; built with -mavx512vnni.
 *
 * vpdpbusd multiplies 4 unsigned bytes of A by 4 signed bytes of each of 16 columns and adds them into int32: 64
 * exact MACs per instruction (an unsigned byte times a signed one fits int16 and the sum of four fits int32). A is
 * therefore uint8 (x ^ 0x80, ET_QA_U8, the +128 folded into the bias), weights int8 in blocks of 16 columns x 4 k
 * (one zmm). Partial panels use masked loads and stores (AVX-512BW). */

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/kernels/gemm-body.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"

static inline __m512i et_qvnni_bcast32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* Requantizes 16 columns of one row (qparams.h's steps); r (NULL: none) is the residual, read under `mask`. */
static inline __m128i et_qvnni_requant16(__m512i acc, __m512 scale, const int8_t *r, __mmask16 mask,
                                         const et_qs8_requant_params *p) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
    if (r) {
        const __m512i rv = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, r)),
                                            _mm512_set1_epi32(p->residual_zp));
        f = _mm512_add_ps(f, _mm512_mul_ps(_mm512_cvtepi32_ps(rv), _mm512_set1_ps(p->residual_scale)));
    }
    f = _mm512_min_ps(_mm512_max_ps(f, _mm512_set1_ps(p->out_lo)), _mm512_set1_ps(p->out_hi));
    return _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(p->out_zp)));
}

/* The kernel: mr (1..7) rows x nc columns, ks taps of kc uint8 (ks = 1 for a GEMM). */
ET_QGEMM_BODY_SIGNATURE {
    ET_QGEMM_BODY_PROLOGUE(7, 4);
    int8_t *cr[7];
    const int8_t *rr[7];
    for (size_t i = 0; i < 7; i++) {
        const size_t row_i = i < mr ? i : mr - 1;
        cr[i] = c + row_i * cm_stride;
        rr[i] = r ? r + row_i * rm_stride : NULL;
    }
    const uint8_t *wp = w;
    for (;;) {
        __m512i acc0 = _mm512_loadu_si512(wp), acc1 = acc0, acc2 = acc0, acc3 = acc0, acc4 = acc0, acc5 = acc0;
        __m512i acc6 = acc0;
        wp += 64;
        for (size_t t = 0; t < ks; t++) {
            const uint8_t *ar[7];
            for (size_t i = 0; i < 7; i++)
                ar[i] = ET_BODY_A_ROW(7, t, i);
            for (size_t k = 0; k < kc; k += 4) {
                const __m512i wv = _mm512_loadu_si512(wp);
                wp += 64;
                acc0 = _mm512_dpbusd_epi32(acc0, et_qvnni_bcast32(ar[0] + k), wv);
                acc1 = _mm512_dpbusd_epi32(acc1, et_qvnni_bcast32(ar[1] + k), wv);
                acc2 = _mm512_dpbusd_epi32(acc2, et_qvnni_bcast32(ar[2] + k), wv);
                acc3 = _mm512_dpbusd_epi32(acc3, et_qvnni_bcast32(ar[3] + k), wv);
                acc4 = _mm512_dpbusd_epi32(acc4, et_qvnni_bcast32(ar[4] + k), wv);
                acc5 = _mm512_dpbusd_epi32(acc5, et_qvnni_bcast32(ar[5] + k), wv);
                acc6 = _mm512_dpbusd_epi32(acc6, et_qvnni_bcast32(ar[6] + k), wv);
            }
        }
        const __m512 scale = _mm512_loadu_ps((const float *)(const void *)wp);
        wp += 64;
        const size_t n = nc < 16 ? nc : 16;
        const __mmask16 mask = (__mmask16)(n == 16 ? 0xFFFFu : (1u << n) - 1u);
        /* every residual row is read before any output row is written: r may be c */
        const __m128i o0 = et_qvnni_requant16(acc0, scale, rr[0], mask, params);
        const __m128i o1 = et_qvnni_requant16(acc1, scale, rr[1], mask, params);
        const __m128i o2 = et_qvnni_requant16(acc2, scale, rr[2], mask, params);
        const __m128i o3 = et_qvnni_requant16(acc3, scale, rr[3], mask, params);
        const __m128i o4 = et_qvnni_requant16(acc4, scale, rr[4], mask, params);
        const __m128i o5 = et_qvnni_requant16(acc5, scale, rr[5], mask, params);
        const __m128i o6 = et_qvnni_requant16(acc6, scale, rr[6], mask, params);
        _mm_mask_storeu_epi8(cr[6], mask, o6);
        _mm_mask_storeu_epi8(cr[5], mask, o5);
        _mm_mask_storeu_epi8(cr[4], mask, o4);
        _mm_mask_storeu_epi8(cr[3], mask, o3);
        _mm_mask_storeu_epi8(cr[2], mask, o2);
        _mm_mask_storeu_epi8(cr[1], mask, o1);
        _mm_mask_storeu_epi8(cr[0], mask, o0);
        if (nc <= 16)
            return;
        nc -= 16;
        for (size_t i = 0; i < 7; i++) {
            cr[i] += 16;
            if (rr[i])
                rr[i] += 16;
        }
    }
}
