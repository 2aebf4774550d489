/* arena.c: bump allocation in a list of chunks. */
#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct et_arena_chunk {
    et_arena_chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void et_arena_init(et_arena *a, size_t chunk_bytes) {
    a->head = NULL;
    a->chunk_bytes = chunk_bytes ? chunk_bytes : 64 * 1024;
    a->total_bytes = 0;
}

void *et_arena_alloc(et_arena *a, size_t bytes) {
    size_t need = (bytes + 15) & ~(size_t)15;
    if (need < bytes)
        return NULL;
    et_arena_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = need > a->chunk_bytes ? need : a->chunk_bytes;
        if (size > SIZE_MAX - sizeof *c)
            return NULL;
        et_arena_chunk *n = malloc(sizeof *n + size);
        if (!n)
            return NULL;
        n->used = 0;
        n->size = size;
        a->total_bytes += size;
        if (c && size == need && c->size - c->used >= 1024) {
            /* a big one-off: keep the current chunk at the head so its free space stays usable */
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            a->head = n;
        }
        c = n;
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

void *et_arena_calloc(et_arena *a, size_t n, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    void *p = et_arena_alloc(a, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

char *et_arena_strndup(et_arena *a, const char *s, size_t n) {
    if (n == SIZE_MAX)
        return NULL;
    char *p = et_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *et_arena_strdup(et_arena *a, const char *s) { return et_arena_strndup(a, s, strlen(s)); }

void et_arena_free(et_arena *a) {
    et_arena_chunk *c = a->head;
    while (c) {
        et_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total_bytes = 0;
}
