/* arena.h: a bump allocator for many small allocations that die together (graph names, attribute arrays).
 * Blocks are 16-byte aligned. Large requests get their own chunk. Nothing is freed individually;
 * et_arena_free releases everything. Allocation returns NULL on out-of-memory or size overflow. */
#ifndef ET_UTIL_ARENA_H
#define ET_UTIL_ARENA_H

#include <stddef.h>

typedef struct et_arena_chunk et_arena_chunk;
typedef struct et_arena {
    et_arena_chunk *head;
    size_t chunk_bytes; /* default size of a new chunk */
    size_t total_bytes; /* bytes held, for reporting */
} et_arena;

void et_arena_init(et_arena *a, size_t chunk_bytes);
void *et_arena_alloc(et_arena *a, size_t bytes);              /* uninitialised */
void *et_arena_calloc(et_arena *a, size_t n, size_t size);    /* zeroed, overflow-checked */
char *et_arena_strndup(et_arena *a, const char *s, size_t n); /* NUL-terminated copy of n bytes */
char *et_arena_strdup(et_arena *a, const char *s);
void et_arena_free(et_arena *a);

#endif
