/* chol.h: the Cholesky factorisation recovery needs (GPTQ / SparseGPT, recover.c), in double precision.
 *
 * GPTQ walks the columns of a layer's weights in order and, after rounding column i, spreads its error over the
 * later columns with the rows of U, the upper Cholesky factor of H^-1 (H^-1 = U^T U). Instead of inverting H,
 * edgetune factors H itself "from the bottom": H = R R^T with R upper triangular. Then U = R^-1, and the column
 * walk can be written with R alone (obq.h derives it), so one factorisation of H (d^3 / 3 flops) replaces the
 * three of the reference code (factor H, invert it, factor the inverse).
 *
 * R is the ordinary lower Cholesky factor of H with rows and columns taken in reverse order: H reversed is
 * L L^T, and R[i][j] = L[d-1-i][d-1-j]. The factorisation is blocked (a panel of NB columns at a time, the
 * trailing update as outer products that vectorise) and spread over the thread pool. */
#ifndef ET_TUNE_CHOL_H
#define ET_TUNE_CHOL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/threadpool.h"

/* Factors the symmetric d x d matrix a (row-major, both triangles) in place into R with a = R R^T: R in the
 * upper triangle, zeros below. Returns false and leaves a as it was when a is not positive definite (a pivot
 * <= 0 or not finite) or scratch (d doubles and a panel) cannot be allocated; the caller adds dampening and
 * tries again. pool may be NULL. */
bool et_chol_upper_rev(double *a, int64_t d, et_threadpool *pool);

#endif
