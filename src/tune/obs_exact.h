/* obs_exact.h: unstructured masks by exact Optimal Brain Surgeon, for layers small enough (the ExactOBS of
 * Optimal Brain Compression, Frantar & Alistarh 2022).
 *
 * SparseGPT (obq.h) picks a mask on the way through the columns and compensates each zero on the columns after
 * it only. Here each row is pruned one weight at a time, the one whose removal costs least given the others
 * (w_q^2 / [H^-1]_qq), the rest of the row moving to the least-squares optimum after each step and H^-1 losing
 * that row and column. A first pass records what every step costs in every row; the layer's count of zeros is
 * then shared out over the rows by taking the cheapest steps first (rows of a layer differ a lot in what they
 * can lose), and a second pass prunes each row to its share. The weights left are the exact least-squares
 * refit for the mask (under the dampened Hessian).
 *
 * Cost: about rows x d^3 / 3 multiply-adds per pass, so recovery uses it where that stays small
 * (et_obs_exact_fits) and SparseGPT elsewhere. */
#ifndef ET_TUNE_OBS_EXACT_H
#define ET_TUNE_OBS_EXACT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/threadpool.h"
#include "util/status.h"

/* Whether a rows x d matrix is small enough for et_obs_prune (at most about 2^29 multiply-adds a pass). */
bool et_obs_exact_fits(int64_t rows, int64_t d);

/* The first pass alone: cost (rows x d) receives what each step of each row's walk costs. ET_E_NOMEM when scratch
 * cannot be allocated. */
et_status et_obs_costs(const float *w, int64_t rows, int64_t d, const double *r, double *cost, et_threadpool *pool,
                       et_err *err);

/* Shares `total` zeros out over rows with step costs `cost` (rows x d): the cheapest steps first, each row's in
 * order; count[r] receives row r's share. */
void et_obs_share(const double *cost, int64_t rows, int64_t d, int64_t total, int64_t *count);

/* Zeroes prune_count weights of w (rows x d, row-major: in, the weights to approximate; out, the refit weights
 * with zeros at the mask) and sets mask (rows x d bytes, 1 = zeroed). r: the factor of the dampened Hessian,
 * H = R R^T (et_chol_upper_rev; d x d). The result does not depend on the thread count. ET_E_NOMEM when scratch
 * cannot be allocated (w is then unchanged). */
et_status et_obs_prune(float *w, int64_t rows, int64_t d, const double *r, int64_t prune_count, uint8_t *mask,
                       et_threadpool *pool, et_err *err);

/* The same with an N:M mask: in every group of nm_m consecutive columns (groups restart every `segment` columns;
 * a last group of t < nm_m columns keeps ceil(nm_n t / nm_m)), nm_n stay; each row is walked on its own, its
 * cheapest steps first within what each group may still lose. d must be a multiple of segment. */
et_status et_obs_prune_nm(float *w, int64_t rows, int64_t d, const double *r, int nm_n, int nm_m, int64_t segment,
                          uint8_t *mask, et_threadpool *pool, et_err *err);

#endif
