/* recover_base.h: a sensitivity point's recovery from its base's (et_tune_options.recover_base).
 *
 * A sensitivity point changes one layer's knobs against the base. The layers before it see the same inputs as in
 * the base, so their recovered weights and their statistics (H = X X^T of their inputs, the cross terms against the
 * pristine output, the sums) are the base's. The base's full recovery therefore records, per weight layer, its
 * statistics, a fingerprint of what its solve reads (its knobs, whether it is rounded, kept or refit, its weights as
 * pruning left them) and its result, in the tune cache under the base's key. A point then solves again only the
 * layers whose fingerprint differs (the changed layer; for a channel cut, the layers of its channel group and the
 * consumers refit over the kept channels), on the base's statistics, and takes the base's result for every other
 * layer. Exact for the layers up to the first changed one; the layers after it would see changed inputs in a
 * sequential recovery and are not refit: an approximation (edgetune(1), search). */
#ifndef ET_TUNE_RECOVER_BASE_H
#define ET_TUNE_RECOVER_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tune/tune_internal.h"

/* One weight layer of the base's record (pointers into the cache's copy, valid until its next put). */
typedef struct et_recover_rec {
    uint64_t print;  /* et_recover_layer_print of the base's layer */
    bool has_result; /* false: statistics only (a layer the base left as it was) */
    bool quantized, has_scale, has_bias, has_ref;
    int64_t groups, d, rows, rows_g;    /* the statistics' shape (et_hess) */
    int64_t n, n_ch;                    /* the result's weights and output channels */
    const double *h, *sum;              /* groups x d x d (before any solve), groups x d */
    const double *cross, *sum_ref, *y2; /* with has_ref: groups x rows_g x d, groups x d, groups */
    const float *w, *scale, *bias;      /* the result: row-major weights, scales (has_scale), bias as it acts */
    const int32_t *zp;
    et_tune_layer_err err; /* its line in the report (has_result) */
} et_recover_rec;

/* The record's key for the base knobs `base` (prefix "recbase|"): et_recover_key's fields of the base; calib_fp:
 * et_recover_calib_fingerprint. */
void et_recover_base_key(const et_tune_ctx *c, const et_knobs *base, uint64_t calib_fp, char *key, size_t len);

/* True when c's knobs are the base's (the run that records). */
bool et_recover_is_base(const et_tune_ctx *c, const et_knobs *base, uint64_t calib_fp);

/* A fingerprint of what layer l's solve reads besides its statistics: its recovery knobs, whether it is kept,
 * rounded, masked or refit (and over which input channels), and its weights wc (n floats) as pruning left them. */
uint64_t et_recover_layer_print(const et_tune_ctx *c, int l, bool quant, bool masked, bool refit, const float *wc,
                                int64_t n);

/* Stores layer `node`'s record (copied; r's pointers may be NULL where its flags say so). false when memory runs
 * out or there is no cache (a later point then recovers in full). */
bool et_recover_rec_put(et_tune_ctx *c, const char *key, int node, const et_recover_rec *r);
/* Layer `node`'s record into *out; false when absent. */
bool et_recover_rec_get(const et_tune_ctx *c, const char *key, int node, et_recover_rec *out);
/* The record's completion mark (stored after the base's last layer) and its test. */
void et_recover_rec_complete(et_tune_ctx *c, const char *key);
bool et_recover_rec_is_complete(const et_tune_ctx *c, const char *key);

enum { ET_RECOVER_BASE_MIB = 1024 }; /* records kept at once (oldest dropped first) */

#endif
