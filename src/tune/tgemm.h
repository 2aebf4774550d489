/* tgemm.h: the matrix products of recovery (Hessians, GPTQ's block updates, reconstruction errors) on the
 * engine's fp32 GEMM microkernels (engine/kernels/f32-gemm), so they run at the speed of the inference kernels
 * of this CPU (AVX2, AVX-512, NEON, scalar at worst).
 *
 * B is packed once into the kernels' panel layout (f32-gemm.h) and A is read in place: a row of A is
 * contiguous, rows are lda floats apart. Products accumulate in fp32 over at most a few thousand terms; callers
 * that need more (Hessians over many calibration rows) add each product into a double accumulator. */
#ifndef ET_TUNE_TGEMM_H
#define ET_TUNE_TGEMM_H

#include <stddef.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"

/* Floats a packed k x n B needs with this kernel config. */
size_t et_tgemm_packed_floats(const et_f32_gemm_config *cfg, size_t n, size_t k);

/* Packs the k x n block of a row-major double matrix, element (i, j) at b[i * ldb + j], rounded to float. */
void et_tgemm_pack_f64(const et_f32_gemm_config *cfg, size_t n, size_t k, const double *b, size_t ldb, float *packed);

/* Packs the k x n block of B given as its transpose: element (i, j) of B at bt[j * ldbt + i] (that is, bt is
 * n rows of k contiguous floats, e.g. a Hessian's feature rows). */
void et_tgemm_pack_t(const et_f32_gemm_config *cfg, size_t n, size_t k, const float *bt, size_t ldbt, float *packed);

/* The packed panels from column j0 on (j0 a multiple of cfg->nr): a B of n - j0 columns. */
static inline const float *et_tgemm_panel(const et_f32_gemm_config *cfg, const float *packed, size_t k, size_t j0) {
    return packed + j0 * (k + 1);
}

/* C[m x n] = A[m x k] * B (packed, k >= 1). Rows of A at a + i * lda, of C at c + i * ldc. Single-threaded:
 * callers split m over the pool. */
void et_tgemm(const et_f32_gemm_config *cfg, size_t m, size_t n, size_t k, const float *a, size_t lda,
              const float *packed, float *c, size_t ldc);

#endif
