/* mem.h: allocation helpers. Aligned blocks are 64-byte aligned (a cache line, and one AVX-512 register) and
 * freed with et_aligned_free. All return NULL on failure or on a size that would overflow. */
#ifndef ET_UTIL_MEM_H
#define ET_UTIL_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ET_ALIGN = 64 };

void *et_aligned_alloc(size_t bytes);
void *et_aligned_calloc(size_t bytes);
void et_aligned_free(void *p);

/* a*b with overflow detection: returns false on overflow. */
static inline bool et_mul_size(size_t a, size_t b, size_t *out) { return !__builtin_mul_overflow(a, b, out); }

static inline size_t et_round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

#endif
