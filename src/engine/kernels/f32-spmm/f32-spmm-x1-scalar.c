/* f32-spmm-x1-scalar.c: the portable sparse kernels and input packing, MR = 32, 16 and 8 pixels (see
 * f32-spmm.h); the oracle of the SIMD ones. Sums run in the same order as theirs (nonzeros in order, each
 * pixel's sum alone, bias first) except that the SIMD kernels split a channel's nonzeros into two alternating
 * sums to hide FMA latency, so results agree to rounding, not bit for bit. */
#include "engine/kernels/f32-spmm/f32-spmm.h"

static void spmm(size_t MR, size_t mr, size_t nc, const float *xt, const float *values, const int32_t *offsets,
                 const uint32_t *nnz, const float *bias, float *c, size_t cm_stride, const et_f32_minmax_params *p) {
    for (size_t n = 0; n < nc; n++) {
        float acc[32];
        for (size_t i = 0; i < MR; i++)
            acc[i] = bias[n];
        for (uint32_t j = 0; j < nnz[n]; j++, values++, offsets++) {
            const float *row = (const float *)(const void *)((const char *)xt + *offsets);
            for (size_t i = 0; i < MR; i++)
                acc[i] += *values * row[i];
        }
        for (size_t i = 0; i < mr; i++) {
            const float v = acc[i] < p->min ? p->min : acc[i];
            c[i * cm_stride + n] = v > p->max ? p->max : v;
        }
    }
}

static void pack(size_t MR, size_t mr, size_t k, const float *x, size_t x_stride, float *xt) {
    for (size_t kk = 0; kk < k; kk++)
        for (size_t i = 0; i < MR; i++)
            xt[kk * MR + i] = i < mr ? x[i * x_stride + kk] : 0.0f;
}

ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_32x1__scalar) {
    ET_F32_SPMM_REQUIRE(32);
    spmm(32, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_16x1__scalar) {
    ET_F32_SPMM_REQUIRE(16);
    spmm(16, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_UKERNEL(et_f32_spmm_ukernel_8x1__scalar) {
    ET_F32_SPMM_REQUIRE(8);
    spmm(8, mr, nc, xt, values, offsets, nnz, bias, c, cm_stride, params);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_32__scalar) {
    ET_F32_SPMM_PACK_REQUIRE(32);
    pack(32, mr, k, x, x_stride, xt);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_16__scalar) {
    ET_F32_SPMM_PACK_REQUIRE(16);
    pack(16, mr, k, x, x_stride, xt);
}
ET_F32_SPMM_PACK(et_f32_spmm_pack_8__scalar) {
    ET_F32_SPMM_PACK_REQUIRE(8);
    pack(8, mr, k, x, x_stride, xt);
}
