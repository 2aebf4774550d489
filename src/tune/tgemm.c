/* tgemm.c: products on the engine's fp32 GEMM microkernels (tgemm.h). */
#include "tune/tgemm.h"

#include <math.h>

#include "util/mem.h"

size_t et_tgemm_packed_floats(const et_f32_gemm_config *cfg, size_t n, size_t k) {
    return et_f32_gemm_packed_floats(cfg->nr, n, k);
}

/* The panel layout of f32-gemm.h with a zero bias: for each panel of nr columns, nr zeros, then nr values per
 * depth. */
void et_tgemm_pack_f64(const et_f32_gemm_config *cfg, size_t n, size_t k, const double *b, size_t ldb, float *packed) {
    size_t nr = cfg->nr;
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        size_t w = n - n0 < nr ? n - n0 : nr;
        for (size_t j = 0; j < nr; j++)
            *packed++ = 0.0f;
        for (size_t i = 0; i < k; i++) {
            const double *row = b + i * ldb + n0;
            for (size_t j = 0; j < w; j++)
                packed[j] = (float)row[j];
            for (size_t j = w; j < nr; j++)
                packed[j] = 0.0f;
            packed += nr;
        }
    }
}

void et_tgemm_pack_t(const et_f32_gemm_config *cfg, size_t n, size_t k, const float *bt, size_t ldbt, float *packed) {
    et_f32_gemm_pack(cfg->nr, n, k, bt, ldbt, 1, NULL, packed);
}

void et_tgemm(const et_f32_gemm_config *cfg, size_t m, size_t n, size_t k, const float *a, size_t lda,
              const float *packed, float *c, size_t ldc) {
    const et_f32_minmax_params none = {-INFINITY, INFINITY};
    for (size_t i = 0; i < m; i += cfg->mr) {
        size_t rows = m - i < cfg->mr ? m - i : cfg->mr;
        if (rows == 1)
            cfg->ukernel1(1, n, k, a + i * lda, lda, packed, c + i * ldc, ldc, &none);
        else
            cfg->ukernel(rows, n, k, a + i * lda, lda, packed, c + i * ldc, ldc, &none);
    }
}
