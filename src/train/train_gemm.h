/* train_gemm.h: matrix products of training on the engine's fp32 GEMM microkernels (engine/kernels/f32-gemm).
 *
 * The kernels compute C[m x n] = A[m x k] * W with A unpacked (rows at a stride) and W packed into panels of NR
 * columns (f32-gemm.h). Inference packs W once; training packs an operand on every step: the current weights,
 * an im2col block of an image, a block of output gradients. So the packing here is the fast part: any operand
 * B(k, j) = b[k * sk + j * sn] is packed with a contiguous copy when sn == 1 and a strided gather otherwise.
 *
 * Which operand is A and which is packed is the caller's choice; the convolution (op_conv.c) and the
 * fully-connected layer (op_fc.c) say theirs. Nothing here allocates: the caller gives packed buffers of
 * et_train_gemm_packed_floats floats, 64-byte aligned. */
#ifndef ET_TRAIN_TRAIN_GEMM_H
#define ET_TRAIN_TRAIN_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "engine/threadpool.h"

/* Floats of a packed operand of depth k and n columns (panels of the kernels' NR; the bias slot included). */
size_t et_train_gemm_packed_floats(size_t k, size_t n);

/* The kernels' tile: MR rows, NR columns. */
size_t et_train_gemm_mr(void);
size_t et_train_gemm_nr(void);

/* Packs B(i, j) = b[i * sk + j * sn] for i < k, j < n, with a zero bias slot (bias NULL) or bias[j]. */
void et_train_gemm_pack(size_t k, size_t n, const float *b, size_t sk, size_t sn, const float *bias, float *packed);

/* C (m x n, row stride ldc) = A (m x k, row stride lda) * packed B, on the calling thread. m, n, k >= 1. */
void et_train_gemm(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed, float *c, size_t ldc);

/* Same, rows [m0, m1) only (a task of a larger product). */
void et_train_gemm_rows(size_t m0, size_t m1, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                        float *c, size_t ldc);

/* The product split over the pool in tiles of MR rows x column blocks (pool NULL: inline). */
void et_train_gemm_par(et_threadpool *pool, size_t m, size_t n, size_t k, const float *a, size_t lda,
                       const float *packed, float *c, size_t ldc);

/* Copies one panel row of nr floats: a copy of constant size for the kernels' usual widths, so that the compiler
 * inlines it as vector moves (a libc call per 16 floats was a sixth of an epoch of fmnist_mbv2). */
static inline void et_train_copy_panel(float *dst, const float *src, size_t nr) {
    if (nr == 16)
        memcpy(dst, src, 16 * sizeof *dst);
    else if (nr == 8)
        memcpy(dst, src, 8 * sizeof *dst);
    else
        memcpy(dst, src, nr * sizeof *dst);
}

/* The name of the kernel that runs ("f32-gemm-6x16-avx2"). */
const char *et_train_gemm_kernel_name(void);

#endif
