/* fnv.h: FNV-1a, 64 bits: the cheap non-cryptographic hash for cache keys and change detection (stored points'
 * input hashes, the size model's knobs cache). Not for content that must resist collisions: that is sha256.h. */
#ifndef ET_UTIL_FNV_H
#define ET_UTIL_FNV_H

#include <stddef.h>
#include <stdint.h>

#define ET_FNV64_INIT 1469598103934665603ull /* the offset basis */

/* FNV-1a over the n bytes at p, continuing from h (ET_FNV64_INIT to start). */
static inline uint64_t et_fnv64(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#endif
