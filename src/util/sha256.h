/* sha256.h: SHA-256 (FIPS 180-4), used to identify model files in the run database. */
#ifndef ET_UTIL_SHA256_H
#define ET_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct et_sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t fill;
} et_sha256;

void et_sha256_init(et_sha256 *s);
void et_sha256_update(et_sha256 *s, const void *data, size_t len);
void et_sha256_final(et_sha256 *s, uint8_t out[32]);
/* Hash of a buffer as 64 lowercase hex digits plus NUL. */
void et_sha256_hex(const void *data, size_t len, char out[65]);

#endif
