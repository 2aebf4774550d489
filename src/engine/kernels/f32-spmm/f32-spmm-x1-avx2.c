/* f32-spmm-x1-avx2.c: AVX2+FMA sparse kernels and input packing, MR = 32, 16 and 8 pixels (see f32-spmm.h).
 *
 * Per nonzero: one broadcast of the value, MR/8 loads of the input row, MR/8 FMAs. A channel's nonzeros are
 * taken two at a time into two sets of accumulators (added at the end), so that MR = 32 keeps 8 independent FMA
 * chains in flight (4-cycle latency x 2 pipes). Eight channels' results go to a 1 KiB tile, which is transposed
 * 8x8 at a time into NHWC rows (one store per pixel per 8 channels) with the clamp. */
#include <immintrin.h>

#include "engine/kernels/f32-spmm/f32-spmm.h"

/* In-register 8x8 transpose: r[i] row i in, column i out. */
static inline void transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20), r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20), r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31), r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31), r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

static inline __m256 row(const float *xt, int32_t offset, size_t v) {
    return _mm256_loadu_ps((const float *)(const void *)((const char *)xt + offset) + 8 * v);
}

/* V = MR / 8 vectors per pixel tile: a constant in each caller once inlined (forced: otherwise the accumulators
 * live in memory), so the loops unroll. */
static inline __attribute__((always_inline)) void spmm(const size_t V, size_t mr, size_t nc, const float *xt,
                                                       const float *values, const int32_t *offsets, const uint32_t *nnz,
                                                       const float *bias, float *c, size_t cm_stride,
                                                       const et_f32_minmax_params *params) {
    const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
    float tile[8][32] __attribute__((aligned(32)));
    for (size_t n0 = 0; n0 < nc; n0 += 8) {
        const size_t nb = nc - n0 < 8 ? nc - n0 : 8;
        for (size_t b = 0; b < nb; b++) {
            const size_t n = n0 + b;
            __m256 a[4], s[4];
#pragma GCC unroll 4
            for (size_t v = 0; v < V; v++)
                a[v] = _mm256_set1_ps(bias[n]), s[v] = _mm256_setzero_ps();
            uint32_t j = nnz[n];
            for (; j >= 2; j -= 2, values += 2, offsets += 2) {
                const __m256 w0 = _mm256_broadcast_ss(values), w1 = _mm256_broadcast_ss(values + 1);
#pragma GCC unroll 4
                for (size_t v = 0; v < V; v++) {
                    a[v] = _mm256_fmadd_ps(w0, row(xt, offsets[0], v), a[v]);
                    s[v] = _mm256_fmadd_ps(w1, row(xt, offsets[1], v), s[v]);
                }
            }
            if (j) {
                const __m256 w0 = _mm256_broadcast_ss(values);
#pragma GCC unroll 4
                for (size_t v = 0; v < V; v++)
                    a[v] = _mm256_fmadd_ps(w0, row(xt, offsets[0], v), a[v]);
                values++, offsets++;
            }
#pragma GCC unroll 4
            for (size_t v = 0; v < V; v++)
                _mm256_store_ps(&tile[b][8 * v], _mm256_add_ps(a[v], s[v]));
        }
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nb), lanes);
        for (size_t v = 0; v < V && 8 * v < mr; v++) {
            __m256 r[8];
            for (size_t b = 0; b < 8; b++)
                r[b] = _mm256_load_ps(&tile[b < nb ? b : 0][8 * v]);
            transpose8(r);
            const size_t pixels = mr - 8 * v < 8 ? mr - 8 * v : 8;
            for (size_t i = 0; i < pixels; i++) {
                const __m256 y = _mm256_min_ps(_mm256_max_ps(r[i], vmin), vmax);
                float *out = c + (8 * v + i) * cm_stride + n0;
                if (nb == 8)
                    _mm256_storeu_ps(out, y);
                else
                    _mm256_maskstore_ps(out, mask, y);
            }
        }
    }
}

/* Packs V * 8 pixels: 8x8 blocks transposed in registers; channel tails and pixels >= mr (copies of pixel
 * mr - 1: finite, and dropped by the kernel) one value at a time. */
static inline __attribute__((always_inline)) void pack(const size_t V, size_t mr, size_t k, const float *x,
                                                       size_t x_stride, float *xt) {
    const size_t MR = 8 * V;
    const float *px[32];
    for (size_t i = 0; i < MR; i++)
        px[i] = x + (i < mr ? i : mr - 1) * x_stride;
    size_t kk = 0;
    for (; kk + 8 <= k; kk += 8)
#pragma GCC unroll 4
        for (size_t v = 0; v < V; v++) {
            __m256 r[8];
            for (size_t i = 0; i < 8; i++)
                r[i] = _mm256_loadu_ps(px[8 * v + i] + kk);
            transpose8(r);
            for (size_t i = 0; i < 8; i++)
                _mm256_storeu_ps(xt + (kk + i) * MR + 8 * v, r[i]);
        }
    for (; kk < k; kk++)
        for (size_t i = 0; i < MR; i++)
            xt[kk * MR + i] = px[i][kk];
}

ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_32x1__avx2) {
    ET_F32_SPMM_REQUIRE(32);
    spmm(4, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_16x1__avx2) {
    ET_F32_SPMM_REQUIRE(16);
    spmm(2, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_8x1__avx2) {
    ET_F32_SPMM_REQUIRE(8);
    spmm(1, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_32__avx2) {
    ET_F32_SPMM_PACK_REQUIRE(32);
    pack(4, mr, k, x, x_stride, xt);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_16__avx2) {
    ET_F32_SPMM_PACK_REQUIRE(16);
    pack(2, mr, k, x, x_stride, xt);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_8__avx2) {
    ET_F32_SPMM_PACK_REQUIRE(8);
    pack(1, mr, k, x, x_stride, xt);
}
