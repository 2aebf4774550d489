/* recover_cache.h: what recovery leaves in the tune cache (tune_cache.h), so that turning a knob back to a
 * configuration seen before in the session is instant: per compensated layer its new weights (row-major, as
 * recover.c computes them), scales and zero points, and bias, plus the report's per-layer errors. The key names
 * every knob the weights depend on and a fingerprint of the calibration set's bytes. */
#ifndef ET_TUNE_RECOVER_CACHE_H
#define ET_TUNE_RECOVER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tune/tune_internal.h"

/* The key of recovery's result for ctx's knobs, calibration set and the set of layers to quantize (its hash). */
void et_recover_key(const et_tune_ctx *c, const et_calib_set *calib, uint64_t quant_hash, char *key, size_t len);
/* The same for knobs k with the calibration set's fingerprint already taken (et_recover_calib_fingerprint: it reads
 * every calibration byte, 150 MB for 256 images at 224x224). */
void et_recover_key_fp(const et_tune_ctx *c, const et_knobs *k, uint64_t calib_fp, uint64_t quant_hash, char *key,
                       size_t len);
uint64_t et_recover_calib_fingerprint(const et_calib_set *calib);

/* A blob being built (NULL from _new when out of memory: nothing is cached then); reserve: the bytes its layers
 * will take (et_recover_blob_layer_bytes summed), allocated at once. */
typedef struct et_recover_blob et_recover_blob;
et_recover_blob *et_recover_blob_new(size_t reserve);
/* What one layer takes in a blob. */
size_t et_recover_blob_layer_bytes(int64_t n, int64_t n_ch);
void et_recover_blob_free(et_recover_blob *b);
/* One layer: n weights (row-major [n_ch][n / n_ch]); quantized, with scale and zp (n_ch each; NULL for fp16
 * weights); bias (n_ch) or NULL for none. A failed allocation poisons the blob. */
void et_recover_blob_add_layer(et_recover_blob *b, int node, const float *w, int64_t n, bool quantized,
                               const float *scale, const int32_t *zp, int64_t n_ch, const float *bias);
/* Stores the blob and the report's recovery fields under key (oldest recovery entries make room: at most
 * ET_RECOVER_CACHE_MIB of them). */
void et_recover_blob_store(et_recover_blob *b, et_tune_ctx *c, const char *key);

enum { ET_RECOVER_CACHE_MIB = 768 };

/* One stored layer, as et_recover_blob_next reads it back (pointers into the cache's copy). */
typedef struct et_recover_layer_rec {
    int node;
    int64_t n, n_ch;
    bool quantized;
    const float *w, *scale, *bias; /* scale, bias: NULL when absent */
    const int32_t *zp;
} et_recover_layer_rec;

/* The stored blob under key, its report fields copied into c->rep; NULL when absent. Walk its layers with
 * et_recover_blob_next from *pos = 0: false at the end. */
const void *et_recover_blob_find(et_tune_ctx *c, const char *key, size_t *bytes);
bool et_recover_blob_next(const void *blob, size_t bytes, size_t *pos, et_recover_layer_rec *out);

#endif
