/* chan_greedy.h: channel choice with cross terms for channel pruning under --recover full (ThiNet's greedy, Luo et
 * al. 2017, on a consumer's output reconstruction). Channels judged alone (each by its own energy w_c^T H_cc w_c)
 * miss what correlated channels share: two copies of one channel both look important, two that cancel both look
 * cheap. With G[c][d] = sum_o w_{o,c}^T H_cd w_{o,d} (H the consumer's full input Hessian), the output error of
 * removing the set S of input channels without refit is sum_{c,d in S} G[c][d]; the greedy removes, one at a
 * time, the channel that adds the least to it given those already removed. */
#ifndef ET_TUNE_CHAN_GREEDY_H
#define ET_TUNE_CHAN_GREEDY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/threadpool.h"

/* G (n_in x n_in, row-major, filled by the call) from the layer's weights w (output o, feature i at
 * w[o * ch_stride + i * el_stride], features input channel then kernel element, kb of them per channel) and its
 * full Hessian h (d x d, d = n_in * kb, symmetric). Costs n_out * d^2 multiply-adds, on the pool (may be NULL)
 * where that pays; the result does not depend on the threads. false when out of memory (G untouched). */
bool et_chan_gram(const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride, const double *h, int64_t n_in,
                  int64_t kb, et_threadpool *pool, double *G);

/* Scores for G's channels (n of them) that rank them in the greedy's removal order: score[c] is the output error
 * once c and every channel removed before it are gone, raised where needed so that it grows strictly along the
 * order (removing a channel that cancels another can lower the error). Lowest score: removed first; all >= 0.
 * false when out of memory (score untouched). */
bool et_chan_greedy_scores(const double *G, int64_t n, double *score);

/* The same choice judged after the refit that recovery makes (group OBS, Frantar & Alistarh 2022): removing the
 * set S of channels and refitting the rest by least squares loses sum_o w_{o,S}^T [(H^-1)_SS]^-1 w_{o,S}. The
 * greedy removes, one at a time, the channel whose removal adds the least to that, updating H^-1 and the refit
 * weights after each (H dampened by 1 % of its mean diagonal). Arguments as et_chan_gram; scores as
 * et_chan_greedy_scores. Costs about 2 d^3 multiply-adds (the inverse, and the updates over the removals), on the
 * pool where that pays (the scores do not depend on the threads); d * d + n_out * d doubles of scratch. false
 * when out of memory, when kb > 64 or when H is not positive definite after dampening (score untouched or
 * partial: the caller falls back). */
bool et_chan_refit_scores(const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride, const double *h,
                          int64_t n_in, int64_t kb, et_threadpool *pool, double *score);

/* Joint choice where several readers (consumers) read the same channels (a residual group: every reader must
 * drop the same ones). Each reader keeps its own state for the refit greedy; one greedy removes, one at a time,
 * the channel whose removal adds the least summed error over the readers, each reader's error after its own
 * refit given the channels already removed. Summing each reader's own greedy scores instead (what
 * prune_channel.c does with independent scores) judges a channel by where it falls in each reader's own order,
 * which is not the error of removing it from all of them together. */
typedef struct et_chan_reader {
    double *hi;    /* d x d: the inverse of the dampened Hessian over the channels still there (owned) */
    double *wd;    /* n_out x d: the refit weights (owned) */
    double *t;     /* d x kb scratch (owned) */
    double *binv;  /* kb x kb scratch (owned) */
    double energy; /* sum_o w_o^T H w_o: the whole output's energy (0 unless asked for) */
    int64_t n_out, n_in, kb;
} et_chan_reader;

/* Bytes one reader holds (et_chan_reader_init's allocations). */
int64_t et_chan_reader_bytes(int64_t n_out, int64_t n_in, int64_t kb);

/* A reader's state from its weights and full Hessian (arguments as et_chan_gram); its output energy too when
 * `energy` (n_out * d^2 multiply-adds). The inverse on the pool where that pays. false (r holds nothing) when out
 * of memory, when kb > 64 or when H is not positive definite after dampening. */
bool et_chan_reader_init(et_chan_reader *r, const float *w, int64_t n_out, int64_t ch_stride, int64_t el_stride,
                         const double *h, int64_t n_in, int64_t kb, bool energy, et_threadpool *pool);

/* Frees what r holds; r may hold nothing. */
void et_chan_reader_free(et_chan_reader *r);

/* Scores (n_in of the readers' common channel count) in the order of the joint greedy over n readers, as
 * et_chan_greedy_scores. `relative`: each reader's error divided by its output energy (readers' outputs differ in
 * scale; each weighs by the fraction of its output lost), else summed as it is; with one reader this is
 * et_chan_refit_scores. The readers' states are used up (free them after). false when out of memory or when
 * the readers' channel counts differ (score untouched). */
bool et_chan_joint_scores(et_chan_reader *r, int n, bool relative, et_threadpool *pool, double *score);

#endif
