/* obq.h: Optimal Brain Quantization / Compression on one weight matrix: GPTQ (Frantar et al. 2022) for
 * rounding, SparseGPT (Frantar & Alistarh 2023) for masks (unstructured or N:M, chosen on the way or given), and
 * both at once.
 *
 * The problem: weights W (rows x d: one row per output channel, one column per input feature) and the Hessian
 * of the layer's squared output error, H = 2 X X^T over the calibration inputs X (d x samples). Columns are
 * visited in order; column j is rounded (or zeroed), and the error that leaves is compensated on the columns
 * after it so that the layer's output on the calibration inputs moves as little as possible.
 *
 * The reference algorithm uses U, the upper Cholesky factor of H^-1: with e_j = (w_j - q_j) / U_jj, every later
 * column k gets w_k -= e_j U_jk. edgetune factors H = R R^T instead (chol.h, R upper, so U = R^-1) and uses
 * an identity that follows from it: with D = W - Q (the original weights minus the result),
 *     the value column j has when it is rounded   p_j = W_j + (sum_{k<j} D_k R_kj) / R_jj
 *     its scaled error                            e_j = (p_j - q_j) R_jj          (E = D R)
 * The sum over earlier columns is a matrix product, done one block of columns at a time (the lazy batches of
 * GPTQ) on the GEMM kernels; inside a block it is updated column by column. sum e_j^2 = trace(D H D^T) is the
 * output error (of the dampened H) and comes for free.
 *
 * Masks (SparseGPT): the saliency of weight (r, j) is p_j^2 R_jj^2 (= w^2 / U_jj^2). ADAPTIVE zeroes, in each
 * block, that block's share of prune_count weights of lowest saliency over all rows; N:M zeroes the m - n lowest
 * of each group of m consecutive columns when the group's first column comes up; FIXED takes a given mask.
 * Rounding and masking combine: a masked weight becomes 0, the others are rounded.
 *
 * Rows are independent given R, so they are spread over the thread pool; the result does not depend on the
 * thread count. */
#ifndef ET_TUNE_OBQ_H
#define ET_TUNE_OBQ_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/threadpool.h"
#include "util/status.h"

/* How a weight is rounded: bits 0 keeps it as is (masks only), 16 rounds to fp16, 2..8 to the integer grid
 * q = scale * (clamp(round(w / scale) + zp, qmin, qmax) - zp) of its row. */
typedef struct et_obq_quant {
    int bits;
    int32_t qmin, qmax;
    const float *scale;        /* per row (bits 2..8) */
    const int32_t *zero_point; /* per row (bits 2..8) */
} et_obq_quant;

typedef enum { ET_OBQ_MASK_NONE, ET_OBQ_MASK_ADAPTIVE, ET_OBQ_MASK_NM, ET_OBQ_MASK_FIXED } et_obq_mask;

typedef struct et_obq_config {
    et_obq_quant quant;
    et_obq_mask mask;
    int64_t prune_count;  /* ADAPTIVE: weights of the whole matrix to zero, shared out over blocks by width */
    int nm_n, nm_m;       /* N:M: in every group of nm_m consecutive columns, nm_n stay */
    int64_t nm_segment;   /* N:M: groups restart every nm_segment columns (d when 0); a last group of t < nm_m
                             columns keeps ceil(nm_n t / nm_m) */
    const uint8_t *fixed; /* FIXED: rows x d, non-zero = the weight becomes 0 */
    int64_t block;        /* columns per lazy block (0: 128); N:M blocks end on group boundaries */
} et_obq_config;

/* Runs the column walk. w: rows x d floats, row-major: in, the weights to approximate; out, the result (on the
 * grid, zeros where masked). r: the factor of the dampened Hessian from et_chol_upper_rev (d x d, rows ldr apart:
 * a trailing block of a larger factor is the factor of the trailing block of its Hessian). *err_out
 * (may be NULL) receives sum e_j^2 = trace((W - Q) H' (W - Q)^T) for the dampened H'. ET_E_NOMEM when scratch
 * cannot be allocated (w is then unchanged). */
et_status et_obq_run(float *w, int64_t rows, int64_t d, const double *r, int64_t ldr, const et_obq_config *cfg,
                     et_threadpool *pool, double *err_out, et_err *err);

/* trace(D R R^T D^T) = ||D R||^2 for D rows x d (row-major): the output error of weights W - D under the
 * Hessian R R^T. -1 when scratch cannot be allocated. */
double et_obq_error(const float *dw, int64_t rows, int64_t d, const double *r, int64_t ldr, et_threadpool *pool);

/* trace(D H D^T) for D rows x d and a symmetric H (d x d): the output error of weights W - D, without a
 * factorisation. -1 when scratch cannot be allocated. */
double et_obq_quad(const float *dw, int64_t rows, int64_t d, const double *h, et_threadpool *pool);

#endif
