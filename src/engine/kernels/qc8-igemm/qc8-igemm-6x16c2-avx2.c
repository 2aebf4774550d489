/* qc8-igemm-6x16c2-avx2.c: AVX2 quantized indirect-GEMM kernel for 8-bit weights, 6 pixels x 16 output
 * channels, k in pairs: the inner loop of qc8-gemm-6x16c2-avx2.c over each tap's rows (see qc8-gemm.h). */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qc8-gemm/qgemm-avx2.h"
#include "engine/kernels/qc8-gemm/qgemm-c2-rows-avx2.h"

static inline __m256i bcast32(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

static inline const int16_t *row(const void *p, const void *zero, size_t a_offset) {
    return p == zero ? (const int16_t *)p : (const int16_t *)((uintptr_t)p + a_offset);
}

/* A tile of mr <= MR < 6 rows (qgemm-c2-rows-avx2.h); the indirection buffer still has 6 pointers per tap. */
static inline __attribute__((always_inline)) void few_rows(const int MR, size_t nc, size_t kc, size_t ks,
                                                            const void **a, const uint8_t *wp, int8_t *cr[6],
                                                            size_t a_offset, const void *zero, const int8_t *rr[6],
                                                            const et_qs8_requant_params *params) {
    for (;;) {
        __m256i acc[5][2];
        for (int i = 0; i < MR; i++)
            acc[i][0] = _mm256_loadu_si256((const __m256i *)wp), acc[i][1] = _mm256_loadu_si256((const __m256i *)(wp + 32));
        wp += 64;
        const void **ap = a;
        for (size_t t = 0; t < ks; t++, ap += 6) {
            const int16_t *ar[5];
            for (int i = 0; i < MR; i++)
                ar[i] = row(ap[i], zero, a_offset);
            wp = et_qc2_rows_madd(MR, kc, ar, wp, acc);
        }
        et_qc2_rows_store(MR, acc, wp, nc < 16 ? nc : 16, cr, rr, params);
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}

ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_6x16c2__avx2) {
    int8_t *cr[6];
    const int8_t *rr[6];
    ET_QAVX2_ROWS(6, int8_t *, c, cm_stride, cr);
    ET_QAVX2_ROWS(6, const int8_t *, r, rm_stride, rr);
    if (mr == 5) {
        few_rows(5, nc, kc, ks, a, w, cr, a_offset, zero, rr, params);
        return;
    }
    if (mr < 5) {
        few_rows(4, nc, kc, ks, a, w, cr, a_offset, zero, rr, params);
        return;
    }
    const uint8_t *wp = w;
    for (;;) {
        __m256i acc0l = _mm256_loadu_si256((const __m256i *)wp), acc0h = _mm256_loadu_si256((const __m256i *)(wp + 32));
        __m256i acc1l = acc0l, acc1h = acc0h, acc2l = acc0l, acc2h = acc0h;
        __m256i acc3l = acc0l, acc3h = acc0h, acc4l = acc0l, acc4h = acc0h, acc5l = acc0l, acc5h = acc0h;
        wp += 64;
        const void **ap = a;
        for (size_t t = 0; t < ks; t++, ap += 6) {
            const int16_t *a0 = row(ap[0], zero, a_offset), *a1 = row(ap[1], zero, a_offset);
            const int16_t *a2 = row(ap[2], zero, a_offset), *a3 = row(ap[3], zero, a_offset);
            const int16_t *a4 = row(ap[4], zero, a_offset), *a5 = row(ap[5], zero, a_offset);
            for (size_t k = 0; k < kc; k += 2) {
                const __m256i wl = _mm256_loadu_si256((const __m256i *)wp);
                const __m256i wh = _mm256_loadu_si256((const __m256i *)(wp + 32));
                wp += 64;
                __m256i va = bcast32(a0 + k);
                acc0l = _mm256_add_epi32(acc0l, _mm256_madd_epi16(va, wl));
                acc0h = _mm256_add_epi32(acc0h, _mm256_madd_epi16(va, wh));
                va = bcast32(a1 + k);
                acc1l = _mm256_add_epi32(acc1l, _mm256_madd_epi16(va, wl));
                acc1h = _mm256_add_epi32(acc1h, _mm256_madd_epi16(va, wh));
                va = bcast32(a2 + k);
                acc2l = _mm256_add_epi32(acc2l, _mm256_madd_epi16(va, wl));
                acc2h = _mm256_add_epi32(acc2h, _mm256_madd_epi16(va, wh));
                va = bcast32(a3 + k);
                acc3l = _mm256_add_epi32(acc3l, _mm256_madd_epi16(va, wl));
                acc3h = _mm256_add_epi32(acc3h, _mm256_madd_epi16(va, wh));
                va = bcast32(a4 + k);
                acc4l = _mm256_add_epi32(acc4l, _mm256_madd_epi16(va, wl));
                acc4h = _mm256_add_epi32(acc4h, _mm256_madd_epi16(va, wh));
                va = bcast32(a5 + k);
                acc5l = _mm256_add_epi32(acc5l, _mm256_madd_epi16(va, wl));
                acc5h = _mm256_add_epi32(acc5h, _mm256_madd_epi16(va, wh));
            }
        }
        const __m256i tile[12] = {acc0l, acc0h, acc1l, acc1h, acc2l, acc2h, acc3l, acc3h, acc4l, acc4h, acc5l, acc5h};
        et_qavx2_store_6x16(tile, wp, nc < 16 ? nc : 16, cr, rr, params);
        wp += 64;
        if (nc <= 16)
            return;
        nc -= 16;
    }
}
