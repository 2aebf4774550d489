/* f32-gemm-pack.c: packing W into the panel layout the GEMM kernels read (see f32-gemm.h). Runs once per
 * weight when an operator is created, so it favours clarity over speed. */
#include "engine/kernels/f32-gemm/f32-gemm.h"

#include "util/mem.h"

size_t et_f32_gemm_packed_floats(size_t nr, size_t n, size_t k) { return et_round_up(n, nr) * (k + 1); }

void et_f32_gemm_pack(size_t nr, size_t n, size_t k, const float *w, size_t w_stride_n, size_t w_stride_k,
                      const float *bias, float *packed) {
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        for (size_t j = 0; j < nr; j++)
            *packed++ = (n0 + j < n && bias) ? bias[n0 + j] : 0.0f;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < nr; j++)
                *packed++ = n0 + j < n ? w[(n0 + j) * w_stride_n + i * w_stride_k] : 0.0f;
    }
}
