/* tune_cache.h: the keyed blobs behind et_tune_cache (tune.h): calibration ranges and speed-guard decisions,
 * each under a key naming the knobs it depends on. A blob is copied in and owned by the cache. */
#ifndef ET_TUNE_TUNE_CACHE_H
#define ET_TUNE_TUNE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "tune/tune.h"

/* The blob stored under key (and its size), or NULL; c may be NULL. The pointer is valid until the next put. */
const void *et_tune_cache_get(const et_tune_cache *c, const char *key, size_t *bytes);
/* Stores a copy of data under key (replacing); false when c is NULL or memory runs out (a cache miss later). */
bool et_tune_cache_put(et_tune_cache *c, const char *key, const void *data, size_t bytes);
/* The same without a copy: the cache takes data (malloc'd), and frees it when it cannot keep it. */
bool et_tune_cache_put_owned(et_tune_cache *c, const char *key, void *data, size_t bytes);
/* Drops the oldest entries whose key starts with prefix until they and `incoming` more bytes fit in max_bytes
 * (big blobs such as recovered weights; c may be NULL). */
void et_tune_cache_trim(et_tune_cache *c, const char *prefix, size_t max_bytes, size_t incoming);

#endif
