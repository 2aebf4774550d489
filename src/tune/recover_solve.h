/* recover_solve.h: one weight matrix and its Hessian in, the compensated matrix out (recovery's `full` mode):
 * the order the columns are visited in, dampening, and which walk of obq.h runs.
 *
 *   quantization only     GPTQ, columns by decreasing Hessian diagonal ("act order", optional)
 *   magnitude / N:M masks on small matrices (et_obs_exact_fits: about rows x d^3 / 3 <= 2^29), the exact OBS
 *                         mask and refit (obs_exact.h), then GPTQ with that mask fixed when quantizing;
 *                         elsewhere SparseGPT (adaptive mask with the layer's zero count, or N:M over input
 *                         channels at each kernel position), rounding at the same time when quantizing
 *   channel pruning       the dropped input channels' columns first, as a fixed mask: that walk is the
 *                         least-squares refit of the kept columns; then GPTQ on the kept columns alone (the
 *                         trailing block of R is the factor of their Hessian), with scales from the refit weights
 *
 * Dampening starts at 1 % of the mean diagonal and grows tenfold, up to three times, when the factorisation
 * fails; a layer with fewer calibration rows than inputs per output, or whose Hessian stays singular, falls back
 * to rounding and says why. */
#ifndef ET_TUNE_RECOVER_SOLVE_H
#define ET_TUNE_RECOVER_SOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/threadpool.h"
#include "tune/obq.h"
#include "util/status.h"

typedef struct et_solve {
    int64_t rows, d;
    int64_t n_samples;    /* calibration rows behind H */
    float *w;             /* rows x d: in, the pristine weights; out, the result */
    const float *w_plain; /* rows x d: round to nearest / magnitude pruning (the fallback) */
    double *h;            /* d x d, symmetric; destroyed */
    /* rounding: bits 0 (none), 16 (fp16) or 2..8 with scales per row (scale, zero_point) or, when they are
     * NULL, computed with wq from the weights the walk aims at (the pristine or the fitted ones; after channel
     * pruning the refit ones) into scale_out / zp_out */
    int bits;
    int32_t qmin, qmax;
    const float *scale;
    const int32_t *zero_point;
    const struct et_wq_config *wq;
    float *scale_out;
    int32_t *zp_out;
    /* masks */
    et_obq_mask mask; /* NONE, ADAPTIVE (prune_count), NM (nm_n:nm_m per input channel group), FIXED */
    int64_t prune_count;
    int nm_n, nm_m;
    int64_t ksize;            /* kernel elements per input channel (1 for Gemm/MatMul) */
    const uint8_t *chan_keep; /* FIXED: per input channel (d / ksize of them), 0 = dropped */
    bool act_order;
    bool exact_masks; /* ADAPTIVE on a small matrix: exact OBS (obs_exact.h) instead of SparseGPT */
    /* fitting a reference output (the pristine model's) instead of W on the layer's own inputs: the target
     * becomes W* with W* H = cross (least squares), and err is measured against the reference */
    const double *cross; /* rows x d, or NULL */
    double y2;           /* the reference output's energy (with cross) */
    /* out */
    double err;  /* trace((W - Q) H (W - Q)^T) with the undampened H; with cross, the squared distance
                              of Q X from the reference output */
    double damp; /* the relative dampening that worked */
    bool fell_back;
    char why[64];
} et_solve;

/* Solves s in place (see above). ET_E_NOMEM when scratch cannot be allocated; a numerical failure is not an
 * error: s->fell_back is set, s->why says why and s->w holds w_plain. */
et_status et_solve_run(et_solve *s, et_threadpool *pool, et_err *err);

#endif
