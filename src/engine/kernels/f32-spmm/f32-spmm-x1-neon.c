/* f32-spmm-x1-neon.c: NEON sparse kernels and input packing, MR = 32, 16 and 8 pixels (see f32-spmm.h and the
 * AVX2 twin, f32-spmm-x1-avx2.c): two alternating sets of accumulators per channel, four channels' results
 * transposed 4x4 at a time into NHWC rows. */
#include <arm_neon.h>

#include "engine/kernels/f32-spmm/f32-spmm.h"

static inline void transpose4(float32x4_t r[4]) {
    const float32x4x2_t t01 = vtrnq_f32(r[0], r[1]), t23 = vtrnq_f32(r[2], r[3]);
    r[0] = vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0]));
    r[1] = vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1]));
    r[2] = vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0]));
    r[3] = vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1]));
}

static inline const float *row(const float *xt, int32_t offset) {
    return (const float *)(const void *)((const char *)xt + offset);
}

static inline __attribute__((always_inline)) void spmm(const size_t V, size_t mr, size_t nc, const float *xt,
                                                       const float *values, const int32_t *offsets, const uint32_t *nnz,
                                                       const float *bias, float *c, size_t cm_stride,
                                                       const et_f32_minmax_params *params) {
    const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
    float tile[4][32];
    for (size_t n0 = 0; n0 < nc; n0 += 4) {
        const size_t nb = nc - n0 < 4 ? nc - n0 : 4;
        for (size_t b = 0; b < nb; b++) {
            const size_t n = n0 + b;
            float32x4_t a[8], s[8];
#pragma GCC unroll 8
            for (size_t v = 0; v < V; v++)
                a[v] = vdupq_n_f32(bias[n]), s[v] = vdupq_n_f32(0.0f);
            uint32_t j = nnz[n];
            for (; j >= 2; j -= 2, values += 2, offsets += 2) {
                const float *r0 = row(xt, offsets[0]), *r1 = row(xt, offsets[1]);
#pragma GCC unroll 8
                for (size_t v = 0; v < V; v++) {
                    a[v] = vfmaq_n_f32(a[v], vld1q_f32(r0 + 4 * v), values[0]);
                    s[v] = vfmaq_n_f32(s[v], vld1q_f32(r1 + 4 * v), values[1]);
                }
            }
            if (j) {
                const float *r0 = row(xt, offsets[0]);
#pragma GCC unroll 8
                for (size_t v = 0; v < V; v++)
                    a[v] = vfmaq_n_f32(a[v], vld1q_f32(r0 + 4 * v), values[0]);
                values++, offsets++;
            }
#pragma GCC unroll 8
            for (size_t v = 0; v < V; v++)
                vst1q_f32(&tile[b][4 * v], vaddq_f32(a[v], s[v]));
        }
        for (size_t v = 0; v < V && 4 * v < mr; v++) {
            float32x4_t r[4];
            for (size_t b = 0; b < 4; b++)
                r[b] = vld1q_f32(&tile[b < nb ? b : 0][4 * v]);
            transpose4(r);
            const size_t pixels = mr - 4 * v < 4 ? mr - 4 * v : 4;
            for (size_t i = 0; i < pixels; i++) {
                const float32x4_t y = vminq_f32(vmaxq_f32(r[i], vmin), vmax);
                float *out = c + (4 * v + i) * cm_stride + n0;
                if (nb == 4) {
                    vst1q_f32(out, y);
                } else {
                    float tmp[4];
                    vst1q_f32(tmp, y);
                    for (size_t b = 0; b < nb; b++)
                        out[b] = tmp[b];
                }
            }
        }
    }
}

static inline __attribute__((always_inline)) void pack(const size_t V, size_t mr, size_t k, const float *x,
                                                       size_t x_stride, float *xt) {
    const size_t MR = 4 * V;
    const float *px[32];
    for (size_t i = 0; i < MR; i++)
        px[i] = x + (i < mr ? i : mr - 1) * x_stride;
    size_t kk = 0;
    for (; kk + 4 <= k; kk += 4)
        for (size_t v = 0; v < V; v++) {
            float32x4_t r[4];
            for (size_t i = 0; i < 4; i++)
                r[i] = vld1q_f32(px[4 * v + i] + kk);
            transpose4(r);
            for (size_t i = 0; i < 4; i++)
                vst1q_f32(xt + (kk + i) * MR + 4 * v, r[i]);
        }
    for (; kk < k; kk++)
        for (size_t i = 0; i < MR; i++)
            xt[kk * MR + i] = px[i][kk];
}

ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_32x1__neon) {
    ET_F32_SPMM_REQUIRE(32);
    spmm(8, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_16x1__neon) {
    ET_F32_SPMM_REQUIRE(16);
    spmm(4, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_8x1__neon) {
    ET_F32_SPMM_REQUIRE(8);
    spmm(2, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_32__neon) {
    ET_F32_SPMM_PACK_REQUIRE(32);
    pack(8, mr, k, x, x_stride, xt);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_16__neon) {
    ET_F32_SPMM_PACK_REQUIRE(16);
    pack(4, mr, k, x, x_stride, xt);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_8__neon) {
    ET_F32_SPMM_PACK_REQUIRE(8);
    pack(2, mr, k, x, x_stride, xt);
}
